"""Discount approval: routing a discount to someone whose authority covers it, and recording
every decision. Generic over what is approved (a price profile today, a quote later).

A document service (``price_profile_submit``, later ``quote_submit``) builds an
``ApprovalSubject`` and calls ``approval_submit``; when the request comes back approved (within
the author's own authority) or after ``approval_approve``/``approval_reject``, the document
service moves its own document to the matching state.

Invariants:
- at most one pending request per target (a constraint backs it);
- within the author's authority a request is approved at once (``self_approved``); above it,
  it is routed along the chain: the regional sales manager of the author's (else the
  customer's) region, the national sales manager, the finance manager of the legal entity;
  the first person whose authority covers the discount, who may approve this kind of
  document and who can see the customer gets it, and is e-mailed after commit;
- only someone other than the author, holding the approve permission, seeing the target and
  with authority covering the discount decides; rejections need a comment;
- decisions are append-only (``ApprovalDecision.save`` refuses changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.core.scoping import visible_to
from frontoffice.core.tasks import email_enqueue
from frontoffice.org.models import Staff
from frontoffice.pricing.models import ApprovalDecision, ApprovalRequest
from frontoffice.pricing.selectors import authority_by_role, staff_in, user_authority

# Who approves discounts above a sales rep's authority, nearest first.
APPROVAL_CHAIN = ("regional_sales_manager", "national_sales_manager", "finance_manager")


@dataclass(frozen=True)
class ApprovalSubject:
    """What a document service asks approval for."""

    legal_entity_id: int
    party: Any
    target: models.Model  # must declare a scope_rule (the approver must see it)
    title: str
    discount_percent: Decimal
    approve_perm: str  # e.g. "pricing.approve_priceprofile"
    url: str  # path of the target's page, for the e-mail


def _sees(user: Any, target: models.Model) -> bool:
    return visible_to(type(target)._default_manager.filter(pk=target.pk), user).exists()


def approver_for(*, author: Any, subject: ApprovalSubject) -> Any | None:
    """The nearest person along ``APPROVAL_CHAIN`` whose authority covers the discount."""
    authorities = authority_by_role(legal_entity=subject.legal_entity_id)
    author_staff = staff_in(author, subject.legal_entity_id)
    region_id = (author_staff.home_region_id if author_staff else None) or subject.party.region_id
    for role_code in APPROVAL_CHAIN:
        candidates = (
            Staff.objects.filter(
                legal_entity_id=subject.legal_entity_id,
                role__code=role_code,
                active=True,
                user__is_active=True,
            )
            .exclude(user_id=getattr(author, "pk", None))
            .select_related("user", "role")
            .order_by("pk")
        )
        if role_code == "regional_sales_manager":
            if region_id is None:
                continue
            candidates = candidates.filter(Q(regions=region_id) | Q(home_region_id=region_id)).distinct()
        for staff in candidates:
            if authorities.get(staff.role_id, Decimal("0")) < subject.discount_percent:
                continue
            user = staff.user
            if user.has_perm(subject.approve_perm) and _sees(user, subject.target):
                return user
    return None


def _percent(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _notify_approver(request: ApprovalRequest, subject: ApprovalSubject) -> None:
    approver = request.assigned_to
    if not approver.email:
        return
    link = settings.SITE_URL.rstrip("/") + subject.url
    with translation.override(getattr(approver, "language", None) or settings.LANGUAGE_CODE):
        mail_subject = _("To approve: %(title)s (%(discount)s %% discount)") % {
            "title": request.title,
            "discount": _percent(request.discount_percent),
        }
        body = _(
            "Hello %(name)s,\n\n"
            "%(author)s asks you to approve %(title)s for %(customer)s. Its largest discount, "
            "%(discount)s %%, is above their own authority and within yours.\n\n"
            "Approve or reject it, with a comment, here:\n%(link)s\n"
        ) % {
            "name": approver.first_name or str(approver),
            "author": str(request.requested_by),
            "title": request.title,
            "customer": str(request.party),
            "discount": _percent(request.discount_percent),
            "link": link,
        }
    email_enqueue(subject=mail_subject, body=body, to=[approver.email])


def _notify_author(request: ApprovalRequest, decision: ApprovalDecision, url: str) -> None:
    author = request.requested_by
    if not author.email or author.pk == decision.actor_id:
        return
    link = settings.SITE_URL.rstrip("/") + url
    with translation.override(getattr(author, "language", None) or settings.LANGUAGE_CODE):
        if decision.action == ApprovalDecision.Action.APPROVED:
            mail_subject = _("Approved: %(title)s") % {"title": request.title}
            verdict = _("%(who)s approved %(title)s for %(customer)s.")
        else:
            mail_subject = _("Rejected: %(title)s") % {"title": request.title}
            verdict = _("%(who)s rejected %(title)s for %(customer)s.")
        body = (
            verdict % {"who": str(decision.actor), "title": request.title, "customer": str(request.party)}
            + "\n\n"
            + (_("Comment: %(comment)s") % {"comment": decision.comment} + "\n\n" if decision.comment else "")
            + link
            + "\n"
        )
    email_enqueue(subject=mail_subject, body=body, to=[author.email])


def _decide(
    request: ApprovalRequest, *, action: str, actor: Any, comment: str = "", **fields: Any
) -> ApprovalDecision:
    return ApprovalDecision.objects.create(
        request=request,
        action=action,
        actor=actor,
        comment=comment,
        discount_percent=request.discount_percent,
        **fields,
    )


def pending_request_for(target: models.Model, *, lock: bool = False) -> ApprovalRequest | None:
    qs = ApprovalRequest.objects.filter(
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        status=ApprovalRequest.Status.PENDING,
    )
    if lock:
        # Only the request row: the routed approver is a nullable (outer) join.
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("requested_by", "assigned_to", "party").first()


@transaction.atomic
def approval_submit(*, actor: Any, subject: ApprovalSubject) -> ApprovalRequest:
    """Ask approval of ``subject.discount_percent`` by ``actor`` (the author).

    Within the author's authority the request is approved at once (decision
    ``self_approved`` with the authority used). Above it, it waits for the person
    ``approver_for`` finds (decision ``submitted`` with ``routed_to``), who is e-mailed after
    commit. ``ValidationError`` code ``already_pending`` when the target waits already, code
    ``no_approver`` when nobody's authority covers the discount.
    """
    if pending_request_for(subject.target) is not None:
        raise ValidationError(_("This is already waiting for approval."), code="already_pending")
    authority = user_authority(user=actor, legal_entity=subject.legal_entity_id)
    within = subject.discount_percent <= authority
    approver = None if within else approver_for(author=actor, subject=subject)
    if not within and approver is None:
        raise ValidationError(
            _(
                "Nobody in this legal entity has the authority to approve a discount of %(discount)s %%. "
                "Lower the discount, or ask the finance manager to review the discount authorities."
            )
            % {"discount": _percent(subject.discount_percent)},
            code="no_approver",
        )
    now = timezone.now()
    request = ApprovalRequest.objects.create(
        legal_entity_id=subject.legal_entity_id,
        party=subject.party,
        target_type=ContentType.objects.get_for_model(subject.target),
        target_id=subject.target.pk,
        title=subject.title[:200],
        discount_percent=subject.discount_percent,
        status=ApprovalRequest.Status.APPROVED if within else ApprovalRequest.Status.PENDING,
        requested_by=actor,
        assigned_to=None if within else approver,
        decided_at=now if within else None,
        decided_by=actor if within else None,
    )
    if within:
        _decide(
            request, action=ApprovalDecision.Action.SELF_APPROVED, actor=actor, authority_percent=authority
        )
    else:
        _decide(
            request,
            action=ApprovalDecision.Action.SUBMITTED,
            actor=actor,
            authority_percent=authority,
            routed_to=approver,
        )
        _notify_approver(request, subject)
    return request


def _check_decider(actor: Any, request: ApprovalRequest, approve_perm: str) -> Decimal:
    if actor is None or not actor.has_perm(approve_perm):
        raise PermissionDenied(_("You do not have permission to do this."))
    if request.status != ApprovalRequest.Status.PENDING:
        raise ValidationError(_("This is not waiting for approval."), code="not_pending")
    if actor.pk == request.requested_by_id:
        raise ValidationError(
            _("You cannot decide on your own request: someone else must approve it."), code="self_approval"
        )
    authority = user_authority(user=actor, legal_entity=request.legal_entity_id)
    if authority < request.discount_percent:
        raise ValidationError(
            _("Your discount authority (%(authority)s %%) does not cover a discount of %(discount)s %%.")
            % {"authority": _percent(authority), "discount": _percent(request.discount_percent)},
            code="above_authority",
        )
    return authority


@transaction.atomic
def approval_approve(
    *, actor: Any, request: ApprovalRequest, approve_perm: str, url: str, comment: str = ""
) -> ApprovalRequest:
    """Approve a pending request (see ``_check_decider`` for who may); notifies the author."""
    request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    authority = _check_decider(actor, request, approve_perm)
    from frontoffice.training.gates import require_capability  # an administrator may require a certificate

    require_capability(actor, "pricing.approve_discount")
    request.status = ApprovalRequest.Status.APPROVED
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    decision = _decide(
        request,
        action=ApprovalDecision.Action.APPROVED,
        actor=actor,
        comment=(comment or "").strip(),
        authority_percent=authority,
    )
    _notify_author(request, decision, url)
    return request


@transaction.atomic
def approval_reject(
    *, actor: Any, request: ApprovalRequest, approve_perm: str, url: str, comment: str
) -> ApprovalRequest:
    """Reject a pending request with a comment (code ``comment_required`` without one)."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            {"comment": ValidationError(_("Say why it is rejected."), code="comment_required")}
        )
    request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    authority = _check_decider(actor, request, approve_perm)
    request.status = ApprovalRequest.Status.REJECTED
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    decision = _decide(
        request,
        action=ApprovalDecision.Action.REJECTED,
        actor=actor,
        comment=comment,
        authority_percent=authority,
    )
    _notify_author(request, decision, url)
    return request


@transaction.atomic
def approval_withdraw(*, actor: Any, target: models.Model, comment: str = "") -> ApprovalRequest | None:
    """Close the target's pending request as withdrawn (the caller checked the permission)."""
    request = pending_request_for(target, lock=True)
    if request is None:
        return None
    request.status = ApprovalRequest.Status.WITHDRAWN
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    _decide(request, action=ApprovalDecision.Action.WITHDRAWN, actor=actor, comment=(comment or "").strip())
    return request


@transaction.atomic
def approval_record_withdrawal(*, actor: Any, target: models.Model, comment: str = "") -> None:
    """Record that an approved target was withdrawn (on its last approved request)."""
    request = (
        ApprovalRequest.objects.filter(
            target_type=ContentType.objects.get_for_model(target),
            target_id=target.pk,
            status=ApprovalRequest.Status.APPROVED,
        )
        .order_by("-requested_at", "-pk")
        .first()
    )
    if request is not None:
        _decide(
            request, action=ApprovalDecision.Action.WITHDRAWN, actor=actor, comment=(comment or "").strip()
        )
