"""``/api/v1/org/...`` and ``/api/v1/me/``: read-only, scoped, guarded by view permissions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontoffice.api.tests.conftest import assert_error, assert_matches_component, assert_page_of
from frontoffice.org.models import Location, Staff, Team

pytestmark = pytest.mark.django_db

ALL = [
    "admin",
    "nsm",
    "rsm_north",
    "rep_north",
    "rep_south",
    "office_manager",
    "receptionist",
    "finance_manager",
    "clerk",
    "auditor",
    "other_clerk",
    "nobody",
]
# Who holds each view permission (see frontoffice/org/roles.py).
READERS = {
    "legal-entities": {
        "admin",
        "nsm",
        "rsm_north",
        "office_manager",
        "finance_manager",
        "clerk",
        "auditor",
        "other_clerk",
    },
    "regions": {
        "admin",
        "nsm",
        "rsm_north",
        "rep_north",
        "rep_south",
        "office_manager",
        "finance_manager",
        "auditor",
    },
    "locations": {
        "admin",
        "nsm",
        "rsm_north",
        "rep_north",
        "rep_south",
        "office_manager",
        "receptionist",
        "finance_manager",
        "auditor",
    },
    "teams": {"admin", "nsm", "rsm_north", "office_manager", "finance_manager", "auditor"},
    "staff": {"admin", "nsm", "rsm_north", "office_manager", "finance_manager", "auditor"},
}
COMPONENT = {
    "legal-entities": "LegalEntity",
    "regions": "Region",
    "locations": "Location",
    "teams": "Team",
    "staff": "Staff",
}


@pytest.fixture
def teams(org):
    return {
        "clinic": Team.objects.create(location=org.clinic, name="Front desk"),
        "south": Team.objects.create(location=org.south_office, name="South sales"),
        "other": Team.objects.create(location=org.other_office, name="Other desk"),
    }


def names(response):
    assert response.status_code == 200, response.content[:300]
    return sorted(row["name"] for row in response.json()["results"])


@pytest.mark.parametrize("resource", list(READERS))
@pytest.mark.parametrize("persona", ALL)
def test_each_org_resource_needs_its_view_permission(org, api_as, teams, resource, persona):
    response = api_as(persona).get(f"/api/v1/org/{resource}/")
    if persona in READERS[resource]:
        assert response.status_code == 200
        assert_page_of(response.json(), COMPONENT[resource])
    else:
        assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["North", "Other region", "South"]),
        ("rsm_north", ["North"]),
        ("rep_north", ["North"]),
        ("rep_south", ["South"]),
        ("office_manager", ["North"]),
        ("auditor", ["North", "South"]),
    ],
)
def test_regions_are_scoped(org, api_as, persona, expected):
    assert names(api_as(persona).get("/api/v1/org/regions/")) == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["North Dental Clinic", "North Sales Office", "Other Office", "South Sales Office"]),
        ("rep_south", ["South Sales Office"]),
        ("receptionist", ["North Dental Clinic"]),
        ("auditor", ["North Dental Clinic", "North Sales Office", "South Sales Office"]),
    ],
)
def test_locations_are_scoped(org, api_as, persona, expected):
    assert names(api_as(persona).get("/api/v1/org/locations/")) == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["Other Company AB", "Tandhälsan Norden AB"]),
        ("clerk", ["Tandhälsan Norden AB"]),
        ("other_clerk", ["Other Company AB"]),
    ],
)
def test_legal_entities_are_scoped(org, api_as, persona, expected):
    assert names(api_as(persona).get("/api/v1/org/legal-entities/")) == expected


def test_teams_are_scoped(org, api_as, teams):
    assert names(api_as("office_manager").get("/api/v1/org/teams/")) == ["Front desk"]
    assert names(api_as("auditor").get("/api/v1/org/teams/")) == ["Front desk", "South sales"]


def test_staff_are_scoped(org, api_as):
    assert names(api_as("rsm_north").get("/api/v1/org/staff/")) == [
        "Office_Manager Test",
        "Receptionist Test",
        "Rep_North Test",
        "Rsm_North Test",
    ]
    auditor_sees = names(api_as("auditor").get("/api/v1/org/staff/"))
    assert "Other_Clerk Test" not in auditor_sees
    assert len(auditor_sees) == 10


@pytest.mark.parametrize(
    ("resource", "obj"),
    [
        ("legal-entities", "other_company"),
        ("regions", "other_region"),
        ("locations", "other_office"),
    ],
)
def test_a_guessed_org_id_outside_the_scope_is_404(org, api_as, resource, obj):
    pk = getattr(org, obj).pk
    assert_error(api_as("auditor").get(f"/api/v1/org/{resource}/{pk}/"), 404, "not_found")
    assert api_as("admin").get(f"/api/v1/org/{resource}/{pk}/").status_code == 200


def test_a_guessed_team_or_staff_id_outside_the_scope_is_404(org, api_as, teams):
    other_staff = Staff.objects.get(user=org.user("other_clerk"))
    assert_error(api_as("auditor").get(f"/api/v1/org/teams/{teams['other'].pk}/"), 404, "not_found")
    assert_error(api_as("auditor").get(f"/api/v1/org/staff/{other_staff.pk}/"), 404, "not_found")
    assert_error(api_as("auditor").get("/api/v1/org/staff/999999/"), 404, "not_found")


def test_location_detail_gives_ids_with_names(org, api_as):
    response = api_as("receptionist").get(f"/api/v1/org/locations/{org.clinic.pk}/")
    data = response.json()
    assert_matches_component(data, "Location")
    assert data["region"] == {"id": org.north.pk, "name": "North"}
    assert data["legal_entity"] == {"id": org.company.pk, "name": "Tandhälsan Norden AB"}
    assert data["kind"] == "clinic"
    assert data["time_zone"] == "Europe/Stockholm"


def test_staff_detail_shows_role_units_and_managed_regions(org, api_as):
    staff = Staff.objects.get(user=org.user("rsm_north"))
    data = api_as("admin").get(f"/api/v1/org/staff/{staff.pk}/").json()
    assert_matches_component(data, "Staff")
    assert data["role"] == {"code": "regional_sales_manager", "name": "Regional sales manager"}
    assert data["home_region"] == {"id": org.north.pk, "name": "North"}
    assert data["home_location"] == {"id": org.sales_office.pk, "name": "North Sales Office"}
    assert data["region_ids"] == [org.north.pk]
    assert data["email"] == "rsm_north@example.com"
    assert data["active"] is True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("role=sales_rep", ["Rep_North Test", "Rep_South Test"]),
        ("region={south}", ["Rep_South Test"]),
        ("location={clinic}", ["Office_Manager Test", "Receptionist Test"]),
        ("q=recept", ["Receptionist Test"]),
        ("active=false", ["Clerk Test"]),
        ("active=true&role=accounts_clerk", ["Other_Clerk Test"]),
        ("role=accounts_clerk", ["Clerk Test", "Other_Clerk Test"]),
    ],
)
def test_staff_filters(org, api_as, query, expected):
    Staff.objects.filter(user=org.user("clerk")).update(active=False)
    query = query.format(south=org.south.pk, clinic=org.clinic.pk)
    assert names(api_as("nsm").get(f"/api/v1/org/staff/?{query}")) == expected


def test_an_invalid_staff_filter_names_the_parameter(org, api_as):
    body = assert_error(api_as("nsm").get("/api/v1/org/staff/?region=north&active=maybe"), 400, "invalid")
    assert sorted(body["errors"]) == ["active", "region"]


def test_me_describes_the_user_role_scope_and_permissions(org, api_as):
    data = api_as("rep_south").get("/api/v1/me/").json()
    assert_matches_component(data, "Me")
    assert data["username"] == "rep_south"
    assert data["staff_id"] == Staff.objects.get(user=org.user("rep_south")).pk
    assert data["role"] == {"code": "sales_rep", "name": "Sales rep"}
    assert data["scope"] == "own"
    assert data["legal_entity"] == {"id": org.company.pk, "name": "Tandhälsan Norden AB"}
    assert "parties.add_party" in data["permissions"]
    assert "parties.merge_party" not in data["permissions"]
    assert data["permissions"] == sorted(data["permissions"])


def test_me_for_a_user_without_staff_profile_says_they_see_nothing(org, api_as):
    data = api_as("nobody").get("/api/v1/me/").json()
    assert data["role"] is None
    assert data["scope"] is None
    assert data["legal_entity"] is None
    assert data["permissions"] == []


def _count_queries(client, path):
    client.get(path)  # warm-up: token last-use bookkeeping
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize("resource", ["locations", "teams", "staff"])
def test_org_lists_take_the_same_number_of_queries_for_3_or_30_rows(
    org, api_as, django_assert_max_num_queries, resource
):
    client = api_as("admin")

    def grow(n):
        start = Location.objects.count()
        for i in range(start, start + n):
            location = Location.objects.create(
                region=org.north, legal_entity=org.company, name=f"Branch {resource} {i}"
            )
            team = Team.objects.create(location=location, name=f"Team {i}")
            staff = Staff.objects.get(user=org.user("rep_north"))
            staff.pk = None
            staff.user = type(org.user("nobody")).objects.create_user(
                username=f"extra-{resource}-{location.pk}", email=f"extra{location.pk}@example.com"
            )
            staff.home_location = location
            staff.team = team
            staff.supervisor = Staff.objects.get(user=org.user("rsm_north"))
            staff.save()
            staff.regions.add(org.north)
            staff.locations.add(location)

    grow(3)
    few, count_few = _count_queries(client, f"/api/v1/org/{resource}/")
    grow(27)
    with django_assert_max_num_queries(few):
        client.get(f"/api/v1/org/{resource}/")
    many, count_many = _count_queries(client, f"/api/v1/org/{resource}/")
    assert count_many == count_few + 27
    assert many == few
