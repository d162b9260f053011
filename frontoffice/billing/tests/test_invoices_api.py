"""``/api/v1/billing/invoices/``: list, read, create drafts with lines, change lines, issue and
credit with idempotency keys; one error shape; scope (403 without the permission, 404 for
another legal entity's or a colleague's customer's documents)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.invoicing import invoice_issue
from frontoffice.billing.tests.invoicing_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.invoicing_factories import make_draft
from frontoffice.finance.models import JournalEntry, LockDate
from frontoffice.org.services import api_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("without_pricing_app")]
D = Decimal


@pytest.fixture
def api_as(org):
    """``api_as("clerk")``: an API client sending that persona's personal API token."""

    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


@pytest.fixture
def issued(org, customer, products):
    clerk = org.user("clerk")
    return invoice_issue(
        actor=clerk, invoice=make_draft(clerk, customer, (products["checkup"], "2"), (products["book"], "1"))
    )


def url(name: str, *args) -> str:
    return reverse(f"api:billing-invoice-{name}", args=args)


# ---------------------------------------------------------------- read


def test_the_list_is_scoped_and_amounts_are_strings(org, api_as, issued, south_customer, products):
    clerk = org.user("clerk")
    south = invoice_issue(actor=clerk, invoice=make_draft(clerk, south_customer, (products["book"], "1")))
    body = api_as("clerk").get(url("list")).json()
    assert [row["reference"] for row in body["results"]] == ["F2026-00002", "F2026-00001"]
    first = body["results"][1]
    assert (first["total_amount"], first["open_amount"], first["currency"], first["status"]) == (
        "2335.94",
        "2335.94",
        "SEK",
        "issued",
    )
    assert first["customer"] == issued.party_id and first["customer_name"] == "Norrsken Bygg AB"
    assert [r["id"] for r in api_as("rep_south").get(url("list")).json()["results"]] == [south.pk]
    assert [r["id"] for r in api_as("rep_north").get(url("list")).json()["results"]] == [issued.pk]
    assert api_as("other_clerk").get(url("list")).json()["results"] == []
    assert api_as("receptionist").get(url("list")).status_code == 403
    assert APIClient().get(url("list")).status_code == 401


def test_the_list_filters(org, api_as, issued, customer, products):
    make_draft(org.user("clerk"), customer, (products["lunch"], "1"))
    client = api_as("clerk")
    assert [r["status"] for r in client.get(url("list"), {"status": "draft"}).json()["results"]] == ["draft"]
    assert [r["reference"] for r in client.get(url("list"), {"q": "F2026-00001"}).json()["results"]] == [
        "F2026-00001"
    ]
    assert client.get(url("list"), {"date_from": "2026-04-01"}).json()["results"] == []
    assert client.get(url("list"), {"status": "nonsense"}).json()["code"] == "invalid"


@pytest.mark.parametrize("count", [2, 10])
def test_the_list_query_count_does_not_grow(
    org, api_as, customer, products, django_assert_max_num_queries, count
):
    clerk = org.user("clerk")
    for _ in range(count):
        invoice_issue(actor=clerk, invoice=make_draft(clerk, customer, (products["book"], "1")))
    client = api_as("clerk")
    with django_assert_max_num_queries(10):
        response = client.get(url("list"))
    assert len(response.json()["results"]) == count


def test_the_detail_has_lines_vat_per_rate_buyer_and_voucher(api_as, issued):
    body = api_as("clerk").get(url("detail", issued.pk)).json()
    assert (body["reference"], body["net_amount"], body["vat_amount"], body["total_amount"]) == (
        "F2026-00001",
        "1899.00",
        "436.94",
        "2335.94",
    )
    assert body["vat"] == [
        {"rate": "25.00", "net_amount": "1700.00", "vat_amount": "425.00"},
        {"rate": "6.00", "net_amount": "199.00", "vat_amount": "11.94"},
    ]
    assert [(line["product_code"], line["quantity"], line["net_amount"]) for line in body["lines"]] == [
        ("UND-01", "2.000", "1700.00"),
        ("BOK-01", "1.000", "199.00"),
    ]
    assert (
        body["buyer"]["name"] == "Norrsken Bygg AB" and body["buyer"]["organisation_number"] == "556036-0793"
    )
    assert (body["voucher"], body["voucher_reference"]) == (issued.voucher_id, "F1")
    assert body["payment_reference"] == issued.payment_reference


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rep_north", 200), ("rep_south", 404), ("other_clerk", 404), ("receptionist", 403)],
)
def test_the_detail_is_scoped(api_as, issued, persona, status):
    assert api_as(persona).get(url("detail", issued.pk)).status_code == status


