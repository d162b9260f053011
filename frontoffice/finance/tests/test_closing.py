"""Year-end close: the closing voucher, next year's opening balances, refusals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import AccountBalance, FiscalYear, JournalEntry
from frontoffice.finance.selectors.reports import (
    balance_sheet,
    fiscal_year_close_preview,
    income_statement,
    trial_balance,
)
from frontoffice.finance.services.closing import fiscal_year_close
from frontoffice.finance.services.periods import posting_standards_set
from frontoffice.finance.tests.test_reports import JAN1, books, post  # noqa: F401

pytestmark = pytest.mark.django_db
D = Decimal
DEC31 = datetime.date(2026, 12, 31)


def year_2026(org):
    return FiscalYear.objects.get(legal_entity=org.company, start_on=JAN1)


def test_preview_shows_the_result_to_be_booked(org, books):  # noqa: F811
    plan = fiscal_year_close_preview(user=org.user("finance_manager"), fiscal_year=year_2026(org))
    assert plan.result == D("-42726.00")
    assert [(a.number, d, c) for a, d, c in plan.lines] == [
        ("2099", D("42726.00"), D("0.00")),
        ("8999", D("0.00"), D("42726.00")),
    ]
    assert plan.problems == []


def test_closing_books_the_result_and_opens_next_years_balances(org, books):  # noqa: F811
    manager = org.user("finance_manager")
    closing_sheet = balance_sheet(user=manager, start=JAN1, end=DEC31)
    year = fiscal_year_close(actor=manager, fiscal_year=year_2026(org))
    assert year.status == FiscalYear.Status.CLOSED
    assert year.closed_by == manager
    assert year.closed_at is not None
    voucher = JournalEntry.objects.get(series__code="Y")
    assert voucher.reference == "Y1"
    assert voucher.date == DEC31
    assert sorted((line.account.number, line.side, line.amount) for line in voucher.lines.all()) == [
        ("2099", "D", D("42726.00")),
        ("8999", "C", D("42726.00")),
    ]
    next_year = FiscalYear.objects.get(legal_entity=books, start_on=datetime.date(2027, 1, 1))
    assert next_year.end_on == datetime.date(2027, 12, 31)
    assert next_year.periods.count() == 13
    opening = {
        b.account.number: b.debit_amount - b.credit_amount
        for b in AccountBalance.objects.filter(period__fiscal_year=next_year, period__number=0)
    }
    assert opening == {
        "1930": D("57384.00"),
        "2081": D("-100000.00"),
        "2091": D("42726.00"),
        "2440": D("-1000.00"),
        "2611": D("-250.00"),
        "2621": D("-60.00"),
        "2641": D("1200.00"),
    }
    # The income statement still shows the year's result; the balance sheet still balances.
    assert income_statement(user=manager, start=JAN1, end=DEC31).result == D("-42726.00")
    after = balance_sheet(user=manager, start=JAN1, end=DEC31)
    assert after.balanced is True
    assert after.equity.result_closing == D("0.00")
    assert after.assets.closing_total == closing_sheet.assets.closing_total
    # Next year's opening trial balance equals this year's closing balance sheet.
    next_tb = trial_balance(user=manager, start=datetime.date(2027, 1, 1), end=datetime.date(2027, 1, 31))
    assert {r.account.number: r.opening for r in next_tb.rows} == opening
    assert sum(r.opening for r in next_tb.rows if r.account.type == "asset") == after.assets.closing_total
    next_sheet = balance_sheet(user=manager, start=datetime.date(2027, 1, 1), end=datetime.date(2027, 1, 31))
    assert next_sheet.assets.opening_total == after.assets.closing_total
    assert next_sheet.equity.opening_total == after.equity.closing_total
    assert next_sheet.balanced is True
    audit = AuditEntry.objects.get(action="finance.fiscal_year.closed")
    assert audit.changes["result"] == [None, "-42726.00"]
    assert audit.changes["closing_voucher"] == [None, "Y1"]


def test_closing_twice_is_refused_with_a_clear_error(org, books):  # noqa: F811
    manager = org.user("finance_manager")
    fiscal_year_close(actor=manager, fiscal_year=year_2026(org))
    with pytest.raises(ValidationError) as exc:
        fiscal_year_close(actor=manager, fiscal_year=year_2026(org))
    assert [e.code for e in exc.value.error_list] == ["already_closed"]
    assert JournalEntry.objects.filter(series__code="Y").count() == 1


def test_a_closed_year_takes_no_more_postings(org, books):  # noqa: F811
    from frontoffice.finance.services.standards import PostingRejected

    fiscal_year_close(actor=org.user("finance_manager"), fiscal_year=year_2026(org))
    with pytest.raises(PostingRejected) as exc:
        post(org, books, ("5010", "10.00", None), ("1930", None, "10.00"), date=datetime.date(2026, 6, 1))
    assert [v.code for v in exc.value.violations] == ["year_closed"]


def test_closing_is_refused_while_vouchers_await_approval(org, books):  # noqa: F811
    manager = org.user("finance_manager")
    posting_standards_set(actor=manager, legal_entity=books, four_eyes_threshold_amount=D("10.00"))
    post(org, books, ("5010", "50.00", None), ("1930", None, "50.00"), date=datetime.date(2026, 5, 5))
    with pytest.raises(ValidationError) as exc:
        fiscal_year_close(actor=manager, fiscal_year=year_2026(org))
    assert [e.code for e in exc.value.error_list] == ["awaiting_approval"]
    assert year_2026(org).status == FiscalYear.Status.OPEN
    assert not FiscalYear.objects.filter(start_on=datetime.date(2027, 1, 1)).exists()


def test_a_later_year_waits_for_the_earlier_one(org, books):  # noqa: F811
    manager = org.user("finance_manager")
    fiscal_year_close(actor=manager, fiscal_year=year_2026(org))
    from frontoffice.finance.services.periods import fiscal_year_create

    fiscal_year_create(
        actor=manager,
        legal_entity=books,
        start_on=datetime.date(2025, 1, 1),
        end_on=datetime.date(2025, 12, 31),
    )
    year_2027 = FiscalYear.objects.get(legal_entity=books, start_on=datetime.date(2027, 1, 1))
    with pytest.raises(ValidationError) as exc:
        fiscal_year_close(actor=manager, fiscal_year=year_2027)
    assert [e.code for e in exc.value.error_list] == ["earlier_year_open"]


@pytest.mark.parametrize("persona", ["clerk", "auditor", "other_clerk", "rep_north"])
def test_only_finance_managers_of_the_company_close_the_year(org, books, persona):  # noqa: F811
    with pytest.raises(PermissionDenied):
        fiscal_year_close(actor=org.user(persona), fiscal_year=year_2026(org))
    assert year_2026(org).status == FiscalYear.Status.OPEN


def test_generic_chart_closes_each_result_account_into_the_result_account(org):
    from frontoffice.finance.services.chart import ledger_setup
    from frontoffice.org.models import User

    manager = User.objects.create_superuser(username="root", email="root@example.com", password="x")
    ledger_setup(
        actor=manager,
        legal_entity=org.other_company,
        template="generic",
        first_year_start=datetime.date(2026, 1, 1),
    )
    from frontoffice.finance.services.posting import journal_entry_post
    from frontoffice.finance.tests.conftest import voucher

    journal_entry_post(
        actor=manager,
        legal_entity=org.other_company,
        entry=voucher(("1010", "900.00", None), ("4000", None, "1000.00"), ("6200", "100.00", None)),
    )
    year = FiscalYear.objects.get(legal_entity=org.other_company, start_on=JAN1)
    plan = fiscal_year_close_preview(user=manager, fiscal_year=year)
    assert plan.result == D("900.00")
    assert [(a.number, d, c) for a, d, c in plan.lines] == [
        ("4000", D("1000.00"), D("0.00")),
        ("6200", D("0.00"), D("100.00")),
        ("3200", D("0.00"), D("900.00")),
    ]
    fiscal_year_close(actor=manager, fiscal_year=year)
    opening = {
        b.account.number: b.debit_amount - b.credit_amount
        for b in AccountBalance.objects.filter(
            legal_entity=org.other_company,
            period__number=0,
            period__fiscal_year__start_on=datetime.date(2027, 1, 1),
        )
    }
    assert opening == {"1010": D("900.00"), "3100": D("-900.00")}
