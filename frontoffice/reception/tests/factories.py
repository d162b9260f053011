"""Test helpers for reception: book today's appointments as the clock allows.

``NOW`` (from the appointments factories) is Tuesday 1 December 2026 07:00 in Stockholm; a test
books at 07:00 for later that day, then moves the clock to the arrival.
"""

from __future__ import annotations

import datetime
from typing import Any

from frontoffice.appointments.models import Appointment
from frontoffice.appointments.services import appointment_book
from frontoffice.appointments.tests.factories import NOW, TODAY, at  # noqa: F401


def book(org: Any, setup: Any, hh: int, mm: int = 0, *, resource=None, party=None, day=None) -> Appointment:
    return appointment_book(
        actor=org.user("receptionist"),
        location=setup.location,
        resource=resource or setup.dentist,
        appointment_type=setup.checkup,
        party=party or setup.patient,
        start_at=at(day or TODAY, hh, mm),
        notes="",
    )


def book_raw(
    setup: Any, start: datetime.datetime, *, resource=None, party=None, code: str = ""
) -> Appointment:
    """An appointment written directly (for bulk and for times the booking rules refuse)."""
    from frontoffice.appointments.codes import new_code

    resource = resource or setup.dentist
    end = start + datetime.timedelta(minutes=30)
    return Appointment.objects.create(
        location=resource.location,
        resource=resource,
        appointment_type=setup.checkup,
        party=party or setup.patient,
        start_at=start,
        end_at=end,
        busy_from=start,
        busy_until=end,
        booking_code=code or new_code(),
    )
