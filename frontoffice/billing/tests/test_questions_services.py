"""Questions about invoice lines (``billing.services.questions``): asked by the customer on
the invoice page or logged by staff, assigned, answered within working-hour deadlines,
resolved by explanation or credit note, rated once."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from frontoffice.billing.models import Invoice, InvoiceQuestion, QuestionMessage, QuestionSettings
from frontoffice.billing.selectors.questions import customer_questions
from frontoffice.billing.services.links import LinkGone, link_create, link_revoke
from frontoffice.billing.services.questions import (
    question_ask_by_customer,
    question_assign,
    question_close,
    question_customer_message,
    question_log,
    question_note,
    question_rate,
    question_reopen,
    question_reply,
    question_resolve,
    question_settings_update,
)
from frontoffice.billing.tests.questions_factories import *  # noqa: F403 - the fixtures
from frontoffice.billing.tests.questions_factories import ask, line_of, sthlm
from frontoffice.core.models import AuditEntry
from frontoffice.org.models import Role, Staff, User
from frontoffice.parties.models import Interaction

pytestmark = pytest.mark.django_db
D = Decimal


def add_clerk(org, username: str, *, legal_entity=None, active: bool = True) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", first_name=username.title()
    )
    Staff.objects.create(
        user=user,
        legal_entity=legal_entity or org.company,
        role=Role.objects.get(code="accounts_clerk"),
        active=active,
    )
    return user


def actions(question: InvoiceQuestion) -> list[str]:
    return list(AuditEntry.objects.for_object(question).order_by("at", "id").values_list("action", flat=True))


# ---------------------------------------------------------------- asking


def test_a_customer_asks_about_a_line_through_the_link(org, invoice, link):
    question = ask(link, line_no=2, category="quantity", body="  We ordered two books, not three.  ")
    question.refresh_from_db()
    assert (question.invoice, question.line, question.party, question.legal_entity) == (
        invoice,
        line_of(invoice, 2),
        invoice.party,
        org.company,
    )
    assert (question.category, question.channel, question.status) == ("quantity", "customer_page", "open")
    assert question.asked_at == sthlm(16, 10)
    assert question.created_by is None
    # The buyer's e-mail on the invoice answers, unless the customer gives another.
    assert question.reply_email == "faktura@norrsken.example"
    (message,) = question.messages.all()
    assert (message.sender, message.author, message.body, message.internal) == (
        "customer",
        None,
        "We ordered two books, not three.",
        False,
    )
    assert actions(question) == ["billing.invoice_question.asked"]


def test_the_question_is_an_invoice_question_interaction_about_the_invoice(org, invoice, link):
    question = ask(link)
    interaction = question.interaction
    assert (interaction.kind, interaction.channel, interaction.direction) == (
        Interaction.Kind.INVOICE_QUESTION,
        Interaction.Channel.WEB,
        Interaction.Direction.INBOUND,
    )
    assert interaction.party == invoice.party
    assert (interaction.concerns_type, interaction.concerns_id) == (
        ContentType.objects.get_for_model(Invoice),
        str(invoice.pk),
    )
    assert interaction.subject == f"Question about line 1 of invoice {invoice.reference}"
    # Recorded for the staff member who will answer it.
    assert interaction.staff.user == org.user("clerk")


def test_deadlines_are_working_hours_from_the_question(invoice, link):
    # Monday 10:00 + 8 working hours = Tuesday 09:00; + 40 working hours = Friday 14:00.
    question = ask(link)
    assert question.first_response_due_at == sthlm(17, 9)
    assert question.resolution_due_at == sthlm(20, 14)


def test_a_question_asked_on_friday_evening_is_due_in_the_next_week(monday, invoice, link):
    monday.move_to(sthlm(20, 18, 30))
    question = ask(link)
    assert question.first_response_due_at == sthlm(23, 16)  # Monday 08:00 + 8 h
    assert question.resolution_due_at == sthlm(27, 12)  # 4 days of 9 h, then 4 h on Friday


def test_deadline_targets_are_set_per_legal_entity(org, invoice, link):
    settings_row = question_settings_update(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        first_response_hours=2,
        resolution_hours=9,
    )
    assert (settings_row.first_response_hours, settings_row.resolution_hours) == (2, 9)
    question = ask(link)
    assert (question.first_response_due_at, question.resolution_due_at) == (sthlm(16, 12), sthlm(17, 10))


def test_deadline_targets_need_the_billing_manager_and_a_sane_order(org, billing):
    with pytest.raises(PermissionDenied):
        question_settings_update(
            actor=org.user("clerk"), legal_entity=org.company, first_response_hours=4, resolution_hours=20
        )
    with pytest.raises(ValidationError) as exc:
        question_settings_update(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            first_response_hours=10,
            resolution_hours=5,
        )
    assert "resolution_hours" in exc.value.message_dict
    assert not QuestionSettings.objects.exists()


def test_an_empty_or_overlong_question_is_refused(invoice, link):
    for body, code in [("   ", "required"), ("x" * 4001, "too_long")]:
        with pytest.raises(ValidationError) as exc:
            ask(link, body=body)
        assert exc.value.error_dict["body"][0].code == code
    with pytest.raises(ValidationError) as exc:
        ask(link, category="shipping")
    assert "category" in exc.value.error_dict
    assert not InvoiceQuestion.objects.exists()
    assert not Interaction.objects.exists()


# ---------------------------------------------------------------- link security


def test_a_revoked_link_cannot_ask(org, invoice, link):
    link_revoke(actor=org.user("clerk"), link=link.link)
    with pytest.raises(LinkGone):
        ask(link)
    assert not InvoiceQuestion.objects.exists()


def test_an_expired_link_cannot_ask(monday, invoice, link):
    monday.move_to(link.link.expires_at + datetime.timedelta(seconds=1))
    with pytest.raises(LinkGone):
        ask(link)
    assert not InvoiceQuestion.objects.exists()


def test_a_line_of_another_invoice_is_refused(invoice, link, south_invoice):
    with pytest.raises(ValidationError) as exc:
        question_ask_by_customer(
            link=link.link, line=line_of(south_invoice), category="other", body="What is this?"
        )
    assert exc.value.code == "unknown_line"
    assert not InvoiceQuestion.objects.exists()


@override_settings(BILLING_QUESTION_LIMIT_PER_DAY=3)
def test_questions_through_a_link_are_rate_limited_per_day(monday, invoice, link):
    for _ in range(3):
        ask(link)
    with pytest.raises(ValidationError) as exc:
        ask(link)
    assert exc.value.code == "too_many_questions"
    assert InvoiceQuestion.objects.count() == 3
    monday.move_to(sthlm(17, 10, 1))
    ask(link)
    assert InvoiceQuestion.objects.count() == 4


# ---------------------------------------------------------------- assignment


def test_pricing_questions_go_to_the_customers_sales_rep(org, invoice, link):
    question = ask(link, category="pricing")
    assert question.assigned_to == org.user("rep_north")
    assert question.assigned_at == sthlm(16, 10)


def test_other_questions_go_to_an_accounts_clerk(org, invoice, link):
    for category in ["quantity", "vat", "other"]:
        assert ask(link, category=category).assigned_to == org.user("clerk")


def test_pricing_questions_of_a_customer_without_a_rep_go_to_a_clerk(org, invoice, link):
    invoice.party.owner = None
    invoice.party.save(update_fields=["owner"])
    assert ask(link, category="pricing").assigned_to == org.user("clerk")


def test_pricing_questions_skip_a_rep_who_has_left(org, invoice, link):
    Staff.objects.filter(user=org.user("rep_north")).update(active=False)
    assert ask(link, category="pricing").assigned_to == org.user("clerk")


def test_clerks_with_the_fewest_open_questions_get_the_next_one(org, invoice, link):
    second = add_clerk(org, "clerk_two")
    add_clerk(org, "clerk_gone", active=False)
    add_clerk(org, "other_company_clerk", legal_entity=org.other_company)
    first_two = [ask(link).assigned_to for _ in range(2)]
    # Equal load: the one who waited longest (never assigned) goes first, then the other.
    assert first_two == [org.user("clerk"), second]
    question_resolve(
        actor=org.user("clerk"),
        question=InvoiceQuestion.objects.get(assigned_to=org.user("clerk")),
        explanation="Two check-ups were made.",
    )
    # The clerk now has none open, clerk_two one.
    assert ask(link).assigned_to == org.user("clerk")
    assert ask(link).assigned_to == second


def test_without_any_clerk_the_question_waits_unassigned(org, invoice, link):
    Staff.objects.filter(user=org.user("clerk")).update(active=False)
    question = ask(link)
    assert question.assigned_to is None
    assert question.interaction.staff is None


def test_a_clerk_reassigns_to_someone_who_can_see_the_invoice(org, invoice, link):
    question = ask(link)
    clerk = org.user("clerk")
    question = question_assign(actor=clerk, question=question, assignee=org.user("finance_manager"))
    assert question.assigned_to == org.user("finance_manager")
    question = question_assign(actor=clerk, question=question, assignee=org.user("rep_north"))
    assert question.assigned_to == org.user("rep_north")
    for assignee in ["rep_south", "other_clerk", "receptionist", "nobody"]:
        with pytest.raises(ValidationError) as exc:
            question_assign(actor=clerk, question=question, assignee=org.user(assignee))
        assert exc.value.error_dict["assignee"][0].code == "cannot_see_invoice"
    question.refresh_from_db()
    assert question.assigned_to == org.user("rep_north")
    assert actions(question).count("billing.invoice_question.assigned") == 2


def test_reassigning_moves_the_interaction_to_the_new_handler(org, invoice, link):
    """Measures count a question for whoever handles it: its interaction follows the assignee."""
    from frontoffice.core.models import AuditEntry
    from frontoffice.org.models import Staff

    question = ask(link)
    question = question_assign(actor=org.user("clerk"), question=question, assignee=org.user("rep_north"))
    interaction = question.interaction
    interaction.refresh_from_db()
    rep_staff = Staff.objects.get(user=org.user("rep_north"))
    assert (interaction.staff_id, interaction.owner_id) == (rep_staff.pk, org.user("rep_north").pk)
    assert interaction.region_id == rep_staff.home_region_id
    assert AuditEntry.objects.filter(
        action="parties.interaction.reassigned", object_id=str(interaction.pk)
    ).exists()


def test_assigning_needs_change_invoice_and_scope(org, invoice, link):
    question = ask(link)
    for persona in ["rep_north", "auditor"]:
        with pytest.raises(PermissionDenied):
            question_assign(actor=org.user(persona), question=question, assignee=org.user("finance_manager"))
    with pytest.raises(PermissionDenied):
        question_assign(actor=org.user("other_clerk"), question=question, assignee=org.user("other_clerk"))


def test_the_assignee_is_told_by_email(org, invoice, link, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        question = ask(link)
    (message,) = mail.outbox
    assert message.to == ["clerk@example.com"]
    assert invoice.reference in message.subject
    assert f"/billing/questions/{question.pk}/" in message.body


# ---------------------------------------------------------------- logging by staff


def test_a_clerk_logs_a_question_taken_by_phone(org, invoice):
    clerk = org.user("clerk")
    question = question_log(
        actor=clerk,
        line=line_of(invoice, 1),
        category="pricing",
        channel="phone",
        body="Anna Berg called: the check-up price is higher than agreed.",
        customer_name="Anna Berg",
    )
    assert (question.channel, question.status, question.created_by, question.customer_name) == (
        "phone",
        "open",
        clerk,
        "Anna Berg",
    )
    assert question.assigned_to == org.user("rep_north")
    assert question.interaction.channel == Interaction.Channel.PHONE
    assert question.interaction.created_by == clerk
    (message,) = question.messages.all()
    assert (message.sender, message.author) == ("customer", clerk)
    assert actions(question) == ["billing.invoice_question.logged"]


def test_logging_needs_change_invoice_in_scope(org, invoice, south_invoice):
    for persona, line in [
        ("rep_north", line_of(invoice)),
        ("auditor", line_of(invoice)),
        ("other_clerk", line_of(invoice)),
    ]:
        with pytest.raises(PermissionDenied):
            question_log(actor=org.user(persona), line=line, category="other", channel="phone", body="?")
    assert not InvoiceQuestion.objects.exists()


def test_a_draft_cannot_be_questioned(org, customer, products, monday, without_pricing_app):
    from frontoffice.billing.tests.invoicing_factories import make_draft

    draft = make_draft(org.user("clerk"), customer, (products["checkup"], "1"))
    with pytest.raises(ValidationError) as exc:
        question_log(
            actor=org.user("clerk"), line=line_of(draft), category="other", channel="phone", body="Hello?"
        )
    assert exc.value.code == "not_issued"


# ---------------------------------------------------------------- replies and notes


def test_the_first_reply_sets_the_first_response_and_emails_the_customer(
    monday, client, org, invoice, link, django_capture_on_commit_callbacks
):
    question = ask(link, reply_email="anna@norrsken.example")
    monday.move_to(sthlm(16, 15, 30))
    with django_capture_on_commit_callbacks(execute=True):
        question = question_reply(
            actor=org.user("clerk"), question=question, body="Two check-ups: one on 2 March, one on 9 March."
        )
    question.refresh_from_db()
    assert (question.status, question.first_response_at, question.first_response_minutes) == (
        "answered",
        sthlm(16, 15, 30),
        330,
    )
    (email,) = [m for m in mail.outbox if m.to == ["anna@norrsken.example"]]
    assert invoice.reference in email.subject
    assert "Two check-ups: one on 2 March, one on 9 March." in email.body
    (url,) = re.findall(r"https?://\S+/c/\S+/", email.body)
    # The link in the e-mail opens the customer's invoice page, which shows the answer.
    response = client.get("/" + url.split("/", 3)[3])
    assert response.status_code == 200
    assert "Two check-ups: one on 2 March, one on 9 March." in response.content.decode()

    monday.move_to(sthlm(17, 9))
    question_reply(actor=org.user("clerk"), question=question, body="And the second one was at 10:00.")
    question.refresh_from_db()
    assert question.first_response_at == sthlm(16, 15, 30)
    assert actions(question) == [
        "billing.invoice_question.asked",
        "billing.invoice_question.replied",
        "billing.invoice_question.replied",
    ]


def test_internal_notes_never_reach_the_customer(org, invoice, link, django_capture_on_commit_callbacks):
    question = ask(link)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question_note(actor=org.user("clerk"), question=question, body="Checked the journal: one visit only.")
    assert mail.outbox == []
    question.refresh_from_db()
    assert (question.status, question.first_response_at) == ("open", None)
    assert question.messages.filter(internal=True).count() == 1
    (shown,) = customer_questions(invoice=invoice)
    assert [m.body for m in shown.public_messages] == ["Why are there two check-ups on this invoice?"]


def test_the_rep_answers_pricing_questions_assigned_to_them_only(org, invoice, link):
    pricing = ask(link, category="pricing")
    other = ask(link, category="other")
    rep = org.user("rep_north")
    question_reply(actor=rep, question=pricing, body="The agreed price is 850 kr.")
    for action in (question_reply, question_note):
        with pytest.raises(PermissionDenied):
            action(actor=rep, question=other, body="I can answer that too.")
    with pytest.raises(PermissionDenied):
        question_reply(actor=org.user("rep_south"), question=pricing, body="Me too.")
    with pytest.raises(PermissionDenied):
        question_reply(actor=org.user("other_clerk"), question=pricing, body="Me too.")
    with pytest.raises(PermissionDenied):
        question_reply(actor=org.user("auditor"), question=pricing, body="Me too.")
    assert QuestionMessage.objects.filter(sender="staff").count() == 1


def test_the_customer_follows_up_and_the_question_waits_for_us_again(org, invoice, link):
    question = ask(link)
    question_reply(actor=org.user("clerk"), question=question, body="It was two visits.")
    question = question_customer_message(link=link.link, question=question, body="Which dates?")
    assert question.status == "open"
    assert [m.sender for m in question.messages.all()] == ["customer", "staff", "customer"]


def test_the_customer_cannot_write_on_another_invoices_question(org, invoice, link, south_link):
    south_question = ask(south_link)
    with pytest.raises(ValidationError) as exc:
        question_customer_message(link=link.link, question=south_question, body="Hi")
    assert exc.value.code == "unknown_question"
    with pytest.raises(ValidationError) as exc:
        question_rate(link=link.link, question=south_question, rating=1)
    assert exc.value.code == "unknown_question"


# ---------------------------------------------------------------- resolution and rating


def test_resolving_by_explanation_notifies_the_customer_and_asks_for_a_rating(
    monday, org, invoice, link, django_capture_on_commit_callbacks
):
    question = ask(link)
    monday.move_to(sthlm(17, 11))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question = question_resolve(
            actor=org.user("clerk"), question=question, explanation="Two visits: 2 and 9 March."
        )
    question.refresh_from_db()
    assert (question.status, question.resolution, question.credit_note) == ("resolved", "explanation", None)
    assert (question.resolved_at, question.resolved_by) == (sthlm(17, 11), org.user("clerk"))
    # Monday 10:00 to Tuesday 11:00: 7 + 3 working hours. The explanation is also the first response.
    assert (question.resolution_minutes, question.first_response_minutes) == (600, 600)
    (email,) = mail.outbox
    assert email.to == ["faktura@norrsken.example"]
    assert "Two visits: 2 and 9 March." in email.body
    assert "från 1 till 5" in email.body  # in the invoice's language (Swedish), asking for a rating
    assert question.messages.last().body == "Two visits: 2 and 9 March."
    assert question.interaction  # unchanged: one interaction per question


def test_resolving_by_credit_note_brings_the_lines_amount_back(org, invoice, link):
    question = ask(link, category="quantity", body="We had one check-up, not two.")
    open_before = invoice.open_amount
    question = question_resolve(
        actor=org.user("clerk"),
        question=question,
        explanation="You are right: we credit one check-up.",
        credit=True,
        credit_quantity=D("1"),
    )
    note = question.credit_note
    assert question.resolution == "credit_note"
    assert (note.kind, note.status, note.credits) == ("credit_note", "issued", invoice)
    (credited,) = note.lines.all()
    assert (credited.credits_line, credited.quantity, credited.net_amount) == (
        question.line,
        D("1.000"),
        D("850.00"),
    )
    assert (note.net_amount, note.vat_amount, note.total_amount) == (D("850.00"), D("212.50"), D("1062.50"))
    invoice.refresh_from_db()
    assert invoice.open_amount == open_before - D("1062.50")
    assert note.voucher is not None


def test_a_corrected_price_below_list_needs_the_resolvers_discount_authority(org, invoice, link):
    """800 instead of 850 is 5.89 % off the list price: above a clerk's authority (0 %)."""
    question = ask(link, category="pricing", body="The agreed price was 800 kr a check-up.")
    with pytest.raises(ValidationError) as error:
        question_resolve(
            actor=org.user("clerk"),
            question=question,
            explanation="Credited and invoiced again at 800 kr.",
            credit=True,
            corrected_unit_price=D("800.00"),
        )
    assert error.value.code == "discount_not_approved"
    assert "5.89 %" in error.value.messages[0]
    question.refresh_from_db()
    assert (question.status, question.credit_note_id) == ("open", None)
    assert not Invoice.objects.filter(kind="credit_note").exists()
    assert Invoice.objects.count() == 1


