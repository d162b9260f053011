"""Journey 1 (front desk, dental clinic): the receptionist books an appointment, checks the
patient in from today's list while the waiting room stays open in a second tab and updates
without a reload, calls the patient in, completes the visit, books the follow-up; the patient
then rates the visit once through the feedback link.

Only the clinic set-up (resources, working hours, appointment types, patients) is written
directly; everything else goes through the pages. The server's clock is pinned to a Tuesday
morning (Tuesday 1 December 2026, 08:00 in Stockholm) whatever the hour, day or date the test
runs at. The browser's clock is not pinned, so the session and CSRF cookies are sent without an
expiry date (browser-session cookies): a cookie dated from the pinned clock would otherwise
already be expired for the browser when the test runs after that date (or more than a year
before it), and the sign-in would be lost.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_book_check_in_live_waiting_room_complete_follow_up_and_feedback(
    page, live_server, org, settings
):
    from frontoffice.appointments.models import Appointment
    from frontoffice.appointments.tests.factories import NOW, TODAY, clinic_setup
    from frontoffice.reception.models import Visit, VisitFeedback

    # Cookies without an expiry: the browser keeps them whatever its own (unpinned) clock says.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=True):  # Tuesday 08:00
        setup = clinic_setup(org)
        setup.patient.language = "en"
        setup.patient.save(update_fields=["language"])
        login(page, live_server, "receptionist")

        # 1. Book today 09:00 with Dr Berg (appointments UI), the patient chosen beforehand.
        page.goto(f"{live_server.url}{reverse('appointments:appointment-create')}?party={setup.patient.pk}")
        expect(page.get_by_test_id("chosen-party")).to_contain_text("Anna Svensson")
        page.get_by_label("Appointment type").select_option(label="Check-up")
        page.get_by_label("With").select_option(label="Dr Berg")
        page.get_by_label("Date").fill(TODAY.isoformat())
        page.get_by_label("Time").fill("09:00")
        page.get_by_test_id("booking-submit").click()
        expect(page.get_by_test_id("status")).to_have_text("Booked")
        appointment = Appointment.objects.get(party=setup.patient)

        # 2. The waiting room, open in a second tab that is never reloaded.
        room = page.context.new_page()
        room.goto(f"{live_server.url}{reverse('reception:waiting-room')}")
        expect(room.get_by_test_id("waiting-rows")).to_contain_text("Nobody is waiting.")
        room.evaluate("window.__stillTheSamePage = true")

        # 3. Check in with one click from today's list at the desk.
        page.goto(f"{live_server.url}{reverse('reception:desk')}")
        row = page.get_by_test_id("arrival-row").filter(has_text="Anna Svensson")
        row.get_by_test_id("check-in").click()
        expect(page.get_by_test_id("arrival-rows")).to_contain_text("ticket 1")
        expect(page.get_by_test_id("arrival-row")).to_have_count(0)
        visit = Visit.objects.get(appointment=appointment)

        # The waiting room shows the patient without a reload (HTMX polling).
        waiting = room.locator("[data-testid=waiting-row][data-ticket='1']")
        expect(waiting).to_have_attribute("data-status", "waiting", timeout=20_000)
        expect(waiting).to_contain_text("Anna Svensson")

        # 4. Call in from the visit page at the desk; the open waiting room follows.
        page.goto(f"{live_server.url}{reverse('reception:visit-detail', args=[visit.pk])}")
        page.get_by_test_id("status-called_in").click()
        expect(page.get_by_test_id("visit-status")).to_have_text("Called in")
        expect(waiting).to_have_attribute("data-status", "called_in", timeout=20_000)

        # 5. Complete from the waiting room itself; the row leaves it.
        waiting.get_by_test_id("done").click()
        expect(room.get_by_test_id("waiting-rows")).to_contain_text("Nobody is waiting.")
        assert room.evaluate("window.__stillTheSamePage") is True
        visit.refresh_from_db()
        appointment.refresh_from_db()
        assert visit.status == "done" and appointment.status == "done"

        # 6. Book the follow-up in one step from the finished visit.
        page.goto(f"{live_server.url}{reverse('reception:visit-detail', args=[visit.pk])}")
        page.get_by_test_id("appointment-link").click()
        page.get_by_test_id("follow-up").click()
        form = page.get_by_test_id("follow-up-form")
        form.get_by_label("Appointment type").select_option(label="Check-up")
        form.get_by_label("With").select_option(label="Dr Berg")
        form.get_by_label("Date").fill((TODAY + datetime.timedelta(days=2)).isoformat())
        form.get_by_label("Time").fill("10:00")
        form.get_by_role("button", name="Book follow-up").click()
        expect(page.get_by_test_id("status")).to_have_text("Booked")
        follow_up = Appointment.objects.get(follow_up_of=appointment)
        assert follow_up.party == setup.patient

        # 7. The patient's feedback link (e-mailed after the visit) takes one answer.
        feedback_mail = next(m for m in mail.outbox if "How was your visit" in m.subject)
        url = re.search(r"https?://\S+/k/f/\S+/", feedback_mail.body).group(0)
        path = url[url.index("/k/f/") :]
        patient = page.context.browser.new_context().new_page()
        patient.goto(live_server.url + path)
        patient.get_by_label("4").check()
        patient.get_by_label("Comment (optional)").fill("Very friendly welcome")
        patient.get_by_test_id("feedback-submit").click()
        expect(patient.get_by_test_id("feedback-thanks")).to_be_visible()
        patient.goto(live_server.url + path)
        expect(patient.get_by_test_id("feedback-answered")).to_be_visible()
        feedback = VisitFeedback.objects.get(visit=visit)
        assert feedback.rating == 4 and feedback.receptionist == org.user("receptionist")
        patient.context.close()
