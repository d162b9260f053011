#!/usr/bin/env python
"""Check-in at the desk under load: 50 receptionists checking patients in at the same time.

Usage (from the repository root):

    .venv/bin/python bench/reception_checkin.py            # 50 users x 10 check-ins
    .venv/bin/python bench/reception_checkin.py --quick    # 50 users x 4 check-ins
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/reception_checkin.py

``bench/reception.py`` calls ``bench_checkin(quick)`` on its own (already migrated) database;
run alone, this script creates (and afterwards drops) ``frontoffice_bench_reception_checkin``
on the server DATABASE_URL names (SQLite: a temporary file). Real data is never touched.

Data: 25 clinics with 2 receptionists and 2 practitioners each (50 users), one patient per
clinic, and today's appointments bulk-inserted (``per_user`` for every receptionist, spread over
the day). One appointment is checked in through the service first as a sanity check.

Measures ``reception.checkin_p95_ms``: 50 threads, each with its own database connection and
its own receptionist, start together (a barrier) and check in their appointments one after the
other through ``reception.services.visit_check_in`` (ticket counter row lock, the appointment's
status through ``appointment_set_status``, the visit, its event, the interaction and the audit
entries: one transaction each). Every call is timed; the figure is the 95th percentile. Two
receptionists share each clinic, so they queue on the clinic's ticket counter as they would at
a real desk. Afterwards the tickets are checked to be gapless per clinic. On SQLite (one writer
at a time) the threads run one by one and the figure is marked as such. Target: under 20 ms.

Printed figure:

    figure reception.checkin_p95_ms <ms> ms
"""

from __future__ import annotations

import argparse
import datetime
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchdb

BENCH_DATABASE = "frontoffice_bench_reception_checkin"
CLINICS = 25
USERS_PER_CLINIC = 2
USERS = CLINICS * USERS_PER_CLINIC


def _build(per_user: int) -> list[dict[str, Any]]:
    from django.utils import timezone

    from frontoffice.appointments.codes import new_code
    from frontoffice.appointments.models import Appointment, AppointmentType, Resource
    from frontoffice.org.models import LegalEntity, Location, Organisation, Region, Role, Staff, User
    from frontoffice.parties.models import Party

    stamp = timezone.now().strftime("%H%M%S%f")
    organisation = Organisation.objects.create(name=f"Check-in Bench {stamp}")
    company = LegalEntity.objects.create(
        organisation=organisation, name=f"Check-in Bench AB {stamp}", organisation_number="556016-0680"
    )
    region = Region.objects.create(legal_entity=company, name="Bench region", code=f"cb{stamp[-6:]}")
    role = Role.objects.get(code="receptionist")
    kind = AppointmentType.objects.create(legal_entity=company, name="Check-up", duration_minutes=10)
    from frontoffice.appointments.rules import location_zone

    workers: list[dict[str, Any]] = []
    rows: list[Appointment] = []
    for c in range(CLINICS):
        clinic = Location.objects.create(
            region=region, legal_entity=company, name=f"Bench clinic {c:02d}", kind="clinic"
        )
        zone = location_zone(clinic)
        today = timezone.now().astimezone(zone).date()
        patient = Party.objects.create(
            kind="person",
            first_name="Patient",
            last_name=f"C{c}",
            display_name=f"Patient C{c}",
            legal_entity=company,
            region=region,
            location=clinic,
        )
        practitioners = [
            Resource.objects.create(location=clinic, name=f"Dr {c}-{p}") for p in range(USERS_PER_CLINIC)
        ]
        for u in range(USERS_PER_CLINIC):
            user = User.objects.create_user(
                username=f"cb-{stamp}-{c}-{u}",
                email=f"cb-{stamp}-{c}-{u}@bench.local",
                password="x",
                first_name="Bench",
            )
            Staff.objects.create(
                user=user, legal_entity=company, role=role, home_region=region, home_location=clinic
            )
            mine = []
            for i in range(per_user):
                start = datetime.datetime.combine(
                    today, datetime.time(0, 0), tzinfo=zone
                ) + datetime.timedelta(minutes=10 * (u * per_user + i) + 1)
                appt = Appointment(
                    location=clinic,
                    resource=practitioners[u],
                    appointment_type=kind,
                    party=patient,
                    start_at=start,
                    end_at=start + datetime.timedelta(minutes=10),
                    busy_from=start,
                    busy_until=start + datetime.timedelta(minutes=10),
                    status="booked",
                    booking_code=new_code(),
                )
                rows.append(appt)
                mine.append(appt)
            workers.append({"user_id": user.pk, "appointments": mine, "location": clinic})
    Appointment.objects.bulk_create(rows, batch_size=1000)
    return workers


