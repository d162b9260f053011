#!/usr/bin/env python
"""Customer list and customer search with many parties: server time and query counts.

Usage (from the repository root):

    .venv/bin/python bench/parties.py            # 100,000 parties
    .venv/bin/python bench/parties.py --quick    # 10,000 parties
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/parties.py

The benchmark never touches real data. On PostgreSQL it creates (and afterwards drops) its own
database ``frontoffice_bench`` on the server DATABASE_URL names; on SQLite it uses a file in a
temporary directory. It migrates that database, builds one legal entity with four regions and
the parties (bulk inserted, with display name and search text derived exactly as the parties
services derive them), then requests the customer list and a customer search through the
Django test client as a finance manager (the whole legal entity) and as a sales rep.

Printed figures (medians of --repeat requests after warm-up; the finance manager's view):

    figure parties.list_ms <ms> ms
    figure parties.search_ms <ms> ms
    figure parties.list_queries <n> queries
    figure parties.list_queries_10_rows <n> queries
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import benchdb  # bench/benchdb.py: the scripts run from this folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "frontoffice_bench"
SEARCH_TERM = "sandqvist"  # one surname of 300: about 1 party in 300
BATCH = 5000
PAGE_SIZE = 25

FIRST_NAMES = [
    *("Anna", "Eva", "Maria", "Karin", "Sara", "Emma", "Elin", "Ida", "Linnea", "Johanna"),
    *("Sofia", "Maja", "Alice", "Elsa", "Astrid", "Ingrid", "Lars", "Anders", "Johan", "Karl"),
    *("Erik", "Per", "Nils", "Olof", "Mikael", "Oskar", "Lucas", "William", "Hugo", "Axel"),
]
SURNAME_STARTS = [
    *("Lind", "Berg", "Sjö", "Ek", "Holm", "Strand", "Dahl", "Nord", "Sund", "Ask"),
    *("Björk", "Gran", "Hag", "Lund", "Ros", "Sand", "Stål", "Wall", "Åker", "Öst"),
]
SURNAME_ENDS = [
    *("berg", "gren", "qvist", "ström", "lund", "man", "dahl", "holm"),
    *("blad", "ling", "stedt", "sten", "vall", "fors", "mark"),
]
SURNAMES = [start + end.lower() for start in SURNAME_STARTS for end in SURNAME_ENDS]
COMPANY_WORDS = ["Norrsken", "Fjäll", "Älv", "Skog", "Hav", "Sol", "Berg", "Dal", "Ljus", "Kust"]
COMPANY_KINDS = ["Bygg", "Konsult", "Fastigheter", "Tandteknik", "Hälsa", "Logistik", "Data"]
REGIONS = {
    "norr": ("Norr", ["Umeå", "Luleå", "Skellefteå"]),
    "mitt": ("Mitt", ["Uppsala", "Västerås", "Örebro"]),
    "vast": ("Väst", ["Göteborg", "Borås", "Trollhättan"]),
    "syd": ("Syd", ["Malmö", "Lund", "Helsingborg"]),
}


# ---------------------------------------------------------------------- database set-up


def prepare_database(args: argparse.Namespace) -> Callable[[], None]:
    """Point the settings at a database of the benchmark's own; return its clean-up."""
    return benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)


def setup_django() -> None:
    # Production-like: no DEBUG (no query log, no template debug), but plain HTTP and plain
    # static storage so the test client needs neither TLS nor collected static files.
    benchdb.production_like_environment()
    import django
    from django.conf import settings

    django.setup()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------------- data


