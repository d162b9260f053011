"""Visits: check-in from an appointment, walk-ins, and the status steps of the waiting room.

- ``visit_check_in`` creates the visit of a booked appointment in one transaction: the next
  ticket number of the location's day, the appointment's status through
  ``appointments.services.appointment_set_status`` (the one door, which also refuses another
  day), a ``VisitEvent``, an interaction of kind ``visit`` for the receptionist and an audit entry;
- ``visit_walk_in`` registers a patient without an appointment or a visitor for a host; the host
  is e-mailed on commit and sees the visitor on their "your visitors" badge;
- ``visit_set_status`` moves a visit along waiting → called_in → in_treatment / in_meeting → done
  (or left), keeps the appointment in step, and after ``done`` sends the feedback link.

Ticket numbers are gapless per location and local day: ``next_ticket`` locks the day's
``TicketCounter`` row (created with ``INSERT ... ON CONFLICT DO NOTHING`` first), so concurrent
check-ins queue on that row and a rolled-back check-in gives its number back.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.reception.models import TicketCounter, Visit, VisitEvent
from frontoffice.reception.services.common import check_location, local_day, user_or_none

S = Visit.Status
TRANSITIONS: dict[str, set[str]] = {
    S.WAITING: {S.CALLED_IN, S.IN_TREATMENT, S.IN_MEETING, S.DONE, S.LEFT},
    S.CALLED_IN: {S.IN_TREATMENT, S.IN_MEETING, S.DONE, S.LEFT},
    S.IN_TREATMENT: {S.DONE},
    S.IN_MEETING: {S.DONE},
    S.DONE: set(),
    S.LEFT: set(),
}
# The appointment status that follows a visit status (left: the appointment stays checked in).
APPOINTMENT_STATUS = {
    S.CALLED_IN: "called_in",
    S.IN_TREATMENT: "in_treatment",
    S.IN_MEETING: "in_treatment",
    S.DONE: "done",
}
TIMESTAMP = {
    S.CALLED_IN: "called_in_at",
    S.IN_TREATMENT: "started_at",
    S.IN_MEETING: "started_at",
    S.DONE: "done_at",
    S.LEFT: "left_at",
}


def next_ticket(location: Any, day: datetime.date) -> int:
    """The next ticket number of ``location`` on ``day``; call inside the check-in transaction.

    One statement: insert the day's counter at 1 or bump it, returning the number. The upsert
    holds the counter row's lock until the transaction ends, so concurrent check-ins at the
    location queue here and a rolled-back check-in gives its number back (gapless).
    """
    table = connection.ops.quote_name(TicketCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (location_id, day, last_number) VALUES (%s, %s, 1) "  # noqa: S608 - our table
            f"ON CONFLICT (location_id, day) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [location.pk, day],
        )
        return cursor.fetchone()[0]


def _event(
    visit: Visit, *, actor: Any, at: datetime.datetime, from_status: str, to_status: str, note: str = ""
):
    return VisitEvent.objects.create(
        visit=visit, at=at, actor=user_or_none(actor), from_status=from_status, to_status=to_status, note=note
    )


def _record_visit_interaction(*, actor: Any, visit: Visit, subject: str, system: bool = False) -> None:
    if visit.party_id is None:
        return
    from frontoffice.parties.services import interaction_record

    interaction_record(
        actor=None if system else actor,
        party=visit.party,
        kind="visit",
        channel="in_person",
        subject=subject,
        started_at=visit.arrived_at,
        staff=None,  # the actor's staff profile (interaction_record looks it up)
        concerns=visit,
        check_permission=not system,
    )


def visit_check_in(
    *,
    actor: Any,
    appointment: Any,
    at: datetime.datetime | None = None,
    via: str = Visit.Via.DESK,
) -> Visit:
    """Check the patient of ``appointment`` in: a waiting visit with the day's next ticket.

    ``actor`` is the receptionist, or the self check-in kiosk as a ``SystemActor``
    (``appointments.actors``; see ``kiosks.kiosk_actor``): the kiosk checks in only at its own
    location, the visit has no receptionist, and the visit's event, the appointment's history
    and both audit entries name the kiosk and who set it up. Raises ValidationError
    ``already_checked_in``, ``other_day``, ``invalid_transition`` (from appointments).
    """
    from frontoffice.appointments.actors import is_system
    from frontoffice.appointments.models import Appointment
    from frontoffice.appointments.services import appointment_set_status

    system = is_system(actor)
    if not system:
        require_perm(actor, "reception.add_visit")
    at = at or timezone.now()
    with transaction.atomic():
        # Read once, locked: the status change below works on this row (``locked=True``).
        qs = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("location", "party", "resource", "appointment_type")
            .defer("health_notes")
        )
        # The kiosk works at its own location only; a person within their scope.
        qs = qs.filter(location_id=actor.location_id) if system else visible_to(qs, actor)
        appt = qs.filter(pk=appointment.pk).first()
        if appt is None:
            raise PermissionDenied(_("You cannot check in this appointment."))
        if appt.status != "booked":  # a visit exists exactly when the appointment left "booked"
            code = (
                "already_checked_in"
                if appt.status != "cancelled" and appt.status != "no_show"
                else "not_booked"
            )
            raise ValidationError(
                _("This appointment is already checked in.")
                if code == "already_checked_in"
                else _("This appointment is cancelled or marked as a no-show."),
                code=code,
            )
        day = local_day(appt.location, at)
        ticket = next_ticket(appt.location, day)
        appointment_set_status(actor=actor, appointment=appt, status="checked_in", at=at, locked=True)
        visit = Visit(
            location=appt.location,
            kind=Visit.Kind.VISITOR if appt.resource.kind == "host" else Visit.Kind.PATIENT,
            party=appt.party,
            host=appt.resource.user if appt.resource.kind == "host" else None,
            appointment=appt,
            purpose=appt.appointment_type.name[:200],
            visit_date=day,
            ticket_number=ticket,
            via=via,
            arrived_at=at,
            receptionist=None if system else actor,
        )
        # Field rules only: the foreign keys were just read, uniqueness is the database's (ticket
        # constraint, one visit per appointment).
        visit.full_clean(
            exclude=["location", "appointment", "party", "host", "receptionist"],
            validate_unique=False,
            validate_constraints=False,
        )
        visit.save()
        _event(
            visit,
            actor=actor,
            at=at,
            from_status="",
            to_status=S.WAITING,
            note=(actor.describe() if system else str(visit.get_via_display()))[:200],
        )
        _record_visit_interaction(
            actor=actor,
            visit=visit,
            subject=(_("Self check-in") if system else _("Checked in")) + f": {appt.appointment_type.name}",
            system=system,
        )
        audit_record(
            actor=actor,
            action="reception.visit.checked_in",
            obj=visit,
            changes={
                "ticket_number": [None, ticket],
                "appointment": [None, appt.pk],
                "via": [None, via],
                **(actor.audit_changes() if system else {}),
            },
        )
        if visit.host_id:
            _notify_host(visit)
    return visit


def visit_walk_in(
    *,
    actor: Any,
    location: Any,
    kind: str,
    party: Any = None,
    visitor_name: str = "",
    host: Any = None,
    purpose: str = "",
    at: datetime.datetime | None = None,
) -> Visit:
    """Register a walk-in: a patient without appointment (``party`` required) or a visitor for a
    ``host`` (a staff member of the location's legal entity; ``party`` or ``visitor_name``)."""
    from frontoffice.org.models import Staff
    from frontoffice.parties.models import Party

    require_perm(actor, "reception.add_visit")
    check_location(actor, location)
    at = at or timezone.now()
    errors: dict[str, ValidationError] = {}
    if kind not in Visit.Kind.values:
        errors["kind"] = ValidationError(_("Choose patient or visitor."), code="invalid_kind")
    if party is not None:
        party = visible_to(Party.objects.active(), actor).filter(pk=party.pk, erased_at__isnull=True).first()
        if party is None:
            errors["party"] = ValidationError(_("Choose a customer you can see."), code="unknown_party")
    visitor_name = " ".join((visitor_name or "").split())[:200]
    if kind == Visit.Kind.PATIENT and party is None and "party" not in errors:
        errors["party"] = ValidationError(_("Choose the patient (or register a new one)."), code="required")
    if kind == Visit.Kind.VISITOR:
        if host is None:
            errors["host"] = ValidationError(
                _("Choose the host the visitor is here to see."), code="required"
            )
        elif not Staff.objects.filter(
            user_id=host.pk, active=True, legal_entity_id=location.legal_entity_id, user__is_active=True
        ).exists():
            errors["host"] = ValidationError(
                _("The host must be an active staff member."), code="invalid_host"
            )
        if party is None and not visitor_name and "party" not in errors:
            errors["visitor_name"] = ValidationError(_("Enter the visitor's name."), code="required")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        day = local_day(location, at)
        visit = Visit(
            location=location,
            kind=kind,
            party=party,
            visitor_name="" if party else visitor_name,
            host=host if kind == Visit.Kind.VISITOR else None,
            purpose=(purpose or "").strip()[:200],
            visit_date=day,
            ticket_number=next_ticket(location, day),
            arrived_at=at,
            receptionist=actor,
        )
        visit.full_clean(exclude=["party", "host"])
        visit.save()
        _event(visit, actor=actor, at=at, from_status="", to_status=S.WAITING, note=_("Walk-in"))
        _record_visit_interaction(
            actor=actor,
            visit=visit,
            subject=_("Walk-in: %(purpose)s") % {"purpose": visit.purpose or visit.get_kind_display()},
        )
        audit_record(
            actor=actor,
            action="reception.visit.walked_in",
            obj=visit,
            changes={
                "kind": [None, kind],
                "ticket_number": [None, visit.ticket_number],
                "host": [None, visit.host_id],
            },
        )
        if visit.host_id:
            _notify_host(visit)
    return visit


def _notify_host(visit: Visit) -> None:
    """E-mail the host on commit (their screen shows the visitor through the polled badge)."""
    from django.conf import settings

    from frontoffice.core.tasks import email_enqueue

    host = visit.host
    visit.host_notified_at = timezone.now()
    visit.save(update_fields=["host_notified_at"])
    if not host.email:
        return
    url = settings.SITE_URL.rstrip("/") + reverse("reception:my-visitors")
    with translation.override(getattr(host, "language", "") or None):
        subject = _("Your visitor has arrived")
        body = _(
            "%(name)s has arrived at %(location)s reception (ticket %(ticket)s) and is waiting for you.\n\n"
            "Your visitors: %(url)s"
        ) % {
            "name": visit.initials or _("A visitor"),
            "location": visit.location.name,
            "ticket": visit.ticket_number,
            "url": url,
        }
    email_enqueue(subject=subject, body=body, to=[host.email])


def visit_set_status(*, actor: Any, visit: Visit, status: str, at: datetime.datetime | None = None) -> Visit:
    """Move ``visit`` to ``status`` (called in, in treatment / in meeting, done, left).

    The appointment follows through ``appointment_set_status``; moving past waiting without a
    call-in stamps ``called_in_at`` too (the waiting ended then). After ``done`` a visitor with an
    e-mail address gets the feedback link (on commit).
    """
    from frontoffice.appointments.services import appointment_set_status

    require_perm(actor, "reception.change_visit")
    if status not in S.values or status == S.WAITING:
        raise ValidationError({"status": ValidationError(_("Unknown status."), code="invalid_status")})
    at = at or timezone.now()
    with transaction.atomic():
        locked = (
            visible_to(Visit.objects.select_for_update(of=("self",)), actor)
            .select_related("location", "party", "appointment", "host")
            .filter(pk=visit.pk)
            .first()
        )
        if locked is None:
            raise PermissionDenied(_("You cannot change this visit."))
        current = locked.status
        if status not in TRANSITIONS[current]:
            raise ValidationError(
                {
                    "status": ValidationError(
                        _("A visit that is %(current)s cannot become %(new)s."),
                        code="invalid_transition",
                        params={"current": locked.get_status_display(), "new": S(status).label},
                    )
                }
            )
        if at < locked.arrived_at:
            raise ValidationError(
                {"status": ValidationError(_("Before the arrival."), code="before_arrival")}
            )
        fields = ["status", "updated_at", TIMESTAMP[status]]
        setattr(locked, TIMESTAMP[status], at)
        if status != S.LEFT and locked.called_in_at is None:
            locked.called_in_at = at
            fields.append("called_in_at")
        if status == S.DONE and locked.started_at is None:
            locked.started_at = locked.called_in_at
            fields.append("started_at")
        locked.status = status
        locked.save(update_fields=sorted(set(fields)))
        appt = locked.appointment
        target = APPOINTMENT_STATUS.get(status)
        if appt is not None and target and appt.status != target:
            if target == "done" and appt.status == "checked_in":
                appointment_set_status(
                    actor=actor, appointment=appt, status="called_in", at=locked.called_in_at
                )
            appointment_set_status(actor=actor, appointment=appt, status=target, at=at)
        _event(locked, actor=actor, at=at, from_status=current, to_status=status)
        audit_record(
            actor=actor, action="reception.visit.status", obj=locked, changes={"status": [current, status]}
        )
        if status == S.DONE and locked.party_id and locked.party.email and not locked.party.is_erased:
            from frontoffice.reception.services.feedback import feedback_request

            feedback_request(visit=locked)
        if status == S.DONE and locked.party_id:
            _announce_completed(locked)
    if locked is not visit:
        for f in Visit._meta.concrete_fields:
            setattr(visit, f.attname, getattr(locked, f.attname))
    return visit


def _announce_completed(visit: Visit) -> None:
    """Tell subscribers (surveys) the visit is completed; attributed to the receptionist."""
    from frontoffice.core.registry import Touchpoint, touchpoint_completed

    touchpoint_completed(
        Touchpoint(
            kind="reception.visit_completed",
            party_id=visit.party_id,
            legal_entity_id=visit.location.legal_entity_id,
            user_id=visit.receptionist_id,
            location_id=visit.location_id,
            region_id=visit.location.region_id,
            concerns=f"reception.visit:{visit.pk}",
        )
    )
