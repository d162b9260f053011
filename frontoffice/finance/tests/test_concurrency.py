"""Gapless numbering under real concurrency: several OS processes post to one series at once.

Each child process is a separate Python interpreter with its own Django set-up and its own
database connection to the TEST database (passed as DATABASE_URL), so the series counter's
row lock is what keeps the numbers gapless, not anything shared in memory.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db.models import Q, Sum

from frontoffice.finance.models import AccountBalance, JournalEntry, JournalLine, PostingRejection
from frontoffice.finance.services.posting import journal_entries_post_batch, journal_entry_post
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.finance.tests.conftest import sale, voucher

ROOT = Path(__file__).resolve().parents[3]
SINGLE_PROCESSES = 7
PER_PROCESS = 25
BATCHES, BATCH_SIZE = 5, 5

# One poster: waits for "go" on stdin (so all start together), then posts. Mode "single"
# posts PER_PROCESS vouchers one transaction each, with a rejected (unbalanced) attempt every
# tenth voucher; mode "batch" posts BATCHES batches, the second of which is rejected mid-way.
CHILD = r"""
import datetime, os, sys
from decimal import Decimal
import django
django.setup()
from django.core.exceptions import ValidationError
from frontoffice.finance.services.posting import EntryInput, LineInput
from frontoffice.finance.services.posting import journal_entries_post_batch, journal_entry_post
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.org.models import LegalEntity, User

mode, worker, count, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
user = User.objects.get(username="clerk")
company = LegalEntity.objects.get(pk=int(sys.argv[5]))

def sale(n, balanced=True):
    net = Decimal(100 + worker * 1000 + n) + Decimal("0.25")
    vat = (net / 4).quantize(Decimal("0.01"))
    credit = vat if balanced else vat + 1
    return EntryInput(
        series="F",
        date=datetime.date(2026, 3 + n % 3, 1 + worker),
        text=f"worker {worker} voucher {n}",
        lines=[LineInput("1930", debit=net + vat), LineInput("3001", credit=net), LineInput("2611", credit=credit)],
    )

print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
posted = 0
if mode == "single":
    for n in range(count):
        if n % 10 == 5:
            try:
                journal_entry_post(actor=user, legal_entity=company, entry=sale(n, balanced=False))
            except PostingRejected:
                pass
            else:
                raise SystemExit("an unbalanced voucher was posted")
        journal_entry_post(actor=user, legal_entity=company, entry=sale(n))
        posted += 1
else:
    for b in range(batches):
        entries = [sale(b * count + i, balanced=not (b == 1 and i == 2)) for i in range(count)]
        try:
            posted += len(journal_entries_post_batch(actor=user, legal_entity=company, entries=entries))
        except ValidationError:
            assert b == 1
print(f"posted {posted}", flush=True)
"""


def child_database_url() -> str:
    settings = connection.settings_dict
    user = quote(settings.get("USER") or "")
    password = settings.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


def start_poster(mode: str, worker: int, count: int, batches: int, legal_entity_id: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, mode, str(worker), str(count), str(batches), str(legal_entity_id)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sums_of_lines() -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    return {
        (row["account_id"], row["period_id"]): (
            row["debit"] or Decimal("0.00"),
            row["credit"] or Decimal("0.00"),
        )
        for row in JournalLine.objects.filter(entry__status=JournalEntry.Status.POSTED)
        .values("account_id", "period_id")
        .annotate(debit=Sum("amount", filter=Q(side="D")), credit=Sum("amount", filter=Q(side="C")))
        .order_by()
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_processes_posting_to_one_series_get_gapless_unique_numbers(org, ledger):
    """7 processes post 25 vouchers each (with rejected attempts in between) and one posts
    batches (one rejected mid-way), all at once into series F: numbers are exactly 1..200,
    the hash chain verifies and every balance equals the sum of its lines."""
    posters = [start_poster("single", w, PER_PROCESS, 0, ledger.pk) for w in range(SINGLE_PROCESSES)]
    posters.append(start_poster("batch", SINGLE_PROCESSES, BATCH_SIZE, BATCHES, ledger.pk))
    try:
        for poster in posters:
            assert poster.stdout.readline().strip() == "ready", poster.stderr.read()
        for poster in posters:
            poster.stdin.write("go\n")
            poster.stdin.flush()
        outputs = [poster.communicate(timeout=60) for poster in posters]
    finally:
        for poster in posters:
            if poster.poll() is None:
                poster.kill()
    assert [poster.returncode for poster in posters] == [0] * len(posters), [err for _out, err in outputs]
    expected = SINGLE_PROCESSES * PER_PROCESS + (BATCHES - 1) * BATCH_SIZE
    assert [out.strip() for out, _err in outputs] == (
        [f"posted {PER_PROCESS}"] * SINGLE_PROCESSES + [f"posted {(BATCHES - 1) * BATCH_SIZE}"]
    )

    numbers = list(
        JournalEntry.objects.posted()
        .filter(series__code="F")
        .order_by("number")
        .values_list("number", flat=True)
    )
    assert numbers == list(range(1, expected + 1))
    assert JournalEntry.objects.count() == expected
    # Every rejected attempt was recorded: 2 per single poster (n = 5, 15) and one batch.
    assert PostingRejection.objects.count() == SINGLE_PROCESSES * 2 + 1

    report = ledger_verify(legal_entity=ledger)
    assert report.problems == []
    assert report.vouchers_checked == expected

    stored = {
        (b.account_id, b.period_id): (b.debit_amount, b.credit_amount)
        for b in AccountBalance.objects.filter(period__number__gt=0)
    }
    assert stored == sums_of_lines()
    debit = sum((d for d, _c in stored.values()), Decimal("0.00"))
    credit = sum((c for _d, c in stored.values()), Decimal("0.00"))
    assert debit == credit > 0


def test_a_batch_rejected_mid_way_consumes_no_numbers(org, ledger):
    """The third voucher of five breaks a standard: nothing is written, no number is taken,
    and the next posting in the series still gets number 1."""
    clerk = org.user("clerk")
    entries = [
        sale("125.00"),
        sale("250.00"),
        voucher(("5010", "10.00", None), ("1930", None, "11.00"), series="F"),
    ]
    entries += [sale("375.00"), sale("500.00")]
    with pytest.raises(ValidationError) as excinfo:
        journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=entries)
    assert list(excinfo.value.error_dict) == ["entries.2"]
    assert JournalEntry.objects.count() == 0
    assert AccountBalance.objects.count() == 0
    posted = journal_entry_post(actor=clerk, legal_entity=ledger, entry=sale("125.00"))
    assert posted.reference == "F1"
    assert posted.previous_hash == ""
    assert ledger_verify(legal_entity=ledger).ok is True


def test_a_posting_failing_inside_its_transaction_consumes_no_number(org, ledger):
    """A voucher that passes the standards but fails while being written (here: a second
    voucher with the same idempotency key in one batch) rolls back its number as well."""
    clerk = org.user("clerk")
    duplicate = [sale("125.00", idempotency_key="k-1"), sale("250.00", idempotency_key="k-1")]
    with pytest.raises(IntegrityError, match="idempotency"):
        journal_entries_post_batch(actor=clerk, legal_entity=ledger, entries=duplicate)
    assert JournalEntry.objects.count() == 0
    later = journal_entry_post(
        actor=clerk, legal_entity=ledger, entry=sale("100.00", date=datetime.date(2026, 4, 1))
    )
    assert later.reference == "F1"
    assert ledger_verify(legal_entity=ledger).ok is True
