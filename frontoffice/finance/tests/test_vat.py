"""The Swedish VAT return boxes and the VAT settlement voucher."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import AccountBalance, JournalEntry, VoucherSeries
from frontoffice.finance.selectors.reports import vat_return
from frontoffice.finance.services.closing import vat_settlement_post
from frontoffice.finance.services.posting import journal_entry_reverse
from frontoffice.finance.tests.test_reports import JAN1, MAR31, books, post  # noqa: F401

pytestmark = pytest.mark.django_db
D = Decimal


def net(account: str) -> Decimal:
    rows = AccountBalance.objects.filter(account__number=account)
    return sum((r.debit_amount - r.credit_amount for r in rows), D("0.00"))


def test_vat_return_boxes_are_exact_with_their_accounts(org, books):  # noqa: F811
    report = vat_return(user=org.user("auditor"), start=JAN1, end=MAR31)
    boxes = {b.number: b.amount for b in report.boxes if b.amount}
    assert boxes == {
        "05": D("1500.00"),
        "10": D("250.00"),
        "11": D("60.00"),
        "48": D("1200.00"),
    }
    assert [(a.number, amount) for a, amount in report.box("05").accounts] == [
        ("3001", D("1000.00")),
        ("3002", D("500.00")),
    ]
    assert [(a.number, amount) for a, amount in report.box("48").accounts] == [("2641", D("1200.00"))]
    assert report.output_vat == D("310.00")
    assert report.input_vat == D("1200.00")
    assert report.payable == D("-890.00")


def test_vat_return_of_one_month_counts_only_that_month(org, books):  # noqa: F811
    report = vat_return(
        user=org.user("auditor"), start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28)
    )
    assert report.box("05").amount == D("500.00")
    assert report.box("11").amount == D("60.00")
    assert report.box("10").amount == D("0.00")
    assert report.payable == D("-140.00")


def test_settlement_voucher_empties_the_vat_accounts_into_2650(org, books):  # noqa: F811
    entry = vat_settlement_post(actor=org.user("finance_manager"), legal_entity=books, start=JAN1, end=MAR31)
    assert entry.status == JournalEntry.Status.POSTED
    assert entry.reference == "M1"
    assert entry.date == MAR31
    assert VoucherSeries.objects.get(legal_entity=books, code="M").is_manual is False
    lines = sorted((line.account.number, line.side, line.amount) for line in entry.lines.all())
    assert lines == [
        ("2611", "D", D("250.00")),
        ("2621", "D", D("60.00")),
        ("2641", "C", D("1200.00")),
        ("2650", "D", D("890.00")),
    ]
    assert (net("2611"), net("2621"), net("2641"), net("2650")) == (D("0"), D("0"), D("0"), D("890.00"))
    assert AuditEntry.objects.filter(action="finance.vat.settled", object_id=str(entry.pk)).count() == 1
    # The return still shows the period's figures: the settlement is not part of it.
    report = vat_return(user=org.user("auditor"), start=JAN1, end=MAR31)
    assert report.box("10").amount == D("250.00")
    assert report.payable == D("-890.00")


def test_settling_a_period_twice_is_refused_until_the_settlement_is_reversed(org, books):  # noqa: F811
    manager = org.user("finance_manager")
    first = vat_settlement_post(actor=manager, legal_entity=books, start=JAN1, end=MAR31)
    with pytest.raises(ValidationError) as exc:
        vat_settlement_post(actor=manager, legal_entity=books, start=JAN1, end=MAR31)
    assert exc.value.code == "already_settled"
    assert "M1" in exc.value.message
    journal_entry_reverse(actor=manager, entry=first)
    again = vat_settlement_post(actor=manager, legal_entity=books, start=JAN1, end=MAR31)
    assert again.reference == "M3"
    assert net("2650") == D("890.00")


def test_a_period_without_vat_has_nothing_to_settle(org, books):  # noqa: F811
    with pytest.raises(ValidationError) as exc:
        vat_settlement_post(
            actor=org.user("finance_manager"),
            legal_entity=books,
            start=datetime.date(2026, 4, 1),
            end=datetime.date(2026, 4, 30),
        )
    assert exc.value.code == "nothing_to_settle"
    assert not JournalEntry.objects.filter(series__code="M").exists()


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "other_clerk"])
def test_only_finance_managers_of_the_company_settle_vat(org, books, persona):  # noqa: F811
    with pytest.raises(PermissionDenied):
        vat_settlement_post(actor=org.user(persona), legal_entity=books, start=JAN1, end=MAR31)
    assert not JournalEntry.objects.filter(series__code="M").exists()


def test_output_vat_on_a_sale_posted_with_the_post_helper_reaches_box_10(org, books):  # noqa: F811
    post(
        org,
        books,
        ("1930", "500.00", None),
        ("3001", None, "400.00"),
        ("2611", None, "100.00"),
        series="F",
        date=datetime.date(2026, 3, 31),
    )
    report = vat_return(user=org.user("auditor"), start=datetime.date(2026, 3, 1), end=MAR31)
    assert report.box("05").amount == D("400.00")
    assert report.box("10").amount == D("100.00")
    assert report.payable == D("-900.00")
