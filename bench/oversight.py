#!/usr/bin/env python
"""Oversight: the national dashboard, a person's scorecard and the full rebuild of daily facts.

Usage (from the repository root; PostgreSQL only, as the issue's numbers are):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/frontoffice .venv/bin/python bench/oversight.py
    DATABASE_URL=... .venv/bin/python bench/oversight.py --quick     # 1/20 of the rows, 200,000 lines

The benchmark creates (and afterwards drops, unless ``--keep``) its own database
``<database of DATABASE_URL>_bench_oversight`` (``frontoffice_bench_oversight`` for the usual
URL), migrates it and sets up one legal entity (BAS ledger and billing), four regions each with
a sales office and a clinic, a regional manager, ten reps, an office manager and four
receptionists per region, a national sales manager, a finance manager and six clerks, and
fiscal years (calendar years) covering the history. Then two years of history (ending today)
are loaded with COPY:

- 1,000,000 "interactions", the source rows of the measures: 365,000 activities, 250,000
  visits, 150,000 appointments, 60,000 leads, 60,000 invoices, 20,000 invoice questions (each
  with its interaction), 20,000 opportunities, 30,000 posted vouchers, 10,000 meetings,
  5,000 complaints, 5,000 observations and 5,000 training assignments;
- 100,000 ratings: 70,000 visit feedback answers, 10,000 meeting feedback answers and the
  20,000 invoice questions' ratings.

Each row is the Django model's own defaults (one instance prepared like ``bulk_create``
prepares it) with the varying columns filled in, so the rows are what the app would write.

Then the ledger: 10,000,000 voucher lines (``--quick`` 200,000, ``--scale`` 10,000,000 times
the scale, ``--ledger-lines N`` any number; 4 lines a voucher) GENERATED IN SQL by
``bench/ledger.py``'s ``generate_history`` into series G of the bench's legal entity: posted,
numbered without gaps in each fiscal year, balanced, dated over the same 730 days, posted and
created by the six clerks in turn with the loaded vouchers' rejection pattern (80 % accepted
the first time), so posting compliance (``finance.JournalEntry`` by ``posted_by`` and
``date``), the rebuild and the finance dashboard read them. Their hashes are not computed
(``frontoffice ledger verify`` reports series G as broken). Account balances are rebuilt from
the lines, and ``ANALYZE`` runs over the whole database at the end.

Figures (medians of ``--repeat`` requests after three warm-ups, through the test client: the
middleware, permissions, scoping, selector and template are all included):

- ``oversight.rebuild_s``: ``insights.facts.rebuild()`` from scratch over all history
  (target < 300 s);
- ``oversight.national_dashboard_ms``: ``/insights/people/?desk=sales`` as the national sales
  manager, the regions side by side for the current month (target < 200 ms);
- ``oversight.scorecard_ms``: ``/insights/people/<rep>/`` as the rep's regional manager: the
  month, the team average, six months of trend and the live median (target < 100 ms);
- extra: ``oversight.finance_dashboard_ms`` (the finance manager's clerks) and
  ``oversight.clerk_scorecard_ms`` (a clerk: live median of resolution times);
  ``oversight.voucher_lines`` (lines generated), ``oversight.facts`` (rows written by the
  rebuild), ``oversight.load_s`` (everything loaded and generated, ANALYZE included).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import benchdb  # bench/benchdb.py: the scripts run from this folder
import ledger  # bench/ledger.py: its SQL generator of voucher lines

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "frontoffice_bench_oversight"  # named after DATABASE_URL's database in main()
REGIONS = ["norr", "mitt", "vast", "syd"]
REPS = 10
RECEPTIONISTS = 4
CLERKS = 6
RESOURCES = 8  # practitioners per clinic
DAYS = 730

# Source rows at full size (1,000,000 "interactions") and ratings (100,000).
FULL = {
    "activities": 365_000,
    "visits": 250_000,
    "appointments": 150_000,
    "leads": 60_000,
    "invoices": 60_000,
    "questions": 20_000,
    "interactions": 20_000,  # one per invoice question
    "opportunities": 20_000,
    "vouchers": 30_000,
    "meetings": 10_000,
    "complaints": 5_000,
    "observations": 5_000,
    "assignments": 5_000,
    "visit_feedback": 70_000,
    "meeting_feedback": 10_000,
}
RATINGS = ("visit_feedback", "meeting_feedback", "questions")
# The ledger's voucher lines (issue 7: "the ledger issue's 10 million voucher lines"), generated
# in SQL by bench/ledger.py into series G, 4 lines a voucher, posted by the clerks.
LEDGER_LINES = 10_000_000
QUICK_LEDGER_LINES = 200_000  # as bench/ledger.py --quick
LEDGER_SERIES = "G"
REJECTIONS = (0, 0, 0, 0, 1, 0, 0, 0, 0, 2)  # per voucher, as the loaded vouchers: 80 % first time


def setup_django() -> None:
    benchdb.production_like_environment()
    import django
    from django.conf import settings

    django.setup()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The bench loads with COPY and measures the rebuild; no per-commit refresh while setting up.
    settings.INSIGHTS_LIVE_FACTS = False


# ---------------------------------------------------------------------------------------------
# Loading


def copy_rows(model: Any, given: dict[str, Any], columns: list[str], rows: Iterable[tuple]) -> int:
    """COPY ``rows`` (values of ``columns``, by attname) into ``model``'s table; every other
    column takes the value Django would write for an instance made from ``given``."""
    from django.db import connection

    obj = model(**given)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    template = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    attnames = [f.attname for f in fields]
    positions = [attnames.index(c) for c in columns]
    q = connection.ops.quote_name
    sql = f"COPY {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        row = list(template)
        for values in rows:
            for i, v in zip(positions, values, strict=True):
                row[i] = v
            copy.write_row(row)
            count += 1
    return count


def ids(model: Any, **filters: Any) -> list[int]:
    return list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))


class History:
    """Deterministic spread of rows over the two years that end today (local time)."""

    def __init__(self, today: datetime.date) -> None:
        from django.utils import timezone

        self.first = today - datetime.timedelta(days=DAYS - 1)
        self.tz = timezone.get_current_timezone()
        self.today = today

    def day(self, n: int, count: int) -> datetime.date:
        return self.first + datetime.timedelta(days=(n * DAYS) // count)

    def at(self, day: datetime.date, minutes: int) -> datetime.datetime:
        """``minutes`` after 08:00 local time on ``day``."""
        return datetime.datetime.combine(day, datetime.time(8), tzinfo=self.tz) + datetime.timedelta(
            minutes=minutes
        )


def build(scale: float, ledger_lines: int) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from frontoffice.activities.models import Activity, Meeting, MeetingFeedback
    from frontoffice.appointments.models import Appointment, AppointmentType, Resource
    from frontoffice.billing.models import (
        BillingProfile,
        Invoice,
        InvoiceLine,
        InvoiceQuestion,
        InvoiceSeries,
        VatCode,
    )
    from frontoffice.billing.services.setup import billing_setup
    from frontoffice.finance.models import JournalEntry, LedgerAccount, VoucherSeries
    from frontoffice.finance.services.chart import ledger_setup
    from frontoffice.finance.services.periods import fiscal_year_create, voucher_series_create
    from frontoffice.leads.models import Lead
    from frontoffice.org.models import LegalEntity, Location, Organisation, Region, Role, Staff, Team, User
    from frontoffice.parties.models import Interaction, Party
    from frontoffice.reception.models import Visit, VisitFeedback
    from frontoffice.sales.models import Opportunity, Stage
    from frontoffice.sales.stages import ensure_default_stages
    from frontoffice.surveys.models import Complaint
    from frontoffice.training.models import Assignment, Course, CourseVersion, Observation, Rubric

    n = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    n["interactions"] = n["questions"]
    today = timezone.localdate()
    h = History(today)
    organisation = Organisation.objects.create(name="Bench Group")
    company = LegalEntity.objects.create(
        organisation=organisation, name="Bench Tandvård AB", organisation_number="559218-3411"
    )
    roles = {r.code: r for r in Role.objects.all()}
    password = make_password("x")

    def person(username: str, role: str, region: Any = None, location: Any = None, team: Any = None) -> Any:
        user = User.objects.create(
            username=username,
            email=f"{username}@bench.local",
            password=password,
            first_name=username.split("_")[0].title(),
            last_name=username,
        )
        staff = Staff.objects.create(
            user=user,
            legal_entity=company,
            role=roles[role],
            home_region=region,
            home_location=location,
            team=team,
        )
        if role == "regional_sales_manager":
            staff.regions.add(region)
        if role == "office_manager":
            staff.locations.add(location)
        return user

    people: dict[str, Any] = {"reps": [], "receptionists": [], "clerks": [], "managers": {}}
    clinics, regions = [], []
    for code in REGIONS:
        region = Region.objects.create(legal_entity=company, name=code.title(), code=code)
        regions.append(region)
        office = Location.objects.create(
            region=region, legal_entity=company, name=f"{code.title()} säljkontor", kind="sales_office"
        )
        clinic = Location.objects.create(
            region=region, legal_entity=company, name=f"{code.title()} klinik", kind="clinic"
        )
        clinics.append(clinic)
        team = Team.objects.create(location=office, name=f"Team {code}")
        people["managers"][code] = person(f"rsm_{code}", "regional_sales_manager", region, office, team)
        for i in range(REPS):
            people["reps"].append((person(f"rep_{code}_{i}", "sales_rep", region, office, team), region))
        person(f"om_{code}", "office_manager", region, clinic)
        for i in range(RECEPTIONISTS):
            people["receptionists"].append(
                (person(f"rec_{code}_{i}", "receptionist", region, clinic), clinic)
            )
    nsm = person("nsm", "national_sales_manager")
    fm = person("fm", "finance_manager")
    for i in range(CLERKS):
        people["clerks"].append(person(f"clerk_{i}", "accounts_clerk"))
    ledger_setup(actor=None, legal_entity=company, first_year_start=datetime.date(h.first.year, 1, 1))
    for year in range(h.first.year + 1, today.year + 1):  # every day of the history in a fiscal year
        fiscal_year_create(
            actor=None,
            legal_entity=company,
            start_on=datetime.date(year, 1, 1),
            end_on=datetime.date(year, 12, 31),
        )
    billing_setup(actor=None, legal_entity=company)
    ensure_default_stages(company.pk)

    parties_n = 5_000 if scale >= 1 else 500
    Party.objects.bulk_create(
        [
            Party(
                kind=Party.Kind.ORGANISATION,
                organisation_name=f"Kund {i:05d} AB",
                display_name=f"Kund {i:05d} AB",
                search_text=f"kund {i:05d} ab",
                legal_entity=company,
                region=regions[i % len(regions)],
            )
            for i in range(parties_n)
        ],
        batch_size=2000,
    )
    party_ids = ids(Party, legal_entity=company)
    reps = [(u.pk, r.pk) for u, r in people["reps"]]
    recs = [(u.pk, c.pk) for u, c in people["receptionists"]]
    clerks = [u.pk for u in people["clerks"]]
    staff_of = dict(Staff.objects.values_list("user_id", "pk"))
    le = {"legal_entity_id": company.pk}
    started = time.perf_counter()

    # Sales: activities, leads, opportunities, meetings and their feedback.
    def activities() -> Iterable[tuple]:
        count = n["activities"]
        for i in range(count):
            owner, region = reps[i % len(reps)]
            done = None if i % 20 == 0 else h.at(h.day(i, count), (i * 7) % 540)
            yield owner, region, party_ids[i % len(party_ids)], done, done or h.at(h.day(i, count), 0)

    copy_rows(
        Activity,
        {**le, "kind": "call", "subject": "Samtal", "party_id": party_ids[0]},
        ["owner_id", "region_id", "party_id", "done_at", "due_at"],
        activities(),
    )

    def leads() -> Iterable[tuple]:
        count = n["leads"]
        stages = ["new", "contacted", "qualified", "qualified", "disqualified"]
        for i in range(count):
            owner, region = reps[i % len(reps)]
            created = h.at(h.day(i, count), (i * 13) % 540)
            contacted = None if i % 5 == 0 else created + datetime.timedelta(minutes=5 + (i * 37) % 600)
            yield owner, region, party_ids[i % len(party_ids)], stages[i % 5], created, contacted

    copy_rows(
        Lead,
        {
            **le,
            "contact_name": "Kontakt",
            "party_id": party_ids[0],
            "region_id": regions[0].pk,
            "disqualify_reason": "Ingen budget",
        },
        ["owner_id", "region_id", "party_id", "stage", "created_at", "first_contact_at"],
        leads(),
    )
    stage = {s.kind: s.pk for s in Stage.objects.filter(legal_entity=company).order_by("-order")}

    def opportunities() -> Iterable[tuple]:
        count = n["opportunities"]
        for i in range(count):
            owner, region = reps[i % len(reps)]
            closed = h.day(i, count)
            kind = ("won", "lost", "won", "open")[i % 4]
            opened = closed - datetime.timedelta(days=10 + i % 60)
            yield (
                owner,
                region,
                party_ids[i % len(party_ids)],
                stage[kind],
                Decimal(1000 + (i * 37) % 90_000),
                opened,
                closed,
                None if kind == "open" else closed,
            )

    copy_rows(
        Opportunity,
        {**le, "name": "Affär", "currency": "SEK", "party_id": party_ids[0]},
        [
            "owner_id",
            "region_id",
            "party_id",
            "stage_id",
            "amount",
            "opened_on",
            "expected_close_on",
            "closed_on",
        ],
        opportunities(),
    )

    def meetings() -> Iterable[tuple]:
        count = n["meetings"]
        for i in range(count):
            owner, region = reps[i % len(reps)]
            start = h.at(h.day(i, count), 60 + (i % 6) * 60)
            yield (
                owner,
                region,
                party_ids[i % len(party_ids)],
                start,
                start + datetime.timedelta(hours=1),
                start,
                f"bench-{i}@frontoffice",
            )

    copy_rows(
        Meeting,
        {**le, "title": "Möte", "status": "held", "party_id": party_ids[0], "organiser_id": reps[0][0]},
        ["organiser_id", "region_id", "party_id", "starts_at", "ends_at", "held_at", "uid"],
        meetings(),
    )
    meeting_rows = list(Meeting.objects.order_by("pk").values_list("pk", "held_at"))

    def meeting_feedback() -> Iterable[tuple]:
        for i in range(n["meeting_feedback"]):
            pk, held = meeting_rows[i % len(meeting_rows)]
            answered = held + datetime.timedelta(hours=20)
            yield pk, f"m{i:063d}", answered + datetime.timedelta(days=14), answered, 1 + (i * 7) % 5

    copy_rows(
        MeetingFeedback,
        {"recipient": "kund@bench.local", "meeting_id": meeting_rows[0][0]},
        ["meeting_id", "token_hash", "expires_at", "answered_at", "rating"],
        meeting_feedback(),
    )

    # Reception: visits (tickets numbered per clinic and day), their feedback, appointments.
    def visits() -> Iterable[tuple]:
        count = n["visits"]
        tickets: dict[tuple[int, datetime.date], int] = {}
        for i in range(count):
            receptionist, clinic = recs[i % len(recs)]
            day = h.day(i, count)
            ticket = tickets[(clinic, day)] = tickets.get((clinic, day), 0) + 1
            arrived = h.at(day, (i * 3) % 540)
            called = None if i % 50 == 0 else arrived + datetime.timedelta(minutes=(i * 11) % 25)
            yield clinic, receptionist, day, ticket, arrived, called, "done"

    copy_rows(
        Visit,
        {"visitor_name": "Besökare", "location_id": clinics[0].pk},
        [
            "location_id",
            "receptionist_id",
            "visit_date",
            "ticket_number",
            "arrived_at",
            "called_in_at",
            "status",
        ],
        visits(),
    )
    visit_rows = list(
        Visit.objects.order_by("pk").values_list("pk", "location_id", "receptionist_id", "arrived_at")[
            : n["visit_feedback"]
        ]
    )

    def visit_feedback() -> Iterable[tuple]:
        for i, (pk, clinic, receptionist, arrived) in enumerate(visit_rows):
            answered = arrived + datetime.timedelta(hours=3)
            yield (
                pk,
                clinic,
                receptionist,
                f"{i:064d}",
                answered + datetime.timedelta(days=14),
                answered,
                (
                    5,
                    4,
                    5,
                    3,
                    4,
                    2,
                    5,
                )[i % 7],
            )

    copy_rows(
        VisitFeedback,
        {"recipient": "patient@bench.local", "visit_id": visit_rows[0][0], "location_id": clinics[0].pk},
        ["visit_id", "location_id", "receptionist_id", "token_hash", "expires_at", "answered_at", "rating"],
        visit_feedback(),
    )
    kind = AppointmentType.objects.create(legal_entity=company, name="Undersökning", duration_minutes=30)
    resources = [
        Resource.objects.create(location=clinic, name=f"Behandlare {c}-{r}")
        for c, clinic in enumerate(clinics)
        for r in range(RESOURCES)
    ]

    def appointments() -> Iterable[tuple]:
        count = n["appointments"]
        per_day = max(1, count // (DAYS * len(resources)) + 1)
        statuses = ["done"] * 15 + ["no_show", "cancelled", "done", "done"]
        for i in range(count):
            resource = resources[i % len(resources)]
            k = i // len(resources)  # this resource's k-th appointment: 40-minute slots
            day = h.first + datetime.timedelta(days=k // per_day)
            start = h.at(day, (k % per_day) * 40)
            end = start + datetime.timedelta(minutes=30)
            receptionist = recs[(i // len(resources)) % len(recs)][0]
            yield (
                resource.location_id,
                resource.pk,
                party_ids[i % len(party_ids)],
                start,
                end,
                start,
                end,
                statuses[i % len(statuses)],
                f"{i:010d}",
                receptionist,
            )

    copy_rows(
        Appointment,
        {"appointment_type_id": kind.pk, "location_id": clinics[0].pk, "resource_id": resources[0].pk},
        [
            "location_id",
            "resource_id",
            "party_id",
            "start_at",
            "end_at",
            "busy_from",
            "busy_until",
            "status",
            "booking_code",
            "booked_by_id",
        ],
        appointments(),
    )

    def complaints() -> Iterable[tuple]:
        count = n["complaints"]
        region_of = {c.pk: c.region_id for c in clinics}
        for i in range(count):
            receptionist, clinic = recs[i % len(recs)]
            yield clinic, region_of[clinic], receptionist, h.at(h.day(i, count), 120)

    copy_rows(
        Complaint,
        {
            "legal_entity_id": company.pk,
            "desk": "reception",
            "channel": "in_person",
            "subject": "Klagomål",
            "description": "Klagomål",
            "location_id": clinics[0].pk,
        },
        ["location_id", "region_id", "owner_id", "created_at"],
        complaints(),
    )

    # Finance: invoices (with a line each for the questions), questions, vouchers.
    profile_rows = [
        BillingProfile(
            legal_entity=company,
            party_id=pid,
            legal_name=f"Kund {i}",
            street="Storgatan 1",
            postal_code="903 26",
            city="Umeå",
        )
        for i, pid in enumerate(party_ids[:200])
    ]
    BillingProfile.objects.bulk_create(profile_rows)
    profiles = list(BillingProfile.objects.filter(legal_entity=company).values_list("pk", "party_id"))
    series = InvoiceSeries.objects.get(legal_entity=company, code="F")

    def invoices() -> Iterable[tuple]:
        count = n["invoices"]
        for i in range(count):
            day = h.day(i, count)
            issued = h.at(day, (i * 5) % 540)
            total = Decimal(500 + (i * 53) % 20_000)
            paid = i % 7 != 0 and day < today - datetime.timedelta(days=45)
            profile, party = profiles[i % len(profiles)]
            yield (
                party,
                profile,
                "paid" if paid else "issued",
                day.year,
                i + 1,
                day,
                day + datetime.timedelta(days=30),
                total,
                Decimal(0) if paid else total,
                issued,
                clerks[i % len(clerks)],
            )

    copy_rows(
        Invoice,
        {**le, "series_id": series.pk, "party_id": profiles[0][1], "profile_id": profiles[0][0]},
        [
            "party_id",
            "profile_id",
            "status",
            "year",
            "number",
            "issue_on",
            "due_on",
            "total_amount",
            "open_amount",
            "issued_at",
            "issued_by_id",
        ],
        invoices(),
    )
    invoice_rows = list(
        Invoice.objects.order_by("pk").values_list("pk", "party_id", "issued_at")[: n["questions"]]
    )
    vat = VatCode.objects.get(legal_entity=company, code="SE25")
    account = LedgerAccount.objects.get(legal_entity=company, number="3001")
    copy_rows(
        InvoiceLine,
        {
            "invoice_id": invoice_rows[0][0],
            "line_no": 1,
            "description": "Undersökning",
            "quantity": Decimal(1),
            "unit_price_amount": Decimal(800),
            "vat_code_id": vat.pk,
            "vat_rate": Decimal(25),
            "revenue_account_id": account.pk,
            "net_amount": Decimal(800),
        },
        ["invoice_id"],
        ((pk,) for pk, _party, _at in invoice_rows),
    )

    def interactions() -> Iterable[tuple]:
        for pk, party, issued in invoice_rows:
            yield party, issued + datetime.timedelta(days=3), f"Fråga {pk}"

    copy_rows(
        Interaction,
        {**le, "kind": "invoice_question", "channel": "phone", "party_id": party_ids[0]},
        ["party_id", "started_at", "subject"],
        interactions(),
    )
    interaction_ids = ids(Interaction, kind="invoice_question")
    line_of = dict(InvoiceLine.objects.values_list("invoice_id", "pk"))

    def questions() -> Iterable[tuple]:
        for i, ((pk, party, issued), interaction) in enumerate(
            zip(invoice_rows, interaction_ids, strict=True)
        ):
            asked = issued + datetime.timedelta(days=3)
            resolved = asked + datetime.timedelta(minutes=30 + (i * 41) % 2000)
            yield (
                pk,
                line_of[pk],
                party,
                interaction,
                asked,
                asked + datetime.timedelta(hours=8),
                asked + datetime.timedelta(days=2),
                resolved,
                clerks[i % len(clerks)],
                (i * 41) % 960 + 10,
                (5, 4, 4, 3, 5, 1, 4)[i % 7],
                resolved + datetime.timedelta(hours=2),
            )

    copy_rows(
        InvoiceQuestion,
        {
            **le,
            "category": "other",
            "channel": "phone",
            "status": "resolved",
            "invoice_id": invoice_rows[0][0],
            "line_id": line_of[invoice_rows[0][0]],
            "party_id": invoice_rows[0][1],
            "interaction_id": interaction_ids[0],
            "asked_at": invoice_rows[0][2],
            "first_response_due_at": invoice_rows[0][2],
            "resolution_due_at": invoice_rows[0][2],
        },
        [
            "invoice_id",
            "line_id",
            "party_id",
            "interaction_id",
            "asked_at",
            "first_response_due_at",
            "resolution_due_at",
            "resolved_at",
            "resolved_by_id",
            "resolution_minutes",
            "rating",
            "rated_at",
        ],
        questions(),
    )
    voucher_series = VoucherSeries.objects.create(legal_entity=company, code="H", name="Historik")

    def vouchers() -> Iterable[tuple]:
        count = n["vouchers"]
        for i in range(count):
            day = h.day(i, count)
            who = clerks[i % len(clerks)]
            yield day, i + 1, h.at(day, 300), who, who, REJECTIONS[i % len(REJECTIONS)]

    copy_rows(
        JournalEntry,
        {**le, "series_id": voucher_series.pk, "text": "Verifikation", "status": "posted"},
        ["date", "number", "posted_at", "posted_by_id", "created_by_id", "rejection_count"],
        vouchers(),
    )

    # Training: observations and assignments (a course each, so no two are open at once).
    everyone = [u for u, _r in reps] + [u for u, _c in recs] + clerks
    observer = people["managers"][REGIONS[0]].pk
    rubric = Rubric.objects.create(code="bemotande", name_en="Manner")

    def observations() -> Iterable[tuple]:
        count = n["observations"]
        for i in range(count):
            yield (
                staff_of[everyone[i % len(everyone)]],
                h.at(h.day(i, count), 200),
                Decimal(50 + (i * 17) % 51),
            )

    copy_rows(
        Observation,
        {"observer_id": observer, "rubric_id": rubric.pk, "person_id": staff_of[everyone[0]]},
        ["person_id", "observed_at", "score_percent"],
        observations(),
    )
    courses = []
    for i in range(n["assignments"]):
        courses.append(Course(slug=f"kurs-{i}"))
    Course.objects.bulk_create(courses, batch_size=2000)
    course_ids = ids(Course)
    CourseVersion.objects.bulk_create(
        [CourseVersion(course_id=c, number=1, status="published") for c in course_ids], batch_size=2000
    )
    version_of = dict(CourseVersion.objects.values_list("course_id", "pk"))

    def assignments() -> Iterable[tuple]:
        count = n["assignments"]
        for i, course in enumerate(course_ids):
            due = h.day(i, count)
            done = None if i % 9 == 0 else h.at(due, 0) + datetime.timedelta(days=(i % 5) - 3)
            yield course, version_of[course], staff_of[everyone[i % len(everyone)]], due, done

    copy_rows(
        Assignment,
        {
            "course_id": course_ids[0],
            "version_id": version_of[course_ids[0]],
            "person_id": staff_of[everyone[0]],
        },
        ["course_id", "version_id", "person_id", "due_on", "completed_at"],
        assignments(),
    )

    # The ledger: voucher lines generated in SQL over the same days, in a series of their own,
    # each voucher posted (and created) by a clerk, so posting compliance and the finance desk
    # read them. Balances are rebuilt from the lines, then the whole database is analysed.
    voucher_series_create(
        actor=None, legal_entity=company, code=LEDGER_SERIES, name="Genererad huvudbok", is_manual=False
    )
    voucher_lines = ledger.generate_history(
        {"company": company, "cfo": fm},
        ledger_lines,
        series=LEDGER_SERIES,
        start=h.first,
        days=DAYS,
        posters=clerks,
        rejection_counts=REJECTIONS,
    )
    load_s = time.perf_counter() - started
    interactions_n = sum(v for k, v in n.items() if k not in ("visit_feedback", "meeting_feedback"))
    ratings_n = sum(n[k] for k in RATINGS)
    return {
        "nsm": nsm,
        "fm": fm,
        "rep": people["reps"][0][0],
        "rsm": people["managers"][REGIONS[0]],
        "clerk": people["clerks"][0],
        "interactions": interactions_n,
        "ratings": ratings_n,
        "voucher_lines": voucher_lines,
        "load_s": load_s,
    }


# ---------------------------------------------------------------------------------------------
# Measuring


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def page(user: Any, url: str) -> Callable[[], Any]:
    from django.test import Client

    client = Client()
    client.force_login(user)

    def run() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        return response

    return run


def _server() -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))


def bench_database_name(url: str) -> str:
    """``<database of DATABASE_URL>_bench_oversight``: two people (or two checkouts) on the same
    server, each with their own DATABASE_URL, never drop each other's bench or template."""
    from urllib.parse import urlsplit

    name = urlsplit(url).path.lstrip("/") or "frontoffice"
    return f"{name}_bench_oversight"


