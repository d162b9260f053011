"""What the customer receives for an issued invoice or credit note: one view of the document.

The PDF (``documents.pdf``), the Peppol e-invoice (``documents.peppol``) and the customer's
invoice page read the same ``InvoiceDocument``, built by ``invoice_document``, so the three
always agree. Invariants:

- only issued documents (numbered, dated) are rendered; a draft raises ``ValidationError``
  (code ``draft``): a draft has no number, and a number is what makes it an invoice;
- everything printed about the buyer is the snapshot taken when the invoice was issued
  (``Invoice.buyer_*``); the seller comes from the legal entity and its billing settings;
- the VAT breakdown has one row per VAT category and rate (reverse charge and export are
  both 0 % but separate rows), and its VAT is computed on the row's summed net amounts with
  ``services.totals.vat_amount``, the rule the invoice's own totals follow; the document's
  totals are the invoice's stored totals, never recomputed;
- amounts on a credit note are positive, as printed; it has no payment details of its own.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from frontoffice.billing.documents import formatting
from frontoffice.billing.models import BillingSettings, Invoice, InvoiceLine, Unit, VatCategory
from frontoffice.billing.services.totals import vat_amount

ZERO = Decimal("0.00")
# Categories where no VAT is charged and the invoice must say why (ML 17 kap. 24 § 12).
NO_VAT_CATEGORIES = {c.value for c in VatCategory if c != VatCategory.STANDARD}


@dataclass(frozen=True)
class DocumentParty:
    name: str
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "SE"
    organisation_number: str = ""
    vat_number: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""

    @property
    def org_digits(self) -> str:
        """The organisation number as digits only (``5560360793``), as Peppol carries it."""
        return re.sub(r"\D", "", self.organisation_number)


@dataclass(frozen=True)
class DocumentLine:
    line_no: int
    description: str
    product_code: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    vat_category: str
    vat_rate: Decimal
    net_amount: Decimal

    @property
    def unit_label(self) -> str:
        try:
            return str(Unit(self.unit).label)
        except ValueError:
            return self.unit

    @property
    def quantity_display(self) -> str:
        return formatting.quantity(self.quantity)

    @property
    def vat_rate_display(self) -> str:
        return formatting.percent(self.vat_rate)

    @property
    def discount_display(self) -> str:
        return formatting.percent(self.discount_percent) if self.discount_percent else ""

    @property
    def gross_amount(self) -> Decimal:
        """Quantity times unit price before the discount, rounded to öre."""
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class VatRow:
    """One row of the VAT breakdown: a category and rate, the net of its lines, its VAT."""

    category: str
    rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    name_sv: str
    name_en: str
    # Why no VAT is charged (reverse charge, export, exempt): the VAT codes' texts.
    exemption_reasons: tuple[str, ...] = ()

    @property
    def charges_vat(self) -> bool:
        return self.category not in NO_VAT_CATEGORIES

    @property
    def rate_display(self) -> str:
        return formatting.percent(self.rate)

    @property
    def exemption_text(self) -> str:
        return "; ".join(self.exemption_reasons)

    def name(self, language: str) -> str:
        return self.name_sv if language.startswith("sv") else self.name_en


@dataclass(frozen=True)
class PaymentDetails:
    bankgiro: str
    plusgiro: str
    iban: str
    bic: str
    reference: str
    due_on: datetime.date | None
    amount: Decimal

    @property
    def iban_display(self) -> str:
        return formatting.iban(self.iban)


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: Invoice
    is_credit_note: bool
    number: str
    issue_on: datetime.date
    delivery_on: datetime.date | None
    due_on: datetime.date | None
    currency: str
    language: str
    seller: DocumentParty
    buyer: DocumentParty
    f_tax_registered: bool
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatRow, ...]
    net_amount: Decimal
    vat_amount: Decimal
    rounding_amount: Decimal
    total_amount: Decimal
    buyer_reference: str
    seller_reference: str
    notes: str
    payment_terms_days: int
    late_interest_text: str
    credited_number: str = ""
    credited_issue_on: datetime.date | None = None
    payment: PaymentDetails | None = None

    @property
    def reverse_charge(self) -> bool:
        return any(row.category == VatCategory.REVERSE_CHARGE for row in self.vat)

    @property
    def filename_stem(self) -> str:
        return self.number.replace("/", "-")


def _line(line: InvoiceLine) -> DocumentLine:
    return DocumentLine(
        line_no=line.line_no,
        description=line.description,
        product_code=line.product.code if line.product_id and line.product else "",
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price_amount,
        discount_percent=line.discount_percent,
        vat_category=line.vat_code.category,
        vat_rate=line.vat_rate,
        net_amount=line.net_amount,
    )


def vat_rows(lines: list[InvoiceLine]) -> tuple[VatRow, ...]:
    """The VAT breakdown of ``lines``: per (category, rate), highest rate first."""
    groups: dict[tuple[str, Decimal], dict[str, Any]] = {}
    for line in lines:
        code = line.vat_code
        key = (code.category, line.vat_rate.quantize(Decimal("0.01")))
        group = groups.setdefault(key, {"net": ZERO, "code": code, "reasons": []})
        group["net"] += line.net_amount
        reason = code.exemption_reason.strip()
        if code.category in NO_VAT_CATEGORIES and reason and reason not in group["reasons"]:
            group["reasons"].append(reason)
    rows = [
        VatRow(
            category=category,
            rate=rate,
            net_amount=group["net"],
            vat_amount=vat_amount(group["net"], rate) if category not in NO_VAT_CATEGORIES else ZERO,
            name_sv=group["code"].name_sv,
            name_en=group["code"].name_en,
            exemption_reasons=tuple(group["reasons"]),
        )
        for (category, rate), group in groups.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.rate, r.category)))


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    """The issued ``invoice`` (or credit note) as the customer receives it. Four queries."""
    if invoice.status == Invoice.Status.DRAFT or invoice.number is None:
        raise ValidationError(_("A draft has no invoice number yet: issue it first."), code="draft")
    invoice = (
        Invoice.objects.select_related("legal_entity", "series", "credits__series")
        .prefetch_related("lines__vat_code", "lines__product")
        .get(pk=invoice.pk)
    )
    lines = sorted(invoice.lines.all(), key=lambda line: line.line_no)
    entity = invoice.legal_entity
    settings_row = BillingSettings.objects.filter(legal_entity_id=entity.pk).first()
    seller = DocumentParty(
        name=entity.name,
        street=getattr(settings_row, "street", ""),
        postal_code=getattr(settings_row, "postal_code", ""),
        city=getattr(settings_row, "city", ""),
        country=entity.country,
        organisation_number=entity.organisation_number,
        vat_number=entity.vat_number,
        email=getattr(settings_row, "email", ""),
        phone=getattr(settings_row, "phone", ""),
        website=getattr(settings_row, "website", ""),
    )
    buyer = DocumentParty(
        name=invoice.buyer_name,
        street=invoice.buyer_street,
        postal_code=invoice.buyer_postal_code,
        city=invoice.buyer_city,
        country=invoice.buyer_country,
        organisation_number=invoice.buyer_organisation_number,
        vat_number=invoice.buyer_vat_number,
        email=invoice.buyer_email,
    )
    is_credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    payment = None
    if not is_credit_note and settings_row is not None:
        payment = PaymentDetails(
            bankgiro=settings_row.bankgiro,
            plusgiro=settings_row.plusgiro,
            iban=settings_row.iban,
            bic=settings_row.bic,
            reference=invoice.payment_reference,
            due_on=invoice.due_on,
            amount=invoice.total_amount,
        )
    credited = invoice.credits
    return InvoiceDocument(
        invoice=invoice,
        is_credit_note=is_credit_note,
        number=invoice.reference,
        issue_on=invoice.issue_on,
        delivery_on=invoice.delivery_on,
        due_on=invoice.due_on,
        currency=invoice.currency,
        language=(invoice.language or "sv").split("-")[0],
        seller=seller,
        buyer=buyer,
        f_tax_registered=bool(settings_row and settings_row.f_tax_registered),
        lines=tuple(_line(line) for line in lines),
        vat=vat_rows(lines),
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        rounding_amount=invoice.rounding_amount,
        total_amount=invoice.total_amount,
        buyer_reference=invoice.buyer_reference,
        seller_reference=invoice.seller_reference,
        notes=invoice.notes,
        payment_terms_days=invoice.payment_terms_days,
        late_interest_text=getattr(settings_row, "late_interest_text", ""),
        credited_number=credited.reference if credited else "",
        credited_issue_on=credited.issue_on if credited else None,
        payment=payment,
    )