# ---------------------------------------------------------------- drafts


def test_a_draft_is_created_with_its_lines(api_as, customer, products):
    response = api_as("clerk").post(
        url("list"),
        {
            "customer": customer.party_id,
            "issue_on": "2026-03-16",
            "buyer_reference": "Anna",
            "lines": [
                {"product": products["checkup"].pk, "quantity": "2"},
                {"description": "Resa", "quantity": "1", "unit_price": "300.00", "vat_code": "SE25"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["reference"], body["number"], body["total_amount"]) == (
        "draft",
        "",
        None,
        "2500.00",
    )
    assert [line["description"] for line in body["lines"]] == ["Undersökning", "Resa"]
    assert body["lines"][1]["price_source"] == "manual"


def test_bad_lines_are_named_and_nothing_is_created(api_as, customer, products):
    response = api_as("clerk").post(
        url("list"),
        {
            "customer": customer.party_id,
            "lines": [
                {"product": products["checkup"].pk, "quantity": "1"},
                {"description": "Rabatt", "quantity": "-1", "unit_price": "100.00", "vat_code": "SE99"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"lines.1.quantity", "lines.1.vat_code"}
    assert "credit note" in body["errors"]["lines.1.quantity"][0]
    assert Invoice.objects.count() == 0


def test_decimal_json_numbers_are_refused(api_as, customer, products):
    response = api_as("clerk").post(
        url("list"),
        {"customer": customer.party_id, "lines": [{"product": products["checkup"].pk, "quantity": 1.5}]},
        format="json",
    )
    assert response.status_code == 400
    assert "lines.0.quantity" in response.json()["errors"]
    response = api_as("clerk").post(
        url("list"),
        {
            "customer": customer.party_id,
            "lines": [{"description": "x", "unit_price": 10.5, "vat_code": "SE25"}],
        },
        format="json",
    )
    assert "lines.0.unit_price" in response.json()["errors"]
    assert Invoice.objects.count() == 0


def test_a_customer_without_a_billing_profile_is_named(org, api_as, billing):
    from frontoffice.billing.tests.invoicing_factories import make_customer

    elsewhere = make_customer(org.other_company, name="Elsewhere AB")
    response = api_as("clerk").post(url("list"), {"customer": elsewhere.party_id}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["customer"]


@pytest.mark.parametrize("persona", ["rep_north", "auditor", "receptionist"])
def test_creating_drafts_needs_the_permission(api_as, customer, persona):
    assert (
        api_as(persona).post(url("list"), {"customer": customer.party_id}, format="json").status_code == 403
    )


def test_lines_are_added_changed_and_removed(org, api_as, customer, products):
    draft = make_draft(org.user("clerk"), customer)
    client = api_as("clerk")
    added = client.post(
        url("line-list", draft.pk), {"product": products["book"].pk, "quantity": "2"}, format="json"
    )
    assert added.status_code == 201
    line_id = added.json()["lines"][0]["id"]
    changed = client.patch(
        url("line-detail", draft.pk, line_id), {"quantity": "3", "discount_percent": "10"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    line = changed.json()["lines"][0]
    assert (line["quantity"], line["discount_percent"], line["net_amount"], line["price_source"]) == (
        "3.000",
        "10.00",
        "537.30",
        "manual",
    )
    assert changed.json()["total_amount"] == "569.54"  # 537.30 + 6 % (32.238 -> 32.24)
    removed = client.delete(url("line-detail", draft.pk, line_id))
    assert removed.status_code == 200 and removed.json()["lines"] == []
    assert client.delete(url("line-detail", draft.pk, line_id)).status_code == 404


def test_lines_of_an_issued_invoice_do_not_change(api_as, issued):
    line_id = issued.lines.first().pk
    response = api_as("clerk").patch(url("line-detail", issued.pk, line_id), {"quantity": "5"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_draft"


def test_line_changes_are_scoped(org, api_as, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["book"], "1"))
    line_id = draft.lines.get().pk
    assert api_as("other_clerk").delete(url("line-detail", draft.pk, line_id)).status_code == 404
    assert api_as("rep_north").delete(url("line-detail", draft.pk, line_id)).status_code == 403
    assert draft.lines.count() == 1


# ---------------------------------------------------------------- issue


def test_issuing_with_an_idempotency_key_issues_once(org, api_as, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    client = api_as("clerk")
    first = client.post(url("issue", draft.pk), HTTP_IDEMPOTENCY_KEY="issue-42")
    assert first.status_code == 200, first.json()
    assert (first.json()["status"], first.json()["reference"], first.json()["voucher_reference"]) == (
        "issued",
        "F2026-00001",
        "F1",
    )
    again = client.post(url("issue", draft.pk), HTTP_IDEMPOTENCY_KEY="issue-42")
    assert again.status_code == 200 and again.json() == first.json()
    assert JournalEntry.objects.count() == 1
    without_key = client.post(url("issue", draft.pk))
    assert without_key.status_code == 400 and without_key.json()["code"] == "not_draft"


def test_a_rejected_posting_answers_with_the_ledgers_violations(org, api_as, customer, products):
    LockDate.objects.create(legal_entity=org.company, locked_through=datetime.date(2026, 3, 31))
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    response = api_as("clerk").post(url("issue", draft.pk))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "posting_rejected"
    assert [v["code"] for v in body["violations"]] == ["period_locked"]
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.parametrize(("persona", "status"), [("rep_north", 403), ("auditor", 403), ("other_clerk", 404)])
def test_issuing_is_permission_checked_and_scoped(org, api_as, customer, products, persona, status):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    assert api_as(persona).post(url("issue", draft.pk)).status_code == status
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_an_overlong_idempotency_key_is_refused(org, api_as, customer, products):
    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    response = api_as("clerk").post(url("issue", draft.pk), HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]


# ---------------------------------------------------------------- credit


def test_crediting_chosen_lines_with_an_idempotency_key(api_as, issued):
    checkup, _book = issued.lines.order_by("line_no")
    client = api_as("clerk")
    payload = {
        "reason": "One returned",
        "issue_on": "2026-03-20",
        "lines": [{"line": checkup.pk, "quantity": "1"}],
    }
    first = client.post(url("credit", issued.pk), payload, format="json", HTTP_IDEMPOTENCY_KEY="cr-1")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["kind"], body["reference"], body["credits"], body["total_amount"], body["open_amount"]) == (
        "credit_note",
        "K2026-00001",
        issued.pk,
        "1062.50",
        "0.00",
    )
    assert body["lines"][0]["credits_line"] == checkup.pk
    again = client.post(url("credit", issued.pk), payload, format="json", HTTP_IDEMPOTENCY_KEY="cr-1")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Invoice.objects.filter(kind="credit_note").count() == 1
    assert client.get(url("detail", issued.pk)).json()["open_amount"] == "1273.44"


def test_crediting_the_whole_invoice(api_as, issued):
    response = api_as("clerk").post(
        url("credit", issued.pk), {"reason": "Cancelled", "issue_on": "2026-03-20"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["total_amount"] == "2335.94"
    assert api_as("clerk").get(url("detail", issued.pk)).json()["status"] == "credited"


def test_crediting_too_much_names_the_line(api_as, issued):
    book = issued.lines.get(line_no=2)
    response = api_as("clerk").post(
        url("credit", issued.pk),
        {"reason": "Two", "issue_on": "2026-03-20", "lines": [{"line": book.pk, "quantity": "2"}]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [f"lines.{book.pk}"]
    assert not Invoice.objects.filter(kind="credit_note").exists()


@pytest.mark.parametrize(("persona", "status"), [("rep_north", 403), ("auditor", 403), ("other_clerk", 404)])
def test_crediting_is_permission_checked_and_scoped(api_as, issued, persona, status):
    response = api_as(persona).post(url("credit", issued.pk), {"reason": "x"}, format="json")
    assert response.status_code == status
    assert not Invoice.objects.filter(kind="credit_note").exists()
