"""``frontoffice demo``: a Swedish demo company with staff in every role, customers and history.

Safe to re-run: the company is found by its organisation number, units by name or code,
staff by username and customers by their e-mail address, so a second run creates nothing
twice. Every run resets the demo users' passwords to ``--password``.

The organisation tree and staff are written directly (they are seed data with fixed keys);
customers and interactions go through ``party_create`` and ``interaction_record``, so they
get the same normalisation, scope fields and audit entries as anything typed in the UI.
"""

from __future__ import annotations

import logging
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.org.models import LegalEntity, Location, Organisation, Region, Role, Staff, Team, User
from frontoffice.org.roles import DEFAULT_ROLES, ensure_default_roles
from frontoffice.org.validators import luhn_valid
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.services import interaction_record, party_create

DEFAULT_PASSWORD = "frontoffice-demo"  # noqa: S105 - the documented demo password
URL = "http://127.0.0.1:8000/"
EMAIL_DOMAIN = "demo.frontoffice.local"
# Customers' addresses use a domain of their own, which also marks them as demo rows.
CUSTOMER_DOMAIN = "kund.demo.frontoffice.local"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

COMPANY = {
    "name": "Tandhälsan Sverige AB",
    "organisation_number": "559218-3411",
    "vat_number": "SE559218341101",
}
ORGANISATION_NAME = "Tandhälsan-koncernen"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    first_name: str
    last_name: str
    title: str
    region: str | None = None  # home region code
    location: str | None = None  # home location key
    team: str | None = None
    supervisor: str | None = None
    manages_regions: tuple[str, ...] = ()
    manages_locations: tuple[str, ...] = ()


# In supervisor order: everyone's supervisor comes before them.
PEOPLE = [
    Person("admin", "administrator", "Astrid", "Lindqvist", "VD och systemadministratör"),
    Person("nsm", "national_sales_manager", "Johan", "Berg", "Försäljningschef", supervisor="admin"),
    Person(
        "rsm",
        "regional_sales_manager",
        "Maria",
        "Nyström",
        "Regional försäljningschef Norr",
        region="norr",
        location="office",
        team="sales",
        supervisor="nsm",
        manages_regions=("norr",),
    ),
    Person(
        "rep",
        "sales_rep",
        "Erik",
        "Holm",
        "Säljare",
        region="norr",
        location="office",
        team="sales",
        supervisor="rsm",
    ),
    # Syd has no regional manager in the demo: its rep reports to the national manager.
    Person("rep2", "sales_rep", "Sara", "Lund", "Säljare", region="syd", supervisor="nsm"),
    Person(
        "office",
        "office_manager",
        "Karin",
        "Ek",
        "Klinikchef",
        region="syd",
        location="clinic",
        team="reception",
        supervisor="admin",
        manages_locations=("clinic",),
    ),
    Person(
        "reception",
        "receptionist",
        "Lina",
        "Sjöberg",
        "Receptionist",
        region="syd",
        location="clinic",
        team="reception",
        supervisor="office",
    ),
    Person("cfo", "finance_manager", "Per", "Axelsson", "Ekonomichef", supervisor="admin"),
    Person(
        "clerk",
        "accounts_clerk",
        "Emma",
        "Wallin",
        "Ekonomiassistent",
        location="office",
        team="finance",
        supervisor="cfo",
    ),
    Person("auditor", "auditor", "Lars", "Forsberg", "Revisor", supervisor="cfo"),
]

