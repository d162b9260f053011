"""Allocation under real concurrency: several OS processes pay the same invoice at once.

Each child is its own interpreter with its own connection to the TEST database, so only the
invoice's row lock (``billing.services.settlement``) keeps the open amount from going below
zero: exactly as many payments succeed as the invoice can take, the others are refused whole.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from frontoffice.billing.models import Invoice
from frontoffice.finance.models import JournalEntry
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.finance.tests.test_concurrency import ROOT, child_database_url
from frontoffice.receivables.models import Payment, PaymentAllocation
from frontoffice.receivables.tests.factories import account_balance, make_invoice, open_total

WORKERS, PER_WORKER = 6, 3

CHILD = r"""
import datetime, sys
from decimal import Decimal
import django
django.setup()
from django.core.exceptions import ValidationError
from frontoffice.org.models import LegalEntity, User
from frontoffice.receivables.services.common import first_code
from frontoffice.receivables.services.payments import AllocationInput, payment_register

worker, invoice_id, company_id, count = (int(a) for a in sys.argv[1:5])
clerk = User.objects.get(username="clerk")
print("ready", flush=True)
assert sys.stdin.readline().strip() == "go"
paid = refused = 0
for n in range(count):
    try:
        payment_register(
            actor=clerk,
            legal_entity=company_id,
            paid_on=datetime.date(2026, 4, 1),
            amount=Decimal("100.00"),
            payer_name=f"worker {worker} payment {n}",
            allocations=[AllocationInput(invoice_id, Decimal("100.00"))],
        )
        paid += 1
    except ValidationError as exc:
        assert first_code(exc) in ("over_allocation", "not_settleable"), exc
        refused += 1
print(f"{paid} {refused}", flush=True)
"""


def start(worker: int, invoice_id: int, company_id: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_CONN_MAX_AGE": "0",
        "TASKS_BACKEND": "immediate",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(worker), str(invoice_id), str(company_id), str(PER_WORKER)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_processes_paying_one_invoice_at_once_never_overpay_it(customers, org):
    """6 processes register 3 payments of 100 each against one invoice of 1250 at once: 12
    succeed, 6 are refused whole (no payment, no voucher), the invoice has 50 open, the B
    series is gapless and the receivables in the ledger equal the open amounts."""
    invoice = make_invoice(org, customers.north, "1250.00", issue_on=datetime.date(2026, 3, 1))
    workers = [start(w, invoice.pk, org.company.pk) for w in range(WORKERS)]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert [w.returncode for w in workers] == [0] * WORKERS, [err for _out, err in outputs]
    paid = sum(int(out.split()[0]) for out, _err in outputs)
    refused = sum(int(out.split()[1]) for out, _err in outputs)
    assert (paid, refused) == (12, 6)
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("50.00"), Invoice.Status.ISSUED)
    assert Payment.objects.count() == 12
    assert PaymentAllocation.objects.count() == 12
    numbers = list(
        JournalEntry.objects.filter(series__code="B").order_by("number").values_list("number", flat=True)
    )
    assert numbers == list(range(1, 13))
    assert account_balance(org.company, "1510") == open_total(org.company) == Decimal("50.00")
    assert ledger_verify(legal_entity=org.company).ok
