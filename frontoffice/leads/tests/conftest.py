"""Leads fixtures: a web source, routing rules (postcodes 9xxxx → North, 2xxxx → South) and a
second rep in North so round-robin has someone to alternate with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conftest import PASSWORD


@dataclass
class LeadsSetup:
    source: Any
    fair: Any
    north_rule: Any
    south_rule: Any
    rep_north2: Any


def make_rep(org: Any, name: str, region: Any) -> Any:
    from frontoffice.org.models import Role, Staff, User

    user = User.objects.create_user(
        username=name,
        email=f"{name}@example.com",
        password=PASSWORD,
        first_name=name.title(),
        last_name="Test",
    )
    Staff.objects.create(
        user=user, legal_entity=org.company, role=Role.objects.get(code="sales_rep"), home_region=region
    )
    return user


@pytest.fixture
def leads(org) -> LeadsSetup:
    from frontoffice.leads.models import LeadSource, RoutingRule
    from frontoffice.org.models import Staff

    source = LeadSource.objects.create(
        legal_entity=org.company, name="Web", first_contact_target=2, web_form_key="tandhalsan-web"
    )
    fair = LeadSource.objects.create(
        legal_entity=org.company, name="Dental fair", first_contact_target=30, first_contact_unit="minutes"
    )
    north_rule = RoutingRule.objects.create(
        legal_entity=org.company, priority=10, name="North postcodes", postcode_prefix="9", region=org.north
    )
    south_rule = RoutingRule.objects.create(
        legal_entity=org.company,
        priority=20,
        name="South postcodes",
        postcode_from="20000",
        postcode_to="29999",
        region=org.south,
    )
    rsm = Staff.objects.get(user=org.people["rsm_north"])
    Staff.objects.filter(user=org.people["rep_north"]).update(supervisor=rsm)
    rep_north2 = make_rep(org, "rep_north2", org.north)
    Staff.objects.filter(user=rep_north2).update(supervisor=rsm)
    return LeadsSetup(source, fair, north_rule, south_rule, rep_north2)


WEB_DATA = {
    "contact_name": "Anna Andersson",
    "company": "Umeå Tandvård AB",
    "email": "anna@umeatandvard.example",
    "phone": "070-123 45 67",
    "postal_code": "903 26",
    "country": "SE",
    "industry": "Dental",
    "company_size": "10-49",
    "message": "We need new chairs.",
}