def build_organisation() -> dict[str, Any]:
    from frontoffice.org.models import LegalEntity, Location, Organisation, Region, Role, Staff, User

    organisation = Organisation.objects.create(name="Bench Group")
    company = LegalEntity.objects.create(
        organisation=organisation,
        name="Bench Tandvård AB",
        organisation_number="559218-3411",
        vat_number="SE559218341101",
    )
    regions, locations = [], []
    for code, (name, cities) in REGIONS.items():
        region = Region.objects.create(legal_entity=company, name=name, code=code)
        regions.append(region)
        for city in cities[:2]:
            locations.append(
                Location.objects.create(
                    region=region, legal_entity=company, name=f"Kontor {city}", kind="sales_office", city=city
                )
            )
    roles = {r.code: r for r in Role.objects.all()}

    def person(username: str, role: str, region: Any = None) -> Any:
        user = User.objects.create_user(username=username, email=f"{username}@bench.local", password="x")
        Staff.objects.create(user=user, legal_entity=company, role=roles[role], home_region=region)
        return user

    cfo = person("cfo", "finance_manager")
    reps = [person(f"rep{i}", "sales_rep", region) for i, region in enumerate(regions * 2)]
    return {"company": company, "regions": regions, "locations": locations, "cfo": cfo, "reps": reps}


def luhn_check_digit(body: str) -> int:
    from frontoffice.org.validators import luhn_valid

    return next(d for d in range(10) if luhn_valid(f"{body}{d}"))


def party_rows(org: dict[str, Any], start: int, count: int) -> Iterator[Any]:
    """Deterministic parties ``start``..``start+count-1``, derived as the services derive them."""
    from frontoffice.core.contact import search_key
    from frontoffice.parties.models import Party

    company, regions, locations, reps = org["company"], org["regions"], org["locations"], org["reps"]
    reps_by_region: dict[int, list[Any]] = {}
    for rep in reps:
        reps_by_region.setdefault(rep.staff.home_region_id, []).append(rep)
    cities = {r.pk: REGIONS[r.code][1] for r in regions}
    for i in range(start, start + count):
        rng = random.Random(i)
        region = regions[i % len(regions)]
        location = rng.choice([loc for loc in locations if loc.region_id == region.pk] + [None])
        owner = rng.choice(reps_by_region[region.pk]) if rng.random() < 0.6 else None
        city = location.city if location else rng.choice(cities[region.pk])
        phone = f"+467{rng.choice('0236')}{i:07d}"
        if rng.random() < 0.2:
            name = f"{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS).lower()} {i} AB"
            body = f"55{i:07d}"
            number = f"{body[:6]}-{body[6:]}{luhn_check_digit(body)}"
            fields = {
                "kind": Party.Kind.ORGANISATION,
                "organisation_name": name,
                "organisation_number": number,
            }
            display = name
            email = f"info{i}@bench.example.com"
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            fields = {"kind": Party.Kind.PERSON, "first_name": first, "last_name": last}
            display = f"{first} {last}"
            email = f"kund{i}@bench.example.com"
            number = ""
        digits = phone[1:]
        national = "0" + digits[2:]
        yield Party(
            **fields,
            display_name=display,
            email=email,
            phone=phone,
            street=f"Storgatan {i % 90 + 1}",
            postal_code=f"{100 + i % 800} {10 + i % 90}",
            city=city,
            legal_entity_id=company.pk,
            region_id=region.pk,
            location_id=location.pk if location else None,
            owner_id=owner.pk if owner else None,
            source=rng.choice(["walk_in", "phone", "web", "referral", "import"]),
            consent_data_processing=True,
            search_text=search_key(" ".join(filter(None, [display, email, digits, national, number, city]))),
        )


def insert_parties(org: dict[str, Any], start: int, count: int) -> None:
    from frontoffice.parties.models import Party

    rows = party_rows(org, start, count)
    done = 0
    while done < count:
        batch = [next(rows) for _ in range(min(BATCH, count - done))]
        Party.objects.bulk_create(batch, batch_size=BATCH)
        done += len(batch)


def check_derivation(org: dict[str, Any]) -> None:
    """The bulk rows match what ``party_create`` would store (normalisation, search text)."""
    from frontoffice.parties.models import Party
    from frontoffice.parties.services import _clean_party  # the services' own derivation

    for party in Party.objects.order_by("?")[:20]:
        expected = (
            party.display_name,
            party.email,
            party.phone,
            party.organisation_number,
            party.search_text,
        )
        _clean_party(party)
        actual = (party.display_name, party.email, party.phone, party.organisation_number, party.search_text)
        if actual != expected:
            sys.exit(f"bench rows drifted from the services' derivation:\n  {expected}\n  {actual}")


