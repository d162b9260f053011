"""A small hand-computed world for the measures (rows created directly; measures only read)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from frontoffice.parties.tests.factories import make_party

D = datetime.date
START, END = D(2026, 3, 2), D(2026, 3, 9)  # Monday to Monday: 5 working days


def at(day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 3, day, hour, minute))


@dataclass
class World:
    org: Any
    team: Any
    party: Any


def add_lead(org: Any, party: Any, owner: Any, created: Any, contacted: Any, stage: str) -> Any:
    from frontoffice.leads.models import Lead

    lead = Lead.objects.create(
        legal_entity=org.company,
        party=party,
        region=org.north,
        owner=owner,
        contact_name="X",
        stage=stage,
        first_contact_at=contacted,
        disqualify_reason="Not a fit" if stage == "disqualified" else "",
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=created)
    return lead


def add_activity(org: Any, party: Any, owner: Any, done: datetime.datetime | None) -> Any:
    from frontoffice.activities.models import Activity

    return Activity.objects.create(
        legal_entity=org.company, party=party, owner=owner, kind="call", subject="Call", done_at=done
    )


def add_deal(
    org: Any,
    party: Any,
    owner: Any,
    kind: str,
    opened: datetime.date,
    closed: datetime.date | None,
    amount: str,
) -> Any:
    from frontoffice.sales.models import Opportunity, Stage
    from frontoffice.sales.stages import ensure_default_stages

    ensure_default_stages(org.company.pk)
    stage = Stage.objects.filter(legal_entity=org.company, kind=kind).first()
    return Opportunity.objects.create(
        legal_entity=org.company,
        party=party,
        owner=owner,
        region=org.north,
        name="Deal",
        stage=stage,
        amount=Decimal(amount),
        opened_on=opened,
        expected_close_on=closed or opened,
        closed_on=closed,
    )


def add_visit(
    org: Any, receptionist: Any, arrived: datetime.datetime, called: datetime.datetime | None, n: int
) -> Any:
    from frontoffice.reception.models import Visit

    return Visit.objects.create(
        location=org.clinic,
        visitor_name="V",
        visit_date=arrived.date(),
        ticket_number=n,
        arrived_at=arrived,
        called_in_at=called,
        receptionist=receptionist,
    )


@pytest.fixture
def world(org: Any) -> World:
    from frontoffice.org.models import Staff, Team

    team = Team.objects.create(location=org.sales_office, name="North team")
    Staff.objects.filter(user__in=[org.user("rep_north"), org.user("rsm_north")]).update(team=team)
    party = make_party(org.user("admin"))
    rep, rsm, south = org.user("rep_north"), org.user("rsm_north"), org.user("rep_south")
    rec = org.user("receptionist")
    # Leads: response minutes rep 10, 30, 50 (median 30), rsm 20 (team median of 10,20,30,50 = 25),
    # south 100 (company median of 10,20,30,50,100 = 30). One lead outside the period.
    add_lead(org, party, rep, at(2, 9), at(2, 9, 10), "qualified")
    add_lead(org, party, rep, at(3, 9), at(3, 9, 30), "new")
    add_lead(org, party, rep, at(4, 9), at(4, 9, 50), "qualified")
    add_lead(org, party, rep, at(5, 9), None, "disqualified")
    add_lead(org, party, rsm, at(6, 9), at(6, 9, 20), "qualified")
    add_lead(org, party, south, at(6, 9), at(6, 10, 40), "new")
    add_lead(org, party, rep, at(9, 9), at(9, 9, 1), "qualified")  # next period
    # Activities: rep 6 done in the period, one not done; south 4.
    for day in (2, 2, 3, 4, 5, 6):
        add_activity(org, party, rep, at(day, 10))
    add_activity(org, party, rep, None)
    for day in (2, 3, 3, 4):
        add_activity(org, party, south, at(day, 11))
    # Deals: rep won 2 (10 and 20 days, 1000.50 + 2000.25), lost 1; south won 1 (40 days, 500).
    add_deal(org, party, rep, "won", D(2026, 2, 20), D(2026, 3, 2), "1000.50")
    add_deal(org, party, rep, "won", D(2026, 2, 13), D(2026, 3, 5), "2000.25")
    add_deal(org, party, rep, "lost", D(2026, 2, 1), D(2026, 3, 6), "9999")
    add_deal(org, party, south, "won", D(2026, 1, 26), D(2026, 3, 7), "500")
    add_deal(org, party, rep, "open", D(2026, 3, 1), None, "777")
    # Visits: receptionist 3 in the period, waits 5, 15 and (not called) -> mean 10.
    add_visit(org, rec, at(2, 8), at(2, 8, 5), 1)
    add_visit(org, rec, at(3, 8), at(3, 8, 15), 2)
    add_visit(org, rec, at(4, 8), None, 3)
    return World(org, team, party)


@pytest.fixture(autouse=True)
def live_facts(settings: Any) -> None:
    """The insights tests check that facts follow every saved source row (off elsewhere)."""
    settings.INSIGHTS_LIVE_FACTS = True
