"""The RFP panel on the opportunity page (registered through ``sales.panels``): the RFPs
linked to the opportunity and the customer's unlinked ones, within the viewer's RFP scope and
only for holders of ``rfps.view_rfp``; registering an RFP from the panel links it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from frontoffice.rfps.models import Rfp
from frontoffice.rfps.tests.conftest import make_party, make_rfp
from frontoffice.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(world):
    """rep_north's opportunity with Region Norrbotten; the world's RFP is linked to it, a second
    one of the same customer is not linked, a third belongs to another opportunity."""
    rep = world.user("rep_north")
    opportunity = make_opportunity(rep, world.north_party, name="Chairs tender")
    Rfp.objects.filter(pk=world.rfp.pk).update(opportunity=opportunity)  # set-up: link it
    unlinked = make_rfp(
        rep,
        world.north_party,
        title="Cleaning contract",
        reference="RN-9",
        due_at=timezone.now() + datetime.timedelta(days=40),
    )
    other_deal = make_opportunity(rep, world.north_party, name="Other deal")
    elsewhere = make_rfp(
        rep, world.north_party, title="Lab services", reference="RN-10", opportunity=other_deal
    )
    return opportunity, unlinked, elsewhere


def _panel(client, opportunity):
    response = client.get(reverse("sales:opportunity-detail", args=[opportunity.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_panel_lists_linked_rfps_first_then_the_customers_unlinked_ones(world, deal, client_for):
    opportunity, unlinked, elsewhere = deal
    page = _panel(client_for("rep_north"), opportunity)
    assert 'data-testid="opportunity-rfps"' in page
    linked_at = page.index("RN-2026-041 Dental chairs for twelve clinics")
    unlinked_at = page.index("RN-9 Cleaning contract")
    assert linked_at < unlinked_at
    assert reverse("rfps:rfp-detail", args=[world.rfp.pk]) in page
    assert "Draft" in page and "not linked to an opportunity" in page
    assert reverse("rfps:rfp-detail", args=[unlinked.pk]) in page
    assert "Lab services" not in page  # linked to another opportunity
    assert reverse("rfps:rfp-detail", args=[elsewhere.pk]) not in page
    assert f"{reverse('rfps:rfp-create')}?opportunity={opportunity.pk}" in page


def test_the_panel_shows_only_rfps_in_the_viewers_scope(world, deal, client_for, org):
    opportunity, _unlinked, _elsewhere = deal
    # An RFP of the same customer owned by rep_south (set up directly: a rep cannot create it)
    # is outside rep_north's RFP scope, so the panel leaves it out; the national manager sees it.
    hidden = Rfp.objects.create(
        legal_entity=org.company,
        party=world.north_party,
        title="South's tender",
        due_at=timezone.now() + datetime.timedelta(days=5),
        owner=org.user("rep_south"),
        region=org.south,
        opportunity=opportunity,
    )
    assert "South&#x27;s tender" not in _panel(client_for("rep_north"), opportunity)
    assert "South&#x27;s tender" in _panel(client_for("nsm"), opportunity)
    assert client_for("rep_north").get(reverse("rfps:rfp-detail", args=[hidden.pk])).status_code == 404


def test_without_rfps_view_rfp_the_panel_is_not_shown(world, deal, client_for, org):
    from django.contrib.auth.models import Permission

    opportunity, _unlinked, _elsewhere = deal
    role = org.user("rep_north").staff.role
    role.permissions.remove(Permission.objects.get(codename="view_rfp", content_type__app_label="rfps"))
    page = _panel(client_for("rep_north"), opportunity)
    assert 'data-testid="opportunity-rfps"' not in page and "Dental chairs" not in page


def test_the_panel_keeps_a_constant_number_of_queries(world, deal, client_for, django_assert_max_num_queries):
    opportunity, _unlinked, _elsewhere = deal
    client = client_for("rep_north")
    url = reverse("sales:opportunity-detail", args=[opportunity.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(5):
        make_rfp(world.user("rep_north"), world.north_party, title=f"More {n}", reference=f"M{n}")
    with django_assert_max_num_queries(40) as many:
        client.get(url)
    assert len(many) == len(few)


def test_registering_from_the_panel_links_the_rfp_to_the_opportunity(world, deal, client_for):
    opportunity, _unlinked, _elsewhere = deal
    client = client_for("rep_north")
    url = f"{reverse('rfps:rfp-create')}?opportunity={opportunity.pk}"
    form = client.get(url)
    assert form.status_code == 200 and "Chairs tender" in form.content.decode()
    assert form.context["form"].initial["party"] == world.north_party.pk
    response = client.post(
        url,
        {
            "party": world.north_party.pk,
            "opportunity": opportunity.pk,
            "title": "Imaging equipment",
            "received_on": "2026-11-02",
            "due_at": "2026-12-20T12:00",
            "language": "sv",
        },
    )
    assert response.status_code == 302
    rfp = Rfp.objects.get(title="Imaging equipment")
    assert rfp.opportunity_id == opportunity.pk and rfp.party_id == world.north_party.pk


def test_an_opportunity_out_of_scope_or_of_another_customer_is_refused(world, deal, client_for, org):
    opportunity, _unlinked, _elsewhere = deal
    south_deal = make_opportunity(org.user("rep_south"), world.south_party, name="South deal")
    client = client_for("rep_north")
    assert client.get(f"{reverse('rfps:rfp-create')}?opportunity={south_deal.pk}").status_code == 404
    assert client.get(f"{reverse('rfps:rfp-create')}?opportunity=abc").status_code == 404
    other = make_party(org, "Luleå kommun", org.north, org.user("rep_north"))
    response = client.post(
        f"{reverse('rfps:rfp-create')}?opportunity={opportunity.pk}",
        {
            "party": other.pk,
            "title": "Wrong customer",
            "received_on": "2026-11-02",
            "due_at": "2026-12-20T12:00",
            "language": "sv",
        },
    )
    assert response.status_code == 200
    assert "The opportunity belongs to another customer." in response.content.decode()
    assert not Rfp.objects.filter(title="Wrong customer").exists()
