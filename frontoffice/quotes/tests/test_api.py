"""``/api/v1/quotes/``: create with lines, read, change lines, send, convert once (with an
Idempotency-Key), the one error shape, 403 without permission and 404 out of scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from frontoffice.billing.models import Invoice
from frontoffice.org.services import api_token_create
from frontoffice.quotes.models import Quote
from frontoffice.quotes.services import quote_accept

pytestmark = pytest.mark.django_db
QUOTES = "/api/v1/quotes/"


@pytest.fixture
def api_as(org):
    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


def create(client, world, **extra):
    body = {
        "party": world.north.pk,
        "lines": [{"product": world.catalogue.exam.pk, "quantity": "2"}],
        **extra,
    }
    return client.post(QUOTES, body, format="json")


def test_a_rep_creates_reads_edits_and_sends_a_quote(api_as, world):
    rep = api_as("rep_north")
    response = create(rep, world)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["number"], data["status"], data["total_amount"]) == ("Q2026-00001", "draft", "2125.00")
    assert data["lines"][0]["discount_percent"] == "15.00"
    pk = data["id"]
    response = rep.post(
        f"{QUOTES}{pk}/lines/",
        {"description": "Travel", "unit_price": "100", "vat_code": "SE25"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["total_amount"] == "2250.00"
    line_id = response.json()["lines"][1]["id"]
    response = rep.patch(f"{QUOTES}{pk}/lines/{line_id}/", {"quantity": "2"}, format="json")
    assert response.json()["total_amount"] == "2375.00"
    assert rep.delete(f"{QUOTES}{pk}/lines/{line_id}/").json()["total_amount"] == "2125.00"
    response = rep.post(f"{QUOTES}{pk}/send/")
    assert response.status_code == 200 and response.json()["status"] == "sent"
    listing = rep.get(QUOTES, {"status": "sent"}).json()
    assert [row["number"] for row in listing["results"]] == ["Q2026-00001"]


def test_errors_name_the_line_and_field_and_write_nothing(api_as, world):
    response = create(
        api_as("rep_north"), world, lines=[{"product": world.catalogue.exam.pk, "quantity": "0"}]
    )
    assert response.status_code == 400
    assert "lines.0.quantity" in response.json()["errors"]
    assert Quote.objects.count() == 0


def test_sending_above_authority_answers_approval_required(api_as, world):
    rep = api_as("rep_north")
    pk = create(rep, world, lines=[{"product": world.catalogue.soft.pk, "discount_percent": "40"}]).json()[
        "id"
    ]
    response = rep.post(f"{QUOTES}{pk}/send/")
    assert response.status_code == 400 and response.json()["code"] == "approval_required"


def test_converting_is_idempotent(api_as, world):
    rep = api_as("rep_north")
    pk = create(rep, world).json()["id"]
    rep.post(f"{QUOTES}{pk}/send/")
    clerk = api_as("clerk")
    response = clerk.post(f"{QUOTES}{pk}/convert-to-invoice/", HTTP_IDEMPOTENCY_KEY="q-1")
    assert response.status_code == 400 and response.json()["code"] == "not_accepted"
    quote_accept(quote=Quote.objects.get(pk=pk), name="Anna", confirmed=True)
    first = clerk.post(f"{QUOTES}{pk}/convert-to-invoice/", HTTP_IDEMPOTENCY_KEY="q-1")
    again = clerk.post(f"{QUOTES}{pk}/convert-to-invoice/", HTTP_IDEMPOTENCY_KEY="q-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["total_amount"] == "2125.00"
    assert Invoice.objects.filter(source_type="quote", source_id=str(pk)).count() == 1
    assert rep.post(f"{QUOTES}{pk}/convert-to-invoice/").status_code == 403


def test_denials(api_as, world):
    pk = create(api_as("rep_north"), world).json()["id"]
    assert api_as("receptionist").get(QUOTES).status_code == 403
    assert api_as("auditor").post(QUOTES, {"party": world.north.pk}, format="json").status_code == 403
    assert api_as("rep_south").get(f"{QUOTES}{pk}/").status_code == 404
    assert api_as("other_clerk").get(f"{QUOTES}{pk}/").status_code == 404
    assert api_as("rep_south").get(QUOTES).json()["count"] == 0
    assert create(api_as("rep_south"), world).status_code == 404
    assert api_as("auditor").get(f"{QUOTES}{pk}/").status_code == 200
