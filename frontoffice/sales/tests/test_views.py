import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from frontoffice.sales.models import Opportunity
from frontoffice.sales.tests.factories import make_opportunity, make_party, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def opps(org, sales):
    north = [
        make_opportunity(org.user("rep_north"), sales.north_party, name=f"North deal {i}") for i in range(3)
    ]
    south = make_opportunity(org.user("rep_south"), sales.south_party, name="South deal")
    return north, south


def test_pages_render_for_a_rep(client_for, opps):
    north, _south = opps
    client = client_for("rep_north")
    for name, args in [
        ("sales:opportunity-list", []),
        ("sales:board", []),
        ("sales:opportunity-create", []),
        ("sales:opportunity-detail", [north[0].pk]),
        ("sales:opportunity-edit", [north[0].pk]),
        ("sales:opportunity-win", [north[0].pk]),
        ("sales:opportunity-lose", [north[0].pk]),
        ("sales:forecast", []),
        ("sales:pipeline-regional", []),
        ("sales:pipeline-national", []),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name


def test_rep_never_sees_another_regions_opportunities(client_for, opps):
    _north, south = opps
    client = client_for("rep_north")
    body = client.get(reverse("sales:opportunity-list")).content.decode()
    assert "North deal 0" in body and "South deal" not in body
    body = client.get(reverse("sales:board")).content.decode()
    assert "North deal 0" in body and "South deal" not in body
    assert client.get(reverse("sales:opportunity-detail", args=[south.pk])).status_code == 404
    assert client.get(reverse("sales:opportunity-edit", args=[south.pk])).status_code == 404
    assert client.post(reverse("sales:opportunity-move", args=[south.pk]), {"stage": "1"}).status_code == 404
    csv = client.get(reverse("sales:opportunity-list") + "?format=csv").content.decode("utf-8-sig")
    assert "North deal 0" in csv and "South deal" not in csv
    from frontoffice.core.registry import registry

    provider = next(p for p in registry.search if p.key == "opportunities")
    titles = [h.title for h in provider.search(opps[0][0].owner, "deal", 10)]
    assert "South deal" not in titles and "North deal 0" in titles


def test_rsm_sees_region_nsm_sees_all(client_for, opps):
    body = client_for("rsm_north").get(reverse("sales:opportunity-list")).content.decode()
    assert "North deal 0" in body and "South deal" not in body
    body = client_for("nsm").get(reverse("sales:opportunity-list")).content.decode()
    assert "North deal 0" in body and "South deal" in body


def test_permissions(client_for, opps):
    north, _ = opps
    assert client_for("receptionist").get(reverse("sales:opportunity-list")).status_code == 403
    assert client_for("clerk").get(reverse("sales:board")).status_code == 403
    auditor = client_for("auditor")
    assert auditor.get(reverse("sales:opportunity-detail", args=[north[0].pk])).status_code == 200
    assert (
        auditor.post(reverse("sales:opportunity-move", args=[north[0].pk]), {"stage": "1"}).status_code == 403
    )
    assert auditor.get(reverse("sales:opportunity-create")).status_code == 403


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_and_board_query_counts_are_constant(client_for, org, sales, django_assert_max_num_queries):
    for i in range(3):
        make_opportunity(org.user("rep_north"), sales.north_party, name=f"Deal {i}")
    client = client_for("nsm")
    urls = [reverse("sales:opportunity-list"), reverse("sales:board"), reverse("sales:forecast")]
    few = [_queries(client, u) for u in urls]
    for i in range(12):
        make_opportunity(
            org.user("rep_south"), sales.south_party, name=f"More {i}", stage=stage(org.company, "Proposal")
        )
    many = [_queries(client, u) for u in urls]
    assert few == many
    with django_assert_max_num_queries(20):
        client.get(urls[1])


def test_create_from_customer_page_and_move_on_board(client_for, org, sales):
    client = client_for("rep_north")
    party_page = client.get(reverse("parties:party-detail", args=[sales.north_party.pk])).content.decode()
    assert 'data-testid="party-new-opportunity"' in party_page
    url = reverse("sales:opportunity-create") + f"?party={sales.north_party.pk}"
    response = client.post(
        url,
        {
            "party": sales.north_party.pk,
            "name": "Chairs",
            "amount": "5000",
            "expected_close_on": "2026-07-01",
            "stage": stage(org.company, "Qualification").pk,
            "owner": org.user("rep_north").pk,
        },
    )
    assert response.status_code == 302
    opp = Opportunity.objects.get(name="Chairs")
    assert opp.amount == Decimal("5000.00")
    # HTMX move from the board returns the board
    response = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": stage(org.company, "Proposal").pk, "from": "board"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and 'id="board"' in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage.name == "Proposal"
    # Lost without a reason, without JS: the close form asks for it
    response = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]), {"stage": stage(org.company, "Lost").pk}
    )
    assert response.status_code == 302 and "/lose/" in response["Location"]
    # HTMX without a reason: refused, shown on the board, nothing changed
    response = client.post(
        reverse("sales:opportunity-move", args=[opp.pk]),
        {"stage": stage(org.company, "Lost").pk, "from": "board"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-testid="board-error"' in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage.name == "Proposal"
    response = client.post(reverse("sales:opportunity-lose", args=[opp.pk]), {"reason": "Too expensive"})
    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.stage.kind, opp.loss_reason) == ("lost", "Too expensive")


def test_create_form_shows_field_errors(client_for, org, sales):
    client = client_for("rep_north")
    response = client.post(
        reverse("sales:opportunity-create"),
        {
            "party": sales.north_party.pk,
            "name": "Chairs",
            "amount": "-5",
            "expected_close_on": "2026-07-01",
            "stage": stage(org.company, "Qualification").pk,
            "owner": org.user("rep_north").pk,
        },
    )
    assert response.status_code == 200
    assert "cannot be negative" in response.content.decode()
    assert not Opportunity.objects.exists()


def test_export_is_formula_safe(client_for, org, sales):
    make_opportunity(org.user("rep_north"), sales.north_party, name='=HYPERLINK("x")')
    client = client_for("rep_north")
    csv = client.get(reverse("sales:opportunity-list") + "?format=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv
    xlsx = client.get(reverse("sales:opportunity-list") + "?format=xlsx")
    assert xlsx.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"  # a plain string cell, never a formula


def test_forecast_page_numbers_link_to_lists(client_for, org, sales):
    make_opportunity(
        org.user("rep_north"),
        sales.north_party,
        amount=Decimal("1000.00"),
        expected_close_on=datetime.date.today(),
    )
    body = client_for("nsm").get(reverse("sales:forecast")).content.decode()
    assert "status=open" in body and 'data-testid="forecast-chart"' in body


def test_party_from_other_region_cannot_be_used(client_for, org, sales):
    other = make_party(org, "Other", region=org.south)
    response = client_for("rep_north").get(reverse("sales:opportunity-create") + f"?party={other.pk}")
    assert response.status_code == 200
    assert "Find the customer" in response.content.decode()


def test_a_deactivated_owner_keeps_the_owner_filter(client_for, org, opps):
    """A link to the opportunities of a rep who has since left lists only theirs (the filter
    accepted active staff only, dropped the owner and listed everyone's)."""
    from frontoffice.org.models import Staff

    Staff.objects.filter(user=org.user("rep_south")).update(active=False)
    response = client_for("nsm").get(reverse("sales:opportunity-list"), {"owner": org.user("rep_south").pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert "South deal" in body and "North deal 0" not in body
    assert "(inactive)" in body
