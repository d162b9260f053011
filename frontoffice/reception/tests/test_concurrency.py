"""Ticket numbers stay gapless under real concurrency (PostgreSQL).

Threads each hold their own database connection (Django connections are per thread), so these
are concurrent transactions on the test database; every third one is rolled back after taking
its number, which must come back.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction

from frontoffice.reception import services
from frontoffice.reception.models import Visit
from frontoffice.reception.tests.factories import TODAY, at

WORKERS = 8
PER_WORKER = 6


class Rollback(Exception):
    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ticket_numbers_are_gapless_under_concurrent_check_ins(org, setup):
    receptionist_id = org.user("receptionist").pk
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    kept = [0] * WORKERS

    def worker(n: int) -> None:
        from frontoffice.org.models import User

        try:
            actor = User.objects.get(pk=receptionist_id)
            barrier.wait(timeout=30)
            for i in range(PER_WORKER):
                try:
                    with transaction.atomic():
                        services.visit_walk_in(
                            actor=actor,
                            location=setup.location,
                            kind="patient",
                            party=setup.patient,
                            at=at(TODAY, 9, i),
                        )
                        if (n + i) % 3 == 0:
                            raise Rollback
                    kept[n] += 1
                except Rollback:
                    pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    numbers = sorted(
        Visit.objects.filter(location=setup.location, visit_date=TODAY).values_list(
            "ticket_number", flat=True
        )
    )
    assert len(numbers) == sum(kept) > 0
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_appointment_checked_in_at_the_same_moment_by_six_desks_gives_one_visit(org, setup, now):
    """The check-in reads the appointment once, locked: the first desk wins, the others are told
    it is already checked in, and no ticket number is spent on them."""
    from django.core.exceptions import ValidationError

    from frontoffice.reception.models import TicketCounter
    from frontoffice.reception.tests.factories import book

    appointment = book(org, setup, 9)
    now.move_to(at(TODAY, 8, 50))
    receptionist_id = org.user("receptionist").pk
    desks = 6
    barrier = threading.Barrier(desks)
    outcomes: list[str] = []

    def desk() -> None:
        from frontoffice.org.models import User

        try:
            actor = User.objects.get(pk=receptionist_id)
            barrier.wait(timeout=30)
            services.visit_check_in(actor=actor, appointment=appointment)
            outcomes.append("checked_in")
        except ValidationError as exc:
            outcomes.append(exc.code)
        except BaseException as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=desk) for _ in range(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["already_checked_in"] * (desks - 1) + ["checked_in"]
    visit = Visit.objects.get(appointment=appointment)
    assert visit.ticket_number == 1
    assert TicketCounter.objects.get(location=setup.location, day=TODAY).last_number == 1
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"
