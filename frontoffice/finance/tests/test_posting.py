"""Posting vouchers: standards, numbering, hashing, balances, approval and reversal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from frontoffice.finance.models import (
    AccountBalance,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PostingRejection,
)
from frontoffice.finance.services.periods import lock_date_set, posting_standards_set
from frontoffice.finance.services.posting import (
    journal_entries_post_batch,
    journal_entry_approve,
    journal_entry_post,
    journal_entry_reverse,
    parse_amount,
)
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.finance.tests.conftest import sale, voucher

pytestmark = pytest.mark.django_db


def balance(account: str) -> tuple[Decimal, Decimal]:
    rows = AccountBalance.objects.filter(account__number=account)
    return (
        sum((r.debit_amount for r in rows), Decimal("0.00")),
        sum((r.credit_amount for r in rows), Decimal("0.00")),
    )


def codes(exc: PostingRejected) -> list[str]:
    return sorted(v.code for v in exc.violations)


def test_posting_takes_the_next_number_of_its_series_and_updates_balances(org, ledger):
    clerk = org.user("clerk")
    first = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00"))
    second = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("250.00"))
    manual = journal_entry_post(
        actor=clerk, legal_entity=ledger, entry=voucher(("5010", "1000.00", None), ("1930", None, "1000.00"))
    )
    assert (first.reference, second.reference, manual.reference) == ("F1", "F2", "A1")
    assert first.status == JournalEntry.Status.POSTED
    assert first.total_amount == Decimal("125.00")
    assert balance("1930") == (Decimal("375.00"), Decimal("1000.00"))
    assert balance("3001") == (Decimal("0.00"), Decimal("300.00"))
    assert balance("2611") == (Decimal("0.00"), Decimal("75.00"))
    assert second.previous_hash == first.hash
    assert len(first.hash) == 64


def test_a_rejected_posting_lists_every_violated_standard_and_writes_nothing(org, ledger):
    clerk = org.user("clerk")
    LedgerAccount.objects.filter(number="5010").update(active=False)
    before = (JournalEntry.objects.count(), JournalLine.objects.count())
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(
            actor=clerk,
            legal_entity=ledger,
            entry=voucher(
                ("5010", "100.00", None),
                ("1510", None, "50.00"),
                ("9999", None, "10.00"),
                ("6110", "1.005", None),
                date=datetime.date(2027, 5, 1),
            ),
        )
    assert codes(excinfo.value) == [
        "amount_invalid",
        "control_account",
        "dimension_required",
        "inactive_account",
        "no_fiscal_year",
        "unknown_account",
    ]
    messages = {v.code: v for v in excinfo.value.violations}
    assert messages["unknown_account"].line == 3
    assert messages["control_account"].help_url.endswith("#standard-control_account")
    assert (JournalEntry.objects.count(), JournalLine.objects.count()) == before
    rejection = PostingRejection.objects.get()
    assert rejection.actor == clerk
    assert "unknown_account" in rejection.codes


def test_unbalanced_voucher_is_refused_with_the_difference(org, ledger):
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(
            actor=org.user("clerk"),
            legal_entity=ledger,
            entry=voucher(("5010", "100.00", None), ("1930", None, "99.99")),
        )
    assert codes(excinfo.value) == ["unbalanced"]
    assert "0.01" in excinfo.value.violations[0].message


@pytest.mark.parametrize("bad", [100.0, "12,5,0", "abc", "1.001", "-5.00", "0", True, "NaN", "Infinity"])
def test_malformed_amounts_are_refused(org, ledger, bad):
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(
            actor=org.user("clerk"),
            legal_entity=ledger,
            entry=voucher(("5010", bad, None), ("1930", None, "100.00")),
        )
    assert "amount_invalid" in codes(excinfo.value)
    assert JournalEntry.objects.count() == 0


def test_parse_amount_accepts_exact_decimals_and_refuses_floats():
    assert parse_amount("1 250.50") == Decimal("1250.50")
    assert parse_amount(Decimal("3")) == Decimal("3.00")
    assert parse_amount(7) == Decimal("7.00")
    assert parse_amount(7.5) is None
    assert parse_amount("7.555") is None
    # Too many digits to round to öre is not an amount (and not a crash).
    assert parse_amount("1e30") is None
    assert parse_amount("9" * 30) is None


def test_lock_dates_differ_by_role(org, ledger):
    manager = org.user("finance_manager")
    from frontoffice.org.models import Role

    lock_date_set(
        actor=manager,
        legal_entity=ledger,
        role=Role.objects.get(code="accounts_clerk"),
        locked_through=datetime.date(2026, 3, 31),
    )
    lock_date_set(actor=manager, legal_entity=ledger, locked_through=datetime.date(2026, 2, 28))
    march = voucher(("5010", "10.00", None), ("1930", None, "10.00"), date=datetime.date(2026, 3, 10))
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(actor=org.user("clerk"), legal_entity=ledger, entry=march)
    assert codes(excinfo.value) == ["period_locked"]
    posted = journal_entry_post(actor=manager, legal_entity=ledger, entry=march)
    assert posted.is_posted is True
    february = voucher(("5010", "10.00", None), ("1930", None, "10.00"), date=datetime.date(2026, 2, 10))
    with pytest.raises(PostingRejected):
        journal_entry_post(actor=manager, legal_entity=ledger, entry=february)


def test_four_eyes_above_the_limit_and_no_self_approval(org, ledger):
    manager = org.user("finance_manager")
    posting_standards_set(actor=manager, legal_entity=ledger, four_eyes_threshold_amount=Decimal("10000.00"))
    big = voucher(("5010", "20000.00", None), ("1930", None, "20000.00"))
    waiting = journal_entry_post(actor=manager, legal_entity=ledger, entry=big)
    assert waiting.status == JournalEntry.Status.AWAITING_APPROVAL
    assert waiting.number is None
    assert balance("5010") == (Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_approve(actor=manager, entry=waiting)
    assert codes(excinfo.value) == ["self_approval"]
    with pytest.raises(PermissionDenied):
        journal_entry_approve(actor=org.user("clerk"), entry=waiting)
    second_manager = org.user("admin")
    second_manager.is_superuser = True
    second_manager.save()
    posted = journal_entry_approve(actor=second_manager, entry=waiting)
    assert (posted.pk, posted.reference, posted.approved_by, posted.submitted_by) == (
        waiting.pk,
        "A1",
        second_manager,
        manager,
    )
    assert balance("5010") == (Decimal("20000.00"), Decimal("0.00"))
    small = journal_entry_post(
        actor=manager, legal_entity=ledger, entry=voucher(("5010", "5.00", None), ("1930", None, "5.00"))
    )
    assert small.reference == "A2"
    # System series (invoices) are not routed to approval.
    assert journal_entry_post(actor=manager, legal_entity=ledger, entry=sale("50000.00")).is_posted is True


def test_attachment_required_above_the_limit(org, ledger):
    manager = org.user("finance_manager")
    posting_standards_set(actor=manager, legal_entity=ledger, attachment_threshold_amount=Decimal("1000.00"))
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(
            actor=manager,
            legal_entity=ledger,
            entry=voucher(("5010", "1500.00", None), ("1930", None, "1500.00")),
        )
    assert codes(excinfo.value) == ["attachment_required"]
    posted = journal_entry_post(
        actor=manager,
        legal_entity=ledger,
        entry=voucher(("5010", "1500.00", None), ("1930", None, "1500.00"), attachment_count=1),
    )
    assert posted.is_posted is True


def test_series_restricted_to_roles(org, ledger):
    from frontoffice.finance.models import VoucherSeries
    from frontoffice.org.models import Role

    VoucherSeries.objects.get(legal_entity=ledger, code="R").allowed_roles.add(
        Role.objects.get(code="finance_manager")
    )
    entry = voucher(("5010", "10.00", None), ("1930", None, "10.00"), series="R")
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(actor=org.user("clerk"), legal_entity=ledger, entry=entry)
    assert codes(excinfo.value) == ["series_not_allowed"]
    assert (
        journal_entry_post(actor=org.user("finance_manager"), legal_entity=ledger, entry=entry).reference
        == "R1"
    )


def test_dimension_required_is_satisfied_by_an_existing_cost_centre(org, ledger):
    from frontoffice.finance.models import DimensionObject
    from frontoffice.finance.services.posting import EntryInput, LineInput

    DimensionObject.objects.create(legal_entity=ledger, kind="cost_centre", code="100", name="Kliniken")
    entry = EntryInput(
        series="A",
        date=datetime.date(2026, 4, 1),
        text="Pens",
        lines=[LineInput("6110", debit="80.00", cost_centre="100"), LineInput("1930", credit="80.00")],
    )
    posted = journal_entry_post(actor=org.user("clerk"), legal_entity=ledger, entry=entry)
    assert posted.lines.get(line_no=1).cost_centre.code == "100"


def test_permissions_and_legal_entity_are_checked(org, ledger):
    entry = voucher(("5010", "10.00", None), ("1930", None, "10.00"))
    for persona in ("auditor", "rep_north", "receptionist", "nobody"):
        with pytest.raises(PermissionDenied):
            journal_entry_post(actor=org.user(persona), legal_entity=ledger, entry=entry)
    with pytest.raises(PermissionDenied):
        journal_entry_post(actor=org.user("other_clerk"), legal_entity=ledger, entry=entry)
    assert JournalEntry.objects.count() == 0


def test_idempotency_key_returns_the_first_voucher(org, ledger):
    clerk = org.user("clerk")
    first = journal_entry_post(
        actor=clerk, legal_entity=ledger, entry=sale("125.00", idempotency_key="inv-1")
    )
    again = journal_entry_post(
        actor=clerk, legal_entity=ledger, entry=sale("125.00", idempotency_key="inv-1")
    )
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert balance("1930") == (Decimal("125.00"), Decimal("0.00"))


def test_reversal_swaps_sides_links_the_original_and_restores_balances(org, ledger):
    clerk = org.user("clerk")
    original = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00"))
    reversal = journal_entry_reverse(actor=clerk, entry=original)
    assert reversal.reverses == original
    assert reversal.reference == "F2"
    assert [(line.account.number, line.side, line.amount) for line in reversal.lines.order_by("line_no")] == [
        ("1930", "C", Decimal("125.00")),
        ("3001", "D", Decimal("100.00")),
        ("2611", "D", Decimal("25.00")),
    ]
    for account in ("1930", "3001", "2611"):
        debit, credit = balance(account)
        assert debit == credit
    with pytest.raises(ValidationError) as excinfo:
        journal_entry_reverse(actor=clerk, entry=original)
    assert excinfo.value.code == "already_reversed"


def test_posted_vouchers_cannot_be_changed_by_the_application(org, ledger):
    posted = journal_entry_post(actor=org.user("clerk"), legal_entity=ledger, entry=sale())
    posted.text = "Changed"
    with pytest.raises(RuntimeError, match="immutable"):
        posted.save()
    with pytest.raises(RuntimeError, match="immutable"):
        posted.delete()


def test_the_database_refuses_sql_updates_and_deletes_of_posted_rows(org, ledger):
    posted = journal_entry_post(actor=org.user("clerk"), legal_entity=ledger, entry=sale())
    line = posted.lines.first()
    statements = [
        ("UPDATE finance_journalline SET amount = 1 WHERE id = %s", line.pk),
        ("DELETE FROM finance_journalline WHERE id = %s", line.pk),
        ("UPDATE finance_journalentry SET text = 'x' WHERE id = %s", posted.pk),
        ("DELETE FROM finance_journalentry WHERE id = %s", posted.pk),
    ]
    for sql, pk in statements:
        with (
            pytest.raises(IntegrityError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [pk])
    line.refresh_from_db()
    assert line.amount == Decimal("125.00")


def test_batch_posting_is_all_or_nothing(org, ledger):
    clerk = org.user("clerk")
    good = [sale(str(n * 125) + ".00") for n in range(1, 4)]
    bad = voucher(("5010", "10.00", None), ("1930", None, "11.00"))
    with pytest.raises(ValidationError) as excinfo:
        journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=[*good, bad])
    assert list(excinfo.value.error_dict) == ["entries.3"]
    assert JournalEntry.objects.count() == 0
    posted = journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=good)
    assert [p.reference for p in posted] == ["F1", "F2", "F3"]
    assert [p.previous_hash for p in posted[1:]] == [p.hash for p in posted[:-1]]
    assert balance("1930") == (Decimal("750.00"), Decimal("0.00"))
