"""Test set-up for appointments (reusable by the reception tests).

``clinic_setup(org)`` gives the North Dental Clinic opening hours (Mon-Fri 08:00-17:00),
two practitioners and a room working those hours, two appointment types and two patients.
Tests pin the clock with ``time_machine`` to ``NOW`` (Tuesday 1 December 2026, 07:00 in
Stockholm), so ``TOMORROW_9`` etc. are bookable.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from frontoffice.appointments.models import AppointmentType, Resource, WorkingHours
from frontoffice.parties.models import Party

STHLM = ZoneInfo("Europe/Stockholm")
NOW = datetime.datetime(2026, 12, 1, 7, 0, tzinfo=STHLM)  # Tuesday
TODAY = NOW.date()


def at(day: datetime.date, hh: int, mm: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hh, mm), tzinfo=STHLM)


WEEKDAYS_OPEN = {key: [["08:00", "17:00"]] for key in ("mon", "tue", "wed", "thu", "fri")}


@dataclass
class Clinic:
    location: Any
    dentist: Resource
    hygienist: Resource
    room: Resource
    checkup: AppointmentType
    cleaning: AppointmentType
    patient: Party
    patient_en: Party
    other_location: Any
    other_resource: Resource
    other_patient: Party


def make_resource(
    location: Any, name: str, kind: str = "practitioner", days=range(5), hours=("08:00", "17:00")
):
    resource = Resource.objects.create(location=location, name=name, kind=kind)
    WorkingHours.objects.bulk_create(
        WorkingHours(resource=resource, weekday=d, start_time=hours[0], end_time=hours[1]) for d in days
    )
    return resource


def make_patient(org: Any, location: Any, name: str, language: str = "sv", email: str | None = None) -> Party:
    first, last = name.split(" ", 1)
    return Party.objects.create(
        kind="person",
        first_name=first,
        last_name=last,
        display_name=name,
        email=email if email is not None else f"{first.lower()}@example.com",
        language=language,
        legal_entity=location.legal_entity,
        region=location.region,
        location=location,
    )


def clinic_setup(org: Any) -> Clinic:
    clinic = org.clinic
    clinic.opening_hours = WEEKDAYS_OPEN
    clinic.save(update_fields=["opening_hours"])
    other = org.sales_office
    other.opening_hours = WEEKDAYS_OPEN
    other.save(update_fields=["opening_hours"])
    return Clinic(
        location=clinic,
        dentist=make_resource(clinic, "Dr Berg"),
        hygienist=make_resource(clinic, "Hygienist Lund"),
        room=make_resource(clinic, "Room 1", kind="room"),
        checkup=AppointmentType.objects.create(
            legal_entity=org.company, name="Check-up", duration_minutes=30, buffer_after_minutes=10
        ),
        cleaning=AppointmentType.objects.create(
            legal_entity=org.company, location=clinic, name="Cleaning", duration_minutes=60
        ),
        patient=make_patient(org, clinic, "Anna Svensson"),
        patient_en=make_patient(org, clinic, "John Smith", language="en"),
        other_location=other,
        other_resource=make_resource(other, "Host Ek", kind="host"),
        other_patient=make_patient(org, other, "Olle Other"),
    )
