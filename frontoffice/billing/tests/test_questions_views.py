"""Staff pages of invoice questions: the queue, one question with its HTMX actions, logging
a question from an invoice line, the invoice's questions panel and the oversight page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from frontoffice.billing.models import Invoice, InvoiceQuestion, QuestionSettings
from frontoffice.billing.services.questions import (
    question_note,
    question_reply,
    question_resolve,
)
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.questions_factories import ask, line_of, sthlm

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode().replace("\xa0", " "))


@pytest.fixture
def question(invoice, link):
    return ask(link, category="quantity", body="We had one check-up, not two.")


@pytest.fixture
def south_question(south_invoice, south_link):
    return ask(south_link, category="other", body="Söder asks about the lab work.")


# ---------------------------------------------------------------- the queue


def test_the_queue_lists_questions_by_next_deadline(client_for, question, south_question):
    response = client_for("clerk").get(reverse("billing:question-list"))
    assert response.status_code == 200
    html = text(response)
    assert html.count('data-testid="question-row"') == 2
    assert "Norrsken Bygg AB" in html and "Söderbergs Tandlab AB" in html
    assert f"{question.invoice.reference} · line 1" in html


@pytest.mark.parametrize(
    ("persona", "sees_north", "sees_south"),
    [
        ("clerk", True, True),
        ("finance_manager", True, True),
        ("rsm_north", True, False),
        ("rep_north", True, False),
        ("rep_south", False, True),
        ("other_clerk", False, False),
        ("auditor", True, True),
    ],
)
def test_the_queue_shows_only_questions_in_scope(
    client_for, question, south_question, persona, sees_north, sees_south
):
    html = text(client_for(persona).get(reverse("billing:question-list")))
    assert ("Norrsken Bygg AB" in html) is sees_north
    assert ("Söderbergs Tandlab AB" in html) is sees_south


@pytest.mark.parametrize("persona", ["receptionist", "office_manager", "nobody"])
def test_the_queue_needs_view_invoice(client_for, question, persona):
    assert client_for(persona).get(reverse("billing:question-list")).status_code == 403


def test_signed_out_users_go_to_the_sign_in_page(client, question):
    response = client.get(reverse("billing:question-detail", args=[question.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_queue_filters_by_category_assignee_status_and_deadline(monday, client_for, org, invoice, link):
    pricing = ask(link, category="pricing")  # rep North's
    quantity = ask(link, category="quantity")  # the clerk's
    question_resolve(actor=org.user("clerk"), question=quantity, explanation="Two visits.")
    monday.move_to(sthlm(17, 8))
    late = ask(link, category="vat")  # first response due Tuesday 16:00
    client = client_for("clerk")
    url = reverse("billing:question-list")

    def rows(**query) -> list[int]:
        html = client.get(url, query).content.decode()
        return [int(pk) for pk in re.findall(r'href="/billing/questions/(\d+)/"', html)]

    assert rows() == [pricing.pk, late.pk]
    assert rows(status="all") == [pricing.pk, late.pk, quantity.pk]
    assert rows(status="resolved") == [quantity.pk]
    assert rows(category="vat") == [late.pk]
    assert rows(assignee="me", status="all") == [late.pk, quantity.pk]
    assert rows(assignee=str(org.user("rep_north").pk)) == [pricing.pk]
    # Tuesday 08:00: the pricing question's first response (due 09:00) is at risk, not yet overdue.
    assert rows(due="at_risk") == [pricing.pk]
    assert rows(due="overdue") == []
    monday.move_to(sthlm(17, 9, 1))
    assert rows(due="overdue") == [pricing.pk]
    # Unknown values are ignored.
    assert rows(category="shipping", due="soon", assignee="x") == [pricing.pk, late.pk]


def test_the_queue_marks_deadlines_at_risk_and_overdue(monday, client_for, question):
    monday.move_to(sthlm(17, 7, 30))  # first response due Tuesday 09:00
    assert (
        'data-testid="at-risk"' in client_for("clerk").get(reverse("billing:question-list")).content.decode()
    )
    monday.move_to(sthlm(17, 9, 30))
    assert (
        'data-testid="overdue"' in client_for("clerk").get(reverse("billing:question-list")).content.decode()
    )


def test_the_queue_answers_htmx_with_the_results_only(client_for, question):
    response = client_for("clerk").get(reverse("billing:question-list"), {"category": "quantity"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="question-results"')
    assert "<html" not in html


def test_the_queue_takes_the_same_number_of_queries_for_more_questions(client_for, invoice, link, south_link):
    client = client_for("clerk")
    url = reverse("billing:question-list")
    ask(link)
    client.get(url)  # warm caches (content types, permissions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(6):
        ask(link, category="pricing")
        ask(south_link)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert text(response).count('data-testid="question-row"') == 13
    assert len(many) == len(one)
    assert len(many) <= 12


# ---------------------------------------------------------------- one question


def test_the_question_page_shows_line_customer_conversation_and_internal_notes(client_for, org, question):
    question_note(actor=org.user("clerk"), question=question, body="Journal says one visit on 2 March.")
    html = text(client_for("clerk").get(reverse("billing:question-detail", args=[question.pk])))
    assert "Norrsken Bygg AB" in html
    assert "Undersökning" in html
    assert "We had one check-up, not two." in html
    assert "Journal says one visit on 2 March." in html
    assert 'data-testid="internal-note"' in html
    for form in ["reply-form", "note-form", "resolve-form", "assign-form"]:
        assert f'data-testid="{form}"' in html


@pytest.mark.parametrize("persona", ["rep_south", "other_clerk"])
def test_questions_out_of_scope_are_404(client_for, question, persona):
    client = client_for(persona)
    assert client.get(reverse("billing:question-detail", args=[question.pk])).status_code == 404
    for name in ["question-reply", "question-note", "question-resolve", "question-reopen", "question-close"]:
        response = client.post(reverse(f"billing:{name}", args=[question.pk]), {"reply-body": "Hi"})
        assert response.status_code == 404, name
    assert question.messages.count() == 1


def test_the_rep_sees_their_customers_question_but_cannot_answer_a_clerks_one(client_for, question):
    client = client_for("rep_north")
    html = text(client.get(reverse("billing:question-detail", args=[question.pk])))
    assert "We had one check-up, not two." in html
    assert 'data-testid="reply-form"' not in html
    assert 'data-testid="assign-form"' not in html
    response = client.post(reverse("billing:question-reply", args=[question.pk]), {"reply-body": "Hello"})
    assert response.status_code == 403
    assert question.messages.count() == 1


def test_replying_with_htmx_returns_the_updated_question(client_for, question):
    response = client_for("clerk").post(
        reverse("billing:question-reply", args=[question.pk]),
        {"reply-body": "One visit only: we credit one."},
        **HX,
    )
    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="question-main"')
    assert "One visit only: we credit one." in html
    assert "Answered" in html
    question.refresh_from_db()
    assert question.status == "answered"


def test_an_empty_reply_is_shown_with_its_error(client_for, question):
    response = client_for("clerk").post(
        reverse("billing:question-reply", args=[question.pk]), {"reply-body": "  "}, **HX
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert question.messages.count() == 1


def test_without_htmx_an_action_redirects_to_the_question(client_for, question):
    response = client_for("clerk").post(
        reverse("billing:question-note", args=[question.pk]), {"note-body": "Checking the journal."}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:question-detail", args=[question.pk])
    assert question.messages.filter(internal=True).count() == 1


def test_assigning_from_the_page(client_for, org, question):
    manager = org.user("finance_manager")
    response = client_for("clerk").post(
        reverse("billing:question-assign", args=[question.pk]), {"assign-assignee": str(manager.pk)}, **HX
    )
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.assigned_to == manager
    # Someone outside the choices is refused.
    response = client_for("clerk").post(
        reverse("billing:question-assign", args=[question.pk]),
        {"assign-assignee": str(org.user("rep_south").pk)},
        **HX,
    )
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.assigned_to == manager


def test_resolving_with_a_credit_note_from_the_page(client_for, question):
    response = client_for("clerk").post(
        reverse("billing:question-resolve", args=[question.pk]),
        {
            "resolve-explanation": "We credit one check-up.",
            "resolve-credit": "on",
            "resolve-credit_quantity": "1",
            "idempotency_key": "q-resolve-1",
        },
        **HX,
    )
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.status == "resolved"
    assert question.credit_note.total_amount == Decimal("1062.50")
    assert question.credit_note.reference in text(response)
    # The same form sent twice (a double click) makes no second credit note.
    again = client_for("clerk").post(
        reverse("billing:question-resolve", args=[question.pk]),
        {
            "resolve-explanation": "We credit one check-up.",
            "resolve-credit": "on",
            "resolve-credit_quantity": "1",
            "idempotency_key": "q-resolve-1",
        },
        **HX,
    )
    assert again.status_code == 200
    assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_crediting_more_than_the_line_shows_the_error_on_the_quantity(client_for, question):
    response = client_for("clerk").post(
        reverse("billing:question-resolve", args=[question.pk]),
        {"resolve-explanation": "Credit.", "resolve-credit": "on", "resolve-credit_quantity": "5"},
        **HX,
    )
    assert response.status_code == 400
    assert "at most 2 can still be credited" in text(response)
    question.refresh_from_db()
    assert question.status == "open"


def test_reopen_and_close_from_the_page(client_for, org, question):
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    client = client_for("clerk")
    assert client.post(reverse("billing:question-close", args=[question.pk]), **HX).status_code == 200
    question.refresh_from_db()
    assert question.status == "closed"
    response = client.post(
        reverse("billing:question-reopen", args=[question.pk]), {"reopen-reason": "Customer called."}, **HX
    )
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.status == "reopened"


def test_the_question_page_takes_a_fixed_number_of_queries(
    client_for, org, question, django_assert_max_num_queries
):
    for n in range(5):
        question_reply(actor=org.user("clerk"), question=question, body=f"Answer {n}")
        question_note(actor=org.user("clerk"), question=question, body=f"Note {n}")
    client = client_for("clerk")
    with django_assert_max_num_queries(25):
        response = client.get(reverse("billing:question-detail", args=[question.pk]))
    assert text(response).count('data-testid="internal-note"') == 5


# ---------------------------------------------------------------- from the invoice


def test_a_clerk_logs_a_phone_question_from_an_invoice_line(client_for, org, invoice):
    line = line_of(invoice, 2)
    url = reverse("billing:question-log", args=[invoice.pk, line.pk])
    client = client_for("clerk")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "category": "quantity",
            "channel": "phone",
            "body": "Anna called about the books.",
            "customer_name": "Anna",
        },
    )
    question = InvoiceQuestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:question-detail", args=[question.pk])
    assert (question.line, question.channel, question.created_by) == (line, "phone", org.user("clerk"))


def test_logging_refuses_bad_input_and_out_of_scope_invoices(client_for, invoice, south_invoice):
    line = line_of(invoice)
    url = reverse("billing:question-log", args=[invoice.pk, line.pk])
    response = client_for("clerk").post(url, {"category": "quantity", "channel": "customer_page", "body": ""})
    assert response.status_code == 400
    assert client_for("rep_north").get(url).status_code == 403
    assert client_for("other_clerk").get(url).status_code == 404
    # A line of another invoice under this invoice's URL.
    wrong = reverse("billing:question-log", args=[invoice.pk, line_of(south_invoice).pk])
    assert client_for("clerk").get(wrong).status_code == 404
    assert not InvoiceQuestion.objects.exists()


def test_the_invoice_panel_lists_its_questions_and_offers_logging(
    client_for, invoice, question, south_question
):
    response = client_for("clerk").get(reverse("billing:invoice-questions", args=[invoice.pk]))
    html = text(response)
    assert html.count('data-testid="invoice-question"') == 1
    assert reverse("billing:question-detail", args=[question.pk]) in html
    assert reverse("billing:question-log", args=[invoice.pk, line_of(invoice, 2).pk]) in html
    assert (
        client_for("rep_south").get(reverse("billing:invoice-questions", args=[invoice.pk])).status_code
        == 404
    )
    rep = text(client_for("rep_north").get(reverse("billing:invoice-questions", args=[invoice.pk])))
    assert 'data-testid="log-question"' not in rep


def test_the_navigation_has_invoice_questions_for_those_who_see_invoices(client_for, question):
    assert (
        reverse("billing:question-list")
        in client_for("clerk").get(reverse("billing:question-list")).content.decode()
    )
    assert reverse("billing:question-list") not in client_for("receptionist").get("/").content.decode()


# ---------------------------------------------------------------- oversight


def test_the_oversight_page_shows_queue_times_and_ratings_per_person(monday, client_for, org, invoice, link):
    clerk = org.user("clerk")
    first = ask(link)
    second = ask(link)
    monday.move_to(sthlm(16, 11))
    question_resolve(actor=clerk, question=first, explanation="One.")  # 60 working minutes
    monday.move_to(sthlm(16, 13))
    question_resolve(actor=clerk, question=second, explanation="Two.")  # 180
    from frontoffice.billing.services.questions import question_rate

    question_rate(link=link.link, question=first, rating=5)
    question_rate(link=link.link, question=second, rating=2)
    ask(link, category="pricing")  # open, rep North's
    response = client_for("finance_manager").get(reverse("billing:question-oversight"))
    assert response.status_code == 200
    html = text(response)
    assert 'data-testid="queue-open"><span class="stat__value">1<' in html
    row = re.search(r'data-testid="oversight-row">(.*?)</tr>', html).group(1)
    assert "Clerk Test" in row
    # Median of 60 and 180 minutes: 2 h; average rating 3.50 of 2 ratings, 50 % rated 4-5.
    assert "2 h" in row and "3.50" in row and "50 %" in row


@pytest.mark.parametrize("persona", ["clerk", "rep_north", "auditor"])
def test_oversight_needs_manage_billing(client_for, billing, persona):
    assert client_for(persona).get(reverse("billing:question-oversight")).status_code == 403


def test_the_finance_manager_sets_the_deadline_targets(client_for, org, billing):
    client = client_for("finance_manager")
    response = client.post(
        reverse("billing:question-oversight"), {"first_response_hours": "4", "resolution_hours": "16"}
    )
    assert response.status_code == 302
    row = QuestionSettings.objects.get(legal_entity=org.company)
    assert (row.first_response_hours, row.resolution_hours) == (4, 16)
    response = client.post(
        reverse("billing:question-oversight"), {"first_response_hours": "20", "resolution_hours": "10"}
    )
    assert response.status_code == 400
    assert "cannot be shorter" in text(response)
