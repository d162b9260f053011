"""Appointment services: booking, moving, cancelling, no-shows, status changes, follow-ups,
and the set-up of resources, working hours, absences and appointment types.

Every service is keyword-only, takes ``actor``, checks the permission and the actor's scope,
validates before writing (a ValidationError names the field and nothing is written), records an
``AppointmentEvent`` and an audit entry, and queues e-mail with ``transaction.on_commit``.

Double booking: on PostgreSQL the exclusion constraints of migration 0003 reject an overlapping
active booking of the same resource or room even when two transactions race; the service turns
that IntegrityError into the same ValidationError the overlap check gives. On other databases
the resource row is locked (``select_for_update``) for the length of the booking transaction.

``appointment_set_status`` is the one door the reception desk uses for check-in, called in,
in treatment and done. It is also the one service that accepts a ``SystemActor``
(``appointments.actors``): the self check-in kiosk may check in a booked appointment of its own
location and nothing else; its history and audit entries name the kiosk and who set it up.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.appointments import rules
from frontoffice.appointments.actors import is_system
from frontoffice.appointments.codes import new_code
from frontoffice.appointments.models import (
    Absence,
    Appointment,
    AppointmentEvent,
    AppointmentType,
    Resource,
    WorkingHours,
)
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import visible_to

S = Appointment.Status
# Forward moves the desk makes (plus undoing a check-in made by mistake).
TRANSITIONS: dict[str, set[str]] = {
    S.BOOKED: {S.CHECKED_IN},
    S.CHECKED_IN: {S.BOOKED, S.CALLED_IN, S.IN_TREATMENT, S.DONE},
    S.CALLED_IN: {S.IN_TREATMENT, S.DONE},
    S.IN_TREATMENT: {S.DONE},
    S.DONE: set(),
    S.NO_SHOW: set(),
    S.CANCELLED: set(),
}
STATUS_TIMESTAMP = {
    S.CHECKED_IN: "checked_in_at",
    S.CALLED_IN: "called_in_at",
    S.IN_TREATMENT: "started_at",
    S.DONE: "done_at",
}
OVERLAP_CONSTRAINTS = ("appointments_resource_no_overlap", "appointments_room_no_overlap")


# ---------------------------------------------------------------- helpers


def _event(
    appointment: Appointment, *, actor: Any, kind: str, at: datetime.datetime | None = None, **fields: Any
):
    return AppointmentEvent.objects.create(
        appointment=appointment,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        **fields,
    )


def _check_location(actor: Any, location) -> None:
    from frontoffice.org.models import Location

    if actor is None:
        return
    if not visible_to(Location.objects.filter(pk=location.pk), actor).exists():
        raise PermissionDenied(_("You cannot book at this location."))


def _locked_appointment(actor: Any, appointment: Appointment) -> Appointment:
    qs = Appointment.objects.select_for_update(of=("self",)).select_related(
        "location", "resource", "room", "appointment_type", "party"
    )
    if is_system(actor):  # a kiosk works at its own location only
        qs = qs.filter(location_id=actor.location_id)
    elif actor is not None:
        qs = visible_to(qs, actor)
    try:
        return qs.get(pk=appointment.pk)
    except Appointment.DoesNotExist:
        raise PermissionDenied(_("You cannot change this appointment.")) from None


def _sync(target: Appointment, source: Appointment) -> Appointment:
    """Copy the saved field values onto the caller's instance, so it is not left stale."""
    if target is not source:
        for f in Appointment._meta.concrete_fields:
            setattr(target, f.attname, getattr(source, f.attname))
    return source


def _busy_range(appointment_type: AppointmentType, start_at: datetime.datetime, end_at: datetime.datetime):
    return (
        start_at - datetime.timedelta(minutes=appointment_type.buffer_before_minutes),
        end_at + datetime.timedelta(minutes=appointment_type.buffer_after_minutes),
    )


