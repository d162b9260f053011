"""Credit notes: crediting an issued invoice, whole or chosen lines, as a new document.

Invariants protected here:

- a credit note references the invoice it credits (``credits``) and each of its lines the
  invoice line it credits (``credits_line``); its amounts are positive, as printed;
- no invoice line is credited beyond what was invoiced, in quantity or in amount, across all
  its credit notes (the invoice row is locked while a credit note is made, so two clerks
  cannot both credit the last unit);
- amounts: a line credited in part has net ``line_net(quantity, price, discount)``, at most
  what is left of the line's net; the credit that completes a line takes exactly what is left.
  VAT is credited per VAT group on the RUNNING sum of credited nets (the VAT on everything
  credited so far, less the VAT the earlier credit notes gave back), so the credit notes of
  an invoice give back exactly its VAT per rate, never an öre more. The whole-krona rounding
  is given back by the credit note that completes the invoice;
- posting: ONE voucher, the reversal of the credited lines (receivables credit; revenue and
  VAT debits; rounding reversed), in the invoice voucher series, in the same transaction as
  the number (credit note series, gapless) and the open amounts;
- open amounts: the credit note's total first reduces what is still open on the invoice; what
  the invoice no longer owes (it was paid) stays on the credit note as a negative open
  amount, to be paid back or allocated. The invoice becomes ``credited`` when every line is
  fully credited, ``paid`` when nothing is left open, and stays ``issued`` otherwise.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.billing.models import Invoice, InvoiceLine
from frontoffice.billing.services.invoicing import (
    ISSUE_PERM,
    account_numbers,
    billing_settings_for,
    clean_idempotency_key,
    document_entry,
    series_for,
    take_numbers,
    totals_line,
)
from frontoffice.billing.services.totals import (
    ZERO,
    Totals,
    VatAmount,
    group_nets,
    line_clean,
    line_net,
    totals_from_groups,
    vat_amount,
)
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.models import JournalEntry
from frontoffice.finance.services.posting import journal_entry_post

COPIED_LINE_FIELDS = (
    "product_id",
    "description",
    "unit",
    "unit_price_amount",
    "discount_percent",
    "vat_rate",
    "price_source",
)
BUYER_FIELDS = (
    "buyer_name",
    "buyer_organisation_number",
    "buyer_vat_number",
    "buyer_street",
    "buyer_postal_code",
    "buyer_city",
    "buyer_country",
    "buyer_email",
    "buyer_reference",
    "seller_reference",
    "currency",
    "language",
)


def credited_so_far(invoice: Invoice) -> dict[int, tuple[Decimal, Decimal]]:
    """Per invoice line id: (quantity, net amount) credited by the invoice's credit notes."""
    rows = (
        InvoiceLine.objects.filter(credits_line__invoice_id=invoice.pk)
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .values("credits_line_id")
        .annotate(quantity=Sum("quantity"), net=Sum("net_amount"))
        .order_by()
    )
    # SQLite sums decimals as floats: back to exact decimals through str.
    return {
        row["credits_line_id"]: (
            Decimal(str(row["quantity"])).quantize(Decimal("0.001")),
            Decimal(str(row["net"])).quantize(Decimal("0.01")),
        )
        for row in rows
    }


def credit_note_totals(
    lines: Iterable[InvoiceLine],
    *,
    credited_before: Mapping[tuple[Decimal, Hashable], Decimal],
    rounding: Decimal,
) -> Totals:
    """A credit note's totals: VAT per group on the running sum of credited nets
    (``credited_before``: the nets earlier credit notes gave back per group)."""
    rows = []
    for (rate, group), net in group_nets(totals_line(line) for line in lines).items():
        before = credited_before.get((rate, group), ZERO)
        rows.append(
            VatAmount(
                group=group,
                rate=rate,
                net_amount=net,
                vat_amount=vat_amount(before + net, rate) - vat_amount(before, rate),
            )
        )
    return totals_from_groups(rows, rounding_amount=rounding)


