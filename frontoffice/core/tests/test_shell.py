"""The shell: navigation by role, the start page, global search, error pages, language."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from frontoffice.core import views
from frontoffice.core.registry import registry
from frontoffice.parties.services import interaction_record
from frontoffice.parties.tests.factories import make_party

HTMX = {"HTTP_HX_REQUEST": "true"}


def settings_only_for_admins() -> set[str]:
    """The settings pages that need ``org.manage_settings`` (organisation, staff, roles...)."""
    keys = {i.key for i in registry.nav if i.section == "settings" and i.permission == "org.manage_settings"}
    assert len(keys) >= 3, "the organisation app registers its settings pages"
    return keys


def nav_keys(html: str, testid: str) -> list[str]:
    """The data-nav keys inside the navigation list marked ``data-testid=testid``."""
    match = re.search(rf'<ul class="nav" data-testid="{testid}">(.*?)</ul>', html, re.S)
    return re.findall(r'data-nav="([^"]+)"', match.group(1)) if match else []


def expected_nav(user: Any, section: str) -> list[str]:
    return [
        item.key
        for item in registry.nav
        if item.section == section
        and (item.permission is None or user.has_perm(item.permission))
        and (item.visible is None or item.visible(user))
    ]


# --- Signing in is required -------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["core:home", "core:search"])
def test_anonymous_visitor_is_sent_to_login(client: Any, db: Any, url_name: str) -> None:
    """Home and search redirect anonymous visitors to the login page, remembering the page."""
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


# --- Navigation by role ----------------------------------------------------------------


@pytest.mark.parametrize(
    "persona",
    [
        "admin",
        "nsm",
        "rsm_north",
        "rep_north",
        "office_manager",
        "receptionist",
        "clerk",
        "auditor",
        "other_clerk",
        "nobody",
    ],
)
def test_each_persona_sees_the_navigation_its_permissions_allow(
    client_for: Any, org: Any, persona: str
) -> None:
    """The sidebar lists exactly the registered entries whose permission the user holds."""
    response = client_for(persona).get(reverse("core:home"))
    html = response.content.decode()
    user = org.user(persona)
    assert response.status_code == 200
    assert nav_keys(html, "nav-main") == expected_nav(user, "main")
    assert nav_keys(html, "nav-settings") == expected_nav(user, "settings")


def test_receptionist_sees_customers_but_not_the_organisation_settings(client_for: Any) -> None:
    html = client_for("receptionist").get(reverse("core:home")).content.decode()
    assert "parties" in nav_keys(html, "nav-main")
    assert "interactions" in nav_keys(html, "nav-main")
    assert settings_only_for_admins().isdisjoint(nav_keys(html, "nav-settings"))


def test_administrator_sees_customers_and_every_settings_page(client_for: Any) -> None:
    html = client_for("admin").get(reverse("core:home")).content.decode()
    assert "parties" in nav_keys(html, "nav-main")
    assert set(nav_keys(html, "nav-settings")) >= settings_only_for_admins()


def test_user_without_staff_profile_sees_no_desk_in_the_navigation(client_for: Any) -> None:
    html = client_for("nobody").get(reverse("core:home")).content.decode()
    assert nav_keys(html, "nav-main") == []


def test_current_page_is_marked_in_the_navigation(client_for: Any) -> None:
    html = client_for("receptionist").get(reverse("parties:party-list")).content.decode()
    assert re.search(r'data-nav="parties" class="is-active" aria-current="page"', html)


def test_shell_carries_the_ids_other_pages_and_browser_tests_rely_on(client_for: Any) -> None:
    html = client_for("receptionist").get(reverse("core:home")).content.decode()
    for marker in (
        'id="global-search-input"',
        'id="global-search-results"',
        'data-testid="nav-main"',
        f'hx-get="{reverse("core:search")}"',
        f'action="{reverse("logout")}"',
        f'action="{reverse("set_language")}"',
    ):
        assert marker in html


# --- Home page ---------------------------------------------------------------------------


def test_home_shows_receptionist_role_location_and_counts_in_scope(client_for: Any, org: Any) -> None:
    """Counts include only customers and today's interactions the receptionist may see."""
    receptionist = org.user("receptionist")
    own = make_party(receptionist, first_name="Astrid", last_name="Lindgren", email="astrid@example.com")
    make_party(receptionist, first_name="Selma", last_name="Lagerlöf", email="selma@example.com")
    make_party(org.user("rep_south"), first_name="Sven", last_name="South", email="sven@example.com")
    now = timezone.now()
    interaction_record(
        actor=receptionist, party=own, kind="visit", channel="in_person", subject="Check-up", started_at=now
    )
    interaction_record(
        actor=receptionist,
        party=own,
        kind="call",
        channel="phone",
        subject="Yesterday's call",
        started_at=now - datetime.timedelta(days=1),
    )

    response = client_for("receptionist").get(reverse("core:home"))

    assert response.status_code == 200
    assert (response.context["customers"], response.context["interactions_today"]) == (2, 1)
    assert response.context["scope_units"] == {
        "legal_entities": ["Tandhälsan Norden AB"],
        "regions": ["North"],
        "locations": ["North Dental Clinic"],
    }
    html = response.content.decode()
    assert "Welcome, Receptionist" in html
    assert "<dd>Receptionist</dd>" in html
    assert "Own locations" in html
    assert "<dd>North Dental Clinic</dd>" in html
    assert 'data-home-link="parties"' in html


