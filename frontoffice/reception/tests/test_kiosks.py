"""The self check-in kiosk acts as itself (a system actor bound to its location), and setting one
up is gated by the training certificate of ``reception.kiosk`` when an administrator says so."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from frontoffice.appointments.models import AppointmentEvent
from frontoffice.appointments.services import appointment_book, appointment_set_status
from frontoffice.core.models import AuditEntry
from frontoffice.reception import services
from frontoffice.reception.models import Kiosk, Visit, VisitEvent
from frontoffice.reception.tests.factories import TODAY, at, book, book_raw
from frontoffice.training import services as training_services
from frontoffice.training.tests.conftest import complete, training  # noqa: F401 - the fixture course

pytestmark = pytest.mark.django_db

KIOSKS_API = "/api/v1/reception/kiosks/"


@pytest.fixture
def kiosk(org, setup):
    return services.kiosk_create(actor=org.user("office_manager"), location=setup.location, name="Tablet")


def _kiosk_post(key: str, code: str):
    return Client().post(reverse("reception_public:kiosk", kwargs={"key": key}), {"code": code})


# ---------------------------------------------------------------- the kiosk as actor


def test_kiosk_check_in_is_recorded_as_the_kiosk_of_its_location_set_up_by_its_user(org, setup, now, kiosk):
    found, key = kiosk
    manager = org.user("office_manager")
    appt = book(org, setup, 9)
    now.move_to(at(TODAY, 8, 45))
    audits_by_manager = AuditEntry.objects.filter(actor=manager).count()

    assert 'data-testid="kiosk-welcome"' in _kiosk_post(key, appt.booking_code).content.decode()

    described = (
        f"Kiosk “Tablet” (#{found.pk}) at North Dental Clinic, set up by Office_Manager Test (#{manager.pk})"
    )
    visit = Visit.objects.get(appointment=appt)
    assert (visit.via, visit.receptionist) == ("kiosk", None)
    event = AppointmentEvent.objects.get(appointment=appt, kind="status")
    assert (event.actor, event.to_status, event.note) == (None, "checked_in", described)
    assert VisitEvent.objects.get(visit=visit).note == described
    for action, obj_id in (
        ("appointments.appointment.status", appt.pk),
        ("reception.visit.checked_in", visit.pk),
    ):
        entry = AuditEntry.objects.get(action=action, object_id=str(obj_id))
        assert entry.actor is None  # nobody signed in did it
        assert entry.changes["by"] == [None, described]
        assert entry.changes["kiosk"] == [None, found.pk]
        assert entry.changes["set_up_by"] == [None, manager.pk]
    # Nothing is attributed to the office manager who set the kiosk up.
    assert AuditEntry.objects.filter(actor=manager).count() == audits_by_manager
    # The appointment page's history names the kiosk.
    body = Client()
    body.force_login(org.user("receptionist"))
    page = body.get(reverse("appointments:appointment-detail", args=[appt.pk])).content.decode()
    assert "Kiosk “Tablet”" in page


def test_kiosk_keeps_working_after_its_creator_loses_access_until_it_is_revoked(org, setup, now, kiosk):
    found, key = kiosk
    manager = org.user("office_manager")
    manager.is_active = False  # left the clinic: no permissions any more
    manager.save(update_fields=["is_active"])
    first, second = book(org, setup, 9), book(org, setup, 10)
    now.move_to(at(TODAY, 8, 45))
    assert 'data-testid="kiosk-welcome"' in _kiosk_post(key, first.booking_code).content.decode()
    first.refresh_from_db()
    assert first.status == "checked_in"
    services.kiosk_revoke(actor=org.user("admin"), kiosk=found)
    now.move_to(at(TODAY, 9, 45))
    assert _kiosk_post(key, second.booking_code).status_code == 404
    second.refresh_from_db()
    assert second.status == "booked" and Visit.objects.count() == 1


def test_the_kiosk_actor_may_only_check_in_and_only_at_its_own_location(org, setup, now, kiosk):
    found, _key = kiosk
    actor = services.kiosk_actor(found)
    assert actor.is_authenticated is False and actor.has_perm("appointments.change_appointment") is False
    here = book(org, setup, 9)
    there = book_raw(setup, at(TODAY, 9), resource=setup.other_resource, party=setup.other_patient)
    now.move_to(at(TODAY, 8, 45))
    with pytest.raises(PermissionDenied):
        appointment_set_status(actor=actor, appointment=there, status="checked_in")
    with pytest.raises(PermissionDenied):
        services.visit_check_in(actor=actor, appointment=there, via=Visit.Via.KIOSK)
    with pytest.raises(PermissionDenied):
        appointment_set_status(actor=actor, appointment=here, status="called_in")
    with pytest.raises(PermissionDenied):
        appointment_book(
            actor=actor,
            location=setup.location,
            resource=setup.dentist,
            appointment_type=setup.checkup,
            party=setup.patient,
            start_at=at(TODAY, 11),
        )
    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.status, there.status) == ("booked", "booked")
    assert not Visit.objects.exists()
    # Through the kiosk's own door it works.
    visit = services.kiosk_check_in(kiosk=found, code=here.booking_code)
    assert visit.appointment_id == here.pk and visit.ticket_number == 1


# ---------------------------------------------------------------- the training gate


def _certify(training, org, name: str) -> None:  # noqa: F811 - the fixture's value
    assignment = training_services.course_assign(
        actor=org.user("admin"), course=training.course, people=[training.staff[name]]
    )[0]
    complete(training.course, org.user(name), assignment)


def test_kiosk_set_up_is_refused_without_the_gated_certificate_in_service_ui_and_api(
    org,
    setup,
    now,
    client_for,
    training,  # noqa: F811
):
    training_services.gate_set(actor=org.user("admin"), capability="reception.kiosk", course=training.course)
    course_url = reverse("training:course-detail", args=[training.course.pk])
    manager = org.user("office_manager")

    with pytest.raises(ValidationError) as exc:
        services.kiosk_create(actor=manager, location=setup.location, name="Tablet")
    assert exc.value.code == "certificate_required" and course_url in exc.value.messages[0]

    client = client_for("office_manager")
    response = client.post(
        reverse("reception:settings"), {"action": "kiosk", "name": "Tablet", "screen_shows": "tickets"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "needs a valid certificate" in body and course_url in body
    assert 'data-testid="kiosk-url"' not in body

    response = client.post(KIOSKS_API, {"name": "Tablet"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "certificate_required" and course_url in response.json()["message"]
    assert Kiosk.objects.count() == 0
    assert not AuditEntry.objects.filter(action="reception.kiosk.created").exists()

    # With a valid certificate the same set-up goes through, in the UI and the API.
    _certify(training, org, "office_manager")
    response = client.post(
        reverse("reception:settings"), {"action": "kiosk", "name": "Tablet", "screen_shows": "tickets"}
    )
    assert 'data-testid="kiosk-url"' in response.content.decode()
    response = client.post(
        KIOSKS_API, {"name": "Screen", "screen_shows": "initials"}, content_type="application/json"
    )
    assert response.status_code == 201
    data = response.json()
    assert data["name"] == "Screen" and data["screen_shows"] == "initials" and "/k/" in data["url"]
    assert data["location"]["id"] == setup.location.pk
    assert Kiosk.objects.count() == 2


def test_ungated_kiosk_set_up_needs_only_the_permission_and_the_location(org, setup, now, client_for):
    client = client_for("office_manager")
    response = client.post(KIOSKS_API, {"name": "Tablet"}, content_type="application/json")
    assert response.status_code == 201
    key = response.json()["url"].rstrip("/").rsplit("/", 1)[-1]
    assert services.kiosk_resolve(key).pk == response.json()["id"]
    response = client.post(
        KIOSKS_API, {"name": "X", "location": setup.other_location.pk}, content_type="application/json"
    )
    assert response.status_code == 404
    assert (
        client_for("receptionist")
        .post(KIOSKS_API, {"name": "X"}, content_type="application/json")
        .status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        services.kiosk_create(actor=org.user("receptionist"), location=setup.location)
    assert Kiosk.objects.count() == 1


def test_a_kiosk_code_checks_in_only_its_own_booking_once_and_never_shows_another_name(
    org, setup, now, kiosk
):
    _found, key = kiosk
    anna = book(org, setup, 9)  # Anna Svensson with Dr Berg
    john = book(org, setup, 9, resource=setup.hygienist, party=setup.patient_en)  # John Smith
    now.move_to(at(TODAY, 8, 50))
    body = _kiosk_post(key, john.booking_code).content.decode()
    assert "John S." in body and "Smith" not in body and "Anna" not in body
    anna.refresh_from_db()
    assert anna.status == "booked" and Visit.objects.get().appointment_id == john.pk
    # The same code again (someone else who saw it), or Anna's code with one character changed:
    # the same neutral sentence, no name, nothing checked in.
    typo = anna.booking_code[:-1] + ("A" if anna.booking_code[-1] != "A" else "B")
    for code in (john.booking_code, typo):
        body = _kiosk_post(key, code).content.decode()
        assert "We could not check you in with this code." in body
        assert "John" not in body and "Anna" not in body and "Svensson" not in body
    anna.refresh_from_db()
    assert anna.status == "booked" and Visit.objects.count() == 1
