"""API: book, list, read, move, cancel, resources, types, free slots; errors, scope, denials."""

from __future__ import annotations

import datetime

import pytest

from frontoffice.appointments.models import Appointment
from frontoffice.appointments.tests.factories import TODAY, at

pytestmark = pytest.mark.django_db
TOMORROW = TODAY + datetime.timedelta(days=1)
URL = "/api/v1/appointments/"


def payload(setup, **kw):
    data = {
        "location": setup.location.pk,
        "resource": setup.dentist.pk,
        "appointment_type": setup.checkup.pk,
        "party": setup.patient.pk,
        "start_at": at(TOMORROW, 9).isoformat(),
        "health_notes": "Allergic to latex",
    }
    return {**data, **kw}


def test_book_list_move_cancel(org, setup, client_for):
    client = client_for("receptionist")
    created = client.post(URL, payload(setup), content_type="application/json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "booked" and body["health_notes"] == "Allergic to latex"
    assert body["resource"]["id"] == setup.dentist.pk
    listing = client.get(URL, {"location": setup.location.pk}).json()
    assert listing["count"] == 1 and "health_notes" not in listing["results"][0]
    # Overlap: clear error with the code, nothing written
    again = client.post(URL, payload(setup, party=setup.patient_en.pk), content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] == "overlap"
    assert "start_at" in again.json()["errors"]
    assert Appointment.objects.count() == 1
    pk = body["id"]
    moved = client.post(
        f"{URL}{pk}/move/", {"start_at": at(TOMORROW, 10).isoformat()}, content_type="application/json"
    )
    assert moved.status_code == 200 and moved.json()["start_at"].startswith(f"{TOMORROW}T")
    cancelled = client.post(f"{URL}{pk}/cancel/", {"reason": "Ill"}, content_type="application/json")
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"start_at": at(TOMORROW, 20).isoformat()}, "start_at", "outside_opening_hours"),
        ({"start_at": at(TODAY, 6).isoformat()}, "start_at", "in_past"),
        ({"start_at": at(datetime.date(2026, 12, 25), 9).isoformat()}, "start_at", "holiday"),
        ({"resource": 999999}, "resource", "unknown"),
        ({"appointment_type": 999999}, "appointment_type", "unknown"),
        ({"party": 999999}, "party", "unknown"),
        ({"start_at": "tomorrow"}, "start_at", "invalid"),
    ],
)
def test_bad_input_is_refused_with_the_field(org, setup, client_for, change, field, code):
    response = client_for("receptionist").post(URL, payload(setup, **change), content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["code"] == code
    assert not Appointment.objects.exists()


def test_scope_and_denials(org, setup, client_for):
    admin = client_for("admin")
    other = admin.post(
        URL,
        payload(
            setup,
            location=setup.other_location.pk,
            resource=setup.other_resource.pk,
            party=setup.other_patient.pk,
        ),
        content_type="application/json",
    )
    assert other.status_code == 201, other.json()
    client = client_for("receptionist")
    assert client.get(f"{URL}{other.json()['id']}/").status_code == 404
    assert client.get(URL).json()["count"] == 0
    assert (
        client.post(
            URL, payload(setup, location=setup.other_location.pk), content_type="application/json"
        ).status_code
        == 404
    )
    resources = client.get(f"{URL}resources/").json()
    assert {r["id"] for r in resources["results"]} == {setup.dentist.pk, setup.hygienist.pk, setup.room.pk}
    assert (
        client.get(
            f"{URL}slots/", {"resource": setup.other_resource.pk, "appointment_type": setup.checkup.pk}
        ).status_code
        == 404
    )
    rep = client_for("rep_north")
    assert rep.get(URL).status_code == 403
    assert rep.post(URL, payload(setup), content_type="application/json").status_code == 403


def test_types_and_free_slots(org, setup, client_for):
    client = client_for("receptionist")
    types = client.get(f"{URL}types/", {"location": setup.location.pk}).json()
    assert {t["name"] for t in types["results"]} == {"Check-up", "Cleaning"}
    slots = client.get(
        f"{URL}slots/",
        {
            "resource": setup.dentist.pk,
            "appointment_type": setup.cleaning.pk,
            "after": at(TOMORROW, 0).isoformat(),
            "count": 2,
        },
    ).json()
    assert [datetime.datetime.fromisoformat(s) for s in slots] == [at(TOMORROW, 8), at(TOMORROW, 8, 15)]
