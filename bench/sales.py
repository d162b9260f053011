#!/usr/bin/env python
"""The pipeline board over many open opportunities (and, when the leads app ships it, lead import).

Usage (from the repository root):

    .venv/bin/python bench/sales.py            # 10,000 open opportunities
    .venv/bin/python bench/sales.py --quick    # 2,000 open opportunities
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/sales.py

The benchmark never touches real data. On PostgreSQL it creates (and afterwards drops) its own
database ``frontoffice_bench_sales``; on SQLite it uses a file in a temporary directory. It
migrates that database and sets up one legal entity (with its default pipeline stages), four
regions, ten reps per region, a regional manager per region and a national manager, 2,000
customers, and the open opportunities spread over the five open stages, the reps and twelve
months of expected close (``bulk_create``; ``ANALYZE`` afterwards as autovacuum would).

Measures (medians of ``--repeat`` runs after three warm-ups, each a fresh request):

- ``sales.pipeline_ms``: GET ``/sales/board/?owner=<rep>&region=<region>`` as the national
  sales manager through the test client: the board selector (one aggregate query for the
  column counts and sums, one windowed query for the first cards per column) and the whole
  template. Target < 150 ms on PostgreSQL.
- ``sales.pipeline_region_ms`` (extra): the same with the region filter only (a region's
  quarter of the opportunities).

If ``bench/sales_import.py`` exists (the leads app's lead import), its
``bench_import(quick)`` runs afterwards (Django set up, on this benchmark's migrated
database) and prints ``sales.import_s`` and
``sales.import_peak_mb``.

Printed figures:

    figure sales.pipeline_ms <ms> ms
    figure sales.pipeline_region_ms <ms> ms
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import benchdb  # bench/benchdb.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "frontoffice_bench_sales"
REGIONS = ["norr", "mitt", "vast", "syd"]
REPS_PER_REGION = 10
CUSTOMERS = 2_000
START = datetime.date(2026, 1, 1)


def setup_django() -> None:
    # Production-like, but plain static storage so the test client needs no collected files.
    benchdb.production_like_environment()
    import django
    from django.conf import settings

    django.setup()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build(count: int) -> dict[str, Any]:
    from django.db import connection

    from frontoffice.org.models import LegalEntity, Organisation, Region, Role, Staff, User
    from frontoffice.parties.models import Party
    from frontoffice.sales.models import Opportunity, Stage

    organisation = Organisation.objects.create(name="Bench Group")
    company = LegalEntity.objects.create(
        organisation=organisation, name="Bench Sälj AB", organisation_number="559218-3411"
    )
    regions = [Region.objects.create(legal_entity=company, name=c.title(), code=c) for c in REGIONS]
    roles = {r.code: r for r in Role.objects.all()}

    def person(username: str, role: str, region: Any = None) -> Any:
        user = User.objects.create_user(
            username=username, email=f"{username}@bench.local", password="x", first_name=username.title()
        )
        staff = Staff.objects.create(user=user, legal_entity=company, role=roles[role], home_region=region)
        if role == "regional_sales_manager":
            staff.regions.add(region)
        return user

    nsm = person("nsm", "national_sales_manager")
    reps: list[tuple[Any, Any]] = []
    for region in regions:
        person(f"rsm_{region.code}", "regional_sales_manager", region)
        for i in range(REPS_PER_REGION):
            reps.append((person(f"rep_{region.code}_{i}", "sales_rep", region), region))
    parties = Party.objects.bulk_create(
        [
            Party(
                kind=Party.Kind.ORGANISATION,
                organisation_name=f"Kund {i:05d} AB",
                display_name=f"Kund {i:05d} AB",
                search_text=f"kund {i:05d} ab",
                legal_entity=company,
                region=regions[i % len(regions)],
            )
            for i in range(CUSTOMERS)
        ],
        batch_size=1000,
    )
    stages = list(Stage.objects.filter(legal_entity=company, kind=Stage.Kind.OPEN).order_by("order"))
    rows = []
    for n in range(count):
        rep, region = reps[n % len(reps)]
        rows.append(
            Opportunity(
                legal_entity=company,
                party=parties[(n * 7) % CUSTOMERS],
                owner=rep,
                region=region,
                name=f"Affär {n:06d}",
                stage=stages[(n // len(reps)) % len(stages)],
                amount=Decimal(1000 + (n * 37) % 90_000),
                currency="SEK",
                opened_on=START,
                expected_close_on=START + datetime.timedelta(days=(n * 13) % 365),
            )
        )
    Opportunity.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rep, region = reps[0]
    return {"nsm": nsm, "rep": rep, "region": region}


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def board_runner(user: Any, query: str) -> Callable[[], Any]:
    from django.test import Client

    client = Client()
    client.force_login(user)

    def run() -> Any:
        response = client.get(f"/sales/board/?{query}")
        if response.status_code != 200:
            sys.exit(f"board answered {response.status_code}")
        return response

    return run


def run_import_bench(quick: bool) -> None:
    path = Path(__file__).resolve().parent / "sales_import.py"
    if not path.exists():
        print("bench/sales_import.py not found: no import figures")
        return
    spec = importlib.util.spec_from_file_location("sales_import", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.bench_import(quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 open opportunities")
    parser.add_argument("--opportunities", type=int, help="open opportunities (default 10,000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per measure (default 15)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--no-import", action="store_true", help="skip bench/sales_import.py")
    args = parser.parse_args()
    count = args.opportunities or (2_000 if args.quick else 10_000)

    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        ctx = build(count)
        query = f"owner={ctx['rep'].pk}&region={ctx['region'].pk}"
        body = board_runner(ctx["nsm"], query)().content.decode()
        print(
            f"{connection.vendor}: board over {count:,} open opportunities; filtered page {len(body):,} bytes"
        )
        print(f"figure sales.pipeline_ms {median_ms(board_runner(ctx['nsm'], query), args.repeat):.1f} ms")
        region_q = f"region={ctx['region'].pk}"
        print(
            f"figure sales.pipeline_region_ms {median_ms(board_runner(ctx['nsm'], region_q), args.repeat):.1f} ms"
        )
        if not args.no_import:
            run_import_bench(args.quick)  # on this set-up, migrated database
    finally:
        cleanup()


if __name__ == "__main__":
    main()
