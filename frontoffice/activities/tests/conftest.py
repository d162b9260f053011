"""Fixtures of the activities tests: customers of the two reps, a time zone, helpers.

- ``customer``: owned by rep_north (North), with an e-mail address;
- ``south_customer``: owned by rep_south (South): rep_north and rsm_north never see it.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest

from frontoffice.parties.tests.factories import make_party

STHLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def at(day: str, hm: str) -> datetime.datetime:
    """Stockholm wall time: ``at("2026-12-01", "09:00")``."""
    return datetime.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=STHLM)


@pytest.fixture
def customer(org: Any) -> Any:
    return make_party(org.user("rep_north"), first_name="Karin", last_name="Berg", email="karin@example.com")


@pytest.fixture
def south_customer(org: Any) -> Any:
    return make_party(org.user("rep_south"), first_name="Sven", last_name="Söder", email="sven@example.com")


@pytest.fixture
def lead(org: Any, customer: Any) -> Any:
    """A new lead of rep_north about ``customer``, created through the leads service."""
    from frontoffice.leads.models import Lead
    from frontoffice.leads.services.intake import lead_create

    lead = lead_create(
        actor=org.user("rep_north"),
        data={"contact_name": "Karin Berg", "email": "karin@example.com"},
    )
    # Link it to our customer whatever the matcher decided (test set-up, not a business write).
    Lead.objects.filter(pk=lead.pk).update(party=customer)
    lead.refresh_from_db()
    return lead
