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
  ``billing.issue_invoice``; only recurring invoices in the actor's scope are run;
- nothing is invoiced for a day after ``end_on``; a paused (inactive) recurring invoice is
  skipped until it is resumed, and resuming does not invoice the periods it was paused for
  (``next_run_on`` moves to the first period on or after the day it is resumed);
- a recurring invoice is set up (``recurring_invoice_create``/``_update``, needing
  ``billing.add_invoice``/``billing.change_invoice``) for a customer in the actor's scope with
  an active billing profile, and template lines checked like draft lines
  (``invoicing._line_values``), every bad field named ``lines.<index>.<field>``.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.billing.models import Invoice, RecurringInvoice, RecurringRun
from frontoffice.billing.services.invoicing import (
    _UNSET,
    LINE_FIELDS,
    _line_values,
    _profile_for,
    invoice_draft_create,
    invoices_issue_batch,
)
from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.parties.models import Party

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
    rows = visible_to(
        RecurringInvoice.objects.filter(active=True, next_run_on__lte=on).filter(
            Q(end_on__isnull=True) | Q(end_on__gte=F("next_run_on"))
        ),
        actor,
    ).values_list("legal_entity_id", "pk")
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
        for _round in range(MAX_CATCH_UP):
            if recurring.next_run_on > on or (recurring.end_on and recurring.next_run_on > recurring.end_on):
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


# ---------------------------------------------------------------- setting up


EDITABLE = ("description", "lines", "interval_months", "next_run_on", "end_on")
LINE_KEYS = ("product", "description", "quantity", "unit", "unit_price", "discount_percent", "vat_code")


def _party(actor: Any, party: Any) -> Party:
    found = visible_to(Party.objects.all(), actor).filter(pk=getattr(party, "pk", party)).first()
    if found is None:
        raise ValidationError(
            {"party": ValidationError(_("Choose a customer you can see."), code="unknown_customer")}
        )
    return found


def _clean_lines(legal_entity_id: int, party: Party, lines: Any, on: datetime.date) -> list[dict[str, str]]:
    """Template lines as stored (strings only), each checked like a draft line would be."""
    if not isinstance(lines, list | tuple) or not lines:
        raise ValidationError({"lines": ValidationError(_("Add at least one line."), code="no_lines")})
    profile = _profile_for(legal_entity_id, party)
    probe = Invoice(
        legal_entity_id=legal_entity_id, party=party, profile=profile, issue_on=on, currency=profile.currency
    )
    errors: dict[str, list[ValidationError]] = {}
    cleaned: list[dict[str, str]] = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            errors[f"lines.{index}"] = [ValidationError(_("Each line is an object."), code="invalid")]
            continue
        unknown = set(line) - set(LINE_KEYS)
        if unknown:
            errors[f"lines.{index}"] = [
                ValidationError(
                    _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                    code="unknown_field",
                )
            ]
            continue
        fields = {k: str(v).strip() for k, v in line.items() if v not in (None, "")}
        try:
            _line_values(
                probe,
                line=None,
                product=fields.get("product"),
                **{name: fields.get(name, _UNSET) for name in LINE_FIELDS},
            )
        except ValidationError as exc:
            for field, field_errors in exc.error_dict.items():
                name = f"lines.{index}" if field == NON_FIELD_ERRORS else f"lines.{index}.{field}"
                errors.setdefault(name, []).extend(field_errors)
        cleaned.append(fields)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean(recurring: RecurringInvoice) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if recurring.end_on is not None and recurring.next_run_on and recurring.end_on < recurring.next_run_on:
        errors["end_on"] = [
            ValidationError(
                _("The last invoice date is before the next invoice date."), code="dates_reversed"
            )
        ]
    try:
        recurring.full_clean(exclude=["lines", "legal_entity", "party", "created_by"])
    except ValidationError as exc:
        for field, field_errors in exc.error_dict.items():
            errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)


def _lines_text(lines: list[dict[str, str]]) -> str:
    return "; ".join(
        f"{line.get('quantity', '1')} x {line.get('description') or line.get('product')}" for line in lines
    )


@transaction.atomic
def recurring_invoice_create(
    *,
    actor: Any,
    party: Any,
    lines: list[dict[str, Any]],
    next_run_on: datetime.date,
    interval_months: int = 1,
    end_on: datetime.date | None = None,
    description: str = "",
) -> RecurringInvoice:
    """Set up a recurring invoice for a customer in the actor's scope with an active billing
    profile. Needs ``billing.add_invoice`` in the customer's legal entity. Errors name the
    field (``lines.<index>.<field>`` for the template lines; ``dates_reversed``).
    Audited as ``billing.recurring_invoice.created``."""
    require_perm(actor, "billing.add_invoice")
    found = _party(actor, party)
    legal_entity_id = found.legal_entity_id
    require_legal_entity(actor, legal_entity_id)
    recurring = RecurringInvoice(
        legal_entity_id=legal_entity_id,
        party=found,
        description=" ".join(str(description or "").split()),
        interval_months=interval_months,
        next_run_on=next_run_on,
        end_on=end_on,
        created_by=actor,
    )
    errors: dict[str, list[ValidationError]] = {}
    for check in (
        _clean,
        lambda r: setattr(r, "lines", _clean_lines(legal_entity_id, found, lines, next_run_on)),
    ):
        try:
            check(recurring)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            for field, field_errors in exc.error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)
    recurring.save()
    audit_record(
        actor=actor,
        action="billing.recurring_invoice.created",
        obj=recurring,
        changes={
            "party": [None, str(found)],
            "next_run_on": [None, str(next_run_on)],
            "interval_months": [None, recurring.interval_months],
            "end_on": [None, str(end_on) if end_on else None],
            "lines": [None, _lines_text(recurring.lines)],
        },
    )
    return recurring


