"""The public pages: the self check-in kiosk, the waiting-room screen, feedback links."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from frontoffice.parties.models import Interaction
from frontoffice.reception import services
from frontoffice.reception.models import Visit, VisitFeedback
from frontoffice.reception.tests.factories import TODAY, at, book, book_raw

pytestmark = pytest.mark.django_db

NEUTRAL = "We could not check you in with this code."


@pytest.fixture
def kiosk(org, setup):
    kiosk, key = services.kiosk_create(
        actor=org.user("office_manager"), location=setup.location, name="Tablet"
    )
    return kiosk, key


def _post(client: Client, key: str, code: str):
    return client.post(reverse("reception_public:kiosk", kwargs={"key": key}), {"code": code})


def test_kiosk_checks_in_its_own_booking_today_and_shows_only_first_name_and_initial(org, setup, now, kiosk):
    _, key = kiosk
    appt = book(org, setup, 9)
    now.move_to(at(TODAY, 8, 45))
    response = _post(Client(), key, appt.booking_code_display.lower())
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="kiosk-welcome"' in body
    assert "Anna S." in body and "Svensson" not in body and setup.patient.email not in body
    visit = Visit.objects.get(appointment=appt)
    assert visit.via == "kiosk" and visit.receptionist is None and visit.ticket_number == 1
    appt.refresh_from_db()
    assert appt.status == "checked_in"
    assert response["Cache-Control"].startswith("no-store")


def test_kiosk_accepts_the_confirmation_link_as_the_code(org, setup, now, kiosk):
    _, key = kiosk
    appt = book(org, setup, 9)
    now.move_to(at(TODAY, 8, 45))
    link = "https://frontoffice.example" + reverse(
        "reception_public:checkin-code", kwargs={"code": appt.booking_code}
    )
    assert 'data-testid="kiosk-welcome"' in _post(Client(), key, link).content.decode()


def test_kiosk_cannot_check_in_another_locations_or_another_days_booking_or_reveal_names(
    org, setup, now, kiosk
):
    _, key = kiosk
    other_place = book_raw(setup, at(TODAY, 9), resource=setup.other_resource, party=setup.other_patient)
    tomorrow = book(org, setup, 9, day=TODAY + datetime.timedelta(days=1))
    later_today = book(org, setup, 15)
    now.move_to(at(TODAY, 8, 45))
    client = Client()
    bodies = [
        _post(client, key, code).content.decode()
        for code in (
            other_place.booking_code,  # another location
            tomorrow.booking_code,  # another day
            later_today.booking_code,  # today, but outside the window (15:00, now 08:45)
            "ZZZZ-ZZZZ",  # well-formed, unknown
            "not a code!",  # malformed
        )
    ]
    for body in bodies:
        assert NEUTRAL in body
        assert "Olle" not in body and "Anna" not in body and "Svensson" not in body
    assert Visit.objects.count() == 0
    other_place.refresh_from_db()
    assert other_place.status == "booked"


def test_kiosk_attempts_are_rate_limited_per_kiosk_and_address(org, setup, now, kiosk, settings):
    settings.RECEPTION_KIOSK_FAILURES = 3
    _, key = kiosk
    appt = book(org, setup, 9)
    now.move_to(at(TODAY, 8, 45))
    client = Client()
    for _ in range(3):
        assert _post(client, key, "ZZZZ-ZZZZ").status_code == 200
    # Even the right code is refused without a look-up once the limit is reached.
    response = _post(client, key, appt.booking_code)
    assert response.status_code == 429 and not Visit.objects.exists()
    other_client = Client(REMOTE_ADDR="10.0.0.9")
    assert 'data-testid="kiosk-welcome"' in _post(other_client, key, appt.booking_code).content.decode()


def test_a_revoked_or_guessed_kiosk_key_opens_nothing(org, setup, now, kiosk):
    found, key = kiosk
    client = Client()
    assert client.get(reverse("reception_public:kiosk", kwargs={"key": key})).status_code == 200
    assert client.get(reverse("reception_public:kiosk", kwargs={"key": "x" * 32})).status_code == 404
    assert client.get(reverse("reception_public:screen", kwargs={"key": "x" * 32})).status_code == 404
    services.kiosk_revoke(actor=org.user("office_manager"), kiosk=found)
    assert client.get(reverse("reception_public:kiosk", kwargs={"key": key})).status_code == 404
    assert client.get(reverse("reception_public:screen", kwargs={"key": key})).status_code == 404


def test_screen_shows_ticket_numbers_only_or_initials_per_setting(org, setup, now, kiosk):
    found, key = kiosk
    appt = book(org, setup, 9)
    now.move_to(at(TODAY, 8, 45))
    services.visit_check_in(actor=org.user("receptionist"), appointment=appt)
    url = reverse("reception_public:screen", kwargs={"key": key})
    body = Client().get(url).content.decode()
    assert 'data-testid="screen-waiting">1<' in body and "Anna" not in body
    found.screen_shows = "initials"
    found.save(update_fields=["screen_shows"])
    body = Client().get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Anna S." in body and "Svensson" not in body and "<html" not in body


def test_checkin_code_page_looks_nothing_up():
    response = Client().get(reverse("reception_public:checkin-code", kwargs={"code": "abcdefgh"}))
    assert "ABCD-EFGH" in response.content.decode()


# ---------------------------------------------------------------- feedback


@pytest.fixture
def feedback_token(org, setup, now):
    appt = book(org, setup, 9)
    visit = services.visit_check_in(actor=org.user("receptionist"), appointment=appt)
    services.visit_set_status(actor=org.user("receptionist"), visit=visit, status="done")
    VisitFeedback.objects.filter(visit=visit).delete()
    return services.feedback_request(visit=visit)


def test_feedback_link_takes_one_answer_and_counts_for_the_receptionist(org, feedback_token):
    url = reverse("reception_public:feedback", kwargs={"token": feedback_token.token})
    client = Client()
    assert client.get(url).status_code == 200
    response = client.post(url, {"rating": "4", "comment": "Friendly"})
    assert 'data-testid="feedback-thanks"' in response.content.decode()
    feedback = VisitFeedback.objects.get()
    assert feedback.rating == 4 and feedback.comment == "Friendly"
    interaction = Interaction.objects.get(kind="feedback")
    assert interaction.staff.user == org.user("receptionist") and interaction.outcome == "Friendly"
    assert client.post(url, {"rating": "1"}).status_code == 410
    assert client.get(url).status_code == 410
    assert VisitFeedback.objects.get().rating == 4


def test_feedback_link_expires(now, feedback_token):
    now.shift(datetime.timedelta(days=15))
    url = reverse("reception_public:feedback", kwargs={"token": feedback_token.token})
    assert Client().get(url).status_code == 410


def test_guessed_feedback_tokens_find_nothing_and_are_throttled(feedback_token):
    client = Client()
    guessed = feedback_token.token[:-1] + ("A" if feedback_token.token[-1] != "A" else "B")
    assert client.get(reverse("reception_public:feedback", kwargs={"token": guessed})).status_code == 404
    assert client.get(reverse("reception_public:feedback", kwargs={"token": "short"})).status_code == 404
    for _ in range(30):
        client.get(reverse("reception_public:feedback", kwargs={"token": "short"}))
    real = reverse("reception_public:feedback", kwargs={"token": feedback_token.token})
    assert client.get(real).status_code == 429


def test_feedback_rating_must_be_one_to_five(feedback_token):
    with pytest.raises(Exception):  # noqa: B017 - ValidationError from the service
        services.feedback_submit(token=feedback_token.token, rating=9)
    assert VisitFeedback.objects.get().answered_at is None
