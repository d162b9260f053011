"""A meeting about a lead links back to the lead page (where the rep qualifies and converts it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontoffice.activities.services.meetings import meeting_schedule
from frontoffice.activities.tests.conftest import at

pytestmark = pytest.mark.django_db


def test_the_meeting_page_links_to_its_lead(org, customer, lead, client_for):
    meeting = meeting_schedule(
        actor=org.user("rep_north"),
        party=customer,
        title="First meeting",
        starts_at=at("2026-12-01", "10:00"),
        ends_at=at("2026-12-01", "11:00"),
        lead=lead,
        send_invitation=False,
    )
    page = client_for("rep_north").get(reverse("activities:meeting-detail", args=[meeting.pk]))
    link = reverse("leads:lead-detail", args=[lead.pk])
    assert f'<a href="{link}" data-testid="meeting-lead">Karin Berg</a>' in page.content.decode()
