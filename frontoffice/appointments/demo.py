"""Demo data for the reception desk: the demo clinic's practitioners, rooms, appointment types
and this week's appointments (called by ``frontoffice demo``; safe to re-run)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from frontoffice.appointments import rules
from frontoffice.appointments.models import Appointment, AppointmentType, Resource, WorkingHours

OPENING_HOURS = {
    "mon": [["08:00", "17:00"]],
    "tue": [["08:00", "17:00"]],
    "wed": [["08:00", "19:00"]],
    "thu": [["08:00", "17:00"]],
    "fri": [["08:00", "15:00"]],
    "sat": [],
    "sun": [],
}
RESOURCES = [
    ("Tandläkare Eva Holm", "practitioner"),
    ("Tandläkare Omar Said", "practitioner"),
    ("Tandhygienist Lena Ek", "practitioner"),
    ("Behandlingsrum 1", "room"),
    ("Behandlingsrum 2", "room"),
]
TYPES = [
    # name, minutes, buffer before, buffer after, colour
    ("Undersökning", 30, 0, 5, "#4a90d9"),
    ("Tandstensborttagning", 45, 0, 10, "#2e9d6b"),
    ("Akut besök", 20, 0, 10, "#d0453a"),
    ("Konsultation, implantat", 60, 5, 5, "#8a5cc2"),
]
PATIENTS = [
    ("Maja", "Nilsson"),
    ("Elias", "Persson"),
    ("Alva", "Johansson"),
    ("Hugo", "Karlsson"),
    ("Selma", "Andersson"),
    ("Noah", "Olsson"),
    ("Ella", "Eriksson"),
    ("Liam", "Larsson"),
    ("Astrid", "Gustafsson"),
    ("Oscar", "Pettersson"),
    ("Wilma", "Jonsson"),
    ("Lucas", "Svensson"),
]


def _clinic(company: Any, users: dict[str, Any]):
    from frontoffice.org.models import Location

    receptionist = users.get("reception")
    staff = getattr(receptionist, "staff", None) if receptionist else None
    if staff is not None and staff.home_location_id:
        return staff.home_location
    return Location.objects.filter(legal_entity=company, kind="clinic").order_by("pk").first()


def _patients(company: Any, clinic: Any) -> list[Any]:
    from frontoffice.parties.models import Party

    patients = []
    for first, last in PATIENTS:
        email = f"{first.lower()}.{last.lower()}@patient.demo.frontoffice.local"
        party, _ = Party.objects.get_or_create(
            legal_entity=company,
            email=email,
            defaults={
                "kind": "person",
                "first_name": first,
                "last_name": last,
                "display_name": f"{first} {last}",
                "language": "sv",
                "region": clinic.region,
                "location": clinic,
                "source": "walk_in",
                "consent_data_processing": True,
                "consent_data_processing_at": timezone.now(),
            },
        )
        patients.append(party)
    return patients


def seed_appointments(company: Any, users: dict[str, Any]) -> dict[str, int]:
    """The clinic's resources (Mon-Fri hours), four appointment types and this week's bookings:
    today's earlier visits are done, the rest booked through ``appointment_book``."""
    from frontoffice.appointments.services import appointment_book

    clinic = _clinic(company, users)
    if clinic is None:
        return {"appointments": 0}
    if not clinic.opening_hours:
        clinic.opening_hours = OPENING_HOURS
        clinic.save(update_fields=["opening_hours"])
    resources = []
    for position, (name, kind) in enumerate(RESOURCES):
        resource, created = Resource.objects.get_or_create(
            location=clinic, name=name, defaults={"kind": kind, "position": position}
        )
        if created:
            WorkingHours.objects.bulk_create(
                WorkingHours(resource=resource, weekday=d, start_time="08:00", end_time="17:00")
                for d in range(5)
            )
        resources.append(resource)
    types = []
    for name, minutes, before, after, colour in TYPES:
        kind, _ = AppointmentType.objects.get_or_create(
            legal_entity=company,
            name=name,
            defaults={
                "duration_minutes": minutes,
                "buffer_before_minutes": before,
                "buffer_after_minutes": after,
                "colour": colour,
            },
        )
        types.append(kind)
    zone = rules.location_zone(clinic)
    now = timezone.now()
    today = now.astimezone(zone).date()
    week_end = today + datetime.timedelta(days=7)
    start_of_today = datetime.datetime.combine(today, datetime.time(0), tzinfo=zone)
    if Appointment.objects.filter(location=clinic, start_at__gte=start_of_today).exists():
        return {"appointments": 0}
    patients = _patients(company, clinic)
    actor = users.get("reception") or users.get("admin")
    practitioners = [r for r in resources if r.kind == "practitioner"]
    created = 0
    n = 0
    day = today
    while day < week_end:
        if rules.public_holiday(clinic, day) or day.weekday() >= 5:
            day += datetime.timedelta(days=1)
            continue
        for p, practitioner in enumerate(practitioners):
            for slot in range(6):
                kind = types[(n + p) % len(types)]
                start = datetime.datetime.combine(day, datetime.time(8 + slot, 30 * (p % 2)), tzinfo=zone)
                party = patients[n % len(patients)]
                n += 1
                if start <= now + datetime.timedelta(minutes=5):
                    if not _past_visit(clinic, practitioner, kind, party, start, actor):
                        continue
                else:
                    try:
                        appointment_book(
                            actor=actor,
                            location=clinic,
                            resource=practitioner,
                            appointment_type=kind,
                            party=party,
                            start_at=start,
                            send_confirmation=False,
                        )
                    except ValidationError:  # a slot the rules refuse (buffers): skip it
                        continue
                created += 1
        day += datetime.timedelta(days=1)
    return {"appointments": created}


def _past_visit(clinic, resource, kind, party, start, actor) -> bool:
    """Earlier today: a finished visit (the booking service refuses times in the past); False
    when the slot is still taken by the previous visit."""
    from frontoffice.appointments.codes import new_code

    end = start + datetime.timedelta(minutes=kind.duration_minutes)
    busy_from = start - datetime.timedelta(minutes=kind.buffer_before_minutes)
    busy_until = end + datetime.timedelta(minutes=kind.buffer_after_minutes)
    # Written directly (the service refuses the past), so the overlap rule is checked here:
    # a slot the previous visit still occupies is skipped, as the booking service would.
    if (
        Appointment.objects.filter(resource=resource, busy_from__lt=busy_until, busy_until__gt=busy_from)
        .exclude(status=Appointment.Status.CANCELLED)
        .exists()
    ):
        return False
    Appointment.objects.create(
        location=clinic,
        resource=resource,
        appointment_type=kind,
        party=party,
        start_at=start,
        end_at=end,
        busy_from=busy_from,
        busy_until=busy_until,
        status=Appointment.Status.DONE,
        booking_code=new_code(),
        booked_by=actor,
        checked_in_at=start - datetime.timedelta(minutes=7),
        called_in_at=start + datetime.timedelta(minutes=2),
        started_at=start + datetime.timedelta(minutes=3),
        done_at=end,
    )
    return True
