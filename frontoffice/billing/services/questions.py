"""Questions about invoice lines: asked on the customer's invoice page or logged by staff,
assigned, answered within deadlines, resolved by explanation or credit note, rated.

Invariants protected here:

- a question is about one line of one issued invoice (not a draft, not a credit note) and is
  one ``parties.Interaction`` of kind ``invoice_question`` that concerns that invoice;
- a customer reaches questions only through a live customer link (not expired, not revoked,
  re-checked in the writing transaction) and only the questions of that link's invoice: a
  line or question of another invoice is refused (``unknown_line`` / ``unknown_question``),
  whatever its id; customer writes are limited per invoice and day
  (``BILLING_QUESTION_LIMIT_PER_DAY``, default 10) on top of the links' request limits;
- deadlines are working hours (``billing.question_hours``: Monday to Friday 08:00-17:00
  Stockholm time) from the moment of asking, with the legal entity's targets
  (``QuestionSettings``, default 8 and 40 hours); a reopened question gets a new resolution
  deadline from the reopening;
- pricing questions go to the customer's sales rep (``Party.owner``) when the rep is an active
  staff member who can see the invoice; other questions, and pricing questions without such a
  rep, go to the active accounts clerk of the legal entity with the fewest open questions (on
  a tie, the one whose last assignment is oldest, so equal clerks take turns). Without any
  clerk the question waits unassigned in the queue. Under concurrent asking two questions may
  pick the same clerk: the balance is a rule of thumb, not an invariant;
- status: open -> answered (a staff reply) -> resolved -> closed (rated, or closed by staff);
  a customer's follow-up puts an answered question back to open; a resolved or closed
  question can be reopened. Replies, follow-ups and resolutions only on active questions;
- ``first_response_at`` is set once, by the first message to the customer (a reply or the
  resolution's explanation); response and resolution times are stored in working minutes;
- internal notes are staff messages with ``internal=True``; nothing sends or shows them to
  the customer;
- a resolution by credit note credits the question's line (all of what is left, or a
  quantity) through ``billing.services.crediting.credit_note_create`` in the same
  transaction, and optionally issues a corrected invoice for that line; either all of it is
  written or nothing;
- the customer rates a resolved question once (1-5 and a comment), enforced by a conditional
  UPDATE, so two concurrent ratings cannot both count;
- permissions: viewing follows ``billing.view_invoice`` and the invoice's customer scope;
  logging and assigning need ``billing.change_invoice``; replying, notes, resolving, reopening
  and closing need ``billing.change_invoice``, or ``billing.view_invoice`` for the person the
  question is assigned to (the sales rep answering a pricing question); credit notes and
  corrected invoices need ``billing.issue_invoice``; the deadline targets
  ``billing.manage_billing``;
- every change writes an audit entry (``billing.invoice_question.*``); e-mails (to the
  assignee, and to the customer with a fresh private link to the invoice page) are queued
  on commit.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.billing.models import (
    BillingSettings,
    CustomerLink,
    Invoice,
    InvoiceLine,
    InvoiceQuestion,
    QuestionMessage,
    QuestionSettings,
)
from frontoffice.billing.question_hours import add_working_hours, working_minutes_between
from frontoffice.billing.services.links import LinkGone, link_create, link_path
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.core.tasks import email_enqueue
from frontoffice.org.models import Staff
from frontoffice.parties.models import Interaction
from frontoffice.parties.services import interaction_reassign, interaction_record

VIEW_PERM = "billing.view_invoice"
CHANGE_PERM = "billing.change_invoice"
ISSUE_PERM = "billing.issue_invoice"
MANAGE_PERM = "billing.manage_billing"
CLERK_ROLE = "accounts_clerk"
BODY_MAX = 4000
COMMENT_MAX = 2000

Category = InvoiceQuestion.Category
Channel = InvoiceQuestion.Channel
Status = InvoiceQuestion.Status

INTERACTION_CHANNEL = {
    Channel.CUSTOMER_PAGE: Interaction.Channel.WEB,
    Channel.PHONE: Interaction.Channel.PHONE,
    Channel.EMAIL: Interaction.Channel.EMAIL,
    Channel.IN_PERSON: Interaction.Channel.IN_PERSON,
}


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _text(value: Any, field: str, *, max_length: int = BODY_MAX, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: ValidationError(_("Write a few words."), code="required")})
    if len(text) > max_length:
        raise ValidationError(
            {field: ValidationError(_("At most %(max)s characters.") % {"max": max_length}, code="too_long")}
        )
    return text


def _choice(value: Any, field: str, choices: Any) -> str:
    if value not in choices.values:
        raise ValidationError(
            {field: ValidationError(_("Choose one of the options."), code="invalid_choice")}
        )
    return str(value)


# ---------------------------------------------------------------- settings


def question_settings_for(legal_entity: Any) -> QuestionSettings:
    """The legal entity's deadline targets (the defaults, unsaved, when none are set)."""
    found = QuestionSettings.objects.filter(legal_entity_id=_pk(legal_entity)).first()
    return found or QuestionSettings(legal_entity_id=_pk(legal_entity))