def _locked(actor: Any, recurring: RecurringInvoice | int) -> RecurringInvoice:
    pk = getattr(recurring, "pk", recurring)
    found = (
        visible_to(RecurringInvoice.objects.select_for_update(of=("self",)), actor)
        .select_related("party")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise PermissionDenied(_("You do not have permission to do this."))
    require_legal_entity(actor, found.legal_entity_id)
    return found


@transaction.atomic
def recurring_invoice_update(
    *, actor: Any, recurring: RecurringInvoice | int, **changes: Any
) -> RecurringInvoice:
    """Change the description, template lines, interval, next or last invoice date. Needs
    ``billing.change_invoice``; the same checks as creating. Invoices already issued are
    not changed. Audited as ``billing.recurring_invoice.updated``."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"recurring_invoice_update() got unexpected fields: {sorted(unknown)}")
    require_perm(actor, "billing.change_invoice")
    found = _locked(actor, recurring)
    before = snapshot(found, ["description", "interval_months", "next_run_on", "end_on"])
    before_lines = _lines_text(found.lines)
    for name in ("interval_months", "next_run_on", "end_on"):
        if name in changes:
            setattr(found, name, changes[name])
    if "description" in changes:
        found.description = " ".join(str(changes["description"] or "").split())
    errors: dict[str, list[ValidationError]] = {}
    try:
        _clean(found)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if "lines" in changes:
        try:
            found.lines = _clean_lines(
                found.legal_entity_id, found.party, changes["lines"], found.next_run_on
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    found.save()
    changed = diff(before, snapshot(found, ["description", "interval_months", "next_run_on", "end_on"]))
    if _lines_text(found.lines) != before_lines:
        changed["lines"] = [before_lines, _lines_text(found.lines)]
    if changed:
        audit_record(actor=actor, action="billing.recurring_invoice.updated", obj=found, changes=changed)
    return found


@transaction.atomic
def recurring_invoice_pause(*, actor: Any, recurring: RecurringInvoice | int) -> RecurringInvoice:
    """Stop invoicing until resumed. Needs ``billing.change_invoice``; ``already_paused``."""
    require_perm(actor, "billing.change_invoice")
    found = _locked(actor, recurring)
    if not found.active:
        raise ValidationError(_("This recurring invoice is already paused."), code="already_paused")
    found.active = False
    found.save(update_fields=["active", "updated_at"])
    audit_record(
        actor=actor, action="billing.recurring_invoice.paused", obj=found, changes={"active": [True, False]}
    )
    return found


@transaction.atomic
def recurring_invoice_resume(
    *, actor: Any, recurring: RecurringInvoice | int, on: datetime.date | None = None
) -> RecurringInvoice:
    """Invoice again from the first period on or after ``on`` (default today): the periods
    it was paused for are not invoiced. Needs ``billing.change_invoice``; ``not_paused``."""
    require_perm(actor, "billing.change_invoice")
    found = _locked(actor, recurring)
    if found.active:
        raise ValidationError(_("This recurring invoice is not paused."), code="not_paused")
    on = on or timezone.localdate()
    before = found.next_run_on
    for _round in range(MAX_CATCH_UP * 10):
        if found.next_run_on >= on:
            break
        found.next_run_on = add_months(found.next_run_on, found.interval_months)
    found.active = True
    found.save(update_fields=["active", "next_run_on", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.recurring_invoice.resumed",
        obj=found,
        changes={"active": [False, True], "next_run_on": [str(before), str(found.next_run_on)]},
    )
    return found


def recurring_system_actors(*, on: datetime.date) -> dict[int, Any]:
    """``{legal entity id: user}``: who the scheduled batch acts as when no user is named, for
    each legal entity with something due: the legal entity's finance manager (the first active
    one), who issues invoices and answers for them. Legal entities without one are left out."""
    from frontoffice.org.models import Staff

    due = set(
        RecurringInvoice.objects.filter(active=True, next_run_on__lte=on).values_list(
            "legal_entity_id", flat=True
        )
    )
    actors: dict[int, Any] = {}
    for staff in (
        Staff.objects.filter(
            legal_entity_id__in=due, role__code="finance_manager", active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ):
        actors.setdefault(staff.legal_entity_id, staff.user)
    return actors
