"""The posting service's short paths keep every invariant.

On PostgreSQL a single posting reads its context in one query and writes in one statement,
numbered from the series counter as read (``_post_unlocked``); when another posting moved the
counter in between, it posts again with the counter locked. These tests pin what must not
change whatever path a voucher takes: the context is read on every call, numbers stay
gapless, the hash chain and the balances verify, an idempotency key posts once, and the audit
entry is the one ``audit_record`` writes.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import (
    AccountBalance,
    JournalEntry,
    PostingRejection,
    SeriesCounter,
    VoucherSeries,
)
from frontoffice.finance.services import posting
from frontoffice.finance.services.periods import lock_date_set, posting_standards_set
from frontoffice.finance.services.posting import journal_entries_post_batch, journal_entry_post
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.finance.tests.conftest import sale, voucher

pytestmark = pytest.mark.django_db


def codes(exc: PostingRejected) -> list[str]:
    return sorted(v.code for v in exc.violations)


def balances_match_lines(ledger) -> bool:
    report = ledger_verify(legal_entity=ledger)
    return report.ok and not report.problems


def test_standards_lock_dates_and_series_roles_changed_between_two_calls_are_honoured(org, ledger):
    clerk, manager = org.user("clerk"), org.user("finance_manager")
    march = datetime.date(2026, 3, 10)
    assert journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00", date=march)).is_posted

    lock_date_set(actor=manager, legal_entity=ledger, locked_through=datetime.date(2026, 3, 31))
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00", date=march))
    assert codes(excinfo.value) == ["period_locked"]

    april = datetime.date(2026, 4, 2)
    posting_standards_set(actor=manager, legal_entity=ledger, attachment_threshold_amount=Decimal("100.00"))
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00", date=april))
    assert codes(excinfo.value) == ["attachment_required"]

    posting_standards_set(actor=manager, legal_entity=ledger, attachment_threshold_amount=None)
    series = VoucherSeries.objects.get(legal_entity=ledger, code="F")
    series.allowed_roles.set([manager.staff.role])
    with pytest.raises(PostingRejected) as excinfo:
        journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00", date=april))
    assert codes(excinfo.value) == ["series_not_allowed"]

    series.allowed_roles.clear()
    assert (
        journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00", date=april)).reference
        == "F2"
    )


def after_the_context_is_read(monkeypatch, action):
    """Run ``action`` once, right after the next posting call has read its context (as a
    concurrent call could); returns a list that then holds ``action``'s result."""
    read_context = posting.LedgerContext.prefetch
    results: list = []

    def prefetch_then_act(self, entries, **kwargs):
        read_context(self, entries, **kwargs)
        if not results:
            results.append(None)  # before acting: the action posts too
            results[0] = action()

    monkeypatch.setattr(posting.LedgerContext, "prefetch", prefetch_then_act)
    return results


def test_a_counter_moved_after_the_context_was_read_still_gives_the_next_number(org, ledger, monkeypatch):
    """Another posting lands between reading the context and writing: the voucher is written
    with the counter locked, takes the number after it, and chains to its hash."""
    clerk = org.user("clerk")
    first = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("100.00"))
    landed = after_the_context_is_read(
        monkeypatch, lambda: journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("200.00"))
    )
    third = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("300.00"))

    (second,) = landed
    assert [first.reference, second.reference, third.reference] == ["F1", "F2", "F3"]
    assert third.previous_hash == second.hash
    assert second.previous_hash == first.hash
    counter = SeriesCounter.objects.get(series__code="F", series__legal_entity=ledger)
    assert (counter.next_number, counter.last_hash) == (4, third.hash)
    bank = AccountBalance.objects.get(account__number="1930", period=third.period)
    assert bank.debit_amount == Decimal("600.00")
    assert balances_match_lines(ledger)


def test_a_concurrent_post_with_the_same_idempotency_key_returns_the_first_voucher(org, ledger, monkeypatch):
    """The key was free when the context was read, but another call posts under it before the
    write: the call returns that voucher and consumes no number."""
    clerk = org.user("clerk")
    keyed = sale("100.00", idempotency_key="k")
    winner = after_the_context_is_read(
        monkeypatch, lambda: journal_entry_post(actor=clerk, legal_entity=ledger, entry=keyed)
    )
    returned = journal_entry_post(actor=clerk, legal_entity=ledger, entry=keyed)
    monkeypatch.undo()

    assert returned.pk == winner[0].pk
    assert JournalEntry.objects.count() == 1
    assert journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("50.00")).reference == "F2"
    assert balances_match_lines(ledger)


def test_a_missing_counter_row_is_created_by_the_first_posting(org, ledger):
    clerk = org.user("clerk")
    SeriesCounter.objects.filter(series__code__in=["A", "F"], series__legal_entity=ledger).delete()
    first = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("100.00"))
    assert first.reference == "F1"
    manual = voucher(("5010", "80.00", None), ("1930", None, "80.00"))
    batch = journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=[manual, manual])
    assert [p.reference for p in batch] == ["A1", "A2"]
    counters = SeriesCounter.objects.filter(series__legal_entity=ledger, series__code__in=["A", "F"])
    assert sorted((c.series.code, c.next_number) for c in counters) == [("A", 3), ("F", 2)]
    assert balances_match_lines(ledger)


