#!/usr/bin/env python
"""The national manager's training overview over 2,000 staff and 50 courses.

Usage (from the repository root):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/training.py
    .venv/bin/python bench/training.py --quick     # 500 staff, 20 courses (SQLite or PostgreSQL)

The benchmark never touches real data: on PostgreSQL it creates (and afterwards drops) its own
database ``frontoffice_bench_training``; on SQLite it uses a file in a temporary directory.

Data (bulk-inserted): one legal entity with four regions and eight locations; 2,000 active staff
(receptionists, sales reps and accounts clerks) spread over them; 50 published courses (one
module, one question each); five assignments per person (10,000 rows): about 40 % completed,
15 % overdue, the rest open with due dates in the coming weeks. ``ANALYZE`` runs after loading.

Measures ``GET /training/team/`` for the national sales manager (organisation scope: all 2,000
people), first page, the same request a browser makes: middleware, permission, scoping, the
selectors (the page of people by name, then one SQL aggregate of the counts for that page, and
one aggregate of the totals), pagination and the template. Three warm-ups, then the median of
``--repeat`` (default 20) requests. (The page's query count is fixed by a test.)

Printed figures:

    figure training.overview_ms <median> ms
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import benchdb  # bench/benchdb.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "frontoffice_bench_training"
ROLES = ["receptionist", "sales_rep", "accounts_clerk"]
PER_PERSON = 5


def setup_django() -> None:
    benchdb.production_like_environment()
    import django
    from django.conf import settings

    django.setup()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic for a benchmark: plain static storage, as the other page benchmarks do.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def build(staff_count: int, course_count: int) -> dict[str, Any]:
    from django.utils import timezone

    from frontoffice.org.models import LegalEntity, Location, Organisation, Region, Role, Staff, User
    from frontoffice.training.models import Assignment, Course, CourseVersion, Module, Question

    organisation = Organisation.objects.create(name="Bench Group")
    company = LegalEntity.objects.create(
        organisation=organisation, name="Bench AB", organisation_number="556036-0793"
    )
    regions = [
        Region.objects.create(legal_entity=company, name=f"Region {i}", code=f"r{i}") for i in range(4)
    ]
    locations = [
        Location.objects.create(region=regions[i % 4], legal_entity=company, name=f"Office {i}")
        for i in range(8)
    ]
    roles = {r.code: r for r in Role.objects.all()}
    nsm_user = User.objects.create_user(username="nsm", email="nsm@example.com", password="x")
    Staff.objects.create(user=nsm_user, legal_entity=company, role=roles["national_sales_manager"])

    users = User.objects.bulk_create(
        User(
            username=f"u{i:05d}",
            email=f"u{i:05d}@example.com",
            first_name=f"First{i % 97:02d}",
            last_name=f"Last{i:05d}",
            password="!",
        )
        for i in range(staff_count)
    )
    staff = Staff.objects.bulk_create(
        Staff(
            user=u,
            legal_entity=company,
            role=roles[ROLES[i % len(ROLES)]],
            home_region=locations[i % 8].region,
            home_location=locations[i % 8],
        )
        for i, u in enumerate(users)
    )
    now = timezone.now()
    courses = Course.objects.bulk_create(
        Course(slug=f"course-{i:02d}", measures=["csat"]) for i in range(course_count)
    )
    versions = CourseVersion.objects.bulk_create(
        CourseVersion(
            course=c,
            number=1,
            status="published",
            title_en=f"Course {i}",
            title_sv=f"Kurs {i}",
            published_at=now,
        )
        for i, c in enumerate(courses)
    )
    for c, v in zip(courses, versions, strict=True):
        c.current_version = v
    Course.objects.bulk_update(courses, ["current_version"])
    Module.objects.bulk_create(Module(version=v, position=1, title_en="M", body_en="Text") for v in versions)
    Question.objects.bulk_create(Question(version=v, position=1, text_en="Q") for v in versions)

    today = timezone.localdate()
    rows = []
    for i, person in enumerate(staff):
        for k in range(PER_PERSON):
            c = (i + k * 7) % course_count
            bucket = (i * PER_PERSON + k) % 20
            completed = now - datetime.timedelta(days=bucket) if bucket < 8 else None
            due = today + datetime.timedelta(days=(-10 if 8 <= bucket < 11 else 5 + bucket))
            rows.append(
                Assignment(
                    course=courses[c],
                    version=versions[c],
                    person=person,
                    due_on=due,
                    completed_at=completed,
                    score_percent=90 if completed else None,
                )
            )
    Assignment.objects.bulk_create(rows, batch_size=5000)
    return {"nsm": nsm_user, "assignments": len(rows)}


def median_ms(run: Any, repeat: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 staff and 20 courses")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    staff_count, course_count = (500, 20) if args.quick else (2_000, 50)

    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        call_command("migrate", verbosity=0)
        ctx = build(staff_count, course_count)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"{connection.vendor}: {staff_count:,} staff, {course_count} courses, {ctx['assignments']:,} assignments"
        )
        client = Client()
        client.force_login(ctx["nsm"])

        def run() -> None:
            response = client.get("/training/team/")
            assert response.status_code == 200, response.status_code
            assert f"{staff_count:,}".replace(",", "") in response.content.decode().replace(",", "").replace(
                "\xa0", ""
            )

        print(f"figure training.overview_ms {median_ms(run, args.repeat):.1f} ms")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