@transaction.atomic
def question_settings_update(
    *, actor: Any, legal_entity: Any, first_response_hours: int, resolution_hours: int
) -> QuestionSettings:
    """Set the first-response and resolution targets (working hours) of ``legal_entity``.
    Needs ``billing.manage_billing`` in it; the resolution target is at least the first one."""
    require_perm(actor, MANAGE_PERM)
    require_legal_entity(actor, _pk(legal_entity))
    row = question_settings_for(legal_entity)
    before = (row.first_response_hours, row.resolution_hours)
    row.first_response_hours = first_response_hours
    row.resolution_hours = resolution_hours
    row.full_clean(exclude=["legal_entity"], validate_constraints=False)
    if row.resolution_hours < row.first_response_hours:
        raise ValidationError(
            {
                "resolution_hours": ValidationError(
                    _("The resolution target cannot be shorter than the first-response target."),
                    code="shorter_than_first_response",
                )
            }
        )
    row.save()
    audit_record(
        actor=actor,
        action="billing.question_settings.updated",
        obj=row,
        changes={
            "first_response_hours": [before[0], row.first_response_hours],
            "resolution_hours": [before[1], row.resolution_hours],
        },
    )
    return row


# ---------------------------------------------------------------- who answers


def _active_staff(user: Any, legal_entity_id: int) -> Staff | None:
    if user is None or not getattr(user, "is_active", False):
        return None
    return Staff.objects.filter(user=user, legal_entity_id=legal_entity_id, active=True).first()


def can_take(user: Any, invoice: Invoice) -> bool:
    """Whether ``user`` may be assigned questions about ``invoice``: an active staff member of
    its legal entity holding ``billing.view_invoice`` who can see the invoice."""
    if _active_staff(user, invoice.legal_entity_id) is None or not user.has_perm(VIEW_PERM):
        return False
    return visible_to(Invoice.objects.filter(pk=invoice.pk), user).exists()


def _least_busy_clerk(legal_entity_id: int) -> Any:
    questions = (
        InvoiceQuestion.objects.filter(assigned_to=OuterRef("user_id")).order_by().values("assigned_to")
    )
    staff = (
        Staff.objects.filter(
            legal_entity_id=legal_entity_id, active=True, user__is_active=True, role__code=CLERK_ROLE
        )
        .annotate(
            open_count=Coalesce(
                Subquery(
                    questions.filter(status__in=InvoiceQuestion.ACTIVE).annotate(n=Count("id")).values("n")
                ),
                0,
            ),
            last_assigned=Coalesce(Subquery(questions.annotate(last=Max("id")).values("last")), 0),
        )
        .select_related("user")
        .order_by("open_count", "last_assigned", "user_id")
        .first()
    )
    return staff.user if staff else None


def _assignee_for(invoice: Invoice, category: str) -> Any:
    if category == Category.PRICING and invoice.party.owner_id:
        rep = invoice.party.owner
        if can_take(rep, invoice):
            return rep
    return _least_busy_clerk(invoice.legal_entity_id)


# ---------------------------------------------------------------- checks


def _live(link: CustomerLink) -> CustomerLink:
    """The link as stored now; ``LinkGone`` when it has been revoked or has expired."""
    fresh = CustomerLink.objects.select_related("invoice").get(pk=link.pk)
    if fresh.revoked_at is not None:
        raise LinkGone(fresh, "revoked")
    if fresh.expires_at <= timezone.now():
        raise LinkGone(fresh, "expired")
    return fresh


