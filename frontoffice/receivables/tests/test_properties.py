"""Property-based tests (hypothesis): whatever payments are registered, allocated (by hand or
by OCR) and undone, in any order and with any amounts, the receivables in the ledger equal
the invoices' open amounts, every payment's unallocated amount is what its allocations leave,
the ledger stays balanced, and a refused operation changes nothing.

Each hypothesis example runs in a savepoint of the test's transaction and is rolled back at
the end (a sentinel exception), so every example starts from the same four open invoices.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontoffice.billing.models import Invoice
from frontoffice.finance.models import AccountBalance, JournalEntry
from frontoffice.finance.services.verify import ledger_verify
from frontoffice.receivables.models import Payment, PaymentAllocation, ReceivablesSettings
from frontoffice.receivables.services.common import receivables_settings_for
from frontoffice.receivables.services.payments import (
    AllocationInput,
    payment_allocate,
    payment_register,
    payment_unallocate,
)
from frontoffice.receivables.tests.factories import account_balance, make_invoice, open_total

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
DAY = datetime.date(2026, 4, 1)
HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Rollback(Exception):
    """Raised at the end of an example to undo it."""


cents = st.integers(min_value=1, max_value=400_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("register"), cents, st.lists(st.tuples(st.integers(0, 3), cents), max_size=3)),
        st.tuples(st.just("ocr"), st.integers(0, 3), cents),
        st.tuples(st.just("allocate"), st.integers(0, 9), st.integers(0, 3), cents),
        st.tuples(st.just("unallocate"), st.integers(0, 19)),
    ),
    min_size=1,
    max_size=8,
)


def snapshot() -> tuple:
    return (
        Payment.objects.count(),
        PaymentAllocation.objects.filter(reversed_at__isnull=True).count(),
        JournalEntry.objects.count(),
        list(Invoice.objects.order_by("pk").values_list("open_amount", "status")),
        list(Payment.objects.order_by("pk").values_list("unallocated_amount", flat=True)),
    )


def run(org, invoices, op) -> None:
    clerk = org.user("clerk")
    kind = op[0]
    if kind == "register":
        _kind, amount, plan = op
        payment_register(
            actor=clerk,
            legal_entity=org.company,
            paid_on=DAY,
            amount=Decimal(amount) * CENT,
            allocations=[AllocationInput(invoices[i], Decimal(c) * CENT) for i, c in plan],
        )
    elif kind == "ocr":
        _kind, index, amount = op
        payment_register(
            actor=clerk,
            legal_entity=org.company,
            paid_on=DAY,
            amount=Decimal(amount) * CENT,
            reference=invoices[index].payment_reference,
        )
    elif kind == "allocate":
        _kind, p, index, amount = op
        payments = list(Payment.objects.order_by("pk"))
        if payments:
            payment_allocate(
                actor=clerk,
                payment=payments[p % len(payments)],
                allocations=[AllocationInput(invoices[index], Decimal(amount) * CENT)],
                on=DAY,
            )
    else:
        allocations = list(PaymentAllocation.objects.order_by("pk"))
        if allocations:
            payment_unallocate(actor=clerk, allocation=allocations[op[1] % len(allocations)], on=DAY)


def check_invariants(org, prepayments: bool) -> None:
    allocated: dict[int, Decimal] = {}
    by_payment: dict[int, Decimal] = {}
    for invoice_id, payment_id, amount in PaymentAllocation.objects.active().values_list(
        "invoice_id", "payment_id", "amount"
    ):
        allocated[invoice_id] = allocated.get(invoice_id, Decimal("0.00")) + amount
        by_payment[payment_id] = by_payment.get(payment_id, Decimal("0.00")) + amount
    for invoice in Invoice.objects.all():
        assert invoice.open_amount == invoice.total_amount - allocated.get(invoice.pk, Decimal("0.00"))
        assert Decimal("0.00") <= invoice.open_amount <= invoice.total_amount
        assert (invoice.status == Invoice.Status.PAID) is (invoice.open_amount == 0)
    unallocated = Decimal("0.00")
    received = Decimal("0.00")
    for payment in Payment.objects.all():
        assert payment.unallocated_amount == payment.amount - by_payment.get(payment.pk, Decimal("0.00"))
        assert payment.voucher_id is not None
        unallocated += payment.unallocated_amount
        received += payment.amount
    assert account_balance(org.company, "1930") == received
    if prepayments:
        assert account_balance(org.company, "1510") == open_total(org.company)
        assert account_balance(org.company, "2420") == -unallocated
    else:
        assert account_balance(org.company, "1510") == open_total(org.company) - unallocated
        assert account_balance(org.company, "2420") == Decimal("0.00")
    debit = credit = Decimal("0.00")
    for d, c in AccountBalance.objects.filter(legal_entity=org.company).values_list(
        "debit_amount", "credit_amount"
    ):
        debit += d
        credit += c
    assert debit == credit
    report = ledger_verify(legal_entity=org.company)
    assert report.ok, report.problems


@pytest.mark.parametrize("prepayments", [True, False], ids=["with-2420", "on-receivables"])
def test_receivables_equal_the_ledger_whatever_payments_happen(customers, org, prepayments):
    receivables_settings_for(org.company)
    if not prepayments:
        ReceivablesSettings.objects.filter(legal_entity=org.company).update(prepayment_account=None)
    invoices = [
        make_invoice(org, customers.north, "1250.00"),
        make_invoice(org, customers.north, "99.50"),
        make_invoice(org, customers.south, "625.00"),
        make_invoice(org, customers.south, "3000.00"),
    ]

    @HYPOTHESIS
    @given(ops=operations)
    def example(ops) -> None:
        try:
            with transaction.atomic():
                for op in ops:
                    before = snapshot()
                    try:
                        run(org, invoices, op)
                    except ValidationError:
                        assert snapshot() == before  # a refused operation changes nothing
                check_invariants(org, prepayments)
                raise Rollback
        except Rollback:
            pass

    example()
