"""Registering customer payments and allocating them to invoices.

Invariants protected here:
- a payment is in the legal entity's base currency, for an exact amount > 0, and every
  allocation is to an issued invoice of the same legal entity and currency, visible to the actor;
- allocations of one payment never sum to more than the payment, and one allocation never
  exceeds what the invoice has open (checked up front for a clear message, and again under
  the invoice's row lock in ``billing.services.settlement``);
- the ledger follows every change in the same transaction, in the payment series of
  ``BillingSettings`` ("B"):
    registration    debit bank (1930) the amount; credit receivables (1510) the allocated
                    part and the prepayment account (2420) the unallocated rest;
    later allocation   debit 2420, credit 1510;   undoing one   debit 1510, credit 2420.
  When the legal entity has no prepayment account (a non-BAS chart without 2420, or the
  finance manager emptied it), unallocated money is credited to receivables instead and
  allocating or undoing moves nothing in the ledger. Keeping it on 2420 by default keeps the
  receivables account equal to the sum of invoices' open amounts, which the aging reports;
- anything refused (bad input, posting standards) leaves the database as it was: every
  service runs in one transaction;
- an idempotency key makes a repeated call return the first call's payment.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.settlement import invoice_settle
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.finance.models import JournalEntry
from frontoffice.finance.services.posting import EntryInput, LineInput, journal_entry_post
from frontoffice.org.models import LegalEntity
from frontoffice.parties.models import Party
from frontoffice.receivables.models import Payment, PaymentAllocation
from frontoffice.receivables.services.common import (
    ZERO,
    Accounts,
    Errors,
    accounts_for,
    add_error,
    invoice_by_ocr,
    le_id,
    parse_money,
    raise_errors,
)

MAX_KEY = 100


@dataclass(frozen=True)
class AllocationInput:
    """Part of a payment for one invoice (an ``Invoice`` or its id; amount as Decimal or string)."""

    invoice: Any
    amount: Any


@dataclass
class _Allocation:
    invoice: Invoice
    amount: Decimal


def _voucher_text(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())[:200]


def _check_key(key: str | None, errors: Errors) -> str | None:
    key = (key or "").strip() or None
    if key is not None and len(key) > MAX_KEY:
        add_error(errors, "idempotency_key", _("The idempotency key has at most 100 characters."), "invalid")
    return key


def _check_allocations(
    *,
    actor: Any,
    legal_entity_id: int,
    currency: str,
    allocations: Sequence[AllocationInput],
    limit: Decimal | None,
    errors: Errors,
) -> list[_Allocation]:
    """Parse and check ``allocations`` against the invoices as they are now; field errors go to
    ``errors`` (``allocations.<i>.invoice`` / ``.amount``, ``allocations`` for the sum)."""
    ids: list[int | None] = []
    for item in allocations:
        raw = getattr(item.invoice, "pk", item.invoice)
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            ids.append(None)
    invoices = {
        inv.pk: inv
        for inv in visible_to(Invoice.objects.all(), actor).filter(
            legal_entity_id=legal_entity_id, pk__in=[i for i in ids if i is not None]
        )
    }
    checked: list[_Allocation] = []
    seen: set[int] = set()
    total = ZERO
    for index, (item, invoice_id) in enumerate(zip(allocations, ids, strict=True)):
        prefix = f"allocations.{index}"
        amount = parse_money(item.amount)
        if amount is None:
            add_error(
                errors,
                f"{prefix}.amount",
                _("Enter an amount greater than zero with at most two decimals, such as 1250.00."),
                "invalid_amount",
            )
        invoice = invoices.get(invoice_id) if invoice_id is not None else None
        if invoice is None:
            add_error(errors, f"{prefix}.invoice", _("There is no such invoice."), "unknown_invoice")
            continue
        if invoice.pk in seen:
            add_error(
                errors,
                f"{prefix}.invoice",
                _("Invoice %(invoice)s is listed twice; give it one amount.") % {"invoice": invoice},
                "duplicate_invoice",
            )
            continue
        seen.add(invoice.pk)
        if (
            invoice.kind != Invoice.Kind.INVOICE
            or invoice.status != Invoice.Status.ISSUED
            or invoice.open_amount <= ZERO
        ):
            add_error(
                errors,
                f"{prefix}.invoice",
                _(
                    "Invoice %(invoice)s has nothing open to pay: it is paid, credited, a draft or a credit note."
                )
                % {"invoice": invoice},
                "not_settleable",
            )
            continue
        if invoice.currency != currency:
            add_error(
                errors,
                f"{prefix}.invoice",
                _("Invoice %(invoice)s is in %(invoice_currency)s; the payment is in %(currency)s.")
                % {"invoice": invoice, "invoice_currency": invoice.currency, "currency": currency},
                "wrong_currency",
            )
            continue
        if amount is None:
            continue
        if amount > invoice.open_amount:
            add_error(
                errors,
                f"{prefix}.amount",
                _(
                    "%(amount)s is more than the %(open)s open on invoice %(invoice)s; keep the "
                    "overpayment unallocated on the payment instead."
                )
                % {"amount": amount, "open": invoice.open_amount, "invoice": invoice},
                "over_allocation",
            )
            continue
        total += amount
        checked.append(_Allocation(invoice, amount))
    if limit is not None and total > limit:
        add_error(
            errors,
            "allocations",
            _("The allocations add up to %(total)s, more than the %(limit)s available on the payment.")
            % {"total": total, "limit": limit},
            "over_allocation",
        )
    return checked


def _settle(allocations: list[_Allocation]) -> None:
    """Apply the allocations to the invoices under their row locks; a concurrent change that
    makes one impossible is reported on that allocation."""
    for index, allocation in enumerate(allocations):
        try:
            invoice_settle(invoice=allocation.invoice, amount=allocation.amount)
        except ValidationError as exc:
            raise ValidationError(
                {f"allocations.{index}.amount": [ValidationError(m, code=exc.code) for m in exc.messages]}
            ) from exc


def _post(
    *,
    actor: Any,
    legal_entity_id: int,
    accounts: Accounts,
    date: datetime.date,
    text: str,
    lines: list[LineInput],
    source: Any,
) -> JournalEntry:
    return journal_entry_post(
        actor=actor,
        legal_entity=legal_entity_id,
        entry=EntryInput(series=accounts.series, date=date, text=text, lines=lines, source=source),
    )


def registration_lines(accounts: Accounts, amount: Decimal, allocated: Decimal) -> list[LineInput]:
    """The voucher lines of a payment of ``amount`` of which ``allocated`` pays invoices."""
    unallocated = amount - allocated
    lines = [LineInput(account=accounts.bank.number, debit=amount)]
    if accounts.prepayment is None:
        lines.append(LineInput(account=accounts.receivables.number, credit=amount))
        return lines
    if allocated > ZERO:
        lines.append(LineInput(account=accounts.receivables.number, credit=allocated))
    if unallocated > ZERO:
        lines.append(LineInput(account=accounts.prepayment.number, credit=unallocated))
    return lines


def _by_key(legal_entity_id: int, key: str | None) -> Payment | None:
    if key is None:
        return None
    return Payment.objects.filter(legal_entity_id=legal_entity_id, idempotency_key=key).first()


def payment_register(
    *,
    actor: Any,
    legal_entity: Any,
    paid_on: datetime.date,
    amount: Any,
    currency: str | None = None,
    payer_name: str = "",
    reference: str = "",
    party: Party | int | None = None,
    allocations: Sequence[AllocationInput] = (),
    auto_match: bool = True,
    note: str = "",
    idempotency_key: str | None = None,
) -> Payment:
    """Register a payment received by hand, allocate it and post its voucher.

    Without ``allocations`` and with ``auto_match``, a valid OCR number in ``reference``
    allocates the payment to that invoice (up to its open amount; the rest stays unallocated).
    Needs ``receivables.add_payment`` (and the ledger's ``finance.post_journalentry``) in the
    legal entity. Raises ``ValidationError`` naming each bad field (codes ``invalid_amount``,
    ``wrong_currency``, ``unknown_party``, ``unknown_invoice``, ``not_settleable``,
    ``over_allocation``, ...) or ``PostingRejected`` (code ``posting_rejected``). Writes
    ``receivables.payment.registered`` to the audit trail.
    """
    require_perm(actor, "receivables.add_payment")
    entity_id = le_id(legal_entity)
    require_legal_entity(actor, entity_id)
    errors: Errors = {}
    key = _check_key(idempotency_key, errors)
    existing = _by_key(entity_id, key)
    if existing is not None:
        return existing
    try:
        return _register(
            actor=actor,
            legal_entity_id=entity_id,
            paid_on=paid_on,
            amount=amount,
            currency=currency,
            payer_name=payer_name,
            reference=reference,
            party=party,
            allocations=allocations,
            auto_match=auto_match,
            note=note,
            key=key,
            errors=errors,
        )
    except IntegrityError:
        # A concurrent call with the same key won the race.
        existing = _by_key(entity_id, key)
        if existing is None:
            raise
        return existing


@transaction.atomic
def _register(
    *,
    actor: Any,
    legal_entity_id: int,
    paid_on: Any,
    amount: Any,
    currency: str | None,
    payer_name: str,
    reference: str,
    party: Any,
    allocations: Sequence[AllocationInput],
    auto_match: bool,
    note: str,
    key: str | None,
    errors: Errors,
) -> Payment:
    entity = LegalEntity.objects.get(pk=legal_entity_id)
    base = entity.base_currency
    currency = (currency or base).strip().upper()
    parsed = parse_money(amount)
    if parsed is None:
        add_error(
            errors,
            "amount",
            _("Enter an amount greater than zero with at most two decimals, such as 1250.00."),
            "invalid_amount",
        )
    if currency != base:
        add_error(
            errors,
            "currency",
            _(
                "Payments are registered in %(base)s, the currency of %(entity)s; this one is in "
                "%(currency)s. Register the amount the bank credited in %(base)s."
            )
            % {"base": base, "entity": entity.name, "currency": currency},
            "wrong_currency",
        )
    if not isinstance(paid_on, datetime.date):
        add_error(errors, "paid_on", _("Enter the date the payment was received."), "invalid_date")
    party_obj = None
    if party not in (None, ""):
        party_obj = (
            visible_to(Party.objects.all(), actor)
            .filter(legal_entity_id=legal_entity_id, pk=getattr(party, "pk", party))
            .first()
        )
        if party_obj is None:
            add_error(errors, "party", _("There is no such customer in this legal entity."), "unknown_party")
    checked = _check_allocations(
        actor=actor,
        legal_entity_id=legal_entity_id,
        currency=currency,
        allocations=allocations,
        limit=parsed,
        errors=errors,
    )
    raise_errors(errors)
    assert parsed is not None
    accounts = accounts_for(legal_entity_id)
    if not allocations and auto_match:
        matched = invoice_by_ocr(actor=actor, legal_entity=legal_entity_id, reference=reference)
        if matched is not None and matched.status == Invoice.Status.ISSUED and matched.currency == currency:
            checked = [_Allocation(matched, min(parsed, matched.open_amount))]
        if matched is not None and party_obj is None:
            party_obj = matched.party
    if party_obj is None:
        parties = {a.invoice.party_id for a in checked}
        if len(parties) == 1:
            party_obj = checked[0].invoice.party
    allocated = sum((a.amount for a in checked), ZERO)
    payment = Payment.objects.create(
        legal_entity_id=legal_entity_id,
        party=party_obj,
        paid_on=paid_on,
        amount=parsed,
        currency=currency,
        payer_name=(payer_name or "").strip()[:200],
        reference=(reference or "").strip()[:100],
        bank_account=accounts.bank,
        source=Payment.Source.MANUAL,
        unallocated_amount=parsed - allocated,
        note=(note or "").strip()[:200],
        idempotency_key=key,
        created_by=actor,
    )
    _settle(checked)
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(payment=payment, invoice=a.invoice, amount=a.amount, created_by=actor)
            for a in checked
        ]
    )
    payment.voucher = _post(
        actor=actor,
        legal_entity_id=legal_entity_id,
        accounts=accounts,
        date=paid_on,
        text=_voucher_text(_("Payment"), payment.payer_name, payment.reference),
        lines=registration_lines(accounts, parsed, allocated),
        source=payment,
    )
    payment.save(update_fields=["voucher", "updated_at"])
    audit_record(
        actor=actor,
        action="receivables.payment.registered",
        obj=payment,
        changes={
            "amount": [None, str(parsed)],
            "currency": [None, currency],
            "allocations": [None, [f"{a.invoice}: {a.amount}" for a in checked]],
            "voucher": [None, payment.voucher.reference],
        },
    )
    return payment


def _locked_payment(actor: Any, payment: Payment | int) -> Payment:
    pk = getattr(payment, "pk", payment)
    found = visible_to(Payment.objects.select_for_update(of=("self",)), actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError(_("There is no such payment."), code="unknown_payment")
    require_legal_entity(actor, found.legal_entity_id)
    return found


@transaction.atomic
def payment_allocate(
    *,
    actor: Any,
    payment: Payment | int,
    allocations: Sequence[AllocationInput],
    on: datetime.date | None = None,
    idempotency_key: str | None = None,
) -> Payment:
    """Allocate the unallocated part of a registered payment to one or more invoices.

    With a prepayment account, posts one voucher dated ``on`` (default today): debit 2420,
    credit receivables. Needs ``receivables.change_payment``. Errors as ``payment_register``;
    a repeated call with the same ``idempotency_key`` changes nothing. Writes
    ``receivables.payment.allocated``.
    """
    require_perm(actor, "receivables.change_payment")
    locked = _locked_payment(actor, payment)
    errors: Errors = {}
    key = _check_key(idempotency_key, errors)
    if key is not None and locked.allocations.filter(idempotency_key=key).exists():
        return locked
    if not allocations:
        add_error(errors, "allocations", _("Choose at least one invoice."), "required")
    checked = _check_allocations(
        actor=actor,
        legal_entity_id=locked.legal_entity_id,
        currency=locked.currency,
        allocations=allocations,
        limit=locked.unallocated_amount,
        errors=errors,
    )
    raise_errors(errors)
    on = on or timezone.localdate()
    accounts = accounts_for(locked.legal_entity_id)
    total = sum((a.amount for a in checked), ZERO)
    _settle(checked)
    voucher = None
    if accounts.prepayment is not None:
        voucher = _post(
            actor=actor,
            legal_entity_id=locked.legal_entity_id,
            accounts=accounts,
            date=on,
            text=_voucher_text(_("Payment allocated"), locked.payer_name, locked.reference),
            lines=[
                LineInput(account=accounts.prepayment.number, debit=total),
                LineInput(account=accounts.receivables.number, credit=total),
            ],
            source=locked,
        )
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(
                payment=locked,
                invoice=a.invoice,
                amount=a.amount,
                voucher=voucher,
                created_by=actor,
                idempotency_key=key,
            )
            for a in checked
        ]
    )
    locked.unallocated_amount -= total
    fields = ["unallocated_amount", "updated_at"]
    parties = {a.invoice.party_id for a in checked}
    if locked.party_id is None and len(parties) == 1:
        locked.party_id = parties.pop()
        fields.append("party")
    locked.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="receivables.payment.allocated",
        obj=locked,
        changes={
            "allocations": [None, [f"{a.invoice}: {a.amount}" for a in checked]],
            "unallocated_amount": [str(locked.unallocated_amount + total), str(locked.unallocated_amount)],
        },
    )
    return locked


@transaction.atomic
def payment_unallocate(
    *, actor: Any, allocation: PaymentAllocation | int, on: datetime.date | None = None
) -> Payment:
    """Undo one allocation: the invoice is open again and the money is unallocated on the
    payment (with a prepayment account, a voucher dated ``on`` moves it back: debit
    receivables, credit 2420). Needs ``receivables.change_payment``. Code ``already_reversed``
    when it was undone before. Writes ``receivables.payment.unallocated``."""
    require_perm(actor, "receivables.change_payment")
    pk = getattr(allocation, "pk", allocation)
    found = (
        visible_to(PaymentAllocation.objects.all(), actor)
        .filter(pk=pk)
        .values_list("payment_id", flat=True)
        .first()
    )
    if found is None:
        raise ValidationError(_("There is no such allocation."), code="unknown_allocation")
    payment = _locked_payment(actor, found)
    row = PaymentAllocation.objects.select_for_update().select_related("invoice").get(pk=pk)
    if row.reversed_at is not None:
        raise ValidationError(_("This allocation was already undone."), code="already_reversed")
    on = on or timezone.localdate()
    accounts = accounts_for(payment.legal_entity_id)
    invoice_settle(invoice=row.invoice, amount=-row.amount)
    if accounts.prepayment is not None:
        row.reversal_voucher = _post(
            actor=actor,
            legal_entity_id=payment.legal_entity_id,
            accounts=accounts,
            date=on,
            text=_voucher_text(_("Payment allocation undone"), str(row.invoice), payment.payer_name),
            lines=[
                LineInput(account=accounts.receivables.number, debit=row.amount),
                LineInput(account=accounts.prepayment.number, credit=row.amount),
            ],
            source=payment,
        )
    row.reversed_at = timezone.now()
    row.reversed_by = actor
    row.save(update_fields=["reversed_at", "reversed_by", "reversal_voucher"])
    payment.unallocated_amount += row.amount
    payment.save(update_fields=["unallocated_amount", "updated_at"])
    audit_record(
        actor=actor,
        action="receivables.payment.unallocated",
        obj=payment,
        changes={"allocations": [f"{row.invoice}: {row.amount}", None]},
    )
    return payment
