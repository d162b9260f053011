from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.settlement import invoice_settle, invoice_settleable
from frontoffice.receivables.tests.factories import make_invoice

pytestmark = pytest.mark.django_db


def test_settling_part_of_an_invoice_lowers_its_open_amount(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    invoice_settle(invoice=invoice, amount=Decimal("250.00"))
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("1000.00"), Invoice.Status.ISSUED)


def test_settling_the_whole_open_amount_marks_the_invoice_paid_and_undoing_reopens_it(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    invoice_settle(invoice=invoice.pk, amount=Decimal("1250.00"))
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("0.00"), Invoice.Status.PAID)
    assert invoice_settleable(invoice) is False
    invoice_settle(invoice=invoice, amount=Decimal("-100.00"))
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("100.00"), Invoice.Status.ISSUED)


def test_settling_more_than_is_open_is_refused(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    with pytest.raises(ValidationError) as error:
        invoice_settle(invoice=invoice, amount=Decimal("1250.01"))
    assert error.value.code == "over_allocation"
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("1250.00")


def test_undoing_more_than_was_paid_is_refused(customers, org):
    invoice = make_invoice(org, customers.north, "1250.00")
    with pytest.raises(ValidationError) as error:
        invoice_settle(invoice=invoice, amount=Decimal("-0.01"))
    assert error.value.code == "over_reversal"


@pytest.mark.parametrize("kind", ["credit_note", "draft", "credited"])
def test_credit_notes_drafts_and_credited_invoices_take_no_payments(customers, org, kind):
    if kind == "credit_note":
        invoice = make_invoice(org, customers.north, "500.00", credit_note=True)
    else:
        invoice = make_invoice(org, customers.north, "500.00")
        Invoice.objects.filter(pk=invoice.pk).update(status=kind)
    with pytest.raises(ValidationError) as error:
        invoice_settle(invoice=invoice.pk, amount=Decimal("100.00"))
    assert error.value.code == "not_settleable"


@pytest.mark.parametrize("amount", [0.5, Decimal("0.00"), "12"])
def test_amounts_must_be_exact_and_nonzero(customers, org, amount):
    invoice = make_invoice(org, customers.north, "500.00")
    with pytest.raises(ValidationError) as error:
        invoice_settle(invoice=invoice, amount=amount)
    assert error.value.code == "invalid_amount"
