"""SIE pages: export download with a fiscal-year picker, import upload → report → confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontoffice.finance.models import FiscalYear, JournalEntry
from frontoffice.finance.tests import test_sie_import as sie_tests
from frontoffice.finance.tests.test_sie_import import finance_counts, sie_file

# The import tests' fixtures: a group controller and an empty legal entity.
controller = sie_tests.controller
empty_entity = sie_tests.empty_entity

pytestmark = pytest.mark.django_db


def test_export_page_downloads_the_chosen_fiscal_year(ledger, client_for):
    year = FiscalYear.objects.get(legal_entity=ledger)
    client = client_for("auditor")
    assert client.get(reverse("finance:sie-export")).status_code == 200
    response = client.get(reverse("finance:sie-export"), {"fiscal_year": year.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="556036-0793_20260101.se"'
    assert response.content.startswith(b"#FLAGGA 0\r\n")


def test_export_of_another_companys_year_is_not_offered(ledger, client_for):
    year = FiscalYear.objects.get(legal_entity=ledger)
    response = client_for("other_clerk").get(reverse("finance:sie-export"), {"fiscal_year": year.pk})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert b"Select a valid choice" in response.content


@pytest.mark.parametrize("persona", ["rep_north", "receptionist"])
def test_export_page_is_forbidden_without_report_permission(persona, client_for):
    assert client_for(persona).get(reverse("finance:sie-export")).status_code == 403


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north"])
def test_import_page_needs_ledger_management(persona, client_for):
    assert client_for(persona).get(reverse("finance:sie-import")).status_code == 403


def test_the_administrator_may_open_the_import_page(client_for):
    assert client_for("admin").get(reverse("finance:sie-import")).status_code == 200


def test_upload_shows_errors_with_line_numbers_and_writes_nothing(client_for):
    before = finance_counts()
    data = sie_file("transaktioner_ovnbolag-bad-balance.se")
    response = client_for("finance_manager").post(
        reverse("finance:sie-import"), {"file": SimpleUploadedFile("bad.se", data)}
    )
    assert response.status_code == 200
    assert "line 3905: voucher B 1 does not balance" in response.content.decode()
    assert b"Import file" not in response.content
    assert finance_counts() == before


def test_upload_shows_the_differing_accounts_and_confirming_without_accepting_imports_nothing(
    client, controller, empty_entity
):
    client.force_login(controller)
    response = client.post(
        reverse("finance:sie-import"), {"file": SimpleUploadedFile("Sie4.se", sie_file("Sie4.se"))}
    )
    html = response.content.decode()
    for account, stated, diff in (
        ("2440", "-548115.32", "-60000.00"),
        ("2640", "1137249.27", "12000.00"),
        ("4010", "67034.40", "48000.00"),
    ):
        assert f"<td>{account}</td>" in html and stated in html and diff in html
    before = finance_counts()
    response = client.post(
        reverse("finance:sie-import"), {"target": "existing", "legal_entity": empty_entity.pk}
    )
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert finance_counts() == before


def test_confirming_imports_the_checked_file(client, controller, empty_entity):
    client.force_login(controller)
    client.post(
        reverse("finance:sie-import"), {"file": SimpleUploadedFile("typ4si.si", sie_file("typ4si.si"))}
    )
    response = client.post(
        reverse("finance:sie-import"),
        {"target": "existing", "legal_entity": empty_entity.pk, "accept_inconsistent_balances": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("finance:voucher-list")
    assert JournalEntry.objects.filter(legal_entity=empty_entity).count() == 81


def test_confirming_with_an_invalid_organisation_number_shows_it_inline(client, controller):
    client.force_login(controller)
    client.post(
        reverse("finance:sie-import"), {"file": SimpleUploadedFile("typ4si.si", sie_file("typ4si.si"))}
    )
    before = finance_counts()
    response = client.post(
        reverse("finance:sie-import"),
        {
            "target": "new",
            "name": "Ny AB",
            "organisation_number": "556036-0794",
            "accept_inconsistent_balances": "on",
        },
    )
    assert response.status_code == 400
    assert "wrong check digit" in response.content.decode()
    assert finance_counts() == before
