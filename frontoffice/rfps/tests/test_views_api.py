"""RFP desk pages and API: permissions (403), scope (404), the flow through HTTP, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from frontoffice.rfps import services
from frontoffice.rfps.models import Requirement, RfpStatus
from frontoffice.rfps.tests.conftest import make_rfp

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rep_north", 200),
        ("rsm_north", 200),
        ("nsm", 200),
        ("rep_south", 404),
        ("clerk", 403),
        ("nobody", 403),
    ],
)
def test_detail_pdf_and_api_scope(world, client_for, persona, expected):
    client = client_for(persona)
    pk = world.rfp.pk
    assert client.get(reverse("rfps:rfp-detail", args=[pk])).status_code == expected
    assert client.get(reverse("rfps:rfp-pdf", args=[pk])).status_code == expected
    assert client.get(f"/api/v1/rfps/{pk}/").status_code == expected


def test_list_shows_only_scope(world, client_for):
    response = client_for("rep_north").get(reverse("rfps:rfp-list"))
    assert response.status_code == 200
    assert (
        world.rfp.title.encode() in response.content
        and world.south_rfp.title.encode() not in response.content
    )
    data = client_for("rep_south").get("/api/v1/rfps/").json()
    assert [r["id"] for r in data["results"]] == [world.south_rfp.pk]
    assert client_for("clerk").get(reverse("rfps:rfp-list")).status_code == 403
    assert client_for("clerk").get("/api/v1/rfps/").status_code == 403


def test_contributor_sees_rfp(world, client_for):
    services.rfp_update(
        actor=world.user("rep_north"), rfp=world.rfp, contributors=[world.org.people["rep_south"]]
    )
    assert client_for("rep_south").get(reverse("rfps:rfp-detail", args=[world.rfp.pk])).status_code == 200


def test_list_filters(world, client_for):
    client = client_for("nsm")
    overdue = make_rfp(
        world.user("rep_north"),
        world.north_party,
        title="Late one",
        reference="L1",
        due_at=timezone.now() - datetime.timedelta(days=1),
    )
    response = client.get(reverse("rfps:rfp-list"), {"overdue": "on"})
    assert list(response.context["page_obj"]) == [overdue]
    response = client.get(reverse("rfps:rfp-list"), {"q": "Sterilisation"})
    assert list(response.context["page_obj"]) == [world.south_rfp]
    response = client.get(reverse("rfps:rfp-list"), {"owner": world.org.people["rep_south"].pk})
    assert list(response.context["page_obj"]) == [world.south_rfp]
    response = client.get(reverse("rfps:rfp-list"), {"status": "won"})
    assert response.context["page_obj"].paginator.count == 0
    assert b"No RFPs match" in response.content


def test_list_query_count_is_constant(world, client_for, django_assert_max_num_queries):
    rep = world.user("rep_north")
    for i in range(6):
        rfp = make_rfp(rep, world.north_party, title=f"RFP {i}", reference=f"R{i}")
        services.requirement_add(actor=rep, rfp=rfp, text="Q")
    client = client_for("rep_north")
    client.get(reverse("rfps:rfp-list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("rfps:rfp-list"))
    assert response.context["page_obj"].paginator.count == 7
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/rfps/").status_code == 200


def test_detail_query_count_is_constant(world, client_for, django_assert_max_num_queries):
    rep = world.user("rep_north")
    services.requirements_import(
        actor=rep, rfp=world.rfp, text="\n".join(f"Requirement {i}" for i in range(8))
    )
    client = client_for("rep_north")
    with django_assert_max_num_queries(25):
        response = client.get(reverse("rfps:rfp-detail", args=[world.rfp.pk]))
    assert response.content.count(b'data-testid="requirement-row"') == 8


def test_register_through_the_form(world, client_for):
    client = client_for("rep_north")
    response = client.post(
        reverse("rfps:rfp-create"),
        {
            "party": world.north_party.pk,
            "title": "Imaging equipment",
            "reference": "RN-9",
            "received_on": "2026-11-30",
            "due_at": "2026-12-20T12:00",
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert world.north_party.rfps.filter(
        title="Imaging equipment", owner=world.org.people["rep_north"]
    ).exists()


def test_htmx_answer_from_library_and_approval_over_http(world, client_for):
    rep_client = client_for("rep_north")
    services.requirement_add(
        actor=world.user("rep_north"), rfp=world.rfp, number="1", text="ISO certification"
    )
    req = Requirement.objects.get(rfp=world.rfp)
    panel = rep_client.get(reverse("rfps:library-panel", args=[req.pk]), {"q": "ISO"})
    assert b"ISO 9001:2015" in panel.content
    row = rep_client.post(
        reverse("rfps:requirement-answer", args=[req.pk]),
        {"library_entry": world.entry.pk},
        HTTP_HX_REQUEST="true",
    )
    assert row.status_code == 200 and b"ISO 9001:2015" in row.content and b"From the library" in row.content
    rep_client.post(reverse("rfps:rfp-submit-review", args=[world.rfp.pk]))
    assert client_for("rep_north").post(reverse("rfps:rfp-approve", args=[world.rfp.pk])).status_code == 403
    client_for("rsm_north").post(reverse("rfps:rfp-approve", args=[world.rfp.pk]))
    world.rfp.refresh_from_db()
    assert world.rfp.status == RfpStatus.APPROVED


def test_api_flow_and_errors(world, client_for):
    def rep_post(url, data=None):
        return client_for("rep_north").post(url, data or {}, content_type="application/json")

    def manager_post(url, data=None):
        return client_for("rsm_north").post(url, data or {}, content_type="application/json")

    rep = client_for("rep_north")
    created = rep.post(
        "/api/v1/rfps/",
        {"party": world.north_party.pk, "title": "API RFP", "due_at": "2026-12-24T12:00:00Z"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert (
        rep_post(f"/api/v1/rfps/{pk}/requirements/", {"text": "Must deliver", "number": "1"}).status_code
        == 201
    )
    req_id = client_for("rep_north").get(f"/api/v1/rfps/{pk}/requirements/").json()[0]["id"]
    assert rep_post(f"/api/v1/rfps/{pk}/submit-for-review/", {}).json()["status"] == "in_review"
    missing = manager_post(f"/api/v1/rfps/{pk}/approve/", {})
    assert missing.status_code == 400 and missing.json()["code"] == "missing_answers"
    assert (
        manager_post(f"/api/v1/rfps/{pk}/reject/", {"comment": "Answer 1"}).json()["status"] == "in_progress"
    )
    answered = rep_post(f"/api/v1/rfps/requirements/{req_id}/answer/", {"library_entry": world.entry.pk})
    assert answered.json()["source_entry"] == world.entry.pk
    rep_post(f"/api/v1/rfps/{pk}/submit-for-review/", {})
    assert rep_post(f"/api/v1/rfps/{pk}/approve/", {}).status_code == 403
    assert manager_post(f"/api/v1/rfps/{pk}/approve/", {}).json()["status"] == "approved"
    assert rep_post(f"/api/v1/rfps/{pk}/submitted/", {}).json()["status"] == "submitted"
    won = rep_post(f"/api/v1/rfps/{pk}/outcome/", {"outcome": "won", "reason": "Price"})
    assert won.json()["status"] == "won" and won.json()["outcome_reason"] == "Price"
    assert (
        client_for("rep_south")
        .post(
            f"/api/v1/rfps/{pk}/outcome/", {"outcome": "lost", "reason": "x"}, content_type="application/json"
        )
        .status_code
        == 404
    )


def test_library_api_and_pages(world, client_for):
    data = client_for("rep_south").get("/api/v1/rfps/library/", {"q": "iso certification"}).json()
    assert [e["id"] for e in data["results"]] == [world.entry.pk]
    assert client_for("other_clerk").get("/api/v1/rfps/library/").status_code == 403
    assert client_for("rep_north").get(reverse("rfps:library-list")).status_code == 200
    assert client_for("rep_north").get(reverse("rfps:library-create")).status_code == 403
    manager = client_for("rsm_north")
    response = manager.post(
        reverse("rfps:library-create"),
        {"question": "Warranty?", "answer": "Two years.", "tags": "warranty", "language": "en"},
    )
    assert response.status_code == 302
    assert manager.get(reverse("rfps:approval-queue")).status_code == 200
    assert client_for("rep_north").get(reverse("rfps:approval-queue")).status_code == 403


def test_party_panel_lists_rfps_in_scope(world, client_for):
    response = client_for("rep_north").get(reverse("parties:party-detail", args=[world.north_party.pk]))
    assert b'data-testid="party-rfps"' in response.content and world.rfp.title.encode() in response.content
