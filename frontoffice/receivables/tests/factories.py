"""Receivables test data: customers of both regions, issued invoices and credit notes.

Issued invoices are built with the ORM (number, OCR reference, totals, open amount) and get a
matching voucher posted through the ledger's service in series F (debit 1510, credit 3001 and
2611 at 25 %; the reverse for a credit note), so the 1510 balance equals the sum of open
amounts, as it will once ``billing.services.invoicing`` issues them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from frontoffice.billing.models import BillingProfile, Invoice, InvoiceSeries
from frontoffice.billing.services.ocr import invoice_payment_reference
from frontoffice.core.money import quantize
from frontoffice.finance.models import AccountBalance
from frontoffice.finance.services.posting import EntryInput, LineInput, journal_entry_post
from frontoffice.parties.tests.factories import make_party

ISSUE_ON = datetime.date(2026, 3, 1)


@dataclass
class Customers:
    north: Any  # owned by rep_north, North sales office
    south: Any  # owned by rep_south, South sales office
    other: Any  # a customer of the other legal entity


def make_customers(org: Any) -> Customers:
    admin = org.user("admin")
    return Customers(
        north=make_party(
            admin,
            kind="organisation",
            first_name="",
            last_name="",
            organisation_name="Norrsken Bygg AB",
            email="ekonomi@norrsken.example",
            location=org.sales_office,
            owner=org.user("rep_north"),
        ),
        south=make_party(
            admin,
            kind="organisation",
            first_name="",
            last_name="",
            organisation_name="Söderljus Tandvård AB",
            email="faktura@soderljus.example",
            location=org.south_office,
            owner=org.user("rep_south"),
            language="en",
        ),
        other=make_party(admin, first_name="Olle", last_name="Othercompany", location=org.other_office),
    )


def profile_for(party: Any) -> BillingProfile:
    profile, _ = BillingProfile.objects.get_or_create(
        legal_entity_id=party.legal_entity_id,
        party=party,
        defaults={
            "legal_name": party.display_name,
            "street": "Storgatan 1",
            "postal_code": "903 26",
            "city": "Umeå",
            "billing_email": party.email,
            "language": party.language,
        },
    )
    return profile


def _series(legal_entity_id: int, credit: bool) -> InvoiceSeries:
    return InvoiceSeries.objects.get(legal_entity_id=legal_entity_id, code="K" if credit else "F")


def make_invoice(
    org: Any,
    party: Any,
    total: str | Decimal = "1250.00",
    *,
    issue_on: datetime.date = ISSUE_ON,
    due_on: datetime.date | None = None,
    credit_note: bool = False,
    credits: Invoice | None = None,
    currency: str = "SEK",
    status: str = Invoice.Status.ISSUED,
) -> Invoice:
    """An issued invoice (or credit note) for ``total`` incl. 25 % VAT, posted to the ledger."""
    total = quantize(Decimal(total))
    net = quantize(total / Decimal("1.25"))
    vat = total - net
    series = _series(party.legal_entity_id, credit_note)
    year = issue_on.year
    number = (
        Invoice.objects.filter(series=series, year=year)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    profile = profile_for(party)
    invoice = Invoice.objects.create(
        legal_entity_id=party.legal_entity_id,
        kind=Invoice.Kind.CREDIT_NOTE if credit_note else Invoice.Kind.INVOICE,
        status=status,
        party=party,
        profile=profile,
        series=series,
        year=year,
        number=number,
        credits=credits,
        issue_on=issue_on,
        due_on=due_on or issue_on + datetime.timedelta(days=30),
        currency=currency,
        language=profile.language,
        buyer_name=profile.legal_name,
        buyer_email=profile.billing_email,
        payment_reference=""
        if credit_note
        else invoice_payment_reference(series_id=series.pk, year=year, number=number),
        net_amount=net,
        vat_amount=vat,
        total_amount=total,
        open_amount=-total if credit_note else total,
        issued_at=datetime.datetime(issue_on.year, issue_on.month, issue_on.day, 9, tzinfo=datetime.UTC),
    )
    receivable, revenue = ("credit", "debit") if credit_note else ("debit", "credit")
    voucher = journal_entry_post(
        actor=org.user("finance_manager"),
        legal_entity=party.legal_entity_id,
        entry=EntryInput(
            series="F",
            date=issue_on,
            text=f"{invoice.reference} {profile.legal_name}",
            lines=[
                LineInput(account="1510", **{receivable: total}),
                LineInput(account="3001", **{revenue: net}),
                LineInput(account="2611", **{revenue: vat}),
            ],
            source=invoice,
        ),
    )
    invoice.voucher = voucher
    invoice.save(update_fields=["voucher"])
    return invoice


def account_balance(legal_entity: Any, number: str) -> Decimal:
    """Debit minus credit of one account over every period, from the ledger's balances."""
    total = Decimal("0.00")
    for row in AccountBalance.objects.filter(
        account__legal_entity_id=getattr(legal_entity, "pk", legal_entity), account__number=number
    ).values("debit_amount", "credit_amount"):
        total += row["debit_amount"] - row["credit_amount"]
    return quantize(total)


def open_total(legal_entity: Any) -> Decimal:
    """The sum of open amounts of the legal entity's issued invoices and credit notes."""
    total = Decimal("0.00")
    for amount in (
        Invoice.objects.filter(legal_entity=legal_entity).issued().values_list("open_amount", flat=True)
    ):
        total += amount
    return quantize(total)
