"""Surveys end to end in headless Chromium: the receptionist completes a visit at the desk, the
CSAT survey e-mail goes out, the patient answers 2 of 5 with the comment ``<b>slow</b>`` through
the private link, the same link then says it has been answered; the office manager sees the
receptionist's CSAT on the scorecard, the answer behind it, and the comment shown as typed
(escaped, never as markup).

Set-up written directly: the company's survey settings (CSAT after a completed visit) and a
patient waiting at the clinic. Everything else goes through the pages; the e-mail is read from
the outbox (locmem back end, immediate tasks). The daily facts follow each saved answer, as in
production (``INSIGHTS_LIVE_FACTS``). The server's clock is pinned to Tuesday 1 December 2026,
09:00 in Stockholm; cookies carry no expiry, so the browser's own clock does not matter.
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


def test_visit_completed_survey_answered_once_and_the_manager_sees_csat_and_the_escaped_comment(
    page, live_server, org, settings
):
    from frontoffice.parties.tests.factories import make_party
    from frontoffice.reception.services import visit_walk_in
    from frontoffice.surveys.models import SurveyRequest, SurveySettings

    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    settings.INSIGHTS_LIVE_FACTS = True
    with time_machine.travel(NOW, tick=True):
        SurveySettings.objects.create(
            legal_entity=org.company,
            triggers={"reception.visit_completed": "csat"},
            fatigue_days=30,
            link_days=14,
            reminder_days=3,
        )
        patient = make_party(
            org.user("admin"),
            first_name="Agnes",
            last_name="Ahl",
            email="agnes@example.com",
            language="en",
            location=org.clinic,
        )
        visit = visit_walk_in(
            actor=org.user("receptionist"),
            location=org.clinic,
            kind="patient",
            party=patient,
            purpose="Check-up",
        )

        # 1. The receptionist calls the patient in and completes the visit at the desk.
        login(page, live_server, "receptionist")
        page.goto(f"{live_server.url}{reverse('reception:visit-detail', args=[visit.pk])}")
        page.get_by_test_id("status-called_in").click()
        expect(page.get_by_test_id("visit-status")).to_have_text("Called in")
        page.get_by_test_id("status-done").click()
        expect(page.get_by_test_id("visit-status")).to_have_text("Done")

        # 2. The survey e-mail, in the patient's language, with the private link.
        survey_mail = next(m for m in mail.outbox if m.subject.startswith("A quick question from"))
        assert survey_mail.to == ["agnes@example.com"]
        link = re.search(r"https?://\S+?(/s/[A-Za-z0-9_-]+/)", survey_mail.body).group(1)
        assert "/opt-out/" in survey_mail.body
        request = SurveyRequest.objects.get()
        assert (request.kind, request.staff_user) == ("csat", org.user("receptionist"))

        # 3. The patient answers 2 of 5 with an HTML comment, in a browser of their own.
        customer = page.context.browser.new_context(locale="en-GB").new_page()
        customer.goto(live_server.url + link)
        expect(customer.get_by_test_id("survey-ask")).to_contain_text("How satisfied were you")
        customer.get_by_label("2", exact=True).check()
        customer.get_by_label("Comment (optional)").fill("<b>slow</b>")
        customer.get_by_test_id("survey-submit").click()
        expect(customer.get_by_test_id("survey-thanks")).to_be_visible()

        # 4. The same link again: already answered, nothing changes.
        customer.goto(live_server.url + link)
        expect(customer.get_by_test_id("survey-answered")).to_contain_text("Already answered")
        customer.context.close()
        request.refresh_from_db()
        assert (request.score, request.comment) == (2, "<b>slow</b>")

        # 5. The office manager: the receptionist's CSAT this month is this answer.
        login(page, live_server, "office_manager")
        page.goto(f"{live_server.url}{reverse('insights:dashboard')}?desk=reception")
        page.get_by_test_id("people").get_by_role("link", name="Receptionist Test").click()
        csat = page.get_by_test_id("measure-csat")
        expect(csat.get_by_test_id("value")).to_have_text("2.00")
        csat.get_by_test_id("value").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Customer satisfaction")
        expect(page.get_by_test_id("rows")).to_contain_text("Agnes Ahl")

        # 6. The answer with its comment on the surveys page: the text as typed, no markup.
        page.goto(f"{live_server.url}{reverse('surveys:request-list')}")
        row = page.get_by_test_id("request-row").filter(has_text="Agnes Ahl")
        expect(row).to_contain_text("<b>slow</b>")
        expect(row.locator("b")).to_have_count(0)
        expect(page.get_by_test_id("summary-csat")).to_contain_text("2.00")
