"""Opportunity services: create, update, move through the stages, win, lose, reassign.

Every service is keyword-only with ``actor`` first, runs in one transaction, checks the
actor's permission and scope, validates before writing (a ``ValidationError`` naming the
field, nothing written), appends one ``OpportunityEvent`` per change and one audit entry.
``actor=None`` with ``system=True`` is for jobs (imports, demo data).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.sales.models import Opportunity, OpportunityEvent, OpportunityProduct, Stage
from frontoffice.sales.stages import ensure_default_stages

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
AUDITED = ["name", "amount", "currency", "expected_close_on", "competitors", "source", "description"]


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def parse_amount(value: Any, field: str = "amount") -> Decimal:
    """An exact amount >= 0 with at most two decimals; floats are refused (money is exact)."""
    if value is None or value == "" or isinstance(value, bool | float):
        raise _error(field, _("Enter an amount."), "invalid")
    try:
        amount = (
            Decimal(value.strip().replace(" ", "").replace(",", "."))
            if isinstance(value, str)
            else Decimal(value)
        )
    except (InvalidOperation, ValueError, TypeError):
        raise _error(field, _("Enter a valid amount."), "invalid") from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise _error(field, _("Enter an amount with at most two decimals."), "invalid")
    if amount < 0:
        raise _error(field, _("The amount cannot be negative."), "negative")
    if amount > MAX_AMOUNT:
        raise _error(field, _("The amount is too large."), "too_large")
    return amount.quantize(CENT)


def _parse_date(value: Any, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _error(field, _("Enter a valid date (YYYY-MM-DD)."), "invalid")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _check(actor: Any, perm: str, system: bool) -> None:
    require_perm(actor, perm, system=system)


def _stage_for(legal_entity_id: int, stage: Any) -> Stage:
    """The active stage ``stage`` (object or id) of the legal entity, or a field error."""
    try:
        found = Stage.objects.get(pk=_pk(stage), legal_entity_id=legal_entity_id, active=True)
    except (Stage.DoesNotExist, ValueError, TypeError):
        raise _error("stage", _("Unknown stage."), "unknown_stage") from None
    return found


def _closing_stage(legal_entity_id: int, kind: str) -> Stage:
    ensure_default_stages(legal_entity_id)
    stage = (
        Stage.objects.filter(legal_entity_id=legal_entity_id, kind=kind, active=True)
        .order_by("order", "id")
        .first()
    )
    if stage is None:
        raise _error("stage", _("The pipeline has no active stage of this kind."), "no_stage")
    return stage


def first_open_stage(legal_entity_id: int) -> Stage:
    ensure_default_stages(legal_entity_id)
    stage = (
        Stage.objects.filter(legal_entity_id=legal_entity_id, kind=Stage.Kind.OPEN, active=True)
        .order_by("order", "id")
        .first()
    )
    if stage is None:
        raise _error("stage", _("The pipeline has no active open stage."), "no_stage")
    return stage


def _owner_staff(actor: Any, owner: Any, legal_entity_id: int, system: bool) -> Any:
    """The owner's staff profile, checked: active, in the legal entity, and within the actor's
    reach (a rep can only own it themselves; a regional manager assigns within their regions)."""
    from frontoffice.org.models import Staff

    qs = Staff.objects.select_related("home_region").filter(
        user_id=_pk(owner), active=True, legal_entity_id=legal_entity_id
    )
    if not system and actor is not None:
        qs = visible_to(qs, actor)
    staff = qs.first()
    if staff is None:
        raise _error(
            "owner", _("Choose an active colleague within your reach as the owner."), "invalid_owner"
        )
    return staff


def _locked(actor: Any, opportunity: Opportunity, system: bool) -> Opportunity:
    """The opportunity re-read and locked, within the actor's scope (else PermissionDenied)."""
    qs = Opportunity.objects.select_related("stage", "party")
    if not system:
        qs = visible_to(qs, actor)
    try:
        return qs.select_for_update(of=("self",)).get(pk=opportunity.pk)
    except Opportunity.DoesNotExist:
        raise PermissionDenied(_("You cannot change this opportunity.")) from None


def _event(opp: Opportunity, actor: Any, kind: str, **fields: Any) -> OpportunityEvent:
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    return OpportunityEvent.objects.create(
        opportunity=opp, kind=kind, actor_id=actor_id, at=timezone.now(), **fields
    )