# ---------------------------------------------------------------------- measuring


class Target:
    """The customer list view (or, before it exists, the selector it will call)."""

    def __init__(self, user: Any) -> None:
        from django.test import Client
        from django.urls import NoReverseMatch, reverse

        self.user = user
        self.client = Client()
        self.client.force_login(user)
        try:
            self.url = reverse("parties:party-list")
            self.mode = "view" if self.client.get(self.url).status_code == 200 else "selector"
        except NoReverseMatch:
            self.mode = "selector"

    def get(self, query: str = "") -> None:
        if self.mode == "view":
            response = self.client.get(self.url, {"q": query} if query else {})
            if response.status_code != 200:
                sys.exit(f"GET {self.url}?q={query} answered {response.status_code}")
            return
        from django.core.paginator import Paginator

        from frontoffice.core.scoping import forget_scope
        from frontoffice.parties.selectors import party_list

        forget_scope(self.user)
        page = Paginator(party_list(user=self.user, query=query), PAGE_SIZE).page(1)
        list(page.object_list)

    def median_ms(self, query: str, repeat: int) -> float:
        for _ in range(3):
            self.get(query)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            self.get(query)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def queries(self, query: str = "") -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.get(query)
        return len(captured.captured_queries)


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would have them on a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 parties instead of 100,000")
    parser.add_argument("--rows", type=int, help="number of parties (overrides --quick)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per measure (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    total = args.rows or (10_000 if args.quick else 100_000)

    cleanup = prepare_database(args)
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        org = build_organisation()
        cfo, rep = org["cfo"], org["reps"][0]

        insert_parties(org, 0, 10)
        analyze()
        small = {"cfo": Target(cfo).queries(), "rep": Target(rep).queries()}

        started = time.perf_counter()
        insert_parties(org, 10, total - 10)
        analyze()
        print(f"{connection.vendor}: {total:,} parties inserted in {time.perf_counter() - started:.1f} s")
        check_derivation(org)

        from frontoffice.core.scoping import visible_to
        from frontoffice.parties.models import Party
        from frontoffice.parties.selectors import party_search_filter

        for name, user in (("cfo", cfo), ("rep", rep)):
            visible = visible_to(Party.objects.active(), user)
            print(
                f"{name}: sees {visible.count():,} parties, "
                f"{party_search_filter(visible, SEARCH_TERM).count():,} match q={SEARCH_TERM!r}"
            )

        results: dict[str, dict[str, float]] = {}
        for name, user in (("cfo", cfo), ("rep", rep)):
            target = Target(user)
            results[name] = {
                "list_ms": target.median_ms("", args.repeat),
                "search_ms": target.median_ms(SEARCH_TERM, args.repeat),
                "list_queries": target.queries(),
                "search_queries": target.queries(SEARCH_TERM),
            }
        print(
            f"measured through the {target.mode} ({'GET /customers/' if target.mode == 'view' else 'party_list'})"
        )
        cfo_r, rep_r = results["cfo"], results["rep"]
        print(f"figure parties.list_ms {cfo_r['list_ms']:.1f} ms")
        print(f"figure parties.search_ms {cfo_r['search_ms']:.1f} ms")
        print(f"figure parties.list_queries {cfo_r['list_queries']} queries")
        print(f"figure parties.list_queries_10_rows {small['cfo']} queries")
        print(f"figure parties.rep_list_ms {rep_r['list_ms']:.1f} ms")
        print(f"figure parties.rep_search_ms {rep_r['search_ms']:.1f} ms")
        print(f"figure parties.rep_list_queries {rep_r['list_queries']} queries")
        print(f"figure parties.rep_list_queries_10_rows {small['rep']} queries")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