def conflicting(
    resource_ids: list[int], busy_from: datetime.datetime, busy_until: datetime.datetime, exclude_pk=None
) -> Appointment | None:
    """The first active appointment of ``resource_ids`` (as resource or room) overlapping the range."""
    from django.db.models import Q

    qs = Appointment.objects.filter(
        Q(resource_id__in=resource_ids) | Q(room_id__in=resource_ids),
        status__in=Appointment.ACTIVE_STATUSES,
        busy_from__lt=busy_until,
        busy_until__gt=busy_from,
    ).order_by("start_at")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _conflict_error(location, other: Appointment | None) -> ValidationError:
    if other is None:
        message = ValidationError(
            _("This time was just booked by someone else. Please choose another time."), code="overlap"
        )
    else:
        message = ValidationError(
            _("%(resource)s is already booked from %(start)s to %(end)s (including preparation time)."),
            code="overlap",
            params={
                "resource": other.resource.name,
                "start": rules.local_time(other.busy_from, location),
                "end": rules.local_time(other.busy_until, location),
            },
        )
    return ValidationError({"start_at": message})


def _validate_booking(
    *,
    location,
    resource: Resource,
    room: Resource | None,
    appointment_type: AppointmentType,
    start_at: datetime.datetime,
    exclude_pk: int | None = None,
) -> tuple[datetime.datetime, datetime.datetime, datetime.datetime, datetime.datetime]:
    """Check every booking rule; returns (start_at, end_at, busy_from, busy_until) in UTC."""
    if not isinstance(start_at, datetime.datetime):
        raise ValidationError({"start_at": ValidationError(_("Enter a start time."), code="required")})
    if timezone.is_naive(start_at):
        raise ValidationError(
            {"start_at": ValidationError(_("The start time needs a time zone."), code="naive")}
        )
    # Arithmetic in UTC: a visit lasts its duration even across a daylight-saving change.
    start_at = start_at.astimezone(datetime.UTC)
    if resource.location_id != location.pk or not resource.active:
        raise ValidationError(
            {
                "resource": ValidationError(
                    _("Choose an active resource of this location."), code="unknown_resource"
                )
            }
        )
    if room is not None and (
        room.location_id != location.pk or not room.active or room.kind != Resource.Kind.ROOM
    ):
        raise ValidationError(
            {"room": ValidationError(_("Choose an active room of this location."), code="unknown_room")}
        )
    if (
        not appointment_type.active
        or appointment_type.legal_entity_id != location.legal_entity_id
        or (appointment_type.location_id and appointment_type.location_id != location.pk)
    ):
        raise ValidationError(
            {
                "appointment_type": ValidationError(
                    _("Choose an appointment type offered here."), code="unknown_type"
                )
            }
        )
    if appointment_type.requires_room and room is None and resource.kind != Resource.Kind.ROOM:
        raise ValidationError(
            {"room": ValidationError(_("This appointment type needs a room."), code="room_required")}
        )
    end_at = start_at + datetime.timedelta(minutes=appointment_type.duration_minutes)
    busy_from, busy_until = _busy_range(appointment_type, start_at, end_at)
    now = timezone.now()
    for res in [resource, room] if room else [resource]:
        rules.check_times(
            location=location,
            resource=res,
            resource_hours=list(WorkingHours.objects.filter(resource=res)),
            start_at=start_at,
            end_at=end_at,
            now=now,
        )
        absence = (
            Absence.objects.filter(resource=res, start_at__lt=end_at, end_at__gt=start_at)
            .order_by("start_at")
            .first()
        )
        if absence:
            raise ValidationError(
                {
                    "start_at": ValidationError(
                        _("%(resource)s is absent from %(start)s to %(end)s."),
                        code="absent",
                        params={
                            "resource": res.name,
                            "start": rules.local_time(absence.start_at, location),
                            "end": rules.local_time(absence.end_at, location),
                        },
                    )
                }
            )
    ids = [resource.pk] + ([room.pk] if room else [])
    other = conflicting(ids, busy_from, busy_until, exclude_pk=exclude_pk)
    if other is not None:
        raise _conflict_error(location, other)
    return start_at, end_at, busy_from, busy_until


