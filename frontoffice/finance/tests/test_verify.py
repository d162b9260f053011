"""``ledger_verify`` and ``frontoffice ledger``: tampering below the application is found and named.

The database refuses changes to posted rows, so each tampering test first switches the
immutability triggers off inside the test transaction, as an attacker with database rights
could (PostgreSQL: ``ALTER TABLE ... DISABLE TRIGGER USER``; SQLite: drop the triggers and
create them again), then checks that the ledger verification names the broken voucher.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from frontoffice.finance.models import AccountBalance, JournalEntry, JournalLine
from frontoffice.finance.services.posting import (
    entry_hash,
    journal_entries_post_batch,
    journal_entry_post,
    journal_entry_reverse,
)
from frontoffice.finance.services.verify import check_balances, ledger_verify
from frontoffice.finance.tests.conftest import sale, voucher

pytestmark = pytest.mark.django_db

TABLES = ("finance_journalentry", "finance_journalline")


@contextmanager
def triggers_disabled() -> Iterator[None]:
    """The immutability triggers are off inside the block (and back on afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses to run while deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                TABLES,
            )
            triggers = cursor.fetchall()
            assert len(triggers) == 4
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            for _name, sql in triggers:
                cursor.execute(sql)


def execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def posted(org, ledger) -> list[JournalEntry]:
    """Invoices F1-F3 and a manual voucher A1, posted through the service."""
    clerk = org.user("clerk")
    vouchers = journal_entries_post_batch(
        actor=clerk, legal_entity=ledger, entries=[sale("125.00"), sale("250.00"), sale("500.00")]
    )
    vouchers.append(
        journal_entry_post(
            actor=clerk, legal_entity=ledger, entry=voucher(("5010", "80.00", None), ("1930", None, "80.00"))
        )
    )
    return vouchers


def breaks(report) -> list[tuple[str, int, str]]:
    return [(b.series_code, b.number, b.reason) for b in report.breaks]


def test_an_intact_ledger_verifies(org, ledger, posted):
    """Batches, single postings and reversals all chain correctly; balances match the lines."""
    journal_entry_reverse(actor=org.user("clerk"), entry=posted[1], date=datetime.date(2026, 4, 2))
    report = ledger_verify(legal_entity=ledger)
    assert report.ok is True
    assert report.breaks == []
    assert report.drifts == []
    # A, F, B, R in 2026 (a counter each), five vouchers, and 1930/3001/2611/5010 in March and April.
    assert (report.series_checked, report.vouchers_checked) == (4, 5)
    assert report.balances_checked == 7


def test_the_command_prints_a_summary_and_exits_normally_on_an_intact_ledger(org, ledger, posted, capsys):
    call_command("ledger", "verify", "--legal-entity", org.company.organisation_number)
    out = capsys.readouterr().out
    assert out == ("Checked 4 series, 4 vouchers and 4 balances: 0 broken chain(s), 0 balance drift(s).\n")


def test_the_triggers_are_back_after_tampering(org, ledger, posted):
    with triggers_disabled():
        pass
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        execute("UPDATE finance_journalentry SET text = 'x' WHERE id = %s", [posted[0].pk])


def test_an_amount_edited_with_triggers_disabled_is_named(org, ledger, posted):
    """Changing a line amount breaks that voucher's hash; the balance no longer matches either."""
    line = JournalLine.objects.get(entry=posted[1], line_no=1)
    with triggers_disabled():
        execute("UPDATE finance_journalline SET amount = %s WHERE id = %s", [Decimal("25.00"), line.pk])
    report = ledger_verify(legal_entity=ledger)
    assert breaks(report) == [("F", 2, "hash does not match content")]
    assert report.breaks[0].code == "hash_mismatch"
    assert report.breaks[0].fiscal_year == "2026"
    assert [(d.account_number, d.period, d.lines_debit, d.stored_debit) for d in report.drifts] == [
        ("1930", "2026-03", Decimal("650.00"), Decimal("875.00"))
    ]


def test_an_edited_text_is_named(org, ledger, posted):
    with triggers_disabled():
        execute("UPDATE finance_journalentry SET text = %s WHERE id = %s", ["Nothing to see", posted[2].pk])
    report = ledger_verify(legal_entity=ledger)
    assert breaks(report) == [("F", 3, "hash does not match content")]
    assert report.drifts == []


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(org, ledger, posted):
    """Whoever rewrites a voucher and its hash still breaks the link from the voucher after it."""
    first = posted[0]
    first.text = "Rewritten"
    lines = list(JournalLine.objects.filter(entry=first).order_by("line_no"))
    forged = entry_hash(
        previous_hash=first.previous_hash,
        entry=first,
        lines=lines,
        series_code="F",
        account_numbers={line.account_id: line.account.number for line in lines},
        dim_codes={},
    )
    with triggers_disabled():
        execute(
            "UPDATE finance_journalentry SET text = %s, hash = %s WHERE id = %s",
            ["Rewritten", forged, first.pk],
        )
    assert breaks(ledger_verify(legal_entity=ledger)) == [("F", 2, "previous hash does not match")]


