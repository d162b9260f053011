"""Ledger reports computed from account balances: exact figures, comparison, edges, scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404

from frontoffice.finance.models import JournalEntry, JournalLine
from frontoffice.finance.selectors.reports import (
    DateRange,
    balance_sheet,
    general_ledger,
    income_statement,
    shift_year,
    trial_balance,
)
from frontoffice.finance.services.periods import fiscal_year_create
from frontoffice.finance.services.posting import journal_entries_post_batch, journal_entry_post
from frontoffice.finance.tests.conftest import voucher

pytestmark = pytest.mark.django_db

D = Decimal
JAN1, MAR31 = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)


def post(org, ledger, *lines, series="A", date=datetime.date(2026, 3, 15), text="Test"):
    return journal_entry_post(
        actor=org.user("finance_manager"),
        legal_entity=ledger,
        entry=voucher(*lines, series=series, date=date, text=text),
    )


@pytest.fixture
def books(org, ledger):
    """A quarter of a small company: share capital, sales at 25 % and 12 %, a purchase, rent,
    salaries and a customer payment (all in 2026, Q1)."""
    post(
        org, ledger, ("1930", "100000.00", None), ("2081", None, "100000.00"), date=datetime.date(2026, 1, 2)
    )
    post(
        org,
        ledger,
        ("1510", "1250.00", None),
        ("3001", None, "1000.00"),
        ("2611", None, "250.00"),
        series="F",
        date=datetime.date(2026, 1, 15),
        text="Sale 25 %",
    )
    post(
        org,
        ledger,
        ("1930", "560.00", None),
        ("3002", None, "500.00"),
        ("2621", None, "60.00"),
        series="F",
        date=datetime.date(2026, 2, 10),
        text="Sale 12 %",
    )
    post(
        org,
        ledger,
        ("4010", "800.00", None),
        ("2641", "200.00", None),
        ("2440", None, "1000.00"),
        series="B",
        date=datetime.date(2026, 2, 20),
        text="Goods",
    )
    post(
        org,
        ledger,
        ("5010", "4000.00", None),
        ("2641", "1000.00", None),
        ("1930", None, "5000.00"),
        series="B",
        date=datetime.date(2026, 3, 5),
        text="Rent",
    )
    post(
        org,
        ledger,
        ("1930", "1250.00", None),
        ("1510", None, "1250.00"),
        series="B",
        date=datetime.date(2026, 3, 10),
        text="Payment",
    )
    post(
        org,
        ledger,
        ("7010", "30000.00", None),
        ("7510", "9426.00", None),
        ("1930", None, "39426.00"),
        date=datetime.date(2026, 3, 25),
        text="Salaries",
    )
    return ledger


def brute_force(start, end, **filters):
    """Debit minus credit per account number, summed over every posted line (the slow way)."""
    totals: dict[str, Decimal] = {}
    for line in JournalLine.objects.filter(
        date__gte=start, date__lte=end, entry__status=JournalEntry.Status.POSTED, **filters
    ).select_related("account"):
        sign = 1 if line.side == "D" else -1
        totals[line.account.number] = totals.get(line.account.number, D("0.00")) + sign * line.amount
    return totals


def test_trial_balance_totals_are_equal_and_equal_the_posted_lines(org, books):
    report = trial_balance(user=org.user("auditor"), start=JAN1, end=MAR31)
    assert report.debit_total == D("148486.00")
    assert report.credit_total == D("148486.00")
    assert report.balanced is True
    lines = JournalLine.objects.filter(entry__status="posted")
    assert report.debit_total == sum(line.amount for line in lines if line.side == "D")
    rows = {r.account.number: r for r in report.rows}
    assert rows["1930"].debit == D("101810.00")
    assert rows["1930"].credit == D("44426.00")
    assert rows["1930"].closing == D("57384.00")
    assert {n: r.closing for n, r in rows.items()} == brute_force(JAN1, MAR31)


def test_trial_balance_opening_carries_earlier_months_for_balance_sheet_and_result_accounts(org, books):
    report = trial_balance(user=org.user("auditor"), start=datetime.date(2026, 3, 1), end=MAR31)
    rows = {r.account.number: r for r in report.rows}
    assert rows["1930"].opening == D("100560.00")
    assert rows["3001"].opening == D("-1000.00")
    assert rows["3001"].debit == rows["3001"].credit == D("0.00")
    assert rows["7010"].opening == D("0.00")
    assert rows["7010"].closing == D("30000.00")


def test_income_statement_groups_bas_classes_and_computes_the_result(org, books):
    report = income_statement(user=org.user("auditor"), start=JAN1, end=MAR31)
    groups = {g.key: g for g in report.groups}
    assert groups["net_revenue"].total == D("1500.00")
    assert groups["goods"].total == D("-800.00")
    assert groups["other_external"].total == D("-4000.00")
    assert groups["personnel"].total == D("-39426.00")
    assert groups["other_operating_expenses"].subtotal == D("-42726.00")
    assert report.result == D("-42726.00")
    assert [r.account.number for r in groups["personnel"].rows] == ["7010", "7510"]


def test_balance_sheet_balances_with_the_years_result_in_equity(org, books):
    report = balance_sheet(user=org.user("auditor"), start=JAN1, end=MAR31)
    assert report.assets.closing_total == D("57384.00")
    assert report.equity.result_closing == D("-42726.00")
    assert report.equity.closing_total == D("57274.00")
    assert report.liabilities.closing_total == D("110.00")
    assert report.assets.closing_total == report.equity_and_liabilities
    assert report.balanced is True
    mid = balance_sheet(user=org.user("auditor"), start=datetime.date(2026, 3, 1), end=MAR31)
    assert mid.assets.opening_total == mid.equity.opening_total + mid.liabilities.opening_total
    assert mid.equity.result_opening == D("700.00")


def test_comparison_column_is_the_same_range_last_year(org, books):
    fiscal_year_create(
        actor=org.user("finance_manager"),
        legal_entity=books,
        start_on=datetime.date(2025, 1, 1),
        end_on=datetime.date(2025, 12, 31),
    )
    post(org, books, ("1930", "400.00", None), ("3004", None, "400.00"), date=datetime.date(2025, 2, 3))
    report = income_statement(user=org.user("auditor"), start=JAN1, end=MAR31)
    assert report.comparison_range == DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    assert report.comparison_result == D("400.00")
    rows = {r.account.number: r for g in report.groups for r in g.rows}
    assert rows["3004"].amount == D("0.00")
    assert rows["3004"].comparison == D("400.00")
    assert rows["3001"].comparison == D("0.00")
    sheet = balance_sheet(user=org.user("auditor"), start=JAN1, end=MAR31)
    assert sheet.assets.comparison_total == D("400.00")
    assert sheet.comparison_equity_and_liabilities == D("400.00")
    # 2026's 1930 carries 2025's movements while 2025 is open.
    assert sheet.assets.closing_total == D("57784.00")
    assert sheet.balanced is True


def test_comparison_is_empty_without_last_years_ledger(org, books):
    report = income_statement(user=org.user("auditor"), start=JAN1, end=MAR31)
    assert report.comparison_range is None
    assert report.comparison_result is None


def test_partial_month_range_uses_lines_for_the_edges_and_matches_the_lines(org, books):
    start, end = datetime.date(2026, 1, 10), datetime.date(2026, 3, 7)
    assert DateRange(start, end).edges() == (
        [(start, datetime.date(2026, 1, 31)), (datetime.date(2026, 3, 1), end)],
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )
    report = trial_balance(user=org.user("auditor"), start=start, end=end)
    moved = {r.account.number: r.debit - r.credit for r in report.rows if r.debit or r.credit}
    expected = {n: v for n, v in brute_force(start, end).items() if v}
    assert moved == expected
    opening = {r.account.number: r.opening for r in report.rows if r.opening}
    assert opening == {"1930": D("100000.00"), "2081": D("-100000.00")}


def test_a_range_inside_one_month_reads_only_that_months_lines(org, books):
    start, end = datetime.date(2026, 3, 6), datetime.date(2026, 3, 20)
    report = trial_balance(user=org.user("auditor"), start=start, end=end)
    assert {r.account.number: r.debit - r.credit for r in report.rows if r.debit or r.credit} == {
        "1930": D("1250.00"),
        "1510": D("-1250.00"),
    }


def test_general_ledger_lists_lines_with_a_running_balance_across_pages(org, books):
    first = general_ledger(user=org.user("auditor"), account="1930", start=JAN1, end=MAR31, per_page=2)
    assert first.opening == D("0.00")
    assert [(x.reference, x.balance) for x in first.lines] == [("A1", D("100000.00")), ("F2", D("100560.00"))]
    second = general_ledger(
        user=org.user("auditor"), account="1930", start=JAN1, end=MAR31, per_page=2, page=2
    )
    assert [(x.reference, x.debit, x.credit, x.balance) for x in second.lines] == [
        ("B2", D("0.00"), D("5000.00"), D("95560.00")),
        ("B3", D("1250.00"), D("0.00"), D("96810.00")),
    ]
    assert second.closing == D("57384.00")
    assert second.debit_total == D("101810.00")
    march = general_ledger(
        user=org.user("auditor"), account="1930", start=datetime.date(2026, 3, 6), end=MAR31
    )
    assert march.opening == D("95560.00")
    assert [x.balance for x in march.lines] == [D("96810.00"), D("57384.00")]


def test_general_ledger_of_an_unknown_account_is_not_found(org, books):
    with pytest.raises(Http404):
        general_ledger(user=org.user("auditor"), account="9999", start=JAN1, end=MAR31)


def test_report_range_must_lie_inside_one_fiscal_year(org, books):
    with pytest.raises(ValidationError) as exc:
        trial_balance(user=org.user("auditor"), start=JAN1, end=datetime.date(2027, 1, 31))
    assert exc.value.error_dict["end"][0].code == "range_spans_years"
    with pytest.raises(ValidationError) as exc:
        trial_balance(
            user=org.user("auditor"), start=datetime.date(2030, 1, 1), end=datetime.date(2030, 1, 2)
        )
    assert exc.value.error_dict["start"][0].code == "no_fiscal_year"


def test_reports_need_the_report_permission(org, books):
    with pytest.raises(PermissionDenied):
        trial_balance(user=org.user("rep_north"), start=JAN1, end=MAR31)


def test_another_legal_entitys_ledger_is_not_found(org, books):
    with pytest.raises(Http404):
        trial_balance(user=org.user("other_clerk"), legal_entity=books, start=JAN1, end=MAR31)
    with pytest.raises(Http404):
        # Their own company has no ledger yet: no fiscal year, so no report.
        balance_sheet(user=org.user("other_clerk"), legal_entity=org.company.pk + 999, start=JAN1, end=MAR31)


def test_organisation_scope_users_pick_the_legal_entity(org, books):
    report = trial_balance(user=org.user("admin"), legal_entity=books.pk, start=JAN1, end=MAR31)
    assert report.debit_total == D("148486.00")


def test_shift_year_keeps_month_ends():
    assert shift_year(datetime.date(2024, 2, 29)) == datetime.date(2023, 2, 28)
    assert shift_year(datetime.date(2025, 2, 28)) == datetime.date(2024, 2, 29)
    assert shift_year(datetime.date(2026, 3, 15)) == datetime.date(2025, 3, 15)


def _post_many(org, ledger, count):
    entries = [
        voucher(
            ("1930", "125.00", None),
            ("3001", None, "100.00"),
            ("2611", None, "25.00"),
            series="F",
            date=datetime.date(2026, 1 + i % 3, 1 + i % 28),
        )
        for i in range(count)
    ]
    journal_entries_post_batch(actor=org.user("finance_manager"), legal_entity=ledger, entries=entries)


@pytest.mark.parametrize("report", [trial_balance, balance_sheet, income_statement])
def test_report_query_count_does_not_grow_with_vouchers(org, ledger, report, django_assert_num_queries):
    """Ten or two hundred vouchers: the same number of queries (and balances, not lines)."""
    _post_many(org, ledger, 10)
    user = org.user("auditor")
    start, end = datetime.date(2026, 1, 5), datetime.date(2026, 3, 20)
    report(user=user, start=start, end=end)  # warms the permission and scope caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        report(user=user, start=start, end=end)
    _post_many(org, ledger, 190)
    with django_assert_num_queries(len(few.captured_queries)):
        report(user=user, start=start, end=end)


def test_lines_filtered_by_q_for_brute_force_helper_are_posted_only(org, books):
    """Drafts never reach a report: a voucher awaiting approval is not in the trial balance."""
    from frontoffice.finance.services.periods import posting_standards_set

    posting_standards_set(
        actor=org.user("finance_manager"), legal_entity=books, four_eyes_threshold_amount=D("10")
    )
    waiting = post(
        org, books, ("5010", "50.00", None), ("1930", None, "50.00"), date=datetime.date(2026, 3, 3)
    )
    assert waiting.status == JournalEntry.Status.AWAITING_APPROVAL
    report = trial_balance(user=org.user("auditor"), start=datetime.date(2026, 3, 2), end=MAR31)
    assert report.debit_total == D("45676.00")
    assert JournalLine.objects.filter(Q(entry=waiting)).count() == 2