def _lock_resources(resources: list[Resource]) -> None:
    # PostgreSQL relies on the exclusion constraint (no lock, so bookings of different slots of
    # one resource do not queue); elsewhere the resource rows serialise the check and the insert.
    if connection.vendor != "postgresql":
        list(Resource.objects.select_for_update().filter(pk__in=[r.pk for r in resources if r]))


def _save_guarded(appointment: Appointment, location, ids: list[int]) -> None:
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if not any(name in str(exc) for name in OVERLAP_CONSTRAINTS):
            raise
        other = conflicting(ids, appointment.busy_from, appointment.busy_until, exclude_pk=appointment.pk)
        raise _conflict_error(location, other) from None


def _unique_code() -> str:
    for _attempt in range(10):
        code = new_code()
        if not Appointment.objects.filter(booking_code=code).exists():
            return code
    raise RuntimeError("could not draw a free booking code")  # pragma: no cover - 40 bits


def _notify(appointment: Appointment, kind: str) -> None:
    from frontoffice.appointments.notifications import appointment_email

    appointment_email(appointment, kind=kind)


# ---------------------------------------------------------------- booking


def appointment_book(
    *,
    actor: Any,
    location,
    resource: Resource,
    appointment_type: AppointmentType,
    party,
    start_at: datetime.datetime,
    notes: str = "",
    health_notes: str = "",
    room: Resource | None = None,
    follow_up_of: Appointment | None = None,
    send_confirmation: bool = True,
) -> Appointment:
    """Book ``party`` with ``resource`` at ``start_at`` for ``appointment_type``."""
    require_perm(actor, "appointments.add_appointment")
    _check_location(actor, location)
    if party is None:
        raise ValidationError(
            {"party": ValidationError(_("Choose the patient or visitor."), code="required")}
        )
    if actor is not None:
        from frontoffice.parties.models import Party

        if not visible_to(Party.objects.filter(pk=party.pk), actor).exists():
            raise ValidationError(
                {
                    "party": ValidationError(
                        _("Choose a patient or visitor you can see."), code="unknown_party"
                    )
                }
            )
    if getattr(party, "is_erased", False) or getattr(party, "is_merged", False):
        raise ValidationError(
            {"party": ValidationError(_("This customer record is closed."), code="party_closed")}
        )
    with transaction.atomic():
        _lock_resources([resource, room])
        start_at, end_at, busy_from, busy_until = _validate_booking(
            location=location,
            resource=resource,
            room=room,
            appointment_type=appointment_type,
            start_at=start_at,
        )
        appointment = Appointment(
            location=location,
            resource=resource,
            room=room,
            appointment_type=appointment_type,
            party=party,
            start_at=start_at,
            end_at=end_at,
            busy_from=busy_from,
            busy_until=busy_until,
            booking_code=_unique_code(),
            notes=notes or "",
            health_notes=health_notes or "",
            booked_by=actor,
            follow_up_of=follow_up_of,
        )
        appointment.full_clean(exclude=["booking_code"], validate_constraints=False)
        _save_guarded(appointment, location, [resource.pk] + ([room.pk] if room else []))
        _event(
            appointment,
            actor=actor,
            kind=AppointmentEvent.Kind.BOOKED,
            to_status=S.BOOKED,
            new_start_at=start_at,
        )
        audit_record(
            actor=actor,
            action="appointments.appointment.booked",
            obj=appointment,
            changes={
                "resource": resource.name,
                "start_at": start_at,
                "type": appointment_type.name,
                "follow_up_of": follow_up_of.pk if follow_up_of else None,
            },
        )
        if send_confirmation:
            _notify(appointment, "confirmation")
    return appointment


