"""Demo seed, and the GDPR handler: export everything, erase keeps patient records 10 years."""

from __future__ import annotations

import datetime

import pytest

from frontoffice.appointments.demo import seed_appointments
from frontoffice.appointments.models import Appointment
from frontoffice.appointments.registrations import _erase, _export
from frontoffice.appointments.services import appointment_book
from frontoffice.appointments.tests.factories import TODAY, at
from frontoffice.core.registry import registry

pytestmark = pytest.mark.django_db
TOMORROW = TODAY + datetime.timedelta(days=1)


def test_demo_seed_is_idempotent(org, now):
    users = {"reception": org.user("receptionist"), "admin": org.user("admin")}
    first = seed_appointments(org.company, users)
    assert first["appointments"] > 20
    assert Appointment.objects.filter(location=org.clinic, status="booked").exists()
    assert seed_appointments(org.company, users) == {"appointments": 0}


def test_export_and_erase_keep_patient_records(org, setup, now):
    user = org.user("receptionist")
    past = Appointment.objects.create(
        location=setup.location,
        resource=setup.dentist,
        appointment_type=setup.checkup,
        party=setup.patient,
        start_at=at(TODAY - datetime.timedelta(days=30), 9),
        end_at=at(TODAY - datetime.timedelta(days=30), 9, 30),
        busy_from=at(TODAY - datetime.timedelta(days=30), 9),
        busy_until=at(TODAY - datetime.timedelta(days=30), 9, 40),
        status="done",
        booking_code="PAST2222",
        notes="Parks outside",
        health_notes="Root canal",
    )
    future = appointment_book(
        actor=user,
        location=setup.location,
        resource=setup.dentist,
        appointment_type=setup.checkup,
        party=setup.patient,
        start_at=at(TOMORROW, 9),
        notes="Call first",
        send_confirmation=False,
    )
    exported = _export(setup.patient)
    assert [row["health_notes"] for row in exported] == ["Root canal", ""]
    assert _erase(setup.patient, org.user("admin")) == 2
    past.refresh_from_db()
    future.refresh_from_db()
    assert past.status == "done" and past.health_notes == "Root canal" and past.notes == ""
    assert past.anonymised_at is not None
    assert future.status == "cancelled" and future.notes == ""
    handler = next(h for h in registry.personal_data if h.key == "appointments")
    assert "10 years" in str(handler.kept_reason) and "Patientdatalagen" in str(handler.kept_reason)
