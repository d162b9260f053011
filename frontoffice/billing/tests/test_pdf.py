"""The invoice PDF carries what mervärdesskattelagen 17 kap. 24 § requires, read back as text.

Labels are compared with their translation in the invoice's language (``_()`` inside
``translation.override``), so the tests hold before and after the Swedish catalogue is filled;
numbers, amounts and dates are compared literally, in each language's formatting.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader

from frontoffice.billing.documents.pdf import invoice_pdf
from frontoffice.billing.models import Invoice
from frontoffice.billing.tests.document_factories import credit_all, issue, make_profile, seller_settings


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return norm(text)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def label(language: str, text: str) -> str:
    with translation.override(language):
        return norm(_(text))


@pytest.fixture
def seller(billing):
    return seller_settings(billing)


@pytest.fixture
def customer(billing, org):
    return make_profile(billing, owner=org.user("rep_north"), region=org.north)


def assert_all(text: str, items: list[str]) -> None:
    missing = [item for item in items if norm(item) not in text]
    assert not missing, f"missing from the PDF: {missing}\n---\n{text}"


def test_swedish_invoice_carries_every_item_the_law_requires(seller, customer):
    invoice = issue(customer, [("Undersökning", "2", "850.00", "SE25")], buyer_reference="Anna Berg")
    data = invoice_pdf(invoice)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    sv = lambda s: label("sv", s)  # noqa: E731
    assert_all(
        text,
        [
            sv("Invoice"),
            # invoice date and unique number
            sv("Invoice date"),
            "2026-03-16",
            sv("Invoice number"),
            "F2026-00001",
            # seller: name, address, organisation and VAT number, F-tax
            "Tandhälsan Norden AB",
            "Sjögatan 7",
            "903 25 Umeå",
            "556036-0793",
            "SE556036079301",
            "Godkänd för F-skatt",
            # buyer: name, address, organisation number
            "Norrsken Bygg AB",
            "Storgatan 1",
            "903 26 Umeå",
            "559016-2425",
            # quantity and nature of the goods or services, delivery date
            "Undersökning",
            sv("Quantity"),
            sv("Delivery date"),
            "2026-03-12",
            # net per rate, rate, VAT per rate, total
            "25 %",
            "1 700,00",
            "425,00",
            "2 125,00 kr",
            # payment details
            sv("Bankgiro"),
            "5050-1055",
            "SE45 5000 0000 0583 9825 7466",
            "ESSESESS",
            sv("OCR reference"),
            invoice.payment_reference,
            sv("Due date"),
            "2026-04-15",
            sv("Amount to pay"),
            # references
            "Anna Berg",
            "Karin Ek",
        ],
    )


def test_english_invoice_uses_english_formatting(seller, customer):
    invoice = issue(customer, [("Check-up", "2", "850.00", "SE25")], language="en")
    text = pdf_text(invoice_pdf(invoice))
    en = lambda s: label("en", s)  # noqa: E731
    assert_all(
        text,
        [
            en("Invoice"),
            en("Invoice date"),
            "16 March 2026",
            "F2026-00001",
            en("Delivery date"),
            "12 March 2026",
            "1,700.00",
            "425.00",
            "SEK 2,125.00",
            en("Due date"),
            "15 April 2026",
            "Godkänd för F-skatt",
            "SE556036079301",
            "556036-0793",
            invoice.payment_reference,
        ],
    )
    assert "2 125,00" not in text


def test_mixed_rates_show_net_and_vat_per_rate(seller, customer):
    invoice = issue(
        customer,
        [
            ("Undersökning", "1", "850.00", "SE25"),
            ("Lunch", "3", "95.50", "SE12"),
            ("Tandvårdsboken", "2", "199.00", "SE06"),
        ],
    )
    assert invoice.vat_amount == Decimal("212.50") + Decimal("34.38") + Decimal("23.88")
    text = pdf_text(invoice_pdf(invoice))
    assert_all(
        text,
        [
            "25 % 850,00 212,50",
            "12 % 286,50 34,38",
            "6 % 398,00 23,88",
            "1 805,26 kr",
        ],
    )


def test_discounted_line_shows_the_discount(seller, customer):
    invoice = issue(customer, [("Undersökning", "2", "850.00", "SE25", "10")])
    text = pdf_text(invoice_pdf(invoice))
    assert_all(text, ["10 %", "1 530,00", "382,50", "1 912,50 kr"])


def test_reverse_charge_prints_the_reason_and_the_buyers_vat_number(seller, billing, org):
    builder = make_profile(billing, name="Bygg & Montage AB", region=org.north)
    invoice = issue(builder, [("Takarbete", "10", "650.00", "OMV", "0", "HUR")])
    assert invoice.vat_amount == Decimal("0.00")
    text = pdf_text(invoice_pdf(invoice))
    assert_all(
        text,
        [
            "Bygg & Montage AB",
            "SE559016242501",
            "Omvänd betalningsskyldighet / Reverse charge",
            "6 500,00 kr",
        ],
    )


def test_export_invoice_prints_the_export_reason(seller, billing, org):
    buyer = make_profile(
        billing,
        name="Fjord Dental AS",
        organisation_number="",
        vat_number="NO999999999MVA",
        street="Karl Johans gate 1",
        postal_code="0154",
        city="Oslo",
        country="NO",
        language="en",
    )
    invoice = issue(buyer, [("Dental chair", "1", "40000.00", "EXP")])
    text = pdf_text(invoice_pdf(invoice))
    assert_all(
        text, ["Export utanför EU / Export outside the EU", "Fjord Dental AS", "0154 Oslo", "SEK 40,000.00"]
    )


def test_f_tax_statement_only_when_registered(billing, customer):
    seller_settings(billing, f_tax_registered=False)
    invoice = issue(customer, [("Undersökning", "1", "850.00", "SE25")])
    assert "F-skatt" not in pdf_text(invoice_pdf(invoice))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_credit_note_names_itself_and_the_credited_invoice(seller, customer, language):
    invoice = issue(customer, [("Undersökning", "2", "850.00", "SE25")], language=language)
    credit = credit_all(invoice)
    assert credit.kind == Invoice.Kind.CREDIT_NOTE
    text = pdf_text(invoice_pdf(credit))
    lang = lambda s: label(language, s)  # noqa: E731
    total = "2 125,00 kr" if language == "sv" else "SEK 2,125.00"
    assert_all(
        text,
        [
            lang("Credit note"),
            lang("Credit note number"),
            "K2026-00001",
            lang("Credits invoice"),
            "F2026-00001",
            total,
            "Tandhälsan Norden AB",
            "SE556036079301",
            "Norrsken Bygg AB",
            "Undersökning",
        ],
    )
    assert lang("Amount to pay") not in text
    assert invoice.payment_reference not in text


def test_swedish_credit_note_is_called_kreditfaktura_once_translated(seller, customer):
    """The Swedish title is the translation of "Credit note"; when the catalogue has it, it is
    "Kreditfaktura"."""
    credit = credit_all(issue(customer, [("Undersökning", "1", "850.00", "SE25")]))
    text = pdf_text(invoice_pdf(credit))
    title = label("sv", "Credit note")
    assert title in text
    assert title in ("Credit note", "Kreditfaktura")


def test_a_draft_has_no_pdf(seller, customer):
    invoice = issue(customer, [("Undersökning", "1", "850.00", "SE25")])
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.DRAFT, number=None, issue_on=None)
    invoice.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        invoice_pdf(invoice)
    assert exc.value.code == "draft"


def test_many_lines_flow_onto_more_pages(seller, customer):
    invoice = issue(customer, [(f"Rad {n}", "1", "10.00", "SE25") for n in range(1, 81)])
    data = invoice_pdf(invoice)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    text = pdf_text(data)
    assert_all(text, ["Rad 1 ", "Rad 80", "1 000,00 kr"])