def appointment_move(
    *,
    actor: Any,
    appointment: Appointment,
    start_at: datetime.datetime,
    resource: Resource | None = None,
    room: Resource | None = None,
) -> Appointment:
    """Move a booked appointment to another time (and optionally another resource)."""
    require_perm(actor, "appointments.change_appointment")
    with transaction.atomic():
        appt = _locked_appointment(actor, appointment)
        if appt.status != S.BOOKED:
            raise ValidationError(
                _("Only a booked appointment can be moved (this one is %(status)s)."),
                code="not_movable",
                params={"status": appt.get_status_display()},
            )
        resource = resource or appt.resource
        room = room if room is not None else appt.room
        _lock_resources([resource, room])
        start_at, end_at, busy_from, busy_until = _validate_booking(
            location=appt.location,
            resource=resource,
            room=room,
            appointment_type=appt.appointment_type,
            start_at=start_at,
            exclude_pk=appt.pk,
        )
        old_start, old_resource = appt.start_at, appt.resource
        appt.resource, appt.room = resource, room
        appt.start_at, appt.end_at, appt.busy_from, appt.busy_until = start_at, end_at, busy_from, busy_until
        appt.sequence += 1
        appt.reminder_sent_at = None  # the new day gets its own reminder
        _save_guarded(appt, appt.location, [resource.pk] + ([room.pk] if room else []))
        _event(
            appt, actor=actor, kind=AppointmentEvent.Kind.MOVED, old_start_at=old_start, new_start_at=start_at
        )
        audit_record(
            actor=actor,
            action="appointments.appointment.moved",
            obj=appt,
            changes={
                "start_at": [old_start, start_at],
                "resource": [old_resource.name, resource.name],
            },
        )
        _notify(appt, "update")
    return _sync(appointment, appt)


def appointment_cancel(*, actor: Any, appointment: Appointment, reason: str) -> Appointment:
    """Cancel a booked appointment; the reason is required and the slot is freed."""
    require_perm(actor, "appointments.change_appointment")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Give a reason for the cancellation."), code="required")}
        )
    with transaction.atomic():
        appt = _locked_appointment(actor, appointment)
        if appt.status != S.BOOKED:
            raise ValidationError(
                _("Only a booked appointment can be cancelled (this one is %(status)s)."),
                code="not_cancellable",
                params={"status": appt.get_status_display()},
            )
        appt.status = S.CANCELLED
        appt.cancel_reason = reason[:500]
        appt.cancelled_at = timezone.now()
        appt.sequence += 1
        appt.save(update_fields=["status", "cancel_reason", "cancelled_at", "sequence", "updated_at"])
        _event(
            appt,
            actor=actor,
            kind=AppointmentEvent.Kind.CANCELLED,
            from_status=S.BOOKED,
            to_status=S.CANCELLED,
            note=reason[:500],
        )
        audit_record(
            actor=actor, action="appointments.appointment.cancelled", obj=appt, changes={"reason": reason}
        )
        _notify(appt, "cancel")
    return _sync(appointment, appt)


def appointment_mark_no_show(*, actor: Any, appointment: Appointment) -> Appointment:
    """Mark a booked appointment whose start has passed as a no-show."""
    require_perm(actor, "appointments.change_appointment")
    with transaction.atomic():
        appt = _locked_appointment(actor, appointment)
        now = timezone.now()
        if appt.status != S.BOOKED:
            raise ValidationError(
                _("Only a booked appointment can be marked as a no-show (this one is %(status)s)."),
                code="not_no_show",
                params={"status": appt.get_status_display()},
            )
        if appt.start_at > now:
            raise ValidationError(
                _("The appointment has not started yet; it cannot be a no-show."), code="not_started"
            )
        appt.status = S.NO_SHOW
        appt.no_show_at = now
        appt.save(update_fields=["status", "no_show_at", "updated_at"])
        _event(
            appt,
            actor=actor,
            kind=AppointmentEvent.Kind.NO_SHOW,
            from_status=S.BOOKED,
            to_status=S.NO_SHOW,
            at=now,
        )
        audit_record(actor=actor, action="appointments.appointment.no_show", obj=appt)
    return _sync(appointment, appt)