def _questionable(invoice: Invoice) -> None:
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status == Invoice.Status.DRAFT:
        raise ValidationError(_("Questions can be asked about issued invoices only."), code="not_issued")


def _customer_limit(invoice_id: int) -> None:
    limit = int(getattr(settings, "BILLING_QUESTION_LIMIT_PER_DAY", 10))
    since = timezone.now() - datetime.timedelta(days=1)
    written = QuestionMessage.objects.filter(
        question__invoice_id=invoice_id,
        sender=QuestionMessage.Sender.CUSTOMER,
        author__isnull=True,
        created_at__gt=since,
    ).count()
    if written >= limit:
        raise ValidationError(
            _("You have sent many messages about this invoice today. Please call us, or try again tomorrow."),
            code="too_many_questions",
        )


def _require_visible(actor: Any, question: InvoiceQuestion) -> None:
    require_legal_entity(actor, question.legal_entity_id)
    if not visible_to(InvoiceQuestion.objects.filter(pk=question.pk), actor).exists():
        raise PermissionDenied(_("You can only work on questions of your own customers."))


def can_answer(user: Any, question: InvoiceQuestion) -> bool:
    """Whether ``user`` may reply, write notes, resolve, reopen or close ``question`` (scope
    is checked separately): a clerk or manager, or the person it is assigned to."""
    if user is None or not user.is_authenticated:
        return False
    if user.has_perm(CHANGE_PERM):
        return True
    return user.has_perm(VIEW_PERM) and question.assigned_to_id == user.pk


def _require_answerer(actor: Any, question: InvoiceQuestion) -> None:
    require_perm(actor, VIEW_PERM)
    _require_visible(actor, question)
    if not can_answer(actor, question):
        raise PermissionDenied(_("Only a clerk or the person the question is assigned to can do this."))


def _locked(question: InvoiceQuestion) -> InvoiceQuestion:
    return (
        InvoiceQuestion.objects.select_for_update(of=("self",))
        .select_related("invoice__series", "line", "party", "assigned_to")
        .get(pk=question.pk)
    )


def _require_active(question: InvoiceQuestion) -> None:
    if not question.is_active:
        raise ValidationError(_("This question is resolved or closed; reopen it first."), code="not_active")


# ---------------------------------------------------------------- e-mail


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _customer_page_url(invoice: Invoice, actor: Any) -> str:
    """A new private link to ``invoice`` for an e-mail to its customer. Links store only their
    token's digest, so the link the customer asked through cannot be sent again: every e-mail
    carries a link of its own. The question's own rules decided who may answer (a sales rep
    answering a pricing question may not hold ``billing.change_invoice``), so the link is made
    without ``link_create``'s permission check."""
    made = link_create(actor=actor, invoice=invoice, reason="invoice question e-mail", check_permission=False)
    return _site_url(link_path(made.token))


def _email_customer(question: InvoiceQuestion, *, actor: Any, template: str, text: str) -> None:
    recipient = question.reply_email or question.invoice.buyer_email
    if not recipient:
        return
    invoice = question.invoice
    billing = BillingSettings.objects.filter(legal_entity_id=invoice.legal_entity_id).first()
    context = {
        "question": question,
        "invoice": invoice,
        "line": question.line,
        "text": text,
        "url": _customer_page_url(invoice, actor),
        "seller": invoice.legal_entity.name,
        "signed": (actor.first_name or actor.get_username()) if actor is not None else "",
    }
    with translation.override((invoice.language or "sv").split("-")[0]):
        subject = " ".join(
            render_to_string(f"billing/questions/email/{template}_subject.txt", context).split()
        )
        body = render_to_string(f"billing/questions/email/{template}.txt", context)
    reply_to = [billing.email] if billing and billing.email else None
    email_enqueue(subject=subject, body=body, to=[recipient], reply_to=reply_to)


