import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from frontoffice.billing.models import Invoice
from frontoffice.finance.models import JournalEntry
from frontoffice.org.services import api_token_create
from frontoffice.receivables.models import Payment
from frontoffice.receivables.services.payments import payment_register
from frontoffice.receivables.tests.factories import make_invoice

pytestmark = pytest.mark.django_db
PAYMENTS = "/api/v1/receivables/payments/"


@pytest.fixture
def api_as(org):
    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


@pytest.fixture
def invoices(customers, org):
    return make_invoice(org, customers.north, "1250.00"), make_invoice(org, customers.south, "625.00")


def body(north, south, **extra):
    return {
        "paid_on": "2026-03-20",
        "amount": "2000.00",
        "payer_name": "Kund AB",
        "allocations": [
            {"invoice": north.pk, "amount": "1250.00"},
            {"invoice": south.pk, "amount": "625.00"},
        ],
        **extra,
    }


def test_registering_a_payment_with_allocations_and_an_idempotency_key(invoices, org, api_as):
    north, south = invoices
    client = api_as("clerk")
    response = client.post(PAYMENTS, body(north, south), format="json", HTTP_IDEMPOTENCY_KEY="bank-1")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["amount"] == "2000.00" and data["currency"] == "SEK"
    assert data["unallocated_amount"] == "125.00"
    assert data["voucher"].startswith("B")
    assert [(a["invoice"], a["amount"]) for a in data["allocations"]] == [
        (north.pk, "1250.00"),
        (south.pk, "625.00"),
    ]
    vouchers = JournalEntry.objects.count()
    again = client.post(PAYMENTS, body(north, south), format="json", HTTP_IDEMPOTENCY_KEY="bank-1")
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]
    assert (Payment.objects.count(), JournalEntry.objects.count()) == (1, vouchers)


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"currency": "EUR"}, "wrong_currency", "currency"),
        ({"amount": "1000.00"}, "over_allocation", "allocations"),
        ({"amount": 2000}, "invalid", "amount"),
        ({"amount": "20.001"}, "invalid", "amount"),
        ({"paid_on": "2025-12-31"}, "posting_rejected", None),
    ],
)
def test_bad_payments_are_refused_with_a_code_and_nothing_is_written(
    invoices, org, api_as, extra, code, field
):
    north, south = invoices
    before = (
        Payment.objects.count(),
        JournalEntry.objects.count(),
        list(Invoice.objects.values_list("open_amount", flat=True)),
    )
    response = api_as("clerk").post(PAYMENTS, body(north, south, **extra), format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == code
    if field:
        assert field in data["errors"]
    assert (
        Payment.objects.count(),
        JournalEntry.objects.count(),
        list(Invoice.objects.values_list("open_amount", flat=True)),
    ) == before


def test_an_invoice_beyond_its_open_amount_is_named_in_the_errors(invoices, org, api_as):
    north, south = invoices
    response = api_as("clerk").post(
        PAYMENTS, body(north, south, allocations=[{"invoice": north.pk, "amount": "1300.00"}]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "over_allocation"
    assert "allocations.0.amount" in response.json()["errors"]


def test_listing_and_reading_payments(invoices, org, api_as):
    _north, _south = invoices
    payment_register(
        actor=org.user("clerk"), legal_entity=org.company, paid_on=datetime.date(2026, 3, 20), amount="10.00"
    )
    client = api_as("auditor")
    response = client.get(PAYMENTS, {"state": "unallocated"})
    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item["unallocated_amount"] == "10.00" and item["party"] is None
    assert client.get(f"{PAYMENTS}{item['id']}/").json()["id"] == item["id"]


def test_allocating_and_undoing_through_the_api(invoices, org, api_as):
    north, _ = invoices
    payment = payment_register(
        actor=org.user("clerk"),
        legal_entity=org.company,
        paid_on=datetime.date(2026, 3, 20),
        amount="1000.00",
    )
    client = api_as("clerk")
    url = f"{PAYMENTS}{payment.pk}/allocate/"
    args = {"allocations": [{"invoice": north.pk, "amount": "600.00"}], "date": "2026-03-21"}
    response = client.post(url, args, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert response.status_code == 200, response.json()
    assert response.json()["unallocated_amount"] == "400.00"
    assert (
        client.post(url, args, format="json", HTTP_IDEMPOTENCY_KEY="a1").json()["unallocated_amount"]
        == "400.00"
    )
    too_much = client.post(url, {"allocations": [{"invoice": north.pk, "amount": "500.00"}]}, format="json")
    assert too_much.status_code == 400 and too_much.json()["code"] == "over_allocation"
    allocation_id = response.json()["allocations"][0]["id"]
    undone = client.post(f"/api/v1/receivables/allocations/{allocation_id}/undo/")
    assert undone.status_code == 200 and undone.json()["unallocated_amount"] == "1000.00"
    again = client.post(f"/api/v1/receivables/allocations/{allocation_id}/undo/")
    assert again.status_code == 400 and again.json()["code"] == "already_reversed"


@pytest.mark.parametrize(("persona", "status"), [("rep_north", 403), ("auditor", 403), ("receptionist", 403)])
def test_who_may_register_payments(invoices, org, api_as, persona, status):
    north, south = invoices
    assert api_as(persona).post(PAYMENTS, body(north, south), format="json").status_code == status
    assert not Payment.objects.exists()


def test_another_company_clerk_finds_nothing(invoices, org, api_as):
    north, _south = invoices
    payment = payment_register(
        actor=org.user("clerk"), legal_entity=org.company, paid_on=datetime.date(2026, 3, 20), amount="10.00"
    )
    client = api_as("other_clerk")
    assert client.get(PAYMENTS).json()["results"] == []
    assert client.get(f"{PAYMENTS}{payment.pk}/").status_code == 404
    assert (
        client.post(
            f"{PAYMENTS}{payment.pk}/allocate/",
            {"allocations": [{"invoice": north.pk, "amount": "10.00"}]},
            format="json",
        ).status_code
        == 404
    )
    assert client.get("/api/v1/receivables/aging/", {"legal_entity": org.company.pk}).status_code == 404


def test_the_aging_api_is_scoped_to_the_reps_customers(invoices, org, api_as):
    response = api_as("clerk").get("/api/v1/receivables/aging/", {"as_of": "2026-06-30"})
    assert response.status_code == 200
    data = response.json()
    assert data["buckets"] == ["not_due", "days_1_30", "days_31_60", "days_61_90", "over_90"]
    assert data["totals"]["total"] == "1875.00"
    assert [r["party_name"] for r in data["rows"]] == ["Norrsken Bygg AB", "Söderljus Tandvård AB"]
    assert data["rows"][0]["over_90"] == "1250.00"  # due 2026-03-31: 91 days before
    rep = api_as("rep_south").get("/api/v1/receivables/aging/", {"as_of": "2026-06-30"}).json()
    assert [r["party_name"] for r in rep["rows"]] == ["Söderljus Tandvård AB"]
    assert rep["totals"]["total"] == "625.00"
    assert Decimal(rep["totals"]["total"]) == Decimal("625.00")
