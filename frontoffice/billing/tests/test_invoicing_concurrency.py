"""Gapless invoice numbers under real concurrency: eight OS processes issue invoices at once.

Each child is a separate Python interpreter with its own Django set-up and database
connection to the TEST database, so the locked invoice counter row (and the ledger's series
counter behind it) is what keeps the numbers gapless, not anything shared in memory.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.db.models import Q, Sum

from frontoffice.billing.models import Invoice, InvoiceCounter
from frontoffice.billing.services.ocr import ocr_is_valid
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import ISSUE_DAY, make_draft
from frontoffice.finance.models import JournalEntry, JournalLine
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.finance.tests.test_concurrency import ROOT, child_database_url

SINGLE_PROCESSES = 7
PER_PROCESS = 12
BATCHES, BATCH_SIZE = 3, 4

# One issuer: waits for "go" on stdin (so all start together), then issues its drafts. Mode
# "single" issues one invoice per transaction and, after every fourth, tries a draft dated in
# 2027 (no fiscal year: the ledger rejects it, and no number may be used); mode "batch"
# issues its drafts in batches, the second batch holding the 2027 draft (rejected whole).
CHILD = r"""
import sys
import django
django.setup()
from django.core.exceptions import ValidationError
from frontoffice.billing.models import Invoice
from frontoffice.billing.services.invoicing import invoice_issue, invoices_issue_batch
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.org.models import User

mode, ids, bad = sys.argv[1], [int(i) for i in sys.argv[2].split(",")], int(sys.argv[3])
size = int(sys.argv[4])
user = User.objects.get(username="clerk")
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
issued = 0
if mode == "single":
    for n, pk in enumerate(ids):
        if n % 4 == 3:
            try:
                invoice_issue(actor=user, invoice=Invoice.objects.get(pk=bad))
            except PostingRejected:
                pass
            else:
                raise SystemExit("an invoice outside every fiscal year was issued")
        invoice_issue(actor=user, invoice=Invoice.objects.get(pk=pk))
        issued += 1
else:
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    batches[1] = [bad, *batches[1]]
    for batch in batches:
        try:
            issued += len(invoices_issue_batch(actor=user, invoices=list(Invoice.objects.filter(pk__in=batch))))
        except ValidationError:
            assert bad in batch
issued_now = Invoice.objects.filter(pk__in=ids, status="issued").count()
print(f"issued {issued} {issued_now}", flush=True)
"""


def start_issuer(mode: str, ids: list[int], bad: int, size: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, mode, ",".join(map(str, ids)), str(bad), str(size)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("without_pricing_app")
def test_eight_processes_issuing_at_once_get_gapless_numbers_and_one_voucher_each(org, customer, products):
    """7 processes issue 12 invoices each (with rejected attempts in between) and one issues
    batches (the second rejected whole: it holds a 2027 draft), all at once in series F: invoice numbers are exactly
    1..N, every invoice has its own voucher, voucher numbers are gapless too, the hash chain
    verifies and the receivables account equals the open amounts."""
    clerk = org.user("clerk")

    def drafts(count: int) -> list[int]:
        return [
            make_draft(clerk, customer, (products["checkup"], "1"), (products["book"], str(n % 5 + 1))).pk
            for n in range(count)
        ]

    late = datetime.date(2027, 2, 1)  # no fiscal year in the ledger
    work = [(drafts(PER_PROCESS), make_draft(clerk, customer, (products["lunch"], "1"), issue_on=late).pk)]
    work += [
        (drafts(PER_PROCESS), make_draft(clerk, customer, (products["lunch"], "1"), issue_on=late).pk)
        for _ in range(SINGLE_PROCESSES - 1)
    ]
    batch_ids = drafts(BATCHES * BATCH_SIZE)
    batch_bad = make_draft(clerk, customer, (products["lunch"], "1"), issue_on=late).pk

    issuers = [start_issuer("single", ids, bad, 0) for ids, bad in work]
    issuers.append(start_issuer("batch", batch_ids, batch_bad, BATCH_SIZE))
    try:
        for issuer in issuers:
            assert issuer.stdout.readline().strip() == "ready", issuer.stderr.read()
        for issuer in issuers:
            issuer.stdin.write("go\n")
            issuer.stdin.flush()
        outputs = [issuer.communicate(timeout=120) for issuer in issuers]
    finally:
        for issuer in issuers:
            if issuer.poll() is None:
                issuer.kill()
    assert [issuer.returncode for issuer in issuers] == [0] * len(issuers), [err for _out, err in outputs]
    assert [out.strip() for out, _err in outputs] == (
        [f"issued {PER_PROCESS} {PER_PROCESS}"] * SINGLE_PROCESSES
        + [f"issued {(BATCHES - 1) * BATCH_SIZE} {(BATCHES - 1) * BATCH_SIZE}"]
    )

    expected = SINGLE_PROCESSES * PER_PROCESS + (BATCHES - 1) * BATCH_SIZE
    issued = Invoice.objects.filter(status="issued").order_by("number")
    assert list(issued.values_list("number", flat=True)) == list(range(1, expected + 1))
    # The 2027 drafts, and the drafts of the batch rejected with one of them
    assert Invoice.objects.filter(status="draft").count() == SINGLE_PROCESSES + 1 + BATCH_SIZE
    assert InvoiceCounter.objects.get(series__code="F", year=2026).next_number == expected + 1
    assert not InvoiceCounter.objects.filter(year=2027, next_number__gt=1).exists()

    vouchers = list(issued.values_list("voucher_id", flat=True))
    assert None not in vouchers and len(set(vouchers)) == expected
    assert JournalEntry.objects.count() == expected
    assert sorted(JournalEntry.objects.values_list("number", flat=True)) == list(range(1, expected + 1))
    for invoice in issued.select_related("voucher"):
        assert invoice.voucher.source_id == str(invoice.pk)
        assert invoice.voucher.total_amount == invoice.total_amount
        assert invoice.issue_on == ISSUE_DAY
    references = list(issued.values_list("payment_reference", flat=True))
    assert len(set(references)) == expected and all(ocr_is_valid(r, length_digit=True) for r in references)

    assert ledger_verify(legal_entity=org.company).ok is True
    sums = JournalLine.objects.filter(account__number="1510").aggregate(
        debit=Sum("amount", filter=Q(side="D")), credit=Sum("amount", filter=Q(side="C"))
    )
    open_amounts = issued.aggregate(total=Sum("open_amount"))["total"]
    assert sums["debit"] - (sums["credit"] or Decimal("0")) == open_amounts > 0