FIRST_NAMES = [
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Emma",
    "Elin",
    "Ida",
    "Linnea",
    "Johanna",
    "Sofia",
    "Maja",
    "Alice",
    "Elsa",
    "Astrid",
    "Ingrid",
    "Lars",
    "Anders",
    "Johan",
    "Karl",
    "Erik",
    "Per",
    "Nils",
    "Olof",
    "Mikael",
    "Oskar",
    "Lucas",
    "William",
    "Hugo",
    "Axel",
    "Gustav",
    "Viktor",
]
LAST_NAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Lindström",
    "Olofsson",
    "Lindqvist",
    "Lindgren",
    "Berg",
    "Axelsson",
    "Bergström",
    "Lundberg",
    "Lundgren",
    "Mattsson",
    "Åberg",
    "Öberg",
]
COMPANY_WORDS = [
    "Norrsken",
    "Fjäll",
    "Älv",
    "Skog",
    "Hav",
    "Sol",
    "Berg",
    "Dal",
    "Ljus",
    "Kust",
    "Ek",
    "Björk",
    "Gran",
    "Vind",
    "Sjö",
    "Ström",
    "Ängs",
    "Lärk",
]
COMPANY_KINDS = ("Bygg", "Konsult", "Fastigheter", "Tandteknik", "Hälsa", "Logistik", "Data", "Redovisning")
STREETS = [
    "Storgatan",
    "Kungsgatan",
    "Drottninggatan",
    "Skolgatan",
    "Kyrkogatan",
    "Järnvägsgatan",
    "Parkvägen",
    "Björkvägen",
    "Tallvägen",
    "Ängsvägen",
    "Sjövägen",
    "Industrivägen",
]
CITIES = {
    "norr": [
        ("Umeå", "903"),
        ("Luleå", "972"),
        ("Skellefteå", "931"),
        ("Sundsvall", "852"),
        ("Östersund", "831"),
    ],
    "syd": [
        ("Malmö", "211"),
        ("Lund", "222"),
        ("Helsingborg", "252"),
        ("Kristianstad", "291"),
        ("Växjö", "352"),
    ],
}
MOBILE_PREFIXES = ("070", "072", "073", "076", "079")
PERSON_TAGS = ("nyhetsbrev", "implantat", "tandreglering", "stamkund", "akut", "allergi")
ORG_TAGS = ("nyckelkund", "offert", "ramavtal", "företagshälsa", "återförsäljare")
SOURCES = [
    (Party.Source.WALK_IN, 3),
    (Party.Source.PHONE, 3),
    (Party.Source.WEB, 4),
    (Party.Source.REFERRAL, 2),
    (Party.Source.EVENT, 1),
    (Party.Source.IMPORT, 1),
]


@dataclass
class Demo:
    company: LegalEntity
    regions: dict[str, Region]
    locations: dict[str, Location]
    users: dict[str, User] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _organisation_number(rng: random.Random) -> str:
    body = f"55{rng.randint(6000000, 9999999)}"
    check = next(d for d in range(10) if luhn_valid(f"{body}{d}"))
    return f"{body[:6]}-{body[6:]}{check}"


def _mobile(rng: random.Random) -> str:
    digits = f"{rng.randint(0, 9999999):07d}"
    return f"{rng.choice(MOBILE_PREFIXES)}-{digits[:3]} {digits[3:5]} {digits[5:]}"


def _opening_hours() -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {day: [["08:00", "17:00"]] for day in WEEKDAYS}
    hours["thu"] = [["08:00", "19:00"]]  # late opening for patients who work days
    hours["sat"] = []
    hours["sun"] = []
    return hours


