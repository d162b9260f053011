"""Complaints from any desk: register, assign an owner and a deadline, work on it, resolve it.

Invariants: a complaint belongs to one legal entity (the location's, else the customer's, else
the actor's) and must land inside the actor's scope; its owner is an active staff member of
that legal entity; a resolved complaint has a resolution, a time and who resolved it and is not
changed again; every change is audited. A complaint may be about one record of any app (a
reception visit, a meeting, ...), referred to generically (content type, id and the record's
name at the time), so surveys imports no desk: the record must be one the actor can see, and
its location and customer fill in what the actor left empty. Reception's desk logs its
complaints here (desk "reception", about the visit).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.surveys.models import Complaint, SurveyRequest

FIELDS = ["owner", "deadline", "status"]
TEXT_MAX = 5000


def _check_owner(owner: Any, legal_entity_id: int) -> None:
    from frontoffice.org.models import Staff

    if (
        owner is not None
        and not Staff.objects.filter(
            user_id=owner.pk, active=True, legal_entity_id=legal_entity_id, user__is_active=True
        ).exists()
    ):
        raise ValidationError(
            {"owner": ValidationError(_("The owner must be an active staff member."), code="invalid_owner")}
        )


def _visible_record(actor: Any, record: Any) -> Any:
    """``record`` reloaded through its own scope rule, or ``unknown_about``: only scoped models
    can be what a complaint is about, and only rows the actor can see."""
    model = type(record)
    if getattr(model, "scope_rule", None) is None or record.pk is None:
        found = None
    else:
        found = visible_to(model._default_manager.all(), actor).filter(pk=record.pk).first()
    if found is None:
        raise ValidationError(
            {"about": ValidationError(_("Choose a record you can see."), code="unknown_about")}
        )
    return found


def _text(value: Any, field: str, *, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: ValidationError(_("This field is required."), code="required")})
    if len(text) > max_length:
        raise ValidationError(
            {
                field: ValidationError(
                    _("At most %(max)d characters."), code="too_long", params={"max": max_length}
                )
            }
        )
    return text


@transaction.atomic
def complaint_create(
    *,
    actor: Any,
    desk: str,
    subject: str,
    description: str,
    channel: str = Complaint.Channel.PHONE,
    party: Any = None,
    location: Any = None,
    owner: Any = None,
    deadline: datetime.date | None = None,
    survey_request: SurveyRequest | None = None,
    about: Any = None,
) -> Complaint:
    """Register a complaint. Needs ``surveys.add_complaint``; the customer, the survey answer
    and the record it is ``about`` (any scoped model instance: ``unknown_about``; at another
    location than the one chosen: ``about_elsewhere``) must be visible to the actor, and the
    complaint must land in their scope."""
    from frontoffice.org.models import Location
    from frontoffice.parties.models import Party

    require_perm(actor, "surveys.add_complaint")
    if desk not in Complaint.Desk.values:
        raise ValidationError({"desk": ValidationError(_("Choose a desk."), code="invalid_desk")})
    if channel not in Complaint.Channel.values:
        raise ValidationError({"channel": ValidationError(_("Choose a channel."), code="invalid_channel")})
    subject = _text(subject, "subject", max_length=200)
    description = _text(description, "description", max_length=TEXT_MAX)
    if survey_request is not None:
        survey_request = visible_to(SurveyRequest.objects.all(), actor).filter(pk=survey_request.pk).first()
        if survey_request is None:
            raise ValidationError(
                {
                    "survey_request": ValidationError(
                        _("Choose a survey answer you can see."), code="unknown_answer"
                    )
                }
            )
        party = party or survey_request.party
        # The answer's contact placed it: same location unless the actor chose one.
        location = location or survey_request.location
    if about is not None:
        about = _visible_record(actor, about)
        about_location_id = getattr(about, "location_id", None)
        if location is not None and about_location_id and about_location_id != location.pk:
            raise ValidationError(
                {"about": ValidationError(_("That record is at another location."), code="about_elsewhere")}
            )
        if location is None and about_location_id:
            location = Location.objects.filter(pk=about_location_id).first()
        if party is None and getattr(about, "party_id", None):
            party = Party.objects.filter(pk=about.party_id).first()
    if party is not None:
        party = visible_to(Party.objects.active(), actor).filter(pk=party.pk).first()
        if party is None:
            raise ValidationError(
                {"party": ValidationError(_("Choose a customer you can see."), code="unknown_party")}
            )
    if location is not None:
        location = Location.objects.filter(pk=location.pk).first()
    staff_entity = user_scope(actor).legal_entity_id
    legal_entity_id = (
        (location.legal_entity_id if location else None)
        or (party.legal_entity_id if party else None)
        or (survey_request.legal_entity_id if survey_request else None)
        or staff_entity
    )
    if legal_entity_id is None:
        raise PermissionDenied(_("You can only work in your own legal entity."))
    require_legal_entity(actor, legal_entity_id)
    if party is not None and party.legal_entity_id != legal_entity_id:
        raise ValidationError(
            {"party": ValidationError(_("The customer belongs to another company."), code="other_company")}
        )
    _check_owner(owner, legal_entity_id)
    complaint = Complaint(
        legal_entity_id=legal_entity_id,
        desk=desk,
        channel=channel,
        location=location,
        region_id=(
            location.region_id
            if location
            else (survey_request.region_id if survey_request else None)
            or (party.region_id if party else None)
        ),
        party=party,
        survey_request=survey_request,
        about_type=ContentType.objects.get_for_model(about) if about is not None else None,
        about_id=str(about.pk) if about is not None else "",
        about_label=str(about)[:200] if about is not None else "",
        subject=subject,
        description=description,
        owner=owner,
        deadline=deadline,
        status=Complaint.Status.IN_PROGRESS if owner else Complaint.Status.OPEN,
        created_by=actor,
    )
    complaint.full_clean(
        exclude=["party", "owner", "location", "region", "survey_request", "legal_entity", "about_type"]
    )
    complaint.save()
    # The other direction of scope: what the actor registers must be theirs to see.
    if not visible_to(Complaint.objects.filter(pk=complaint.pk), actor).exists():
        raise PermissionDenied(
            _("This complaint would be outside what you may see; choose your location or owner.")
        )
    audit_record(
        actor=actor,
        action="surveys.complaint.created",
        obj=complaint,
        changes={
            "desk": [None, desk],
            "owner": [None, getattr(owner, "pk", None)],
            "deadline": [None, str(deadline or "")],
            **({"about": [None, complaint.about_key]} if about is not None else {}),
        },
    )
    return complaint


def _locked(actor: Any, complaint: Complaint) -> Complaint:
    found = (
        visible_to(Complaint.objects.select_for_update(of=("self",)), actor).filter(pk=complaint.pk).first()
    )
    if found is None:
        raise PermissionDenied(_("You cannot change this complaint."))
    if found.status == Complaint.Status.RESOLVED:
        raise ValidationError(_("This complaint is resolved."), code="resolved")
    return found


@transaction.atomic
def complaint_update(*, actor: Any, complaint: Complaint, **changes: Any) -> Complaint:
    """Assign the owner, set the deadline, mark in progress (resolving is ``complaint_resolve``).
    Needs ``surveys.change_complaint`` and the complaint in scope."""
    require_perm(actor, "surveys.change_complaint")
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown complaint fields: {sorted(unknown)}")
    row = _locked(actor, complaint)
    if changes.get("status") == Complaint.Status.RESOLVED:
        raise ValidationError(
            {"status": ValidationError(_("Resolve it with a resolution."), code="use_resolve")}
        )
    before = snapshot(row, FIELDS)
    if "owner" in changes:
        _check_owner(changes["owner"], row.legal_entity_id)
    for name, value in changes.items():
        setattr(row, name, value)
    if row.owner_id and row.status == Complaint.Status.OPEN and "status" not in changes:
        row.status = Complaint.Status.IN_PROGRESS
    row.full_clean(exclude=["party", "owner", "location", "region", "survey_request", "legal_entity"])
    row.save(update_fields=[*FIELDS, "updated_at"])
    audit_record(
        actor=actor, action="surveys.complaint.changed", obj=row, changes=diff(before, snapshot(row, FIELDS))
    )
    return row


@transaction.atomic
def complaint_resolve(*, actor: Any, complaint: Complaint, resolution: str) -> Complaint:
    """Resolve the complaint with how it was resolved (``required``; ``resolved`` twice)."""
    require_perm(actor, "surveys.change_complaint")
    row = _locked(actor, complaint)
    row.resolution = _text(resolution, "resolution", max_length=TEXT_MAX)
    row.status = Complaint.Status.RESOLVED
    row.resolved_at = timezone.now()
    row.resolved_by = actor
    row.save(update_fields=["status", "resolution", "resolved_at", "resolved_by", "updated_at"])
    audit_record(
        actor=actor, action="surveys.complaint.resolved", obj=row, changes={"status": [None, "resolved"]}
    )
    return row
