"""Settling invoices with payments: the one place payments change an invoice's open amount.

Called by ``receivables.services`` inside the transaction that records the allocation (and
posts its voucher), never on its own: the row is locked (``SELECT ... FOR UPDATE``) so two
payments allocated to the same invoice at once cannot both see the old open amount.

Invariants:
- only issued invoices (kind ``invoice``, status issued or paid) are settled; drafts, credit
  notes and credited invoices are refused;
- ``0 <= open_amount <= total_amount`` after every settlement: a payment never takes an
  invoice below zero (the overpayment stays on the payment) and undoing one never raises it
  above what was invoiced;
- status follows the open amount: ``paid`` at zero, ``issued`` above.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.billing.models import Invoice
from frontoffice.core.money import quantize

ZERO = Decimal("0.00")


@transaction.atomic
def invoice_settle(*, invoice: Invoice | int, amount: Decimal) -> Invoice:
    """Apply ``amount`` of a payment to ``invoice`` (> 0 pays, < 0 undoes a payment).

    Locks the invoice row, checks the limits and saves ``open_amount`` and ``status``; returns
    the updated invoice. Raises ``ValidationError`` with code ``not_settleable`` (draft, credit
    note, credited), ``over_allocation`` (more than the open amount), ``over_reversal`` (more
    than was paid) or ``invalid_amount``. No permission check: the calling
    service checked its actor.
    """
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise ValidationError(_("The amount must be an exact decimal."), code="invalid_amount")
    amount = quantize(amount)
    if amount == ZERO:
        raise ValidationError(_("The amount must not be zero."), code="invalid_amount")
    pk = getattr(invoice, "pk", invoice)
    locked = Invoice.objects.select_for_update().select_related("series").get(pk=pk)
    if locked.kind != Invoice.Kind.INVOICE or locked.status not in (
        Invoice.Status.ISSUED,
        Invoice.Status.PAID,
    ):
        raise ValidationError(
            _("Invoice %(invoice)s cannot take payments: it is a draft, a credit note or credited.")
            % {"invoice": locked},
            code="not_settleable",
        )
    new_open = locked.open_amount - amount
    if new_open < ZERO:
        raise ValidationError(
            _("%(amount)s is more than the %(open)s still open on invoice %(invoice)s.")
            % {"amount": amount, "open": locked.open_amount, "invoice": locked},
            code="over_allocation",
        )
    if new_open > locked.total_amount:
        raise ValidationError(
            _("Invoice %(invoice)s has not been paid that much: it would be open for more than its total.")
            % {"invoice": locked},
            code="over_reversal",
        )
    locked.open_amount = new_open
    locked.status = Invoice.Status.PAID if new_open == ZERO else Invoice.Status.ISSUED
    locked.save(update_fields=["open_amount", "status", "updated_at"])
    if isinstance(invoice, Invoice):
        invoice.open_amount, invoice.status = locked.open_amount, locked.status
    return locked


def invoice_settleable(invoice: Any) -> bool:
    """Whether payments may be allocated to ``invoice`` now (issued, not fully paid)."""
    return (
        invoice.kind == Invoice.Kind.INVOICE
        and invoice.status == Invoice.Status.ISSUED
        and invoice.open_amount > ZERO
    )