def customer_specs(count: int) -> list[dict[str, Any]]:
    """Deterministic customers: the same ``count`` first rows on every run (seed 42)."""
    rng = random.Random(42)
    specs: list[dict[str, Any]] = []
    emails: set[str] = set()
    for i in range(count):
        segment = rng.choices(["clinic", "norr", "syd"], weights=[4, 3, 3])[0]
        is_org = segment != "clinic" and rng.random() < 0.35
        region = "syd" if segment == "clinic" else segment
        city, postcode = rng.choice(CITIES[region])
        spec: dict[str, Any] = {
            "segment": segment,
            "street": f"{rng.choice(STREETS)} {rng.randint(1, 60)}",
            "postal_code": f"{postcode} {rng.randint(10, 99)}",
            "city": city,
            "phone": _mobile(rng),
            "source": rng.choices([s for s, _w in SOURCES], weights=[w for _s, w in SOURCES])[0],
            "consent_data_processing": rng.random() < 0.9,
            "consent_marketing": rng.random() < 0.4,
        }
        if is_org:
            name = f"{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS).lower()} {city} AB"
            spec.update(
                kind=Party.Kind.ORGANISATION,
                organisation_name=name,
                organisation_number=_organisation_number(rng),
                local=_ascii(name.removesuffix(" AB")),
                tags=rng.sample(ORG_TAGS, rng.randint(0, 2)),
            )
            spec["local"] = "info." + spec["local"]
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            spec.update(
                kind=Party.Kind.PERSON,
                first_name=first,
                last_name=last,
                local=f"{_ascii(first)}.{_ascii(last)}",
                tags=rng.sample(PERSON_TAGS, rng.randint(0, 2)),
            )
        local, n = spec.pop("local"), 1
        email = f"{local}@{CUSTOMER_DOMAIN}"
        while email in emails:
            n += 1
            email = f"{local}{n}@{CUSTOMER_DOMAIN}"
        emails.add(email)
        spec["email"] = email
        # Owned by the region's rep, or left unassigned (a lead for the region's reps).
        spec["owned"] = rng.random() < (0.1 if segment == "clinic" else 0.7)
        spec["index"] = i
        specs.append(spec)
    return specs