def credit_note_vat_breakdown(note: Invoice) -> Totals:
    """The totals of a stored credit note, recomputed as it was made (for its page and PDF)."""
    earlier = (
        InvoiceLine.objects.filter(invoice__credits_id=note.credits_id, invoice_id__lt=note.pk)
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .select_related("vat_code")
    )
    return credit_note_totals(
        note.lines.select_related("vat_code"),
        credited_before=group_nets(totals_line(line) for line in earlier),
        rounding=note.rounding_amount,
    )


def _requested(lines: Any) -> dict[Any, Any] | None:
    if lines is None:
        return None
    if isinstance(lines, Mapping):
        return dict(lines)
    requested: dict[Any, Any] = {}
    for item in lines:
        if isinstance(item, Mapping):
            requested[item.get("line")] = item.get("quantity")
        else:
            line_id, quantity = item
            requested[line_id] = quantity
    return requested


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def credit_note_create(
    *,
    actor: Any,
    invoice: Invoice,
    reason: str,
    lines: Any = None,
    issue_on: datetime.date | None = None,
    idempotency_key: str | None = None,
) -> Invoice:
    """Issue a credit note for ``invoice``: the whole invoice (``lines=None``: everything not
    yet credited) or chosen lines, ``{line_id: quantity}`` (quantity ``None``: the rest of the
    line). Numbered in the credit note series, posted as the reversal of those lines, dated
    ``issue_on`` (default today); ``reason`` is printed on it.

    Needs ``billing.issue_invoice`` in the invoice's legal entity. Raises ``ValidationError``
    naming ``reason`` or ``lines.<id>`` (unknown line, quantity not positive, more than is
    left: ``over_credit``), or with code ``not_creditable``, ``already_credited``,
    ``no_lines``, ``zero_total``; ``PostingRejected`` if the ledger refuses the voucher.
    Nothing is written then. With an ``idempotency_key``, a repeated call returns the credit
    note made the first time.
    """
    require_perm(actor, ISSUE_PERM)
    require_legal_entity(actor, invoice.legal_entity_id)
    key = clean_idempotency_key(idempotency_key)
    if key is not None:
        existing = Invoice.objects.filter(
            legal_entity_id=invoice.legal_entity_id, idempotency_key=key
        ).first()
        if existing is not None:
            if existing.credits_id == invoice.pk:
                return existing
            raise ValidationError(
                _("This idempotency key was already used for another document."),
                code="idempotency_key_reused",
            )
    requested = _requested(lines)
    errors: dict[str, list[ValidationError]] = {}
    reason = " ".join(str(reason or "").split())
    if not reason:
        errors["reason"] = [ValidationError(_("Say why the invoice is credited."), code="required")]
    elif len(reason) > 1000:
        errors["reason"] = [ValidationError(_("At most 1000 characters."), code="too_long")]
    if requested is not None and not requested and not errors:
        raise ValidationError(_("Choose at least one line to credit."), code="no_lines")
    with transaction.atomic():
        original = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("series")
            .get(pk=invoice.pk, legal_entity_id=invoice.legal_entity_id)
        )
        if original.kind != Invoice.Kind.INVOICE or original.status not in (
            Invoice.Status.ISSUED,
            Invoice.Status.PAID,
            Invoice.Status.CREDITED,
        ):
            raise ValidationError(_("Only issued invoices can be credited."), code="not_creditable")
        invoice_lines = list(original.lines.select_related("vat_code", "revenue_account").order_by("line_no"))
        done = credited_so_far(original)

        def left(line: InvoiceLine) -> tuple[Decimal, Decimal]:
            quantity, net = done.get(line.pk, (Decimal("0"), ZERO))
            return line.quantity - quantity, line.net_amount - net

        if original.status == Invoice.Status.CREDITED or all(left(line)[0] <= 0 for line in invoice_lines):
            raise ValidationError(
                _("This invoice has already been credited in full."), code="already_credited"
            )
        by_id = {line.pk: line for line in invoice_lines}
        chosen: list[tuple[InvoiceLine, Decimal, Decimal]] = []  # (line, quantity, net)
        if requested is None:
            requested = {line.pk: None for line in invoice_lines if left(line)[0] > 0}
        for line_id, quantity in requested.items():
            field = f"lines.{line_id}"
            line = by_id.get(int(line_id)) if str(line_id).isdigit() else None
            if line is None:
                errors.setdefault(field, []).append(
                    ValidationError(_("The invoice has no such line."), code="unknown_line")
                )
                continue
            quantity_left, net_left = left(line)
            if quantity in (None, ""):
                quantity = quantity_left
            else:
                try:
                    quantity = line_clean(quantity=quantity, unit_price="0").quantity
                except ValidationError as exc:
                    errors.setdefault(field, []).extend(exc.error_dict["quantity"])
                    continue
            if quantity > quantity_left or quantity_left <= 0:
                errors.setdefault(field, []).append(
                    ValidationError(
                        _("Line %(n)s: at most %(left)s can still be credited.")
                        % {"n": line.line_no, "left": f"{max(quantity_left, Decimal(0)).normalize():f}"},
                        code="over_credit",
                    )
                )
                continue
            if quantity == quantity_left:
                net = net_left  # completes the line: exactly what is left
            else:
                net = min(line_net(quantity, line.unit_price_amount, line.discount_percent), net_left)
            chosen.append((line, quantity, net))
        if errors:
            raise ValidationError(errors)
        return _issue_credit_note(
            actor=actor,
            original=original,
            invoice_lines=invoice_lines,
            done=done,
            chosen=chosen,
            reason=reason,
            issue_on=issue_on or timezone.localdate(),
            key=key,
        )


