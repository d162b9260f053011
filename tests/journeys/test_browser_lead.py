"""Journey: a prospect fills in the public web form; the lead is routed to rep_north (North
postcodes); the rep opens it from "My leads", logs the qualification checklist, marks it
qualified and converts it to an opportunity.

Only the settings (a lead source with a web form, a routing rule) are written directly;
everything else goes through the pages.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_web_form_lead_is_routed_qualified_and_converted(page, live_server, org):
    from frontoffice.leads.models import Lead, LeadSource, RoutingRule

    LeadSource.objects.create(
        legal_entity=org.company, name="Website", first_contact_target=2, web_form_key="web"
    )
    RoutingRule.objects.create(legal_entity=org.company, priority=10, postcode_prefix="9", region=org.north)

    # The prospect, not signed in, on the embeddable form
    page.goto(live_server.url + reverse("leads:web-form", args=["web"]))
    page.get_by_label("Name", exact=True).fill("Karin Lund")
    page.get_by_label("Company", exact=True).fill("Kiruna Tandvård AB")
    page.get_by_label("E-mail").fill("karin@kirunatand.example")
    page.get_by_label("Phone", exact=True).fill("070-765 43 21")
    page.get_by_label("Postal code").fill("981 31")
    page.get_by_label("Message").fill("We are opening a second clinic.")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_test_id("web-form-submit").click()
    expect(page.get_by_test_id("web-form-thanks")).to_be_visible()
    lead = Lead.objects.get()
    assert (lead.region, lead.owner) == (org.north, org.people["rep_north"])

    # The rep finds it under My leads
    login(page, live_server, "rep_north")
    page.goto(live_server.url + reverse("leads:my-leads"))
    page.get_by_role("link", name="Karin Lund").click()
    expect(page.get_by_test_id("lead-owner")).to_contain_text("Rep_North")
    expect(page.get_by_test_id("lead-region")).to_contain_text("North")

    # Qualification checklist: budget, authority, need (not timeline) and qualified
    form = page.get_by_test_id("qualify-form")
    form.get_by_label("Budget").check()
    form.get_by_label("Authority").check()
    form.get_by_label("Need").check()
    form.get_by_label("Mark the lead as qualified").check()
    page.get_by_test_id("qualify-submit").click()
    expect(page.get_by_test_id("lead-stage")).to_contain_text("Qualified")
    expect(page.get_by_test_id("lead-score")).to_contain_text("75")

    # Convert to an opportunity
    convert = page.get_by_test_id("convert-form")
    convert.get_by_label("Opportunity name").fill("Second clinic chairs")
    convert.get_by_label("Amount").fill("96000")
    convert.get_by_label("Expected close").fill("2026-10-31")
    page.get_by_test_id("convert-submit").click()
    expect(page.get_by_test_id("stage")).to_be_visible()
    lead.refresh_from_db()
    assert lead.stage == "converted"
    assert (
        lead.opportunity.name == "Second clinic chairs" and lead.opportunity.owner == org.people["rep_north"]
    )
    assert str(lead.opportunity.amount) == "96000.00"
