"""Pages and API: permissions (403), scope (404 and absent from lists), worklist contents,
brief contents, constant query counts."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from frontoffice.activities.models import Activity, Meeting
from frontoffice.activities.services.activities import activity_create
from frontoffice.activities.services.meetings import meeting_record_outcome, meeting_schedule
from frontoffice.activities.tests.conftest import at
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db
DAY = "2026-12-01"


@pytest.fixture
def north(org, customer):
    rep = org.user("rep_north")
    call = activity_create(
        actor=rep, party=customer, kind="call", subject="North call", due_at=at(DAY, "09:00")
    )
    meeting = meeting_schedule(
        actor=rep,
        party=customer,
        title="North meeting",
        starts_at=at(DAY, "14:00"),
        ends_at=at(DAY, "15:00"),
        send_invitation=False,
    )
    return call, meeting


@pytest.fixture
def south(org, south_customer):
    rep = org.user("rep_south")
    call = activity_create(
        actor=rep, party=south_customer, kind="call", subject="South call", due_at=at(DAY, "09:00")
    )
    meeting = meeting_schedule(
        actor=rep,
        party=south_customer,
        title="South meeting",
        starts_at=at(DAY, "14:00"),
        ends_at=at(DAY, "15:00"),
        send_invitation=False,
    )
    return call, meeting


@pytest.mark.parametrize(
    ("persona", "sees_north", "sees_south"),
    [("rep_north", True, False), ("rep_south", False, True), ("rsm_north", True, False), ("nsm", True, True)],
)
def test_lists_details_and_api_show_each_persona_only_their_scope(
    client_for, persona, sees_north, sees_south, north, south
):
    client = client_for(persona)
    page = client.get("/activities/list/?status=all").content.decode()
    assert ("North call" in page) is sees_north and ("South call" in page) is sees_south
    week = client.get("/activities/meetings/?week=2026-12-01&mine=0").content.decode()
    assert ("North meeting" in week) is sees_north and ("South meeting" in week) is sees_south
    for (call, meeting), sees in ((north, sees_north), (south, sees_south)):
        expected = 200 if sees else 404
        assert client.get(f"/activities/{call.pk}/").status_code == expected
        assert client.get(f"/activities/meetings/{meeting.pk}/").status_code == expected
        assert client.get(f"/activities/meetings/{meeting.pk}/brief/").status_code == expected
        assert client.get(f"/api/v1/activities/activities/{call.pk}/").status_code == expected
        assert client.get(f"/api/v1/activities/meetings/{meeting.pk}/").status_code == expected
    api = client.get("/api/v1/activities/activities/?status=all").json()
    subjects = {row["subject"] for row in api["results"]}
    assert ("North call" in subjects) is sees_north and ("South call" in subjects) is sees_south
    api = client.get("/api/v1/activities/meetings/").json()
    titles = {row["title"] for row in api["results"]}
    assert ("North meeting" in titles) is sees_north and ("South meeting" in titles) is sees_south


@pytest.mark.parametrize("persona", ["clerk", "receptionist", "nobody"])
def test_people_without_the_permissions_get_403_everywhere(client_for, persona, north):
    call, meeting = north
    client = client_for(persona)
    for url in [
        "/activities/",
        "/activities/list/",
        f"/activities/{call.pk}/",
        "/activities/meetings/",
        f"/activities/meetings/{meeting.pk}/",
        f"/activities/meetings/{meeting.pk}/brief/",
        "/api/v1/activities/activities/",
        "/api/v1/activities/meetings/",
        f"/api/v1/activities/meetings/{meeting.pk}/",
    ]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/activities/{call.pk}/complete/", {"outcome": "x"}).status_code == 403
    assert client.post("/api/v1/activities/meetings/", {}, content_type="application/json").status_code == 403
    call.refresh_from_db()
    assert call.done_at is None


def test_a_rep_cannot_complete_or_cancel_another_reps_records(client_for, north, south):
    client = client_for("rep_north")
    call, meeting = south
    assert client.post(f"/activities/{call.pk}/complete/", {"outcome": "x"}).status_code == 404
    assert client.post(f"/activities/meetings/{meeting.pk}/cancel/").status_code == 404
    assert (
        client.post(
            f"/api/v1/activities/activities/{call.pk}/complete/", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/activities/meetings/{meeting.pk}/cancel/", {}, content_type="application/json"
        ).status_code
        == 404
    )
    call.refresh_from_db()
    meeting.refresh_from_db()
    assert call.done_at is None and meeting.status == "planned"


def test_the_worklist_shows_overdue_and_due_today_work_todays_meetings_and_overdue_first_contacts(
    client_for, org, customer, lead
):
    from frontoffice.leads.models import Lead

    rep = org.user("rep_north")
    Lead.objects.filter(pk=lead.pk).update(owner=rep, first_contact_due_at=at(DAY, "08:00"))
    activity_create(
        actor=rep, party=customer, kind="task", subject="Yesterday's task", due_at=at("2026-11-30", "15:00")
    )
    activity_create(actor=rep, party=customer, kind="call", subject="Morning call", due_at=at(DAY, "09:00"))
    activity_create(actor=rep, party=customer, kind="call", subject="Afternoon call", due_at=at(DAY, "16:00"))
    activity_create(
        actor=rep, party=customer, kind="call", subject="Tomorrow's call", due_at=at("2026-12-02", "09:00")
    )
    activity_create(
        actor=org.user("rsm_north"),
        party=customer,
        kind="task",
        subject="Manager's task",
        due_at=at(DAY, "09:00"),
    )
    meeting_schedule(
        actor=rep,
        party=customer,
        title="Today's meeting",
        starts_at=at(DAY, "13:00"),
        ends_at=at(DAY, "14:00"),
        send_invitation=False,
    )
    meeting_schedule(
        actor=rep,
        party=customer,
        title="Tomorrow's meeting",
        starts_at=at("2026-12-02", "13:00"),
        ends_at=at("2026-12-02", "14:00"),
        send_invitation=False,
    )
    with time_machine.travel(at(DAY, "12:00"), tick=False):
        response = client_for("rep_north").get("/activities/")
    worklist = response.context["worklist"]
    assert [a.subject for a in worklist.overdue] == ["Yesterday's task", "Morning call"]
    assert [a.subject for a in worklist.due_today] == ["Afternoon call"]
    assert [m.title for m in worklist.meetings] == ["Today's meeting"]
    assert [lead_row.pk for lead_row in worklist.overdue_leads] == [lead.pk]


def test_one_click_done_from_the_worklist_returns_the_row_fragment(client_for, org, north):
    call, _meeting = north
    client = client_for("rep_north")
    response = client.post(
        f"/activities/{call.pk}/complete/", {"outcome": "Reached her"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<li") and "Reached her" in body and "<html" not in body
    call.refresh_from_db()
    assert call.outcome == "Reached her" and call.interaction is not None


def test_booking_from_the_page_reports_a_conflict_on_the_start_field_and_books_nothing(
    client_for, org, customer, north
):
    client = client_for("rep_north")
    data = {
        "party": customer.pk,
        "title": "Clash",
        "starts_at": "2026-12-01T14:30",
        "ends_at": "2026-12-01T15:30",
        "time_zone": "Europe/Stockholm",
    }
    response = client.post("/activities/meetings/new/", data)
    assert response.status_code == 200
    assert "North meeting" in str(response.context["form"].errors["starts_at"])
    assert Meeting.objects.filter(title="Clash").count() == 0
    data.update(starts_at="2026-12-01T15:00", ends_at="2026-12-01T16:00")
    response = client.post("/activities/meetings/new/", data)
    assert response.status_code == 302
    booked = Meeting.objects.get(title="Clash")
    assert booked.starts_at == at(DAY, "15:00")


def test_the_api_books_and_reports_conflicts_in_the_error_shape(client_for, customer, north):
    client = client_for("rep_north")
    body = {
        "party": customer.pk,
        "title": "API meeting",
        "starts_at": "2026-12-01T14:59:00+01:00",
        "ends_at": "2026-12-01T16:00:00+01:00",
    }
    response = client.post("/api/v1/activities/meetings/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "conflict" and "starts_at" in response.json()["errors"]
    body["starts_at"] = "2026-12-01T15:00:00+01:00"
    response = client.post("/api/v1/activities/meetings/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    meeting_id = response.json()["id"]
    response = client.patch(
        f"/api/v1/activities/meetings/{meeting_id}/", {"title": "Renamed"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["sequence"] == 1
    response = client.post(
        "/api/v1/activities/activities/",
        {"party": customer.pk, "kind": "call", "subject": "API call", "done": True},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["interaction"] is not None


def test_list_pages_run_a_constant_number_of_queries(client_for, org, django_assert_max_num_queries):
    rep = org.user("rep_north")
    for n in range(6):
        party = make_party(rep, first_name=f"P{n}", email=f"p{n}@example.com")
        activity_create(
            actor=rep, party=party, kind="call", subject=f"Call {n}", due_at=at(DAY, f"0{n + 1}:00")
        )
        meeting_schedule(
            actor=rep,
            party=party,
            title=f"Meeting {n}",
            starts_at=at(DAY, f"1{n}:00"),
            ends_at=at(DAY, f"1{n}:30"),
            attendees=[org.user("rsm_north")],
            send_invitation=False,
        )
    client = client_for("rep_north")
    with django_assert_max_num_queries(14):
        assert client.get("/activities/list/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/activities/meetings/?week=2026-12-01").status_code == 200
    with time_machine.travel(at(DAY, "07:30"), tick=False):
        client = client_for("rep_north")  # signed in again: the session would have expired by then
        with django_assert_max_num_queries(16):
            response = client.get("/activities/")
        assert response.status_code == 200, response
        assert len(response.context["worklist"].meetings) == 6
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/activities/meetings/").json()["count"] == 6
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/activities/activities/").json()["count"] == 6


def test_the_brief_shows_history_ratings_and_the_last_meetings_next_step_in_constant_queries(
    client_for, org, customer, django_assert_max_num_queries
):
    from frontoffice.activities.services.links import feedback_request, feedback_submit

    rep = org.user("rep_north")
    for n in range(3):
        activity_create(actor=rep, party=customer, kind="call", subject=f"Earlier call {n}", done=True)
    first = meeting_schedule(
        actor=rep,
        party=customer,
        title="First",
        starts_at=at("2026-11-02", "10:00"),
        ends_at=at("2026-11-02", "11:00"),
        send_invitation=False,
    )
    with time_machine.travel(at("2026-11-02", "12:00"), tick=False):
        meeting_record_outcome(
            actor=rep,
            meeting=first,
            outcome="Interested",
            next_step="Show the premium plan",
            next_step_on=datetime.date(2026, 11, 20),
            ask_feedback=False,
        )
    token = feedback_request(meeting=first).token
    feedback_submit(token=token, rating=5, comment="Great")
    second = meeting_schedule(
        actor=rep,
        party=customer,
        title="Second",
        starts_at=at(DAY, "10:00"),
        ends_at=at(DAY, "11:00"),
        send_invitation=False,
    )
    client = client_for("rep_north")
    with django_assert_max_num_queries(30):
        response = client.get(f"/activities/meetings/{second.pk}/brief/")
    brief = response.context["brief"]
    assert brief.previous == first
    assert "Show the premium plan" in response.content.decode()
    assert [r.rating for r in brief.ratings] == [5]
    assert brief.average_rating == 5
    assert {i.subject for i in brief.interactions} >= {"Earlier call 0", "First"}
    assert brief.opportunities == []
    assert brief.invoices == [] and brief.questions == []
    assert [a.subject for a in brief.open_activities] == ["Show the premium plan"]
    for n in range(3, 9):
        activity_create(actor=rep, party=customer, kind="call", subject=f"More {n}", done=True)
    with django_assert_max_num_queries(30):
        client.get(f"/activities/meetings/{second.pk}/brief/")


def test_the_customer_page_shows_the_panel_with_upcoming_meetings_and_open_tasks(client_for, customer, north):
    page = client_for("rep_north").get(f"/customers/{customer.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="activities-panel"' in body
    assert "North meeting" in body and "North call" in body
    assert "/activities/meetings/new/?party=" in body


def test_logging_a_call_from_the_customer_page_form(client_for, customer):
    client = client_for("rep_north")
    assert client.get(f"/activities/new/?party={customer.pk}&kind=call").status_code == 200
    response = client.post(
        f"/activities/new/?party={customer.pk}",
        {
            "party": customer.pk,
            "kind": "call",
            "direction": "outbound",
            "subject": "Quick call",
            "done": "on",
            "outcome": "Left a message",
        },
    )
    assert response.status_code == 302
    call = Activity.objects.get(subject="Quick call")
    assert call.done_at is not None and call.interaction.outcome == "Left a message"
    assert response["Location"] == customer.get_absolute_url()


def test_completing_from_a_page_returns_there_but_never_to_another_site(client_for, north):
    call, _meeting = north
    client = client_for("rep_north")
    response = client.post(f"/activities/{call.pk}/complete/", {"outcome": "Reached", "next": "/leads/mine/"})
    assert response["Location"] == "/leads/mine/"
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(f"/activities/{call.pk}/complete/", {"outcome": "Again", "next": evil})
        assert response["Location"] == "/activities/"