def _issue_credit_note(
    *,
    actor: Any,
    original: Invoice,
    invoice_lines: list[InvoiceLine],
    done: dict[int, tuple[Decimal, Decimal]],
    chosen: list[tuple[InvoiceLine, Decimal, Decimal]],
    reason: str,
    issue_on: datetime.date,
    key: str | None,
) -> Invoice:
    settings = billing_settings_for(original.legal_entity_id)
    # Will every line be fully credited after this note?
    credited_now = {line.pk: quantity for line, quantity, _net in chosen}
    completes = all(
        done.get(line.pk, (Decimal("0"), ZERO))[0] + credited_now.get(line.pk, Decimal("0")) >= line.quantity
        for line in invoice_lines
    )
    earlier_notes = Invoice.objects.filter(credits=original).exclude(status=Invoice.Status.DRAFT)
    earlier = list(earlier_notes.values_list("net_amount", "vat_amount", "total_amount"))
    gross_before = sum((net + vat for net, vat, _total in earlier), ZERO)
    total_before = sum((total for _net, _vat, total in earlier), ZERO)
    credited_before = group_nets(
        totals_line(line)
        for line in InvoiceLine.objects.filter(invoice__in=earlier_notes).select_related("vat_code")
    )
    note_lines = [
        InvoiceLine(
            line_no=index,
            quantity=quantity,
            net_amount=net,
            credits_line=line,
            vat_code=line.vat_code,
            revenue_account=line.revenue_account,
            **{name: getattr(line, name) for name in COPIED_LINE_FIELDS},
        )
        for index, (line, quantity, net) in enumerate(chosen, start=1)
    ]
    unrounded = credit_note_totals(note_lines, credited_before=credited_before, rounding=ZERO)
    # What has been credited in total after this note: the invoice total when it completes
    # the invoice (its whole-krona rounding given back), else what the notes add up to, but
    # never more than the invoice total (an invoice rounded down is never over-credited).
    target = (
        original.total_amount
        if completes
        else min(gross_before + unrounded.total_amount, original.total_amount)
    )
    totals = credit_note_totals(
        note_lines,
        credited_before=credited_before,
        rounding=target - total_before - unrounded.total_amount,
    )
    if totals.total_amount <= ZERO:
        raise ValidationError(_("These lines add up to zero: there is nothing to credit."), code="zero_total")
    fully_credited = total_before + totals.total_amount == original.total_amount

    series = series_for(original.legal_entity_id, None, credit=True)
    number = take_numbers(series.pk, issue_on.year, 1)
    now = timezone.now()
    note = Invoice(
        legal_entity_id=original.legal_entity_id,
        kind=Invoice.Kind.CREDIT_NOTE,
        status=Invoice.Status.ISSUED,
        party_id=original.party_id,
        profile_id=original.profile_id,
        series=series,
        year=issue_on.year,
        number=number,
        credits=original,
        issue_on=issue_on,
        due_on=issue_on,
        payment_terms_days=0,
        notes=reason,
        net_amount=totals.net_amount,
        vat_amount=totals.vat_amount,
        rounding_amount=totals.rounding_amount,
        total_amount=totals.total_amount,
        idempotency_key=key,
        created_by=actor,
        issued_at=now,
        issued_by=actor,
        **{name: getattr(original, name) for name in BUYER_FIELDS},
    )
    # What the invoice still owes is reduced first; the rest is owed back to the customer.
    allocated = min(totals.total_amount, max(original.open_amount, ZERO))
    note.open_amount = -(totals.total_amount - allocated)
    note.save()
    for line in note_lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(note_lines)

    vat_accounts = account_numbers({line.vat_code.vat_account_id for line, _q, _n in chosen})
    entry = document_entry(
        invoice=note,
        lines=note_lines,
        totals=totals,
        settings=settings,
        vat_accounts=vat_accounts,
        text=_("Credit note %(ref)s for invoice %(invoice)s, %(buyer)s")
        % {"ref": note.reference, "invoice": original.reference, "buyer": note.buyer_name},
        reverse=True,
    )
    voucher = journal_entry_post(actor=actor, legal_entity=original.legal_entity_id, entry=entry)
    if voucher.status != JournalEntry.Status.POSTED:
        raise ValidationError(
            _("The invoice voucher series needs approval for postings; choose a system series."),
            code="voucher_not_posted",
        )
    note.voucher = voucher
    note.save(update_fields=["voucher", "updated_at"])

    open_before, status_before = original.open_amount, original.status
    original.open_amount = original.open_amount - allocated
    if fully_credited:
        original.status = Invoice.Status.CREDITED
    elif original.open_amount == ZERO:
        original.status = Invoice.Status.PAID
    original.save(update_fields=["open_amount", "status", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.credit_note.issued",
        obj=note,
        changes={
            "number": [None, note.reference],
            "credits": [None, original.reference],
            "voucher": [None, voucher.reference],
            "total_amount": [None, f"{note.total_amount:.2f}"],
        },
    )
    audit_record(
        actor=actor,
        action="billing.invoice.credited",
        obj=original,
        changes={
            "credit_note": [None, note.reference],
            "open_amount": [f"{open_before:.2f}", f"{original.open_amount:.2f}"],
            **({"status": [status_before, original.status]} if status_before != original.status else {}),
        },
    )
    return note


def credit_note_lines_left(invoice: Invoice) -> list[tuple[InvoiceLine, Decimal]]:
    """The invoice's lines with the quantity that can still be credited (for the credit form)."""
    done = credited_so_far(invoice)
    return [
        (line, line.quantity - done.get(line.pk, (Decimal("0"), ZERO))[0])
        for line in invoice.lines.select_related("vat_code").order_by("line_no")
    ]


__all__ = [
    "credit_note_create",
    "credit_note_lines_left",
    "credit_note_totals",
    "credit_note_vat_breakdown",
    "credited_so_far",
]
