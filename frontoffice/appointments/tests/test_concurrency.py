"""Double booking is impossible under concurrency (PostgreSQL: the exclusion constraint).

Threads each hold their own database connection (Django connections are per thread), so
these are real concurrent transactions against the test database.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from frontoffice.appointments.models import Appointment
from frontoffice.appointments.services import appointment_book
from frontoffice.appointments.tests.factories import TODAY, at, make_patient

TOMORROW = TODAY + datetime.timedelta(days=1)
WORKERS = 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_exactly_one_wins(org, setup):
    patients = [make_patient(org, setup.location, f"Patient P{n}") for n in range(WORKERS)]
    barrier = threading.Barrier(WORKERS)
    results: list[object] = [None] * WORKERS

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[n] = appointment_book(
                actor=org.user("receptionist"),
                location=setup.location,
                resource=setup.dentist,
                appointment_type=setup.checkup,
                party=patients[n],
                start_at=at(TOMORROW, 9, 5 * (n % 3)),  # 09:00, 09:05, 09:10: all overlap
                send_confirmation=False,
            )
        except Exception as exc:
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    won = [r for r in results if isinstance(r, Appointment)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1, results
    assert len(lost) == WORKERS - 1, results
    for exc in lost:
        assert exc.error_dict["start_at"][0].code == "overlap"
    assert Appointment.objects.filter(resource=setup.dentist, status="booked").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_race_past_the_check_is_stopped_by_the_constraint_with_a_clear_message(org, setup):
    """A competing booking is inserted but not yet committed when our check runs (so the check
    sees nothing); our insert waits on the constraint, the competitor commits, and we get the
    same clear message naming the conflicting time."""
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def competitor() -> None:
        try:
            with transaction.atomic():
                start = at(TOMORROW, 9)
                Appointment.objects.create(
                    location=setup.location,
                    resource=setup.dentist,
                    appointment_type=setup.checkup,
                    party=setup.patient_en,
                    start_at=start,
                    end_at=start + datetime.timedelta(minutes=30),
                    busy_from=start,
                    busy_until=start + datetime.timedelta(minutes=40),
                    booking_code="ZZZZ2222",
                )
                inserted.set()
                # Commit only once the other transaction is waiting on our uncommitted row.
                with connection.cursor() as cursor:
                    for _ in range(3000):
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock'"
                        )
                        if cursor.fetchone()[0]:
                            break
                        release.wait(0.01)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=competitor)
    thread.start()
    assert inserted.wait(30)
    with pytest.raises(ValidationError) as exc:
        appointment_book(
            actor=org.user("receptionist"),
            location=setup.location,
            resource=setup.dentist,
            appointment_type=setup.cleaning,
            party=setup.patient,
            start_at=at(TOMORROW, 9, 20),
            send_confirmation=False,
        )
    thread.join(30)
    assert not errors
    error = exc.value.error_dict["start_at"][0]
    assert error.code == "overlap"
    assert "09:00" in error.message % error.params and "09:40" in error.message % error.params
    assert Appointment.objects.count() == 1


@pytest.mark.postgres
def test_the_constraint_itself_refuses_overlapping_rows(org, setup):
    start = at(TOMORROW, 9)
    fields = {
        "location": setup.location,
        "resource": setup.dentist,
        "appointment_type": setup.checkup,
        "party": setup.patient,
        "start_at": start,
        "end_at": start + datetime.timedelta(minutes=30),
        "busy_from": start,
        "busy_until": start + datetime.timedelta(minutes=40),
    }
    Appointment.objects.create(booking_code="AAAA2222", **fields)
    Appointment.objects.create(booking_code="AAAA3333", **{**fields, "status": "cancelled"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(booking_code="AAAA4444", **fields)