def test_a_deleted_voucher_shows_as_a_number_gap(org, ledger, posted):
    with triggers_disabled():
        execute("DELETE FROM finance_journalline WHERE entry_id = %s", [posted[1].pk])
        execute("DELETE FROM finance_journalentry WHERE id = %s", [posted[1].pk])
    report = ledger_verify(legal_entity=ledger)
    assert breaks(report) == [("F", 3, "number gap: expected 2, found 3")]
    assert report.breaks[0].code == "number_gap"
    assert {d.account_number for d in report.drifts} == {"1930", "3001", "2611"}


def test_a_deleted_last_voucher_disagrees_with_the_counter(org, ledger, posted):
    with triggers_disabled():
        execute("DELETE FROM finance_journalline WHERE entry_id = %s", [posted[3].pk])
        execute("DELETE FROM finance_journalentry WHERE id = %s", [posted[3].pk])
    report = ledger_verify(legal_entity=ledger, balances=False)
    assert breaks(report) == [("A", 0, "counter says next is 2 but last voucher is 0")]
    assert report.drifts == []


def test_only_the_first_broken_link_of_each_series_is_reported(org, ledger, posted):
    with triggers_disabled():
        for entry in (posted[1], posted[2], posted[3]):
            execute("UPDATE finance_journalentry SET text = %s WHERE id = %s", ["x", entry.pk])
    assert breaks(ledger_verify(legal_entity=ledger)) == [
        ("A", 1, "hash does not match content"),
        ("F", 2, "hash does not match content"),
    ]


def test_balance_drift_is_listed_by_check_balances(org, ledger, posted, capsys):
    AccountBalance.objects.filter(account__number="3001").update(credit_amount=Decimal("1.00"))
    report = check_balances(legal_entity=ledger)
    assert [
        (d.account_number, d.period, d.lines_credit, d.stored_credit, d.lines_debit, d.stored_debit)
        for d in report.drifts
    ] == [("3001", "2026-03", Decimal("700.00"), Decimal("1.00"), Decimal("0.00"), Decimal("0.00"))]
    assert report.breaks == []
    with pytest.raises(CommandError, match=r"The ledger has 1 problem\(s\)\.") as excinfo:
        call_command("ledger", "check-balances")
    assert excinfo.value.returncode == 1
    assert capsys.readouterr().out == (
        "Checked 4 balances: 1 balance drift(s).\n"
        "  Account 3001, period 2026-03: lines sum to debit 0.00 / credit 700.00, "
        "the balance says debit 0.00 / credit 1.00\n"
    )


def test_a_balance_row_without_lines_is_drift(org, ledger, posted):
    april = AccountBalance.objects.get(account__number="5010").period.fiscal_year.periods.get(number=4)
    AccountBalance.objects.create(
        legal_entity=ledger,
        account=AccountBalance.objects.get(account__number="5010").account,
        period=april,
        debit_amount=Decimal("10.00"),
        credit_amount=Decimal("0.00"),
    )
    report = check_balances(legal_entity=ledger)
    assert [(d.account_number, d.period, d.lines_debit, d.stored_debit) for d in report.drifts] == [
        ("5010", "2026-04", Decimal("0.00"), Decimal("10.00"))
    ]


def test_the_command_names_the_broken_voucher_and_exits_with_status_1(org, ledger, posted, capsys):
    with triggers_disabled():
        execute("UPDATE finance_journalentry SET text = %s WHERE id = %s", ["x", posted[0].pk])
    with pytest.raises(CommandError) as excinfo:
        call_command("ledger", "verify")
    assert excinfo.value.returncode == 1
    assert capsys.readouterr().out == (
        "Checked 4 series, 2 vouchers and 4 balances: 1 broken chain(s), 0 balance drift(s).\n"
        "  Series F, fiscal year 2026, voucher F1: hash does not match content\n"
    )


def test_verifying_another_legal_entity_ignores_this_ones_tampering(org, ledger, posted, capsys):
    with triggers_disabled():
        execute("UPDATE finance_journalentry SET text = %s WHERE id = %s", ["x", posted[0].pk])
    assert ledger_verify(legal_entity=org.other_company).ok is True
    call_command("ledger", "verify", "--legal-entity", org.other_company.organisation_number)
    assert capsys.readouterr().out.startswith("Checked 0 series, 0 vouchers and 0 balances:")


def test_an_unknown_organisation_number_is_an_error(org, ledger):
    with pytest.raises(CommandError, match="No legal entity has the organisation number 999999-9999"):
        call_command("ledger", "verify", "--legal-entity", "999999-9999")
