"""Demo data for the reception desk (called by ``frontoffice demo`` after the appointments seed;
safe to re-run): the clinic's waiting-time target, a patient checked in from today's bookings
and waiting, a visitor for a host, a finished visit with its feedback answered, and a complaint
about that visit. Everything goes through the reception services; the complaint through
surveys' (``surveys.services.complaint_create``, desk "reception", imported at call time: the
one complaint model of every desk)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone


def seed_reception(company: Any, users: dict[str, Any]) -> dict[str, int]:
    from frontoffice.appointments.models import Appointment
    from frontoffice.appointments.selectors import appointments_today
    from frontoffice.parties.models import Party
    from frontoffice.reception import services
    from frontoffice.reception.models import Visit, VisitFeedback

    receptionist = users.get("reception")
    manager = users.get("office") or users.get("admin")
    staff = getattr(receptionist, "staff", None) if receptionist else None
    if staff is None or not staff.home_location_id or manager is None:
        return {"visits": 0}
    clinic = staff.home_location
    if Visit.objects.filter(location=clinic).exists():
        return {"visits": 0}
    services.waiting_target_set(actor=manager, location=clinic, minutes=15)
    now = timezone.now()
    visits = 0
    done = None

    # A finished walk-in earlier today, rated through its feedback link.
    patient = (
        Party.objects.filter(location=clinic, kind="person", erased_at__isnull=True)
        .exclude(email="")
        .order_by("pk")
        .first()
    )
    if patient is not None:
        arrived = now - datetime.timedelta(hours=2)
        done = services.visit_walk_in(
            actor=receptionist,
            location=clinic,
            kind="patient",
            party=patient,
            purpose="Akut besök",
            at=arrived,
        )
        services.visit_set_status(
            actor=receptionist, visit=done, status="called_in", at=arrived + datetime.timedelta(minutes=12)
        )
        services.visit_set_status(
            actor=receptionist, visit=done, status="done", at=arrived + datetime.timedelta(minutes=40)
        )
        # The e-mailed token is not kept; make a fresh link for the demo answer.
        VisitFeedback.objects.filter(visit=done).delete()
        link = services.feedback_request(visit=done)
        services.feedback_submit(token=link.token, rating=5, comment="Mycket trevligt bemötande.")
        visits += 1

    # A patient checked in from today's bookings, waiting now.
    booked = (
        appointments_today(user=receptionist, location=clinic)
        .filter(status=Appointment.Status.BOOKED)
        .first()
    )
    if booked is not None:
        try:
            services.visit_check_in(actor=receptionist, appointment=booked)
            visits += 1
        except (ValidationError, PermissionDenied):
            pass

    # A visitor for the office manager.
    services.visit_walk_in(
        actor=receptionist,
        location=clinic,
        kind="visitor",
        visitor_name="Johan Leverantör",
        host=manager,
        purpose="Leverans av material",
    )
    visits += 1

    # A complaint about the finished visit (the whole seed runs once per clinic: see above).
    from frontoffice.surveys.services import complaint_create

    complaint_create(
        actor=receptionist,
        desk="reception",
        channel="in_person",
        subject="Lång väntan utan besked",
        description="Patienten fick vänta 40 minuter utan besked.",
        location=clinic,
        party=patient,
        about=done,
        owner=manager,
        deadline=timezone.localdate() + datetime.timedelta(days=3),
    )
    return {"visits": visits}