def test_home_counts_interactions_of_the_local_calendar_day(client_for: Any, org: Any) -> None:
    """'Today' follows the Stockholm calendar day, not the UTC one."""
    receptionist = org.user("receptionist")
    party = make_party(receptionist)
    stockholm = datetime.timezone(datetime.timedelta(hours=2))  # summer time
    with time_machine.travel(datetime.datetime(2025, 6, 10, 0, 30, tzinfo=stockholm), tick=False):
        interaction_record(
            actor=receptionist,
            party=party,
            kind="visit",
            channel="in_person",
            subject="Late visit",
            started_at=datetime.datetime(2025, 6, 9, 23, 50, tzinfo=stockholm),
        )
        interaction_record(
            actor=receptionist,
            party=party,
            kind="visit",
            channel="in_person",
            subject="Early visit",
            started_at=datetime.datetime(2025, 6, 10, 0, 10, tzinfo=stockholm),
        )
        response = client_for("receptionist").get(reverse("core:home"))
    assert response.context["interactions_today"] == 1


def test_home_shows_regional_manager_their_regions(client_for: Any) -> None:
    response = client_for("rsm_north").get(reverse("core:home"))
    assert response.context["scope_units"]["regions"] == ["North"]
    assert response.context["scope_units"]["locations"] == []
    assert "Own regions" in response.content.decode()


def test_home_shows_administrator_the_whole_organisation(client_for: Any) -> None:
    response = client_for("admin").get(reverse("core:home"))
    html = response.content.decode()
    assert "Whole organisation" in html
    assert "<dd>Administrator</dd>" in html
    assert (response.context["customers"], response.context["interactions_today"]) == (0, 0)


