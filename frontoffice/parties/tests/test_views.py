"""The customers desk pages, per persona: allowed, denied (403) and out of scope (404)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from frontoffice.core.models import AuditEntry
from frontoffice.parties import services
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.tests.factories import make_party

HTMX = {"HTTP_HX_REQUEST": "true"}
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

# Who sees a customer of the North Dental Clinic (North region, unassigned).
SEES_CLINIC_CUSTOMER = [
    "admin",
    "nsm",
    "rsm_north",
    "rep_north",
    "office_manager",
    "receptionist",
    "finance_manager",
    "clerk",
    "auditor",
]
BLIND_TO_CLINIC_CUSTOMER = ["rep_south", "other_clerk"]


@pytest.fixture
def clinic_party(org):
    """Åsa Öberg, an unassigned customer of the North Dental Clinic."""
    party = make_party(
        org.user("admin"),
        first_name="Åsa",
        last_name="Öberg",
        email="asa@example.se",
        phone="070-123 45 67",
        city="Umeå",
        location=org.clinic,
        tags=["vip"],
    )
    return party


@pytest.fixture
def south_party(org):
    return make_party(
        org.user("admin"), first_name="Sven", last_name="Svensson", city="Malmö", location=org.south_office
    )


def _record(actor, party, subject="Asked about prices", **kwargs):
    kwargs.setdefault("started_at", START)
    return services.interaction_record(
        actor=actor, party=party, kind="call", channel="phone", subject=subject, **kwargs
    )


def _is_fragment(response) -> bool:
    return b"<html" not in response.content and b"<main" not in response.content


# ---------------------------------------------------------------- customer list


@pytest.mark.parametrize("persona", SEES_CLINIC_CUSTOMER)
def test_the_customer_list_shows_customers_in_scope(client_for, clinic_party, south_party, persona):
    response = client_for(persona).get(reverse("parties:party-list"))
    assert response.status_code == 200
    names = [p.display_name for p in response.context["page_obj"]]
    assert "Åsa Öberg" in names
    content = response.content.decode()
    assert f'href="/customers/{clinic_party.pk}/"' in content
    assert "+46 70 123 45 67" in content


@pytest.mark.parametrize("persona", BLIND_TO_CLINIC_CUSTOMER)
def test_the_customer_list_hides_customers_out_of_scope(client_for, clinic_party, persona):
    response = client_for(persona).get(reverse("parties:party-list"))
    assert response.status_code == 200
    assert "Åsa Öberg" not in response.content.decode()


def test_a_user_without_a_staff_profile_is_refused_the_customer_list(client_for, clinic_party):
    assert client_for("nobody").get(reverse("parties:party-list")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, org):
    response = client.get(reverse("parties:party-list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_searching_and_filtering_narrow_the_list(org, client_for, clinic_party, south_party):
    admin = org.user("admin")
    make_party(admin, kind="organisation", organisation_name="Tandvård AB", location=org.clinic)
    client = client_for("admin")

    def names(**params):
        response = client.get(reverse("parties:party-list"), params)
        return [p.display_name for p in response.context["page_obj"]]

    assert names(q="öberg") == ["Åsa Öberg"]
    assert names(q="0701234567") == ["Åsa Öberg"]
    assert names(kind="organisation") == ["Tandvård AB"]
    assert names(tag="VIP") == ["Åsa Öberg"]
    assert names(region=str(org.south.pk)) == ["Sven Svensson"]
    assert names(location=str(org.clinic.pk)) == ["Tandvård AB", "Åsa Öberg"]
    assert names(owner="none", sort="-name") == ["Åsa Öberg", "Tandvård AB", "Sven Svensson"]
    assert names(owner="me") == []
    assert names(sort="city") == ["Tandvård AB", "Sven Svensson", "Åsa Öberg"]
    # Unknown values are ignored instead of failing the page.
    assert names(kind="robot", sort="nonsense") == ["Sven Svensson", "Tandvård AB", "Åsa Öberg"]


def test_the_sorted_column_announces_its_direction(client_for, clinic_party):
    content = client_for("admin").get(reverse("parties:party-list"), {"sort": "-city"}).content.decode()
    assert '<th scope="col" aria-sort="descending"><a href="?sort=city"' in content
    assert '<th scope="col" aria-sort="none"><a href="?sort=name"' in content


def test_region_and_location_filters_offer_only_what_the_user_can_see(client_for, org):
    content = client_for("rep_south").get(reverse("parties:party-list")).content.decode()
    assert f'<option value="{org.south.pk}">South</option>' in content
    assert f'<option value="{org.south_office.pk}">South Sales Office</option>' in content
    assert "North Dental Clinic" not in content
    assert ">North<" not in content


def test_the_list_is_paginated(org, client_for, settings):
    settings.FRONTOFFICE_PAGE_SIZE = 2
    admin = org.user("admin")
    for name in ("Adam", "Bertil", "Cesar"):
        make_party(admin, first_name=name, location=org.clinic)
    client = client_for("admin")
    first = client.get(reverse("parties:party-list"))
    second = client.get(reverse("parties:party-list"), {"page": "2"})
    assert [p.first_name for p in first.context["page_obj"]] == ["Adam", "Bertil"]
    assert [p.first_name for p in second.context["page_obj"]] == ["Cesar"]
    assert 'href="?page=2"' in first.content.decode()


def test_htmx_requests_get_only_the_results_fragment(client_for, clinic_party):
    response = client_for("admin").get(reverse("parties:party-list"), {"q": "åsa"}, **HTMX)
    assert response.status_code == 200
    assert _is_fragment(response)
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="party-results"')
    assert "Åsa Öberg" in content
    # The export link lives in the fragment, so it follows the filters shown.
    assert 'href="/customers/export/?q=%C3%A5sa"' in content


def test_a_boosted_navigation_to_the_list_gets_the_whole_page(client_for, clinic_party):
    response = client_for("admin").get(
        reverse("parties:party-list"), HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true", HTTP_HX_TARGET="main"
    )
    assert b"<main" in response.content


def test_an_empty_list_says_there_are_no_customers_yet(client_for, org):
    content = client_for("admin").get(reverse("parties:party-list")).content.decode()
    assert "No customers yet." in content
    assert "No customers match these filters." not in content


def test_a_search_without_hits_says_nothing_matches(client_for, clinic_party):
    content = client_for("admin").get(reverse("parties:party-list"), {"q": "zzz"}).content.decode()
    assert "No customers match these filters." in content
    assert "No customers yet." not in content


@pytest.mark.parametrize(
    ("persona", "shown"), [("rep_north", True), ("receptionist", True), ("auditor", False)]
)
def test_the_new_customer_button_needs_the_add_permission(client_for, org, persona, shown):
    content = client_for(persona).get(reverse("parties:party-list")).content.decode()
    assert ('href="/customers/new/"' in content) is shown


def _make_parties(org, count):
    admin = org.user("admin")
    for i in range(count):
        make_party(
            admin,
            first_name=f"Person{i:02d}",
            owner=org.user("rsm_north"),
            location=org.clinic if i % 2 else org.sales_office,
            tags=["vip", f"t{i % 3}"],
        )


@pytest.mark.parametrize("rows", [3, 30])
def test_the_customer_list_needs_the_same_number_of_queries_for_3_or_30_rows(
    org, client_for, settings, django_assert_max_num_queries, rows
):
    settings.FRONTOFFICE_PAGE_SIZE = 50
    _make_parties(org, rows)
    client = client_for("rsm_north")
    # 13 today (session, user, permissions, scope, filter choices, count, rows, tags) + 2 spare:
    # one query per row would exceed it already at 3 rows.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("parties:party-list"))
    assert len(response.context["page_obj"]) == rows


# ---------------------------------------------------------------- CSV export


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_export_is_utf8_with_bom_and_holds_the_filtered_list(client_for, clinic_party, south_party):
    response = client_for("admin").get(reverse("parties:party-export"), {"q": "öberg"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = _csv_rows(response)
    assert rows[0][:5] == ["ID", "Name", "Kind", "E-mail", "Phone"]
    assert len(rows) == 2
    row = rows[1]
    assert row[:5] == [str(clinic_party.pk), "Åsa Öberg", "Person", "asa@example.se", "'+46 70 123 45 67"]
    assert row[8] == "Umeå"
    assert row[12:14] == ["North Dental Clinic", "vip"]


def test_the_csv_export_is_scoped_to_the_user(client_for, clinic_party, south_party):
    rows = _csv_rows(client_for("rsm_north").get(reverse("parties:party-export")))
    assert [r[1] for r in rows[1:]] == ["Åsa Öberg"]


def test_the_csv_export_defuses_spreadsheet_formulas(org, client_for):
    make_party(org.user("admin"), first_name="=HYPERLINK(1)", location=org.clinic)
    rows = _csv_rows(client_for("admin").get(reverse("parties:party-export")))
    assert rows[1][1] == "'=HYPERLINK(1) Andersson"


@pytest.mark.parametrize("persona", ["rep_north", "receptionist", "auditor", "nobody"])
def test_the_csv_export_needs_the_export_permission(client_for, org, persona):
    assert client_for(persona).get(reverse("parties:party-export")).status_code == 403


# ---------------------------------------------------------------- create


def _form_data(**overrides):
    data = {
        "kind": "person",
        "first_name": "Greta",
        "last_name": "Garbo",
        "organisation_name": "",
        "email": "Greta@Example.se",
        "phone": "070-765 43 21",
        "organisation_number": "",
        "street": "Storgatan 1",
        "postal_code": "903 25",
        "city": "Umeå",
        "country": "se",
        "language": "sv",
        "tags": "vip, Dental ,",
        "source": "walk_in",
        "owner": "",
        "location": "",
        "notes": "",
        "consent_data_processing": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_create_form_creates_a_customer_and_redirects_to_it(client_for, org):
    client = client_for("receptionist")
    response = client.post(reverse("parties:party-create"), _form_data())
    party = Party.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{party.pk}/"
    assert (party.display_name, party.email, party.phone, party.country) == (
        "Greta Garbo",
        "greta@example.se",
        "+46707654321",
        "SE",
    )
    assert (party.location, party.source, party.consent_data_processing) == (org.clinic, "walk_in", True)
    assert party.consent_data_processing_at is not None
    assert sorted(t.name for t in party.tags.all()) == ["dental", "vip"]
    follow = client.get(response["Location"])
    assert "Customer “Greta Garbo” created." in follow.content.decode()


def test_invalid_input_shows_inline_errors_and_saves_nothing(client_for, org):
    response = client_for("admin").post(
        reverse("parties:party-create"),
        _form_data(
            phone="12", organisation_number="556036-0794", email="not-an-email", location=org.clinic.pk
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] == ["Enter a valid email address."]
    assert Party.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    # Service errors land on their fields too, once the form itself is valid.
    response = client_for("admin").post(
        reverse("parties:party-create"),
        _form_data(phone="12", organisation_number="556036-0794", location=org.clinic.pk),
    )
    form = response.context["form"]
    assert [e.code for e in form.errors.as_data()["phone"]] == ["phone_invalid"]
    assert [e.code for e in form.errors.as_data()["organisation_number"]] == ["organisation_number_checksum"]
    content = response.content.decode()
    assert '<div id="id_phone_error"><p class="error">' in content
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in content
    assert Party.objects.count() == 0


def test_a_rep_cannot_pick_a_location_outside_their_region(client_for, org):
    response = client_for("rep_north").post(
        reverse("parties:party-create"), _form_data(location=org.south_office.pk)
    )
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["location"]] == ["invalid_choice"]
    assert Party.objects.count() == 0


def test_a_duplicate_is_shown_and_created_only_when_confirmed(client_for, clinic_party):
    client = client_for("admin")
    data = _form_data(email="ASA@example.se", first_name="Åsa", last_name="Öberg-Lind")
    response = client.post(reverse("parties:party-create"), data)
    assert response.status_code == 200
    assert [p.pk for p in response.context["duplicates"]] == [clinic_party.pk]
    content = response.content.decode()
    assert f'<a href="/customers/{clinic_party.pk}/">Åsa Öberg</a>' in content
    assert "Create anyway, it is a different customer" in content
    assert Party.objects.count() == 1

    response = client.post(reverse("parties:party-create"), {**data, "allow_duplicate": "on"})
    assert response.status_code == 302
    assert Party.objects.count() == 2
    assert Party.objects.get(display_name="Åsa Öberg-Lind").email == "asa@example.se"


def test_the_duplicate_checkbox_is_not_offered_without_a_duplicate(client_for, org):
    content = client_for("admin").get(reverse("parties:party-create")).content.decode()
    assert "Create anyway" not in content


@pytest.mark.parametrize("persona", ["auditor", "nobody"])
def test_creating_needs_the_add_permission(client_for, org, persona):
    client = client_for(persona)
    assert client.get(reverse("parties:party-create")).status_code == 403
    assert client.post(reverse("parties:party-create"), _form_data()).status_code == 403
    assert Party.objects.count() == 0


# ---------------------------------------------------------------- edit


def test_the_edit_form_is_prefilled_and_saves_changes(client_for, clinic_party):
    client = client_for("receptionist")
    url = reverse("parties:party-edit", args=[clinic_party.pk])
    form = client.get(url).context["form"]
    assert form["email"].value() == "asa@example.se"
    assert form["tags"].value() == "vip"
    response = client.post(
        url,
        _form_data(
            first_name="Åsa",
            last_name="Öberg",
            email="asa.o@example.se",
            tags="vip, gold",
            location=clinic_party.location_id,
        ),
    )
    assert response.status_code == 302
    clinic_party.refresh_from_db()
    assert clinic_party.email == "asa.o@example.se"
    assert sorted(t.name for t in clinic_party.tags.all()) == ["gold", "vip"]
    entry = AuditEntry.objects.for_object(clinic_party).get(action="parties.party.updated")
    assert entry.changes["email"] == ["asa@example.se", "asa.o@example.se"]


def test_moving_a_customer_out_of_the_editors_scope_is_an_inline_error(client_for, org, clinic_party):
    response = client_for("receptionist").post(
        reverse("parties:party-edit", args=[clinic_party.pk]), _form_data(location="")
    )
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["location"]] == ["out_of_scope"]
    clinic_party.refresh_from_db()
    assert clinic_party.location == org.clinic


def test_an_erased_customer_cannot_be_edited(org, client_for, clinic_party):
    services.party_erase(actor=org.user("admin"), party=clinic_party)
    response = client_for("admin").post(
        reverse("parties:party-edit", args=[clinic_party.pk]), _form_data(), follow=True
    )
    assert response.redirect_chain == [(clinic_party.get_absolute_url(), 302)]
    assert "This customer was erased or merged and can no longer be changed." in response.content.decode()
    clinic_party.refresh_from_db()
    assert clinic_party.first_name == ""


def test_an_invalid_edit_changes_nothing(client_for, clinic_party):
    response = client_for("admin").post(
        reverse("parties:party-edit", args=[clinic_party.pk]), _form_data(phone="nonsense")
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    clinic_party.refresh_from_db()
    assert (clinic_party.phone, clinic_party.first_name) == ("+46701234567", "Åsa")


@pytest.mark.parametrize("persona", BLIND_TO_CLINIC_CUSTOMER)
def test_editing_a_customer_out_of_scope_is_not_found(client_for, clinic_party, persona):
    url = reverse("parties:party-edit", args=[clinic_party.pk])
    assert client_for(persona).get(url).status_code == 404
    assert client_for(persona).post(url, _form_data()).status_code == 404


def test_editing_needs_the_change_permission(client_for, clinic_party):
    assert client_for("auditor").get(reverse("parties:party-edit", args=[clinic_party.pk])).status_code == 403


# ---------------------------------------------------------------- detail


@pytest.mark.parametrize("persona", SEES_CLINIC_CUSTOMER)
def test_the_customer_page_opens_for_personas_in_scope(client_for, clinic_party, persona):
    response = client_for(persona).get(clinic_party.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Åsa Öberg</h1>" in content
    assert "+46 70 123 45 67" in content


@pytest.mark.parametrize("persona", BLIND_TO_CLINIC_CUSTOMER)
def test_a_guessed_customer_id_out_of_scope_is_not_found(client_for, clinic_party, persona):
    assert client_for(persona).get(clinic_party.get_absolute_url()).status_code == 404


def test_an_unknown_customer_id_is_not_found(client_for, org):
    assert client_for("admin").get(reverse("parties:party-detail", args=[999999])).status_code == 404


def test_the_customer_page_needs_the_view_permission(client_for, clinic_party):
    assert client_for("nobody").get(clinic_party.get_absolute_url()).status_code == 403


@pytest.mark.parametrize(("persona", "shown"), [("rsm_north", True), ("auditor", True), ("rep_north", False)])
def test_the_audit_trail_is_shown_only_to_those_allowed_to_read_it(client_for, clinic_party, persona, shown):
    content = client_for(persona).get(clinic_party.get_absolute_url()).content.decode()
    assert ("parties.party.created" in content) is shown


def test_the_actions_follow_the_users_permissions(client_for, clinic_party):
    admin = client_for("admin").get(clinic_party.get_absolute_url()).content.decode()
    for url in ("edit/", "merge/", "personal-data/", "erase/"):
        assert f'href="/customers/{clinic_party.pk}/{url}"' in admin
    auditor = client_for("auditor").get(clinic_party.get_absolute_url()).content.decode()
    for url in ("edit/", "merge/", "personal-data/", "erase/"):
        assert f'href="/customers/{clinic_party.pk}/{url}"' not in auditor
    assert 'id="interaction-form"' not in auditor


def test_the_timeline_shows_20_interactions_per_page_newest_first(org, client_for, clinic_party):
    admin = org.user("admin")
    for i in range(23):
        _record(admin, clinic_party, subject=f"Call {i:02d}", started_at=START.replace(day=1 + i))
    client = client_for("admin")
    first = client.get(clinic_party.get_absolute_url())
    assert [i.subject for i in first.context["timeline"]][:2] == ["Call 22", "Call 21"]
    assert len(first.context["timeline"]) == 20
    second = client.get(clinic_party.get_absolute_url(), {"page": "2"}, **HTMX)
    assert _is_fragment(second)
    assert second.content.decode().lstrip().startswith('<section id="party-timeline"')
    assert [i.subject for i in second.context["timeline"]] == ["Call 02", "Call 01", "Call 00"]


def test_a_merged_customers_page_points_to_the_survivor(org, client_for, clinic_party):
    admin = org.user("admin")
    survivor = make_party(admin, first_name="Åsa", last_name="Ö", location=org.clinic)
    services.party_merge(actor=admin, source=clinic_party, target=survivor)
    content = client_for("rsm_north").get(clinic_party.get_absolute_url()).content.decode()
    assert 'data-testid="badge-merged"' in content
    assert f'This customer was merged into <a href="/customers/{survivor.pk}/">Åsa Ö</a>.' in content
    assert f'href="/customers/{clinic_party.pk}/edit/"' not in content


def test_an_erased_customers_page_shows_the_badge(org, client_for, clinic_party):
    services.party_erase(actor=org.user("admin"), party=clinic_party)
    content = client_for("admin").get(clinic_party.get_absolute_url()).content.decode()
    assert 'data-testid="badge-erased"' in content
    assert "Åsa" not in content


def test_the_customer_page_needs_the_same_number_of_queries_for_3_or_30_interactions(
    org, client_for, clinic_party
):
    """The page's own queries stay at 15 or fewer and each desk's card (``register_party_panel``)
    adds at most 3; none of them grows with the customer's history."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from frontoffice.core.registry import registry

    client = client_for("rsm_north")
    counts = []
    recorded = 0
    for rows in (3, 30):
        for i, persona in zip(
            range(recorded, rows), ["rep_north", "receptionist", "rsm_north"] * rows, strict=False
        ):
            _record(org.user(persona), clinic_party, subject=f"Call {i}")
        recorded = rows
        with CaptureQueriesContext(connection) as queries:
            response = client.get(clinic_party.get_absolute_url())
        assert response.status_code == 200
        assert len(response.context["timeline"]) == min(rows, 20)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 15 + 3 * len(registry.party_panels)


