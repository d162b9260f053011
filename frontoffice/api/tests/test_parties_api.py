"""``/api/v1/parties/``: scoped lists, create with duplicate check, change, merge, timeline."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontoffice.api.tests.conftest import assert_error, assert_matches_component, assert_page_of
from frontoffice.core.models import AuditEntry
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.services import interaction_record
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db

LIST = "/api/v1/parties/"


def last_names(response):
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    assert_page_of(data, "Party")
    return [row["last_name"] for row in data["results"]]


# ---------------------------------------------------------------- list


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["Clinic", "NorthFree", "NorthOwn", "Other", "South"]),
        ("rsm_north", ["Clinic", "NorthFree", "NorthOwn"]),
        ("rep_north", ["Clinic", "NorthFree", "NorthOwn"]),
        ("rep_south", ["South"]),
        ("receptionist", ["Clinic"]),
        ("auditor", ["Clinic", "NorthFree", "NorthOwn", "South"]),
        ("other_clerk", ["Other"]),
    ],
)
def test_the_customer_list_shows_exactly_the_personas_scope(org, api_as, parties, persona, expected):
    assert last_names(api_as(persona).get(LIST)) == expected


def test_a_user_without_the_view_permission_gets_403(org, api_as, parties):
    assert_error(api_as("nobody").get(LIST), 403, "permission_denied")


def test_merged_customers_are_left_out_of_the_list(org, api_as, parties):
    Party.objects.filter(pk=parties["north_unassigned"].pk).update(merged_into=parties["north_clinic"])
    assert last_names(api_as("rsm_north").get(LIST)) == ["Clinic", "NorthOwn"]


@pytest.mark.parametrize(
    ("persona", "query", "expected"),
    [
        ("auditor", "q=northown@example", ["NorthOwn"]),
        ("auditor", "q=0701234567", ["NorthOwn"]),
        ("auditor", "q=anna malmö", ["South"]),
        ("auditor", "kind=organisation", ["Acme"]),
        ("auditor", "source=api", ["Acme"]),
        ("auditor", "tag=VIP", ["Acme"]),
        ("rep_north", "owner=me", ["NorthOwn"]),
        ("auditor", "owner=none", ["Acme", "Clinic", "NorthFree", "South"]),
        ("auditor", "region={south}", ["South"]),
        ("auditor", "location={clinic}", ["Clinic"]),
        ("auditor", "ordering=-name", ["South", "NorthOwn", "NorthFree", "Clinic", "Acme"]),
        ("auditor", "ordering=city&kind=person", ["NorthOwn", "NorthFree", "South", "Clinic"]),
        ("auditor", "ordering=-created", ["Acme", "South", "Clinic", "NorthFree", "NorthOwn"]),
    ],
)
def test_customer_filters_and_ordering(org, api_as, parties, persona, query, expected):
    make_party(
        org.user("admin"),
        kind="organisation",
        organisation_name="Acme",
        first_name="",
        last_name="",
        source="api",
        region=org.north,
        tags=["VIP"],
    )
    Party.objects.filter(pk=parties["south"].pk).update(owner=None)
    query = query.format(south=org.south.pk, clinic=org.clinic.pk)
    response = api_as(persona).get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert [r["last_name"] or r["organisation_name"] for r in response.json()["results"]] == expected


def test_owner_filter_takes_a_user_id(org, api_as, parties):
    owner = org.user("rep_south").pk
    assert last_names(api_as("auditor").get(f"{LIST}?owner={owner}")) == ["South"]


def test_page_size_is_capped_at_200_and_pages_link_to_each_other(org, api_as, parties):
    data = api_as("auditor").get(f"{LIST}?page_size=2").json()
    assert data["count"] == 4
    assert len(data["results"]) == 2
    assert data["previous"] is None
    assert data["next"].endswith("page=2&page_size=2")
    second = api_as("auditor").get(f"{LIST}?page=2&page_size=2").json()
    assert second["next"] is None
    assert [r["last_name"] for r in second["results"]] == ["NorthOwn", "South"]
    assert len(api_as("auditor").get(f"{LIST}?page_size=100000").json()["results"]) == 4


def _queries(client, path):
    client.get(path)  # warm-up: token last-use bookkeeping
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


def test_the_customer_list_takes_the_same_number_of_queries_for_3_or_30_rows(
    org, api_as, django_assert_max_num_queries
):
    admin = org.user("admin")
    client = api_as("rsm_north")

    def grow(n, start):
        for i in range(start, start + n):
            make_party(
                admin,
                last_name=f"Kund{i:02}",
                location=org.sales_office,
                owner=org.user("rep_north"),
                tags=["a", "b"],
            )

    grow(3, 0)
    few, count = _queries(client, LIST)
    assert count == 3
    grow(27, 3)
    with django_assert_max_num_queries(few):
        client.get(LIST)
    many, count = _queries(client, LIST)
    assert count == 30
    assert many == few


# ---------------------------------------------------------------- detail


def test_customer_detail_gives_e164_phone_iso_dates_and_named_foreign_keys(org, api_as, parties):
    party = parties["north_rep_own"]
    data = api_as("rep_north").get(f"{LIST}{party.pk}/").json()
    assert_matches_component(data, "Party")
    assert data["id"] == party.pk
    assert data["name"] == "Anna NorthOwn"
    assert data["phone"] == "+46701234567"
    assert data["owner"] == {"id": org.user("rep_north").pk, "name": "Rep_North Test"}
    assert data["location"] == {"id": org.sales_office.pk, "name": "North Sales Office"}
    assert data["region"] == {"id": org.north.pk, "name": "North"}
    assert data["legal_entity"] == {"id": org.company.pk, "name": "Tandhälsan Norden AB"}
    assert datetime.fromisoformat(data["created_at"]) == party.created_at
    assert data["merged_into_id"] is None


@pytest.mark.parametrize(
    ("persona", "party"),
    [
        ("rep_south", "north_rep_own"),
        ("rep_south", "north_clinic"),
        ("rep_north", "south"),
        ("receptionist", "north_unassigned"),
        ("other_clerk", "north_clinic"),
        ("clerk", "other_company"),
        ("auditor", "other_company"),
    ],
)
def test_a_guessed_customer_id_outside_the_scope_is_404(org, api_as, parties, persona, party):
    pk = parties[party].pk
    client = api_as(persona)
    assert_error(client.get(f"{LIST}{pk}/"), 404, "not_found")
    assert_error(client.get(f"{LIST}{pk}/interactions/"), 404, "not_found")


def test_an_unknown_customer_id_is_404(org, api_as):
    assert_error(api_as("admin").get(f"{LIST}999999/"), 404, "not_found")


# ---------------------------------------------------------------- create


def test_a_rep_creates_a_customer_they_then_own(org, api_as):
    response = api_as("rep_north").post(
        LIST,
        {
            "first_name": "Berit",
            "last_name": "Berg",
            "email": "Berit@Example.com",
            "phone": "070-765 43 21",
            "tags": ["Implant", "vip"],
            "consent_data_processing": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert_matches_component(data, "Party")
    party = Party.objects.get(pk=data["id"])
    assert data["email"] == party.email == "berit@example.com"
    assert data["phone"] == party.phone == "+46707654321"
    assert data["source"] == "api"
    assert data["owner"]["id"] == org.user("rep_north").pk
    assert data["location"]["id"] == org.sales_office.pk
    assert sorted(data["tags"]) == ["implant", "vip"]
    assert data["consent_data_processing_at"] is not None
    assert AuditEntry.objects.filter(action="parties.party.created", object_id=str(party.pk)).count() == 1


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"last_name": "Berg", "phone": "hello"}, "phone", "not a phone number"),
        ({"last_name": "Berg", "phone": "070-1"}, "phone", "not a valid phone number"),
        ({"last_name": "Berg", "email": "nope"}, "email", "valid email"),
        ({"first_name": "", "last_name": ""}, "last_name", "first or last name"),
        ({"kind": "organisation"}, "organisation_name", "needs a name"),
        ({"last_name": "Berg", "kind": "robot"}, "kind", "not a valid choice"),
        ({"last_name": "Berg", "organisation_number": "123"}, "organisation_number", ""),
        ({"last_name": "Berg", "tags": "vip"}, "tags", "list"),
        ({"last_name": "x" * 101}, "last_name", "100 characters"),
    ],
)
def test_invalid_customer_data_is_refused_naming_the_field(org, api_as, body, field, fragment):
    before = Party.objects.count()
    response = api_as("rep_north").post(LIST, body, format="json")
    data = assert_error(response, 400, "invalid")
    assert field in data["errors"], data
    assert fragment in " ".join(data["errors"][field])
    assert Party.objects.count() == before


@pytest.mark.parametrize(
    ("persona", "field", "obj"),
    [
        ("rep_south", "location", "clinic"),
        ("rep_south", "region", "north"),
        ("other_clerk", "location", "south_office"),
        ("receptionist", "location", "sales_office"),
    ],
)
def test_a_unit_outside_the_scope_is_refused_as_unknown(org, api_as, persona, field, obj):
    pk = getattr(org, obj).pk
    response = api_as(persona).post(LIST, {"last_name": "Berg", field: pk}, format="json")
    data = assert_error(response, 400, "invalid")
    assert data["errors"] == {field: [f'Invalid pk "{pk}" - object does not exist.']}
    assert not Party.objects.filter(last_name="Berg").exists()


def test_a_rep_cannot_give_a_customer_to_a_colleague(org, api_as):
    colleague = org.user("rep_south").pk
    data = assert_error(
        api_as("rep_north").post(LIST, {"last_name": "Berg", "owner": colleague}, format="json"),
        400,
        "invalid",
    )
    assert list(data["errors"]) == ["owner"]


def test_a_duplicate_is_refused_with_the_matching_ids_and_nothing_is_saved(org, api_as, parties):
    before = Party.objects.count()
    response = api_as("rep_north").post(
        LIST, {"last_name": "Again", "email": "NorthOwn@example.com"}, format="json"
    )
    data = assert_error(response, 400, "duplicate")
    assert data["duplicates"] == [parties["north_rep_own"].pk]
    assert "Anna NorthOwn" in data["message"]
    assert data["errors"] == {"non_field_errors": [data["message"]]}
    assert Party.objects.count() == before


def test_a_duplicate_by_phone_in_another_format_is_found(org, api_as, parties):
    response = api_as("auditor").post(LIST, {"last_name": "Again"}, format="json")
    assert_error(response, 403, "permission_denied")
    response = api_as("rsm_north").post(
        LIST, {"last_name": "Again", "phone": "+46 70 123 45 67"}, format="json"
    )
    assert assert_error(response, 400, "duplicate")["duplicates"] == [parties["north_rep_own"].pk]


def test_a_confirmed_duplicate_is_created(org, api_as, parties):
    response = api_as("rep_north").post(
        LIST, {"last_name": "Again", "email": "northown@example.com", "allow_duplicate": True}, format="json"
    )
    assert response.status_code == 201
    assert Party.objects.filter(email="northown@example.com").count() == 2


@pytest.mark.parametrize("persona", ["auditor", "nobody"])
def test_read_only_personas_cannot_create_customers(org, api_as, persona):
    assert_error(api_as(persona).post(LIST, {"last_name": "Berg"}, format="json"), 403, "permission_denied")
    assert not Party.objects.filter(last_name="Berg").exists()


# ---------------------------------------------------------------- change


def test_patch_changes_only_the_fields_sent(org, api_as, parties):
    party = parties["north_rep_own"]
    response = api_as("rep_north").patch(
        f"{LIST}{party.pk}/", {"city": "Kiruna", "phone": "0702223344", "tags": ["gold"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    party.refresh_from_db()
    assert (party.city, party.phone, party.email) == ("Kiruna", "+46702223344", "northown@example.com")
    assert response.json()["tags"] == ["gold"]
    assert response.json()["city"] == "Kiruna"
    assert AuditEntry.objects.filter(action="parties.party.updated", object_id=str(party.pk)).count() == 1


def test_patching_the_location_moves_the_customer_to_its_region(org, api_as, parties):
    party = parties["south"]
    response = api_as("admin").patch(f"{LIST}{party.pk}/", {"location": org.clinic.pk}, format="json")
    assert response.status_code == 200, response.json()
    party.refresh_from_db()
    assert (party.location_id, party.region_id) == (org.clinic.pk, org.north.pk)


def test_an_invalid_patch_names_the_field_and_changes_nothing(org, api_as, parties):
    party = parties["north_rep_own"]
    response = api_as("rep_north").patch(
        f"{LIST}{party.pk}/", {"city": "Kiruna", "phone": "not a number"}, format="json"
    )
    data = assert_error(response, 400, "invalid")
    assert "not a phone number" in data["errors"]["phone"][0]
    party.refresh_from_db()
    assert (party.city, party.phone) == ("", "+46701234567")


def test_patch_outside_the_scope_is_404_and_without_permission_403(org, api_as, parties):
    pk = parties["north_clinic"].pk
    assert_error(api_as("rep_south").patch(f"{LIST}{pk}/", {"city": "X"}, format="json"), 404, "not_found")
    assert_error(
        api_as("auditor").patch(f"{LIST}{pk}/", {"city": "X"}, format="json"), 403, "permission_denied"
    )
    parties["north_clinic"].refresh_from_db()
    assert parties["north_clinic"].city == "Umeå"


def test_a_merged_customer_cannot_be_changed(org, api_as, parties):
    pk = parties["north_unassigned"].pk
    Party.objects.filter(pk=pk).update(merged_into=parties["north_clinic"])
    assert_error(api_as("admin").patch(f"{LIST}{pk}/", {"city": "X"}, format="json"), 400, "locked")


# ---------------------------------------------------------------- merge


def test_merge_moves_everything_to_the_surviving_customer(org, api_as, parties):
    source, target = parties["north_unassigned"], parties["north_clinic"]
    interaction_record(
        actor=org.user("rsm_north"), party=source, kind="call", channel="phone", subject="Hello"
    )
    response = api_as("rsm_north").post(f"{LIST}{source.pk}/merge/", {"into": target.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == target.pk
    assert response.json()["city"] == "Umeå"
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    assert Interaction.objects.get(subject="Hello").party_id == target.pk
    assert api_as("rsm_north").get(f"{LIST}{source.pk}/").json()["merged_into_id"] == target.pk


def test_merge_needs_the_merge_permission(org, api_as, parties):
    source, target = parties["north_unassigned"], parties["north_clinic"]
    for persona in ("rep_north", "auditor"):
        response = api_as(persona).post(f"{LIST}{source.pk}/merge/", {"into": target.pk}, format="json")
        assert_error(response, 403, "permission_denied")
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_merge_with_customers_outside_the_scope(org, api_as, parties):
    client = api_as("rsm_north")
    north, south = parties["north_clinic"], parties["south"]
    response = client.post(f"{LIST}{south.pk}/merge/", {"into": north.pk}, format="json")
    assert_error(response, 404, "not_found")
    response = client.post(f"{LIST}{north.pk}/merge/", {"into": south.pk}, format="json")
    assert assert_error(response, 400, "invalid")["errors"] == {
        "into": [f'Invalid pk "{south.pk}" - object does not exist.']
    }
    assert not Party.objects.filter(merged_into__isnull=False).exists()


def test_merge_into_itself_is_refused_with_its_code(org, api_as, parties):
    pk = parties["north_clinic"].pk
    response = api_as("rsm_north").post(f"{LIST}{pk}/merge/", {"into": pk}, format="json")
    assert assert_error(response, 400, "merge_self")["errors"] == {
        "non_field_errors": ["A customer cannot be merged into itself."]
    }


def test_merge_without_into_names_the_field(org, api_as, parties):
    pk = parties["north_clinic"].pk
    body = assert_error(api_as("rsm_north").post(f"{LIST}{pk}/merge/", {}, format="json"), 400, "invalid")
    assert body["errors"] == {"into": ["This field is required."]}


# ---------------------------------------------------------------- timeline


def test_the_timeline_shows_every_interaction_with_a_visible_customer(org, api_as, parties):
    party = parties["north_clinic"]
    interaction_record(
        actor=org.user("receptionist"), party=party, kind="visit", channel="in_person", subject="A"
    )
    interaction_record(actor=org.user("rep_north"), party=party, kind="call", channel="phone", subject="B")
    response = api_as("rep_north").get(f"{LIST}{party.pk}/interactions/")
    data = response.json()
    assert_page_of(data, "Interaction")
    assert [row["subject"] for row in data["results"]] == ["B", "A"]
    assert data["results"][1]["staff"]["name"] == "Receptionist Test"
    assert data["results"][1]["party"] == {"id": party.pk, "name": "Anna Clinic"}


def test_the_timeline_takes_the_same_number_of_queries_for_3_or_30_rows(org, api_as, parties):
    party = parties["north_clinic"]
    client = api_as("admin")

    def grow(n):
        for _ in range(n):
            interaction_record(
                actor=org.user("receptionist"), party=party, kind="visit", channel="in_person", subject="V"
            )

    grow(3)
    few, count = _queries(client, f"{LIST}{party.pk}/interactions/")
    assert count == 3
    grow(27)
    many, count = _queries(client, f"{LIST}{party.pk}/interactions/")
    assert count == 30
    assert many == few


def test_patch_leaves_unsent_consents_and_flags_alone(org, api_as):
    party = make_party(org.user("admin"), last_name="Consent", region=org.north, consent_data_processing=True)
    given_at = party.consent_data_processing_at
    response = api_as("admin").patch(f"{LIST}{party.pk}/", {"notes": "Prefers mornings"}, format="json")
    assert response.status_code == 200
    party.refresh_from_db()
    assert party.consent_data_processing is True
    assert party.consent_data_processing_at == given_at
    assert (party.kind, party.notes) == ("person", "Prefers mornings")


def test_an_empty_patch_changes_nothing(org, api_as, parties):
    party = parties["south"]
    response = api_as("admin").patch(f"{LIST}{party.pk}/", {}, format="json")
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="parties.party.updated", object_id=str(party.pk)).exists()
