#!/usr/bin/env python
"""Lead import from CSV through the real import service: 100,000 leads in one file.

Usage (from the repository root):

    .venv/bin/python bench/sales_import.py            # 100,000 leads
    .venv/bin/python bench/sales_import.py --quick    # 10,000 leads
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/sales_import.py

Run alone it creates (and afterwards drops) its own database ``frontoffice_bench_sales_import``
(PostgreSQL on the server DATABASE_URL names, else SQLite in a temporary directory) and
migrates it. ``bench/sales.py`` also calls ``bench_import(quick)`` on its own migrated database.

Set-up (not timed): a legal entity of its own with four regions, five reps per region, a
national sales manager who imports, routing rules by postcode (one per region) and a web
source; a generated CSV (UTF-8, semicolon separated) with name, company, e-mail, phone (every
second row), postcode, industry and company size, written to a temporary file.

Timed (``sales.import_s``): ``lead_import_upload`` (UTF-8 check, row count, header) +
``lead_import_start`` (every row validated, streaming) + the import task it queues
(``lead_import_commit``; tasks run in-process here): every row cleaned again, routed (rules
and round-robin, loaded once), matched against the legal entity's customers, and written
with ``bulk_create`` in chunks (prospect customers, leads, two history events each) in one
transaction. Afterwards the lead count and the round-robin fairness are checked.

``sales.import_peak_mb``: the peak resident set size of this process
(``resource.getrusage``, ``ru_maxrss``) after the import. Targets: < 60 s and < 300 MB.

Printed figures:

    figure sales.import_s <seconds> s
    figure sales.import_peak_mb <MB> MB
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCH_DATABASE = "frontoffice_bench_sales_import"
REGIONS = [("imp-norr", "9"), ("imp-mitt", "8"), ("imp-vast", "4"), ("imp-syd", "2")]
REPS_PER_REGION = 5
INDUSTRIES = ["Dental", "Veterinary", "Clinic", "Retail", "Education"]
SIZES = ["1-9", "10-49", "50-249", "250+"]


def _setup() -> dict[str, Any]:
    from frontoffice.leads.models import LeadSource, RoutingRule
    from frontoffice.org.models import LegalEntity, Organisation, Region, Role, Staff, User

    organisation = Organisation.objects.create(name="Bench Import Group")
    company = LegalEntity.objects.create(
        organisation=organisation, name="Bench Import AB", organisation_number="556703-7485"
    )
    roles = {r.code: r for r in Role.objects.all()}
    manager = User.objects.create_user(username="import-nsm", email="import-nsm@bench.local", password=None)
    Staff.objects.create(user=manager, legal_entity=company, role=roles["national_sales_manager"])
    for priority, (code, prefix) in enumerate(REGIONS):
        region = Region.objects.create(legal_entity=company, name=code.title(), code=code)
        RoutingRule.objects.create(
            legal_entity=company, priority=priority, postcode_prefix=prefix, region=region, name=code
        )
        for n in range(REPS_PER_REGION):
            user = User.objects.create_user(
                username=f"{code}-rep{n}", email=f"{code}-rep{n}@bench.local", password=None
            )
            Staff.objects.create(user=user, legal_entity=company, role=roles["sales_rep"], home_region=region)
    source = LeadSource.objects.create(legal_entity=company, name="Bench fair", first_contact_target=4)
    return {"company": company, "manager": manager, "source": source}


def _write_csv(path: str, count: int) -> None:
    prefixes = [prefix for _code, prefix in REGIONS]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["Namn", "Företag", "E-post", "Telefon", "Postnummer", "Bransch", "Storlek", "Meddelande"]
        )
        for n in range(count):
            writer.writerow(
                [
                    f"Kontakt {n} Efternamn",
                    f"Företag {n} AB",
                    f"kontakt{n}@foretag{n}.example",
                    f"070-{n % 1000:03d} {n % 100:02d} {(n // 100) % 100:02d}" if n % 2 == 0 else "",
                    f"{prefixes[n % len(prefixes)]}{n % 10000:04d}",
                    INDUSTRIES[n % len(INDUSTRIES)],
                    SIZES[n % len(SIZES)],
                    "Vill veta mer om era tjänster." if n % 3 == 0 else "",
                ]
            )


MAPPING = {
    "contact_name": "Namn",
    "company": "Företag",
    "email": "E-post",
    "phone": "Telefon",
    "postal_code": "Postnummer",
    "industry": "Bransch",
    "company_size": "Storlek",
    "message": "Meddelande",
}


def bench_import(quick: bool) -> None:
    """Import 100,000 (``quick``: 10,000) generated leads; print the figures. Django must be
    set up on a migrated database."""
    from django.core.files import File
    from django.test import override_settings

    from frontoffice.leads.models import Lead, LeadImport
    from frontoffice.leads.services.imports import lead_import_start, lead_import_upload

    count = 10_000 if quick else 100_000
    ctx = _setup()
    media = tempfile.mkdtemp(prefix="bench-import-media-")
    # The uploaded file is stored under a temporary MEDIA_ROOT (the storage follows the setting).
    media_override = override_settings(MEDIA_ROOT=media)
    media_override.enable()
    fd, path = tempfile.mkstemp(suffix=".csv", prefix="bench-leads-")
    os.close(fd)
    try:
        _write_csv(path, count)
        size_mb = os.path.getsize(path) / 1048576
        start = time.perf_counter()
        with open(path, "rb") as handle:
            upload = lead_import_upload(
                actor=ctx["manager"], file=File(handle, name="bench-leads.csv"), source=ctx["source"]
            )
        uploaded = time.perf_counter()
        lead_import_start(actor=ctx["manager"], lead_import=upload, mapping=MAPPING)
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        done = LeadImport.objects.get(pk=upload.pk)
        assert done.status == LeadImport.Status.DONE, (done.status, done.message, done.errors[:5])
        assert done.created_count == count, done.created_count
        leads = Lead.objects.filter(lead_import=done)
        assert leads.count() == count
        per_owner = Counter(leads.values_list("owner_id", flat=True))
        assert None not in per_owner and len(per_owner) == len(REGIONS) * REPS_PER_REGION
        assert max(per_owner.values()) - min(per_owner.values()) <= 1, per_owner
        print(f"imported {count} leads from a {size_mb:.1f} MB CSV ({count / elapsed:.0f} leads/s)")
        validated = (done.finished_at - done.started_at).total_seconds()
        print(f"upload and row count {uploaded - start:.1f} s, validation and writing {validated:.1f} s")
        print(f"figure sales.import_s {elapsed:.1f} s")
        print(f"figure sales.import_peak_mb {peak_mb:.0f} MB")
    finally:
        media_override.disable()
        os.unlink(path)
        import shutil

        shutil.rmtree(media, ignore_errors=True)


def main() -> None:
    import benchdb  # bench/benchdb.py

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 leads")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        benchdb.production_like_environment()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        bench_import(args.quick)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
