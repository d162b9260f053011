"""Linking an RFP to a sales opportunity through the API (create and ``PATCH``), with the rules of
the opportunity page's "Register RFP": the opportunity must be in the caller's scope and of the
RFP's customer. An opportunity outside the scope gets exactly the answer of one that does not
exist; nothing is written on any refusal."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from frontoffice.core.models import AuditEntry
from frontoffice.rfps import services
from frontoffice.rfps.models import Rfp, RfpStatus
from frontoffice.rfps.tests.conftest import make_party
from frontoffice.sales.models import Opportunity
from frontoffice.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

RFPS = "/api/v1/rfps/"


@pytest.fixture
def deals(world):
    """rep_north's opportunity with the RFP's customer (Region Norrbotten), rep_north's
    opportunity with another customer, the same customer's opportunity owned by rsm_north
    (outside rep_north's own scope) and rep_south's opportunity in South."""
    org = world.org
    rep = world.user("rep_north")
    own = make_opportunity(rep, world.north_party, name="Chairs tender")
    other_customer = make_opportunity(
        rep, make_party(org, "Luleå Kommun", org.north, org.people["rep_north"])
    )
    managers = make_opportunity(
        world.user("rsm_north"), world.north_party, name="Framework", owner=org.user("rsm_north")
    )
    south = make_opportunity(world.user("rep_south"), world.south_party, name="Sterilisation")
    assert not Opportunity.objects.visible_to(rep).filter(pk__in=[managers.pk, south.pk]).exists()
    return {"own": own, "other_customer": other_customer, "managers": managers, "south": south}


def create_body(world, **extra):
    return {
        "party": world.north_party.pk,
        "title": "Sterile goods",
        "due_at": (timezone.now() + datetime.timedelta(days=14)).isoformat(),
        **extra,
    }


def post(client, body):
    return client.post(RFPS, body, content_type="application/json")


def patch(client, rfp, body):
    return client.patch(f"{RFPS}{rfp.pk}/", body, content_type="application/json")


def missing_id():
    return (Opportunity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


# --- create -----------------------------------------------------------------------------------


def test_create_links_the_rfp_to_an_opportunity_of_its_customer(world, deals, client_for):
    response = post(client_for("rep_north"), create_body(world, opportunity=deals["own"].pk))
    assert response.status_code == 201, response.content
    assert response.json()["opportunity"] == deals["own"].pk
    rfp = Rfp.objects.get(pk=response.json()["id"])
    assert rfp.opportunity_id == deals["own"].pk
    entry = AuditEntry.objects.get(action="rfps.rfp.created", object_id=str(rfp.pk))
    assert entry.changes["opportunity"] == [None, "Chairs tender"]
    # Without the field (or with null) the RFP is not linked.
    response = post(client_for("rep_north"), create_body(world, title="No deal", opportunity=None))
    assert response.status_code == 201 and response.json()["opportunity"] is None


def test_create_refuses_an_opportunity_of_another_customer(world, deals, client_for):
    before = Rfp.objects.count()
    response = post(client_for("rep_north"), create_body(world, opportunity=deals["other_customer"].pk))
    assert response.status_code == 400
    assert response.json()["errors"] == {"opportunity": ["The opportunity belongs to another customer."]}
    assert Rfp.objects.count() == before


def test_create_answers_an_opportunity_outside_the_scope_as_one_that_does_not_exist(world, deals, client_for):
    client = client_for("rep_north")
    before = Rfp.objects.count()
    answers = [
        post(client, create_body(world, opportunity=pk))
        for pk in (deals["managers"].pk, deals["south"].pk, missing_id())
    ]
    assert [r.status_code for r in answers] == [400, 400, 400]
    bodies = [r.json() for r in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["errors"] == {"opportunity": ["Unknown opportunity."]}
    assert Rfp.objects.count() == before
    # The manager sees the region's opportunities: the same link is accepted for them.
    response = post(client_for("rsm_north"), create_body(world, opportunity=deals["managers"].pk))
    assert response.status_code == 201 and response.json()["opportunity"] == deals["managers"].pk


def test_create_refuses_a_malformed_opportunity_id(world, deals, client_for):
    response = post(client_for("rep_north"), create_body(world, opportunity="chairs"))
    assert response.status_code == 400 and list(response.json()["errors"]) == ["opportunity"]


def test_the_service_itself_refuses_an_opportunity_outside_the_scope(world, deals):
    with pytest.raises(ValidationError) as exc:
        services.rfp_create(
            actor=world.user("rep_north"),
            party=world.north_party,
            title="Sneaky",
            due_at=timezone.now() + datetime.timedelta(days=5),
            opportunity=deals["managers"],
        )
    assert exc.value.error_dict["opportunity"][0].code == "unknown_opportunity"
    with pytest.raises(ValidationError) as exc:
        services.rfp_update(actor=world.user("rep_north"), rfp=world.rfp, opportunity=deals["south"])
    assert exc.value.error_dict["opportunity"][0].code == "unknown_opportunity"
    world.rfp.refresh_from_db()
    assert world.rfp.opportunity_id is None


# --- change -----------------------------------------------------------------------------------


def test_patch_links_and_unlinks_the_opportunity_with_an_audit_trail(world, deals, client_for):
    client = client_for("rep_north")
    response = patch(client, world.rfp, {"opportunity": deals["own"].pk})
    assert response.status_code == 200, response.content
    assert response.json()["opportunity"] == deals["own"].pk
    world.rfp.refresh_from_db()
    assert world.rfp.opportunity_id == deals["own"].pk
    response = patch(client, world.rfp, {"opportunity": None})
    assert response.status_code == 200 and response.json()["opportunity"] is None
    world.rfp.refresh_from_db()
    assert world.rfp.opportunity_id is None
    changes = [
        e.changes["opportunity"]
        for e in AuditEntry.objects.filter(action="rfps.rfp.updated", object_id=str(world.rfp.pk)).order_by(
            "id"
        )
    ]
    assert changes == [[None, "Chairs tender"], ["Chairs tender", None]]
    assert world.rfp.events.filter(action="updated").count() == 2


def test_patch_changes_the_other_details_like_the_edit_page(world, deals, client_for):
    due = (timezone.now() + datetime.timedelta(days=30)).replace(microsecond=0)
    response = patch(
        client_for("rep_north"),
        world.rfp,
        {"title": "Chairs, lot 2", "due_at": due.isoformat(), "contributors": [world.user("rsm_north").pk]},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["title"], data["contributors"], data["opportunity"]) == (
        "Chairs, lot 2",
        [world.user("rsm_north").pk],
        None,
    )
    world.rfp.refresh_from_db()
    assert world.rfp.due_at == due


def test_patch_refusals_change_nothing(world, deals, client_for):
    client = client_for("rep_north")
    other = patch(client, world.rfp, {"opportunity": deals["other_customer"].pk})
    assert other.status_code == 400
    assert other.json()["errors"] == {"opportunity": ["The opportunity belongs to another customer."]}
    hidden = [patch(client, world.rfp, {"opportunity": pk}) for pk in (deals["managers"].pk, missing_id())]
    assert [r.status_code for r in hidden] == [400, 400]
    assert hidden[0].json() == hidden[1].json()
    assert hidden[0].json()["errors"] == {"opportunity": ["Unknown opportunity."]}
    unknown_field = patch(client, world.rfp, {"party": world.south_party.pk, "title": "X"})
    assert unknown_field.status_code == 400 and list(unknown_field.json()["errors"]) == ["party"]
    world.rfp.refresh_from_db()
    assert (world.rfp.opportunity_id, world.rfp.party_id, world.rfp.title) == (
        None,
        world.north_party.pk,
        "Dental chairs for twelve clinics",
    )
    assert not AuditEntry.objects.filter(action="rfps.rfp.updated", object_id=str(world.rfp.pk)).exists()


def test_patch_denials_by_scope_permission_and_status(world, deals, client_for):
    body = {"opportunity": deals["own"].pk}
    # Another region's rep: the RFP does not exist for them.
    assert patch(client_for("rep_south"), world.rfp, body).status_code == 404
    # The administrator reads RFPs but does not change them; a clerk has no RFP access at all.
    assert patch(client_for("admin"), world.rfp, body).status_code == 403
    assert patch(client_for("clerk"), world.rfp, body).status_code == 403
    # A closed RFP keeps its link.
    Rfp.objects.filter(pk=world.rfp.pk).update(status=RfpStatus.LOST, outcome_reason="Price")
    closed = patch(client_for("rep_north"), world.rfp, body)
    assert closed.status_code == 400 and closed.json()["code"] == "closed"
    world.rfp.refresh_from_db()
    assert world.rfp.opportunity_id is None
