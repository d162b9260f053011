"""The meeting brief reads billing through its selectors: recent invoices, open invoice
questions and their ratings, in the reader's scope."""

from __future__ import annotations

import pytest

from frontoffice.activities.services.meetings import meeting_schedule
from frontoffice.billing.models import InvoiceQuestion
from frontoffice.billing.tests.conftest import billing  # noqa: F401 - the billing fixture
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - customer, invoice, link, ...
from frontoffice.billing.tests.questions_factories import ask, sthlm
from frontoffice.finance.tests.conftest import ledger  # noqa: F401 - the ledger fixture

pytestmark = pytest.mark.django_db


def test_the_brief_lists_the_customers_invoices_open_questions_and_ratings(
    client_for, org, customer, invoice, link
):
    question = ask(link)
    # Set-up only: a rating as if the customer had rated an earlier answer.
    InvoiceQuestion.objects.filter(pk=question.pk).update(
        rating=3, rating_comment="Slow", rated_at=sthlm(16, 11)
    )
    meeting = meeting_schedule(
        actor=org.user("rep_north"),
        party=customer.party,
        title="Account review",
        starts_at=sthlm(20, 10),
        ends_at=sthlm(20, 11),
        send_invitation=False,
    )
    response = client_for("rep_north").get(f"/activities/meetings/{meeting.pk}/brief/")
    assert response.status_code == 200
    brief = response.context["brief"]
    assert [i.pk for i in brief.invoices] == [invoice.pk]
    assert [q.pk for q in brief.questions] == [question.pk]
    assert [(r.source, r.rating, r.comment) for r in brief.ratings] == [("invoice_question", 3, "Slow")]
    body = response.content.decode()
    assert "F2026-00001" in body or str(invoice) in body
