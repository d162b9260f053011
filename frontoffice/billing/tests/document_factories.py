"""Issued invoices and credit notes for the document tests (PDF, Peppol, customer page).

The documents slice only reads invoices, so these rows are written directly with the ORM, as
the invoicing service would leave them: numbered in series F (credit notes K), dated, the
buyer snapshot filled in, an OCR reference, lines with VAT code, rate and revenue account,
and totals that follow ``services.totals`` (VAT per category and rate on the summed nets).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Max

from frontoffice.billing.models import (
    BillingProfile,
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceSeries,
    VatCode,
)
from frontoffice.billing.services.ocr import invoice_payment_reference
from frontoffice.billing.services.totals import TotalsLine, invoice_totals, line_net
from frontoffice.parties.models import Party

ISSUE_DAY = datetime.date(2026, 3, 16)
DELIVERY_DAY = datetime.date(2026, 3, 12)

SELLER_SETTINGS = {
    "street": "Sjögatan 7",
    "postal_code": "903 25",
    "city": "Umeå",
    "phone": "+46 90 12 34 56",
    "email": "faktura@tandhalsan.example",
    "website": "tandhalsan.example",
    "bankgiro": "5050-1055",
    "plusgiro": "",
    "iban": "SE4550000000058398257466",
    "bic": "ESSESESS",
    "f_tax_registered": True,
    "late_interest_text": "Dröjsmålsränta enligt räntelagen.",
}


def seller_settings(legal_entity: Any, **fields: Any) -> BillingSettings:
    """The legal entity's billing settings with an address and payment accounts."""
    values = {**SELLER_SETTINGS, **fields}
    BillingSettings.objects.filter(legal_entity=legal_entity).update(**values)
    return BillingSettings.objects.get(legal_entity=legal_entity)


def make_profile(
    legal_entity: Any,
    *,
    name: str = "Norrsken Bygg AB",
    owner: Any = None,
    region: Any = None,
    **fields: Any,
) -> BillingProfile:
    """An organisation customer with a billing profile."""
    party = Party.objects.create(
        kind=Party.Kind.ORGANISATION,
        organisation_name=name,
        display_name=name,
        legal_entity=legal_entity,
        region=region,
        owner=owner,
    )
    fields.setdefault("legal_name", name)
    fields.setdefault("organisation_number", "559016-2425")
    fields.setdefault("vat_number", "SE559016242501")
    fields.setdefault("street", "Storgatan 1")
    fields.setdefault("postal_code", "903 26")
    fields.setdefault("city", "Umeå")
    fields.setdefault("billing_email", "faktura@norrsken.example")
    return BillingProfile.objects.create(legal_entity=legal_entity, party=party, **fields)


def _next_number(series: InvoiceSeries, year: int) -> int:
    top = Invoice.objects.filter(series=series, year=year).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def issue(
    profile: BillingProfile,
    lines: list[tuple[Any, ...]],
    *,
    credits: Invoice | None = None,
    issue_on: datetime.date = ISSUE_DAY,
    delivery_on: datetime.date | None = DELIVERY_DAY,
    language: str | None = None,
    round_to_whole_krona: bool = False,
    **fields: Any,
) -> Invoice:
    """An issued invoice (or, with ``credits``, a credit note) for ``profile``.

    ``lines`` are ``(description, quantity, unit price, VAT code[, discount %[, unit]])``.
    """
    le = profile.legal_entity
    kind = Invoice.Kind.CREDIT_NOTE if credits is not None else Invoice.Kind.INVOICE
    series = InvoiceSeries.objects.get(legal_entity=le, code="K" if credits is not None else "F")
    year = issue_on.year
    number = fields.pop("number", None) or _next_number(series, year)
    codes = {c.code: c for c in VatCode.objects.filter(legal_entity=le)}
    built = []
    for no, spec in enumerate(lines, start=1):
        description, quantity, price, code = spec[:4]
        discount = Decimal(spec[4]) if len(spec) > 4 else Decimal("0")
        unit = spec[5] if len(spec) > 5 else "C62"
        vat_code = codes[code]
        quantity, price = Decimal(quantity), Decimal(price)
        built.append(
            InvoiceLine(
                line_no=no,
                description=description,
                quantity=quantity,
                unit=unit,
                unit_price_amount=price,
                discount_percent=discount,
                vat_code=vat_code,
                vat_rate=vat_code.rate,
                revenue_account=vat_code.revenue_account,
                net_amount=line_net(quantity, price, discount),
            )
        )
    totals = invoice_totals(
        [TotalsLine(line.net_amount, line.vat_rate, line.vat_code.category) for line in built],
        round_to_whole_krona=round_to_whole_krona,
    )
    due_on = issue_on + datetime.timedelta(days=profile.payment_terms_days)
    invoice = Invoice.objects.create(
        legal_entity=le,
        kind=kind,
        status=Invoice.Status.ISSUED,
        party=profile.party,
        profile=profile,
        series=series,
        year=year,
        number=number,
        credits=credits,
        issue_on=issue_on,
        delivery_on=delivery_on,
        due_on=None if credits is not None else due_on,
        payment_terms_days=profile.payment_terms_days,
        currency=profile.currency,
        language=language or profile.language,
        buyer_name=profile.legal_name,
        buyer_organisation_number=profile.organisation_number,
        buyer_vat_number=profile.vat_number,
        buyer_street=profile.street,
        buyer_postal_code=profile.postal_code,
        buyer_city=profile.city,
        buyer_country=profile.country,
        buyer_email=profile.billing_email,
        buyer_reference=fields.pop("buyer_reference", profile.buyer_reference),
        seller_reference=fields.pop("seller_reference", "Karin Ek"),
        payment_reference=invoice_payment_reference(series_id=series.pk, year=year, number=number),
        net_amount=totals.net_amount,
        vat_amount=totals.vat_amount,
        rounding_amount=totals.rounding_amount,
        total_amount=totals.total_amount,
        open_amount=-totals.total_amount if credits is not None else totals.total_amount,
        **fields,
    )
    for line in built:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(built)
    return invoice


def credit_all(invoice: Invoice, **fields: Any) -> Invoice:
    """A credit note for every line of ``invoice``."""
    lines = [
        (
            line.description,
            line.quantity,
            line.unit_price_amount,
            line.vat_code.code,
            line.discount_percent,
            line.unit,
        )
        for line in invoice.lines.select_related("vat_code").order_by("line_no")
    ]
    fields.setdefault("delivery_on", invoice.delivery_on)
    fields.setdefault("language", invoice.language)
    return issue(invoice.profile, lines, credits=invoice, **fields)
