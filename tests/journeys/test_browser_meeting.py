"""Journey: a sales rep books a face-to-face meeting from the customer page, opens the printable
brief, and after the meeting records the outcome and the next step; the customer then rates
the meeting through the feedback link.

Only the customer is written directly (through the parties service); everything else goes
through the pages.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "Fjällbjörk Tandvård AB"


def test_rep_books_a_meeting_opens_the_brief_and_records_outcome_and_next_step(page, live_server, org):
    from frontoffice.activities.models import Activity, Meeting, MeetingFeedback
    from frontoffice.parties.models import Interaction
    from frontoffice.parties.services import party_create

    party = party_create(
        actor=org.user("rep_north"),
        kind="organisation",
        organisation_name=CUSTOMER,
        email="info@fjallbjork.example",
        city="Kiruna",
        region=org.north,
        owner=org.user("rep_north"),
    )
    login(page, live_server, "rep_north")

    # From the customer page: Book a meeting, in two hours, for an hour.
    start = timezone.localtime().replace(second=0, microsecond=0) + datetime.timedelta(hours=2)
    end = start + datetime.timedelta(hours=1)
    page.goto(live_server.url + reverse("parties:party-detail", args=[party.pk]))
    page.get_by_test_id("book-meeting").click()
    page.get_by_label("Title").fill("Chair demo")
    page.get_by_label("Starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends").fill(end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place (address or room)").fill("Storgatan 1, Kiruna")
    page.get_by_label("Agenda").fill("Needs\nDemo of the new chairs")
    page.get_by_test_id("meeting-save").click()
    expect(page.get_by_test_id("meeting-status")).to_have_text("Planned")
    meeting = Meeting.objects.get(title="Chair demo")
    assert meeting.starts_at == start
    assert any(a[0] == "invite.ics" for m in mail.outbox for a in m.attachments)

    # The brief: printable, with the customer's history.
    page.get_by_test_id("open-brief").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Meeting brief: {CUSTOMER}")
    expect(page.get_by_test_id("brief-previous")).to_contain_text("This is the first meeting.")
    expect(page.get_by_test_id("brief-interactions")).to_be_visible()
    page.get_by_role("link", name="Back to the meeting").click()

    # After the meeting: outcome and next step.
    with time_machine.travel(end + datetime.timedelta(minutes=10), tick=True):
        page.reload()
        page.get_by_role("textbox", name="Outcome").fill("Wants a quote for twelve chairs")
        page.get_by_label("Next step", exact=True).fill("Send the quote")
        page.get_by_label("Next step date").fill((end + datetime.timedelta(days=2)).strftime("%Y-%m-%d"))
        page.get_by_test_id("outcome-save").click()
        expect(page.get_by_test_id("meeting-status")).to_have_text("Held")
        expect(page.get_by_test_id("meeting-outcome")).to_contain_text("Wants a quote")
        expect(page.get_by_test_id("meeting-next-step")).to_contain_text("Send the quote")

    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert Interaction.objects.filter(kind="meeting", party=party).count() == 1
    assert Activity.objects.get(meeting=meeting).subject == "Send the quote"
    feedback = MeetingFeedback.objects.get(meeting=meeting)
    assert feedback.recipient == "info@fjallbjork.example"
    link = next(m for m in mail.outbox if "/activities/feedback/" in m.body)
    path = re.search(r"(/activities/feedback/[A-Za-z0-9_-]{43}/)", link.body).group(1)

    # The customer rates the meeting (no sign-in).
    customer = page.context.browser.new_context(locale="en-GB").new_page()
    customer.goto(live_server.url + path)
    customer.get_by_label("4").check()
    customer.get_by_label("Comment (optional)").fill("Well prepared")
    customer.get_by_role("button", name="Send").click()
    expect(customer.get_by_test_id("feedback-thanks")).to_be_visible()
    feedback.refresh_from_db()
    assert feedback.rating == 4
    customer.context.close()
