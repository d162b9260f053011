"""Importing bank files: preview (nothing written), then import, all or nothing.

Invariants protected here:
- a file (by the SHA-256 of its bytes) is imported at most once per legal entity; the
  ``receivables_bankimport_once`` constraint backs the check against a concurrent import;
- a file with any bad row imports nothing: every problem is reported at once, each with its
  line and column (``bankfile.Problem``), including dates the ledger would refuse;
- each row becomes one payment with one voucher (posted together through
  ``journal_entries_post_batch``), matched by OCR reference like a manual payment: up to the
  invoice's open amount, remembering what earlier rows of the same file already paid;
- the column mapping the user chose is stored on the import and, when named, saved for the
  next file with the same columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontoffice.billing.models import Invoice
from frontoffice.billing.services.settlement import invoice_settle
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.finance.models import FiscalYear
from frontoffice.finance.services.posting import EntryInput, journal_entries_post_batch
from frontoffice.org.models import LegalEntity
from frontoffice.receivables.bankfile import (
    BankFile,
    BankRow,
    Mapping,
    Problem,
    parse_rows,
    read_bank_file,
)
from frontoffice.receivables.models import BankFileMapping, BankImport, Payment, PaymentAllocation
from frontoffice.receivables.services.common import ZERO, accounts_for, le_id, ocr_digits
from frontoffice.receivables.services.payments import registration_lines

STATUS_LABELS = {
    "matched": gettext_lazy("Pays the invoice"),
    "partial": gettext_lazy("Pays part of the invoice"),
    "overpaid": gettext_lazy("Pays the invoice; the rest stays unallocated"),
    "paid_already": gettext_lazy("The invoice is already paid; stays unallocated"),
    "invalid_ocr": gettext_lazy("Looks like an OCR number but the check digit is wrong; stays unallocated"),
    "no_match": gettext_lazy("No invoice found; stays unallocated"),
    "skipped": gettext_lazy("Outgoing; skipped"),
}


@dataclass
class PreviewRow:
    row: BankRow
    status: str
    invoice: Invoice | None = None
    allocate: Decimal = ZERO

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def unallocated(self) -> Decimal:
        return self.row.amount - self.allocate


@dataclass
class BankFilePreview:
    file: BankFile
    mapping: Mapping
    sha256: str
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicate: BankImport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.duplicate is None

    @property
    def payments(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.status != "skipped"]

    @property
    def total(self) -> Decimal:
        return sum((r.row.amount for r in self.payments), ZERO)

    @property
    def matched_count(self) -> int:
        return sum(1 for r in self.rows if r.invoice is not None and r.allocate > ZERO)

    @property
    def unmatched_count(self) -> int:
        return len(self.payments) - self.matched_count

    @property
    def skipped_count(self) -> int:
        return len(self.rows) - len(self.payments)


class BankFileRejected(ValidationError):
    """The file has bad rows: one message per problem, in line order; nothing was written."""

    def __init__(self, messages: list[ValidationError]):
        super().__init__(messages)
        self.code = "invalid_file"


def _looks_like_ocr(reference: str) -> bool:
    digits = "".join(reference.split()).replace("-", "")
    return len(digits) >= 2 and digits.isdigit() and digits.isascii()


def _match(actor: Any, legal_entity_id: int, rows: Sequence[BankRow]) -> list[PreviewRow]:
    """Propose an invoice per row by OCR reference; one query for the whole file."""
    wanted = {d for r in rows if not r.skipped and (d := ocr_digits(r.reference))}
    invoices: dict[str, Invoice] = {}
    if wanted:
        qs = (
            visible_to(Invoice.objects.all(), actor)
            .filter(legal_entity_id=legal_entity_id, kind=Invoice.Kind.INVOICE, payment_reference__in=wanted)
            .exclude(status=Invoice.Status.DRAFT)
            .select_related("series", "party")
            .order_by("issue_on", "pk")
        )
        for invoice in qs:
            invoices[invoice.payment_reference] = invoice  # the newest wins on a (theoretical) tie
    remaining: dict[int, Decimal] = {}
    result: list[PreviewRow] = []
    for row in rows:
        if row.skipped:
            result.append(PreviewRow(row, "skipped"))
            continue
        digits = ocr_digits(row.reference)
        invoice = invoices.get(digits) if digits else None
        if invoice is None:
            status = "invalid_ocr" if digits is None and _looks_like_ocr(row.reference) else "no_match"
            result.append(PreviewRow(row, status))
            continue
        open_amount = remaining.get(invoice.pk)
        if open_amount is None:
            settleable = invoice.status == Invoice.Status.ISSUED and invoice.currency == row.currency
            open_amount = invoice.open_amount if settleable else ZERO
        allocate = min(open_amount, row.amount)
        remaining[invoice.pk] = open_amount - allocate
        if allocate == ZERO:
            status = "paid_already"
        elif allocate < open_amount:
            status = "partial"
        elif allocate < row.amount:
            status = "overpaid"
        else:
            status = "matched"
        result.append(PreviewRow(row, status, invoice, allocate))
    return result


def _fiscal_problems(legal_entity_id: int, rows: Sequence[BankRow], mapping: Mapping) -> list[Problem]:
    """Rows dated outside every open fiscal year (the ledger would refuse their vouchers)."""
    years = list(
        FiscalYear.objects.filter(legal_entity_id=legal_entity_id, status=FiscalYear.Status.OPEN).values_list(
            "start_on", "end_on"
        )
    )
    problems = []
    for row in rows:
        if row.skipped or any(start <= row.paid_on <= end for start, end in years):
            continue
        problems.append(
            Problem(
                row.line,
                mapping.date,
                "no_fiscal_year",
                _("%(date)s is not in an open fiscal year of the company")
                % {"date": row.paid_on.isoformat()},
            )
        )
    return problems


def bank_file_preview(*, actor: Any, legal_entity: Any, data: bytes, mapping: Mapping) -> BankFilePreview:
    """Read ``data`` with ``mapping`` and propose a match per row. Writes nothing.

    Needs ``receivables.add_bankimport`` in the legal entity. Raises ``ValidationError`` when
    the file cannot be read at all (see ``bankfile.read_bank_file``) or the mapping names
    unknown columns; problems with single rows are listed in ``problems``.
    """
    require_perm(actor, "receivables.add_bankimport")
    entity_id = le_id(legal_entity)
    require_legal_entity(actor, entity_id)
    file = read_bank_file(data)
    sha = hashlib.sha256(data).hexdigest()
    base = LegalEntity.objects.values_list("base_currency", flat=True).get(pk=entity_id)
    rows, problems = parse_rows(file, mapping, base_currency=base)
    problems = sorted([*problems, *_fiscal_problems(entity_id, rows, mapping)], key=lambda p: p.line)
    return BankFilePreview(
        file=file,
        mapping=mapping,
        sha256=sha,
        rows=_match(actor, entity_id, rows),
        problems=problems,
        duplicate=BankImport.objects.filter(legal_entity_id=entity_id, sha256=sha)
        .select_related("imported_by")
        .first(),
    )


def _duplicate_error(existing: BankImport) -> ValidationError:
    return ValidationError(
        _(
            "This file was already imported on %(date)s as “%(name)s” by %(user)s; a file is imported only once."
        )
        % {
            "date": formats.date_format(existing.created_at, "SHORT_DATE_FORMAT"),
            "name": existing.file_name,
            "user": existing.imported_by or "—",
        },
        code="duplicate_file",
    )


@transaction.atomic
def bank_file_import(
    *,
    actor: Any,
    legal_entity: Any,
    data: bytes,
    file_name: str,
    mapping: Mapping,
    save_mapping_as: str = "",
) -> BankImport:
    """Import a bank file: one payment and one voucher per row, matched by OCR reference.

    All or nothing. Needs ``receivables.add_bankimport`` and ``receivables.add_payment``.
    Raises ``ValidationError`` with code ``duplicate_file`` (imported before), ``invalid_file``
    (one message per problem, "Line 5, column “Belopp”: ...") or the reading errors of
    ``bankfile.read_bank_file``. Writes ``receivables.bank_file.imported`` to the audit trail.
    """
    require_perm(actor, "receivables.add_payment")
    preview = bank_file_preview(actor=actor, legal_entity=legal_entity, data=data, mapping=mapping)
    entity_id = le_id(legal_entity)
    if preview.duplicate is not None:
        raise _duplicate_error(preview.duplicate)
    if preview.problems:
        raise BankFileRejected([ValidationError(str(p), code=p.code) for p in preview.problems])
    accounts = accounts_for(entity_id)
    try:
        with transaction.atomic():
            bank_import = BankImport.objects.create(
                legal_entity_id=entity_id,
                file_name=(file_name or "")[:255] or "bank.csv",
                sha256=preview.sha256,
                mapping={
                    **mapping.as_dict(),
                    "encoding": preview.file.encoding,
                    "delimiter": preview.file.delimiter,
                },
                row_count=len(preview.rows),
                matched_count=preview.matched_count,
                unmatched_count=preview.unmatched_count,
                skipped_count=preview.skipped_count,
                total_amount=preview.total,
                imported_by=actor,
            )
    except IntegrityError as exc:  # a concurrent import of the same file won
        existing = BankImport.objects.filter(legal_entity_id=entity_id, sha256=preview.sha256).first()
        if existing is None:
            raise
        raise _duplicate_error(existing) from exc
    rows = preview.payments
    payments = Payment.objects.bulk_create(
        [
            Payment(
                legal_entity_id=entity_id,
                party=r.invoice.party if r.invoice is not None else None,
                paid_on=r.row.paid_on,
                amount=r.row.amount,
                currency=r.row.currency,
                payer_name=r.row.payer,
                reference=r.row.reference,
                bank_account=accounts.bank,
                source=Payment.Source.BANK_FILE,
                bank_import=bank_import,
                bank_import_line=r.row.line,
                unallocated_amount=r.unallocated,
                created_by=actor,
            )
            for r in rows
        ]
    )
    allocations = [
        PaymentAllocation(payment=p, invoice=r.invoice, amount=r.allocate, created_by=actor)
        for p, r in zip(payments, rows, strict=True)
        if r.invoice is not None and r.allocate > ZERO
    ]
    per_invoice: dict[int, Decimal] = {}
    for allocation in allocations:
        per_invoice[allocation.invoice_id] = per_invoice.get(allocation.invoice_id, ZERO) + allocation.amount
    for invoice_id in sorted(per_invoice):  # a fixed lock order
        invoice_settle(invoice=invoice_id, amount=per_invoice[invoice_id])
    PaymentAllocation.objects.bulk_create(allocations)
    entries = [
        EntryInput(
            series=accounts.series,
            date=p.paid_on,
            text=" ".join(x for x in (_("Payment"), p.payer_name, p.reference) if x)[:200],
            lines=registration_lines(accounts, p.amount, p.amount - p.unallocated_amount),
            source=p,
        )
        for p in payments
    ]
    try:
        vouchers = journal_entries_post_batch(actor=actor, legal_entity=entity_id, entries=entries)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        messages = []
        for key, errors in exc.error_dict.items():
            line = rows[int(key.split(".")[1])].row.line if key.startswith("entries.") else None
            for error in errors:
                for message in error.messages:
                    messages.append(
                        ValidationError(
                            str(Problem(line, None, "posting_rejected", message)) if line else message,
                            code="posting_rejected",
                        )
                    )
        raise BankFileRejected(messages) from exc
    for payment, voucher in zip(payments, vouchers, strict=True):
        payment.voucher = voucher
    Payment.objects.bulk_update(payments, ["voucher"])
    name = (save_mapping_as or "").strip()[:100]
    if name:
        BankFileMapping.objects.update_or_create(
            legal_entity_id=entity_id,
            name=name,
            defaults={
                "columns": mapping.columns(),
                "skip_negative": mapping.skip_negative,
                "created_by": actor,
            },
        )
    audit_record(
        actor=actor,
        action="receivables.bank_file.imported",
        obj=bank_import,
        changes={
            "file_name": [None, bank_import.file_name],
            "sha256": [None, bank_import.sha256],
            "payments": [None, len(payments)],
            "matched": [None, bank_import.matched_count],
            "total_amount": [None, str(bank_import.total_amount)],
        },
    )
    return bank_import


def bank_file_mapping_suggest(
    *, actor: Any, legal_entity: Any, header: Sequence[str]
) -> BankFileMapping | None:
    """The most recently used saved mapping whose columns all appear in ``header``."""
    if not actor.has_perm("receivables.add_bankimport"):
        return None
    qs = visible_to(BankFileMapping.objects.all(), actor).filter(legal_entity_id=le_id(legal_entity))
    columns = set(header)
    for saved in qs.order_by("-updated_at", "-pk"):
        wanted = {v for v in (saved.columns or {}).values() if v}
        if wanted and wanted <= columns:
            return saved
    return None


def bank_file_mappings(*, actor: Any, legal_entity: Any) -> list[BankFileMapping]:
    return list(visible_to(BankFileMapping.objects.all(), actor).filter(legal_entity_id=le_id(legal_entity)))
