import pytest
from rest_framework.test import APIClient

from frontoffice.org.services import api_token_create
from frontoffice.sales.models import Opportunity
from frontoffice.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db
OPPS = "/api/v1/sales/opportunities/"


@pytest.fixture
def api_as(org):
    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


def test_create_move_win_and_scope(api_as, org, sales):
    rep = api_as("rep_north")
    response = rep.post(
        OPPS,
        {
            "party": sales.north_party.pk,
            "name": "Chairs",
            "amount": "1500.50",
            "expected_close_on": "2026-06-30",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["amount"], data["stage_name"], data["weighted_amount"]) == (
        "1500.50",
        "Prospecting",
        "150.05",
    )
    pk = data["id"]
    response = rep.post(f"{OPPS}{pk}/move/", {"stage": stage(org.company, "Lost").pk}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    response = rep.post(
        f"{OPPS}{pk}/move/", {"stage": stage(org.other_company, "Proposal").pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_stage"
    response = rep.post(f"{OPPS}{pk}/win/", {"reason": "Fit"}, format="json")
    assert response.status_code == 200 and response.json()["stage_kind"] == "won"
    assert rep.patch(f"{OPPS}{pk}/", {"amount": "-1"}, format="json").status_code == 400
    assert rep.patch(f"{OPPS}{pk}/", {"amount": "2000.00"}, format="json").json()["amount"] == "2000.00"
    south = api_as("rep_south")
    assert south.get(f"{OPPS}{pk}/").status_code == 404
    assert south.post(f"{OPPS}{pk}/lose/", {"reason": "x"}, format="json").status_code == 404
    assert south.get(OPPS).json()["count"] == 0
    assert api_as("nsm").get(OPPS).json()["count"] == 1
    assert api_as("receptionist").get(OPPS).status_code == 403
    assert api_as("auditor").post(f"{OPPS}{pk}/lose/", {"reason": "x"}, format="json").status_code == 403


def test_bad_input_writes_nothing(api_as, sales):
    rep = api_as("rep_north")
    for body, code in [
        ({"amount": "-5"}, "negative"),
        ({"stage": 987654}, "unknown_stage"),
        ({"party": sales.south_party.pk}, "unknown_party"),
    ]:
        payload = {
            "party": sales.north_party.pk,
            "name": "X",
            "amount": "10",
            "expected_close_on": "2026-06-30",
            **body,
        }
        response = rep.post(OPPS, payload, format="json")
        assert response.status_code == 400 and response.json()["code"] == code, response.json()
    assert not Opportunity.objects.exists()


def test_forecast_api(api_as, org, sales):
    import datetime

    make_opportunity(
        org.user("rep_north"), sales.north_party, amount="1000.00", expected_close_on=datetime.date.today()
    )
    data = api_as("rsm_north").get("/api/v1/sales/forecast/?months=2").json()
    assert data["company"]["total"] == "100.00"
    assert [r["name"] for r in data["regions"]] == ["North"]
    assert api_as("rep_south").get("/api/v1/sales/forecast/").json()["company"]["total"] == "0.00"
    assert api_as("clerk").get("/api/v1/sales/forecast/").status_code == 403