def test_a_full_line_credit_and_a_corrected_invoice(org, invoice, link):
    question = ask(link, category="pricing", body="The agreed price was 800 kr a check-up.")
    # The finance manager's discount authority covers the corrected price.
    question = question_resolve(
        actor=org.user("finance_manager"),
        question=question,
        explanation="Credited and invoiced again at 800 kr.",
        credit=True,
        corrected_unit_price=D("800.00"),
    )
    (credited,) = question.credit_note.lines.all()
    assert (credited.quantity, credited.net_amount) == (D("2.000"), D("1700.00"))
    corrected = question.corrected_invoice
    assert (corrected.kind, corrected.status, corrected.party) == ("invoice", "issued", invoice.party)
    (line,) = corrected.lines.all()
    assert (line.description, line.quantity, line.unit_price_amount, line.net_amount) == (
        "Undersökning",
        D("2.000"),
        D("800.00"),
        D("1600.00"),
    )
    assert invoice.reference in corrected.notes


def test_a_credit_needs_the_right_to_issue_and_writes_nothing_otherwise(org, invoice, link):
    question = ask(link, category="pricing")
    with pytest.raises(PermissionDenied):
        question_resolve(actor=org.user("rep_north"), question=question, explanation="Credited.", credit=True)
    question.refresh_from_db()
    assert (question.status, question.resolved_at) == ("open", None)
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_a_resolution_needs_an_explanation(org, invoice, link):
    question = ask(link)
    with pytest.raises(ValidationError) as exc:
        question_resolve(actor=org.user("clerk"), question=question, explanation="  ")
    assert "explanation" in exc.value.error_dict