def _product_lines(legal_entity_id: int, products: Iterable[Any]) -> list[tuple[Any, Decimal, Decimal]]:
    """``products``: items ``product`` or ``(product, quantity)`` or ``(product, quantity, amount)``
    or dicts with those keys; the amount defaults to the list price times the quantity."""
    from frontoffice.billing.models import Product

    parsed: list[tuple[Any, Any, Any]] = []
    for item in products or ():
        if isinstance(item, dict):
            parsed.append((item.get("product"), item.get("quantity", 1), item.get("amount")))
        elif isinstance(item, tuple | list):
            parsed.append((item[0], item[1] if len(item) > 1 else 1, item[2] if len(item) > 2 else None))
        else:
            parsed.append((item, 1, None))
    ids = {_pk(p) for p, _q, _a in parsed}
    found = {
        p.pk: p
        for p in Product.objects.filter(
            pk__in=[i for i in ids if isinstance(i, int)], legal_entity_id=legal_entity_id
        )
    }
    lines = []
    for n, (product, quantity, amount) in enumerate(parsed, start=1):
        obj = found.get(_pk(product))
        if obj is None:
            raise _error("products", _("Row %(row)s: unknown product.") % {"row": n}, "unknown_product")
        try:
            qty = Decimal(str(quantity)) if not isinstance(quantity, float) else None
        except InvalidOperation:
            qty = None
        if qty is None or not qty.is_finite() or qty <= 0 or qty != qty.quantize(Decimal("0.001")):
            raise _error(
                "products",
                _("Row %(row)s: the quantity must be above zero.") % {"row": n},
                "invalid_quantity",
            )
        value = (
            (obj.unit_price_amount * qty).quantize(CENT)
            if amount in (None, "")
            else parse_amount(amount, "products")
        )
        lines.append((obj, qty, value))
    return lines