def appointment_set_status(
    *,
    actor: Any,
    appointment: Appointment,
    status: str,
    at: datetime.datetime | None = None,
    locked: bool = False,
) -> Appointment:
    """Check in, call in, start treatment or finish (the door the reception desk uses).

    Validates the transition (``TRANSITIONS``) and records the matching timestamp
    (``checked_in_at``, ``called_in_at``, ``started_at``, ``done_at``). A check-in is accepted only
    on the appointment's own (local) day. Undoing a check-in clears its timestamp.

    ``actor`` may be a ``SystemActor`` (the self check-in kiosk): it may only check in, only at
    its own location (another location's appointment is ``PermissionDenied``, as out of scope);
    the event's note and the audit entry describe it.

    ``locked=True``: the caller read ``appointment`` in the actor's scope with ``SELECT ... FOR
    UPDATE`` in the transaction it is still in (the desk's check-in, which reads it once).
    """
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locked=True needs the caller's transaction holding the row lock")
    if is_system(actor):
        if status != S.CHECKED_IN:
            raise PermissionDenied(_("The kiosk can only check in."))
    else:
        require_perm(actor, "appointments.change_appointment")
    if status not in S.values:
        raise ValidationError({"status": ValidationError(_("Unknown status."), code="invalid_status")})
    if status in (S.CANCELLED, S.NO_SHOW):
        raise ValidationError(
            {
                "status": ValidationError(
                    _("Use cancel or no-show for this change."), code="use_cancel_or_no_show"
                )
            }
        )
    at = at or timezone.now()
    with transaction.atomic():
        appt = appointment if locked else _locked_appointment(actor, appointment)
        current = appt.status
        if status not in TRANSITIONS[current]:
            raise ValidationError(
                {
                    "status": ValidationError(
                        _("An appointment that is %(current)s cannot become %(new)s."),
                        code="invalid_transition",
                        params={"current": appt.get_status_display(), "new": S(status).label},
                    )
                }
            )
        fields = ["status", "updated_at"]
        if status == S.CHECKED_IN:
            zone = rules.location_zone(appt.location)
            if appt.start_at.astimezone(zone).date() != at.astimezone(zone).date():
                raise ValidationError(
                    {"status": ValidationError(_("This appointment is on another day."), code="other_day")}
                )
        if status == S.BOOKED:  # undo a check-in
            appt.checked_in_at = None
            fields.append("checked_in_at")
        else:
            setattr(appt, STATUS_TIMESTAMP[status], at)
            fields.append(STATUS_TIMESTAMP[status])
        appt.status = status
        appt.save(update_fields=fields)
        system = is_system(actor)
        _event(
            appt,
            actor=actor,
            kind=AppointmentEvent.Kind.STATUS,
            from_status=current,
            to_status=status,
            at=at,
            note=actor.describe()[:500] if system else "",
        )
        audit_record(
            actor=actor,
            action="appointments.appointment.status",
            obj=appt,
            changes={"status": [current, status], **(actor.audit_changes() if system else {})},
        )
    return _sync(appointment, appt)


def appointment_follow_up(
    *,
    actor: Any,
    appointment: Appointment,
    appointment_type: AppointmentType,
    start_at: datetime.datetime,
    resource: Resource | None = None,
    notes: str = "",
) -> Appointment:
    """Book the next visit of a finished (or ongoing) visit in one step."""
    appointment = Appointment.objects.select_related("location", "resource", "party").get(pk=appointment.pk)
    if appointment.status not in (S.DONE, S.IN_TREATMENT, S.CALLED_IN):
        raise ValidationError(
            _("A follow-up is booked from a visit that has taken place."), code="not_finished"
        )
    return appointment_book(
        actor=actor,
        location=appointment.location,
        resource=resource or appointment.resource,
        appointment_type=appointment_type,
        party=appointment.party,
        start_at=start_at,
        notes=notes,
        follow_up_of=appointment,
    )


# ---------------------------------------------------------------- set-up


def _require_manage(actor: Any, location) -> None:
    require_perm(actor, "appointments.manage_resources")
    _check_location(actor, location)


def resource_save(*, actor: Any, resource: Resource) -> Resource:
    """Create or update a resource (validated; audited)."""
    _require_manage(actor, resource.location)
    created = resource.pk is None
    resource.full_clean()
    with transaction.atomic():
        resource.save()
        audit_record(
            actor=actor,
            action="appointments.resource.created" if created else "appointments.resource.updated",
            obj=resource,
            changes={"name": resource.name, "kind": resource.kind, "active": resource.active},
        )
    return resource


