"""Which invoices are due for a reminder, and at which level (scoped with ``visible_to``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from frontoffice.billing.models import Invoice
from frontoffice.core.scoping import visible_to
from frontoffice.receivables.models import InvoiceDispute, Reminder
from frontoffice.receivables.services.common import ZERO, le_id
from frontoffice.receivables.services.reminders import MAX_LEVEL, reminder_refusal


@dataclass(frozen=True)
class ReminderCandidate:
    invoice: Invoice
    next_level: int
    days_overdue: int
    last_sent_at: datetime.datetime | None


def overdue_invoices(*, user: Any, legal_entity: Any, as_of: datetime.date) -> QuerySet[Invoice]:
    """Issued invoices past due on ``as_of`` with money open and no open dispute, annotated with
    their last reminder (``last_level``, ``last_sent_at``), oldest due date first."""
    disputed = InvoiceDispute.objects.filter(invoice=OuterRef("pk"), resolved_at__isnull=True)
    return (
        visible_to(Invoice.objects.all(), user)
        .filter(
            legal_entity_id=le_id(legal_entity),
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            open_amount__gt=ZERO,
            due_on__lt=as_of,
        )
        .exclude(Exists(disputed))
        .annotate(last_level=Max("reminders__level"), last_sent_at=Max("reminders__sent_at"))
        .filter(Q(last_level__isnull=True) | Q(last_level__lt=MAX_LEVEL))
        .select_related("series", "party")
        .order_by("due_on", "pk")
    )


def reminder_candidates(*, user: Any, legal_entity: Any, as_of: datetime.date) -> list[ReminderCandidate]:
    """Every invoice a reminder may go out for on ``as_of``, with the level it would have."""
    from frontoffice.receivables.services.common import receivables_settings_for

    interval = receivables_settings_for(legal_entity).reminder_interval_days
    result = []
    for invoice in overdue_invoices(user=user, legal_entity=legal_entity, as_of=as_of):
        sent = [(invoice.last_level, invoice.last_sent_at)] if invoice.last_level else []
        level, refusal = reminder_refusal(
            invoice, as_of=as_of, sent_levels=sent, disputed=False, interval_days=interval
        )
        if refusal is None:
            result.append(
                ReminderCandidate(invoice, level, (as_of - invoice.due_on).days, invoice.last_sent_at)
            )
    return result


def reminder_list(*, user: Any, invoice: Invoice) -> list[Reminder]:
    return list(visible_to(Reminder.objects.filter(invoice=invoice), user).select_related("sent_by"))