@transaction.atomic
def opportunity_create(
    *,
    actor: Any,
    party: Any,
    name: str,
    amount: Any,
    expected_close_on: Any,
    owner: Any = None,
    stage: Any = None,
    source: str = "",
    products: Iterable[Any] = (),
    currency: str | None = None,
    competitors: str = "",
    description: str = "",
    system: bool = False,
) -> Opportunity:
    from frontoffice.parties.models import Party

    _check(actor, "sales.add_opportunity", system)
    party_qs = Party.objects.select_related("legal_entity")
    if not system:
        party_qs = visible_to(party_qs, actor)
    party_obj = party_qs.filter(pk=_pk(party), erased_at__isnull=True).first()
    if party_obj is None:
        raise _error("party", _("Unknown customer."), "unknown_party")
    le_id = party_obj.legal_entity_id
    require_legal_entity(actor, le_id, system=system)
    amount_value = parse_amount(amount)
    close_on = _parse_date(expected_close_on, "expected_close_on")
    if not (name or "").strip():
        raise _error("name", _("Enter a name."), "required")
    if owner is None:
        if actor is None:
            raise _error("owner", _("Choose an owner."), "required")
        owner = actor
    staff = _owner_staff(actor, owner, le_id, system)
    stage_obj = first_open_stage(le_id) if stage is None else _stage_for(le_id, stage)
    if stage_obj.kind != Stage.Kind.OPEN:
        raise _error("stage", _("A new opportunity starts in an open stage."), "closed_stage")
    lines = _product_lines(le_id, products)
    opp = Opportunity(
        legal_entity_id=le_id,
        party=party_obj,
        owner_id=staff.user_id,
        region_id=staff.home_region_id or party_obj.region_id,
        name=name.strip(),
        stage=stage_obj,
        amount=amount_value,
        currency=(currency or party_obj.legal_entity.base_currency).upper(),
        opened_on=timezone.localdate(),
        expected_close_on=close_on,
        source=(source or "")[:100],
        competitors=competitors or "",
        description=description or "",
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    opp.full_clean(exclude=["party", "owner", "stage", "legal_entity", "region"])
    opp.save()
    OpportunityProduct.objects.bulk_create(
        [OpportunityProduct(opportunity=opp, product=p, quantity=q, amount=a) for p, q, a in lines]
    )
    _event(
        opp,
        actor,
        OpportunityEvent.Kind.CREATED,
        to_stage=stage_obj,
        new_amount=amount_value,
        to_owner_id=staff.user_id,
    )
    audit_record(
        actor=actor,
        action="sales.opportunity.created",
        obj=opp,
        changes={
            "party": party_obj.pk,
            "owner": staff.user_id,
            "stage": stage_obj.name,
            "amount": str(amount_value),
            "expected_close_on": close_on.isoformat(),
            "products": len(lines),
        },
    )
    return opp


@transaction.atomic
def opportunity_update(
    *, actor: Any, opportunity: Opportunity, system: bool = False, products: Any = None, **fields: Any
) -> Opportunity:
    """Change name, amount, currency, expected close, competitors, source, description and,
    when ``products`` is given, replace the product lines."""
    _check(actor, "sales.change_opportunity", system)
    opp = _locked(actor, opportunity, system)
    unknown = set(fields) - set(AUDITED)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = snapshot(opp, AUDITED)
    old_amount = opp.amount
    if "amount" in fields:
        fields["amount"] = parse_amount(fields["amount"])
    if "expected_close_on" in fields:
        fields["expected_close_on"] = _parse_date(fields["expected_close_on"], "expected_close_on")
    if "name" in fields:
        if not (fields["name"] or "").strip():
            raise _error("name", _("Enter a name."), "required")
        fields["name"] = fields["name"].strip()
    for key, value in fields.items():
        setattr(opp, key, value if value is not None else "")
    opp.currency = (opp.currency or "").upper()
    opp.full_clean(exclude=["party", "owner", "stage", "legal_entity", "region"])
    lines = None if products is None else _product_lines(opp.legal_entity_id, products)
    opp.save()
    if lines is not None:
        opp.lines.all().delete()
        OpportunityProduct.objects.bulk_create(
            [OpportunityProduct(opportunity=opp, product=p, quantity=q, amount=a) for p, q, a in lines]
        )
    if opp.amount != old_amount:
        _event(opp, actor, OpportunityEvent.Kind.AMOUNT_CHANGED, old_amount=old_amount, new_amount=opp.amount)
    changes = diff(before, snapshot(opp, AUDITED))
    if lines is not None:
        changes["products"] = len(lines)
    if changes:
        audit_record(actor=actor, action="sales.opportunity.updated", obj=opp, changes=changes)
    return opp


def _close(actor: Any, opp: Opportunity, stage: Stage, reason: str) -> Opportunity:
    reason = (reason or "").strip()
    won = stage.kind == Stage.Kind.WON
    field = "win_reason" if won else "loss_reason"
    if not reason:
        message = _("Say why the opportunity was won.") if won else _("Say why the opportunity was lost.")
        raise _error(field if field == "win_reason" else "loss_reason", message, "reason_required")
    from_stage = opp.stage
    if from_stage.pk == stage.pk:
        raise _error("stage", _("The opportunity is already in this stage."), "same_stage")
    opp.stage = stage
    opp.closed_on = timezone.localdate()
    opp.win_reason = reason if won else ""
    opp.loss_reason = "" if won else reason
    opp.save(update_fields=["stage", "closed_on", "win_reason", "loss_reason", "updated_at"])
    kind = OpportunityEvent.Kind.WON if won else OpportunityEvent.Kind.LOST
    _event(opp, actor, kind, from_stage=from_stage, to_stage=stage, reason=reason)
    audit_record(
        actor=actor,
        action="sales.opportunity.won" if won else "sales.opportunity.lost",
        obj=opp,
        changes={
            "stage": [from_stage.name, stage.name],
            field: reason,
            "closed_on": opp.closed_on.isoformat(),
        },
    )
    return opp


@transaction.atomic
def opportunity_move(
    *, actor: Any, opportunity: Opportunity, stage: Any, reason: str = "", system: bool = False
) -> Opportunity:
    """Move to another stage of the same legal entity. A won or lost stage closes the
    opportunity and needs the reason; moving a closed opportunity to an open stage reopens it."""
    _check(actor, "sales.change_opportunity", system)
    opp = _locked(actor, opportunity, system)
    target = _stage_for(opp.legal_entity_id, stage)
    if target.kind != Stage.Kind.OPEN:
        return _close(actor, opp, target, reason)
    from_stage = opp.stage
    if from_stage.pk == target.pk:
        return opp
    reopened = from_stage.kind != Stage.Kind.OPEN
    opp.stage = target
    opp.closed_on = None
    opp.win_reason = ""
    opp.loss_reason = ""
    opp.save(update_fields=["stage", "closed_on", "win_reason", "loss_reason", "updated_at"])
    kind = OpportunityEvent.Kind.REOPENED if reopened else OpportunityEvent.Kind.STAGE_CHANGED
    _event(opp, actor, kind, from_stage=from_stage, to_stage=target, reason=(reason or "").strip())
    audit_record(
        actor=actor,
        action="sales.opportunity.reopened" if reopened else "sales.opportunity.moved",
        obj=opp,
        changes={"stage": [from_stage.name, target.name], "reason": (reason or "").strip()},
    )
    return opp


@transaction.atomic
def opportunity_win(
    *, actor: Any, opportunity: Opportunity, reason: str = "", system: bool = False
) -> Opportunity:
    """Close as won (the legal entity's won stage); the reason is required."""
    _check(actor, "sales.change_opportunity", system)
    opp = _locked(actor, opportunity, system)
    return _close(actor, opp, _closing_stage(opp.legal_entity_id, Stage.Kind.WON), reason)


@transaction.atomic
def opportunity_lose(
    *, actor: Any, opportunity: Opportunity, reason: str, system: bool = False
) -> Opportunity:
    """Close as lost (the legal entity's lost stage); the reason is required."""
    _check(actor, "sales.change_opportunity", system)
    opp = _locked(actor, opportunity, system)
    return _close(actor, opp, _closing_stage(opp.legal_entity_id, Stage.Kind.LOST), reason)


@transaction.atomic
def opportunity_reassign(
    *, actor: Any, opportunity: Opportunity, owner: Any, reason: str = "", system: bool = False
) -> Opportunity:
    """Give the opportunity to another rep (within the actor's reach); the region follows the
    new owner's home region."""
    _check(actor, "sales.change_opportunity", system)
    opp = _locked(actor, opportunity, system)
    staff = _owner_staff(actor, owner, opp.legal_entity_id, system)
    if staff.user_id == opp.owner_id:
        return opp
    old_owner_id, old_region_id = opp.owner_id, opp.region_id
    opp.owner_id = staff.user_id
    opp.region_id = staff.home_region_id or opp.region_id
    opp.save(update_fields=["owner", "region", "updated_at"])
    _event(
        opp,
        actor,
        OpportunityEvent.Kind.OWNER_CHANGED,
        from_owner_id=old_owner_id,
        to_owner_id=staff.user_id,
        reason=(reason or "").strip(),
    )
    audit_record(
        actor=actor,
        action="sales.opportunity.reassigned",
        obj=opp,
        changes={
            "owner": [old_owner_id, staff.user_id],
            "region": [old_region_id, opp.region_id],
            "reason": reason,
        },
    )
    return opp


def _check_stage_rules(obj: Stage, before: dict[str, Any]) -> None:
    """The pipeline always has one won stage (100 %), one lost stage (0 %) and at least one
    active open stage; a stage holding open opportunities stays active."""
    fixed = _(
        "The won and lost stages keep their kind and probability and stay active; only their name and order change."
    )
    if not before:
        if obj.kind != Stage.Kind.OPEN:
            raise ValidationError(
                {"kind": ValidationError(_("New stages are open stages."), code="closing_stage_fixed")}
            )
        return
    if before["kind"] != Stage.Kind.OPEN:
        for field in ("kind", "probability", "active"):
            if getattr(obj, field) != before[field]:
                raise ValidationError({field: ValidationError(fixed, code="closing_stage_fixed")})
        return
    if obj.kind != Stage.Kind.OPEN:
        raise ValidationError(
            {
                "kind": ValidationError(
                    _("An open stage cannot become a closing stage."), code="closing_stage_fixed"
                )
            }
        )
    if before["active"] and not obj.active:
        in_use = Opportunity.objects.filter(stage_id=obj.pk, closed_on__isnull=True).count()
        if in_use:
            raise ValidationError(
                {
                    "active": ValidationError(
                        _("%(n)d open opportunities are in this stage: move them before deactivating it."),
                        code="stage_in_use",
                        params={"n": in_use},
                    )
                }
            )
        others = Stage.objects.filter(
            legal_entity_id=obj.legal_entity_id, kind=Stage.Kind.OPEN, active=True
        ).exclude(pk=obj.pk)
        if not others.exists():
            raise ValidationError(
                {
                    "active": ValidationError(
                        _("The pipeline needs at least one active open stage."), code="last_open_stage"
                    )
                }
            )


@transaction.atomic
def stage_save(*, actor: Any, legal_entity: Any, stage: Stage | None = None, **fields: Any) -> Stage:
    """Create or change a pipeline stage (settings). See ``_check_stage_rules`` for what may change."""
    require_perm(actor, "sales.manage_stages")
    le_id = _pk(legal_entity)
    require_legal_entity(actor, le_id)
    obj = (
        Stage.objects.select_for_update().get(pk=stage.pk)
        if stage is not None and stage.pk
        else Stage(legal_entity_id=le_id)
    )
    if obj.legal_entity_id != le_id:
        raise PermissionDenied(_("You cannot change this stage."))
    before = snapshot(obj, ["name", "order", "probability", "kind", "active"]) if obj.pk else {}
    for key in ("name", "order", "probability", "kind", "active"):
        if key in fields:
            setattr(obj, key, fields[key])
    # legal_entity is not excluded, so the unique name per legal entity is checked here.
    obj.full_clean()
    _check_stage_rules(obj, before)
    created = obj.pk is None
    obj.save()
    audit_record(
        actor=actor,
        action="sales.stage.created" if created else "sales.stage.updated",
        obj=obj,
        changes=diff(before, snapshot(obj, ["name", "order", "probability", "kind", "active"])),
    )
    return obj
