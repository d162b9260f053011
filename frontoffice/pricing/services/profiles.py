"""Price profiles and their rules: drafting, submitting for approval, approving, rejecting,
withdrawing and superseding.

Invariants:
- the customer must be visible to the actor, in the actor's legal entity; profiles outside the
  actor's scope cannot be changed (``PermissionDenied``);
- rules change only while the profile is a draft or rejected (changing a rejected profile
  makes it a draft again); a rule targets one product group or one product of the profile's
  legal entity; percent 0-100; fixed prices >= 0 and only for a product;
- submitting compares the profile's largest discount (fixed prices against the list price)
  with the author's authority: within it the profile is approved at once, above it the
  profile waits for the approver ``approvals.approver_for`` finds;
- approving a profile supersedes the customer's other approved profiles from its
  ``valid_from`` (they keep pricing the days before);
- every change and decision is on the audit trail (``pricing.price_profile.*``) and every
  decision in the approval history (``ApprovalDecision``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingProfile, Product, ProductGroup
from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.parties.models import Party
from frontoffice.pricing.models import ApprovalRequest, PriceProfile, PriceRule
from frontoffice.pricing.selectors import profile_max_discount
from frontoffice.pricing.services import approvals

APPROVE_PERM = "pricing.approve_priceprofile"
PROFILE_FIELDS = ("name", "valid_from", "valid_to", "billing_profile")
AUDITED = (*PROFILE_FIELDS, "status")
RULE_FIELDS = ("product_group", "product", "kind", "discount_percent", "unit_price_amount", "min_quantity")


# ---------------------------------------------------------------- helpers


def _check_party(actor: Any, party: Party) -> None:
    require_legal_entity(actor, party.legal_entity_id)
    if not visible_to(Party.objects.filter(pk=party.pk), actor).exists():
        raise PermissionDenied(_("You can only set prices for your own customers."))


def _locked(actor: Any, profile: PriceProfile) -> PriceProfile:
    """The profile, re-read under a row lock, if ``actor`` may see it."""
    require_legal_entity(actor, profile.legal_entity_id)
    locked = (
        visible_to(PriceProfile.objects.select_for_update(of=("self",)), actor)
        .filter(pk=profile.pk)
        .select_related("party")
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("You can only set prices for your own customers."))
    return locked


def _require_editable(profile: PriceProfile) -> None:
    if not profile.is_editable:
        raise ValidationError(
            _("Only draft or rejected price profiles can be changed; this one is %(status)s.")
            % {"status": profile.get_status_display().lower()},
            code="not_editable",
        )


def _reopen(profile: PriceProfile) -> None:
    """Editing a rejected profile makes it a draft again (to be resubmitted)."""
    if profile.status == PriceProfile.Status.REJECTED:
        profile.status = PriceProfile.Status.DRAFT
        profile.save(update_fields=["status", "updated_at"])


def _clean_profile(profile: PriceProfile) -> None:
    errors: dict[str, list[ValidationError]] = {}
    try:
        profile.full_clean(exclude=["legal_entity", "party", "created_by", "superseded_by"])
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if (
        "valid_to" not in errors
        and "valid_from" not in errors
        and profile.valid_to is not None
        and profile.valid_to < profile.valid_from
    ):
        errors["valid_to"] = [
            ValidationError(_("The end date cannot be before the start date."), code="dates_reversed")
        ]
    bp = profile.billing_profile
    if bp is not None and (bp.party_id != profile.party_id or bp.legal_entity_id != profile.legal_entity_id):
        errors["billing_profile"] = [
            ValidationError(_("Choose a billing profile of this customer."), code="other_customer")
        ]
    if errors:
        raise ValidationError(errors)


def _subject(profile: PriceProfile) -> approvals.ApprovalSubject:
    return approvals.ApprovalSubject(
        legal_entity_id=profile.legal_entity_id,
        party=profile.party,
        target=profile,
        title=_("Price profile “%(name)s”") % {"name": profile.name},
        discount_percent=profile.max_discount_percent,
        approve_perm=APPROVE_PERM,
        url=profile.get_absolute_url(),
    )


# ---------------------------------------------------------------- profiles


@transaction.atomic
def price_profile_create(
    *,
    actor: Any,
    party: Party,
    name: str,
    valid_from: datetime.date,
    valid_to: datetime.date | None = None,
    billing_profile: BillingProfile | None = None,
) -> PriceProfile:
    """Draft a price profile for a customer the actor can see.

    Needs ``pricing.add_priceprofile``. ``ValidationError`` naming the field (code
    ``dates_reversed``, ``other_customer``). Audited as ``pricing.price_profile.created``.
    """
    require_perm(actor, "pricing.add_priceprofile")
    _check_party(actor, party)
    profile = PriceProfile(
        legal_entity_id=party.legal_entity_id,
        party=party,
        billing_profile=billing_profile,
        name=(name or "").strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=actor,
    )
    _clean_profile(profile)
    profile.save()
    audit_record(
        actor=actor,
        action="pricing.price_profile.created",
        obj=profile,
        changes={
            k: [None, v] for k, v in snapshot(profile, (*AUDITED, "party")).items() if v not in (None, "")
        },
    )
    return profile


@transaction.atomic
def price_profile_update(*, actor: Any, profile: PriceProfile, **fields: Any) -> PriceProfile:
    """Change a draft's (or rejected profile's) name, dates or billing profile.

    Needs ``pricing.change_priceprofile``; code ``not_editable`` once submitted.
    """
    require_perm(actor, "pricing.change_priceprofile")
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown price profile fields: {sorted(unknown)}")
    profile = _locked(actor, profile)
    _require_editable(profile)
    before = snapshot(profile, AUDITED)
    for key, value in fields.items():
        setattr(profile, key, value.strip() if isinstance(value, str) else value)
    if profile.status == PriceProfile.Status.REJECTED:
        profile.status = PriceProfile.Status.DRAFT
    _clean_profile(profile)
    profile.save(update_fields=[*fields, "status", "updated_at"])
    changes = diff(before, snapshot(profile, AUDITED))
    if changes:
        audit_record(actor=actor, action="pricing.price_profile.updated", obj=profile, changes=changes)
    return profile


# ---------------------------------------------------------------- rules


def _decimal_or_none(value: Any) -> Any:
    """Form and API input arrive as text; ``"12,5"`` is read as 12.5."""
    if isinstance(value, str):
        value = value.strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
        return value or None
    return value


def _clean_rule(rule: PriceRule, profile: PriceProfile) -> None:
    """Field errors named after the rule's fields; nothing is written when any is found."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if rule.kind == PriceRule.Kind.PERCENT:
        rule.unit_price_amount = None
    elif rule.kind == PriceRule.Kind.FIXED_PRICE:
        rule.discount_percent = None
    try:
        rule.clean_fields(exclude=["profile", "product", "product_group"])
    except ValidationError as exc:
        for field, field_errors in exc.error_dict.items():
            if field == "discount_percent" and any(
                e.code in ("max_value", "min_value") for e in field_errors
            ):
                add(field, _("Enter a discount between 0 and 100 %."), "discount_range")
            elif field == "unit_price_amount" and any(e.code == "min_value" for e in field_errors):
                add(field, _("A price cannot be negative."), "negative_price")
            else:
                errors.setdefault(field, []).extend(field_errors)
    if (rule.product_id is None) == (rule.product_group_id is None):
        add("product", _("Choose a product group or a product (one of them)."), "one_target")
    if rule.product_id is not None and rule.product.legal_entity_id != profile.legal_entity_id:
        add("product", _("Choose a product of this legal entity."), "unknown_product")
    if rule.product_group_id is not None and rule.product_group.legal_entity_id != profile.legal_entity_id:
        add("product_group", _("Choose a product group of this legal entity."), "unknown_product_group")
    if rule.kind == PriceRule.Kind.PERCENT and "discount_percent" not in errors:
        if rule.discount_percent is None:
            add("discount_percent", _("Enter the discount in percent."), "required")
        elif not Decimal("0") <= rule.discount_percent <= Decimal("100"):
            add("discount_percent", _("Enter a discount between 0 and 100 %."), "discount_range")
    if rule.kind == PriceRule.Kind.FIXED_PRICE:
        if rule.product_group_id is not None and rule.product_id is None:
            add(
                "product_group",
                _("A fixed price is for one product; give a product group a percent discount."),
                "fixed_price_needs_product",
            )
        if "unit_price_amount" not in errors:
            if rule.unit_price_amount is None:
                add("unit_price_amount", _("Enter the fixed unit price."), "required")
            elif rule.unit_price_amount < 0:
                add("unit_price_amount", _("A price cannot be negative."), "negative_price")
    if "min_quantity" not in errors and rule.min_quantity is not None and rule.min_quantity < 0:
        add("min_quantity", _("The quantity cannot be negative."), "negative_quantity")
    if not errors:
        same = PriceRule.objects.filter(
            profile=profile,
            product_id=rule.product_id,
            product_group_id=rule.product_group_id,
            kind=rule.kind,
            min_quantity=rule.min_quantity,
        ).exclude(pk=rule.pk)
        if same.exists():
            add(
                "min_quantity",
                _("The profile has this kind of rule for this product or group from this quantity already."),
                "duplicate_rule",
            )
    if errors:
        raise ValidationError(errors)


