#!/usr/bin/env python
"""The reception desk: a busy location's day calendar (and the check-in bench, when present).

Usage (from the repository root):

    .venv/bin/python bench/reception.py            # 15 timed renders
    .venv/bin/python bench/reception.py --quick    # 5 timed renders
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/reception.py

The benchmark never touches real data. On PostgreSQL it creates (and afterwards drops) its own
database ``frontoffice_bench_reception``; on SQLite it uses a file in a temporary directory.

Data: one clinic open 07:00-19:00 every day, 50 resources (practitioners and rooms) working
those hours, 2,000 patients and 2,000 appointments on one weekday (40 per resource, 15 minutes
every 18 minutes). The first appointment is booked through ``appointment_book`` (every rule
checked) and compared with the bulk-inserted rows, so the bench cannot drift from the app.

Measures ``reception.day_calendar_ms``: the whole day-calendar page (``GET
/appointments/calendar/``: the ``day_calendar`` selector and the template, 50 columns, 2,000
bookings and the free slots) rendered for a receptionist through the test client; the median
of the timed runs after one warm-up. Target: under 100 ms.

When ``bench/reception_checkin.py`` exists (the reception app's bench), its
``bench_checkin(quick)`` runs next on the same database and prints
``reception.checkin_p95_ms``.

Printed figures:

    figure reception.day_calendar_ms <ms> ms
    figure reception.checkin_p95_ms <ms> ms     (from reception_checkin.py)
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import importlib.util
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import benchdb  # bench/benchdb.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCH_DATABASE = "frontoffice_bench_reception"
RESOURCES = 50
APPOINTMENTS = 2_000
DURATION = 15
EVERY = 18


def setup_django() -> None:
    benchdb.production_like_environment()
    benchdb.production_task_queue()
    import django
    from django.conf import settings

    django.setup()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render without a collectstatic run (no manifest); the bench measures the app, not files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def bench_day() -> datetime.date:
    """The next Wednesday at least two days ahead (a weekday, in the future, not a holiday)."""
    from frontoffice.appointments.rules import public_holiday

    day = datetime.date.today() + datetime.timedelta(days=2)
    while day.weekday() != 2 or public_holiday(None, day):
        day += datetime.timedelta(days=1)
    return day


def build(day: datetime.date) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from frontoffice.appointments.codes import new_code
    from frontoffice.appointments.models import Appointment, AppointmentType, Resource, WorkingHours
    from frontoffice.appointments.services import appointment_book
    from frontoffice.org.models import LegalEntity, Location, Organisation, Region, Role, Staff, User
    from frontoffice.parties.models import Party

    zone = ZoneInfo("Europe/Stockholm")
    organisation = Organisation.objects.create(name="Bench Group")
    company = LegalEntity.objects.create(
        organisation=organisation, name="Bench Tandvård AB", organisation_number="559218-3411"
    )
    region = Region.objects.create(legal_entity=company, name="North", code="north")
    hours = {key: [["07:00", "19:00"]] for key in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    clinic = Location.objects.create(
        region=region, legal_entity=company, name="Bench Dental Clinic", kind="clinic", opening_hours=hours
    )
    roles = {r.code: r for r in Role.objects.all()}
    receptionist = User.objects.create_user(username="reception", email="reception@bench.local", password="x")
    Staff.objects.create(
        user=receptionist,
        legal_entity=company,
        role=roles["receptionist"],
        home_region=region,
        home_location=clinic,
    )
    resources = Resource.objects.bulk_create(
        Resource(
            location=clinic,
            name=f"{'Room' if n % 5 == 4 else 'Dr'} {n + 1:02d}",
            kind="room" if n % 5 == 4 else "practitioner",
            position=n,
        )
        for n in range(RESOURCES)
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(resource=r, weekday=d, start_time="07:00", end_time="19:00")
        for r in resources
        for d in range(7)
    )
    visit = AppointmentType.objects.create(legal_entity=company, name="Check-up", duration_minutes=DURATION)
    parties = Party.objects.bulk_create(
        Party(
            kind="person",
            first_name=f"Patient{n}",
            last_name="Bench",
            display_name=f"Patient{n} Bench",
            email=f"p{n}@bench.local",
            legal_entity=company,
            region=region,
            location=clinic,
        )
        for n in range(APPOINTMENTS)
    )
    per_resource = APPOINTMENTS // RESOURCES
    first_start = datetime.datetime.combine(day, datetime.time(7, 0), tzinfo=zone)
    sample = appointment_book(
        actor=receptionist,
        location=clinic,
        resource=resources[0],
        appointment_type=visit,
        party=parties[0],
        start_at=first_start,
        send_confirmation=False,
    )
    rows = []
    n = 0
    for r, resource in enumerate(resources):
        for i in range(per_resource):
            if r == 0 and i == 0:
                n += 1
                continue
            start = first_start + datetime.timedelta(minutes=EVERY * i)
            end = start + datetime.timedelta(minutes=DURATION)
            rows.append(
                Appointment(
                    location=clinic,
                    resource=resource,
                    appointment_type=visit,
                    party=parties[n],
                    start_at=start,
                    end_at=end,
                    busy_from=start,
                    busy_until=end,
                    status="booked",
                    booking_code=new_code(),
                    booked_by=receptionist,
                )
            )
            n += 1
    Appointment.objects.bulk_create(rows, batch_size=1000)
    bulk = rows[0]
    for field in ("location_id", "appointment_type_id", "status"):
        if getattr(sample, field) != getattr(bulk, field):
            sys.exit(f"bulk rows differ from a booked row in {field}")
    if (sample.end_at - sample.start_at, sample.busy_until - sample.end_at) != (
        bulk.end_at - bulk.start_at,
        bulk.busy_until - bulk.end_at,
    ):
        sys.exit("bulk rows differ from a booked row in duration or buffers")
    return {"location": clinic, "receptionist": receptionist, "day": day}


def bench_calendar(ctx: dict[str, Any], runs: int, profile: bool) -> float:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(ctx["receptionist"])
    url = "/appointments/calendar/"
    params = {"location": ctx["location"].pk, "date": ctx["day"].isoformat()}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)  # warm-up
    if response.status_code != 200:
        sys.exit(f"calendar answered {response.status_code}")
    html = response.content.decode()
    shown = html.count('data-testid="cal-appointment"')
    if shown != APPOINTMENTS:
        sys.exit(f"calendar shows {shown} appointments, expected {APPOINTMENTS}")
    print(
        f"  page: {len(html) / 1024:.0f} KiB, {len(queries.captured_queries)} queries, {shown:,} appointments"
    )
    timings, cpu = [], []
    profiler = cProfile.Profile() if profile else None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        client.get(url, params)
        if profiler:
            profiler.disable()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(25)
    print(f"  runs: {', '.join(f'{t:.0f}' for t in timings)} ms")
    # On a shared machine the wall time includes waiting for a core; the CPU time of this
    # process (Django side only, not the database server) shows what the page itself costs.
    print(f"  median CPU time of the Django process: {statistics.median(cpu):.1f} ms")
    return statistics.median(timings)


def run_checkin_bench(quick: bool) -> None:
    path = Path(__file__).resolve().parent / "reception_checkin.py"
    if not path.exists():
        print("  (bench/reception_checkin.py not present: no check-in figure)")
        return
    spec = importlib.util.spec_from_file_location("reception_checkin", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # import at call time
    module.bench_checkin(quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 timed renders instead of 15")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the renders")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    runs = 5 if args.quick else 15

    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        day = bench_day()
        print(f"{connection.vendor}: {RESOURCES} resources, {APPOINTMENTS:,} appointments on {day}")
        ctx = build(day)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        median = bench_calendar(ctx, runs, args.profile)
        print(f"figure reception.day_calendar_ms {median:.1f} ms")
        run_checkin_bench(args.quick)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