def _email_assignee(question: InvoiceQuestion, assignee: Any, *, follow_up: bool = False) -> None:
    if not assignee.email:
        return
    context = {
        "follow_up": follow_up,
        "question": question,
        "invoice": question.invoice,
        "line": question.line,
        "url": _site_url(reverse("billing:question-detail", args=[question.pk])),
    }
    with translation.override(getattr(assignee, "language", "") or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("billing/questions/email/assigned_subject.txt", context).split())
        body = render_to_string("billing/questions/email/assigned.txt", context)
    email_enqueue(subject=subject, body=body, to=[assignee.email])


# ---------------------------------------------------------------- asking and logging


def _create(
    *,
    actor: Any,
    invoice: Invoice,
    line: InvoiceLine,
    category: str,
    channel: str,
    body: str,
    customer_name: str,
    reply_email: str,
) -> InvoiceQuestion:
    now = timezone.now()
    targets = question_settings_for(invoice.legal_entity_id)
    assignee = _assignee_for(invoice, category)
    assignee_staff = _active_staff(assignee, invoice.legal_entity_id) if assignee else None
    question = InvoiceQuestion(
        legal_entity_id=invoice.legal_entity_id,
        invoice=invoice,
        line=line,
        party_id=invoice.party_id,
        category=category,
        channel=channel,
        status=Status.OPEN,
        customer_name=" ".join(str(customer_name or "").split()),
        reply_email=str(reply_email or "").strip().lower() or invoice.buyer_email,
        assigned_to=assignee,
        assigned_at=now if assignee else None,
        asked_at=now,
        first_response_due_at=add_working_hours(now, targets.first_response_hours),
        resolution_due_at=add_working_hours(now, targets.resolution_hours),
        created_by=actor,
    )
    question.full_clean(exclude=["interaction", "invoice", "line", "party", "legal_entity"])
    # The interaction's subject is stored text: written in the site's language, whatever
    # language the customer's page is in.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Question about line %(line)s of invoice %(invoice)s") % {
            "line": line.line_no,
            "invoice": invoice.reference,
        }
    question.interaction = interaction_record(
        actor=actor,
        party=invoice.party,
        kind=Interaction.Kind.INVOICE_QUESTION,
        channel=INTERACTION_CHANNEL[channel],
        subject=subject,
        started_at=now,
        direction=Interaction.Direction.INBOUND,
        staff=assignee_staff,
        concerns=invoice,
        check_permission=actor is not None,
    )
    question.save()
    QuestionMessage.objects.create(
        question=question, sender=QuestionMessage.Sender.CUSTOMER, author=actor, body=body
    )
    audit_record(
        actor=actor,
        action="billing.invoice_question.asked" if actor is None else "billing.invoice_question.logged",
        obj=question,
        changes={
            "invoice": [None, invoice.reference],
            "line": [None, line.line_no],
            "category": [None, category],
            "channel": [None, channel],
            "assigned_to": [None, str(assignee) if assignee else None],
        },
    )
    if assignee is not None and assignee != actor:
        _email_assignee(question, assignee)
    return question


def question_ask_by_customer(
    *,
    link: CustomerLink,
    line: InvoiceLine,
    category: str,
    body: str,
    customer_name: str = "",
    reply_email: str = "",
) -> InvoiceQuestion:
    """The customer asks about ``line`` on the invoice page they opened with ``link``.

    The link must still be live (``LinkGone`` otherwise) and ``line`` a line of its invoice
    (``unknown_line``); at most ``BILLING_QUESTION_LIMIT_PER_DAY`` customer messages per
    invoice and day (``too_many_questions``). Errors name ``category``, ``body``,
    ``customer_name`` or ``reply_email``. The answer goes to ``reply_email``, by default the
    invoice's buyer e-mail. No permission: the link is the customer's key.
    """
    category = _choice(category, "category", Category)
    body = _text(body, "body")
    with transaction.atomic():
        live = _live(link)
        invoice = Invoice.objects.select_related("series", "party__owner", "legal_entity").get(
            pk=live.invoice_id
        )
        if line.invoice_id != invoice.pk:
            raise ValidationError(_("This invoice has no such line."), code="unknown_line")
        _questionable(invoice)
        _customer_limit(invoice.pk)
        return _create(
            actor=None,
            invoice=invoice,
            line=line,
            category=category,
            channel=Channel.CUSTOMER_PAGE,
            body=body,
            customer_name=customer_name,
            reply_email=reply_email,
        )


