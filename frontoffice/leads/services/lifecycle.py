"""What happens to a lead after intake: assignment, first contact, qualification, conversion."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.leads.models import Lead, LeadEvent, QualificationQuestion
from frontoffice.leads.services.common import event, user_label
from frontoffice.leads.services.high_value import high_value_refusal, require_high_value_owner

DEFAULT_QUESTIONS = [
    ("budget", "Budget", "Is there money set aside for this?"),
    ("authority", "Authority", "Are we talking to the person who decides?"),
    ("need", "Need", "Is there a real need our products meet?"),
    ("timeline", "Timeline", "Will they buy within the coming months?"),
]


def _locked(actor: Any, lead: Lead) -> Lead:
    """The lead, locked for update, if the actor may see it (else DoesNotExist → 404)."""
    qs = Lead.objects.select_for_update(of=("self",))
    if actor is not None:
        qs = visible_to(qs, actor)
    return qs.get(pk=lead.pk)


def _stage_error(message: str, code: str = "stage") -> ValidationError:
    return ValidationError({"stage": ValidationError(message, code=code)})


def _set_stage(lead: Lead, stage: str, actor: Any, reason: str = "") -> None:
    old = lead.stage
    lead.stage = stage
    event(
        lead,
        LeadEvent.Kind.STAGE,
        actor=actor,
        from_value=Lead.Stage(old).label,
        to_value=Lead.Stage(stage).label,
        reason=reason,
    )


@transaction.atomic
def lead_assign(*, actor: Any, lead: Lead, owner: Any, reason: str) -> Lead:
    """Give the lead to another rep (or back to the region's pool with ``owner=None``).

    Needs ``leads.assign_lead``; a rep (``leads.change_lead``) may only take an unassigned lead
    of their region for themselves. The reason is required and goes on the history.
    """
    from frontoffice.org.models import Staff

    lead = _locked(actor, lead)
    taking = owner is not None and owner.pk == getattr(actor, "pk", None) and lead.owner_id is None
    if taking:
        require_perm(actor, "leads.change_lead")
    else:
        require_perm(actor, "leads.assign_lead")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Say why the lead changes hands."), code="required")}
        )
    if not lead.is_open:
        raise _stage_error(_("Only open leads can be reassigned."))
    if owner is not None:
        staff = Staff.objects.filter(
            user_id=owner.pk, legal_entity_id=lead.legal_entity_id, active=True
        ).first()
        if staff is None:
            raise ValidationError(
                {
                    "owner": ValidationError(
                        _("The owner must be an active staff member of the legal entity."), code="owner"
                    )
                }
            )
        if lead.region_id is None and staff.home_region_id:
            lead.region_id = staff.home_region_id
    if (owner.pk if owner else None) == lead.owner_id:
        return lead
    # Above the high-value threshold the new owner needs the required certificate (training).
    require_high_value_owner(owner=owner, legal_entity_id=lead.legal_entity_id, amount=lead.estimated_amount)
    old_owner = lead.owner_id
    lead.owner = owner
    lead.save(update_fields=["owner", "region", "updated_at"])
    if lead.created_party:
        # The prospect made on intake follows its lead, so the new owner can work with it.
        from frontoffice.parties.models import Party

        Party.objects.filter(pk=lead.party_id, owner_id=old_owner).update(
            owner=owner, region_id=lead.region_id
        )
    event(
        lead,
        LeadEvent.Kind.REASSIGNED if old_owner else LeadEvent.Kind.ASSIGNED,
        actor=actor,
        from_value=user_label(old_owner),
        to_value=user_label(owner.pk if owner else None) or _("Unassigned"),
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="leads.lead.assigned",
        obj=lead,
        changes={"owner": [old_owner, lead.owner_id], "reason": [None, reason]},
    )
    return lead


# What ``lead_update`` may change, with the audit trail's before/after for each.
UPDATABLE_FIELDS = ("estimated_amount",)
MAX_AMOUNT = Decimal("999999999999.99")  # MoneyField: 14 digits, 2 decimals


def _amount_error(message: str, code: str) -> ValidationError:
    return ValidationError({"estimated_amount": ValidationError(message, code=code)})


def clean_estimated_amount(value: Any) -> Decimal | None:
    """An estimated value as given by a form or the API: ``None`` (or empty) clears it; else an
    exact non-negative amount with at most two decimals (floats are refused: money is exact)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        raise _amount_error(_("Enter the amount as a decimal number."), "invalid")
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise _amount_error(_("Enter the amount as a decimal number."), "invalid") from None
    if not amount.is_finite():
        raise _amount_error(_("Enter the amount as a decimal number."), "invalid")
    if amount < 0:
        raise _amount_error(_("The estimated value cannot be negative."), "negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise _amount_error(_("Use at most two decimals."), "decimals")
    if amount > MAX_AMOUNT:
        raise _amount_error(_("The amount is too large."), "too_large")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def lead_update(*, actor: Any, lead: Lead, **fields: Any) -> Lead:
    """Change the lead's details; today its ``estimated_amount`` (``None`` clears it).

    Needs ``leads.change_lead`` and the lead in the actor's scope (else ``DoesNotExist``, a
    404); only open leads change. Raising the value of an owned lead above the legal entity's
    high-value threshold needs the owner to hold the certificate required for
    ``leads.high_value`` (the same gate as assignment, ``certificate_required``); lowering it,
    or changing an unassigned lead, is never refused. The change goes on the lead's history
    and the audit trail (``leads.lead.updated``).
    """
    unknown = set(fields) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"lead_update does not change {sorted(unknown)}")
    require_perm(actor, "leads.change_lead")
    lead = _locked(actor, lead)
    if "estimated_amount" not in fields:
        return lead
    amount = clean_estimated_amount(fields["estimated_amount"])
    before = lead.estimated_amount
    if amount == before:
        return lead
    if not lead.is_open:
        raise _stage_error(_("This lead is closed; its estimated value can no longer change."))
    if amount is not None and (before is None or amount > before):
        refusal = high_value_refusal(
            owner=lead.owner, legal_entity_id=lead.legal_entity_id, amount=amount, editing=True
        )
        if refusal is not None:
            raise refusal
    lead.estimated_amount = amount
    lead.full_clean(
        exclude=[f.name for f in Lead._meta.get_fields() if f.concrete and f.name != "estimated_amount"]
    )
    lead.save(update_fields=["estimated_amount", "updated_at"])
    event(
        lead,
        LeadEvent.Kind.VALUE_CHANGED,
        actor=actor,
        from_value="" if before is None else before,
        to_value="" if amount is None else amount,
    )
    audit_record(
        actor=actor,
        action="leads.lead.updated",
        obj=lead,
        changes={
            "estimated_amount": [
                None if before is None else str(before),
                None if amount is None else str(amount),
            ]
        },
    )
    return lead


@transaction.atomic
def lead_contact_recorded(*, actor: Any, lead: Lead, interaction: Any) -> Lead:
    """An outbound call, e-mail or meeting about the lead was logged (activities calls this).

    Stops the first-contact clock (the first time) and moves a new lead to contacted.
    """
    require_perm(actor, "leads.change_lead", system=True)
    lead = _locked(actor, lead)
    at = getattr(interaction, "started_at", None) or timezone.now()
    changed = []
    if lead.first_contact_at is None:
        lead.first_contact_at = at
        changed.append("first_contact_at")
        event(
            lead,
            LeadEvent.Kind.CONTACTED,
            actor=actor,
            to_value=str(getattr(interaction, "subject", ""))[:200],
        )
    if lead.stage == Lead.Stage.NEW:
        _set_stage(lead, Lead.Stage.CONTACTED, actor)
        changed.append("stage")
    if changed:
        lead.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action="leads.lead.contacted",
            obj=lead,
            changes={
                "first_contact_at": [None, lead.first_contact_at],
                "interaction": [None, getattr(interaction, "pk", None)],
            },
        )
    return lead


