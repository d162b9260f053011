"""Discount authority on invoice drafts: manual line prices below the customer's own price.

A clerk may type a unit price or a discount on an invoice line. When that makes the line
cheaper than the customer's own price (their approved price profile, else the list price),
the line's discount against the list price is checked against the discount authority of the
person who typed it (``pricing.selectors.user_authority``, PRODUCT.md: "anything above a
user's limit is routed to someone whose limit covers it").

Invariants:
- a line priced by the list or by an approved price profile never needs approval; neither
  does a manual price at or above the customer's own price;
- a manual line's discount (``InvoiceLine.manual_discount_percent``) is against the
  product's list price, rounded up to hundredths (free-text lines: the typed discount);
  within the typing person's authority the line is authorised by them
  (``discount_authorised_by``);
- ``Invoice.discount_to_approve_percent`` is the largest unauthorised line discount,
  recomputed on every line change; the draft is issued only when it is not above
  ``Invoice.discount_approved_percent`` (``invoicing._problem``, code
  ``discount_not_approved``);
- approval goes through pricing's generic approvals (``ApprovalSubject``,
  ``approval_submit``, ``approval_approve``, ``approval_reject``) with the approve permission
  of discounts (``pricing.approve_priceprofile``): routed to the nearest manager whose
  authority covers the discount, decided by someone other than the author, every decision
  kept; a pending request is withdrawn when the lines change what it asked for.
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from frontoffice.billing.models import Invoice, InvoiceLine
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
APPROVE_PERM = "pricing.approve_priceprofile"  # the permission to approve discounts
CHANGE_PERM = "billing.change_invoice"


def _net_unit(unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return Decimal(unit_price) * (HUNDRED - Decimal(discount_percent)) / HUNDRED


def _percent(value: Decimal) -> Decimal:
    return min(max(value, ZERO), HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_UP)


def effective_discount(
    *,
    unit_price: Decimal,
    discount_percent: Decimal,
    list_price: Decimal | None,
    customer_price: tuple[Decimal, Decimal] | None,
) -> Decimal:
    """The discount against the list price that a manual line gives beyond the customer's
    own price ``(unit price, discount %)``, or 0 when it gives none. Without a list price
    (free-text lines) the typed discount is the discount."""
    if list_price is None:
        return _percent(Decimal(discount_percent))
    net = _net_unit(unit_price, discount_percent)
    if customer_price is not None and net >= _net_unit(*customer_price):
        return ZERO
    if list_price <= 0:
        return ZERO
    return _percent((Decimal(list_price) - net) * HUNDRED / Decimal(list_price))


def authority_of(user: Any, legal_entity_id: int) -> Decimal:
    from frontoffice.pricing.selectors import user_authority

    if user is None:
        return ZERO
    return user_authority(user=user, legal_entity=legal_entity_id)


def authorised_by(
    *,
    actor: Any,
    legal_entity_id: int,
    percent: Decimal,
    line: InvoiceLine | None = None,
    approver: Any = None,
) -> Any:
    """Who authorises a manual discount of ``percent``: ``actor`` (else ``approver``, who
    approved the source document) when their authority covers it, else whoever authorised the
    line before when it was not lower then, else nobody (the draft then needs approval)."""
    if percent <= ZERO:
        return None
    for user in (actor, approver):
        if user is not None and authority_of(user, legal_entity_id) >= percent:
            return user
    if line is not None and line.discount_authorised_by_id and line.manual_discount_percent >= percent:
        return line.discount_authorised_by
    return None


def _pending(invoice: Invoice) -> Any:
    from frontoffice.pricing.services.approvals import pending_request_for

    return pending_request_for(invoice)


def invoice_discount_refresh(*, actor: Any, invoice: Invoice) -> Invoice:
    """Recompute the draft's discount waiting for approval from its lines (inside the
    caller's transaction, the draft locked). A pending request that no longer asks for that
    discount is withdrawn."""
    from frontoffice.pricing.services.approvals import approval_withdraw

    needed = (
        invoice.lines.filter(discount_authorised_by__isnull=True).aggregate(m=Max("manual_discount_percent"))[
            "m"
        ]
        or ZERO
    )
    needed = Decimal(needed).quantize(Decimal("0.01"))
    before = invoice.discount_to_approve_percent
    if needed != before:
        invoice.discount_to_approve_percent = needed
        invoice.save(update_fields=["discount_to_approve_percent", "updated_at"])
    pending = _pending(invoice)
    if pending is not None and (
        pending.discount_percent != needed or needed <= invoice.discount_approved_percent
    ):
        approval_withdraw(actor=actor, target=invoice, comment=_("The invoice lines changed."))
        audit_record(
            actor=actor,
            action="billing.invoice.discount_withdrawn",
            obj=invoice,
            changes={"discount_percent": [str(pending.discount_percent), None]},
        )
    return invoice


def discount_problem(invoice: Invoice) -> ValidationError | None:
    """Why a draft cannot be issued because of its discount, or None."""
    if not invoice.needs_discount_approval:
        return None
    params = {"discount": f"{invoice.discount_to_approve_percent:.2f}".rstrip("0").rstrip(".")}
    pending = _pending(invoice)
    if pending is not None and pending.assigned_to is not None:
        params["approver"] = str(pending.assigned_to)
        message = _(
            "A line's price is %(discount)s %% below the list price, above its author's discount "
            "authority: it needs approval by %(approver)s first."
        )
    else:
        message = _(
            "A line's price is %(discount)s %% below the list price, above its author's discount "
            "authority: submit the draft for approval first."
        )
    return ValidationError(message % params, code="discount_not_approved")


def _subject(invoice: Invoice) -> Any:
    from frontoffice.pricing.services.approvals import ApprovalSubject

    return ApprovalSubject(
        legal_entity_id=invoice.legal_entity_id,
        party=invoice.party,
        target=invoice,
        title=_("Invoice draft %(id)s for %(customer)s")
        % {"id": invoice.pk, "customer": invoice.party.display_name},
        discount_percent=invoice.discount_to_approve_percent,
        approve_perm=APPROVE_PERM,
        url=invoice.get_absolute_url(),
    )


def _locked(actor: Any, invoice: Invoice | int) -> Invoice:
    pk = getattr(invoice, "pk", invoice)
    found = (
        visible_to(Invoice.objects.select_for_update(of=("self",)), actor)
        .select_related("party", "legal_entity")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise PermissionDenied(_("You do not have permission to do this."))
    require_legal_entity(actor, found.legal_entity_id)
    if found.status != Invoice.Status.DRAFT:
        raise ValidationError(_("Only drafts wait for discount approval."), code="not_draft")
    return found


@transaction.atomic
def invoice_discount_submit(*, actor: Any, invoice: Invoice | int) -> Invoice:
    """Ask approval of the draft's manual discount. Within the actor's own authority it is
    approved at once; above it, it is routed (see ``pricing.services.approvals``).

    Needs ``billing.change_invoice`` and the draft in scope. Codes: ``nothing_to_approve``,
    ``already_pending``, ``no_approver``. Audited as ``billing.invoice.discount_submitted``.
    """
    from frontoffice.pricing.models import ApprovalRequest
    from frontoffice.pricing.services.approvals import approval_submit

    require_perm(actor, CHANGE_PERM)
    draft = _locked(actor, invoice)
    if not draft.needs_discount_approval:
        raise ValidationError(_("Nothing on this draft needs approval."), code="nothing_to_approve")
    request = approval_submit(actor=actor, subject=_subject(draft))
    audit_record(
        actor=actor,
        action="billing.invoice.discount_submitted",
        obj=draft,
        changes={
            "discount_percent": [None, str(request.discount_percent)],
            "routed_to": [None, str(request.assigned_to) if request.assigned_to else None],
        },
    )
    if request.status == ApprovalRequest.Status.APPROVED:
        _approved(actor, draft, request.discount_percent, comment="")
    return draft


def _approved(actor: Any, draft: Invoice, percent: Decimal, *, comment: str) -> None:
    before = draft.discount_approved_percent
    draft.discount_approved_percent = max(before, percent)
    draft.save(update_fields=["discount_approved_percent", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.invoice.discount_approved",
        obj=draft,
        changes={
            "discount_approved_percent": [str(before), str(draft.discount_approved_percent)],
            "comment": [None, comment or None],
        },
    )


def _request(draft: Invoice) -> Any:
    from frontoffice.pricing.services.approvals import pending_request_for

    request = pending_request_for(draft, lock=True)
    if request is None:
        raise ValidationError(_("This draft is not waiting for approval."), code="not_pending")
    return request


@transaction.atomic
def invoice_discount_approve(*, actor: Any, invoice: Invoice | int, comment: str = "") -> Invoice:
    """Approve the draft's pending discount request. Needs ``pricing.approve_priceprofile``,
    the draft in scope, authority covering the discount (``above_authority``) and not being
    the one who asked (``self_approval``). Audited as ``billing.invoice.discount_approved``."""
    from frontoffice.pricing.services.approvals import approval_approve

    require_perm(actor, APPROVE_PERM)
    draft = _locked(actor, invoice)
    request = _request(draft)
    approval_approve(
        actor=actor, request=request, approve_perm=APPROVE_PERM, url=draft.get_absolute_url(), comment=comment
    )
    _approved(actor, draft, request.discount_percent, comment=(comment or "").strip())
    return draft


@transaction.atomic
def invoice_discount_reject(*, actor: Any, invoice: Invoice | int, comment: str) -> Invoice:
    """Reject the draft's pending discount request with a comment (``comment_required``).
    Same rules as approving. The draft stays unissuable until its lines change or it is
    approved on a new request. Audited as ``billing.invoice.discount_rejected``."""
    from frontoffice.pricing.services.approvals import approval_reject

    require_perm(actor, APPROVE_PERM)
    draft = _locked(actor, invoice)
    request = _request(draft)
    approval_reject(
        actor=actor, request=request, approve_perm=APPROVE_PERM, url=draft.get_absolute_url(), comment=comment
    )
    audit_record(
        actor=actor,
        action="billing.invoice.discount_rejected",
        obj=draft,
        changes={
            "discount_percent": [str(request.discount_percent), None],
            "comment": [None, comment.strip()],
        },
    )
    return draft
