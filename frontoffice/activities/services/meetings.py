"""Face-to-face meetings: schedule, change, cancel, record the outcome.

Invariants protected here:
- start and end are time-zone aware; a naive time is read in the meeting's time zone
  (default ``Europe/Stockholm``), so 09:00 on a DST change day is 09:00 local time;
- no two planned meetings of one person overlap: the organiser and every attendee are checked
  against their other planned meetings (as organiser or attendee) and their open calls and
  tasks with a time and a duration. Intervals are half-open, so back-to-back (one ends at
  10:00, the next starts at 10:00) is fine. The error names the conflicting meeting;
- two bookings at once cannot both win: the users involved are locked (``SELECT … FOR NO KEY
  UPDATE`` on their rows, in id order, on PostgreSQL; SQLite's IMMEDIATE transactions
  serialise writers) before the check and held until the meeting is written;
- the invitation (iCalendar, METHOD:REQUEST) goes to the customer contact, the attendees and
  the organiser on commit; every change sent bumps ``sequence`` under the same ``uid``, and a
  cancellation sends METHOD:CANCEL;
- only planned meetings change; recording the outcome marks the meeting held, records one
  in-person interaction (concerning the lead, else the opportunity, else the meeting), tells
  the leads app about the contact, plans the next step as a task, and asks the customer for
  feedback through a private single-use link;
- every change writes an audit entry (``activities.meeting.*``).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from frontoffice.activities import ics
from frontoffice.activities.models import Activity, Meeting
from frontoffice.activities.services.activities import _set_links, check_links
from frontoffice.activities.services.common import (
    check_owner,
    lead_contact_recorded,
    scope_fields,
    staff_of,
    visible_party,
)
from frontoffice.core.audit import audit_created, audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.core.tasks import email_enqueue
from frontoffice.org.models import Location, User
from frontoffice.parties.models import Interaction, Party

MEETING_FIELDS = [
    "title",
    "party",
    "organiser",
    "office",
    "place",
    "starts_at",
    "ends_at",
    "time_zone",
    "agenda",
    "notes",
    "outcome",
    "next_step",
    "next_step_on",
    "status",
]
# Changes to these fields are news for the invitees: a new SEQUENCE is sent.
SENT_FIELDS = {"title", "office", "place", "starts_at", "ends_at", "time_zone", "agenda"}
MAX_HOURS = 24


def _tz(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            {"time_zone": ValidationError(_("Unknown time zone."), code="time_zone")}
        ) from exc


def _aware(value: datetime.datetime | None, tz: zoneinfo.ZoneInfo, field: str) -> datetime.datetime:
    if value is None:
        raise ValidationError({field: ValidationError(_("This field is required."), code="required")})
    if timezone.is_naive(value):
        # fold=0: an ambiguous wall time (the repeated hour in autumn) is its first occurrence.
        value = value.replace(tzinfo=tz)
    # In UTC, so durations and comparisons are real time, not wall time, across a DST change.
    return value.astimezone(datetime.UTC)


def _check_times(starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError(
            {"ends_at": ValidationError(_("The meeting must end after it starts."), code="ends_before_start")}
        )
    if ends_at - starts_at > datetime.timedelta(hours=MAX_HOURS):
        raise ValidationError(
            {"ends_at": ValidationError(_("A meeting lasts at most 24 hours."), code="too_long")}
        )


def _lock_users(user_ids: Iterable[int]) -> None:
    """Lock the people being booked, in id order (no deadlocks between two bookings)."""
    list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(user_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def meeting_conflicts(
    *,
    user_ids: Iterable[int],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: int | None = None,
) -> list[Meeting | Activity]:
    """Planned meetings and timed open activities of ``user_ids`` overlapping [starts_at, ends_at)."""
    user_ids = list(set(user_ids))
    meetings = (
        Meeting.objects.planned()
        .filter(Q(organiser_id__in=user_ids) | Q(attendees__in=user_ids))
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("organiser")
        .distinct()
        .order_by("starts_at", "id")
    )
    if exclude:
        meetings = meetings.exclude(pk=exclude)
    found: list[Meeting | Activity] = list(meetings[:5])
    activities = (
        Activity.objects.open()
        .filter(
            owner_id__in=user_ids,
            duration_minutes__gt=0,
            due_at__lt=ends_at,
            due_at__gte=starts_at - datetime.timedelta(hours=MAX_HOURS),
        )
        .exclude(kind=Activity.Kind.MEETING, meeting__isnull=False)
        .order_by("due_at", "id")
    )
    for activity in activities[:50]:
        if activity.due_at + datetime.timedelta(minutes=activity.duration_minutes) > starts_at:
            found.append(activity)
    return found


def _conflict_error(conflicts: list[Meeting | Activity]) -> ValidationError:
    first = conflicts[0]
    tz = timezone.get_current_timezone()
    if isinstance(first, Meeting):
        message = _("Conflicts with the meeting “%(title)s” (%(start)s-%(end)s, %(person)s).") % {
            "title": first.title,
            "start": formats.date_format(first.starts_at.astimezone(tz), "SHORT_DATETIME_FORMAT"),
            "end": formats.time_format(first.ends_at.astimezone(tz), "TIME_FORMAT"),
            "person": first.organiser,
        }
    else:
        message = _("Conflicts with “%(subject)s” at %(start)s.") % {
            "subject": first.subject,
            "start": formats.date_format(first.due_at.astimezone(tz), "SHORT_DATETIME_FORMAT"),
        }
    return ValidationError({"starts_at": ValidationError(message, code="conflict")})


def _recipients(meeting: Meeting) -> list[str]:
    emails = [meeting.party.email, meeting.organiser.email, *(u.email for u in meeting.attendees.all())]
    seen: list[str] = []
    for email in emails:
        if email and email.lower() not in seen:
            seen.append(email.lower())
    return seen


def _send_invitation(meeting: Meeting, *, cancel: bool = False) -> None:
    recipients = _recipients(meeting)
    if not recipients:
        return
    tz = _tz(meeting.time_zone)
    when = formats.date_format(meeting.starts_at.astimezone(tz), "DATETIME_FORMAT")
    if cancel:
        subject = _("Cancelled: %(title)s") % {"title": meeting.title}
        body = _("The meeting “%(title)s” on %(when)s is cancelled.") % {"title": meeting.title, "when": when}
    else:
        subject = (_("Updated: %(title)s") if meeting.sequence else _("Invitation: %(title)s")) % {
            "title": meeting.title
        }
        body = _("Meeting: %(title)s\nWhen: %(when)s (%(tz)s)\nWhere: %(where)s\n\n%(agenda)s") % {
            "title": meeting.title,
            "when": when,
            "tz": meeting.time_zone,
            "where": meeting.where or "—",
            "agenda": meeting.agenda,
        }
    method = "CANCEL" if cancel else "REQUEST"
    email_enqueue(
        subject=subject,
        body=body,
        to=recipients,
        reply_to=[meeting.organiser.email] if meeting.organiser.email else None,
        attachments=[
            ("invite.ics", ics.invitation_ics(meeting, cancel=cancel), f"text/calendar; method={method}")
        ],
    )


def _clean_attendees(
    *, actor: Any, attendees: Iterable[Any], legal_entity_id: int, organiser: Any
) -> list[User]:
    users = []
    for attendee in attendees or ():
        user = attendee if isinstance(attendee, User) else User.objects.filter(pk=attendee).first()
        staff = staff_of(user) if user else None
        if staff is None or staff.legal_entity_id != legal_entity_id:
            raise ValidationError(
                {
                    "attendees": ValidationError(
                        _("Attendees are staff of the customer's company."), code="attendee"
                    )
                }
            )
        if user.pk != organiser.pk and user not in users:
            users.append(user)
    return users


def _clean_office(office: Any, legal_entity_id: int) -> Location | None:
    if office in (None, ""):
        return None
    office = office if isinstance(office, Location) else Location.objects.filter(pk=office).first()
    if office is None or office.legal_entity_id != legal_entity_id:
        raise ValidationError(
            {"office": ValidationError(_("Choose an office of the company."), code="office")}
        )
    return office


@transaction.atomic
def meeting_schedule(
    *,
    actor: Any,
    party: Party,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    time_zone: str = "Europe/Stockholm",
    organiser: Any = None,
    attendees: Iterable[Any] = (),
    office: Any = None,
    place: str = "",
    agenda: str = "",
    lead: Any = None,
    opportunity: Any = None,
    send_invitation: bool = True,
) -> Meeting:
    """Book a face-to-face meeting with ``party``. Needs ``activities.add_meeting``; refuses
    (code ``conflict``, on ``starts_at``) a time that overlaps another meeting of the organiser or
    an attendee; e-mails the invitation on commit."""
    require_perm(actor, "activities.add_meeting")
    party = visible_party(actor, party)
    require_legal_entity(actor, party.legal_entity_id)
    organiser = organiser or actor
    check_owner(actor=actor, owner=organiser, legal_entity_id=party.legal_entity_id, field="organiser")
    check_links(actor=actor, party=party, lead=lead, opportunity=opportunity)
    tz = _tz(time_zone or "Europe/Stockholm")
    starts_at, ends_at = _aware(starts_at, tz, "starts_at"), _aware(ends_at, tz, "ends_at")
    _check_times(starts_at, ends_at)
    people = _clean_attendees(
        actor=actor, attendees=attendees, legal_entity_id=party.legal_entity_id, organiser=organiser
    )
    fields = scope_fields(owner=organiser, party=party)
    meeting = Meeting(
        legal_entity_id=fields.legal_entity_id,
        region_id=fields.region_id,
        location_id=fields.location_id,
        party=party,
        organiser=organiser,
        title=(title or "").strip(),
        office=_clean_office(office, party.legal_entity_id),
        place=(place or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=str(tz.key),
        agenda=(agenda or "").strip(),
        created_by=actor,
    )
    _set_links(meeting, lead=lead, opportunity=opportunity)
    meeting.full_clean(exclude=["interaction", "lead", "opportunity", "uid"])
    _lock_users([organiser.pk, *(u.pk for u in people)])
    conflicts = meeting_conflicts(
        user_ids=[organiser.pk, *(u.pk for u in people)], starts_at=starts_at, ends_at=ends_at
    )
    if conflicts:
        raise _conflict_error(conflicts)
    meeting.save()
    meeting.attendees.set(people)
    audit_created(actor=actor, obj=meeting, fields=MEETING_FIELDS, action="activities.meeting.scheduled")
    if send_invitation:
        _send_invitation(meeting)
    return meeting


def _locked_meeting(actor: Any, meeting: Meeting) -> Meeting:
    require_perm(actor, "activities.change_meeting")
    found = (
        visible_to(Meeting.objects.select_for_update(of=("self",)), actor)
        .select_related("party", "organiser")
        .filter(pk=meeting.pk)
        .first()
    )
    if found is None:
        raise PermissionDenied(_("This meeting is not in your scope."))
    return found


def _require_planned(meeting: Meeting) -> None:
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError(_("Only a planned meeting can be changed."), code="not_planned")


@transaction.atomic
def meeting_update(
    *, actor: Any, meeting: Meeting, attendees: Iterable[Any] | None = None, **changes: Any
) -> Meeting:
    """Change a planned meeting (title, time, place, agenda, notes, attendees). A change the
    invitees care about is re-sent with the next ``sequence``."""
    meeting = _locked_meeting(actor, meeting)
    _require_planned(meeting)
    allowed = {"title", "starts_at", "ends_at", "time_zone", "office", "place", "agenda", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"meeting_update() got unexpected fields {sorted(unknown)}")
    before = snapshot(meeting, MEETING_FIELDS)
    before_attendees = set(meeting.attendees.values_list("pk", flat=True))
    tz = _tz(changes.get("time_zone") or meeting.time_zone)
    for name, value in changes.items():
        if name in ("starts_at", "ends_at"):
            value = _aware(value, tz, name)
        elif name == "office":
            value = _clean_office(value, meeting.legal_entity_id)
        elif name == "time_zone":
            value = str(tz.key)
        elif isinstance(value, str):
            value = value.strip()
        setattr(meeting, name, value)
    _check_times(meeting.starts_at, meeting.ends_at)
    people = (
        _clean_attendees(
            actor=actor,
            attendees=attendees,
            legal_entity_id=meeting.legal_entity_id,
            organiser=meeting.organiser,
        )
        if attendees is not None
        else list(meeting.attendees.all())
    )
    meeting.full_clean(exclude=["interaction", "lead", "opportunity", "uid"])
    changed = diff(before, snapshot(meeting, MEETING_FIELDS))
    new_people = {u.pk for u in people} != before_attendees
    if not changed and not new_people:
        return meeting
    user_ids = [meeting.organiser_id, *(u.pk for u in people)]
    _lock_users(user_ids)
    conflicts = meeting_conflicts(
        user_ids=user_ids, starts_at=meeting.starts_at, ends_at=meeting.ends_at, exclude=meeting.pk
    )
    if conflicts:
        raise _conflict_error(conflicts)
    resend = bool(SENT_FIELDS & set(changed)) or new_people
    if resend:
        meeting.sequence += 1
    meeting.save()
    if attendees is not None:
        meeting.attendees.set(people)
    if new_people:
        changed["attendees"] = [sorted(before_attendees), sorted(u.pk for u in people)]
    audit_record(actor=actor, action="activities.meeting.changed", obj=meeting, changes=changed)
    if resend:
        _send_invitation(meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: Any, meeting: Meeting, reason: str = "") -> Meeting:
    """Cancel a planned meeting and send METHOD:CANCEL with the next ``sequence``."""
    meeting = _locked_meeting(actor, meeting)
    _require_planned(meeting)
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancelled_at = timezone.now()
    meeting.cancel_reason = (reason or "").strip()[:200]
    meeting.sequence += 1
    meeting.save(update_fields=["status", "cancelled_at", "cancel_reason", "sequence", "updated_at"])
    audit_record(
        actor=actor,
        action="activities.meeting.cancelled",
        obj=meeting,
        changes={"status": ["planned", "cancelled"], "reason": [None, meeting.cancel_reason]},
    )
    _send_invitation(meeting, cancel=True)
    return meeting


@transaction.atomic
def meeting_record_outcome(
    *,
    actor: Any,
    meeting: Meeting,
    outcome: str,
    notes: str | None = None,
    next_step: str = "",
    next_step_on: datetime.date | None = None,
    ask_feedback: bool = True,
) -> Meeting:
    """Mark a planned meeting held with its outcome and next step: one in-person interaction,
    the lead's contact, a task for the next step (when dated) and a feedback link to the
    customer (when they have an e-mail address)."""
    meeting = _locked_meeting(actor, meeting)
    _require_planned(meeting)
    errors: dict[str, list[ValidationError]] = {}
    if not (outcome or "").strip():
        errors["outcome"] = [ValidationError(_("Write what came out of the meeting."), code="required")]
    if next_step_on and not (next_step or "").strip():
        errors["next_step"] = [ValidationError(_("Say what the next step is."), code="next_step_required")]
    if meeting.starts_at > timezone.now():
        errors["outcome"] = [ValidationError(_("The meeting has not started yet."), code="not_started")]
    if errors:
        raise ValidationError(errors)
    before = snapshot(meeting, MEETING_FIELDS)
    meeting.status = Meeting.Status.HELD
    meeting.held_at = timezone.now()
    meeting.outcome = outcome.strip()
    if notes is not None:
        meeting.notes = notes.strip()
    meeting.next_step = (next_step or "").strip()
    meeting.next_step_on = next_step_on
    meeting.full_clean(exclude=["interaction", "lead", "opportunity", "uid"])
    from frontoffice.parties.services import interaction_record

    lead = getattr(meeting, "lead", None)
    interaction = interaction_record(
        actor=actor,
        party=meeting.party,
        kind=Interaction.Kind.MEETING,
        channel=Interaction.Channel.IN_PERSON,
        direction=Interaction.Direction.OUTBOUND,
        subject=meeting.title,
        started_at=meeting.starts_at,
        ended_at=meeting.ends_at,
        outcome=meeting.outcome,
        staff=staff_of(meeting.organiser),
        concerns=lead or getattr(meeting, "opportunity", None) or meeting,
        check_permission=False,
    )
    meeting.interaction = interaction
    meeting.save()
    audit_record(
        actor=actor,
        action="activities.meeting.held",
        obj=meeting,
        changes=diff(before, snapshot(meeting, MEETING_FIELDS)),
    )
    lead_contact_recorded(actor=actor, lead=lead, interaction=interaction)
    if meeting.next_step and meeting.next_step_on:
        _plan_next_step(actor=actor, meeting=meeting)
    if ask_feedback and meeting.party.email:
        from frontoffice.activities.services.links import feedback_request

        feedback_request(meeting=meeting)
    from frontoffice.core.registry import Touchpoint, touchpoint_completed

    touchpoint_completed(  # subscribers (surveys) may ask the customer how it went
        Touchpoint(
            kind="activities.meeting_held",
            party_id=meeting.party_id,
            legal_entity_id=meeting.legal_entity_id,
            user_id=meeting.organiser_id,
            location_id=interaction.location_id,
            region_id=interaction.region_id,
            interaction_id=interaction.pk,
            concerns=f"activities.meeting:{meeting.pk}",
        )
    )
    return meeting


def _plan_next_step(*, actor: Any, meeting: Meeting) -> Activity:
    """The next step becomes a task of the organiser, due 09:00 on its date (meeting's zone)."""
    tz = _tz(meeting.time_zone)
    due = datetime.datetime.combine(meeting.next_step_on, datetime.time(9, 0), tzinfo=tz)
    activity = Activity(
        legal_entity_id=meeting.legal_entity_id,
        region_id=meeting.region_id,
        location_id=meeting.location_id,
        party=meeting.party,
        owner=meeting.organiser,
        kind=Activity.Kind.TASK,
        subject=meeting.next_step[:200],
        due_at=due,
        meeting=meeting,
        created_by=actor,
    )
    _set_links(
        activity, lead=getattr(meeting, "lead", None), opportunity=getattr(meeting, "opportunity", None)
    )
    activity.full_clean(exclude=["interaction", "meeting", "lead", "opportunity"])
    activity.save()
    audit_created(
        actor=actor, obj=activity, fields=["kind", "subject", "due_at"], action="activities.activity.created"
    )
    return activity
