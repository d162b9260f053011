"""``/api/v1/billing/questions/``: list, detail, log, reply, assign, resolve; scoped like the
pages, refusals in the one error shape, the credit resolution idempotent."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from frontoffice.billing.models import Invoice, InvoiceQuestion
from frontoffice.billing.services.questions import question_note
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.questions_factories import ask, line_of
from frontoffice.org.services import api_token_create

pytestmark = pytest.mark.django_db
QUESTIONS = "/api/v1/billing/questions/"


@pytest.fixture
def api_as(org):
    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = response.json()
    assert body["code"] == code and body["message"], body
    return body


@pytest.fixture
def question(invoice, link):
    return ask(link, category="quantity", body="We had one check-up, not two.")


@pytest.fixture
def south_question(south_invoice, south_link):
    return ask(south_link, body="Söder asks.")


def test_the_list_shows_questions_in_scope_with_their_line_and_deadlines(api_as, question, south_question):
    body = api_as("clerk").get(QUESTIONS).json()
    assert body["count"] == 2
    first = next(row for row in body["results"] if row["id"] == question.pk)
    assert first["invoice"]["reference"] == question.invoice.reference
    assert first["line"]["line_no"] == 1
    assert first["line"]["net_amount"] == "1700.00"
    assert (first["category"], first["channel"], first["status"]) == ("quantity", "customer_page", "open")
    assert first["first_response_due_at"] == "2026-03-17T09:00:00+01:00"
    assert first["assigned_to"]["name"] == "Clerk Test"
    rep = api_as("rep_south").get(QUESTIONS).json()
    assert [row["id"] for row in rep["results"]] == [south_question.pk]
    assert api_as("other_clerk").get(QUESTIONS).json()["count"] == 0


def test_the_list_filters_and_refuses_bad_filters(api_as, question, south_question):
    client = api_as("clerk")
    assert [r["id"] for r in client.get(QUESTIONS, {"category": "quantity"}).json()["results"]] == [
        question.pk
    ]
    assert [r["id"] for r in client.get(QUESTIONS, {"invoice": question.invoice_id}).json()["results"]] == [
        question.pk
    ]
    _error(client.get(QUESTIONS, {"due": "tomorrow"}), 400, "invalid")
    _error(client.get(QUESTIONS, {"status": "pending"}), 400, "invalid")
    assert [r["id"] for r in client.get(QUESTIONS, {"status": "all"}).json()["results"]] == [
        question.pk,
        south_question.pk,
    ]
    _error(api_as("rep_south").get(QUESTIONS, {"invoice": question.invoice_id}), 404, "not_found")


def test_the_detail_has_the_conversation_with_internal_notes_flagged(api_as, org, question):
    question_note(actor=org.user("clerk"), question=question, body="One visit in the journal.")
    body = api_as("clerk").get(f"{QUESTIONS}{question.pk}/").json()
    assert [(m["sender"], m["internal"], m["body"]) for m in body["messages"]] == [
        ("customer", False, "We had one check-up, not two."),
        ("staff", True, "One visit in the journal."),
    ]
    _error(api_as("rep_south").get(f"{QUESTIONS}{question.pk}/"), 404, "not_found")
    _error(api_as("receptionist").get(f"{QUESTIONS}{question.pk}/"), 403, "permission_denied")


def test_a_clerk_logs_a_phone_question(api_as, org, invoice):
    line = line_of(invoice, 2)
    response = api_as("clerk").post(
        QUESTIONS,
        {"invoice_line": line.pk, "category": "pricing", "channel": "phone", "body": "Anna called."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["line"]["id"], body["channel"], body["assigned_to"]["id"]) == (
        line.pk,
        "phone",
        org.user("rep_north").pk,
    )


def test_logging_refuses_other_invoices_lines_and_people_without_change_invoice(
    api_as, invoice, south_invoice, org
):
    payload = {"invoice_line": line_of(invoice).pk, "category": "other", "channel": "phone", "body": "?"}
    body = _error(api_as("other_clerk").post(QUESTIONS, payload, format="json"), 400, "invalid")
    assert "invoice_line" in body["errors"]
    _error(api_as("rep_north").post(QUESTIONS, payload, format="json"), 403, "permission_denied")
    body = _error(
        api_as("clerk").post(QUESTIONS, {**payload, "channel": "customer_page"}, format="json"),
        400,
        "invalid_choice",
    )
    assert "channel" in body["errors"]
    assert not InvoiceQuestion.objects.exists()


def test_reply_and_assign(api_as, org, question):
    client = api_as("clerk")
    response = client.post(f"{QUESTIONS}{question.pk}/reply/", {"body": "Two visits."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "answered"
    assert response.json()["first_response_at"] is not None
    response = client.post(
        f"{QUESTIONS}{question.pk}/assign/", {"assignee": org.user("rep_south").pk}, format="json"
    )
    body = _error(response, 400, "cannot_see_invoice")
    assert "assignee" in body["errors"]
    _error(
        api_as("rep_north").post(f"{QUESTIONS}{question.pk}/reply/", {"body": "Me?"}, format="json"),
        403,
        "permission_denied",
    )


def test_resolving_with_a_credit_note_is_idempotent(api_as, question):
    client = api_as("clerk")
    payload = {"explanation": "We credit one check-up.", "credit": True, "credit_quantity": "1"}
    first = client.post(
        f"{QUESTIONS}{question.pk}/resolve/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 200, first.json()
    body = first.json()
    assert (body["status"], body["resolution"]) == ("resolved", "credit_note")
    assert body["credit_note"]["total_amount"] == "1062.50"
    again = client.post(
        f"{QUESTIONS}{question.pk}/resolve/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 200
    assert again.json()["credit_note"]["id"] == body["credit_note"]["id"]
    assert Invoice.objects.filter(kind="credit_note").count() == 1
    # Without the key, a resolved question is not resolved again.
    _error(client.post(f"{QUESTIONS}{question.pk}/resolve/", payload, format="json"), 400, "not_active")


def test_crediting_beyond_the_line_names_the_quantity(api_as, question):
    payload = {"explanation": "Credit.", "credit": True, "credit_quantity": "3"}
    body = _error(
        api_as("clerk").post(f"{QUESTIONS}{question.pk}/resolve/", payload, format="json"), 400, "over_credit"
    )
    assert "credit_quantity" in body["errors"]
    assert not Invoice.objects.filter(kind="credit_note").exists()