@transaction.atomic
def question_log(
    *,
    actor: Any,
    line: InvoiceLine,
    category: str,
    channel: str,
    body: str,
    customer_name: str = "",
    reply_email: str = "",
) -> InvoiceQuestion:
    """Log a question the customer asked by phone, e-mail or in person about ``line``.

    Needs ``billing.change_invoice`` and the invoice in the actor's scope. Assigned and given
    deadlines like a question asked on the invoice page.
    """
    require_perm(actor, CHANGE_PERM)
    invoice = Invoice.objects.select_related("series", "party__owner", "legal_entity").get(pk=line.invoice_id)
    require_legal_entity(actor, invoice.legal_entity_id)
    if not visible_to(Invoice.objects.filter(pk=invoice.pk), actor).exists():
        raise PermissionDenied(_("You can only work on invoices of your own customers."))
    _questionable(invoice)
    category = _choice(category, "category", Category)
    if channel == Channel.CUSTOMER_PAGE:
        channel = ""  # only customers ask on their page
    channel = _choice(channel, "channel", Channel)
    return _create(
        actor=actor,
        invoice=invoice,
        line=line,
        category=category,
        channel=channel,
        body=_text(body, "body"),
        customer_name=customer_name,
        reply_email=reply_email,
    )


# ---------------------------------------------------------------- assignment


@transaction.atomic
def question_assign(*, actor: Any, question: InvoiceQuestion, assignee: Any) -> InvoiceQuestion:
    """Give ``question`` to ``assignee``, who must be able to see its invoice
    (``cannot_see_invoice``). Needs ``billing.change_invoice``. The assignee is told by e-mail."""
    require_perm(actor, CHANGE_PERM)
    _require_visible(actor, question)
    question = _locked(question)
    _require_active(question)
    if assignee is None or not can_take(assignee, question.invoice):
        raise ValidationError(
            {
                "assignee": ValidationError(
                    _("Choose someone who works with this customer's invoices."), code="cannot_see_invoice"
                )
            }
        )
    before = question.assigned_to
    if before == assignee:
        return question
    question.assigned_to = assignee
    question.assigned_at = timezone.now()
    question.save(update_fields=["assigned_to", "assigned_at", "updated_at"])
    if question.interaction_id is not None:
        # Measures count the question for whoever handles it now.
        interaction_reassign(
            actor=actor,
            interaction=question.interaction,
            staff=Staff.objects.filter(
                user=assignee, legal_entity_id=question.invoice.legal_entity_id
            ).first(),
            check_permission=False,
        )
    audit_record(
        actor=actor,
        action="billing.invoice_question.assigned",
        obj=question,
        changes={"assigned_to": [str(before) if before else None, str(assignee)]},
    )
    if assignee != actor:
        _email_assignee(question, assignee)
    return question


# ---------------------------------------------------------------- conversation


def _staff_message(
    question: InvoiceQuestion, actor: Any, body: str, *, internal: bool = False
) -> QuestionMessage:
    return QuestionMessage.objects.create(
        question=question, sender=QuestionMessage.Sender.STAFF, author=actor, body=body, internal=internal
    )


def _mark_first_response(question: InvoiceQuestion, now: datetime.datetime) -> list[str]:
    if question.first_response_at is not None:
        return []
    question.first_response_at = now
    question.first_response_minutes = working_minutes_between(question.asked_at, now)
    return ["first_response_at", "first_response_minutes"]


@transaction.atomic
def question_reply(*, actor: Any, question: InvoiceQuestion, body: str) -> InvoiceQuestion:
    """Answer the customer: shown on the invoice page and e-mailed with a link to it. The
    first answer is the question's first response. Only on active questions (``not_active``)."""
    _require_answerer(actor, question)
    body = _text(body, "body")
    question = _locked(question)
    _require_active(question)
    now = timezone.now()
    _staff_message(question, actor, body)
    fields = _mark_first_response(question, now)
    before = question.status
    question.status = Status.ANSWERED
    question.save(update_fields=["status", *fields, "updated_at"])
    audit_record(
        actor=actor,
        action="billing.invoice_question.replied",
        obj=question,
        changes={"status": [before, question.status]} if before != question.status else {},
    )
    _email_customer(question, actor=actor, template="reply", text=body)
    return question


