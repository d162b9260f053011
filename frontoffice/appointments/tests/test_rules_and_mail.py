"""Daylight saving, booking codes, free slots, confirmation/reminder e-mails with iCalendar."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from icalendar import Calendar

from frontoffice.appointments.codes import normalise_code
from frontoffice.appointments.models import Absence
from frontoffice.appointments.notifications import appointment_ics, send_reminders
from frontoffice.appointments.selectors import appointment_by_code, day_calendar, free_slots
from frontoffice.appointments.services import appointment_book, appointment_cancel, appointment_move
from frontoffice.appointments.tests.factories import STHLM, TODAY, at

pytestmark = pytest.mark.django_db
TOMORROW = TODAY + datetime.timedelta(days=1)


def book(org, setup, start, **kw):
    kw.setdefault("party", setup.patient)
    kw.setdefault("resource", setup.dentist)
    kw.setdefault("appointment_type", setup.checkup)
    return appointment_book(actor=org.user("receptionist"), location=setup.location, start_at=start, **kw)


def ics_of(message):
    (name, content, mimetype) = message.attachments[0]
    assert name == "appointment.ics" and mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


@pytest.mark.parametrize(
    ("day", "hour", "local_end"),
    [
        (datetime.date(2026, 3, 29), 1, "03:30"),  # clocks go forward at 02:00: 60 minutes end at 03:30
        (
            datetime.date(2026, 10, 25),
            2,
            "02:30",
        ),  # clocks go back at 03:00: the wall clock shows 02:30 again
        (datetime.date(2026, 3, 29), 10, "11:00"),
    ],
)
def test_daylight_saving_days_last_the_duration(org, setup, now, day, hour, local_end):
    now.move_to(datetime.datetime(2026, 3, 1, 8, tzinfo=STHLM))
    setup.location.opening_hours = {**setup.location.opening_hours, "sun": [["00:00", "23:59"]]}
    setup.location.save()
    setup.dentist.working_hours.create(weekday=6, start_time="00:00", end_time="23:59")
    setup.cleaning.duration_minutes = 60
    setup.cleaning.save()
    appt = book(
        org,
        setup,
        at(day, hour, 30 if hour < 10 else 0),
        appointment_type=setup.cleaning,
        party=setup.patient_en,
    )
    assert appt.end_at - appt.start_at == datetime.timedelta(minutes=60)
    assert f"{appt.end_at.astimezone(STHLM):%H:%M}" == local_end
    grid = day_calendar(user=org.user("receptionist"), location=setup.location, day=day)
    block = next(b for c in grid.columns for b in c.blocks if b.kind == "appt")
    label_rows = dict(grid.times)
    start_label = f"{appt.start_at.astimezone(STHLM):%H}:{'30' if hour < 10 else '00'}"
    assert label_rows[block.row] == start_label
    ics_event = Calendar.from_ical(appointment_ics(appt)).walk("VEVENT")[0]
    utc = datetime.UTC
    assert ics_event.decoded("dtstart").astimezone(utc) == appt.start_at.astimezone(utc)
    assert ics_event.decoded("dtend").astimezone(utc) - ics_event.decoded("dtstart").astimezone(utc) == (
        datetime.timedelta(minutes=60)
    )


def test_codes_malformed_unknown_and_known(org, setup):
    appt = book(org, setup, at(TOMORROW, 9))
    for bad in ["", "abc", "ABCD-EFG0", "ABCD EFGH I", "'; drop table"]:
        with pytest.raises(ValidationError) as exc:
            appointment_by_code(bad)
        assert exc.value.code == "malformed_code"
    assert appointment_by_code("ABCD-EFGH") is None or appointment_by_code("ABCD-EFGH").pk != appt.pk
    code = appt.booking_code
    assert appointment_by_code(f" {code[:4].lower()}-{code[4:]} ").pk == appt.pk
    assert appointment_by_code(code, location=setup.other_location) is None
    assert normalise_code(appt.booking_code_display) == code


def test_free_slots_follow_the_rules(org, setup):
    book(org, setup, at(TOMORROW, 8), appointment_type=setup.cleaning)  # 08:00-09:00
    Absence.objects.create(resource=setup.dentist, start_at=at(TOMORROW, 9, 30), end_at=at(TOMORROW, 16))
    slots = free_slots(resource=setup.dentist, appointment_type=setup.checkup, after=at(TOMORROW, 0), count=4)
    # 09:00 free; 09:15 would run into the absence; the afternoon from 16:00; 16:30 needs 10 min buffer: ok up to 16:30.
    assert slots == [at(TOMORROW, 9), at(TOMORROW, 16), at(TOMORROW, 16, 15), at(TOMORROW, 16, 30)]
    # Every suggested slot can really be booked.
    for slot in slots[:1]:
        book(org, setup, slot, party=setup.patient_en)
    # Christmas Day is skipped
    slots = free_slots(
        resource=setup.dentist,
        appointment_type=setup.cleaning,
        after=at(datetime.date(2026, 12, 24), 16, 30),
        count=1,
    )
    assert slots == [at(datetime.date(2026, 12, 28), 8)]


def test_confirmation_move_cancel_emails_carry_ics(org, setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appt = book(org, setup, at(TOMORROW, 9), notes="Wheelchair", health_notes="Allergic to latex")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    assert appt.booking_code_display in message.body
    assert "/k/" in message.body
    assert "latex" not in message.body
    cal = ics_of(message)
    assert str(cal["method"]) == "REQUEST"
    event = cal.walk("VEVENT")[0]
    uid = str(event["uid"])
    assert uid.startswith(f"appointment-{appt.pk}@")
    assert int(event["sequence"]) == 0
    assert event.decoded("dtstart") == at(TOMORROW, 9)
    assert event.decoded("dtend") == at(TOMORROW, 9, 30)
    assert "latex" not in cal.to_ical().decode()
    appt.refresh_from_db()
    assert appt.confirmation_sent_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        appointment_move(actor=org.user("receptionist"), appointment=appt, start_at=at(TOMORROW, 10))
    event = ics_of(mail.outbox[1]).walk("VEVENT")[0]
    assert str(event["uid"]) == uid and int(event["sequence"]) == 1
    assert event.decoded("dtstart") == at(TOMORROW, 10)

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=org.user("receptionist"), appointment=appt, reason="Ill")
    cal = ics_of(mail.outbox[2])
    event = cal.walk("VEVENT")[0]
    assert str(cal["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == uid and int(event["sequence"]) == 2


def test_email_language_follows_the_party(org, setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book(org, setup, at(TOMORROW, 9), party=setup.patient_en)
    assert mail.outbox[0].subject.startswith("Your appointment at North Dental Clinic")
    assert "Hello John" in mail.outbox[0].body


def test_reminders_are_sent_once_the_day_before(org, setup, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tomorrow = book(org, setup, at(TOMORROW, 9), party=setup.patient_en)
        book(org, setup, at(TOMORROW + datetime.timedelta(days=1), 9), party=setup.patient_en)
        cancelled = book(org, setup, at(TOMORROW, 11))
        appointment_cancel(actor=org.user("receptionist"), appointment=cancelled, reason="x")
    mail.outbox.clear()
    now.move_to(at(TODAY, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders() == 1
    with django_capture_on_commit_callbacks(execute=True):
        call_command("appointments_send_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Reminder: your appointment")
    assert str(ics_of(mail.outbox[0]).walk("VEVENT")[0]["uid"]).startswith(f"appointment-{tomorrow.pk}@")
    tomorrow.refresh_from_db()
    assert tomorrow.reminder_sent_at is not None


def test_swedish_confirmation_and_reminder_carry_the_check_in_code_and_ics(
    org, setup, now, django_capture_on_commit_callbacks
):
    """The patient's language is Swedish: subject and body in Swedish, the booking code, the
    check-in link and the calendar file in both the confirmation and the reminder."""
    assert setup.patient.language == "sv"
    with django_capture_on_commit_callbacks(execute=True):
        appt = book(org, setup, at(TOMORROW, 9))
    confirmation = mail.outbox[-1]
    assert confirmation.subject.startswith("Din tid hos North Dental Clinic")
    assert confirmation.body.startswith("Hej Anna,")
    assert "Din tid hos North Dental Clinic är bokad:" in confirmation.body
    assert appt.booking_code_display in confirmation.body
    assert f"/k/c/{appt.booking_code}/" in confirmation.body
    event = ics_of(confirmation).walk("VEVENT")[0]
    assert str(event["description"]) == f"Kod för självincheckning: {appt.booking_code_display}"
    mail.outbox.clear()
    now.move_to(at(TODAY, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders() == 1
    reminder = mail.outbox[0]
    assert reminder.subject.startswith("Påminnelse: din tid hos North Dental Clinic")
    assert "En påminnelse om din tid hos North Dental Clinic i morgon:" in reminder.body
    assert appt.booking_code_display in reminder.body
    assert ics_of(reminder).walk("VEVENT")[0].decoded("dtstart") == at(TOMORROW, 9)


def test_a_location_in_another_time_zone_books_and_checks_in_by_its_own_clock(
    org, setup, now, django_capture_on_commit_callbacks
):
    """The sales office is moved to London (UTC+0 in December, Stockholm UTC+1): its opening
    hours, its day and its e-mails follow London time; stored times are UTC."""
    from zoneinfo import ZoneInfo

    from frontoffice.appointments.services import appointment_set_status

    london = ZoneInfo("Europe/London")
    office = setup.other_location
    office.time_zone = "Europe/London"
    office.save(update_fields=["time_zone"])
    admin = org.user("admin")

    def book_there(local: datetime.datetime):
        return appointment_book(
            actor=admin,
            location=office,
            resource=setup.other_resource,
            appointment_type=setup.checkup,
            party=setup.other_patient,
            start_at=local,
        )

    # 07:30 in London is 08:30 in Stockholm: the Stockholm clinic would be open, London is not.
    with pytest.raises(ValidationError) as exc:
        book_there(datetime.datetime.combine(TOMORROW, datetime.time(7, 30), tzinfo=london))
    assert exc.value.error_dict["start_at"][0].code == "outside_opening_hours"
    with pytest.raises(ValidationError) as exc:  # 16:45 London ends 17:15, after closing
        book_there(datetime.datetime.combine(TOMORROW, datetime.time(16, 45), tzinfo=london))
    assert exc.value.error_dict["start_at"][0].code == "outside_opening_hours"
    with django_capture_on_commit_callbacks(execute=True):
        appt = book_there(datetime.datetime.combine(TOMORROW, datetime.time(8, 0), tzinfo=london))
    assert appt.start_at == at(TOMORROW, 9)  # the same instant as 09:00 in Stockholm
    assert appt.start_at.astimezone(datetime.UTC).hour == 8
    message = mail.outbox[-1]
    assert "08:00" in message.subject and "09:00" not in message.subject
    assert ics_of(message).walk("VEVENT")[0].decoded("dtstart").astimezone(datetime.UTC) == appt.start_at
    grid = day_calendar(user=admin, location=office, day=TOMORROW)
    block = next(b for c in grid.columns for b in c.blocks if b.kind == "appt")
    assert dict(grid.times)[block.row] == "08:00"
    # 23:30 in London on Tuesday is already Wednesday 00:30 in Stockholm: still the day before
    # the appointment at the office, so check-in is refused; at 07:50 London it is accepted.
    now.move_to(datetime.datetime.combine(TODAY, datetime.time(23, 30), tzinfo=london))
    with pytest.raises(ValidationError) as exc:
        appointment_set_status(actor=admin, appointment=appt, status="checked_in")
    assert exc.value.error_dict["status"][0].code == "other_day"
    now.move_to(datetime.datetime.combine(TOMORROW, datetime.time(7, 50), tzinfo=london))
    appt = appointment_set_status(actor=admin, appointment=appt, status="checked_in")
    assert appt.status == "checked_in"