def test_home_asks_user_without_role_to_contact_an_administrator(client_for: Any) -> None:
    response = client_for("nobody").get(reverse("core:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "You have no role yet" in html
    assert "Ask an administrator to give you a role." in html
    assert response.context["panels"] == []
    assert 'data-testid="count-customers"' not in html


def test_other_company_clerk_counts_nothing_of_the_first_company(client_for: Any, org: Any) -> None:
    make_party(org.user("receptionist"))
    response = client_for("other_clerk").get(reverse("core:home"))
    assert (response.context["customers"], response.context["interactions_today"]) == (0, 0)
    assert response.context["scope_units"]["legal_entities"] == ["Other Company AB"]


def test_home_query_count_does_not_grow_with_customers(
    client_for: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for("receptionist")
    make_party(org.user("receptionist"))
    client.get(reverse("core:home"))
    for i in range(15):
        make_party(org.user("receptionist"), first_name=f"Person{i}")
    from frontoffice.core.registry import registry

    # The shell's own queries, and at most two per start-page panel the desks register.
    with django_assert_max_num_queries(10 + 2 * len(registry.home_panels)):
        client.get(reverse("core:home"))


# --- Global search ------------------------------------------------------------------------


@pytest.fixture
def customers(org: Any) -> dict[str, Any]:
    return {
        "clinic": make_party(org.user("receptionist"), first_name="Maja", last_name="Nordin"),
        "north": make_party(org.user("rep_north"), first_name="Maja", last_name="Norrman"),
        "south": make_party(org.user("rep_south"), first_name="Maja", last_name="Söderberg"),
        "managers": make_party(
            org.user("rsm_north"), first_name="Maja", last_name="Nyberg", owner_id=org.user("rsm_north").pk
        ),
    }


def _hit_titles(html: str) -> list[str]:
    return re.findall(r'<span class="search-hit__title">([^<]*)</span>', html)


def test_htmx_search_returns_only_the_results_fragment(client_for: Any, customers: Any) -> None:
    response = client_for("receptionist").get(reverse("core:search"), {"q": "maja"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<div class="search-results')
    assert 'data-testid="search-results"' in html
    assert "Maja Nordin" in html
    assert "HX-Request" in response["Vary"]


def test_search_popup_fragment_links_to_the_full_results(client_for: Any, customers: Any) -> None:
    response = client_for("receptionist").get(
        reverse("core:search"), {"q": "maja"}, HTTP_HX_TARGET="global-search-results", **HTMX
    )
    html = response.content.decode()
    assert "search-results--popup" in html
    assert f'href="{reverse("core:search")}?q=maja"' in html


def test_search_history_restore_gets_the_whole_page(client_for: Any, customers: Any) -> None:
    response = client_for("receptionist").get(
        reverse("core:search"), {"q": "maja"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    assert "<html" in response.content.decode()


def test_full_search_page_renders_results_inside_the_shell(client_for: Any, customers: Any) -> None:
    response = client_for("receptionist").get(reverse("core:search"), {"q": "maja"})
    html = response.content.decode()
    assert "<html" in html
    assert 'value="maja"' in html
    assert "Maja Nordin" in html


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # The clinic's customer has no owner: reps of North see it as unassigned.
        ("receptionist", ["Maja Nordin"]),
        ("rep_north", ["Maja Nordin", "Maja Norrman"]),
        ("rep_south", ["Maja Söderberg"]),
        ("rsm_north", ["Maja Nordin", "Maja Norrman", "Maja Nyberg"]),
        ("admin", ["Maja Nordin", "Maja Norrman", "Maja Nyberg", "Maja Söderberg"]),
        ("other_clerk", []),
    ],
)
def test_search_finds_only_customers_in_the_users_scope(
    client_for: Any, customers: Any, persona: str, expected: list[str]
) -> None:
    response = client_for(persona).get(reverse("core:search"), {"q": "maja"})
    parties = next(g for g in response.context["groups"] if g["key"] == "parties")
    assert sorted(hit.title for hit in parties["hits"]) == expected
    fragment = client_for(persona).get(reverse("core:search"), {"q": "maja"}, **HTMX).content.decode()
    assert sorted(_hit_titles(fragment)) == expected


def test_search_with_one_character_asks_for_more(client_for: Any, customers: Any) -> None:
    response = client_for("receptionist").get(reverse("core:search"), {"q": "m"})
    assert response.context["groups"] == []
    assert "Type at least two characters." in response.content.decode()


def test_search_without_matches_says_so(client_for: Any, customers: Any) -> None:
    html = client_for("receptionist").get(reverse("core:search"), {"q": "zzzz"}, **HTMX).content.decode()
    assert _hit_titles(html) == []
    assert "No matches for “zzzz”." in html


def test_search_for_user_without_role_finds_nothing(client_for: Any, customers: Any) -> None:
    response = client_for("nobody").get(reverse("core:search"), {"q": "maja"})
    assert response.context["groups"] == []
    assert "There is nothing you can search with your role." in response.content.decode()


def test_search_query_count_does_not_grow_with_matches(
    client_for: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for("admin")
    make_party(org.user("admin"), first_name="Maja")
    from frontoffice.core.registry import registry

    # The shell's own queries, and at most two per search provider the desks register.
    with django_assert_max_num_queries(6 + 2 * len(registry.search)) as few:
        client.get(reverse("core:search"), {"q": "maja"}, **HTMX)
    for i in range(20):
        make_party(org.user("admin"), first_name="Maja", last_name=f"Number{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("core:search"), {"q": "maja"}, **HTMX)


# --- Error pages ----------------------------------------------------------------------------


def test_unknown_url_renders_the_404_page_for_anonymous_visitors(client: Any, db: Any) -> None:
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert response.templates[0].name == "errors/404.html"
    assert "<h1>Page not found</h1>" in html
    assert 'data-testid="nav-main"' not in html


def test_unknown_url_renders_the_404_page_inside_the_shell_for_signed_in_users(client_for: Any) -> None:
    response = client_for("receptionist").get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html
    assert 'data-testid="nav-main"' in html


def test_unknown_api_url_answers_json(client: Any, db: Any) -> None:
    response = views.page_not_found(RequestFactory().get("/api/v1/nothing/"))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("handler", "status", "heading"),
    [
        (views.bad_request, 400, "Something in the request was not right"),
        (views.permission_denied, 403, "You are not allowed to do this"),
        (views.page_not_found, 404, "Page not found"),
    ],
)
def test_error_pages_render_for_anonymous_visitors(db: Any, handler: Any, status: int, heading: str) -> None:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = handler(request, PermissionDenied())
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_server_error_page_renders_without_touching_the_request_context(db: Any) -> None:
    """The 500 page needs no user, session or database: the failure may come from those."""
    request = RequestFactory().get("/somewhere/")
    response = views.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong on our side</h1>" in html
    assert 'href="/static/frontoffice/app.css"' in html


def test_permission_denied_page_renders_in_the_shell_for_signed_in_users(org: Any) -> None:
    request = RequestFactory().get("/somewhere/")
    request.user = org.user("receptionist")
    response = views.permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your role does not include this page or action." in html
    assert 'data-testid="nav-main"' in html


# --- Language -------------------------------------------------------------------------------


def test_signed_in_user_switching_language_keeps_it_on_the_account(client_for: Any, org: Any) -> None:
    client = client_for("receptionist")
    response = client.post(reverse("set_language"), {"language": "sv", "next": "/search/"})
    user = org.user("receptionist")
    user.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/search/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert user.language == "sv"
    page = client.get(reverse("core:home"))
    assert '<html lang="sv"' in page.content.decode()


def test_anonymous_visitor_can_switch_language(client: Any, db: Any) -> None:
    response = client.post(reverse("set_language"), {"language": "sv", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"


def test_unknown_language_changes_nothing(client_for: Any, org: Any) -> None:
    client = client_for("receptionist")
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user = org.user("receptionist")
    user.refresh_from_db()
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert user.language == "en"


def test_language_switch_by_get_changes_nothing(client_for: Any, org: Any) -> None:
    client = client_for("receptionist")
    client.get(reverse("set_language"), {"language": "sv", "next": "/"})
    user = org.user("receptionist")
    user.refresh_from_db()
    assert user.language == "en"


# --- Health -------------------------------------------------------------------------------


def test_healthz_reports_app_and_database_up(client: Any, db: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_only_get(client: Any, db: Any) -> None:
    assert client.post("/healthz").status_code == 405


def test_only_the_deepest_matching_entry_is_marked_current(client_for: Any) -> None:
    """/sales/board/ is the board, not also "Opportunities" at /sales/."""
    html = client_for("rep_north").get(reverse("sales:board")).content.decode()
    assert re.findall(r'data-nav="([\w-]+)" class="is-active"', html) == ["pipeline-board"]
