"""Pages: calendars, booking (also HTMX from a slot), detail actions, settings; scope and denials."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from frontoffice.appointments.models import Appointment, Resource
from frontoffice.appointments.services import appointment_book
from frontoffice.appointments.tests.factories import TODAY, at, make_patient

pytestmark = pytest.mark.django_db
TOMORROW = TODAY + datetime.timedelta(days=1)


def book(org, setup, start, **kw):
    kw.setdefault("party", setup.patient)
    kw.setdefault("resource", setup.dentist)
    kw.setdefault("appointment_type", setup.checkup)
    return appointment_book(actor=org.user("receptionist"), location=setup.location, start_at=start, **kw)


def test_day_calendar_shows_bookings_free_slots_and_never_health_notes(org, setup, client_for):
    book(org, setup, at(TOMORROW, 9), health_notes="Allergic to latex", notes="Wheelchair")
    client = client_for("receptionist")
    response = client.get(reverse("appointments:calendar-day"), {"date": TOMORROW.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Anna Svensson" in html and "Check-up" in html
    assert "latex" not in html and "Wheelchair" not in html
    assert 'data-testid="cal-free"' in html
    assert f"start={TOMORROW.isoformat()}T09:45" in html  # 09:30-09:40 is the buffer
    assert f"resource={setup.dentist.pk}&amp;start={TOMORROW.isoformat()}T09:00" not in html
    today = client.get(reverse("appointments:today"), {"date": TOMORROW.isoformat()})
    assert "Anna Svensson" in today.content.decode() and "latex" not in today.content.decode()


def test_day_calendar_query_count_is_constant(org, setup, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("receptionist")
    url = reverse("appointments:calendar-day")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"date": TOMORROW.isoformat()})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    book(org, setup, at(TOMORROW, 8))
    few = queries()
    for n in range(12):
        party = make_patient(org, setup.location, f"Person N{n}")
        resource = [setup.hygienist, setup.room][n % 2]
        book(org, setup, at(TOMORROW, 8 + n // 2), party=party, resource=resource)
    assert queries() == few
    response = client.get(url, {"date": TOMORROW.isoformat()})
    assert response.content.decode().count('data-testid="cal-appointment"') == 13


def test_week_calendar(org, setup, client_for):
    book(org, setup, at(TOMORROW, 9))
    response = client_for("receptionist").get(
        reverse("appointments:calendar-week"), {"date": TOMORROW.isoformat(), "resource": setup.dentist.pk}
    )
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="cal-appointment"') == 1
    overview = client_for("receptionist").get(
        reverse("appointments:calendar-week"), {"date": TOMORROW.isoformat()}
    )
    html = overview.content.decode()
    assert 'data-testid="week-overview"' in html and html.count('data-testid="week-appointment"') == 1
    assert "Anna Svensson" in html


def test_booking_from_an_empty_slot_with_htmx(org, setup, client_for):
    client = client_for("receptionist")
    url = reverse("appointments:appointment-create")
    form = client.get(
        url,
        {"location": setup.location.pk, "resource": setup.dentist.pk, "start": f"{TOMORROW}T10:15"},
        headers={"HX-Request": "true"},
    )
    assert form.status_code == 200
    html = form.content.decode()
    assert "<html" not in html and 'value="10:15"' in html
    data = {
        "location": setup.location.pk,
        "party": setup.patient.pk,
        "appointment_type": setup.checkup.pk,
        "resource": setup.dentist.pk,
        "day": TOMORROW.isoformat(),
        "time": "10:15",
    }
    response = client.post(url, data, headers={"HX-Request": "true"})
    appointment = Appointment.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("appointments:appointment-detail", args=[appointment.pk])
    assert appointment.start_at == at(TOMORROW, 10, 15)
    # The same slot again: the form comes back with the clear message, nothing written.
    response = client.post(url, {**data, "party": setup.patient_en.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "already booked" in response.content.decode()
    assert Appointment.objects.count() == 1
    # Outside opening hours
    response = client.post(url, {**data, "time": "18:00"})
    assert "not open" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_detail_actions_move_cancel_follow_up(org, setup, client_for, now):
    appointment = book(org, setup, at(TOMORROW, 9), health_notes="Allergic to latex")
    client = client_for("receptionist")
    detail = client.get(reverse("appointments:appointment-detail", args=[appointment.pk]))
    assert "latex" in detail.content.decode()  # the appointment itself shows them
    response = client.post(
        reverse("appointments:appointment-move", args=[appointment.pk]),
        {"resource": setup.hygienist.pk, "day": TOMORROW.isoformat(), "time": "11:00"},
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.resource, appointment.start_at) == (setup.hygienist, at(TOMORROW, 11))
    client.post(reverse("appointments:appointment-cancel", args=[appointment.pk]), {"reason": ""})
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    client.post(reverse("appointments:appointment-cancel", args=[appointment.pk]), {"reason": "Ill"})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_follow_up_page_suggests_next_free_slot(org, setup, client_for, now):
    from frontoffice.appointments.services import appointment_set_status

    appointment = book(org, setup, at(TODAY, 10))
    now.move_to(at(TODAY, 10))
    user = org.user("receptionist")
    appointment_set_status(actor=user, appointment=appointment, status="checked_in")
    appointment_set_status(actor=user, appointment=appointment, status="done")
    client = client_for("receptionist")
    url = reverse("appointments:appointment-follow-up", args=[appointment.pk])
    page = client.get(url)
    assert 'data-testid="suggestions"' in page.content.decode()
    response = client.post(
        url,
        {
            "appointment_type": setup.cleaning.pk,
            "resource": setup.dentist.pk,
            "day": TOMORROW.isoformat(),
            "time": "13:00",
        },
    )
    follow = Appointment.objects.get(follow_up_of=appointment)
    assert response.status_code == 302 and follow.start_at == at(TOMORROW, 13)


def test_free_slots_partial(org, setup, client_for):
    response = client_for("receptionist").get(
        reverse("appointments:free-slots"),
        {"location": setup.location.pk, "resource": setup.dentist.pk, "appointment_type": setup.checkup.pk},
    )
    assert response.status_code == 200
    assert response.content.decode().count("<li>") == 8


def test_denials_and_scope(org, setup, client_for):
    other = appointment_book(
        actor=org.user("admin"),
        location=setup.other_location,
        resource=setup.other_resource,
        appointment_type=setup.checkup,
        party=setup.other_patient,
        start_at=at(TOMORROW, 9),
    )
    mine = book(org, setup, at(TOMORROW, 9))
    client = client_for("receptionist")
    # Out of scope: 404 for the other location's appointment, calendar and slots
    assert client.get(reverse("appointments:appointment-detail", args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("appointments:calendar-day"), {"location": setup.other_location.pk}).status_code
        == 404
    )
    assert (
        client.post(reverse("appointments:appointment-cancel", args=[other.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert client.get(reverse("appointments:appointment-detail", args=[mine.pk])).status_code == 200
    page = client.get(reverse("appointments:calendar-day"), {"date": TOMORROW.isoformat()}).content.decode()
    assert "Olle Other" not in page
    # No permission: 403
    rep = client_for("rep_north")
    assert rep.get(reverse("appointments:calendar-day")).status_code == 403
    assert rep.get(reverse("appointments:appointment-detail", args=[mine.pk])).status_code == 403
    assert client_for("receptionist").get(reverse("appointments:resource-list")).status_code == 403
    # The office manager manages the resources of the clinic only
    manager = client_for("office_manager")
    assert manager.get(reverse("appointments:resource-list")).status_code == 200
    assert (
        manager.get(reverse("appointments:resource-edit", args=[setup.other_resource.pk])).status_code == 404
    )


def test_resource_settings(org, setup, client_for):
    client = client_for("office_manager")
    response = client.post(
        reverse("appointments:resource-list"),
        {
            "location": setup.location.pk,
            "name": "Dr Nyberg",
            "kind": "practitioner",
            "position": 3,
            "active": "on",
        },
    )
    resource = Resource.objects.get(name="Dr Nyberg")
    assert response.status_code == 302 and resource.location == setup.location
    url = reverse("appointments:resource-edit", args=[resource.pk])
    data = {
        "section": "hours",
        "hours-TOTAL_FORMS": "2",
        "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0",
        "hours-0-start_time": "08:00",
        "hours-0-end_time": "12:00",
        "hours-1-weekday": "0",
        "hours-1-start_time": "11:00",
        "hours-1-end_time": "15:00",
    }
    response = client.post(url, data)
    assert "overlap" in response.content.decode()
    assert not resource.working_hours.exists()
    data["hours-1-start_time"] = "13:00"
    assert client.post(url, data).status_code == 302
    assert resource.working_hours.count() == 2
    response = client.post(
        url,
        {
            "section": "absence",
            "start_day": TOMORROW.isoformat(),
            "start_time": "08:00",
            "end_day": TOMORROW.isoformat(),
            "end_time": "12:00",
            "reason": "Course",
        },
    )
    assert response.status_code == 302 and resource.absences.count() == 1


def test_party_panel_lists_appointments(org, setup, client_for):
    book(org, setup, at(TOMORROW, 9), health_notes="Allergic to latex")
    response = client_for("receptionist").get(reverse("parties:party-detail", args=[setup.patient.pk]))
    html = response.content.decode()
    assert 'data-testid="party-appointments"' in html and "Check-up" in html and "latex" not in html
