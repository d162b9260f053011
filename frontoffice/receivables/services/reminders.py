"""Overdue reminders (levels 1-3) and invoice disputes.

Invariants protected here:
- a reminder goes out only for an issued invoice (not a credit note) with money still open,
  after its due date, without an open dispute;
- levels go 1, 2, 3 in order, each at most once per invoice (``receivables_reminder_level_once``
  backs the check), the next at the earliest ``reminder_interval_days`` after the last;
- the e-mail is queued on commit (``core.tasks.email_enqueue``), in the invoice's language
  (Swedish or English; Swedish for any other), so a refused or rolled-back reminder sends
  nothing; the wording grows firmer by level and stays courteous;
- an invoice has at most one open dispute (``receivables_dispute_one_open``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.billing.models import BillingSettings, Invoice
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.core.tasks import email_enqueue
from frontoffice.receivables.models import InvoiceDispute, Reminder
from frontoffice.receivables.services.common import ZERO, receivables_settings_for

MAX_LEVEL = 3
LANGUAGES = ("sv", "en")


def reminder_language(invoice: Invoice) -> str:
    language = (invoice.language or "sv").split("-")[0].lower()
    return language if language in LANGUAGES else "sv"


def _visible_invoice(actor: Any, invoice: Invoice | int, *, lock: bool = False) -> Invoice:
    pk = getattr(invoice, "pk", invoice)
    qs = Invoice.objects.select_for_update(of=("self",)) if lock else Invoice.objects.all()
    found = visible_to(qs, actor).select_related("series", "profile", "legal_entity").filter(pk=pk).first()
    if found is None:
        raise ValidationError(_("There is no such invoice."), code="unknown_invoice")
    require_legal_entity(actor, found.legal_entity_id)
    return found


def reminder_refusal(
    invoice: Invoice,
    *,
    as_of: datetime.date,
    sent_levels: list[tuple[int, datetime.datetime]],
    disputed: bool,
    interval_days: int,
    level: int | None = None,
) -> tuple[int, ValidationError | None]:
    """The level the next reminder would have, and why it may not go out now (or None)."""
    sent = dict(sent_levels)
    next_level = max(sent, default=0) + 1
    if (
        invoice.kind != Invoice.Kind.INVOICE
        or invoice.status != Invoice.Status.ISSUED
        or invoice.open_amount <= ZERO
    ):
        return next_level, ValidationError(
            _("Invoice %(invoice)s has nothing open to remind about: it is paid, credited or a credit note.")
            % {"invoice": invoice},
            code="not_remindable",
        )
    if disputed:
        return next_level, ValidationError(
            _("The customer disputes invoice %(invoice)s: resolve the dispute before reminding.")
            % {"invoice": invoice},
            code="disputed",
        )
    if invoice.due_on is None or as_of <= invoice.due_on:
        return next_level, ValidationError(
            _("Invoice %(invoice)s is not overdue yet: it is due on %(due)s.")
            % {"invoice": invoice, "due": invoice.due_on},
            code="not_due",
        )
    if level is not None and level in sent:
        return level, ValidationError(
            _("Reminder %(level)s for invoice %(invoice)s was already sent.")
            % {"level": level, "invoice": invoice},
            code="already_sent",
        )
    if next_level > MAX_LEVEL:
        return next_level, ValidationError(
            _("All three reminders for invoice %(invoice)s have been sent.") % {"invoice": invoice},
            code="all_levels_sent",
        )
    if level is not None and level != next_level:
        return level, ValidationError(
            _("Reminder %(next)s comes next; levels cannot be skipped.") % {"next": next_level},
            code="level_order",
        )
    if sent:
        last = max(sent.values())
        earliest = timezone.localdate(last) + datetime.timedelta(days=interval_days)
        if as_of < earliest:
            return next_level, ValidationError(
                _("The last reminder went out on %(last)s; the next may go out from %(earliest)s.")
                % {"last": timezone.localdate(last), "earliest": earliest},
                code="too_soon",
            )
    return next_level, None


def _email(
    invoice: Invoice, reminder: Reminder, billing: BillingSettings | None, as_of: datetime.date
) -> None:
    language = reminder.language
    context = {
        "invoice": invoice,
        "reminder": reminder,
        "level": reminder.level,
        "final": reminder.level == MAX_LEVEL,
        "open_amount": reminder.open_amount,
        "days_overdue": (as_of - invoice.due_on).days,
        "seller": invoice.legal_entity,
        "billing": billing,
        "pay_by": as_of + datetime.timedelta(days=10),
    }
    # Customer e-mails are written per language (templates reminder_sv / reminder_en), so a
    # customer gets natural Swedish or English whatever language the clerk works in.
    with translation.override(language):
        subject = " ".join(
            render_to_string(f"receivables/email/reminder_{language}_subject.txt", context).split()
        )
        body = render_to_string(f"receivables/email/reminder_{language}.txt", context)
    reply_to = [billing.email] if billing and billing.email else None
    email_enqueue(subject=subject, body=body, to=[reminder.recipient], reply_to=reply_to)


@transaction.atomic
def reminder_send(
    *,
    actor: Any,
    invoice: Invoice | int,
    level: int | None = None,
    channel: str = Reminder.Channel.EMAIL,
) -> Reminder:
    """Send the next overdue reminder for ``invoice`` (or exactly ``level``, which must be next).

    Needs ``receivables.add_reminder``. Raises ``ValidationError`` with code
    ``not_remindable``, ``disputed``, ``not_due``, ``already_sent``, ``level_order``,
    ``all_levels_sent``, ``too_soon`` or ``no_email``. By e-mail, queues the message on
    commit; by letter, only records that one was sent. Writes ``receivables.reminder.sent``.
    """
    require_perm(actor, "receivables.add_reminder")
    locked = _visible_invoice(actor, invoice, lock=True)
    as_of = timezone.localdate()
    settings = receivables_settings_for(locked.legal_entity_id)
    sent = list(Reminder.objects.filter(invoice=locked).values_list("level", "sent_at"))
    disputed = InvoiceDispute.objects.filter(invoice=locked, resolved_at__isnull=True).exists()
    next_level, refusal = reminder_refusal(
        locked,
        as_of=as_of,
        sent_levels=sent,
        disputed=disputed,
        interval_days=settings.reminder_interval_days,
        level=level,
    )
    if refusal is not None:
        raise refusal
    if channel not in Reminder.Channel.values:
        raise ValidationError(_("Choose e-mail or letter."), code="invalid_channel")
    recipient = locked.buyer_email or (locked.profile.billing_email if locked.profile_id else "")
    if channel == Reminder.Channel.EMAIL and not recipient:
        raise ValidationError(
            _("Invoice %(invoice)s has no e-mail address to send the reminder to; send a letter instead.")
            % {"invoice": locked},
            code="no_email",
        )
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                invoice=locked,
                level=next_level,
                sent_at=timezone.now(),
                sent_by=actor,
                channel=channel,
                language=reminder_language(locked),
                recipient=recipient if channel == Reminder.Channel.EMAIL else "",
                open_amount=locked.open_amount,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("Reminder %(level)s for invoice %(invoice)s was already sent.")
            % {"level": next_level, "invoice": locked},
            code="already_sent",
        ) from exc
    if channel == Reminder.Channel.EMAIL:
        billing = BillingSettings.objects.filter(legal_entity_id=locked.legal_entity_id).first()
        _email(locked, reminder, billing, as_of)
    audit_record(
        actor=actor,
        action="receivables.reminder.sent",
        obj=locked,
        changes={
            "reminder": [None, next_level],
            "channel": [None, channel],
            "open_amount": [None, str(locked.open_amount)],
        },
    )
    return reminder


@transaction.atomic
def invoice_dispute_open(*, actor: Any, invoice: Invoice | int, reason: str) -> InvoiceDispute:
    """Record that the customer disputes ``invoice``: reminders pause until it is resolved.
    Needs ``receivables.add_invoicedispute``; code ``already_disputed`` when one is open."""
    require_perm(actor, "receivables.add_invoicedispute")
    locked = _visible_invoice(actor, invoice, lock=True)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise ValidationError(
            {"reason": [ValidationError(_("Say what the customer disputes."), code="required")]}
        )
    if InvoiceDispute.objects.filter(invoice=locked, resolved_at__isnull=True).exists():
        raise ValidationError(
            _("Invoice %(invoice)s is already disputed.") % {"invoice": locked}, code="already_disputed"
        )
    dispute = InvoiceDispute.objects.create(invoice=locked, reason=reason, opened_by=actor)
    audit_record(
        actor=actor, action="receivables.dispute.opened", obj=locked, changes={"dispute": [None, reason]}
    )
    return dispute


@transaction.atomic
def invoice_dispute_resolve(*, actor: Any, dispute: InvoiceDispute | int, resolution: str) -> InvoiceDispute:
    """Close an open dispute with how it was resolved. Needs ``receivables.change_invoicedispute``."""
    require_perm(actor, "receivables.change_invoicedispute")
    pk = getattr(dispute, "pk", dispute)
    found = visible_to(InvoiceDispute.objects.select_for_update(of=("self",)), actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError(_("There is no such dispute."), code="unknown_dispute")
    if found.resolved_at is not None:
        raise ValidationError(_("This dispute is already resolved."), code="already_resolved")
    found.resolution = " ".join((resolution or "").split())[:500]
    found.resolved_at = timezone.now()
    found.resolved_by = actor
    found.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    audit_record(
        actor=actor,
        action="receivables.dispute.resolved",
        obj=found.invoice,
        changes={"dispute": [found.reason, found.resolution or "—"]},
    )
    return found
