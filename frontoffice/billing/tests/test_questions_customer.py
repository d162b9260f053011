"""The customer's side of invoice questions, on the invoice page behind the private link:
ask about a line, read the answers (never an internal note), write again, rate once."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from frontoffice.billing.models import InvoiceQuestion
from frontoffice.billing.services.links import link_revoke
from frontoffice.billing.services.questions import question_note, question_reply, question_resolve
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.questions_factories import ask, sthlm

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode().replace("\xa0", " "))


def ask_url(made) -> str:
    return reverse("customer:invoice-question-ask", kwargs={"token": made.token})


def rate_url(made, question) -> str:
    return reverse("customer:invoice-question-rate", kwargs={"token": made.token, "question_pk": question.pk})


def message_url(made, question) -> str:
    return reverse(
        "customer:invoice-question-message", kwargs={"token": made.token, "question_pk": question.pk}
    )


def test_every_line_offers_ask_about_this_line(client, invoice, link):
    html = page(client.get(link.path))
    assert html.count("Fråga om den här raden") + html.count("Ask about this line") == 2
    assert 'data-testid="ask-line-1"' in html and 'data-testid="ask-line-2"' in html
    assert ask_url(link) in html


def test_the_customer_asks_and_sees_the_question_with_its_deadline(client, org, invoice, link):
    response = client.post(
        ask_url(link),
        {"line": "2", "category": "quantity", "body": "We ordered two books.", "customer_name": "Anna"},
    )
    question = InvoiceQuestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{link.path}?asked={question.pk}#question-{question.pk}"
    assert response["Cache-Control"] == "no-store, private, max-age=0"
    assert (question.line.line_no, question.category, question.customer_name) == (2, "quantity", "Anna")
    html = page(client.get(response["Location"]))
    assert "We ordered two books." in html
    assert 'data-testid="question-asked"' in html
    assert "2026-03-17 09:00" in html or "17 mars 2026 09:00" in html


def test_a_line_the_invoice_does_not_have_is_404(client, invoice, link):
    response = client.post(ask_url(link), {"line": "3", "category": "other", "body": "What is line 3?"})
    assert response.status_code == 404
    assert not InvoiceQuestion.objects.exists()


def test_a_question_of_another_invoice_cannot_be_written_on_or_rated(client, org, invoice, link, south_link):
    south_question = ask(south_link, body="Söder asks about the lab work.")
    question_resolve(actor=org.user("clerk"), question=south_question, explanation="Lab work done.")
    assert client.post(message_url(link, south_question), {"body": "Hi"}).status_code == 404
    assert client.post(rate_url(link, south_question), {"rating": "1"}).status_code == 404
    south_question.refresh_from_db()
    assert (south_question.rating, south_question.messages.count()) == (None, 2)


def test_the_page_shows_only_this_invoices_questions(client, invoice, link, south_link):
    ask(link, body="Question A about our invoice.")
    ask(south_link, body="Söder asks about the lab work.")
    html = page(client.get(link.path))
    assert "Question A about our invoice." in html
    assert "Söder" not in html


def test_an_invalid_question_shows_a_form_with_the_errors(client, invoice, link):
    response = client.post(
        ask_url(link), {"line": "1", "category": "other", "body": "", "reply_email": "not-an-email"}
    )
    assert response.status_code == 400
    html = page(response)
    assert 'data-testid="customer-question-form"' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow, noarchive"
    assert not InvoiceQuestion.objects.exists()


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_dead_link_cannot_ask_write_or_rate(monday, client, org, invoice, link, how):
    question = ask(link)
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    if how == "revoked":
        link_revoke(actor=org.user("clerk"), link=link.link)
    else:
        monday.move_to(link.link.expires_at)
    assert client.post(ask_url(link), {"line": "1", "category": "other", "body": "Again?"}).status_code == 410
    assert client.post(rate_url(link, question), {"rating": "5"}).status_code == 410
    assert client.post(message_url(link, question), {"body": "Hello"}).status_code == 410
    question.refresh_from_db()
    assert (question.rating, InvoiceQuestion.objects.count()) == (None, 1)


def test_an_unknown_token_is_404(client, invoice, link):
    token = "x" * 43
    url = reverse("customer:invoice-question-ask", kwargs={"token": token})
    assert client.post(url, {"line": "1", "category": "other", "body": "Hi"}).status_code == 404
    assert not InvoiceQuestion.objects.exists()


@override_settings(BILLING_LINK_LIMIT_PER_TOKEN=3)
def test_asking_is_rate_limited_like_the_page(client, invoice, link):
    for _ in range(3):
        client.post(ask_url(link), {"line": "1", "category": "other", "body": "Hi"})
    response = client.post(ask_url(link), {"line": "1", "category": "other", "body": "Hi"})
    assert response.status_code == 429
    assert InvoiceQuestion.objects.count() == 3


def test_answers_show_on_the_page_but_internal_notes_never_do(client, org, invoice, link):
    question = ask(link)
    question_note(actor=org.user("clerk"), question=question, body="SECRET: customer is often late paying.")
    question_reply(
        actor=org.user("clerk"), question=question, body="There were two visits, on 2 and 9 March."
    )
    html = page(client.get(link.path))
    assert "There were two visits, on 2 and 9 March." in html
    assert "SECRET" not in html
    assert "often late" not in html
    # The staff member signs with their first name.
    assert "Clerk, Tandhälsan Norden AB" in html


def test_the_customer_writes_again(client, org, invoice, link):
    question = ask(link)
    question_reply(actor=org.user("clerk"), question=question, body="Two visits.")
    response = client.post(message_url(link, question), {"body": "Which dates were they?"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == "open"
    assert "Which dates were they?" in page(client.get(link.path))


def test_the_customer_rates_a_resolved_question_once(client, org, invoice, link):
    question = ask(link)
    html = page(client.get(link.path))
    assert 'data-testid="rating-form"' not in html
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits: 2 and 9 March.")
    html = page(client.get(link.path))
    assert 'data-testid="rating-form"' in html
    assert rate_url(link, question) in html
    response = client.post(rate_url(link, question), {"rating": "4", "comment": "Clear answer."})
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.rating, question.rating_comment, question.status) == (4, "Clear answer.", "closed")
    html = page(client.get(response["Location"]))
    assert 'data-testid="rating-form"' not in html
    assert 'data-testid="question-rating"' in html
    again = client.post(rate_url(link, question), {"rating": "1", "comment": "Changed my mind."})
    assert again.status_code == 400
    question.refresh_from_db()
    assert question.rating == 4


def test_a_rating_outside_1_to_5_is_refused(client, org, invoice, link):
    question = ask(link)
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    assert client.post(rate_url(link, question), {"rating": "9"}).status_code == 400
    question.refresh_from_db()
    assert question.rating is None


def test_the_credit_note_of_a_resolution_is_named_on_the_page(client, org, invoice, link):
    question = ask(link, category="quantity")
    question_resolve(
        actor=org.user("clerk"),
        question=question,
        explanation="We credit one.",
        credit=True,
        credit_quantity=1,
    )
    question.refresh_from_db()
    html = page(client.get(link.path))
    assert question.credit_note.reference in html


def test_the_page_with_questions_takes_a_fixed_number_of_queries(
    monday, client, org, invoice, link, django_assert_max_num_queries
):
    question = ask(link)
    question_reply(actor=org.user("clerk"), question=question, body="Answer.")
    with django_assert_max_num_queries(10):
        assert client.get(link.path).status_code == 200
    for n in range(4):
        monday.move_to(sthlm(16, 11 + n))
        other = ask(link, line_no=2, body=f"More {n}")
        question_reply(actor=org.user("clerk"), question=other, body=f"Answer {n}")
    with django_assert_max_num_queries(10):
        response = client.get(link.path)
    assert page(response).count('data-testid="customer-question"') == 5
