"""Meetings: conflicts (edges, attendees, timed calls), DST, invitations parsed back, outcome."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from icalendar import Calendar

from frontoffice.activities.models import Activity, Meeting, MeetingFeedback
from frontoffice.activities.services.activities import activity_create
from frontoffice.activities.services.meetings import (
    meeting_cancel,
    meeting_record_outcome,
    meeting_schedule,
    meeting_update,
)
from frontoffice.activities.tests.conftest import STHLM, at
from frontoffice.parties.models import Interaction

pytestmark = pytest.mark.django_db
DAY = "2026-12-01"


def book(org, customer, start, end, **kwargs):
    kwargs.setdefault("title", "Review")
    return meeting_schedule(
        actor=kwargs.pop("actor", org.user("rep_north")),
        party=customer,
        starts_at=at(DAY, start) if isinstance(start, str) else start,
        ends_at=at(DAY, end) if isinstance(end, str) else end,
        **kwargs,
    )


def test_overlapping_meetings_are_refused_naming_the_conflict_and_back_to_back_is_fine(org, customer):
    book(org, customer, "10:00", "11:00", title="Quarterly review")
    for start, end in [("10:30", "11:30"), ("09:30", "10:01"), ("10:15", "10:45"), ("09:00", "12:00")]:
        with pytest.raises(ValidationError) as exc:
            book(org, customer, start, end)
        error = exc.value.error_dict["starts_at"][0]
        assert error.code == "conflict"
        assert "Quarterly review" in error.message % (error.params or {})
    book(org, customer, "11:00", "12:00")  # starts when the first ends
    book(org, customer, "09:00", "10:00")  # ends when the first starts
    assert Meeting.objects.count() == 3


def test_an_attendees_other_meeting_conflicts_too_but_a_cancelled_one_does_not(org, customer):
    manager = org.user("rsm_north")
    theirs = book(org, customer, "13:00", "14:00", actor=manager, title="Manager's meeting")
    with pytest.raises(ValidationError) as exc:
        book(org, customer, "13:30", "14:30", attendees=[manager])
    assert "Manager's meeting" in str(exc.value)
    # As an attendee of the rep's meeting, the manager blocks a booking of their own too.
    book(org, customer, "15:00", "16:00", attendees=[manager], title="Joint visit")
    with pytest.raises(ValidationError, match="Joint visit"):
        book(org, customer, "15:30", "16:30", actor=manager)
    meeting_cancel(actor=manager, meeting=theirs)
    book(org, customer, "13:30", "14:30", attendees=[manager])


def test_a_timed_open_call_blocks_the_calendar_and_a_done_one_does_not(org, customer):
    rep = org.user("rep_north")
    call = activity_create(
        actor=rep,
        party=customer,
        kind="call",
        subject="Planned call",
        due_at=at(DAY, "09:00"),
        duration_minutes=30,
    )
    with pytest.raises(ValidationError, match="Planned call"):
        book(org, customer, "09:15", "10:00")
    book(org, customer, "09:30", "10:00")
    call.done_at = at(DAY, "09:05")
    call.save()
    book(org, customer, "08:00", "09:20")


def test_a_meeting_on_the_spring_dst_day_keeps_its_local_time(org, customer):
    """On 29 March 2026 clocks in Stockholm jump from 02:00 to 03:00: 09:00 local is 07:00 UTC,
    the day before it was 08:00 UTC."""
    naive_start = datetime.datetime(2026, 3, 29, 9, 0)
    meeting = meeting_schedule(
        actor=org.user("rep_north"),
        party=customer,
        title="After DST",
        starts_at=naive_start,
        ends_at=naive_start + datetime.timedelta(hours=1),
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime.datetime(2026, 3, 29, 7, 0, tzinfo=datetime.UTC)
    before = meeting_schedule(
        actor=org.user("rep_north"),
        party=customer,
        title="Before DST",
        starts_at=datetime.datetime(2026, 3, 28, 9, 0),
        ends_at=datetime.datetime(2026, 3, 28, 10, 0),
    )
    before.refresh_from_db()
    assert before.starts_at == datetime.datetime(2026, 3, 28, 8, 0, tzinfo=datetime.UTC)
    # A meeting across the change: 01:30 to 03:30 local lasts one hour.
    night = meeting_schedule(
        actor=org.user("rep_north"),
        party=customer,
        title="Night",
        starts_at=datetime.datetime(2026, 3, 29, 1, 30),
        ends_at=datetime.datetime(2026, 3, 29, 3, 30),
    )
    assert night.ends_at - night.starts_at == datetime.timedelta(hours=1)
    cal = Calendar.from_ical(_ics_of(meeting))
    event = cal.walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime.datetime(2026, 3, 29, 9, 0, tzinfo=STHLM)
    assert event["dtstart"].params["TZID"] == "Europe/Stockholm"
    assert cal.walk("VTIMEZONE")


def _ics_of(meeting):
    from frontoffice.activities.ics import invitation_ics

    return invitation_ics(meeting)


def _invitation(message):
    for attachment in message.attachments:
        filename, content, mimetype = attachment
        if filename == "invite.ics":
            return Calendar.from_ical(content), mimetype
    raise AssertionError("no invitation attached")


def test_the_invitation_goes_to_customer_attendees_and_organiser_and_changes_bump_the_sequence(
    org, customer, django_capture_on_commit_callbacks
):
    manager = org.user("rsm_north")
    with django_capture_on_commit_callbacks(execute=True):
        meeting = book(
            org,
            customer,
            "10:00",
            "11:00",
            title="Demo",
            place="Storgatan 1",
            attendees=[manager],
            agenda="1. Needs\n2. Demo",
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["karin@example.com", "rep_north@example.com", "rsm_north@example.com"]
    cal, mimetype = _invitation(message)
    assert mimetype.startswith("text/calendar")
    assert str(cal["method"]) == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["uid"]) == meeting.uid
    assert int(event["sequence"]) == 0
    assert str(event["summary"]) == "Demo"
    assert str(event["location"]) == "Storgatan 1"
    assert event.decoded("dtstart") == at(DAY, "10:00")
    assert event.decoded("dtend") == at(DAY, "11:00")
    attendees = sorted(str(a) for a in event["attendee"])
    assert attendees == ["mailto:karin@example.com", "mailto:rsm_north@example.com"]
    assert str(event["organizer"]) == "mailto:rep_north@example.com"

    with django_capture_on_commit_callbacks(execute=True):
        meeting_update(
            actor=org.user("rep_north"), meeting=meeting, starts_at=at(DAY, "10:30"), ends_at=at(DAY, "11:30")
        )
    event = _invitation(mail.outbox[1])[0].walk("VEVENT")[0]
    assert str(event["uid"]) == meeting.uid and int(event["sequence"]) == 1
    assert event.decoded("dtstart") == at(DAY, "10:30")

    with django_capture_on_commit_callbacks(execute=True):
        meeting_update(actor=org.user("rep_north"), meeting=meeting, notes="internal only")
    assert len(mail.outbox) == 2  # notes are not news for the invitees

    with django_capture_on_commit_callbacks(execute=True):
        meeting_cancel(actor=org.user("rep_north"), meeting=meeting, reason="Customer ill")
    cal = _invitation(mail.outbox[2])[0]
    event = cal.walk("VEVENT")[0]
    assert str(cal["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == meeting.uid and int(event["sequence"]) == 2
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and meeting.cancel_reason == "Customer ill"
    with pytest.raises(ValidationError) as exc:
        meeting_update(actor=org.user("rep_north"), meeting=meeting, title="x")
    assert exc.value.code == "not_planned"


def test_bad_times_are_refused_with_the_field_named(org, customer):
    with pytest.raises(ValidationError) as exc:
        book(org, customer, "11:00", "10:00")
    assert exc.value.error_dict["ends_at"][0].code == "ends_before_start"
    with pytest.raises(ValidationError) as exc:
        book(org, customer, "10:00", "11:00", time_zone="Mars/Olympus")
    assert exc.value.error_dict["time_zone"][0].code == "time_zone"
    assert Meeting.objects.count() == 0


def test_recording_the_outcome_marks_held_records_the_interaction_plans_the_next_step_and_asks_feedback(
    org, customer, lead, django_capture_on_commit_callbacks
):
    rep = org.user("rep_north")
    meeting = meeting_schedule(
        actor=rep,
        party=customer,
        title="First meeting",
        starts_at=at(DAY, "10:00"),
        ends_at=at(DAY, "11:00"),
        lead=lead,
        send_invitation=False,
    )
    with pytest.raises(ValidationError) as exc, time_machine.travel(at(DAY, "09:00"), tick=False):
        meeting_record_outcome(actor=rep, meeting=meeting, outcome="Too early")
    assert exc.value.error_dict["outcome"][0].code == "not_started"
    with time_machine.travel(at(DAY, "11:05"), tick=False), django_capture_on_commit_callbacks(execute=True):
        meeting_record_outcome(
            actor=rep,
            meeting=meeting,
            outcome="Wants a quote",
            next_step="Send quote",
            next_step_on=datetime.date(2026, 12, 3),
        )
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.outcome == "Wants a quote"
    interaction = meeting.interaction
    assert (interaction.kind, interaction.channel, interaction.direction) == (
        "meeting",
        "in_person",
        "outbound",
    )
    assert interaction.started_at == at(DAY, "10:00") and interaction.duration_minutes == 60
    assert interaction.concerns == lead
    lead.refresh_from_db()
    assert lead.first_contact_at == at(DAY, "10:00") and lead.stage == "contacted"
    task = Activity.objects.get(meeting=meeting)
    assert (task.kind, task.subject, task.owner_id) == ("task", "Send quote", rep.pk)
    assert task.due_at == at("2026-12-03", "09:00")
    feedback = MeetingFeedback.objects.get(meeting=meeting)
    assert feedback.recipient == "karin@example.com" and feedback.answered_at is None
    assert [m.to for m in mail.outbox] == [["karin@example.com"]]
    assert "/activities/feedback/" in mail.outbox[0].body
    with pytest.raises(ValidationError):
        meeting_record_outcome(actor=rep, meeting=meeting, outcome="twice")
    assert Interaction.objects.filter(kind="meeting").count() == 1


def test_a_rep_cannot_change_another_reps_meeting(org, customer, south_customer):
    from django.core.exceptions import PermissionDenied

    south = meeting_schedule(
        actor=org.user("rep_south"),
        party=south_customer,
        title="South",
        starts_at=at(DAY, "10:00"),
        ends_at=at(DAY, "11:00"),
        send_invitation=False,
    )
    with pytest.raises(PermissionDenied):
        meeting_cancel(actor=org.user("rep_north"), meeting=south)
    south.refresh_from_db()
    assert south.status == "planned"