def working_hours_set(
    *, actor: Any, resource: Resource, intervals: list[dict[str, Any]]
) -> list[WorkingHours]:
    """Replace the resource's working hours with ``intervals``
    (``{"weekday", "start_time", "end_time", "valid_from"?, "valid_until"?}``)."""
    _require_manage(actor, resource.location)
    rows = []
    errors = []
    for n, item in enumerate(intervals, start=1):
        row = WorkingHours(resource=resource, **item)
        try:
            row.full_clean(exclude=["resource"])
            if row.end_time <= row.start_time:
                raise ValidationError(
                    {"end_time": _("The end must be after the start.")}, code="end_before_start"
                )
        except ValidationError as exc:
            errors.append(
                ValidationError(_("Row %(n)s: %(error)s"), params={"n": n, "error": "; ".join(exc.messages)})
            )
            continue
        rows.append(row)
    overlapping_days = sorted(
        {
            a.weekday
            for i, a in enumerate(rows)
            for b in rows[i + 1 :]
            if (a.weekday, a.valid_from, a.valid_until) == (b.weekday, b.valid_from, b.valid_until)
            and a.start_time < b.end_time
            and b.start_time < a.end_time
        }
    )
    for weekday in overlapping_days:
        label = dict(WorkingHours._meta.get_field("weekday").choices)[weekday]
        errors.append(
            ValidationError(_("%(day)s: working intervals overlap."), code="overlap", params={"day": label})
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        WorkingHours.objects.filter(resource=resource).delete()
        WorkingHours.objects.bulk_create(rows)
        audit_record(
            actor=actor,
            action="appointments.resource.working_hours",
            obj=resource,
            changes={"intervals": [f"{r.weekday} {r.start_time:%H:%M}-{r.end_time:%H:%M}" for r in rows]},
        )
    return rows


def absence_add(
    *,
    actor: Any,
    resource: Resource,
    start_at: datetime.datetime,
    end_at: datetime.datetime,
    reason: str = "",
) -> Absence:
    _require_manage(actor, resource.location)
    absence = Absence(resource=resource, start_at=start_at, end_at=end_at, reason=reason)
    if start_at and end_at and end_at <= start_at:
        raise ValidationError(
            {"end_at": ValidationError(_("The end must be after the start."), code="end_before_start")}
        )
    absence.full_clean()
    with transaction.atomic():
        absence.save()
        audit_record(
            actor=actor,
            action="appointments.absence.created",
            obj=absence,
            changes={"resource": resource.name, "start_at": start_at, "end_at": end_at, "reason": reason},
        )
    return absence


def absence_delete(*, actor: Any, absence: Absence) -> None:
    _require_manage(actor, absence.resource.location)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="appointments.absence.deleted",
            obj=absence,
            changes={"start_at": absence.start_at, "end_at": absence.end_at},
        )
        absence.delete()


def appointment_type_save(*, actor: Any, appointment_type: AppointmentType) -> AppointmentType:
    require_perm(actor, "appointments.manage_resources")
    if appointment_type.location_id:
        _check_location(actor, appointment_type.location)
    else:
        from frontoffice.core.permissions import require_legal_entity

        require_legal_entity(actor, appointment_type.legal_entity_id)
    created = appointment_type.pk is None
    appointment_type.full_clean()
    with transaction.atomic():
        appointment_type.save()
        audit_record(
            actor=actor,
            action="appointments.type.created" if created else "appointments.type.updated",
            obj=appointment_type,
            changes={
                "name": appointment_type.name,
                "duration_minutes": appointment_type.duration_minutes,
                "buffer_before_minutes": appointment_type.buffer_before_minutes,
                "buffer_after_minutes": appointment_type.buffer_after_minutes,
            },
        )
    return appointment_type


def mark_sent(appointment_pk: int, field: str) -> bool:
    """Set ``confirmation_sent_at``/``reminder_sent_at`` once; False when already set (idempotent)."""
    return bool(
        Appointment.objects.filter(pk=appointment_pk, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )
    )