def _rule_snapshot(rule: PriceRule) -> dict[str, Any]:
    return snapshot(rule, RULE_FIELDS)


@transaction.atomic
def price_rule_add(
    *,
    actor: Any,
    profile: PriceProfile,
    kind: str = PriceRule.Kind.PERCENT,
    product: Product | None = None,
    product_group: ProductGroup | None = None,
    discount_percent: Decimal | str | None = None,
    unit_price_amount: Decimal | str | None = None,
    min_quantity: Decimal | str | None = None,
) -> PriceRule:
    """Add a rule to a draft (or rejected) profile. Needs ``pricing.change_priceprofile``.

    ``ValidationError`` naming the field: ``discount_range`` (over 100 % or negative),
    ``negative_price``, ``one_target``, ``fixed_price_needs_product``, ``unknown_product``,
    ``duplicate_rule``; ``not_editable`` once submitted. Audited on the profile as
    ``pricing.price_rule.added``.
    """
    require_perm(actor, "pricing.change_priceprofile")
    profile = _locked(actor, profile)
    _require_editable(profile)
    rule = PriceRule(
        profile=profile,
        kind=kind,
        product=product,
        product_group=product_group,
        discount_percent=_decimal_or_none(discount_percent),
        unit_price_amount=_decimal_or_none(unit_price_amount),
        min_quantity=_decimal_or_none(min_quantity) or Decimal("0"),
    )
    _clean_rule(rule, profile)
    rule.save()
    _reopen(profile)
    audit_record(
        actor=actor,
        action="pricing.price_rule.added",
        obj=profile,
        changes={k: [None, v] for k, v in _rule_snapshot(rule).items() if v not in (None, "")},
    )
    return rule


