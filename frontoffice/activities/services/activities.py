"""Calls, e-mails and tasks: plan, log, complete; e-mail from templates.

Invariants protected here:
- an activity lies inside its owner's and the actor's scope: legal entity, region and location
  are copied from the owner's staff profile (else the customer), the customer is visible to the
  actor, and a sales rep plans work only for themselves;
- a done call, e-mail or meeting is recorded once as a parties ``Interaction`` (the timeline's
  and the measures' raw material), concerning its lead, else its opportunity, else the activity;
  tasks are internal work and record none;
- an outbound contact about a lead tells the leads app (``lead_contact_recorded``), which runs
  the first-contact clock;
- an open task has a due time; completing an activity twice changes nothing the second time;
- templates use only the placeholders in ``TEMPLATE_PLACEHOLDERS``: ``{first_name}`` is
  replaced, anything else in braces is refused when the template is saved — no template code
  is ever executed;
- e-mail is queued on commit (``core.tasks.email_enqueue``): a rolled-back send sends nothing;
- every change writes an audit entry (``activities.activity.*``, ``activities.email_template.*``).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontoffice.activities.models import Activity, EmailTemplate
from frontoffice.activities.services.common import (
    check_owner,
    lead_contact_recorded,
    scope_fields,
    staff_of,
    visible_party,
)
from frontoffice.core.audit import audit_created, audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.tasks import email_enqueue
from frontoffice.parties.models import Interaction, Party

ACTIVITY_FIELDS = [
    "kind",
    "direction",
    "subject",
    "party",
    "owner",
    "due_at",
    "duration_minutes",
    "done_at",
    "outcome",
    "notes",
    "next_step",
    "next_step_on",
]
CHANNELS = {
    Activity.Kind.CALL: Interaction.Channel.PHONE,
    Activity.Kind.EMAIL: Interaction.Channel.EMAIL,
    Activity.Kind.MEETING: Interaction.Channel.IN_PERSON,
}
TEMPLATE_PLACEHOLDERS = {
    "first_name": gettext_lazy("The customer's first name"),
    "last_name": gettext_lazy("The customer's last name"),
    "customer_name": gettext_lazy("The customer's name"),
    "rep_name": gettext_lazy("Your name"),
    "rep_email": gettext_lazy("Your e-mail address"),
    "company": gettext_lazy("Your company's name"),
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def has_link_field(name: str) -> bool:
    """Whether the optional ``lead``/``opportunity`` foreign keys exist (the apps have landed)."""
    return any(f.name == name for f in Activity._meta.get_fields())


def _set_links(obj: Any, *, lead: Any = None, opportunity: Any = None) -> None:
    for name, value in (("lead", lead), ("opportunity", opportunity)):
        if value is not None and any(f.name == name for f in type(obj)._meta.get_fields()):
            setattr(obj, name, value)


def check_links(*, actor: Any, party: Party, lead: Any = None, opportunity: Any = None) -> None:
    """A lead or opportunity must be visible to the actor and belong to the same customer."""
    from frontoffice.core.scoping import visible_to

    for field, value in (("lead", lead), ("opportunity", opportunity)):
        if value is None:
            continue
        model = type(value)
        if not visible_to(model.objects.filter(pk=value.pk), actor).exists():
            raise ValidationError(
                {field: ValidationError(_("Choose one you can see."), code=f"{field}_not_visible")}
            )
        if getattr(value, "party_id", party.pk) != party.pk:
            raise ValidationError(
                {field: ValidationError(_("It belongs to another customer."), code=f"{field}_other_party")}
            )


def _concerns(activity: Activity) -> Any:
    return (
        getattr(activity, "lead", None)
        or getattr(activity, "opportunity", None)
        or activity.meeting
        or activity
    )


def _record_interaction(*, actor: Any, activity: Activity) -> Interaction | None:
    if activity.kind not in CHANNELS or activity.interaction_id:
        return None
    ended = (
        activity.done_at + datetime.timedelta(minutes=activity.duration_minutes)
        if activity.duration_minutes
        else None
    )
    from frontoffice.parties.services import interaction_record

    interaction = interaction_record(
        actor=actor,
        party=activity.party,
        kind=activity.kind,
        channel=CHANNELS[activity.kind],
        direction=activity.direction,
        subject=activity.subject,
        started_at=activity.done_at,
        ended_at=ended,
        outcome=activity.outcome,
        staff=staff_of(activity.owner),
        concerns=_concerns(activity),
        check_permission=False,  # this service checked the actor and the customer
    )
    activity.interaction = interaction
    activity.save(update_fields=["interaction", "updated_at"])
    if activity.direction == Activity.Direction.OUTBOUND:
        lead_contact_recorded(actor=actor, lead=getattr(activity, "lead", None), interaction=interaction)
    return interaction


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    party: Party,
    kind: str,
    subject: str,
    direction: str = Activity.Direction.OUTBOUND,
    owner: Any = None,
    due_at: datetime.datetime | None = None,
    duration_minutes: int = 0,
    done: bool = False,
    done_at: datetime.datetime | None = None,
    outcome: str = "",
    notes: str = "",
    next_step: str = "",
    next_step_on: datetime.date | None = None,
    lead: Any = None,
    opportunity: Any = None,
    meeting: Any = None,
) -> Activity:
    """Plan (``done=False``: a task or a call with a due time) or log (``done=True``) an
    activity with ``party``. Needs ``activities.add_activity``; a logged call, e-mail or meeting
    is recorded as an interaction."""
    require_perm(actor, "activities.add_activity")
    party = visible_party(actor, party)
    owner = owner or actor
    check_owner(actor=actor, owner=owner, legal_entity_id=party.legal_entity_id)
    require_legal_entity(actor, party.legal_entity_id)
    check_links(actor=actor, party=party, lead=lead, opportunity=opportunity)
    fields = scope_fields(owner=owner, party=party)
    if done and done_at is None:
        done_at = timezone.now()
    activity = Activity(
        legal_entity_id=fields.legal_entity_id,
        region_id=fields.region_id,
        location_id=fields.location_id,
        party=party,
        owner=owner,
        kind=kind,
        direction=direction,
        subject=(subject or "").strip(),
        due_at=due_at,
        duration_minutes=duration_minutes or 0,
        done_at=done_at if done else None,
        outcome=(outcome or "").strip(),
        notes=(notes or "").strip(),
        next_step=(next_step or "").strip(),
        next_step_on=next_step_on,
        meeting=meeting,
        created_by=actor,
    )
    _set_links(activity, lead=lead, opportunity=opportunity)
    errors: dict[str, list[ValidationError]] = {}
    if kind == Activity.Kind.TASK and not done and due_at is None:
        errors["due_at"] = [ValidationError(_("A task needs a due date and time."), code="due_required")]
    if next_step_on and not next_step.strip():
        errors["next_step"] = [ValidationError(_("Say what the next step is."), code="next_step_required")]
    if errors:
        raise ValidationError(errors)
    activity.full_clean(exclude=["interaction", "meeting", "lead", "opportunity"])
    activity.save()
    audit_created(actor=actor, obj=activity, fields=ACTIVITY_FIELDS, action="activities.activity.created")
    if activity.done_at is not None:
        _record_interaction(actor=actor, activity=activity)
    return activity


@transaction.atomic
def activity_complete(
    *,
    actor: Any,
    activity: Activity,
    outcome: str = "",
    notes: str | None = None,
    next_step: str = "",
    next_step_on: datetime.date | None = None,
    done_at: datetime.datetime | None = None,
) -> Activity:
    """Mark ``activity`` done with its outcome (and a next step); a call, e-mail or meeting is
    recorded as an interaction. Needs ``activities.change_activity`` and the activity in scope;
    completing a done activity returns it unchanged."""
    from frontoffice.core.scoping import visible_to

    require_perm(actor, "activities.change_activity")
    activity = (
        visible_to(Activity.objects.select_for_update(of=("self",)), actor)
        .select_related("party", "owner")
        .filter(pk=activity.pk)
        .first()
    )
    if activity is None:
        raise ValidationError(_("This activity is not in your scope."), code="not_visible")
    if activity.done_at is not None:
        return activity
    if next_step_on and not (next_step or "").strip():
        raise ValidationError(
            {"next_step": ValidationError(_("Say what the next step is."), code="next_step_required")}
        )
    before = snapshot(activity, ACTIVITY_FIELDS)
    activity.done_at = done_at or timezone.now()
    activity.outcome = (outcome or "").strip()
    if notes is not None:
        activity.notes = notes.strip()
    activity.next_step = (next_step or "").strip()
    activity.next_step_on = next_step_on
    activity.full_clean(exclude=["interaction", "meeting", "lead", "opportunity"])
    activity.save(update_fields=["done_at", "outcome", "notes", "next_step", "next_step_on", "updated_at"])
    audit_record(
        actor=actor,
        action="activities.activity.completed",
        obj=activity,
        changes=diff(before, snapshot(activity, ACTIVITY_FIELDS)),
    )
    _record_interaction(actor=actor, activity=activity)
    return activity


# ---------------------------------------------------------------- e-mail templates


def template_placeholders_check(text: str, field: str) -> None:
    unknown = sorted({m for m in _PLACEHOLDER.findall(text) if m not in TEMPLATE_PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Unknown placeholder %(names)s. Use %(allowed)s.")
                    % {
                        "names": ", ".join("{" + n + "}" for n in unknown),
                        "allowed": ", ".join("{" + n + "}" for n in TEMPLATE_PLACEHOLDERS),
                    },
                    code="unknown_placeholder",
                )
            }
        )


def template_render(text: str, values: dict[str, str]) -> str:
    """Replace each known ``{placeholder}`` with its value; nothing else is interpreted."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def template_values(*, party: Party, sender: Any) -> dict[str, str]:
    from frontoffice.org.models import LegalEntity

    company = LegalEntity.objects.filter(pk=party.legal_entity_id).values_list("name", flat=True).first()
    return {
        "first_name": party.first_name or party.display_name,
        "last_name": party.last_name,
        "customer_name": party.display_name,
        "rep_name": sender.get_full_name() or sender.username,
        "rep_email": sender.email,
        "company": company or "",
    }


