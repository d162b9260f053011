"""Confirmation, change, cancellation and reminder e-mails with an iCalendar attachment.

The e-mail is written in the party's language (Swedish or English, English otherwise) and
carries the self check-in code and a link to the kiosk page. The attachment is one VEVENT
with a stable ``UID`` (``appointment-<pk>@<host>``), ``SEQUENCE`` = the appointment's
``sequence`` (bumped on every move and on cancellation) and ``METHOD:REQUEST``, or
``METHOD:CANCEL`` with ``STATUS:CANCELLED`` for a cancellation. Times are written in
UTC, so daylight-saving days (even the hour that occurs twice in October) land right
in every calendar client, which shows them in its own local time.
Health-related notes are never included.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vText

from frontoffice.appointments import rules
from frontoffice.core.tasks import email_enqueue

PRODID = "-//Frontoffice//Appointments//EN"
LANGUAGES = ("en", "sv")


def uid(appointment) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "frontoffice"
    return f"appointment-{appointment.pk}@{host}"


def checkin_url(appointment) -> str:
    """The self check-in link printed in e-mails (the reception app's kiosk page)."""
    try:
        path = reverse("reception_public:checkin-code", kwargs={"code": appointment.booking_code})
    except NoReverseMatch:
        path = f"/k/?code={appointment.booking_code}"
    return settings.SITE_URL.rstrip("/") + path


def appointment_ics(appointment, *, cancel: bool = False) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    # UTC: unambiguous even for a local time that occurs twice on the autumn change day.
    event.add("dtstart", appointment.start_at.astimezone(datetime.UTC))
    event.add("dtend", appointment.end_at.astimezone(datetime.UTC))
    event.add("summary", f"{appointment.appointment_type.name}, {appointment.location.name}")
    address = ", ".join(
        p for p in (appointment.location.name, appointment.location.street, appointment.location.city) if p
    )
    event.add("location", vText(address))
    event.add("description", _("Self check-in code: %(code)s") % {"code": appointment.booking_code_display})
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()


def _language(party) -> str:
    language = (getattr(party, "language", "") or "").split("-")[0].lower()
    return language if language in LANGUAGES else "en"


SUBJECTS = {
    "confirmation": lambda: _("Your appointment at %(location)s on %(when)s"),
    "update": lambda: _("Your appointment at %(location)s has moved to %(when)s"),
    "cancel": lambda: _("Your appointment at %(location)s on %(when)s is cancelled"),
    "reminder": lambda: _("Reminder: your appointment at %(location)s on %(when)s"),
}


def render_email(appointment, *, kind: str) -> tuple[str, str, bytes]:
    """(subject, body, ics) in the party's language."""
    zone = rules.location_zone(appointment.location)
    with translation.override(_language(appointment.party)), timezone.override(zone):
        local_start = appointment.start_at.astimezone(zone)
        when = rules.local_time(appointment.start_at, appointment.location)
        subject = SUBJECTS[kind]() % {"location": appointment.location.name, "when": when}
        body = render_to_string(
            "appointments/email/appointment.txt",
            {
                "kind": kind,
                "appointment": appointment,
                "party": appointment.party,
                "location": appointment.location,
                "local_start": local_start,
                "local_end": appointment.end_at.astimezone(zone),
                "when": when,
                "code": appointment.booking_code_display,
                "checkin_url": checkin_url(appointment),
            },
        )
        ics = appointment_ics(appointment, cancel=kind == "cancel")
    return subject, body, ics


def appointment_email(appointment, *, kind: str) -> bool:
    """Queue the e-mail of ``kind`` (sent after commit); False when the party has no e-mail."""
    email = getattr(appointment.party, "email", "")
    if not email or appointment.anonymised_at:
        return False
    subject, body, ics = render_email(appointment, kind=kind)
    method = "CANCEL" if kind == "cancel" else "REQUEST"
    email_enqueue(
        subject=subject,
        body=body,
        to=[email],
        attachments=[("appointment.ics", ics, f"text/calendar; method={method}; charset=utf-8")],
    )
    if kind == "confirmation":
        from frontoffice.appointments.services import mark_sent

        mark_sent(appointment.pk, "confirmation_sent_at")
    return True


def send_reminders(*, now: datetime.datetime | None = None) -> int:
    """E-mail a reminder for every booked appointment of tomorrow (local day); returns how many.

    Idempotent: each appointment's ``reminder_sent_at`` is claimed with a conditional update
    before its e-mail is queued, so running twice (or in two workers) sends one reminder.
    A moved appointment gets a new reminder (the move clears the marker).
    """
    from django.db import transaction

    from frontoffice.appointments.models import Appointment, AppointmentEvent
    from frontoffice.appointments.services import mark_sent

    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    tomorrow = now.astimezone(zone).date() + datetime.timedelta(days=1)
    # A wide window (the day in every European time zone); the local day is checked per row.
    start = datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=zone) - datetime.timedelta(hours=3)
    end = start + datetime.timedelta(hours=30)
    candidates = (
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            reminder_sent_at__isnull=True,
            start_at__gte=start,
            start_at__lt=end,
        )
        .select_related("location", "resource", "appointment_type", "party")
        .defer("health_notes")
        .order_by("start_at")
    )
    sent = 0
    for appointment in candidates:
        local_zone = rules.location_zone(appointment.location)
        if appointment.start_at.astimezone(local_zone).date() != now.astimezone(
            local_zone
        ).date() + datetime.timedelta(days=1):
            continue
        with transaction.atomic():
            if not mark_sent(appointment.pk, "reminder_sent_at"):
                continue  # claimed by another run
            if appointment_email(appointment, kind="reminder"):
                AppointmentEvent.objects.create(
                    appointment=appointment, at=now, kind=AppointmentEvent.Kind.REMINDED
                )
                sent += 1
    return sent