@transaction.atomic
def price_rule_update(*, actor: Any, rule: PriceRule, **fields: Any) -> PriceRule:
    """Change a rule of a draft (or rejected) profile; same checks as ``price_rule_add``."""
    require_perm(actor, "pricing.change_priceprofile")
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown price rule fields: {sorted(unknown)}")
    profile = _locked(actor, rule.profile)
    _require_editable(profile)
    rule = PriceRule.objects.select_related("product", "product_group").get(pk=rule.pk, profile=profile)
    before = _rule_snapshot(rule)
    for key, value in fields.items():
        if key in ("discount_percent", "unit_price_amount", "min_quantity"):
            value = _decimal_or_none(value)
            if key == "min_quantity" and value is None:
                value = Decimal("0")
        setattr(rule, key, value)
    _clean_rule(rule, profile)
    rule.save()
    _reopen(profile)
    changes = diff(before, _rule_snapshot(rule))
    if changes:
        audit_record(actor=actor, action="pricing.price_rule.changed", obj=profile, changes=changes)
    return rule


@transaction.atomic
def price_rule_remove(*, actor: Any, rule: PriceRule) -> None:
    """Remove a rule from a draft (or rejected) profile. Audited as ``pricing.price_rule.removed``."""
    require_perm(actor, "pricing.change_priceprofile")
    profile = _locked(actor, rule.profile)
    _require_editable(profile)
    rule = PriceRule.objects.select_related("product", "product_group").get(pk=rule.pk, profile=profile)
    before = _rule_snapshot(rule)
    rule.delete()
    _reopen(profile)
    audit_record(
        actor=actor,
        action="pricing.price_rule.removed",
        obj=profile,
        changes={k: [v, None] for k, v in before.items() if v not in (None, "")},
    )