# ---------------------------------------------------------------- log interaction


def _interaction_data(**overrides):
    data = {
        "kind": "call",
        "channel": "phone",
        "direction": "outbound",
        "subject": "Reminded about the check-up",
        "started_at": "2025-03-03T10:00",
        "ended_at": "2025-03-03T10:12",
        "outcome": "Will come on Friday",
    }
    data.update(overrides)
    return data


def test_logging_an_interaction_with_htmx_returns_the_new_timeline_and_a_fresh_form(
    org, client_for, clinic_party
):
    url = reverse("parties:interaction-create", args=[clinic_party.pk])
    response = client_for("receptionist").post(url, _interaction_data(), **HTMX)
    assert response.status_code == 200
    assert _is_fragment(response)
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="party-timeline"')
    assert "Reminded about the check-up" in content
    assert "12 minutes" in content
    assert (
        '<section id="interaction-form" class="card" aria-labelledby="interaction-form-heading" hx-swap-oob="outerHTML">'
        in content
    )
    interaction = Interaction.objects.get()
    assert (interaction.party, interaction.staff.user, interaction.direction) == (
        clinic_party,
        org.user("receptionist"),
        "outbound",
    )
    assert interaction.duration_minutes == 12
    assert interaction.outcome == "Will come on Friday"


