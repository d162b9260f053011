"""Invoice questions in a customer's GDPR export and erasure: the asker's name, e-mail, their
own messages and rating comment go; the questions (tied to invoices kept seven years under the
Accounting Act), their times, resolutions and staff replies stay."""

from __future__ import annotations

import pytest

from frontoffice.billing.models import InvoiceQuestion, QuestionMessage
from frontoffice.billing.services.questions import question_note, question_reply
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.questions_factories import ask
from frontoffice.parties.services import party_erase, party_erasure_plan, party_export_personal_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(link, org):
    question = ask(link, customer_name="Anna Andersson", reply_email="anna@norrsken.example", body="Why two?")
    question_reply(actor=org.user("clerk"), question=question, body="One per patient, Anna.")
    question_note(actor=org.user("clerk"), question=question, body="Checked the journal.")
    return question


def test_the_export_holds_the_questions_and_their_conversation(org, question):
    data = party_export_personal_data(actor=org.user("admin"), party=question.party)
    (exported,) = data["invoice_questions"]
    assert exported["asked_by"] == "Anna Andersson"
    assert exported["reply_email"] == "anna@norrsken.example"
    assert exported["invoice"] == question.invoice.reference and exported["line"] == 1
    assert [(m["from"], m["body"]) for m in exported["messages"]] == [
        ("customer", "Why two?"),
        ("staff", "One per patient, Anna."),
        ("staff", "Checked the journal."),
    ]


def test_the_erasure_plan_names_the_questions_and_the_legal_reason(question):
    plan = {item["key"]: item for item in party_erasure_plan(party=question.party)}
    assert plan["invoice_questions"]["count"] == 1
    assert "Bokföringslagen" in str(plan["invoice_questions"]["kept_reason"])


def test_erasure_anonymises_the_asker_and_their_words_and_keeps_the_records(org, question):
    party_erase(actor=org.user("admin"), party=question.party)
    question.refresh_from_db()
    assert question.customer_name == "—" and question.reply_email == ""
    assert question.invoice_id is not None and question.asked_at is not None
    bodies = dict(
        QuestionMessage.objects.filter(question=question).values_list("sender", "body").order_by("pk")[:1]
    )
    assert bodies == {"customer": "—"}
    staff = list(
        QuestionMessage.objects.filter(question=question, sender="staff")
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert staff == ["One per patient, Anna.", "Checked the journal."]
    assert InvoiceQuestion.objects.count() == 1