@transaction.atomic
def question_note(*, actor: Any, question: InvoiceQuestion, body: str) -> QuestionMessage:
    """An internal note on ``question``: staff only, never shown or sent to the customer."""
    _require_answerer(actor, question)
    body = _text(body, "body")
    question = _locked(question)
    note = _staff_message(question, actor, body, internal=True)
    audit_record(actor=actor, action="billing.invoice_question.noted", obj=question, changes={})
    return note


def _customer_question(link: CustomerLink, question: InvoiceQuestion) -> tuple[CustomerLink, InvoiceQuestion]:
    live = _live(link)
    if question.invoice_id != live.invoice_id:
        raise ValidationError(_("This invoice has no such question."), code="unknown_question")
    return live, _locked(question)


def question_customer_message(*, link: CustomerLink, question: InvoiceQuestion, body: str) -> InvoiceQuestion:
    """The customer writes again on an active question of the link's invoice; an answered
    question goes back to open. Limited like asking (``too_many_questions``)."""
    body = _text(body, "body")
    with transaction.atomic():
        _live_link, question = _customer_question(link, question)
        _require_active(question)
        _customer_limit(question.invoice_id)
        QuestionMessage.objects.create(question=question, sender=QuestionMessage.Sender.CUSTOMER, body=body)
        before = question.status
        if question.status == Status.ANSWERED:
            question.status = Status.OPEN
            question.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=None,
            action="billing.invoice_question.customer_wrote",
            obj=question,
            changes={"status": [before, question.status]} if before != question.status else {},
        )
        if question.assigned_to is not None:
            _email_assignee(question, question.assigned_to, follow_up=True)
        return question


# ---------------------------------------------------------------- resolution


def _credit_reason(question: InvoiceQuestion) -> str:
    with translation.override((question.invoice.language or "sv").split("-")[0]):
        return _(
            "Credit for line %(line)s (%(description)s) of invoice %(invoice)s, after your question."
        ) % {
            "line": question.line.line_no,
            "description": question.line.description,
            "invoice": question.invoice.reference,
        }


def _credit_line(actor: Any, question: InvoiceQuestion, quantity: Decimal | None, key: str | None) -> Invoice:
    from frontoffice.billing.services.crediting import credit_note_create

    try:
        return credit_note_create(
            actor=actor,
            invoice=question.invoice,
            reason=_credit_reason(question),
            lines={question.line_id: quantity},
            idempotency_key=key,
        )
    except ValidationError as exc:
        # The crediting service names the line as ``lines.<id>``; here it is the quantity.
        if hasattr(exc, "error_dict") and f"lines.{question.line_id}" in exc.error_dict:
            raise ValidationError({"credit_quantity": exc.error_dict[f"lines.{question.line_id}"]}) from exc
        raise


def _corrected_invoice(
    actor: Any, question: InvoiceQuestion, quantity: Decimal | None, unit_price: Decimal | None
) -> Invoice:
    from frontoffice.billing.services.invoicing import invoice_draft_create, invoice_issue, invoice_line_add

    line = question.line
    invoice = question.invoice
    with translation.override((invoice.language or "sv").split("-")[0]):
        notes = _("Replaces line %(line)s of invoice %(invoice)s.") % {
            "line": line.line_no,
            "invoice": invoice.reference,
        }
    draft = invoice_draft_create(
        actor=actor,
        legal_entity=invoice.legal_entity_id,
        party=invoice.party_id,
        buyer_reference=invoice.buyer_reference,
        seller_reference=invoice.seller_reference,
        notes=notes,
        source_type="invoice_question",
        source_id=str(question.pk),
    )
    new_line = invoice_line_add(
        actor=actor,
        invoice=draft,
        product=line.product_id,
        description=line.description,
        quantity=line.quantity if quantity is None else quantity,
        unit_price=line.unit_price_amount if unit_price is None else unit_price,
        discount_percent=line.discount_percent,
        vat_code=line.vat_code,
        unit=line.unit,
        # A price typed on the original line stays authorised by whoever authorised it, as long
        # as the correction does not lower it.
        discount_authorised_by=line.discount_authorised_by
        if unit_price is None or Decimal(unit_price) >= line.unit_price_amount
        else None,
    )
    draft.refresh_from_db()
    if draft.needs_discount_approval:
        # A corrected price below the customer's own price is a discount like any other: the
        # resolver needs the authority for it (PRODUCT.md: above a user's limit, someone whose
        # limit covers it decides). Nothing is written.
        raise ValidationError(
            _(
                "The corrected price is %(discount)s %% below the list price, above your discount "
                "authority. Ask someone whose authority covers it to resolve this question, or "
                "resolve it with a credit note and invoice the line as a draft for approval."
            )
            % {"discount": f"{new_line.manual_discount_percent:.2f}".rstrip("0").rstrip(".")},
            code="discount_not_approved",
        )
    return invoice_issue(actor=actor, invoice=draft)


