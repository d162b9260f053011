"""``/api/v1/interactions/``: scoped list with filters, recording through the service, detail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontoffice.api.tests.conftest import assert_error, assert_matches_component, assert_page_of
from frontoffice.org.models import Staff
from frontoffice.parties.models import Interaction
from frontoffice.parties.services import interaction_record

pytestmark = pytest.mark.django_db

LIST = "/api/v1/interactions/"


@pytest.fixture
def interactions(org, parties):
    def record(persona, party, kind, channel, subject, day):
        return interaction_record(
            actor=org.user(persona),
            party=parties[party],
            kind=kind,
            channel=channel,
            subject=subject,
            started_at=datetime(2025, 3, day, 9, 0, tzinfo=UTC),
            ended_at=datetime(2025, 3, day, 9, 30, tzinfo=UTC),
        )

    return {
        "checkup": record("receptionist", "north_clinic", "visit", "in_person", "Check-up", 3),
        "north_call": record("rep_north", "north_rep_own", "call", "phone", "North call", 4),
        "south_call": record("rep_south", "south", "call", "phone", "South call", 5),
        "south_mail": record("rep_south", "south", "email", "email", "South mail", 6),
    }


def subjects(response):
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    assert_page_of(data, "Interaction")
    return [row["subject"] for row in data["results"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["South mail", "South call", "North call", "Check-up"]),
        ("rsm_north", ["North call", "Check-up"]),
        ("rep_north", ["North call"]),
        ("rep_south", ["South mail", "South call"]),
        ("office_manager", ["Check-up"]),
        ("auditor", ["South mail", "South call", "North call", "Check-up"]),
        ("other_clerk", []),
    ],
)
def test_the_interaction_list_is_scoped(org, api_as, interactions, persona, expected):
    assert subjects(api_as(persona).get(LIST)) == expected


def test_reading_interactions_needs_the_view_permission(org, api_as, interactions):
    assert_error(api_as("nobody").get(LIST), 403, "permission_denied")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=call", ["South call", "North call"]),
        ("channel=email", ["South mail"]),
        ("party={south}", ["South mail", "South call"]),
        ("staff={receptionist}", ["Check-up"]),
        ("started_after=2025-03-04T09:00:00Z", ["South mail", "South call", "North call"]),
        ("started_before=2025-03-04T09:00:00Z", ["Check-up"]),
        ("started_after=2025-03-04T00:00:00%2B01:00&started_before=2025-03-06", ["South call", "North call"]),
    ],
)
def test_interaction_filters(org, api_as, parties, interactions, query, expected):
    query = query.format(
        south=parties["south"].pk, receptionist=Staff.objects.get(user=org.user("receptionist")).pk
    )
    assert subjects(api_as("auditor").get(f"{LIST}?{query}")) == expected


def test_interaction_detail_gives_iso_times_duration_and_named_foreign_keys(
    org, api_as, parties, interactions
):
    interaction = interactions["checkup"]
    data = api_as("office_manager").get(f"{LIST}{interaction.pk}/").json()
    assert_matches_component(data, "Interaction")
    assert data["party"] == {"id": parties["north_clinic"].pk, "name": "Anna Clinic"}
    assert data["staff"] == {"id": interaction.staff_id, "name": "Receptionist Test"}
    assert data["location"] == {"id": org.clinic.pk, "name": "North Dental Clinic"}
    assert datetime.fromisoformat(data["started_at"]) == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert data["duration_minutes"] == 30
    assert data["concerns"] is None


@pytest.mark.parametrize(
    ("persona", "interaction"),
    [
        ("rep_north", "checkup"),
        ("rep_south", "north_call"),
        ("other_clerk", "south_call"),
        ("office_manager", "south_mail"),
    ],
)
def test_a_guessed_interaction_id_outside_the_scope_is_404(org, api_as, interactions, persona, interaction):
    pk = interactions[interaction].pk
    assert_error(api_as(persona).get(f"{LIST}{pk}/"), 404, "not_found")


def test_recording_an_interaction_through_the_api(org, api_as, parties):
    response = api_as("receptionist").post(
        LIST,
        {
            "party": parties["north_clinic"].pk,
            "kind": "visit",
            "channel": "in_person",
            "subject": "  Walk-in  ",
            "started_at": "2025-03-03T10:00:00+01:00",
            "ended_at": "2025-03-03T10:20:00+01:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert_matches_component(data, "Interaction")
    interaction = Interaction.objects.get(pk=data["id"])
    assert interaction.subject == "Walk-in"
    assert interaction.staff.user == org.user("receptionist")
    assert interaction.location_id == org.clinic.pk
    assert interaction.started_at == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert data["duration_minutes"] == 20
    assert data["direction"] == "inbound"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "visit", "channel": "in_person", "subject": "x"}, "party"),
        ({"party": "{party}", "kind": "dance", "channel": "in_person", "subject": "x"}, "kind"),
        ({"party": "{party}", "kind": "visit", "channel": "pigeon", "subject": "x"}, "channel"),
        ({"party": "{party}", "kind": "visit", "channel": "in_person"}, "subject"),
        (
            {
                "party": "{party}",
                "kind": "visit",
                "channel": "in_person",
                "subject": "x",
                "started_at": "soon",
            },
            "started_at",
        ),
        (
            {
                "party": "{party}",
                "kind": "visit",
                "channel": "in_person",
                "subject": "x",
                "started_at": "2025-03-03T10:00:00Z",
                "ended_at": "2025-03-03T09:00:00Z",
            },
            "ended_at",
        ),
    ],
)
def test_invalid_interactions_are_refused_naming_the_field(org, api_as, parties, body, field):
    body = {k: (parties["north_clinic"].pk if v == "{party}" else v) for k, v in body.items()}
    data = assert_error(api_as("receptionist").post(LIST, body, format="json"), 400, "invalid")
    assert list(data["errors"]) == [field]
    assert Interaction.objects.count() == 0


def test_an_interaction_with_a_customer_outside_the_scope_is_refused(org, api_as, parties):
    pk = parties["south"].pk
    body = {"party": pk, "kind": "call", "channel": "phone", "subject": "x"}
    data = assert_error(api_as("rep_north").post(LIST, body, format="json"), 400, "invalid")
    assert data["errors"] == {"party": [f'Invalid pk "{pk}" - object does not exist.']}
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize("persona", ["auditor", "nobody"])
def test_read_only_personas_cannot_record_interactions(org, api_as, parties, persona):
    body = {"party": parties["north_clinic"].pk, "kind": "call", "channel": "phone", "subject": "x"}
    assert_error(api_as(persona).post(LIST, body, format="json"), 403, "permission_denied")
    assert Interaction.objects.count() == 0


def test_interactions_cannot_be_added_to_a_merged_customer(org, api_as, parties):
    party = parties["north_unassigned"]
    party.merged_into = parties["north_clinic"]
    party.save()
    body = {"party": party.pk, "kind": "call", "channel": "phone", "subject": "x"}
    assert_error(api_as("admin").post(LIST, body, format="json"), 400, "locked")


def test_the_interaction_list_takes_the_same_number_of_queries_for_3_or_30_rows(org, api_as, parties):
    client = api_as("admin")

    def grow(n):
        for _ in range(n):
            interaction_record(
                actor=org.user("receptionist"),
                party=parties["north_clinic"],
                kind="visit",
                channel="in_person",
                subject="V",
                concerns=parties["north_unassigned"],
            )

    def count_queries():
        client.get(LIST)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LIST)
        return len(ctx.captured_queries), response.json()

    grow(3)
    few, data = count_queries()
    assert data["count"] == 3
    assert data["results"][0]["concerns"] == {
        "type": "parties.party",
        "id": str(parties["north_unassigned"].pk),
    }
    grow(27)
    many, data = count_queries()
    assert data["count"] == 30
    assert many == few
