"""Report pages, exports, the VAT settlement button and the year-end close page, per persona."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from frontoffice.finance.models import FiscalYear, JournalEntry
from frontoffice.finance.tests.test_reports import books  # noqa: F401

pytestmark = pytest.mark.django_db
Q1 = "start=2026-01-01&end=2026-03-31"
PAGES = [
    "finance:report-index",
    "finance:report-trial-balance",
    "finance:report-income-statement",
    "finance:report-balance-sheet",
    "finance:report-vat",
]


@pytest.mark.parametrize("name", PAGES)
def test_auditor_reads_every_report(client_for, books, name):  # noqa: F811
    response = client_for("auditor").get(f"{reverse(name)}?{Q1}")
    assert response.status_code == 200


@pytest.mark.parametrize("name", [*PAGES, "finance:report-general-ledger"])
def test_sales_rep_is_forbidden(client_for, books, name):  # noqa: F811
    assert client_for("rep_north").get(f"{reverse(name)}?{Q1}").status_code == 403


def test_other_company_clerk_never_sees_the_first_company(client_for, org, books):  # noqa: F811
    client = client_for("other_clerk")
    # Their own company has no ledger: the report says so and shows nothing of the first one.
    response = client.get(f"{reverse('finance:report-trial-balance')}?{Q1}&legal_entity={books.pk}")
    assert response.status_code == 400
    assert b"3001" not in response.content
    assert b"148" not in response.content
    year = FiscalYear.objects.get(legal_entity=books)
    assert client.get(reverse("finance:fiscal-year-close", args=[year.pk])).status_code == 403


def test_admin_picks_the_legal_entity_and_other_entities_are_not_found(client_for, org, books):  # noqa: F811
    client = client_for("admin")
    ok = client.get(f"{reverse('finance:report-trial-balance')}?{Q1}&legal_entity={books.pk}")
    assert ok.status_code == 200
    assert ok.context["report"].debit_total == Decimal("148486.00")
    missing = client.get(f"{reverse('finance:report-trial-balance')}?{Q1}&legal_entity=999999")
    assert missing.status_code == 404


def test_trial_balance_page_links_every_figure_to_the_general_ledger(client_for, books):  # noqa: F811
    response = client_for("auditor").get(f"{reverse('finance:report-trial-balance')}?{Q1}")
    html = response.content.decode()
    gl = reverse("finance:report-general-ledger")
    assert f'href="{gl}?start=2026-01-01&amp;end=2026-03-31&amp;account=1930"' in html
    assert response.context["report"].debit_total == Decimal("148486.00")


def test_general_ledger_page_lists_the_accounts_lines(client_for, books):  # noqa: F811
    response = client_for("auditor").get(f"{reverse('finance:report-general-ledger')}?{Q1}&account=1930")
    assert response.status_code == 200
    assert [line.reference for line in response.context["report"].lines] == ["A1", "F2", "B2", "B3", "A2"]
    assert response.context["report"].closing == Decimal("57384.00")


def test_general_ledger_page_query_count_is_constant(client_for, org, books, django_assert_max_num_queries):  # noqa: F811
    from frontoffice.finance.tests.test_reports import _post_many

    client = client_for("auditor")
    url = f"{reverse('finance:report-general-ledger')}?{Q1}&account=3001"
    client.get(url)
    with django_assert_max_num_queries(25):
        client.get(url)
    _post_many(org, books, 150)
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert len(response.context["report"].lines) == 100


def test_default_range_is_the_current_year_to_date(client_for, books, time_machine):  # noqa: F811
    time_machine.move_to(datetime.datetime(2026, 2, 14, 12, tzinfo=datetime.UTC))
    response = client_for("auditor").get(reverse("finance:report-trial-balance"))
    report = response.context["report"]
    assert (report.range.start, report.range.end) == (datetime.date(2026, 1, 1), datetime.date(2026, 2, 14))


def test_fiscal_year_and_period_numbers_pick_the_range(client_for, books):  # noqa: F811
    year = FiscalYear.objects.get(legal_entity=books)
    response = client_for("auditor").get(
        f"{reverse('finance:report-income-statement')}?year={year.pk}&period_from=2&period_to=3"
    )
    report = response.context["report"]
    assert (report.range.start, report.range.end) == (datetime.date(2026, 2, 1), datetime.date(2026, 3, 31))
    assert report.result == Decimal("-43726.00")


def test_a_range_over_two_years_is_explained(client_for, books):  # noqa: F811
    response = client_for("auditor").get(
        f"{reverse('finance:report-balance-sheet')}?start=2026-01-01&end=2027-02-01"
    )
    assert response.status_code == 400
    assert "at most one fiscal year" in response.content.decode()


def test_csv_export_is_semicolon_separated_utf8_with_bom(client_for, books):  # noqa: F811
    response = client_for("auditor").get(f"{reverse('finance:report-trial-balance')}?{Q1}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="trial-balance-2026-01-01-2026-03-31.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["Account", "Opening balance", "Debit", "Credit", "Closing balance"]
    assert rows[-1] == ["Total", "0.00", "148486.00", "148486.00", "0.00"]


def test_csv_export_uses_a_decimal_comma_in_swedish(client_for, books):  # noqa: F811
    client = client_for("auditor")
    with translation.override("sv"):
        response = client.get(
            f"{reverse('finance:report-vat')}?{Q1}&format=csv", headers={"accept-language": "sv"}
        )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1][0] == "49"
    assert rows[-1][-1] == "-890,00"


def test_xlsx_export_opens_with_numbers_as_numbers(client_for, books):  # noqa: F811
    response = client_for("auditor").get(f"{reverse('finance:report-balance-sheet')}?{Q1}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Balance sheet"
    assert sheet["A2"].value == "Tandhälsan Norden AB"
    cash = next(row for row in sheet.iter_rows(min_row=6) if str(row[0].value).startswith("1930"))
    assert cash[3].value == 57384
    assert cash[3].number_format == "#,##0.00"


@pytest.mark.parametrize(
    "name",
    [
        "finance:report-trial-balance",
        "finance:report-income-statement",
        "finance:report-balance-sheet",
        "finance:report-vat",
    ],
)
def test_pdf_export_is_a_pdf(client_for, books, name):  # noqa: F811
    response = client_for("auditor").get(f"{reverse(name)}?{Q1}&format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_general_ledger_exports_every_line(client_for, books):  # noqa: F811
    response = client_for("auditor").get(
        f"{reverse('finance:report-general-ledger')}?{Q1}&account=1930&format=csv"
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[1] for r in rows[3:-1]] == ["A1", "F2", "B2", "B3", "A2"]
    assert rows[-1][-1] == "57384.00"


def test_finance_manager_posts_the_vat_settlement_from_the_vat_page(client_for, books):  # noqa: F811
    client = client_for("finance_manager")
    page = client.get(f"{reverse('finance:report-vat')}?{Q1}")
    assert b'data-testid="vat-settle"' in page.content
    response = client.post(reverse("finance:report-vat"), {"start": "2026-01-01", "end": "2026-03-31"})
    assert response.status_code == 302
    entry = JournalEntry.objects.get(series__code="M")
    assert entry.total_amount == Decimal("1200.00")
    again = client.post(
        reverse("finance:report-vat"), {"start": "2026-01-01", "end": "2026-03-31"}, follow=True
    )
    assert "already settled" in again.content.decode()
    assert JournalEntry.objects.filter(series__code="M").count() == 1


def test_auditor_sees_no_settlement_button_and_cannot_post_it(client_for, books):  # noqa: F811
    client = client_for("auditor")
    assert b'data-testid="vat-settle"' not in client.get(f"{reverse('finance:report-vat')}?{Q1}").content
    assert (
        client.post(reverse("finance:report-vat"), {"start": "2026-01-01", "end": "2026-03-31"}).status_code
        == 403
    )
    assert not JournalEntry.objects.filter(series__code="M").exists()


def test_year_end_close_page_confirms_then_closes(client_for, books):  # noqa: F811
    client = client_for("finance_manager")
    year = FiscalYear.objects.get(legal_entity=books)
    url = reverse("finance:fiscal-year-close", args=[year.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["plan"].result == Decimal("-42726.00")
    response = client.post(url)
    assert response.status_code == 302
    year.refresh_from_db()
    assert year.status == FiscalYear.Status.CLOSED
    again = client.post(url, follow=True)
    assert "already closed" in again.content.decode()


@pytest.mark.parametrize("persona", ["auditor", "clerk"])
def test_only_finance_managers_reach_the_year_end_close(client_for, books, persona):  # noqa: F811
    year = FiscalYear.objects.get(legal_entity=books)
    url = reverse("finance:fiscal-year-close", args=[year.pk])
    assert client_for(persona).get(url).status_code == 403
    assert client_for(persona).post(url).status_code == 403
    year.refresh_from_db()
    assert year.status == FiscalYear.Status.OPEN


def test_index_lists_reports_and_offers_finance_managers_the_year_end_close(client_for, books):  # noqa: F811
    year = FiscalYear.objects.get(legal_entity=books)
    manager_page = client_for("finance_manager").get(reverse("finance:report-index")).content.decode()
    assert reverse("finance:fiscal-year-close", args=[year.pk]) in manager_page
    assert reverse("finance:report-balance-sheet") in manager_page
    auditor_page = client_for("auditor").get(reverse("finance:report-index")).content.decode()
    assert reverse("finance:fiscal-year-close", args=[year.pk]) not in auditor_page
    assert reverse("finance:report-vat") in auditor_page


def test_report_pages_render_in_swedish(client_for, books):  # noqa: F811
    client = client_for("auditor")
    response = client.get(
        f"{reverse('finance:report-balance-sheet')}?{Q1}", headers={"accept-language": "sv"}
    )
    assert response.status_code == 200
    assert "57\xa0384,00" in response.content.decode()
