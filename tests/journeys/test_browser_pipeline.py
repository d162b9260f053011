"""Journey: a sales rep starts an opportunity from the customer page, moves its card on the
pipeline board by dragging it and then with the keyboard ("Move to" list and button), and
closes it as won by dropping it on the Won column (the board asks for the reason).

Only the customer is written directly (through the parties service); everything else goes
through the pages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "Fjällbjörk Tandvård AB"


def test_rep_creates_an_opportunity_moves_it_on_the_board_and_wins_it(page, live_server, org):
    from frontoffice.parties.services import party_create
    from frontoffice.sales.models import Opportunity

    party = party_create(
        actor=org.user("rep_north"),
        kind="organisation",
        organisation_name=CUSTOMER,
        city="Kiruna",
        region=org.north,
        owner=org.user("rep_north"),
    )
    login(page, live_server, "rep_north")

    # From the customer page: New opportunity
    page.goto(live_server.url + reverse("parties:party-detail", args=[party.pk]))
    page.get_by_test_id("party-new-opportunity").click()
    page.get_by_label("Name").fill("Twelve new chairs")
    page.get_by_label("Amount").fill("48000")
    page.get_by_label("Expected close").fill("2026-09-30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("stage")).to_contain_text("Prospecting")
    opp = Opportunity.objects.get(name="Twelve new chairs")

    # Drag the card from Prospecting to Qualification
    page.goto(live_server.url + reverse("sales:board"))
    card = page.get_by_test_id(f"card-{opp.pk}")
    expect(page.get_by_test_id("column-prospecting").get_by_test_id(f"card-{opp.pk}")).to_be_visible()
    card.drag_to(page.get_by_test_id("column-qualification"))
    expect(page.get_by_test_id("column-qualification").get_by_test_id(f"card-{opp.pk}")).to_be_visible()
    opp.refresh_from_db()
    assert opp.stage.name == "Qualification"

    # Keyboard: the card's "Move to" list and its Move button
    select = page.get_by_test_id(f"move-{opp.pk}")
    select.focus()
    select.select_option(label="Proposal")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("column-proposal").get_by_test_id(f"card-{opp.pk}")).to_be_visible()
    opp.refresh_from_db()
    assert opp.stage.name == "Proposal"

    # Drop on Won: the board asks why
    page.once("dialog", lambda dialog: dialog.accept("Best service offer"))
    page.get_by_test_id(f"card-{opp.pk}").drag_to(page.get_by_test_id("column-won"))
    expect(page.get_by_test_id(f"card-{opp.pk}")).to_have_count(0)
    opp.refresh_from_db()
    assert (opp.stage.kind, opp.win_reason) == ("won", "Best service offer")
    assert opp.closed_on is not None

    page.goto(live_server.url + reverse("sales:opportunity-detail", args=[opp.pk]))
    expect(page.get_by_test_id("stage")).to_contain_text("Won")
    expect(page.get_by_test_id("history")).to_contain_text("Best service offer")
