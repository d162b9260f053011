"""The lead page leads on to the work about it: log a call, send an e-mail or book a meeting
about this lead (so the first-contact clock sees them), and, once converted, its opportunity."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontoffice.leads.services import lead_convert, lead_create, lead_qualify
from frontoffice.leads.tests.conftest import WEB_DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(org, leads):
    lead = lead_create(actor=None, data=dict(WEB_DATA), channel="web_form", source=leads.source)
    assert lead.owner == org.people["rep_north"]
    return lead


def test_an_open_lead_links_to_a_call_an_email_and_a_meeting_about_it(org, lead, client_for):
    client = client_for("rep_north")
    page = client.get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()
    about = f"?party={lead.party_id}&amp;lead={lead.pk}"
    for url, testid in (
        (reverse("activities:activity-create") + about + "&amp;kind=call", "lead-log-call"),
        (reverse("activities:email-send") + about, "lead-send-email"),
        (reverse("activities:meeting-create") + about, "lead-book-meeting"),
    ):
        assert f'href="{url}" data-testid="{testid}"' in page
        # and each page opens, about this lead
        assert client.get(url.replace("&amp;", "&")).status_code == 200


def test_no_activity_links_without_the_permission(org, lead, client_for):
    # The administrator reads leads and activities but logs no calls and books no meetings.
    page = client_for("admin").get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()
    assert "lead-log-call" not in page and "lead-book-meeting" not in page


def test_a_converted_lead_links_to_its_opportunity_and_offers_no_more_contact(org, lead, client_for):
    rep = org.user("rep_north")
    lead_qualify(
        actor=rep, lead=lead, answers={"budget": True, "authority": True, "need": True}, qualified=True
    )
    opportunity = lead_convert(actor=rep, lead=lead, name="Chairs")
    page = client_for("rep_north").get(reverse("leads:lead-detail", args=[lead.pk])).content.decode()
    link = reverse("sales:opportunity-detail", args=[opportunity.pk])
    assert f'<a href="{link}" data-testid="lead-opportunity-link">Chairs</a>' in page
    assert "lead-log-call" not in page


def test_a_call_logged_about_a_lead_returns_to_the_lead(org, lead, client_for):
    client = client_for("rep_north")
    url = reverse("activities:activity-create") + f"?party={lead.party_id}&lead={lead.pk}"
    response = client.post(
        url,
        {
            "party": lead.party_id,
            "lead": lead.pk,
            "kind": "call",
            "direction": "outbound",
            "subject": "First call",
            "done": "on",
            "outcome": "Interested",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead-detail", args=[lead.pk])