@transaction.atomic
def email_template_save(
    *,
    actor: Any,
    legal_entity: Any,
    name: str,
    language: str,
    subject: str,
    body: str,
    active: bool = True,
    template: EmailTemplate | None = None,
) -> EmailTemplate:
    """Create or change a template. Needs ``activities.add_emailtemplate`` (new) or
    ``activities.change_emailtemplate``, in the actor's legal entity."""
    require_perm(actor, "activities.change_emailtemplate" if template else "activities.add_emailtemplate")
    legal_entity_id = getattr(legal_entity, "pk", legal_entity)
    require_legal_entity(actor, legal_entity_id)
    template_placeholders_check(subject, "subject")
    template_placeholders_check(body, "body")
    fields = ["name", "language", "subject", "body", "active"]
    if template is None:
        template = EmailTemplate(legal_entity_id=legal_entity_id)
        before = None
    else:
        template = EmailTemplate.objects.select_for_update().get(pk=template.pk)
        require_legal_entity(actor, template.legal_entity_id)
        before = snapshot(template, fields)
    template.name, template.language = name.strip(), language
    template.subject, template.body, template.active = subject.strip(), body, active
    template.full_clean()
    template.save()
    if before is None:
        audit_created(actor=actor, obj=template, fields=fields, action="activities.email_template.created")
    else:
        audit_record(
            actor=actor,
            action="activities.email_template.changed",
            obj=template,
            changes=diff(before, snapshot(template, fields)),
        )
    return template