def questions_for(legal_entity_id: int) -> list[QualificationQuestion]:
    """The active checklist of the legal entity; the default (BANT) is created on first use."""
    questions = list(QualificationQuestion.objects.filter(legal_entity_id=legal_entity_id, active=True))
    if questions or QualificationQuestion.objects.filter(legal_entity_id=legal_entity_id).exists():
        return questions
    for order, (key, label, help_text) in enumerate(DEFAULT_QUESTIONS):
        QualificationQuestion.objects.get_or_create(
            legal_entity_id=legal_entity_id,
            key=key,
            defaults={"label": label, "help_text": help_text, "weight": 25, "order": order},
        )
    return list(QualificationQuestion.objects.filter(legal_entity_id=legal_entity_id, active=True))


def checklist_score(questions: list[QualificationQuestion], answers: dict[str, Any]) -> int:
    """Weighted share of the questions answered yes, 0-100 (rounded half up)."""
    total = sum(q.weight for q in questions)
    if not total:
        return 0
    yes = sum(q.weight for q in questions if answers.get(q.key) is True)
    return int((Decimal(yes) * 100 / Decimal(total)).quantize(Decimal("1"), rounding="ROUND_HALF_UP"))


@transaction.atomic
def lead_qualify(
    *, actor: Any, lead: Lead, answers: dict[str, Any], qualified: bool = False, note: str = ""
) -> Lead:
    """Save the checklist answers (the checklist score follows); with ``qualified`` move the lead
    to qualified. Needs ``leads.qualify_lead``."""
    require_perm(actor, "leads.qualify_lead")
    lead = _locked(actor, lead)
    if not lead.is_open:
        raise _stage_error(_("This lead is closed; its checklist can no longer change."))
    questions = questions_for(lead.legal_entity_id)
    known = {q.key for q in questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValidationError(
            {
                "answers": ValidationError(
                    _("Unknown checklist item: %(keys)s.") % {"keys": ", ".join(unknown)}, code="unknown"
                )
            }
        )
    clean = {q.key: bool(answers.get(q.key)) for q in questions}
    before = (dict(lead.qualification), lead.checklist_score, lead.stage)
    lead.qualification = clean
    lead.checklist_score = checklist_score(questions, clean)
    # The model's score (or the checklist fallback, with its reason) follows the new answers.
    from frontoffice.leads.scoring import lead_score_set

    lead_score_set(lead)
    if qualified and lead.stage != Lead.Stage.QUALIFIED:
        if lead.first_contact_at is None:
            lead.first_contact_at = timezone.now()
        _set_stage(lead, Lead.Stage.QUALIFIED, actor, reason=note)
        event(lead, LeadEvent.Kind.QUALIFIED, actor=actor, to_value=f"{lead.checklist_score}", reason=note)
    lead.save()
    audit_record(
        actor=actor,
        action="leads.lead.qualified" if qualified else "leads.lead.checklist_saved",
        obj=lead,
        changes={
            "qualification": [before[0], clean],
            "checklist_score": [before[1], lead.checklist_score],
            "stage": [before[2], lead.stage],
        },
    )
    return lead


@transaction.atomic
def lead_disqualify(*, actor: Any, lead: Lead, reason: str) -> Lead:
    """Close the lead as not a fit. The reason is required. Needs ``leads.qualify_lead``."""
    require_perm(actor, "leads.qualify_lead")
    lead = _locked(actor, lead)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Say why the lead is disqualified."), code="required")}
        )
    if len(reason) > 500:
        raise ValidationError({"reason": ValidationError(_("At most 500 characters."), code="max_length")})
    if not lead.is_open:
        raise _stage_error(_("Only open leads can be disqualified."))
    old = lead.stage
    lead.disqualify_reason = reason
    _set_stage(lead, Lead.Stage.DISQUALIFIED, actor, reason=reason)
    event(lead, LeadEvent.Kind.DISQUALIFIED, actor=actor, reason=reason)
    lead.save(update_fields=["stage", "disqualify_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="leads.lead.disqualified",
        obj=lead,
        changes={"stage": [old, lead.stage], "reason": [None, reason]},
    )
    return lead


@transaction.atomic
def lead_convert(
    *,
    actor: Any,
    lead: Lead,
    name: str = "",
    amount: Any = Decimal("0.00"),
    expected_close_on: Any = None,
    products: Any = (),
) -> Any:
    """Turn a qualified lead into a sales opportunity for its customer (owner: the lead's owner,
    else the actor). Needs ``leads.convert_lead`` (and what ``sales.services.opportunity_create``
    needs). Returns the opportunity."""
    from frontoffice.sales.services import opportunity_create

    require_perm(actor, "leads.convert_lead")
    lead = _locked(actor, lead)
    if lead.stage == Lead.Stage.CONVERTED:
        raise _stage_error(_("This lead is already converted."), code="converted")
    if lead.stage != Lead.Stage.QUALIFIED:
        raise _stage_error(_("Qualify the lead before converting it."), code="not_qualified")
    if expected_close_on in (None, ""):
        expected_close_on = timezone.localdate() + datetime.timedelta(days=30)
    owner = lead.owner or actor
    opportunity = opportunity_create(
        actor=actor,
        party=lead.party,
        name=(name or "").strip() or (lead.company or lead.contact_name or str(lead))[:200],
        amount=amount if amount not in (None, "") else Decimal("0.00"),
        expected_close_on=expected_close_on,
        owner=owner,
        source=(lead.source.name if lead.source_id else lead.get_channel_display())[:100],
        products=products,
    )
    old = lead.stage
    lead.opportunity = opportunity
    lead.converted_at = timezone.now()
    if lead.owner_id is None:
        lead.owner = owner
    _set_stage(lead, Lead.Stage.CONVERTED, actor)
    event(lead, LeadEvent.Kind.CONVERTED, actor=actor, to_value=str(opportunity)[:200])
    lead.save(update_fields=["stage", "opportunity", "converted_at", "owner", "updated_at"])
    audit_record(
        actor=actor,
        action="leads.lead.converted",
        obj=lead,
        changes={"stage": [old, lead.stage], "opportunity": [None, opportunity.pk]},
    )
    return opportunity


@transaction.atomic
def lead_link_party(*, actor: Any, lead: Lead, party: Any) -> Lead:
    """Link the lead to an existing customer (one of its possible duplicates, or any visible
    customer of the legal entity). Needs ``leads.change_lead``."""
    from frontoffice.parties.models import Party

    require_perm(actor, "leads.change_lead")
    lead = _locked(actor, lead)
    target = (
        visible_to(Party.objects.active(), actor)
        .filter(pk=getattr(party, "pk", party), legal_entity_id=lead.legal_entity_id, erased_at__isnull=True)
        .first()
    )
    if target is None:
        raise ValidationError({"party": ValidationError(_("Unknown customer."), code="unknown_party")})
    if lead.stage == Lead.Stage.CONVERTED:
        raise _stage_error(_("A converted lead keeps its customer."), code="converted")
    old = lead.party_id
    if old == target.pk:
        return lead
    lead.party = target
    lead.possible_duplicates = [pk for pk in lead.possible_duplicates if pk != target.pk]
    lead.save(update_fields=["party", "possible_duplicates", "updated_at"])
    event(lead, LeadEvent.Kind.LINKED, actor=actor, to_value=target.display_name)
    audit_record(actor=actor, action="leads.lead.linked", obj=lead, changes={"party": [old, target.pk]})
    return lead