class Command(BaseCommand):
    help = "Load (or refresh) the Swedish demo company, its staff in every role, customers and history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help="Password for every demo user (default: %(default)s).",
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=200,
            help="Number of demo customers (default: %(default)s).",
        )

    def handle(self, *args: Any, password: str, customers: int, **options: Any) -> None:
        ensure_default_roles()
        # Seeding goes through the services, which notify people (approval requests, ...):
        # the demo's e-mails are kept in memory, not printed or sent.
        tasks_log = logging.getLogger("django_tasks")
        level = tasks_log.level
        tasks_log.setLevel(logging.WARNING)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                self._seed(password=password, customers=customers)
        finally:
            tasks_log.setLevel(level)

    def _seed(self, *, password: str, customers: int) -> None:
        with transaction.atomic():
            demo = self._organisation()
            self._staff(demo, password)
            created, interactions = self._customers(demo, customers)
            vouchers = self._ledger(demo)
            billing = self._billing(demo)
            from frontoffice.sales.demo import seed_sales

            seed_sales(demo.company, demo.users)
            from frontoffice.leads.demo import seed_leads

            seed_leads(demo.company, demo.users)
            from frontoffice.quotes.demo import seed_quotes

            seed_quotes(demo.company, demo.users)
            from frontoffice.activities.demo import seed_activities

            seed_activities(demo.company, demo.users)
            from frontoffice.training.demo import seed_training

            seed_training(demo.company, demo.users)
            from frontoffice.appointments.demo import seed_appointments

            seed_appointments(demo.company, demo.users)
            from frontoffice.reception.demo import seed_reception

            seed_reception(demo.company, demo.users)
            from frontoffice.surveys.demo import seed_surveys

            surveys = seed_surveys(demo.company, demo.users)
            self._facts(("csat", "nps"))
        if surveys["sent"]:
            self.stdout.write(
                _(
                    "Surveys ready: %(sent)d survey requests sent, %(answered)d answered, %(opt_outs)d opt-outs."
                )
                % surveys
            )
        if billing.get("products") or billing.get("price_profiles"):
            self.stdout.write(
                _("Billing ready: %(products)d products, %(profiles)d billing and %(prices)d price profiles.")
                % {
                    "products": billing.get("products", 0),
                    "profiles": billing.get("profiles", 0),
                    "prices": billing["price_profiles"],
                }
            )
        if vouchers:
            self.stdout.write(
                _("Ledger ready: BAS chart, this year's fiscal year and %(n)d vouchers.") % {"n": vouchers}
            )
        self.stdout.write(
            _(
                "Demo data ready: %(created)d customers and %(interactions)d interactions added, %(total)d customers in the demo company."
            )
            % {
                "created": created,
                "interactions": interactions,
                "total": Party.objects.filter(legal_entity=demo.company).count(),
            }
        )
        self._print_logins(demo, password)

    def _facts(self, measures: tuple[str, ...]) -> None:
        """Recompute the daily facts of ``measures`` over the demo's history (the last 100 days),
        so the scorecards and dashboards show the seeded answers at once, whether or not a task
        worker runs."""
        from frontoffice.insights.facts import refresh_days

        today = timezone.localdate()
        refresh_days([today - timedelta(days=n) for n in range(100)], measures)

    # ------------------------------------------------------------ billing and pricing

    def _billing(self, demo: Demo) -> dict[str, int]:
        """Billing set-up, catalogue and customer profiles, then price profiles (each once)."""
        from frontoffice.billing.demo import seed_billing
        from frontoffice.pricing.demo import seed_pricing

        counts = dict(seed_billing(demo.company, demo.users))
        counts["price_profiles"] = seed_pricing(demo.company, demo.users)
        from frontoffice.billing.demo import seed_invoices

        counts.update(seed_invoices(demo.company, demo.users))
        return counts

    # ------------------------------------------------------------ ledger

    def _ledger(self, demo: Demo) -> int:
        """The BAS chart, this calendar year and a few months of vouchers (once)."""
        import datetime as dt
        from decimal import Decimal

        from frontoffice.finance.models import LedgerAccount
        from frontoffice.finance.services.chart import ledger_setup
        from frontoffice.finance.services.periods import posting_standards_set
        from frontoffice.finance.services.posting import EntryInput, LineInput, journal_entries_post_batch

        if LedgerAccount.objects.filter(legal_entity=demo.company).exists():
            return 0
        cfo = demo.users["cfo"]
        today = dt.date.today()
        ledger_setup(actor=cfo, legal_entity=demo.company, first_year_start=dt.date(today.year, 1, 1))
        posting_standards_set(
            actor=cfo,
            legal_entity=demo.company,
            four_eyes_threshold_amount=Decimal("50000.00"),
            attachment_threshold_amount=Decimal("100000.00"),
        )
        rng = random.Random(7)
        entries = []
        for month in range(1, today.month + 1):
            for n in range(6):
                day = dt.date(today.year, month, min(1 + n * 4, 28))
                if day > today:
                    break
                gross = Decimal(rng.randrange(400, 6000)) * 5
                net = (gross / Decimal("1.25")).quantize(Decimal("0.01"))
                entries.append(
                    EntryInput(
                        series="F",
                        date=day,
                        text=f"Faktura {month:02d}{n:02d}",
                        lines=[
                            LineInput("1510", debit=str(gross)),
                            LineInput("3001", credit=str(net)),
                            LineInput("2611", credit=str(gross - net)),
                        ],
                    )
                )
                entries.append(
                    EntryInput(
                        series="B",
                        date=day,
                        text=f"Inbetalning faktura {month:02d}{n:02d}",
                        lines=[LineInput("1930", debit=str(gross)), LineInput("1510", credit=str(gross))],
                    )
                )
            rent = Decimal("18500.00")
            entries.append(
                EntryInput(
                    series="B",
                    date=dt.date(today.year, month, 1),
                    text=f"Lokalhyra {month:02d}",
                    lines=[
                        LineInput("5010", debit=str(rent)),
                        LineInput("2641", debit=str(rent / 4)),
                        LineInput("1930", credit=str(rent + rent / 4)),
                    ],
                )
            )
        posted = journal_entries_post_batch(actor=cfo, legal_entity=demo.company, entries=entries)
        return len(posted)

    # ------------------------------------------------------------ organisation tree

    def _organisation(self) -> Demo:
        company = LegalEntity.objects.filter(organisation_number=COMPANY["organisation_number"]).first()
        if company is None:
            organisation, _created = Organisation.objects.get_or_create(name=ORGANISATION_NAME)
            company = LegalEntity(
                organisation=organisation, default_language="sv", base_currency="SEK", **COMPANY
            )
            company.full_clean()
            company.save()
        regions = {}
        for code, name in (("norr", "Norr"), ("syd", "Syd")):
            regions[code], _created = Region.objects.get_or_create(
                legal_entity=company, code=code, defaults={"name": name}
            )
        location_specs = {
            "clinic": {
                "region": regions["syd"],
                "name": "Tandkliniken Centrum",
                "kind": Location.Kind.CLINIC,
                "street": "Södergatan 12",
                "postal_code": "211 34",
                "city": "Malmö",
            },
            "office": {
                "region": regions["norr"],
                "name": "Säljkontor Umeå",
                "kind": Location.Kind.SALES_OFFICE,
                "street": "Kungsgatan 48",
                "postal_code": "903 26",
                "city": "Umeå",
            },
        }
        locations = {}
        for key, spec in location_specs.items():
            location, _created = Location.objects.get_or_create(
                region=spec.pop("region"),
                name=spec.pop("name"),
                defaults={
                    **spec,
                    "legal_entity": company,
                    "time_zone": "Europe/Stockholm",
                    "opening_hours": _opening_hours(),
                },
            )
            locations[key] = location
        return Demo(company=company, regions=regions, locations=locations)

    def _staff(self, demo: Demo, password: str) -> None:
        teams = {
            key: Team.objects.get_or_create(location=demo.locations[loc], name=name)[0]
            for key, loc, name in (
                ("sales", "office", "Säljteam Norr"),
                ("finance", "office", "Ekonomi"),
                ("reception", "clinic", "Receptionen"),
            )
        }
        roles = {role.code: role for role in Role.objects.filter(code__in=DEFAULT_ROLES)}
        for person in PEOPLE:
            user = User.objects.filter(username=person.username).first() or User(username=person.username)
            user.email = f"{person.username}@{EMAIL_DOMAIN}"
            user.first_name, user.last_name = person.first_name, person.last_name
            user.language = "sv"
            user.is_active = True
            # The administrator also gets Django admin (superuser, staff).
            user.is_staff = user.is_superuser = person.role == "administrator"
            user.password = make_password(password)
            user.save()
            defaults = {
                "legal_entity": demo.company,
                "role": roles[person.role],
                "title": person.title,
                "home_region": demo.regions.get(person.region or ""),
                "home_location": demo.locations.get(person.location or ""),
                "team": teams.get(person.team or ""),
                "supervisor": demo.staff.get(person.supervisor or ""),
                "active": True,
            }
            if defaults["home_location"] is not None:
                defaults["home_region"] = defaults["home_location"].region
            staff, _created = Staff.objects.update_or_create(user=user, defaults=defaults)
            staff.regions.set([demo.regions[code] for code in person.manages_regions])
            staff.locations.set([demo.locations[key] for key in person.manages_locations])
            demo.users[person.username] = user
            demo.staff[person.username] = staff
        Team.objects.filter(pk=teams["sales"].pk).update(lead=demo.staff["rsm"])
        Team.objects.filter(pk=teams["reception"].pk).update(lead=demo.staff["office"])
        Team.objects.filter(pk=teams["finance"].pk).update(lead=demo.staff["cfo"])

    # ------------------------------------------------------------ customers and history

    def _customers(self, demo: Demo, count: int) -> tuple[int, int]:
        specs = customer_specs(count)
        existing = set(
            Party.objects.filter(
                legal_entity=demo.company, email__in=[s["email"] for s in specs]
            ).values_list("email", flat=True)
        )
        admin = demo.users["admin"]
        rep_of = {"norr": demo.users["rep"], "syd": demo.users["rep2"], "clinic": demo.users["rep2"]}
        created = interactions = 0
        now = timezone.now()
        for spec in specs:
            if spec["email"] in existing:
                continue
            segment = spec.pop("segment")
            owned = spec.pop("owned")
            index = spec.pop("index")
            tags = spec.pop("tags")
            where = (
                {"location": demo.locations["clinic"]}
                if segment == "clinic"
                else {"region": demo.regions[segment]}
            )
            if segment == "norr" and index % 2 == 0:
                where = {"location": demo.locations["office"]}
            party = party_create(
                actor=admin,
                allow_duplicate=True,
                tags=tags,
                owner=rep_of[segment] if owned else None,
                language="sv",
                **where,
                **spec,
            )
            created += 1
            interactions += self._history(demo, party, segment, index, now)
        return created, interactions

    def _history(self, demo: Demo, party: Party, segment: str, index: int, now: datetime) -> int:
        """Past interactions of one new customer, spread over the last 90 days."""
        rng = random.Random(f"42-history-{index}")
        rep = party.owner or (demo.users["rep"] if segment == "norr" else demo.users["rep2"])
        desk = {
            "clinic": [
                (
                    "reception",
                    Interaction.Kind.VISIT,
                    Interaction.Channel.IN_PERSON,
                    Interaction.Direction.INBOUND,
                ),
                (
                    "reception",
                    Interaction.Kind.VISIT,
                    Interaction.Channel.IN_PERSON,
                    Interaction.Direction.INBOUND,
                ),
                (
                    "reception",
                    Interaction.Kind.CALL,
                    Interaction.Channel.PHONE,
                    Interaction.Direction.INBOUND,
                ),
            ],
            "sales": [
                (
                    rep.username,
                    Interaction.Kind.CALL,
                    Interaction.Channel.PHONE,
                    Interaction.Direction.OUTBOUND,
                ),
                (
                    rep.username,
                    Interaction.Kind.MEETING,
                    Interaction.Channel.IN_PERSON,
                    Interaction.Direction.OUTBOUND,
                ),
                (
                    rep.username,
                    Interaction.Kind.MEETING,
                    Interaction.Channel.VIDEO,
                    Interaction.Direction.OUTBOUND,
                ),
                (
                    rep.username,
                    Interaction.Kind.EMAIL,
                    Interaction.Channel.EMAIL,
                    Interaction.Direction.OUTBOUND,
                ),
            ],
        }["clinic" if segment == "clinic" else "sales"]
        subjects = {
            Interaction.Kind.VISIT: ["Undersökning", "Tandhygienist", "Lagning", "Akutbesök", "Återbesök"],
            Interaction.Kind.CALL: [
                "Tidsbokning",
                "Uppföljning av offert",
                "Fråga om behandling",
                "Ombokning",
            ],
            Interaction.Kind.MEETING: ["Produktgenomgång", "Avtalsmöte", "Behovsanalys"],
            Interaction.Kind.EMAIL: ["Skickat offert", "Produktinformation", "Mötesbekräftelse"],
            Interaction.Kind.INVOICE_QUESTION: [
                "Fråga om faktura",
                "Delbetalning",
                "Felaktig adress på faktura",
            ],
        }
        outcomes = ["", "Klart.", "Återkommer nästa vecka.", "Kunden nöjd.", "Skickar underlag."]
        plan = [rng.choice(desk) for _n in range(rng.randint(0, 4))]
        if rng.random() < 0.15:
            plan.append(
                (
                    "clerk",
                    Interaction.Kind.INVOICE_QUESTION,
                    Interaction.Channel.PHONE,
                    Interaction.Direction.INBOUND,
                )
            )
        for who, kind, channel, direction in plan:
            day = (now - timedelta(days=rng.randint(1, 90))).astimezone(STOCKHOLM)
            started = day.replace(
                hour=rng.randint(8, 16), minute=rng.choice((0, 15, 30, 45)), second=0, microsecond=0
            )
            interaction_record(
                actor=demo.users[who],
                staff=demo.staff[who],
                party=party,
                kind=kind,
                channel=channel,
                direction=direction,
                subject=rng.choice(subjects[kind]),
                outcome=rng.choice(outcomes),
                started_at=started,
                ended_at=started + timedelta(minutes=rng.choice((5, 10, 15, 30, 45, 60))),
            )
        return len(plan)

    # ------------------------------------------------------------ output

    def _print_logins(self, demo: Demo, password: str) -> None:
        rows = [(str(demo.staff[p.username].role.name), p.username, password) for p in PEOPLE]
        headers = (_("Role"), _("Username"), _("Password"))
        widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(3)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(line.format(*headers).rstrip()))
        for row in rows:
            self.stdout.write(line.format(*row).rstrip())
        self.stdout.write("")
        self.stdout.write(_("Sign in at %(url)s") % {"url": URL})