def migrated_template() -> str:
    """The name of a database holding the migrated, empty schema for the current migrations.

    Migrating from nothing takes minutes on a busy 2-core machine; the first run keeps its
    freshly migrated database as ``<name>`` and later runs copy it (``CREATE DATABASE ...
    TEMPLATE``, seconds). The name carries a hash of every migration file, so a new migration
    makes a new template (older ones are dropped). ``--fresh`` migrates from nothing.

    The template holds the schema only, no data: every run loads and generates its rows afresh
    (they end today), so the data recipe does not enter the hash, only the migrations do.
    """
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("frontoffice/*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return f"{BENCH_DATABASE}_tpl_{digest.hexdigest()[:12]}"


def copy_template(template: str) -> bool:
    """Replace the (empty) bench database by a copy of ``template``; False if there is none."""
    import psycopg

    with psycopg.connect(_server(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone():
            return False
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}" TEMPLATE "{template}"')
    return True


def save_template(template: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(_server(), autocommit=True) as conn:
        old = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{BENCH_DATABASE}_tpl_%"]
        ).fetchall()
        for (name,) in old:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "{BENCH_DATABASE}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1/20 of the rows (50,000 interactions)")
    parser.add_argument("--scale", type=float, help="fraction of the full size (default 1, --quick 0.05)")
    parser.add_argument(
        "--ledger-lines",
        type=int,
        help="voucher lines in the ledger (default 10,000,000 times the scale; --quick 200,000)",
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per figure (default 15)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--fresh", action="store_true", help="migrate from nothing (no template copy)")
    args = parser.parse_args()
    scale = args.scale or (0.05 if args.quick else 1.0)
    if args.ledger_lines is not None:
        ledger_lines = args.ledger_lines
    elif args.quick and not args.scale:
        ledger_lines = QUICK_LEDGER_LINES
    else:
        ledger_lines = int(LEDGER_LINES * scale)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/oversight.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    global BENCH_DATABASE
    BENCH_DATABASE = bench_database_name(os.environ["DATABASE_URL"])
    cleanup = benchdb.prepare_database(BENCH_DATABASE, keep=args.keep)
    try:
        template = migrated_template()
        copied = not args.fresh and copy_template(template)
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        started = time.perf_counter()
        call_command("migrate", verbosity=0)  # nothing to do on a copy of the template
        print(
            f"{'copied the migrated template' if copied else 'migrated'} in {time.perf_counter() - started:.1f} s"
        )
        if not copied:
            save_template(template)
        ctx = build(scale, ledger_lines)
        print(
            f"{connection.vendor}: {ctx['interactions']:,} interactions, {ctx['ratings']:,} ratings and "
            f"{ctx['voucher_lines']:,} voucher lines over {DAYS} days, loaded in {ctx['load_s']:.1f} s"
        )
        from frontoffice.insights.facts import rebuild

        started = time.perf_counter()
        facts = rebuild()
        rebuild_s = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE insights_dailyfact")
        print(f"figure oversight.voucher_lines {ctx['voucher_lines']} lines")
        print(f"figure oversight.facts {facts} rows")
        print(f"figure oversight.load_s {ctx['load_s']:.1f} s")
        print(f"figure oversight.rebuild_s {rebuild_s:.1f} s")
        figures = {
            "national_dashboard_ms": page(ctx["nsm"], "/insights/people/?desk=sales"),
            "scorecard_ms": page(ctx["rsm"], f"/insights/people/{ctx['rep'].pk}/"),
            "finance_dashboard_ms": page(ctx["fm"], "/insights/people/?desk=finance"),
            "clerk_scorecard_ms": page(ctx["fm"], f"/insights/people/{ctx['clerk'].pk}/"),
        }
        for name, run in figures.items():
            print(f"figure oversight.{name} {median_ms(run, args.repeat):.1f} ms")
        # Round trips weigh most on a loaded machine; their number does not depend on the load.
        from django.test.utils import CaptureQueriesContext

        for name in ("national_dashboard", "scorecard"):
            with CaptureQueriesContext(connection) as queries:
                figures[f"{name}_ms"]()
            print(f"figure oversight.{name}_queries {len(queries.captured_queries)}")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
