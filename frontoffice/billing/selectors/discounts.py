"""Reading a draft's discount approval: what waits, who must decide, and every decision.

The caller has fetched the invoice through a scoped selector (``invoices.invoice_get``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.discounts import APPROVE_PERM, CHANGE_PERM

NONE, NEEDS_APPROVAL, PENDING, APPROVED = "none", "needs_approval", "pending", "approved"


@dataclass
class DiscountState:
    status: str  # none | needs_approval | pending | approved
    discount_to_approve_percent: Decimal
    discount_approved_percent: Decimal
    request: Any = None  # the pending ApprovalRequest
    history: list[Any] = field(default_factory=list)
    can_submit: bool = False
    can_decide: bool = False

    @property
    def routed_to(self) -> Any:
        return self.request.assigned_to if self.request is not None else None


def invoice_discount_state(*, invoice: Invoice, user: Any) -> DiscountState:
    """The draft's discount approval state as its page and the API show it (a few queries;
    none of pricing's tables are read for an invoice that never had a manual discount)."""
    from frontoffice.pricing.selectors import approval_history, can_decide, pending_request

    needed, approved = invoice.discount_to_approve_percent, invoice.discount_approved_percent
    if needed <= 0 and approved <= 0:
        return DiscountState(NONE, needed, approved)
    history = approval_history(invoice)
    request = pending_request(invoice) if invoice.needs_discount_approval else None
    if request is not None:
        status = PENDING
    elif invoice.needs_discount_approval:
        status = NEEDS_APPROVAL
    else:
        status = APPROVED if approved > 0 else NONE
    is_draft = invoice.status == Invoice.Status.DRAFT
    return DiscountState(
        status=status,
        discount_to_approve_percent=needed,
        discount_approved_percent=approved,
        request=request,
        history=history,
        can_submit=is_draft and status == NEEDS_APPROVAL and user.has_perm(CHANGE_PERM),
        can_decide=is_draft and can_decide(user=user, request=request, perm=APPROVE_PERM),
    )
