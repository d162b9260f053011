"""iCalendar (RFC 5545) for meetings: invitations (METHOD:REQUEST / CANCEL) and feeds.

A meeting keeps one ``UID`` for life; ``SEQUENCE`` is the meeting's counter, bumped by the
services whenever a change is sent, so calendar clients replace the earlier version. Times are
written in the meeting's time zone with its VTIMEZONE, so a meeting on a DST change day lands
at the right local time.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Frontoffice//Meetings//EN"


def _address(email: str, name: str = "", role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(name)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def meeting_event(meeting, *, cancelled: bool = False, with_attendees: bool = True) -> Event:
    tz = zoneinfo.ZoneInfo(meeting.time_zone or settings.TIME_ZONE)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", meeting.title)
    if meeting.where:
        event.add("location", meeting.where)
    if meeting.agenda:
        event.add("description", meeting.agenda)
    event.add("status", "CANCELLED" if cancelled or meeting.status == "cancelled" else "CONFIRMED")
    organiser = meeting.organiser
    event.add("organizer", _address(organiser.email, organiser.get_full_name()))
    if with_attendees:
        party = meeting.party
        if party.email:
            event.add("attendee", _address(party.email, party.display_name, "REQ-PARTICIPANT"))
        for user in meeting.attendees.all():
            if user.email:
                event.add("attendee", _address(user.email, user.get_full_name(), "REQ-PARTICIPANT"))
    return event


def _calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def invitation_ics(meeting, *, cancel: bool = False) -> bytes:
    """The invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL) of one meeting."""
    cal = _calendar("CANCEL" if cancel else "REQUEST")
    cal.add_component(meeting_event(meeting, cancelled=cancel))
    cal.add_missing_timezones()
    return cal.to_ical()


def feed_ics(meetings: Iterable, *, name: str) -> bytes:
    """A calendar feed of ``meetings`` (no METHOD: a published calendar, not a message)."""
    cal = _calendar(None)
    cal.add("x-wr-calname", name)
    for meeting in meetings:
        cal.add_component(meeting_event(meeting, with_attendees=False))
    cal.add_missing_timezones()
    return cal.to_ical()
