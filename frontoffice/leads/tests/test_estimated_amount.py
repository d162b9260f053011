"""A lead's estimated value after creation: edited on the lead's edit page and through
``PATCH /api/v1/leads/<id>/``, imported from a CSV/XLSX column (every bad cell reported with its
line and column, nothing imported), on the lead's history and the audit trail; other regions'
leads stay 404 and roles without ``leads.change_lead`` get 403. The certificate gate on edits
and imports is in ``training/tests/test_gates.py`` (it needs the training app's courses)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontoffice.core.models import AuditEntry
from frontoffice.leads.models import Lead, LeadEvent, LeadImport
from frontoffice.leads.services import lead_create, lead_disqualify, lead_update
from frontoffice.leads.services.imports import (
    lead_import_preview,
    lead_import_start,
    lead_import_upload,
    parse_amount_cell,
)
from frontoffice.leads.tests.conftest import WEB_DATA
from frontoffice.parties.models import Party

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def north_lead(org, leads):
    """A lead of North owned by rep_north, worth 5 000.00."""
    lead = lead_create(
        actor=org.user("rsm_north"),
        data=dict(WEB_DATA),
        region=org.north,
        owner=org.user("rep_north"),
        estimated_amount=Decimal("5000.00"),
    )
    assert lead.owner == org.people["rep_north"]
    return lead


def audit_changes(lead):
    return [
        e.changes
        for e in AuditEntry.objects.filter(action="leads.lead.updated", object_id=str(lead.pk)).order_by("id")
    ]


# --- service ----------------------------------------------------------------------------------


def test_update_sets_and_clears_the_value_with_history_and_audit(org, north_lead):
    lead = lead_update(actor=org.user("rep_north"), lead=north_lead, estimated_amount=Decimal("12500.50"))
    lead.refresh_from_db()
    assert lead.estimated_amount == Decimal("12500.50")
    event = lead.events.get(kind=LeadEvent.Kind.VALUE_CHANGED)
    assert (event.from_value, event.to_value, event.actor) == ("5000.00", "12500.50", org.people["rep_north"])
    lead_update(actor=org.user("rsm_north"), lead=lead, estimated_amount=None)
    lead.refresh_from_db()
    assert lead.estimated_amount is None
    assert audit_changes(lead) == [
        {"estimated_amount": ["5000.00", "12500.50"]},
        {"estimated_amount": ["12500.50", None]},
    ]
    # The same value again changes nothing and records nothing.
    lead_update(actor=org.user("rsm_north"), lead=lead, estimated_amount=None)
    assert len(audit_changes(lead)) == 2
    assert lead.events.filter(kind=LeadEvent.Kind.VALUE_CHANGED).count() == 2


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("-1.00"), "negative"),
        ("12.345", "decimals"),
        ("abc", "invalid"),
        (12.5, "invalid"),
        (Decimal("1000000000000.00"), "too_large"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_change_nothing(org, north_lead, value, code):
    with pytest.raises(ValidationError) as exc:
        lead_update(actor=org.user("rep_north"), lead=north_lead, estimated_amount=value)
    assert exc.value.error_dict["estimated_amount"][0].code == code
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount == Decimal("5000.00")
    assert audit_changes(north_lead) == []


def test_closed_leads_keep_their_value(org, north_lead):
    lead_disqualify(actor=org.user("rep_north"), lead=north_lead, reason="No budget")
    with pytest.raises(ValidationError, match="closed"):
        lead_update(actor=org.user("rep_north"), lead=north_lead, estimated_amount=Decimal("1.00"))
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount == Decimal("5000.00")


def test_update_needs_the_permission_and_the_lead_in_scope(org, north_lead):
    with pytest.raises(PermissionDenied):
        lead_update(actor=org.user("auditor"), lead=north_lead, estimated_amount=Decimal("1.00"))
    with pytest.raises(Lead.DoesNotExist):
        lead_update(actor=org.user("rep_south"), lead=north_lead, estimated_amount=Decimal("1.00"))
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount == Decimal("5000.00")
    assert audit_changes(north_lead) == []


# --- the edit page ----------------------------------------------------------------------------


def test_rep_edits_the_value_on_the_lead_edit_page(org, north_lead, client_for):
    client = client_for("rep_north")
    detail = client.get(reverse("leads:lead-detail", args=[north_lead.pk])).content.decode()
    assert reverse("leads:lead-edit", args=[north_lead.pk]) in detail
    page = client.get(reverse("leads:lead-edit", args=[north_lead.pk]))
    assert page.status_code == 200 and 'value="5000.00"' in page.content.decode()
    response = client.post(reverse("leads:lead-edit", args=[north_lead.pk]), {"estimated_amount": "7500.25"})
    assert response.status_code == 302 and response.url == reverse("leads:lead-detail", args=[north_lead.pk])
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount == Decimal("7500.25")
    shown = client.get(reverse("leads:lead-detail", args=[north_lead.pk])).content.decode()
    assert "Estimated value changed" in shown and "7500.25" in shown


def test_bad_value_on_the_edit_page_is_shown_and_changes_nothing(org, north_lead, client_for):
    response = client_for("rep_north").post(
        reverse("leads:lead-edit", args=[north_lead.pk]), {"estimated_amount": "-5"}
    )
    assert response.status_code == 400
    assert 'data-testid="lead-edit-form"' in response.content.decode()
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount == Decimal("5000.00")


def test_edit_page_denials(org, north_lead, client_for):
    url = reverse("leads:lead-edit", args=[north_lead.pk])
    # Another region's rep: the lead does not exist for them.
    assert client_for("rep_south").get(url).status_code == 404
    assert client_for("rep_south").post(url, {"estimated_amount": "1"}).status_code == 404
    # The auditor reads leads but changes none.
    assert client_for("auditor").post(url, {"estimated_amount": "1"}).status_code == 403
    detail = client_for("auditor").get(reverse("leads:lead-detail", args=[north_lead.pk])).content.decode()
    assert url not in detail
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount == Decimal("5000.00")


# --- the API ----------------------------------------------------------------------------------


def patch(client, lead, body):
    return client.patch(f"/api/v1/leads/{lead.pk}/", body, content_type="application/json")


def test_api_patch_changes_and_clears_the_value(org, north_lead, client_for):
    response = patch(client_for("rep_north"), north_lead, {"estimated_amount": "250000.00"})
    assert response.status_code == 200 and response.json()["estimated_amount"] == "250000.00"
    response = patch(client_for("rsm_north"), north_lead, {"estimated_amount": None})
    assert response.status_code == 200 and response.json()["estimated_amount"] is None
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount is None
    assert audit_changes(north_lead) == [
        {"estimated_amount": ["5000.00", "250000.00"]},
        {"estimated_amount": ["250000.00", None]},
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"estimated_amount": "-1"},
        {"estimated_amount": "1.234"},
        {"estimated_amount": "x"},
        {"email": "a@b.se"},
    ],
)
def test_api_patch_refuses_bad_input_naming_the_field(org, north_lead, client_for, body):
    response = patch(client_for("rep_north"), north_lead, body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(body)
    north_lead.refresh_from_db()
    assert (north_lead.estimated_amount, north_lead.email) == (Decimal("5000.00"), WEB_DATA["email"])


def test_api_patch_denials(org, north_lead, client_for):
    assert patch(client_for("rep_south"), north_lead, {"estimated_amount": "1.00"}).status_code == 404
    assert patch(client_for("auditor"), north_lead, {"estimated_amount": "1.00"}).status_code == 403
    assert patch(client_for("other_clerk"), north_lead, {"estimated_amount": "1.00"}).status_code == 403
    missing = Lead.objects.order_by("-pk").first().pk + 1000
    response = client_for("rep_north").patch(
        f"/api/v1/leads/{missing}/", {"estimated_amount": "1.00"}, content_type="application/json"
    )
    assert response.status_code == 404
    north_lead.refresh_from_db()
    assert north_lead.estimated_amount == Decimal("5000.00")


# --- import -----------------------------------------------------------------------------------

HEADER = "Namn;E-post;Postnummer;Värde\n"
MAPPING = {
    "contact_name": "Namn",
    "email": "E-post",
    "postal_code": "Postnummer",
    "estimated_amount": "Värde",
}


def upload(org, text: str | bytes, name: str = "leads.csv"):
    data = text.encode() if isinstance(text, str) else text
    return lead_import_upload(
        actor=org.user("rsm_north"), file=SimpleUploadedFile(name, data), legal_entity=org.company
    )


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("125000", Decimal("125000.00")),
        ("125 000,50", Decimal("125000.50")),
        ("1 234 567.5", Decimal("1234567.50")),
        ("1\u00a0234,05", Decimal("1234.05")),
        ("0", Decimal("0.00")),
        (" 12,3 ", Decimal("12.30")),
        ("", None),
    ],
)
def test_amount_cells_read_either_decimal_sign_and_spaces_between_thousands(cell, amount):
    assert parse_amount_cell(cell) == (amount, "")


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("-5", "negative"),
        ("\u22125,00", "negative"),  # U+2212 MINUS SIGN
        ("1,234.56", "digits"),
        ("12 34", "digits"),
        ("12.345", "two decimals"),
        ("abc", "digits"),
        ("SEK 100", "digits"),
        ("1e5", "digits"),
        ("1000000000000", "too large"),
    ],
)
def test_bad_amount_cells_are_problems(cell, problem):
    amount, message = parse_amount_cell(cell)
    assert amount is None and problem in message


def test_import_reads_the_estimated_value_column(org, leads, django_capture_on_commit_callbacks):
    rows = [
        "Anna A;anna@a.example;903 26;125 000,50",
        "Bo B;bo@b.example;972 31;4500.5",
        "Cia C;cia@c.example;211 22;",
    ]
    imp = upload(org, HEADER + "\n".join(rows) + "\n")
    assert imp.mapping["estimated_amount"] == "Värde"  # suggested from the header
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_start(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.DONE and imp.created_count == 3
    amounts = dict(Lead.objects.values_list("email", "estimated_amount"))
    assert amounts == {
        "anna@a.example": Decimal("125000.50"),
        "bo@b.example": Decimal("4500.50"),
        "cia@c.example": None,
    }


def test_import_with_bad_amounts_reports_line_and_column_and_imports_nothing(
    org, leads, django_capture_on_commit_callbacks, client_for
):
    rows = [
        "Anna A;anna@a.example;903 26;125 000,50",
        "Bo B;bo@b.example;972 31;-200",
        "Cia C;cia@c.example;211 22;1,234.50",
        "Dan D;not-an-email;211 22;12.345",
    ]
    imp = upload(org, HEADER + "\n".join(rows) + "\n")
    preview = lead_import_preview(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    assert {p.line: sorted(p.errors) for p in preview if p.errors} == {
        3: ["estimated_amount"],
        4: ["estimated_amount"],
        5: ["email", "estimated_amount"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_start(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.INVALID and imp.error_count == 4
    amount_errors = {e["line"]: e["message"] for e in imp.errors if e["field"] == "estimated_amount"}
    assert sorted(amount_errors) == [3, 4, 5]
    assert amount_errors[3] == "Column “Värde”, “-200”: The estimated value cannot be negative."
    assert "Column “Värde”, “1,234.50”" in amount_errors[4]
    assert "two decimals" in amount_errors[5]
    assert Lead.objects.count() == 0 and Party.objects.count() == 0
    page = client_for("rsm_north").get(reverse("leads:import-detail", args=[imp.pk])).content.decode()
    assert page.count('data-testid="import-row-error"') == 4 and "Column “Värde”, “-200”" in page


def test_xlsx_import_reads_numeric_and_text_amounts(org, leads, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Namn", "E-post", "Postnummer", "Värde"])
    sheet.append(["Anna A", "anna@a.example", "903 26", 150000])
    sheet.append(["Bo B", "bo@b.example", "972 31", 1234.5])
    sheet.append(["Cia C", "cia@c.example", "211 22", "2 500,75"])
    buffer = io.BytesIO()
    book.save(buffer)
    imp = upload(org, buffer.getvalue(), name="leads.xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        lead_import_start(actor=org.user("rsm_north"), lead_import=imp, mapping=MAPPING)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.DONE, imp.errors
    assert dict(Lead.objects.values_list("email", "estimated_amount")) == {
        "anna@a.example": Decimal("150000.00"),
        "bo@b.example": Decimal("1234.50"),
        "cia@c.example": Decimal("2500.75"),
    }