def test_invalid_interaction_input_re_renders_the_form_fragment_with_errors(client_for, clinic_party):
    url = reverse("parties:interaction-create", args=[clinic_party.pk])
    response = client_for("receptionist").post(
        url, _interaction_data(subject="", ended_at="2025-03-03T09:00"), **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#interaction-form"
    assert response["HX-Reswap"] == "outerHTML"
    assert _is_fragment(response)
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="interaction-form"')
    assert "This field is required." in content
    assert "The end must be after the start." in content
    assert Interaction.objects.count() == 0


def test_logging_an_interaction_without_htmx_redirects_to_the_customer(client_for, clinic_party):
    url = reverse("parties:interaction-create", args=[clinic_party.pk])
    response = client_for("rep_north").post(url, _interaction_data())
    assert response.status_code == 302
    assert response["Location"] == clinic_party.get_absolute_url()
    assert Interaction.objects.count() == 1


def test_invalid_interaction_input_without_htmx_shows_the_page_with_errors(client_for, clinic_party):
    url = reverse("parties:interaction-create", args=[clinic_party.pk])
    response = client_for("rep_north").post(url, _interaction_data(kind="robot"))
    assert response.status_code == 200
    assert "kind" in response.context["interaction_form"].errors
    assert "<h1>Åsa Öberg</h1>" in response.content.decode()
    assert Interaction.objects.count() == 0


def test_an_interaction_cannot_be_logged_on_an_erased_customer(org, client_for, clinic_party):
    services.party_erase(actor=org.user("admin"), party=clinic_party)
    url = reverse("parties:interaction-create", args=[clinic_party.pk])
    response = client_for("admin").post(url, _interaction_data(), **HTMX)
    assert "Interactions cannot be added to a merged or erased customer." in response.content.decode()
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize(("persona", "status"), [("rep_south", 404), ("other_clerk", 404), ("auditor", 403)])
def test_logging_an_interaction_is_refused_out_of_scope_or_without_permission(
    client_for, clinic_party, persona, status
):
    url = reverse("parties:interaction-create", args=[clinic_party.pk])
    assert client_for(persona).post(url, _interaction_data()).status_code == status
    assert Interaction.objects.count() == 0


def test_logging_an_interaction_needs_a_post(client_for, clinic_party):
    url = reverse("parties:interaction-create", args=[clinic_party.pk])
    assert client_for("admin").get(url).status_code == 405


# ---------------------------------------------------------------- interaction list


def test_the_interaction_list_is_scoped_and_links_the_customer(org, client_for, clinic_party, south_party):
    admin = org.user("admin")
    _record(admin, clinic_party, subject="North call")
    _record(org.user("rep_south"), south_party, subject="South call")
    content = client_for("rsm_north").get(reverse("parties:interaction-list")).content.decode()
    assert "North call" in content
    assert f'<a href="/customers/{clinic_party.pk}/">Åsa Öberg</a>' in content
    assert "South call" not in content
    south = client_for("rep_south").get(reverse("parties:interaction-list")).content.decode()
    assert "South call" in south
    assert "North call" not in south


def test_the_interaction_list_filters_by_kind_channel_dates_and_subject(org, client_for, clinic_party):
    admin = org.user("admin")
    _record(admin, clinic_party, subject="March call", started_at=START)
    services.interaction_record(
        actor=admin,
        party=clinic_party,
        kind="visit",
        channel="in_person",
        subject="April visit",
        started_at=START.replace(month=4),
    )
    client = client_for("admin")

    def subjects(**params):
        response = client.get(reverse("parties:interaction-list"), params)
        return [i.subject for i in response.context["page_obj"]]

    assert subjects() == ["April visit", "March call"]
    assert subjects(kind="visit") == ["April visit"]
    assert subjects(channel="phone") == ["March call"]
    assert subjects(date_from="2025-04-01") == ["April visit"]
    assert subjects(date_to="2025-03-31") == ["March call"]
    assert subjects(q="visit") == ["April visit"]
    assert subjects(date_from="not a date") == ["April visit", "March call"]


def test_the_interaction_list_htmx_request_gets_only_the_results(org, client_for, clinic_party):
    _record(org.user("admin"), clinic_party)
    response = client_for("admin").get(reverse("parties:interaction-list"), {"kind": "call"}, **HTMX)
    assert _is_fragment(response)
    assert response.content.decode().lstrip().startswith('<section id="interaction-results"')


def test_an_empty_interaction_list_says_so(client_for, org):
    content = client_for("admin").get(reverse("parties:interaction-list")).content.decode()
    assert "No interactions yet." in content


def test_the_interaction_list_needs_the_view_permission(client_for, org):
    assert client_for("nobody").get(reverse("parties:interaction-list")).status_code == 403


@pytest.mark.parametrize("rows", [3, 30])
def test_the_interaction_list_needs_the_same_number_of_queries_for_3_or_30_rows(
    org, client_for, settings, django_assert_max_num_queries, rows
):
    settings.FRONTOFFICE_PAGE_SIZE = 50
    party = make_party(org.user("admin"), location=org.clinic)
    for i, persona in zip(range(rows), ["rep_north", "receptionist", "rsm_north"] * rows, strict=False):
        _record(org.user(persona), party, subject=f"Call {i}")
    client = client_for("rsm_north")
    # 10 today + 2 spare; one query per row would exceed it already at 3 rows.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("parties:interaction-list"))
    assert len(response.context["page_obj"]) == rows


# ---------------------------------------------------------------- merge


@pytest.fixture
def duplicate_pair(org, clinic_party):
    admin = org.user("admin")
    twin = make_party(admin, first_name="Åsa", last_name="Öberg", email="asa@example.se", location=org.clinic)
    _record(admin, clinic_party, subject="First")
    _record(admin, clinic_party, subject="Second")
    return clinic_party, twin


def test_merge_step_one_suggests_duplicates_and_searches_candidates(org, client_for, duplicate_pair):
    source, twin = duplicate_pair
    other = make_party(org.user("admin"), first_name="Bo", last_name="Berg", location=org.clinic)
    client = client_for("rsm_north")
    url = reverse("parties:party-merge", args=[source.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["duplicates"] == [twin]
    assert f'href="{url}?target={twin.pk}"' in response.content.decode()
    response = client.get(url, {"q": "berg"})
    assert [p.pk for p in response.context["candidates"]] == [other.pk]


def test_merge_step_two_shows_both_and_how_many_interactions_move(client_for, duplicate_pair):
    source, twin = duplicate_pair
    response = client_for("rsm_north").get(
        reverse("parties:party-merge", args=[source.pk]), {"target": twin.pk}
    )
    assert response.status_code == 200
    assert response.context["moving"] == 2
    content = response.content.decode()
    assert "2 interactions move to the kept customer." in content
    assert 'data-testid="merge-source"' in content
    assert 'data-testid="merge-target"' in content


def test_confirming_a_merge_merges_and_redirects_to_the_survivor(client_for, duplicate_pair):
    source, twin = duplicate_pair
    client = client_for("rsm_north")
    response = client.post(reverse("parties:party-merge", args=[source.pk]), {"target": twin.pk})
    assert response.status_code == 302
    assert response["Location"] == twin.get_absolute_url()
    source.refresh_from_db()
    assert source.merged_into == twin
    assert Interaction.objects.filter(party=twin).count() == 2
    assert "“Åsa Öberg” was merged into “Åsa Öberg”." in client.get(response["Location"]).content.decode()


def test_merging_a_customer_into_itself_is_refused_with_a_message(client_for, duplicate_pair):
    source, _ = duplicate_pair
    client = client_for("rsm_north")
    url = reverse("parties:party-merge", args=[source.pk])
    response = client.post(url, {"target": source.pk}, follow=True)
    assert "A customer cannot be merged into itself." in response.content.decode()
    source.refresh_from_db()
    assert source.merged_into is None


def test_merging_with_a_target_out_of_scope_is_not_found(client_for, duplicate_pair, south_party):
    source, _ = duplicate_pair
    url = reverse("parties:party-merge", args=[source.pk])
    client = client_for("rsm_north")
    assert client.get(url, {"target": south_party.pk}).status_code == 404
    assert client.post(url, {"target": south_party.pk}).status_code == 404
    source.refresh_from_db()
    assert source.merged_into is None


@pytest.mark.parametrize(("persona", "status"), [("rep_north", 403), ("auditor", 403), ("rep_south", 403)])
def test_merging_needs_the_merge_permission(client_for, duplicate_pair, persona, status):
    source, twin = duplicate_pair
    url = reverse("parties:party-merge", args=[source.pk])
    assert client_for(persona).get(url).status_code == status
    assert client_for(persona).post(url, {"target": twin.pk}).status_code == status


def test_merging_a_customer_out_of_scope_is_not_found(client_for, south_party):
    assert (
        client_for("rsm_north").get(reverse("parties:party-merge", args=[south_party.pk])).status_code == 404
    )


# ---------------------------------------------------------------- GDPR


def test_the_personal_data_export_is_a_json_download(org, client_for, clinic_party):
    _record(org.user("admin"), clinic_party, subject="Booked")
    response = client_for("office_manager").get(
        reverse("parties:party-export-personal-data", args=[clinic_party.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="customer-{clinic_party.pk}-personal-data.json"'
    )
    data = json.loads(response.content)
    assert data["party"]["email"] == "asa@example.se"
    assert data["party"]["first_name"] == "Åsa"
    assert [i["subject"] for i in data["interactions"]] == ["Booked"]
    assert [e["action"] for e in data["audit_trail"]] == ["parties.party.created"]


@pytest.mark.parametrize(("persona", "status"), [("nsm", 403), ("rep_north", 403), ("auditor", 403)])
def test_the_personal_data_export_needs_its_permission(client_for, clinic_party, persona, status):
    url = reverse("parties:party-export-personal-data", args=[clinic_party.pk])
    assert client_for(persona).get(url).status_code == status


def test_the_personal_data_export_of_a_customer_out_of_scope_is_not_found(client_for, south_party):
    url = reverse("parties:party-export-personal-data", args=[south_party.pk])
    assert client_for("office_manager").get(url).status_code == 404


def test_the_erase_page_lists_what_is_anonymised_and_what_is_kept(org, client_for, clinic_party):
    _record(org.user("admin"), clinic_party)
    response = client_for("admin").get(reverse("parties:party-erase", args=[clinic_party.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="erasure-plan-interactions"' in content
    assert "Kept without subject or notes" in content
    assert "Kept without the changed values" in content
    plan = {item["key"]: item["count"] for item in response.context["plan"]}
    # The parties' own handlers, plus every other app's (billing profiles: none here).
    assert plan["interactions"] == 1
    assert plan["audit_trail"] == 1
    assert plan["billing_profiles"] == 0


def test_erasing_needs_the_customers_name_typed_exactly(client_for, clinic_party):
    url = reverse("parties:party-erase", args=[clinic_party.pk])
    response = client_for("admin").post(url, {"confirm_name": "Someone else"})
    assert response.status_code == 200
    assert "This is not the customer&#x27;s name. Type “Åsa Öberg” to confirm." in response.content.decode()
    clinic_party.refresh_from_db()
    assert clinic_party.is_erased is False


def test_erasing_with_the_name_confirmed_anonymises_the_customer(client_for, clinic_party):
    url = reverse("parties:party-erase", args=[clinic_party.pk])
    response = client_for("admin").post(url, {"confirm_name": " åsa  öberg "})
    assert response.status_code == 302
    assert response["Location"] == clinic_party.get_absolute_url()
    clinic_party.refresh_from_db()
    assert clinic_party.is_erased is True
    assert clinic_party.email == ""


def test_erasing_twice_shows_an_error(org, client_for, clinic_party):
    services.party_erase(actor=org.user("admin"), party=clinic_party)
    clinic_party.refresh_from_db()
    url = reverse("parties:party-erase", args=[clinic_party.pk])
    response = client_for("admin").post(url, {"confirm_name": clinic_party.display_name})
    assert response.status_code == 200
    assert "This customer has already been erased." in response.content.decode()


@pytest.mark.parametrize("persona", ["nsm", "rsm_north", "office_manager", "rep_north", "auditor"])
def test_erasing_needs_the_erase_permission(client_for, clinic_party, persona):
    url = reverse("parties:party-erase", args=[clinic_party.pk])
    client = client_for(persona)
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm_name": "Åsa Öberg"}).status_code == 403
    clinic_party.refresh_from_db()
    assert clinic_party.is_erased is False