# ---------------------------------------------------------------- approval


def _make_effective(profile: PriceProfile, actor: Any, approver: Any) -> None:
    """Approve ``profile`` and supersede the customer's other approved, overlapping profiles."""
    now = timezone.now()
    profile.status = PriceProfile.Status.APPROVED
    profile.approved_at = now
    profile.approved_by = approver
    profile.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
    overlapping = (
        PriceProfile.objects.select_for_update()
        .filter(
            legal_entity_id=profile.legal_entity_id,
            party_id=profile.party_id,
            status=PriceProfile.Status.APPROVED,
        )
        .exclude(pk=profile.pk)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=profile.valid_from))
    )
    if profile.valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=profile.valid_to)
    for older in overlapping:
        older.status = PriceProfile.Status.SUPERSEDED
        older.superseded_by = profile
        older.superseded_from = max(profile.valid_from, older.valid_from)
        older.save(update_fields=["status", "superseded_by", "superseded_from", "updated_at"])
        audit_record(
            actor=actor,
            action="pricing.price_profile.superseded",
            obj=older,
            changes={
                "status": [PriceProfile.Status.APPROVED.value, PriceProfile.Status.SUPERSEDED.value],
                "superseded_by": [None, str(profile)],
                "superseded_from": [None, str(older.superseded_from)],
            },
        )


