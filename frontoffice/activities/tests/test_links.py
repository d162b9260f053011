"""Feedback links (single use, expiry, guessed tokens) and personal calendar feeds (own
meetings only, bad and revoked tokens)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from icalendar import Calendar

from frontoffice.activities.models import MeetingFeedback
from frontoffice.activities.services.links import calendar_feed_create, calendar_feed_revoke, feedback_request
from frontoffice.activities.services.meetings import meeting_cancel, meeting_schedule
from frontoffice.activities.tests.conftest import at
from frontoffice.parties.models import Interaction

pytestmark = pytest.mark.django_db
DAY = "2026-12-01"


@pytest.fixture
def meeting(org, customer):
    return meeting_schedule(
        actor=org.user("rep_north"),
        party=customer,
        title="Review",
        starts_at=at(DAY, "10:00"),
        ends_at=at(DAY, "11:00"),
        send_invitation=False,
    )


def test_the_feedback_link_takes_one_answer_and_records_a_feedback_interaction_for_the_organiser(
    client, org, meeting
):
    token = feedback_request(meeting=meeting).token
    url = f"/activities/feedback/{token}/"
    page = client.get(url)
    assert page.status_code == 200 and b"How was our meeting?" in page.content
    assert page["Cache-Control"].startswith("no-store")
    bad = client.post(url, {"rating": "9"})
    assert bad.status_code == 200 and Interaction.objects.filter(kind="feedback").count() == 0
    done = client.post(url, {"rating": "4", "comment": "Well prepared"})
    assert done.status_code == 200 and b"Thank you" in done.content
    feedback = MeetingFeedback.objects.get()
    assert (feedback.rating, feedback.comment) == (4, "Well prepared")
    interaction = Interaction.objects.get(kind="feedback")
    assert interaction.owner_id == org.user("rep_north").pk
    assert interaction.direction == "inbound" and interaction.concerns == meeting
    assert interaction.subject.startswith("Meeting feedback: 4/5")
    again = client.post(url, {"rating": "1", "comment": "changed my mind"})
    assert again.status_code == 410
    feedback.refresh_from_db()
    assert feedback.rating == 4 and Interaction.objects.filter(kind="feedback").count() == 1


def test_an_expired_feedback_link_is_gone_and_a_guessed_one_is_not_found(client, org, meeting):
    with time_machine.travel(at(DAY, "12:00"), tick=False):
        token = feedback_request(meeting=meeting).token
    with time_machine.travel(at(DAY, "12:00") + datetime.timedelta(days=15), tick=False):
        assert client.get(f"/activities/feedback/{token}/").status_code == 410
        assert client.post(f"/activities/feedback/{token}/", {"rating": "5"}).status_code == 410
    guessed = "A" * 43
    assert client.get(f"/activities/feedback/{guessed}/").status_code == 404
    assert client.get("/activities/feedback/short/").status_code == 404
    assert MeetingFeedback.objects.get().answered_at is None
    assert MeetingFeedback.objects.get().token_hash != token  # only the digest is stored


def test_the_calendar_feed_shows_only_the_owners_meetings_and_refuses_bad_or_revoked_tokens(
    client, org, customer, south_customer, meeting
):
    manager = org.user("rsm_north")
    joint = meeting_schedule(
        actor=manager,
        party=customer,
        title="Joint",
        starts_at=at(DAY, "13:00"),
        ends_at=at(DAY, "14:00"),
        attendees=[org.user("rep_north")],
        send_invitation=False,
    )
    meeting_schedule(
        actor=org.user("rep_south"),
        party=south_customer,
        title="South only",
        starts_at=at(DAY, "10:00"),
        ends_at=at(DAY, "11:00"),
        send_invitation=False,
    )
    gone = meeting_schedule(
        actor=org.user("rep_north"),
        party=customer,
        title="Cancelled one",
        starts_at=at(DAY, "15:00"),
        ends_at=at(DAY, "16:00"),
        send_invitation=False,
    )
    meeting_cancel(actor=org.user("rep_north"), meeting=gone)
    token = calendar_feed_create(actor=org.user("rep_north")).token
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        response = client.get(f"/activities/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert cal.get("method") is None
    assert sorted(str(e["uid"]) for e in cal.walk("VEVENT")) == sorted([meeting.uid, joint.uid])
    assert "South only" not in response.content.decode()

    assert client.get(f"/activities/calendar/{'B' * 43}.ics").status_code == 404
    assert client.get("/activities/calendar/nonsense.ics").status_code == 404
    new_token = calendar_feed_create(actor=org.user("rep_north")).token
    assert client.get(f"/activities/calendar/{token}.ics").status_code == 404  # replaced
    assert client.get(f"/activities/calendar/{new_token}.ics").status_code == 200
    calendar_feed_revoke(actor=org.user("rep_north"))
    assert client.get(f"/activities/calendar/{new_token}.ics").status_code == 404


def test_the_feed_settings_page_shows_a_new_address_once(client_for, org):
    client = client_for("rep_north")
    page = client.post("/activities/calendar/", {"action": "create"})
    assert page.status_code == 200
    url = page.context["feed_url"]
    assert "/activities/calendar/" in url and url.endswith(".ics")
    assert client.get("/activities/calendar/").context["feed_url"] is None
    assert client_for("clerk").get("/activities/calendar/").status_code == 403