def bench_checkin(quick: bool) -> None:
    """Time ``visit_check_in`` for 50 concurrent receptionists; print the 95th percentile."""
    from django.db import connection
    from django.test.utils import override_settings

    per_user = 4 if quick else 10
    # Production queues tasks in the database (a worker sends the e-mails and refreshes the
    # measures); the in-process "immediate" backend of the test set-up would run them inside
    # the timed call.
    tasks = None
    if connection.vendor == "postgresql":
        tasks = override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
        tasks.enable()
    try:
        _run(per_user, connection.vendor == "postgresql")
    finally:
        if tasks is not None:
            tasks.disable()


def _serve(jobs: Any, results: Any) -> None:
    """One server worker (its own process and database connection): take check-in requests
    from the shared queue until the sentinel, timing each service call (the server time)."""
    from django.db import connections

    from frontoffice.appointments.models import Appointment
    from frontoffice.org.models import User
    from frontoffice.reception.services import visit_check_in

    users: dict[int, Any] = {}
    timings: list[float] = []
    try:
        while (job := jobs.get()) is not None:
            user_id, appointment_id = job
            if user_id not in users:  # a signed-in user: permissions cached per session
                users[user_id] = User.objects.get(pk=user_id)
                users[user_id].has_perm("reception.add_visit")
            started = time.perf_counter()
            visit_check_in(actor=users[user_id], appointment=Appointment(pk=appointment_id))
            timings.append((time.perf_counter() - started) * 1000)
        results.put(("ok", timings))
    except BaseException as exc:
        results.put(("error", repr(exc)))
    finally:
        connections.close_all()


def _run(per_user: int, concurrent: bool) -> None:
    import multiprocessing
    import os

    from django.db import connection, connections

    from frontoffice.org.models import User
    from frontoffice.reception.models import Visit
    from frontoffice.reception.services import visit_check_in

    workers = _build(per_user + 1)
    # Sanity check through the service (and warm the code paths), outside the timing.
    for w in workers:
        warm = w["appointments"].pop(0)
        visit_check_in(actor=User.objects.get(pk=w["user_id"]), appointment=warm)
    if concurrent:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # 50 users, each with a request always outstanding (round-robin over the users), served by
    # one worker process per core, like sync application-server workers.
    servers = max(1, os.cpu_count() or 1) if concurrent else 1
    context = multiprocessing.get_context("fork")
    jobs, results = context.Queue(), context.Queue()
    for i in range(per_user):
        for w in workers:
            jobs.put((w["user_id"], w["appointments"][i].pk))
    for _ in range(servers):
        jobs.put(None)
    connections.close_all()  # never share a connection with the children
    started = time.perf_counter()
    processes = [context.Process(target=_serve, args=(jobs, results)) for _ in range(servers)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    wall = time.perf_counter() - started
    errors = [detail for state, detail in outcomes if state == "error"]
    if errors:
        sys.exit(f"check-in failed: {errors[0]}")
    timings = sorted(t for _, detail in outcomes for t in detail)
    expected = USERS * per_user
    if len(timings) != expected:
        sys.exit(f"{len(timings)} check-ins timed, expected {expected}")
    for w in workers:
        numbers = sorted(Visit.objects.filter(location=w["location"]).values_list("ticket_number", flat=True))
        if numbers != list(range(1, len(numbers) + 1)):
            sys.exit(f"tickets at {w['location']} are not gapless: {numbers}")
    p95 = timings[max(0, math.ceil(0.95 * len(timings)) - 1)]  # nearest rank
    print(
        f"  check-in: {expected} check-ins for {USERS} concurrent users served by {servers} worker "
        f"process(es) in {wall:.1f} s ({expected / wall:.0f}/s); server time median "
        f"{statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
    )
    print(f"figure reception.checkin_p95_ms {p95:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 check-ins per user instead of 10")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        benchdb.production_like_environment()
        benchdb.production_task_queue()
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        call_command("migrate", verbosity=0)
        bench_checkin(args.quick)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
