"""Property-based tests (hypothesis): whatever valid postings and reversals happen, in any
order, the ledger stays balanced, the kept balances equal the sum of the lines, the balance
sheet balances and the hash chains verify.

Each hypothesis example runs in a savepoint of the test's transaction and is rolled back at
the end (a sentinel exception), so examples start from the same empty ledger.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontoffice.finance.charts import bas
from frontoffice.finance.models import AccountBalance, AccountType, JournalEntry, JournalLine, LedgerAccount
from frontoffice.finance.services.posting import (
    EntryInput,
    LineInput,
    journal_entries_post_batch,
    journal_entry_post,
    journal_entry_reverse,
)
from frontoffice.finance.services.verify import ledger_verify

pytestmark = pytest.mark.django_db

# Accounts without a required dimension; manual series (A) may not post to control accounts.
ANY_ACCOUNT = sorted(number for number, *_rest, dimension in bas.ACCOUNTS if not dimension)
MANUAL_ACCOUNT = sorted(
    number
    for number, _sv, _en, _type, control, _vat, dimension in bas.ACCOUNTS
    if not dimension and not control
)
CENT = Decimal("0.01")
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Rollback(Exception):
    """Raised at the end of an example to undo it."""


@st.composite
def entries(draw) -> EntryInput:
    """A voucher of 2-5 lines with random accounts and amounts, balanced by construction:
    the debit amounts are drawn, and their total is cut into the credit amounts."""
    series = draw(st.sampled_from(["A", "F", "B"]))
    accounts = MANUAL_ACCOUNT if series == "A" else ANY_ACCOUNT
    size = draw(st.integers(min_value=2, max_value=5))
    debit_count = draw(st.integers(min_value=1, max_value=size - 1))
    credit_count = size - debit_count
    debits = draw(st.lists(st.integers(credit_count, 10_000_000), min_size=debit_count, max_size=debit_count))
    total = sum(debits)
    cuts = (
        sorted(
            draw(
                st.lists(
                    st.integers(1, total - 1),
                    min_size=credit_count - 1,
                    max_size=credit_count - 1,
                    unique=True,
                )
            )
        )
        if credit_count > 1
        else []
    )
    credits = [high - low for low, high in zip([0, *cuts], [*cuts, total], strict=True)]
    lines = [LineInput(account=draw(st.sampled_from(accounts)), debit=Decimal(c) * CENT) for c in debits]
    lines += [LineInput(account=draw(st.sampled_from(accounts)), credit=Decimal(c) * CENT) for c in credits]
    return EntryInput(
        series=series,
        date=draw(st.dates(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))),
        # Printable text: control characters (NUL above all) are not voucher text.
        text=draw(
            st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40).filter(str.strip)
        ),
        lines=draw(st.permutations(lines)),
    )


operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), entries()),
        st.tuples(st.just("batch"), st.lists(entries(), min_size=1, max_size=4)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=1000)),
    ),
    min_size=1,
    max_size=8,
)


def assert_ledger_invariants(legal_entity) -> None:
    lines = JournalLine.objects.filter(legal_entity=legal_entity, entry__status=JournalEntry.Status.POSTED)
    totals = lines.aggregate(
        debit=Sum("amount", filter=Q(side="D")), credit=Sum("amount", filter=Q(side="C"))
    )
    assert (totals["debit"] or 0) == (totals["credit"] or 0)

    # Trial balance: per account, the kept balances equal the sum of the lines.
    from_lines: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for number, side, amount in lines.values_list("account__number", "side", "amount"):
        from_lines[number][0 if side == "D" else 1] += amount
    kept: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for number, debit, credit in AccountBalance.objects.filter(legal_entity=legal_entity).values_list(
        "account__number", "debit_amount", "credit_amount"
    ):
        kept[number][0] += debit
        kept[number][1] += credit
    assert {k: v for k, v in kept.items() if v != [0, 0]} == dict(from_lines)

    # Balance sheet: assets = liabilities + equity + (income - expenses).
    by_type: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    types = dict(LedgerAccount.objects.filter(legal_entity=legal_entity).values_list("number", "type"))
    for number, (debit, credit) in kept.items():
        by_type[types[number]] += debit - credit  # debit-positive balance
    assets = by_type[AccountType.ASSET]
    liabilities, equity = -by_type[AccountType.LIABILITY], -by_type[AccountType.EQUITY]
    result = -by_type[AccountType.INCOME] - by_type[AccountType.EXPENSE]
    assert assets == liabilities + equity + result

    report = ledger_verify(legal_entity=legal_entity)
    assert report.problems == []


@HYPOTHESIS
@given(ops=operations)
def test_any_sequence_of_postings_and_reversals_keeps_the_ledger_balanced(org, ledger, ops):
    clerk = org.user("clerk")
    try:
        with transaction.atomic():
            posted: list[JournalEntry] = []
            reversed_ids: set[int] = set()
            for kind, payload in ops:
                if kind == "post":
                    posted.append(journal_entry_post(actor=clerk, legal_entity=ledger, entry=payload))
                elif kind == "batch":
                    posted += journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=payload)
                else:
                    candidates = [e for e in posted if e.pk not in reversed_ids]
                    if not candidates:
                        continue
                    original = candidates[payload % len(candidates)]
                    reversal = journal_entry_reverse(actor=clerk, entry=original)
                    assert reversal.reverses_id == original.pk
                    reversed_ids.add(original.pk)
                    posted.append(reversal)
            assert len(posted) == JournalEntry.objects.posted().count()
            assert_ledger_invariants(ledger)
            raise Rollback
    except Rollback:
        pass


@HYPOTHESIS
@given(batch=st.lists(entries(), min_size=1, max_size=6))
def test_posting_a_batch_or_one_by_one_gives_the_same_numbers_hashes_and_balances(org, ledger, batch):
    clerk = org.user("clerk")

    def balances() -> dict[tuple[str, int], tuple[Decimal, Decimal]]:
        return {
            (b.account.number, b.period.number): (b.debit_amount, b.credit_amount)
            for b in AccountBalance.objects.select_related("account", "period")
        }

    results = []
    for one_by_one in (False, True):
        try:
            with transaction.atomic():
                if one_by_one:
                    posted = [journal_entry_post(actor=clerk, legal_entity=ledger, entry=e) for e in batch]
                else:
                    posted = journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=batch)
                results.append(([p.reference for p in posted], [p.hash for p in posted], balances()))
                raise Rollback
        except Rollback:
            pass
    (batch_refs, batch_hashes, batch_balances), (single_refs, single_hashes, single_balances) = results
    assert batch_refs == single_refs
    assert batch_balances == single_balances
    # The hash covers content and chain position only, so both ways give the same chain.
    assert batch_hashes == single_hashes
