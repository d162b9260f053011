"""Journey 4 end to end in headless Chromium: a sales rep registers a request for proposal from
a customer, pastes its requirements, answers one from the answer library and one by hand, and
sends the response for review; the regional sales manager approves it from the approval queue;
the rep marks it submitted and, when the customer decides, won with a reason.

Only the set-up (the customer and one approved library answer) is written directly, through
services; everything else goes through the pages.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "Region Norrbotten"
LIBRARY_ANSWER = "We are certified according to ISO 9001:2015 since 2012."


@pytest.fixture
def setup(org):
    from frontoffice.parties.models import Party
    from frontoffice.rfps.services import library_entry_create

    party = Party.objects.create(
        kind="organisation",
        organisation_name=CUSTOMER,
        display_name=CUSTOMER,
        legal_entity=org.company,
        region=org.north,
        owner=org.people["rep_north"],
    )
    library_entry_create(
        actor=org.user("rsm_north"),
        legal_entity=org.company,
        question="Describe your ISO certification",
        answer=LIBRARY_ANSWER,
        tags="quality, iso",
        approve=True,
    )
    return party


def test_rep_answers_rfp_from_library_manager_approves_rep_submits_and_wins(page, live_server, org, setup):
    from frontoffice.rfps.models import AnswerLibraryEntry, Rfp

    login(page, live_server, "rep_north")
    page.goto(f"{live_server.url}/rfps/")
    page.get_by_test_id("rfp-create").click()
    page.get_by_label("Issuer", exact=True).select_option(label=CUSTOMER)
    page.get_by_label("Title").fill("Dental chairs for twelve clinics")
    page.get_by_label("Issuer's reference").fill("RN-2026-041")
    due = timezone.localtime(timezone.now() + datetime.timedelta(days=14)).replace(hour=12, minute=0)
    page.get_by_label("Due", exact=True).fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("rfp-title")).to_have_text("Dental chairs for twelve clinics")

    # Paste the requirement list: one per line.
    page.get_by_label("Paste requirements").fill(
        "Describe your ISO certification\nDelivery within four weeks"
    )
    page.get_by_test_id("requirement-import").click()
    rows = page.get_by_test_id("requirement-row")
    expect(rows).to_have_count(2)

    # Requirement 1 from the library (HTMX side panel), requirement 2 by hand (inline).
    first = page.locator("[data-testid=requirement-row][data-number='1']")
    first.get_by_test_id("library-open").click()
    panel = page.get_by_test_id("library-panel")
    expect(panel.get_by_test_id("library-hit")).to_contain_text(LIBRARY_ANSWER)
    panel.get_by_test_id("library-use").first.click()
    first = page.locator("[data-testid=requirement-row][data-number='1']")
    expect(first.get_by_test_id("requirement-answer")).to_contain_text(LIBRARY_ANSWER)
    expect(first.get_by_test_id("from-library")).to_be_visible()

    second = page.locator("[data-testid=requirement-row][data-number='2']")
    second.get_by_test_id("answer-edit").click()
    second = page.locator("[data-testid=requirement-row][data-number='2']")
    second.get_by_test_id("answer-text").fill("Chairs are delivered within four weeks of the order.")
    second.get_by_test_id("answer-save").click()
    expect(
        page.locator("[data-testid=requirement-row][data-number='2']").get_by_test_id("requirement-answer")
    ).to_contain_text("within four weeks of the order")

    page.reload()
    page.get_by_label("Note for the reviewer").fill("Ready for your review.")
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_test_id("rfp-status")).to_have_text("In review")

    # The regional manager approves from the queue.
    login(page, live_server, "rsm_north")
    page.goto(f"{live_server.url}/rfps/approvals/")
    page.get_by_test_id("approval-row").get_by_role("link", name="Dental chairs for twelve clinics").click()
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("rfp-status")).to_have_text("Approved")

    # The rep submits the response and records the win.
    login(page, live_server, "rep_north")
    rfp = Rfp.objects.get(reference="RN-2026-041")
    page.goto(f"{live_server.url}/rfps/{rfp.pk}/")
    page.get_by_test_id("mark-submitted").click()
    expect(page.get_by_test_id("rfp-status")).to_have_text("Submitted")
    page.get_by_label("Outcome", exact=True).select_option("won")
    page.get_by_label("Reason", exact=True).fill("Best service coverage in the north")
    page.get_by_test_id("outcome-save").click()
    expect(page.get_by_test_id("rfp-status")).to_have_text("Won")
    expect(page.get_by_test_id("rfp-outcome-reason")).to_have_text("Best service coverage in the north")
    expect(page.get_by_test_id("rfp-history")).to_contain_text("Approved")

    rfp.refresh_from_db()
    assert rfp.status == "won" and rfp.approved_by == org.people["rsm_north"] and rfp.submitted_at
    assert AnswerLibraryEntry.objects.get().usage_count == 1