def question_resolve(
    *,
    actor: Any,
    question: InvoiceQuestion,
    explanation: str,
    credit: bool = False,
    credit_quantity: Decimal | None = None,
    corrected_quantity: Decimal | None = None,
    corrected_unit_price: Decimal | None = None,
    idempotency_key: str | None = None,
) -> InvoiceQuestion:
    """Resolve ``question`` with ``explanation`` to the customer and, with ``credit``, a credit
    note for its line (``credit_quantity``, default all that is left) and optionally a corrected
    invoice for the line (``corrected_quantity`` / ``corrected_unit_price``, the rest copied).

    The customer is e-mailed the explanation with a link to the invoice page and asked to rate
    the answer. Crediting needs ``billing.issue_invoice`` (a corrected invoice also
    ``billing.add_invoice``); errors of the crediting and invoicing services pass through and
    nothing is written. With an ``idempotency_key`` a repeated credit resolution returns the
    question as resolved the first time.
    """
    _require_answerer(actor, question)
    correcting = corrected_quantity is not None or corrected_unit_price is not None
    if correcting and not credit:
        raise ValidationError(
            _("A corrected invoice replaces a credited line: credit the line too."),
            code="correction_needs_credit",
        )
    if credit:
        require_perm(actor, ISSUE_PERM)
    if correcting:
        require_perm(actor, "billing.add_invoice")
    explanation = _text(explanation, "explanation")
    with transaction.atomic():
        question = _locked(question)
        key = (idempotency_key or "").strip() or None
        if key and question.credit_note_id and question.credit_note.idempotency_key == key:
            return question
        _require_active(question)
        note = _credit_line(actor, question, credit_quantity, key) if credit else None
        corrected = (
            _corrected_invoice(actor, question, corrected_quantity, corrected_unit_price)
            if correcting
            else None
        )
        now = timezone.now()
        _staff_message(question, actor, explanation)
        fields = _mark_first_response(question, now)
        before = question.status
        question.status = Status.RESOLVED
        question.resolution = (
            InvoiceQuestion.Resolution.CREDIT_NOTE if note else InvoiceQuestion.Resolution.EXPLANATION
        )
        question.resolved_at = now
        question.resolved_by = actor
        question.resolution_minutes = working_minutes_between(question.asked_at, now)
        if note is not None:
            question.credit_note = note
        if corrected is not None:
            question.corrected_invoice = corrected
        question.save(
            update_fields=[
                "status",
                "resolution",
                "resolved_at",
                "resolved_by",
                "resolution_minutes",
                "credit_note",
                "corrected_invoice",
                *fields,
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            action="billing.invoice_question.resolved",
            obj=question,
            changes={
                "status": [before, question.status],
                "resolution": [None, question.resolution],
                **({"credit_note": [None, note.reference]} if note else {}),
                **({"corrected_invoice": [None, corrected.reference]} if corrected else {}),
            },
        )
        _email_customer(question, actor=actor, template="resolved", text=explanation)
        if question.party_id:
            from frontoffice.core.registry import Touchpoint, touchpoint_completed

            touchpoint_completed(  # subscribers (surveys) may ask the customer how it went
                Touchpoint(
                    kind="billing.question_resolved",
                    party_id=question.party_id,
                    legal_entity_id=question.legal_entity_id,
                    user_id=actor.pk,
                    interaction_id=question.interaction_id,
                    concerns=f"billing.invoicequestion:{question.pk}",
                )
            )
        return question


def _rating(value: Any) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if str(value).strip() != str(rating) or not 1 <= rating <= 5:
        raise ValidationError({"rating": ValidationError(_("Choose 1 to 5."), code="invalid_rating")})
    return rating


def question_rate(
    *, link: CustomerLink, question: InvoiceQuestion, rating: Any, comment: str = ""
) -> InvoiceQuestion:
    """The customer rates the answer to a resolved question of the link's invoice, 1-5 with an
    optional comment, once (``already_rated``; ``not_resolved`` before the resolution). The
    question is closed."""
    rating = _rating(rating)
    comment = _text(comment, "comment", max_length=COMMENT_MAX, required=False)
    with transaction.atomic():
        _live_link, question = _customer_question(link, question)
        if question.rated_at is not None:
            raise ValidationError(_("You have already rated this answer. Thank you!"), code="already_rated")
        if question.status not in (Status.RESOLVED, Status.CLOSED):
            raise ValidationError(
                _("You can rate the answer once the question is resolved."), code="not_resolved"
            )
        now = timezone.now()
        # Conditional: of two ratings racing each other, only one finds rated_at empty.
        done = InvoiceQuestion.objects.filter(pk=question.pk, rated_at__isnull=True).update(
            rating=rating, rating_comment=comment, rated_at=now, status=Status.CLOSED, updated_at=now
        )
        if not done:
            raise ValidationError(_("You have already rated this answer. Thank you!"), code="already_rated")
        before = question.status
        question.refresh_from_db()
        audit_record(
            actor=None,
            action="billing.invoice_question.rated",
            obj=question,
            changes={"rating": [None, rating], "status": [before, question.status]},
        )
        return question


@transaction.atomic
def question_reopen(*, actor: Any, question: InvoiceQuestion, reason: str = "") -> InvoiceQuestion:
    """Reopen a resolved or closed question (``not_resolved`` otherwise), with a new resolution
    deadline from now. ``reason`` is kept as an internal note. A rating already given stays."""
    _require_answerer(actor, question)
    reason = _text(reason, "reason", required=False)
    question = _locked(question)
    if question.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError(_("Only a resolved or closed question can be reopened."), code="not_resolved")
    now = timezone.now()
    before = (question.status, question.resolution)
    question.status = Status.REOPENED
    question.resolution = ""
    question.resolved_at = None
    question.resolved_by = None
    question.resolution_minutes = None
    question.resolution_due_at = add_working_hours(
        now, question_settings_for(question.legal_entity_id).resolution_hours
    )
    question.save(
        update_fields=[
            "status",
            "resolution",
            "resolved_at",
            "resolved_by",
            "resolution_minutes",
            "resolution_due_at",
            "updated_at",
        ]
    )
    _staff_message(
        question,
        actor,
        _("Reopened: %(reason)s") % {"reason": reason} if reason else _("Reopened."),
        internal=True,
    )
    audit_record(
        actor=actor,
        action="billing.invoice_question.reopened",
        obj=question,
        changes={
            "status": [before[0], question.status],
            "resolution": [before[1], ""],
            "resolution_due_at": [None, question.resolution_due_at.isoformat()],
        },
    )
    return question


@transaction.atomic
def question_close(*, actor: Any, question: InvoiceQuestion) -> InvoiceQuestion:
    """Close a resolved question that the customer has not rated (``not_resolved`` otherwise).
    The customer can still rate it."""
    _require_answerer(actor, question)
    question = _locked(question)
    if question.status != Status.RESOLVED:
        raise ValidationError(_("Only a resolved question can be closed."), code="not_resolved")
    question.status = Status.CLOSED
    question.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.invoice_question.closed",
        obj=question,
        changes={"status": [Status.RESOLVED, Status.CLOSED]},
    )
    return question


__all__ = [
    "can_answer",
    "can_take",
    "question_ask_by_customer",
    "question_assign",
    "question_close",
    "question_customer_message",
    "question_log",
    "question_note",
    "question_rate",
    "question_reopen",
    "question_reply",
    "question_resolve",
    "question_settings_for",
    "question_settings_update",
]