def test_the_customer_rates_once(org, invoice, link):
    question = ask(link)
    with pytest.raises(ValidationError) as exc:
        question_rate(link=link.link, question=question, rating=5)
    assert exc.value.code == "not_resolved"
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    question = question_rate(link=link.link, question=question, rating=4, comment="  Quick and clear.  ")
    question.refresh_from_db()
    assert (question.rating, question.rating_comment, question.status) == (4, "Quick and clear.", "closed")
    assert question.rated_at is not None
    with pytest.raises(ValidationError) as exc:
        question_rate(link=link.link, question=question, rating=1, comment="Changed my mind")
    assert exc.value.code == "already_rated"
    question.refresh_from_db()
    assert question.rating == 4
    assert actions(question)[-1] == "billing.invoice_question.rated"


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_a_rating_is_1_to_5(org, invoice, link, rating):
    question = ask(link)
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    with pytest.raises(ValidationError) as exc:
        question_rate(link=link.link, question=question, rating=rating)
    assert "rating" in exc.value.error_dict


def test_an_expired_or_revoked_link_cannot_rate(monday, org, invoice, link):
    question = ask(link)
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    link_revoke(actor=org.user("clerk"), link=link.link)
    with pytest.raises(LinkGone):
        question_rate(link=link.link, question=question, rating=5)
    fresh = link_create(actor=org.user("clerk"), invoice=invoice, days=1)
    monday.move_to(fresh.link.expires_at + datetime.timedelta(minutes=1))
    with pytest.raises(LinkGone):
        question_rate(link=fresh.link, question=question, rating=5)
    question.refresh_from_db()
    assert question.rating is None


