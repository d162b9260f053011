"""Settings pages: who may open them, scope (404 for other units), forms and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontoffice.core.models import AuditEntry
from frontoffice.org import services
from frontoffice.org.models import LegalEntity, Location, Role, Staff, Team, User
from frontoffice.org.tests.factories import make_entity_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(org):
    return Team.objects.create(location=org.clinic, name="Front desk")


@pytest.fixture
def invitation(org):
    invitation, _raw = services.invitation_create(
        actor=org.user("admin"),
        email="new@example.com",
        first_name="New",
        last_name="Person",
        legal_entity=org.company,
        role=Role.objects.get(code="receptionist"),
    )
    return invitation


def settings_pages(org, team):
    rep = Staff.objects.get(user=org.people["rep_north"])
    return [
        reverse("org:tree"),
        reverse("org:legal-entity-create"),
        reverse("org:legal-entity-edit", args=[org.company.pk]),
        reverse("org:region-create"),
        reverse("org:region-edit", args=[org.north.pk]),
        reverse("org:location-create"),
        reverse("org:location-edit", args=[org.clinic.pk]),
        reverse("org:team-create"),
        reverse("org:team-edit", args=[team.pk]),
        reverse("org:staff-list"),
        reverse("org:staff-create"),
        reverse("org:staff-edit", args=[rep.pk]),
        reverse("org:role-list"),
        reverse("org:role-create"),
        reverse("org:role-edit", args=[Role.objects.get(code="receptionist").pk]),
        reverse("org:invitation-list"),
        reverse("org:invitation-create"),
    ]


def test_the_administrator_opens_every_settings_page(org, team, client_for):
    client = client_for("admin")
    for url in settings_pages(org, team):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize(
    "persona",
    ["receptionist", "clerk", "auditor", "nobody", "rep_north", "nsm", "office_manager", "finance_manager"],
)
def test_people_without_manage_settings_get_403_on_every_settings_page(
    org, team, invitation, client_for, persona
):
    client = client_for(persona)
    for url in settings_pages(org, team):
        assert client.get(url).status_code == 403, url
    revoke = reverse("org:invitation-revoke", args=[invitation.pk])
    assert client.post(revoke).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(org, team, client):
    for url in settings_pages(org, team):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


def test_an_entity_administrator_gets_404_for_units_of_another_legal_entity(org, team, invitation, client):
    client.force_login(make_entity_admin(org))
    rep = Staff.objects.get(user=org.people["rep_north"])
    for url in [
        reverse("org:legal-entity-edit", args=[org.company.pk]),
        reverse("org:region-edit", args=[org.north.pk]),
        reverse("org:location-edit", args=[org.clinic.pk]),
        reverse("org:team-edit", args=[team.pk]),
        reverse("org:staff-edit", args=[rep.pk]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Taken over"}).status_code == 404, url
    assert client.post(reverse("org:invitation-revoke", args=[invitation.pk])).status_code == 404
    assert client.get(reverse("org:legal-entity-edit", args=[org.other_company.pk])).status_code == 200
    # Legal entities and roles are shared by the organisation: only organisation-wide admins.
    assert client.get(reverse("org:legal-entity-create")).status_code == 403
    assert (
        client.get(reverse("org:role-edit", args=[Role.objects.get(code="receptionist").pk])).status_code
        == 403
    )


def test_an_entity_administrator_sees_only_their_legal_entity_in_tree_and_lists(org, client):
    client.force_login(make_entity_admin(org))
    tree = client.get(reverse("org:tree")).content.decode()
    assert "Other Company AB" in tree
    assert "Tandhälsan" not in tree
    staff = client.get(reverse("org:staff-list")).content.decode()
    assert "Other_Clerk" in staff
    assert "Rep_North" not in staff


def test_a_guessed_region_id_in_a_form_is_an_invalid_choice(org, client):
    client.force_login(make_entity_admin(org))
    response = client.post(
        reverse("org:location-create"),
        {
            "region": org.north.pk,
            "name": "Sneaky",
            "kind": "office",
            "country": "SE",
            "time_zone": "Europe/Stockholm",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Location.objects.filter(name="Sneaky").exists() is False


def test_tree_shows_units_with_active_staff_counts(org, team, client_for):
    Staff.objects.filter(user__username="receptionist").update(team=team)
    response = client_for("admin").get(reverse("org:tree"))
    nodes = response.context["nodes"]
    company = next(n for n in nodes if n.obj == org.company)
    north = next(n for n in company.children if n.obj == org.north)
    clinic = next(n for n in north.children if n.obj == org.clinic)
    assert company.staff_count == 10
    assert north.staff_count == 4  # rsm_north, rep_north, office_manager, receptionist
    assert clinic.staff_count == 2
    assert [(t.obj.name, t.staff_count) for t in clinic.children] == [("Front desk", 1)]
    assert 'href="{}"'.format(reverse("org:team-edit", args=[team.pk])) in response.content.decode()


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params or {})
    return len(captured.captured_queries)


def test_tree_query_count_does_not_grow_with_units(org, client_for, django_assert_max_num_queries):
    client = client_for("admin")
    client.get(reverse("org:tree"))
    baseline = count_queries(client, reverse("org:tree"))
    for i in range(5):
        location = Location.objects.create(region=org.south, legal_entity=org.company, name=f"Extra {i}")
        Team.objects.create(location=location, name=f"Team {i}")
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("org:tree"))
    assert "Team 4" in response.content.decode()


def test_creating_a_legal_entity_through_the_form(org, client_for):
    response = client_for("admin").post(
        reverse("org:legal-entity-create"),
        {
            "name": "Ny AB",
            "organisation_number": "5560160680",
            "vat_number": "",
            "base_currency": "SEK",
            "country": "SE",
            "default_language": "sv",
        },
    )
    assert response.status_code == 302
    assert LegalEntity.objects.get(name="Ny AB").organisation_number == "556016-0680"


def test_a_wrong_organisation_number_is_shown_next_to_its_field(org, client_for):
    response = client_for("admin").post(
        reverse("org:legal-entity-edit", args=[org.company.pk]),
        {
            "name": "Tandhälsan Norden AB",
            "organisation_number": "556036-0794",
            "base_currency": "SEK",
            "country": "SE",
            "default_language": "sv",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "organisation_number": [
            "This organisation number has a wrong check digit; please check it for typos."
        ]
    }
    org.company.refresh_from_db()
    assert org.company.organisation_number == "556036-0793"


def location_post(**overrides):
    data = {
        "region": "",
        "name": "Lund Clinic",
        "kind": "clinic",
        "street": "Storgatan 1",
        "postal_code": "222 22",
        "city": "Lund",
        "country": "SE",
        "time_zone": "Europe/Stockholm",
    }
    for day in ("mon", "tue", "wed", "thu", "fri"):
        data[f"{day}_open"] = "08:00"
        data[f"{day}_close"] = "17:00"
    data["sat_closed"] = "on"
    data["sun_closed"] = "on"
    data.update(overrides)
    return data


def test_location_form_stores_the_weekly_opening_hours(org, client_for):
    response = client_for("admin").post(
        reverse("org:location-create"), location_post(region=org.south.pk, fri_close="15:00")
    )
    assert response.status_code == 302
    location = Location.objects.get(name="Lund Clinic")
    assert location.legal_entity == org.company
    assert location.opening_hours == {
        "mon": [["08:00", "17:00"]],
        "tue": [["08:00", "17:00"]],
        "wed": [["08:00", "17:00"]],
        "thu": [["08:00", "17:00"]],
        "fri": [["08:00", "15:00"]],
        "sat": [],
        "sun": [],
    }
    edit = client_for("admin").get(reverse("org:location-edit", args=[location.pk])).content.decode()
    assert 'name="fri_close" value="15:00"' in edit


def test_location_form_shows_an_hours_error_next_to_the_day(org, client_for):
    response = client_for("admin").post(
        reverse("org:location-create"), location_post(region=org.south.pk, tue_open="18:00")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "tue_open": ["Tuesday: the closing time must be after the opening time."]
    }
    assert Location.objects.filter(name="Lund Clinic").exists() is False


def test_creating_staff_through_the_form(org, client_for):
    response = client_for("admin").post(
        reverse("org:staff-create"),
        {
            "email": "nina@example.com",
            "username": "nina",
            "first_name": "Nina",
            "last_name": "Nilsson",
            "legal_entity": org.company.pk,
            "role": Role.objects.get(code="receptionist").pk,
            "home_location": org.clinic.pk,
        },
    )
    assert response.status_code == 302
    staff = Staff.objects.get(user__username="nina")
    assert (staff.home_region, staff.home_location) == (org.north, org.clinic)


def test_supervisor_cycle_is_shown_on_the_staff_form(org, client_for):
    admin = org.user("admin")
    nsm = Staff.objects.get(user__username="nsm")
    rsm = Staff.objects.get(user__username="rsm_north")
    services.staff_update(actor=admin, staff=rsm, data={"supervisor": nsm})
    response = client_for("admin").post(
        reverse("org:staff-edit", args=[nsm.pk]),
        {"role": nsm.role_id, "supervisor": rsm.pk, "active": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "supervisor": ["Rsm_North Test reports to this person, directly or indirectly."]
    }


def test_deactivating_staff_through_the_form(org, client_for):
    rep = Staff.objects.get(user__username="rep_north")
    response = client_for("admin").post(
        reverse("org:staff-edit", args=[rep.pk]),
        {"role": rep.role_id, "home_region": org.north.pk, "home_location": org.sales_office.pk},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.active is False
    assert AuditEntry.objects.for_object(rep).get().changes == {"active": [True, False]}


def make_staff(org, n):
    role = Role.objects.get(code="sales_rep")
    for i in range(n):
        user = User.objects.create_user(
            username=f"bulk{i}", email=f"bulk{i}@example.com", first_name=f"Bulk{i}"
        )
        Staff.objects.create(
            user=user, legal_entity=org.company, role=role, home_region=org.north, home_location=org.clinic
        )


def test_staff_list_query_count_is_the_same_for_3_and_25_staff(
    org, client_for, django_assert_max_num_queries, settings
):
    settings.FRONTOFFICE_PAGE_SIZE = 50
    client = client_for("admin")
    Staff.objects.exclude(user__username="admin").delete()
    make_staff(org, 2)
    client.get(reverse("org:staff-list"))
    baseline = count_queries(client, reverse("org:staff-list"))
    assert len(client.get(reverse("org:staff-list")).context["page_obj"].object_list) == 3
    role = Role.objects.get(code="sales_rep")
    for i in range(22):
        user = User.objects.create_user(username=f"more{i}", email=f"more{i}@example.com")
        team = Team.objects.create(location=org.other_office, name=f"Team {i}")
        Staff.objects.create(
            user=user,
            legal_entity=org.other_company,
            role=role,
            home_region=org.other_region,
            home_location=org.other_office,
            team=team,
        )
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("org:staff-list"))
    assert len(response.context["page_obj"].object_list) == 25


def test_staff_list_filters_by_search_role_location_and_status(org, client_for):
    client = client_for("admin")
    receptionist_role = Role.objects.get(code="receptionist")
    Staff.objects.filter(user__username="office_manager").update(active=False)

    def names(**params):
        response = client.get(reverse("org:staff-list"), params)
        return sorted(s.user.username for s in response.context["page_obj"].object_list)

    assert names(q="rep_") == ["rep_north", "rep_south"]
    assert names(q="clerk@example") == ["clerk", "other_clerk"]
    assert names(role=receptionist_role.pk) == ["receptionist"]
    assert names(location=org.clinic.pk) == ["office_manager", "receptionist"]
    assert names(location=org.clinic.pk, active="yes") == ["receptionist"]
    assert names(active="no") == ["office_manager"]


def test_staff_list_htmx_request_gets_only_the_results_fragment(org, client_for):
    response = client_for("admin").get(
        reverse("org:staff-list"), {"q": "rep_north"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="staff-results"')
    assert "<html" not in body
    assert "Rep_North Test" in body


def test_role_form_groups_framework_free_permissions_by_app(org, client_for):
    response = client_for("admin").get(
        reverse("org:role-edit", args=[Role.objects.get(code="receptionist").pk])
    )
    groups = response.context["form"].permission_groups()
    from django.apps import apps

    labels = [g["label"] for g in groups]
    # One group per Frontoffice app, in app-label order; Django's own apps are not offered.
    ours = sorted(
        (config for config in apps.get_app_configs() if config.name.startswith("frontoffice.")),
        key=lambda config: config.label,
    )
    assert labels == [str(config.verbose_name) for config in ours if str(config.verbose_name) in labels]
    assert {
        "Billing",
        "Core",
        "Finance",
        "Organisation",
        "Customers",
        "Pricing",
        "Receivables",
        "Sales",
    } <= set(labels)
    assert not {"Authentication and Authorization", "Sessions", "Content Types"} & set(labels)
    body = response.content.decode()
    assert "parties.view_party" in body
    assert "auth.add_group" not in body
    assert "sessions." not in body


def test_removing_manage_settings_from_the_administrator_role_is_refused_in_the_form(org, client_for):
    role = Role.objects.get(code="administrator")
    response = client_for("admin").post(
        reverse("org:role-edit", args=[role.pk]),
        {
            "name": "Administrator",
            "scope": "organisation",
            "permissions": [p.pk for p in role.permissions.exclude(codename="manage_settings")],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["permissions"] == [
        "This role must keep “Can manage organisation settings”, or nobody could manage them."
    ]
    assert role.permissions.filter(codename="manage_settings").exists() is True


def test_creating_a_role_through_the_form(org, client_for):
    response = client_for("admin").post(
        reverse("org:role-create"), {"name": "Hygienist", "scope": "location", "description": ""}
    )
    assert response.status_code == 302
    role = Role.objects.get(code="hygienist")
    assert (role.scope, role.permissions.count(), role.is_default) == ("location", 0, False)


def test_settings_navigation_follows_permissions(org, client_for):
    from frontoffice.core.registry import registry

    def settings_nav(persona):
        return [i["key"] for i in client_for(persona).get(reverse("core:home")).context["nav_settings"]]

    def allowed(persona):
        user = org.user(persona)
        return [
            item.key
            for item in registry.nav
            if item.section == "settings" and (item.permission is None or user.has_perm(item.permission))
        ]

    admin_nav = settings_nav("admin")
    assert admin_nav == allowed("admin")
    assert admin_nav[:4] == ["org-tree", "staff", "roles", "invitations"]
    assert {"ledger-settings", "billing-settings", "receivables-settings", "discount-authority"} <= set(
        admin_nav
    )
    assert admin_nav[-1] == "api-tokens"
    receptionist_nav = settings_nav("receptionist")
    assert receptionist_nav == allowed("receptionist")
    assert "org-tree" not in receptionist_nav and "ledger-settings" not in receptionist_nav
    assert receptionist_nav[-1] == "api-tokens"


def test_global_search_finds_staff_within_scope(org, client_for):
    def titles(persona, query):
        groups = client_for(persona).get(reverse("core:search"), {"q": query}).context["groups"]
        return {g["key"]: sorted(h.title for h in g["hits"]) for g in groups}.get("staff")

    assert titles("admin", "clerk") == ["Clerk Test", "Other_Clerk Test"]
    assert titles("auditor", "clerk") == ["Clerk Test"]
    assert titles("receptionist", "clerk") is None  # no org.view_staff: no staff group at all


def test_staff_detail_is_read_only_and_scoped(org, client_for):
    clerk = Staff.objects.get(user__username="clerk")
    other = Staff.objects.get(user__username="other_clerk")
    auditor = client_for("auditor")
    assert auditor.get(reverse("org:staff-detail", args=[clerk.pk])).status_code == 200
    assert auditor.get(reverse("org:staff-detail", args=[other.pk])).status_code == 404
    assert client_for("receptionist").get(reverse("org:staff-detail", args=[clerk.pk])).status_code == 403


def test_saving_the_location_form_keeps_a_lunch_break_it_cannot_show(org, client_for):
    hours = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}
    services.location_update(actor=org.user("admin"), location=org.clinic, data={"opening_hours": hours})
    data = location_post(region=org.north.pk, name="North Dental Clinic", mon_open="08:00", mon_close="12:00")
    response = client_for("admin").post(reverse("org:location-edit", args=[org.clinic.pk]), data)
    assert response.status_code == 302
    org.clinic.refresh_from_db()
    assert org.clinic.opening_hours["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert org.clinic.opening_hours["tue"] == [["08:00", "17:00"]]
