"""End to end in headless Chromium: each role signs in and sees its navigation; a rep
creates a customer and finds it with the global search."""

from __future__ import annotations

import re

import pytest

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Navigation each persona must (and must not) see. Settings entries are for administrators.
EXPECTED_NAV = {
    "admin": ({"parties", "interactions", "org-tree", "staff", "roles", "invitations"}, set()),
    "nsm": ({"parties", "interactions"}, {"org-tree", "staff", "roles"}),
    "rsm_north": ({"parties", "interactions"}, {"org-tree", "staff"}),
    "rep_north": ({"parties", "interactions"}, {"org-tree", "staff", "roles"}),
    "office_manager": ({"parties", "interactions"}, {"org-tree", "roles"}),
    "receptionist": ({"parties", "interactions"}, {"org-tree", "staff", "roles", "invitations"}),
    "finance_manager": ({"parties", "interactions"}, {"org-tree", "roles"}),
    "clerk": ({"parties", "interactions"}, {"org-tree", "staff", "roles"}),
    "auditor": ({"parties", "interactions"}, {"org-tree", "staff", "roles", "invitations"}),
}


def nav_keys(page) -> set[str]:
    return set(page.eval_on_selector_all("nav [data-nav]", "els => els.map(e => e.dataset.nav)"))


def test_each_role_sees_its_navigation(page, live_server, org):
    for persona, (present, absent) in EXPECTED_NAV.items():
        login(page, live_server, persona)
        keys = nav_keys(page)
        assert present <= keys, f"{persona} misses {present - keys}"
        assert not (absent & keys), f"{persona} must not see {absent & keys}"


def test_rep_creates_a_customer_and_finds_it_with_global_search(page, live_server, org):
    login(page, live_server, "rep_north")
    page.click("[data-nav=parties]")
    page.get_by_test_id("party-create").click()
    page.get_by_label(re.compile("^first name", re.I)).fill("Greta")
    page.get_by_label(re.compile("^last name", re.I)).fill("Browsertest")
    page.get_by_label(re.compile("^e-mail", re.I)).fill("greta.browsertest@example.com")
    page.get_by_label(re.compile("^phone", re.I)).fill("070-123 45 67")
    page.get_by_role("button", name=re.compile("save|create", re.I)).click()
    page.wait_for_selector("h1:has-text('Greta Browsertest')")

    page.fill("#global-search-input", "browsertest")
    hit = page.locator("#global-search-results a", has_text="Greta Browsertest")
    hit.wait_for()
    hit.click()
    page.wait_for_selector("h1:has-text('Greta Browsertest')")
    assert "+46 70 123 45 67" in page.content()


def test_search_does_not_find_customers_outside_scope(page, live_server, org):
    from frontoffice.parties.tests.factories import make_party

    make_party(org.user("admin"), first_name="Sören", last_name="Southonly", location=org.south_office)
    login(page, live_server, "rep_north")
    page.goto(f"{live_server.url}/search/?q=southonly")
    page.wait_for_selector("[data-testid=search-results]")
    assert "Southonly" not in page.inner_text("[data-testid=search-results]")
