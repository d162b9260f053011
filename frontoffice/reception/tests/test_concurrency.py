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
