"""Quote fixtures: the billing-ready company (pricing's small catalogue), a customer of
rep_north with a billing profile and an approved price profile (15 % on dental care), and a
customer of rep_south. Time is 16 March 2026 (the ledger's fiscal year)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from frontoffice.billing.services.profiles import billing_profile_create
from frontoffice.parties.tests.factories import make_party
from frontoffice.pricing.services.profiles import price_profile_create, price_profile_submit, price_rule_add
from frontoffice.pricing.tests.conftest import billing, catalogue, ledger  # noqa: F401 - shared fixtures

TODAY = datetime.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _frozen_day():
    with time_machine.travel(datetime.datetime(2026, 3, 16, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def profile_for(actor: Any, party: Any, **fields: Any) -> Any:
    fields.setdefault("legal_name", party.display_name)
    fields.setdefault("organisation_number", "556036-0793")
    fields.setdefault("street", "Storgatan 1")
    fields.setdefault("postal_code", "903 26")
    fields.setdefault("city", "Umeå")
    fields.setdefault("billing_email", "faktura@kund.example")
    fields.setdefault("language", "en")
    return billing_profile_create(actor=actor, party=party, **fields)


@dataclass
class World:
    north: Any  # rep_north's customer, billing profile, approved profile: 15 % off dental care
    south: Any  # rep_south's customer, billing profile, no price profile
    catalogue: Any


@pytest.fixture
def world(org, catalogue) -> World:  # noqa: F811 - the imported catalogue fixture
    fm = org.user("finance_manager")
    north = make_party(
        org.user("rep_north"), kind="organisation", organisation_name="Norrsken Bygg AB", first_name=""
    )
    south = make_party(
        org.user("rep_south"), kind="organisation", organisation_name="Söderljus AB", first_name=""
    )
    profile_for(fm, north)
    profile_for(fm, south, legal_name="Söderljus AB", billing_email="ekonomi@soderljus.example")
    price = price_profile_create(
        actor=fm, party=north, name="Avtal 2026", valid_from=datetime.date(2026, 1, 1)
    )
    price_rule_add(actor=fm, profile=price, product_group=catalogue.dental, discount_percent=Decimal("15"))
    price_profile_submit(actor=fm, profile=price)
    return World(north=north, south=south, catalogue=catalogue)
