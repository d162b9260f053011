"""Recurring invoices: the scheduled batch that creates and issues the invoices due on a date.

Invariants protected here:

- a recurring invoice is due when it is active and its ``next_run_on`` is on or before the
  run date; each due period (``period_key``, the invoice date's year and month, e.g.
  ``2026-03``) becomes one draft from the template lines, dated that day, and
  ``next_run_on`` moves on by ``interval_months`` (periods missed are caught up, one invoice
  each);
- the batch is safe to run twice, or twice at once: the recurring rows are locked while they
  are worked on, and a ``RecurringRun`` per (recurring invoice, period key) is unique, so a
  period already invoiced is skipped, never invoiced again;
- per legal entity, everything is one transaction: the drafts are issued with
  ``invoices_issue_batch`` (gapless numbers, one ledger batch); if anything fails nothing of
  that legal entity is written and the next run tries again;
- running needs ``billing.add_invoice``, ``billing.change_invoice`` and
  ``billing.issue_invoice``; only recurring invoices in the actor's scope are run.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from frontoffice.billing.models import Invoice, RecurringInvoice, RecurringRun
from frontoffice.billing.services.invoicing import invoice_draft_create, invoices_issue_batch
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to

PERMS = ("billing.add_invoice", "billing.change_invoice", "billing.issue_invoice")
MAX_CATCH_UP = 120  # periods per recurring invoice in one run, a guard against a runaway loop


@dataclass
class RecurringResult:
    invoices: list[Invoice] = field(default_factory=list)
    skipped: int = 0  # periods already invoiced by an earlier run


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved ``months`` months on; the 31st becomes the last day of a shorter month."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_key(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _due(actor: Any, on: datetime.date) -> dict[int, list[int]]:
    ids: dict[int, list[int]] = {}
    rows = visible_to(RecurringInvoice.objects.filter(active=True, next_run_on__lte=on), actor).values_list(
        "legal_entity_id", "pk"
    )
    for legal_entity_id, pk in rows.order_by("legal_entity_id", "pk"):
        ids.setdefault(legal_entity_id, []).append(pk)
    return ids


def recurring_invoices_run(*, actor: Any, on: datetime.date) -> RecurringResult:
    """Create and issue every recurring invoice due on or before ``on``. Safe to run twice."""
    for perm in PERMS:
        require_perm(actor, perm)
    result = RecurringResult()
    for legal_entity_id, ids in _due(actor, on).items():
        require_legal_entity(actor, legal_entity_id)
        with transaction.atomic():
            _run_legal_entity(actor=actor, ids=ids, on=on, result=result)
    return result


def _run_legal_entity(*, actor: Any, ids: list[int], on: datetime.date, result: RecurringResult) -> None:
    drafts: list[Invoice] = []
    locked = (
        RecurringInvoice.objects.select_for_update()
        .filter(pk__in=ids, active=True, next_run_on__lte=on)
        .order_by("pk")
    )
    for recurring in locked:
        done = set(recurring.runs.values_list("period_key", flat=True))
        for _ in range(MAX_CATCH_UP):
            if recurring.next_run_on > on:
                break
            day = recurring.next_run_on
            key = period_key(day)
            if key in done:
                result.skipped += 1
            else:
                draft = _invoice_period(actor=actor, recurring=recurring, day=day, key=key)
                if draft is None:
                    result.skipped += 1
                else:
                    drafts.append(draft)
                    done.add(key)
            recurring.next_run_on = add_months(day, recurring.interval_months)
        recurring.save(update_fields=["next_run_on", "updated_at"])
    if drafts:
        result.invoices.extend(invoices_issue_batch(actor=actor, invoices=drafts))


def _invoice_period(
    *, actor: Any, recurring: RecurringInvoice, day: datetime.date, key: str
) -> Invoice | None:
    """The draft for one period, or ``None`` when another run took the period first."""
    try:
        with transaction.atomic():
            draft = invoice_draft_create(
                actor=actor,
                legal_entity=recurring.legal_entity_id,
                party=recurring.party_id,
                issue_on=day,
                source_type="recurring",
                source_id=f"{recurring.pk}:{key}",
                lines=[dict(line) for line in recurring.lines],
            )
            RecurringRun.objects.create(recurring=recurring, period_key=key, invoice=draft)
    except IntegrityError:
        return None
    audit_record(
        actor=actor, action="billing.recurring_invoice.run", obj=recurring, changes={"period": [None, key]}
    )
    return draft