def test_the_audit_entries_are_those_audit_record_writes(org, ledger):
    clerk = org.user("clerk")
    single = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("100.00", text="Invoice 7"))
    batch = journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=[sale("100.00")])
    content_type = ContentType.objects.get_for_model(JournalEntry, for_concrete_model=False)
    entries = {
        e.object_id: e
        for e in AuditEntry.objects.filter(action="finance.voucher.posted", content_type=content_type)
    }
    assert set(entries) == {str(single.pk), str(batch[0].pk)}
    one, other = entries[str(single.pk)], entries[str(batch[0].pk)]
    assert (one.actor, one.object_repr, one.changes) == (clerk, "F1 Invoice 7", {"number": [None, "F1"]})
    assert (other.actor, other.object_repr) == (clerk, "F2 Test")
    assert other.changes == {"number": [None, "F2"], "batch": [None, True]}


def test_the_returned_voucher_is_the_stored_one(org, ledger):
    clerk = org.user("clerk")
    posted = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00"))
    stored = JournalEntry.objects.get(pk=posted.pk)
    fields = [f.attname for f in JournalEntry._meta.concrete_fields]
    assert {f: getattr(posted, f) for f in fields} == {f: getattr(stored, f) for f in fields}
    assert (posted.series.code, posted.period, posted.posted_by) == ("F", stored.period, clerk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_single_posting_is_two_statements_on_postgresql(org, ledger):
    """The context in one query, the voucher (lines, audit entry, balances, counter) in one."""
    clerk = org.user("clerk")
    journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("100.00"))
    with CaptureQueriesContext(connection) as captured:
        posted = journal_entry_post(
            actor=clerk, legal_entity=ledger, entry=voucher(("5010", "80.00", None), ("1930", None, "80.00"))
        )
    assert posted.reference == "A1"
    assert len(captured.captured_queries) == 2, [q["sql"][:60] for q in captured.captured_queries]
    assert balances_match_lines(ledger)


def test_a_batch_written_in_several_statements_numbers_hashes_and_balances_as_one(org, ledger, monkeypatch):
    monkeypatch.setattr(posting, "PIPELINE_CHUNK", 2)
    clerk = org.user("clerk")
    amounts = ["125.00", "250.00", "375.00", "500.00", "625.00"]
    posted = journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=[sale(a) for a in amounts])
    assert [p.reference for p in posted] == ["F1", "F2", "F3", "F4", "F5"]
    assert [p.previous_hash for p in posted[1:]] == [p.hash for p in posted[:-1]]
    assert [p.pk for p in posted] == list(
        JournalEntry.objects.filter(series__code="F").order_by("number").values_list("pk", flat=True)
    )
    bank = AccountBalance.objects.get(account__number="1930", period=posted[0].period)
    assert bank.debit_amount == Decimal("1875.00")
    counter = SeriesCounter.objects.get(series__code="F", series__legal_entity=ledger)
    assert (counter.next_number, counter.last_hash) == (6, posted[-1].hash)
    assert balances_match_lines(ledger)


def test_a_batch_failing_after_some_statements_were_sent_writes_nothing(org, ledger, monkeypatch):
    """The fourth and fifth vouchers break standards after the first chunks were written:
    both failures are reported, nothing stays written and no number is consumed."""
    monkeypatch.setattr(posting, "PIPELINE_CHUNK", 2)
    clerk = org.user("clerk")
    unbalanced = voucher(("1930", "10.00", None), ("3001", None, "11.00"), series="F")
    entries = [sale("125.00"), sale("250.00"), sale("375.00"), unbalanced, unbalanced]
    with pytest.raises(ValidationError) as excinfo:
        journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=entries)
    assert sorted(excinfo.value.error_dict) == ["entries.3", "entries.4"]
    assert JournalEntry.objects.count() == 0
    assert AccountBalance.objects.count() == 0
    assert PostingRejection.objects.count() == 2
    assert journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00")).reference == "F1"
    assert balances_match_lines(ledger)


def test_a_duplicate_idempotency_key_in_a_later_statement_rolls_the_batch_back(org, ledger, monkeypatch):
    monkeypatch.setattr(posting, "PIPELINE_CHUNK", 2)
    clerk = org.user("clerk")
    entries = [sale("125.00", idempotency_key="a"), sale("250.00"), sale("375.00", idempotency_key="a")]
    with pytest.raises(IntegrityError, match="idempotency"), transaction.atomic():
        journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=entries)
    assert JournalEntry.objects.count() == 0
    assert journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00")).reference == "F1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_posting_statements_are_prepared_unless_the_settings_say_not_to(org, ledger, settings):
    clerk = org.user("clerk")

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%WITH counters AS%%'"
            )
            return cursor.fetchone()[0]

    connection.close()  # a new connection: nothing prepared yet
    settings.FINANCE_PREPARED_STATEMENTS = False
    journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("100.00"))
    assert prepared() == 0
    settings.FINANCE_PREPARED_STATEMENTS = True
    journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("100.00"))
    assert prepared() == 1
    assert balances_match_lines(ledger)


def test_nothing_listens_to_the_init_signals_of_the_models_posting_builds():
    """The posting service builds these instances without ``Model.__init__`` (``_new_instance``),
    so a receiver of ``pre_init``/``post_init`` on them would silently not run."""
    from django.db.models import signals

    from frontoffice.finance.models import (
        DimensionObject,
        FiscalYear,
        LedgerAccount,
        Period,
        PostingStandards,
    )

    for model in (
        JournalEntry,
        VoucherSeries,
        Period,
        FiscalYear,
        LedgerAccount,
        DimensionObject,
        PostingStandards,
    ):
        assert not signals.pre_init.has_listeners(model), model
        assert not signals.post_init.has_listeners(model), model