def test_reopening_starts_a_new_resolution_deadline(monday, org, invoice, link):
    question = ask(link)
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    monday.move_to(sthlm(18, 9))
    question = question_reopen(actor=org.user("clerk"), question=question, reason="The customer called back.")
    question.refresh_from_db()
    assert (question.status, question.resolved_at, question.resolution) == ("reopened", None, "")
    assert question.resolution_due_at == sthlm(24, 13)  # Wednesday 09:00 + 40 working hours
    assert question.messages.last().internal is True
    question_reply(actor=org.user("clerk"), question=question, body="We are looking at it again.")
    question.refresh_from_db()
    assert question.status == "answered"


def test_only_resolved_questions_close_and_open_ones_cannot_be_reopened(org, invoice, link):
    question = ask(link)
    with pytest.raises(ValidationError) as exc:
        question_close(actor=org.user("clerk"), question=question)
    assert exc.value.code == "not_resolved"
    with pytest.raises(ValidationError) as exc:
        question_reopen(actor=org.user("clerk"), question=question, reason="")
    assert exc.value.code == "not_resolved"
    question_resolve(actor=org.user("clerk"), question=question, explanation="Two visits.")
    question = question_close(actor=org.user("clerk"), question=question)
    assert question.status == "closed"
    with pytest.raises(ValidationError) as exc:
        question_reply(actor=org.user("clerk"), question=question, body="More")
    assert exc.value.code == "not_active"
