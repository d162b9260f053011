"""The RFP edit page links and unlinks the sales opportunity: it offers the opportunities of the
RFP's customer that the user may see, an empty choice unlinks, and the service's refusals
(another customer's opportunity; one outside the scope answers like one that does not exist)
show on the field with nothing changed."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from frontoffice.core.models import AuditEntry
from frontoffice.rfps import services
from frontoffice.rfps.models import Rfp
from frontoffice.rfps.tests.conftest import make_party
from frontoffice.sales.models import Opportunity
from frontoffice.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(world):
    """rep_north's opportunity with the RFP's customer (Region Norrbotten), rep_north's
    opportunity with another customer, the same customer's opportunity owned by rsm_north
    (outside rep_north's own scope) and rep_south's opportunity in South."""
    org = world.org
    rep = world.user("rep_north")
    own = make_opportunity(rep, world.north_party, name="Chairs tender")
    other_customer = make_opportunity(
        rep, make_party(org, "Luleå Kommun", org.north, org.people["rep_north"]), name="Luleå chairs"
    )
    managers = make_opportunity(
        world.user("rsm_north"), world.north_party, name="Framework", owner=org.user("rsm_north")
    )
    south = make_opportunity(world.user("rep_south"), world.south_party, name="Sterilisation")
    assert not Opportunity.objects.visible_to(rep).filter(pk__in=[managers.pk, south.pk]).exists()
    return {"own": own, "other_customer": other_customer, "managers": managers, "south": south}


def edit_url(rfp: Rfp) -> str:
    return reverse("rfps:rfp-edit", args=[rfp.pk])


def form_data(rfp: Rfp, **changes) -> dict:
    """The edit form as the page posts it, with the RFP's current values."""
    data = {
        "title": rfp.title,
        "reference": rfp.reference,
        "received_on": rfp.received_on.isoformat(),
        "due_at": timezone.localtime(rfp.due_at).strftime("%Y-%m-%dT%H:%M"),
        "owner": rfp.owner_id or "",
        "language": rfp.language,
        "description": rfp.description,
        "opportunity": rfp.opportunity_id or "",
    }
    data.update(changes)
    return data


def offered(response) -> list[str]:
    return [label for value, label in response.context["form"].fields["opportunity"].choices if value]


def updates(rfp: Rfp) -> int:
    return AuditEntry.objects.filter(action="rfps.rfp.updated", object_id=str(rfp.pk)).count()


def test_edit_page_offers_the_customers_opportunities_in_the_users_scope(world, deals, client_for):
    response = client_for("rep_north").get(edit_url(world.rfp))
    assert response.status_code == 200
    # Not another customer's, not the manager's (outside the rep's scope), not South's.
    assert offered(response) == ["Chairs tender (Prospecting)"]
    field = response.context["form"].fields["opportunity"]
    assert next(iter(field.choices))[1] == "— Not linked —"
    assert 'name="opportunity"' in response.content.decode()
    # The regional manager sees the region's opportunities of the customer.
    response = client_for("rsm_north").get(edit_url(world.rfp))
    assert offered(response) == ["Chairs tender (Prospecting)", "Framework (Prospecting)"]


def test_edit_page_links_the_rfp_to_an_opportunity(world, deals, client_for):
    rfp = world.rfp
    response = client_for("rep_north").post(edit_url(rfp), form_data(rfp, opportunity=deals["own"].pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("rfps:rfp-detail", args=[rfp.pk])
    rfp.refresh_from_db()
    assert rfp.opportunity_id == deals["own"].pk
    entry = AuditEntry.objects.get(action="rfps.rfp.updated", object_id=str(rfp.pk))
    assert entry.changes == {"opportunity": [None, "Chairs tender"]}
    assert rfp.events.filter(action="updated", message="opportunity").count() == 1
    # The page now shows the link as the current choice, and the detail page links to it.
    page = client_for("rep_north").get(edit_url(rfp))
    assert page.context["form"]["opportunity"].value() == deals["own"].pk
    detail = client_for("rep_north").get(reverse("rfps:rfp-detail", args=[rfp.pk])).content.decode()
    assert reverse("sales:opportunity-detail", args=[deals["own"].pk]) in detail


def test_edit_page_empty_choice_unlinks_the_opportunity(world, deals, client_for):
    rfp = services.rfp_update(actor=world.user("rep_north"), rfp=world.rfp, opportunity=deals["own"])
    response = client_for("rep_north").post(edit_url(rfp), form_data(rfp, opportunity=""))
    assert response.status_code == 302
    rfp.refresh_from_db()
    assert rfp.opportunity_id is None
    entry = AuditEntry.objects.filter(action="rfps.rfp.updated", object_id=str(rfp.pk)).latest("id")
    assert entry.changes == {"opportunity": ["Chairs tender", None]}


def test_saving_other_details_keeps_the_link(world, deals, client_for):
    rfp = services.rfp_update(actor=world.user("rep_north"), rfp=world.rfp, opportunity=deals["own"])
    response = client_for("rep_north").post(edit_url(rfp), form_data(rfp, title="Chairs, twelve clinics"))
    assert response.status_code == 302
    rfp.refresh_from_db()
    assert (rfp.title, rfp.opportunity_id) == ("Chairs, twelve clinics", deals["own"].pk)
    # A new due time is saved as given (the field has minutes).
    due = (timezone.localtime(rfp.due_at) + datetime.timedelta(days=1)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    response = client_for("rep_north").post(
        edit_url(rfp), form_data(rfp, due_at=due.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 302
    rfp.refresh_from_db()
    assert (rfp.due_at, rfp.opportunity_id) == (due, deals["own"].pk)


def test_a_link_made_by_the_manager_survives_the_reps_edit(world, deals, client_for):
    """The manager links the rep's RFP to an opportunity the rep may not see: the rep's page
    keeps it as the current choice, and saving their changes does not unlink it."""
    rfp = services.rfp_update(actor=world.user("rsm_north"), rfp=world.rfp, opportunity=deals["managers"])
    client = client_for("rep_north")
    page = client.get(edit_url(rfp))
    assert offered(page) == ["Chairs tender (Prospecting)", "Framework (Prospecting)"]
    assert page.context["form"]["opportunity"].value() == deals["managers"].pk
    response = client.post(edit_url(rfp), form_data(rfp, description="Site visits in March"))
    assert response.status_code == 302
    rfp.refresh_from_db()
    assert (rfp.description, rfp.opportunity_id) == ("Site visits in March", deals["managers"].pk)


def test_edit_page_refuses_another_customers_opportunity_on_the_field(world, deals, client_for):
    rfp = world.rfp
    before = updates(rfp)
    response = client_for("rep_north").post(
        edit_url(rfp), form_data(rfp, title="Changed", opportunity=deals["other_customer"].pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "opportunity": ["The opportunity belongs to another customer."]
    }
    assert "The opportunity belongs to another customer." in response.content.decode()
    rfp.refresh_from_db()
    assert (rfp.title, rfp.opportunity_id) == ("Dental chairs for twelve clinics", None)
    assert updates(rfp) == before


@pytest.mark.parametrize("which", ["managers", "south", "missing", "malformed"])
def test_edit_page_answers_an_opportunity_outside_the_scope_as_an_unknown_one(
    world, deals, client_for, which
):
    rfp = world.rfp
    missing = (Opportunity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    value = {"missing": missing, "malformed": "chairs"}.get(which) or deals.get(which).pk
    before = updates(rfp)
    response = client_for("rep_north").post(edit_url(rfp), form_data(rfp, title="Changed", opportunity=value))
    assert response.status_code == 200
    assert response.context["form"].errors == {"opportunity": ["Unknown opportunity."]}
    # The page never names the opportunity it refused.
    content = response.content.decode()
    assert "Framework" not in content and "Sterilisation" not in content
    rfp.refresh_from_db()
    assert (rfp.title, rfp.opportunity_id) == ("Dental chairs for twelve clinics", None)
    assert updates(rfp) == before


def test_the_manager_may_link_the_regions_opportunity(world, deals, client_for):
    rfp = world.rfp
    response = client_for("rsm_north").post(edit_url(rfp), form_data(rfp, opportunity=deals["managers"].pk))
    assert response.status_code == 302
    rfp.refresh_from_db()
    assert rfp.opportunity_id == deals["managers"].pk


def test_edit_page_is_404_outside_the_scope_and_403_without_permission(world, deals, client_for):
    rfp = world.rfp
    for persona, expected in (("rep_south", 404), ("clerk", 403)):
        client = client_for(persona)
        assert client.get(edit_url(rfp)).status_code == expected
        assert client.post(edit_url(rfp), form_data(rfp, opportunity=deals["own"].pk)).status_code == expected
    rfp.refresh_from_db()
    assert rfp.opportunity_id is None


def test_edit_page_query_count_does_not_grow_with_opportunities(
    world, deals, client_for, django_assert_max_num_queries
):
    client = client_for("rep_north")
    url = edit_url(world.rfp)
    client.get(url)
    with django_assert_max_num_queries(13) as few:
        response = client.get(url)
    assert len(offered(response)) == 1
    rep = world.user("rep_north")
    for n in range(6):
        make_opportunity(rep, world.north_party, name=f"Extra {n}")
    with django_assert_max_num_queries(13) as many:
        response = client.get(url)
    assert len(offered(response)) == 7
    assert len(many) == len(few)
