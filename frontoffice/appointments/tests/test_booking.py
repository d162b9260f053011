"""Booking rules: working and opening hours, holidays, absences, the past, overlaps with buffers."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.appointments.models import Absence, Appointment, AppointmentEvent
from frontoffice.appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_follow_up,
    appointment_mark_no_show,
    appointment_move,
    appointment_set_status,
)
from frontoffice.appointments.tests.factories import TODAY, at
from frontoffice.core.models import AuditEntry

pytestmark = pytest.mark.django_db
TOMORROW = TODAY + datetime.timedelta(days=1)  # Wednesday 2 December 2026


def book(org, setup, start, *, resource=None, type_=None, party=None, user="receptionist", **kw):
    return appointment_book(
        actor=org.user(user),
        location=setup.location,
        resource=resource or setup.dentist,
        appointment_type=type_ or setup.checkup,
        party=party or setup.patient,
        start_at=start,
        **kw,
    )


def codes(exc: ValidationError) -> set[str]:
    return (
        {e.code for errors in exc.error_dict.values() for e in errors}
        if hasattr(exc, "error_dict")
        else {e.code for e in exc.error_list}
    )


def test_booking_creates_appointment_event_and_audit(org, setup):
    appt = book(org, setup, at(TOMORROW, 9))
    assert appt.status == "booked"
    assert appt.end_at - appt.start_at == datetime.timedelta(minutes=30)
    assert appt.busy_until - appt.end_at == datetime.timedelta(minutes=10)
    assert len(appt.booking_code) == 8
    assert appt.booked_by == org.user("receptionist")
    assert AppointmentEvent.objects.filter(appointment=appt, kind="booked").count() == 1
    assert AuditEntry.objects.filter(
        action="appointments.appointment.booked", object_id=str(appt.pk)
    ).exists()


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (at(TODAY, 6), "in_past"),  # 06:00 today is before NOW (07:00)
        (at(TOMORROW, 7, 30), "outside_opening_hours"),
        (at(TOMORROW, 16, 45), "outside_opening_hours"),  # would end 17:15
        (at(TODAY + datetime.timedelta(days=4), 10), "outside_opening_hours"),  # Saturday
        (at(datetime.date(2026, 12, 25), 10), "holiday"),  # Christmas Day (a Friday)
        (at(datetime.date(2027, 1, 6), 10), "holiday"),  # Epiphany (a Wednesday)
    ],
)
def test_bad_times_are_refused_and_nothing_is_written(org, setup, start, code):
    with pytest.raises(ValidationError) as exc:
        book(org, setup, start)
    assert code in codes(exc.value)
    assert "start_at" in exc.value.error_dict
    assert not Appointment.objects.exists()


def test_working_hours_of_the_resource_are_respected(org, setup):
    setup.dentist.working_hours.filter(weekday=TOMORROW.weekday()).update(start_time="12:00")
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 9))
    assert "outside_working_hours" in codes(exc.value)
    assert "Dr Berg" in str(exc.value)
    book(org, setup, at(TOMORROW, 12))


def test_opening_hours_win_over_working_hours(org, setup):
    setup.dentist.working_hours.filter(weekday=TOMORROW.weekday()).update(end_time="19:00")
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 17, 30))
    assert "outside_opening_hours" in codes(exc.value)


def test_absence_blocks_booking(org, setup):
    Absence.objects.create(
        resource=setup.dentist, start_at=at(TOMORROW, 8), end_at=at(TOMORROW, 12), reason="Course"
    )
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 11, 45))
    assert "absent" in codes(exc.value)
    book(org, setup, at(TOMORROW, 12))


def test_overlap_including_buffers_is_refused_back_to_back_allowed(org, setup):
    first = book(org, setup, at(TOMORROW, 9))  # 09:00-09:30, busy to 09:40
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 9, 15), party=setup.patient_en)
    assert "overlap" in codes(exc.value)
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 9, 30), type_=setup.cleaning)  # inside the 10-minute buffer
    assert "overlap" in codes(exc.value)
    assert "09:00" in str(exc.value) and "09:40" in str(exc.value)
    # 09:40 is back to back with the buffer: allowed. So is the other practitioner at 09:00.
    book(org, setup, at(TOMORROW, 9, 40), type_=setup.cleaning)
    book(org, setup, at(TOMORROW, 9), resource=setup.hygienist)
    # A cleaning (no buffers) ending exactly when the check-up begins is fine too.
    book(org, setup, at(TOMORROW, 8), type_=setup.cleaning)
    assert Appointment.objects.count() == 4
    # Cancelling frees the slot.
    appointment_cancel(actor=org.user("receptionist"), appointment=first, reason="Patient is ill")
    book(org, setup, at(TOMORROW, 9, 0), type_=setup.checkup, party=setup.patient_en)


def test_unknown_resource_type_or_party_is_refused(org, setup):
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 9), resource=setup.other_resource)
    assert "resource" in exc.value.error_dict
    setup.cleaning.active = False
    setup.cleaning.save()
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 9), type_=setup.cleaning)
    assert "appointment_type" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        book(org, setup, at(TOMORROW, 9), party=setup.other_patient)
    assert "party" in exc.value.error_dict
    assert not Appointment.objects.exists()


def test_permission_and_location_scope(org, setup):
    with pytest.raises(PermissionDenied):
        book(org, setup, at(TOMORROW, 9), user="rep_north")
    with pytest.raises(PermissionDenied):
        appointment_book(
            actor=org.user("receptionist"),
            location=setup.other_location,
            resource=setup.other_resource,
            appointment_type=setup.checkup,
            party=setup.other_patient,
            start_at=at(TOMORROW, 9),
        )


def test_move_checks_rules_and_bumps_sequence(org, setup):
    appt = book(org, setup, at(TOMORROW, 9))
    other = book(org, setup, at(TOMORROW, 10), party=setup.patient_en)
    with pytest.raises(ValidationError):
        appointment_move(actor=org.user("receptionist"), appointment=appt, start_at=at(TOMORROW, 10, 15))
    # Moving within its own busy range is fine (it does not conflict with itself).
    moved = appointment_move(actor=org.user("receptionist"), appointment=appt, start_at=at(TOMORROW, 9, 5))
    assert moved.sequence == 1 and moved.start_at == at(TOMORROW, 9, 5)
    moved = appointment_move(
        actor=org.user("receptionist"), appointment=appt, start_at=at(TOMORROW, 10), resource=setup.hygienist
    )
    assert moved.resource == setup.hygienist and moved.sequence == 2
    assert other.resource == setup.dentist
    assert AppointmentEvent.objects.filter(appointment=appt, kind="moved").count() == 2


def test_cancel_needs_reason(org, setup):
    appt = book(org, setup, at(TOMORROW, 9))
    with pytest.raises(ValidationError) as exc:
        appointment_cancel(actor=org.user("receptionist"), appointment=appt, reason="  ")
    assert "reason" in exc.value.error_dict
    appt.refresh_from_db()
    assert appt.status == "booked"
    appt = appointment_cancel(actor=org.user("receptionist"), appointment=appt, reason="Moved away")
    assert appt.status == "cancelled" and appt.cancel_reason == "Moved away" and appt.sequence == 1
    with pytest.raises(ValidationError):
        appointment_cancel(actor=org.user("receptionist"), appointment=appt, reason="again")


def test_status_flow_records_timestamps(org, setup, now):
    appt = book(org, setup, at(TODAY, 10))
    user = org.user("receptionist")
    with pytest.raises(ValidationError) as exc:
        appointment_set_status(actor=user, appointment=appt, status="done")
    assert "invalid_transition" in codes(exc.value)
    now.move_to(at(TODAY, 9, 50))
    appt = appointment_set_status(actor=user, appointment=appt, status="checked_in")
    assert appt.checked_in_at == at(TODAY, 9, 50)
    appt = appointment_set_status(actor=user, appointment=appt, status="called_in", at=at(TODAY, 10, 2))
    appt = appointment_set_status(actor=user, appointment=appt, status="in_treatment", at=at(TODAY, 10, 3))
    appt = appointment_set_status(actor=user, appointment=appt, status="done", at=at(TODAY, 10, 30))
    appt.refresh_from_db()
    assert (appt.status, appt.called_in_at, appt.started_at, appt.done_at) == (
        "done",
        at(TODAY, 10, 2),
        at(TODAY, 10, 3),
        at(TODAY, 10, 30),
    )
    assert list(appt.events.filter(kind="status").values_list("to_status", flat=True)) == [
        "checked_in",
        "called_in",
        "in_treatment",
        "done",
    ]
    with pytest.raises(ValidationError):
        appointment_set_status(actor=user, appointment=appt, status="cancelled")


def test_check_in_only_on_the_day(org, setup):
    appt = book(org, setup, at(TOMORROW, 10))
    with pytest.raises(ValidationError) as exc:
        appointment_set_status(actor=org.user("receptionist"), appointment=appt, status="checked_in")
    assert "other_day" in codes(exc.value)


def test_no_show_only_after_start(org, setup, now):
    appt = book(org, setup, at(TODAY, 10))
    with pytest.raises(ValidationError):
        appointment_mark_no_show(actor=org.user("receptionist"), appointment=appt)
    now.move_to(at(TODAY, 10, 20))
    appt = appointment_mark_no_show(actor=org.user("receptionist"), appointment=appt)
    assert appt.status == "no_show" and appt.no_show_at == at(TODAY, 10, 20)


def test_follow_up_from_finished_visit(org, setup, now):
    appt = book(org, setup, at(TODAY, 10))
    user = org.user("receptionist")
    with pytest.raises(ValidationError):
        appointment_follow_up(
            actor=user, appointment=appt, appointment_type=setup.cleaning, start_at=at(TOMORROW, 9)
        )
    now.move_to(at(TODAY, 10))
    appointment_set_status(actor=user, appointment=appt, status="checked_in")
    appointment_set_status(actor=user, appointment=appt, status="done")
    follow = appointment_follow_up(
        actor=user, appointment=appt, appointment_type=setup.cleaning, start_at=at(TOMORROW, 9)
    )
    assert (follow.follow_up_of, follow.party, follow.resource, follow.location) == (
        appt,
        setup.patient,
        setup.dentist,
        setup.location,
    )