@transaction.atomic
def email_send(
    *,
    actor: Any,
    party: Party,
    subject: str = "",
    body: str = "",
    template: EmailTemplate | None = None,
    to: str = "",
    lead: Any = None,
    opportunity: Any = None,
    next_step: str = "",
    next_step_on: datetime.date | None = None,
) -> Activity:
    """Send an e-mail to the customer from the app and log it (a done outbound e-mail activity
    and its interaction). With ``template`` its subject and body are used where none is typed;
    placeholders are filled in either way. Queued on commit."""
    require_perm(actor, "activities.add_activity")
    party = visible_party(actor, party)
    if template is not None:
        if template.legal_entity_id != party.legal_entity_id or not template.active:
            raise ValidationError(
                {
                    "template": ValidationError(
                        _("Choose an active template of this company."), code="template"
                    )
                }
            )
        subject = subject or template.subject
        body = body or template.body
    recipient = (to or party.email or "").strip().lower()
    errors: dict[str, list[ValidationError]] = {}
    if not recipient:
        errors["to"] = [ValidationError(_("The customer has no e-mail address."), code="no_email")]
    else:
        from django.core.validators import validate_email

        try:
            validate_email(recipient)
        except ValidationError:
            errors["to"] = [ValidationError(_("Enter a valid e-mail address."), code="invalid_email")]
    if not subject.strip():
        errors["subject"] = [ValidationError(_("Write a subject."), code="required")]
    if not body.strip():
        errors["body"] = [ValidationError(_("Write a message."), code="required")]
    for field, text in (("subject", subject), ("body", body)):
        if field not in errors:
            try:
                template_placeholders_check(text, field)
            except ValidationError as exc:
                errors[field] = exc.error_dict[field]
    if errors:
        raise ValidationError(errors)
    values = template_values(party=party, sender=actor)
    subject_text = template_render(subject.strip(), values)[:200]
    body_text = template_render(body, values)
    activity = activity_create(
        actor=actor,
        party=party,
        kind=Activity.Kind.EMAIL,
        subject=subject_text,
        direction=Activity.Direction.OUTBOUND,
        done=True,
        notes=body_text,
        outcome=_("Sent to %(email)s") % {"email": recipient},
        next_step=next_step,
        next_step_on=next_step_on,
        lead=lead,
        opportunity=opportunity,
    )
    email_enqueue(
        subject=subject_text,
        body=body_text,
        to=[recipient],
        reply_to=[actor.email] if actor.email else None,
    )
    return activity