@transaction.atomic
def price_profile_submit(*, actor: Any, profile: PriceProfile) -> PriceProfile:
    """Submit a draft: approved at once within the actor's discount authority, else routed.

    Needs ``pricing.change_priceprofile``. Codes: ``not_editable`` (not a draft), ``no_rules``,
    ``no_approver`` (nobody's authority covers the discount). The approver is e-mailed after
    commit. Audited as ``pricing.price_profile.submitted`` (and ``.approved`` when within
    authority).
    """
    require_perm(actor, "pricing.change_priceprofile")
    profile = _locked(actor, profile)
    if profile.status != PriceProfile.Status.DRAFT:
        raise ValidationError(_("Only drafts can be submitted."), code="not_editable")
    if not profile.rules.exists():
        raise ValidationError(_("Add at least one price rule before submitting."), code="no_rules")
    profile.max_discount_percent = profile_max_discount(profile)
    profile.submitted_at = timezone.now()
    profile.submitted_by = actor
    request = approvals.approval_submit(actor=actor, subject=_subject(profile))
    profile.status = PriceProfile.Status.PENDING_APPROVAL
    profile.save(
        update_fields=["max_discount_percent", "submitted_at", "submitted_by", "status", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="pricing.price_profile.submitted",
        obj=profile,
        changes={
            "status": [PriceProfile.Status.DRAFT.value, profile.status],
            "max_discount_percent": [None, str(profile.max_discount_percent)],
            "routed_to": [None, str(request.assigned_to) if request.assigned_to else None],
        },
    )
    if request.status == ApprovalRequest.Status.APPROVED:
        _make_effective(profile, actor, approver=actor)
        audit_record(
            actor=actor,
            action="pricing.price_profile.approved",
            obj=profile,
            changes={
                "status": [PriceProfile.Status.PENDING_APPROVAL.value, profile.status],
                "approved_by": [None, str(actor)],
                "within_own_authority": [None, True],
            },
        )
    return profile


def _pending(profile: PriceProfile) -> ApprovalRequest:
    request = approvals.pending_request_for(profile, lock=True)
    if profile.status != PriceProfile.Status.PENDING_APPROVAL or request is None:
        raise ValidationError(_("This price profile is not waiting for approval."), code="not_pending")
    return request


def _check_not_author(actor: Any, profile: PriceProfile) -> None:
    if actor is not None and actor.pk in (profile.created_by_id, profile.submitted_by_id):
        raise ValidationError(
            _("You cannot decide on your own price profile: someone else must approve it."),
            code="self_approval",
        )


@transaction.atomic
def price_profile_approve(*, actor: Any, profile: PriceProfile, comment: str = "") -> PriceProfile:
    """Approve a pending profile, optionally with a comment.

    Needs ``pricing.approve_priceprofile``, the customer in scope, authority covering the
    profile's largest discount (code ``above_authority``) and not being its author (code
    ``self_approval``). Supersedes the customer's earlier approved profile from this one's
    start date. The author is e-mailed. Audited as ``pricing.price_profile.approved``.
    """
    require_perm(actor, APPROVE_PERM)
    profile = _locked(actor, profile)
    _check_not_author(actor, profile)
    request = _pending(profile)
    approvals.approval_approve(
        actor=actor,
        request=request,
        approve_perm=APPROVE_PERM,
        url=profile.get_absolute_url(),
        comment=comment,
    )
    _make_effective(profile, actor, approver=actor)
    audit_record(
        actor=actor,
        action="pricing.price_profile.approved",
        obj=profile,
        changes={
            "status": [PriceProfile.Status.PENDING_APPROVAL.value, profile.status],
            "approved_by": [None, str(actor)],
            "comment": [None, (comment or "").strip() or None],
        },
    )
    return profile


@transaction.atomic
def price_profile_reject(*, actor: Any, profile: PriceProfile, comment: str) -> PriceProfile:
    """Reject a pending profile; the comment is required (code ``comment_required``).

    Same permission, scope and authority rules as ``price_profile_approve``. The author may
    change the rejected profile (it becomes a draft again) and resubmit it.
    """
    require_perm(actor, APPROVE_PERM)
    profile = _locked(actor, profile)
    _check_not_author(actor, profile)
    request = _pending(profile)
    approvals.approval_reject(
        actor=actor,
        request=request,
        approve_perm=APPROVE_PERM,
        url=profile.get_absolute_url(),
        comment=comment,
    )
    profile.status = PriceProfile.Status.REJECTED
    profile.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="pricing.price_profile.rejected",
        obj=profile,
        changes={
            "status": [PriceProfile.Status.PENDING_APPROVAL.value, profile.status],
            "comment": [None, comment.strip()],
        },
    )
    return profile


@transaction.atomic
def price_profile_withdraw(*, actor: Any, profile: PriceProfile, comment: str = "") -> PriceProfile:
    """Withdraw a draft, pending, rejected or approved profile: it never prices again.

    Needs ``pricing.change_priceprofile`` and the customer in scope. A pending approval request
    is closed; the withdrawal is in the approval history. Audited as
    ``pricing.price_profile.withdrawn``.
    """
    require_perm(actor, "pricing.change_priceprofile")
    profile = _locked(actor, profile)
    if profile.status in (PriceProfile.Status.WITHDRAWN, PriceProfile.Status.SUPERSEDED):
        raise ValidationError(
            _("This price profile is %(status)s already.") % {"status": profile.get_status_display().lower()},
            code="not_withdrawable",
        )
    before = profile.status
    if before == PriceProfile.Status.PENDING_APPROVAL:
        approvals.approval_withdraw(actor=actor, target=profile, comment=comment)
    elif before == PriceProfile.Status.APPROVED:
        approvals.approval_record_withdrawal(actor=actor, target=profile, comment=comment)
    profile.status = PriceProfile.Status.WITHDRAWN
    profile.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="pricing.price_profile.withdrawn",
        obj=profile,
        changes={"status": [before, profile.status], "comment": [None, (comment or "").strip() or None]},
    )
    return profile
