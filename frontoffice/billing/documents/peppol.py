"""The issued invoice or credit note as a Peppol BIS Billing 3.0 e-invoice (UBL 2.1).

One UBL ``Invoice`` (type 380) or ``CreditNote`` (type 381) per document, with the rules that
decide its shape (EN 16931 ``BR-*``, Peppol ``PEPPOL-EN16931-*``, Swedish ``SE-R-*``):

- seller and buyer have an electronic address (``EndpointID``): the buyer profile's Peppol id
  (``0007:5560360793``), otherwise a Swedish buyer's organisation number under scheme 0007;
  the seller's is its organisation number under 0007 (R010, R020; COMMON-R049);
- the seller's VAT number (SE + 10 digits + 01, SE-R-001/002), its organisation number as
  ten digits (SE-R-003/004/013) and, when registered, "Godkänd för F-skatt" as a tax
  registration with TaxScheme ``TAX`` (SE-R-005);
- a buyer reference is mandatory (R003): the invoice's, else the profile's, else the
  invoice number, so the document stays valid when the customer gave none;
- payment by credit transfer, code 30, with the bankgiro (``SE:BANKGIRO``, digits only;
  SE-R-008/009), plusgiro or IBAN/BIC, and the OCR reference as ``PaymentID``;
- one ``TaxSubtotal`` per VAT category and rate (the ``InvoiceDocument`` breakdown), a
  ``TaxExemptionReason`` and VATEX code for every category but S; S only at 25, 12 or 6 %
  (SE-R-006); documents with "outside the scope" (O) lines carry no VAT numbers, no rate and no
  other category (BR-O-02, BR-O-05, BR-O-11), so mixing them is refused;
- line discounts are a line allowance (reason code 95) of the gross line amount, so that
  ``LineExtensionAmount`` = quantity x price - allowance (R120, BR-CO-10) with the price
  as typed; amounts have two decimals (BR-DEC);
- a credit note refers to the invoice it credits (``BillingReference``), its amounts are
  positive, and it states its settlement in ``PaymentTerms`` (BR-CO-25).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from frontoffice.billing.documents import InvoiceDocument, VatRow, invoice_document
from frontoffice.billing.models import Invoice, VatCategory

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
F_TAX_STATEMENT = "Godkänd för F-skatt"

NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SWEDISH_ORG_SCHEME = "0007"
# VATEX codes (CEF VAT exemption reason code list) that name the category's own reason.
VATEX = {
    VatCategory.REVERSE_CHARGE: "VATEX-EU-AE",
    VatCategory.EXPORT: "VATEX-EU-G",
    VatCategory.OUTSIDE_SCOPE: "VATEX-EU-O",
    VatCategory.INTRA_EU: "VATEX-EU-IC",
}
CENT = Decimal("0.01")


def invoice_ubl(invoice: Invoice) -> bytes:
    """The issued ``invoice`` as Peppol BIS Billing 3.0 UBL XML (UTF-8 bytes).

    Raises ``ValidationError`` for a draft (code ``draft``), a buyer without an electronic
    address (``no_buyer_endpoint``) or lines outside the scope of VAT mixed with other
    categories (``outside_scope_mixed``).
    """
    document = invoice_document(invoice)
    with translation.override(document.language):
        root = _build(document)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _cbc(parent: ET.Element, tag: str, text: object, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS['cbc']}}}{tag}", attrs)
    element.text = str(text)
    return element


def _cac(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{NS['cac']}}}{name}")


def _amount(parent: ET.Element, name: str, value: Decimal, currency: str) -> ET.Element:
    return _cbc(parent, name, f"{Decimal(value).quantize(CENT):f}", currencyID=currency)


def _decimal(value: Decimal) -> str:
    """A quantity, price or rate without trailing zeros (``2``, ``1.5``, ``25``)."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _swedish_org(value: str) -> str:
    """Ten digits of a Swedish organisation number, or ``""``."""
    digits = _digits(value)
    if len(digits) == 12:  # with century
        digits = digits[2:]
    return digits if len(digits) == 10 else ""


def _buyer_endpoint(doc: InvoiceDocument) -> tuple[str, str]:
    peppol_id = (doc.invoice.profile.peppol_id or "").strip()
    if ":" in peppol_id:
        scheme, value = peppol_id.split(":", 1)
        if scheme.strip().isdigit() and value.strip():
            return scheme.strip(), value.strip()
    org = _swedish_org(doc.buyer.organisation_number) if doc.buyer.country == "SE" else ""
    if org:
        return SWEDISH_ORG_SCHEME, org
    raise ValidationError(
        _("The customer has no Peppol address: add their Peppol participant id to the billing profile."),
        code="no_buyer_endpoint",
    )


def _address(party: ET.Element, street: str, city: str, postal_code: str, country: str) -> None:
    address = _cac(party, "PostalAddress")
    if street:
        _cbc(address, "StreetName", street)
    if city:
        _cbc(address, "CityName", city)
    if postal_code:
        _cbc(address, "PostalZone", postal_code)
    _cbc(_cac(address, "Country"), "IdentificationCode", country or "SE")


def _tax_scheme(party: ET.Element, company_id: str, scheme: str) -> None:
    tax = _cac(party, "PartyTaxScheme")
    _cbc(tax, "CompanyID", company_id)
    _cbc(_cac(tax, "TaxScheme"), "ID", scheme)


def _seller(root: ET.Element, doc: InvoiceDocument, with_vat: bool) -> None:
    seller = doc.seller
    org = _swedish_org(seller.organisation_number)
    party = _cac(_cac(root, "AccountingSupplierParty"), "Party")
    _cbc(party, "EndpointID", org, schemeID=SWEDISH_ORG_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", seller.name)
    _address(party, seller.street, seller.city, seller.postal_code, seller.country)
    if with_vat and seller.vat_number:
        _tax_scheme(party, seller.vat_number.replace(" ", "").upper(), "VAT")
    if doc.f_tax_registered:
        _tax_scheme(party, F_TAX_STATEMENT, "TAX")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", seller.name)
    _cbc(legal, "CompanyID", org, schemeID=SWEDISH_ORG_SCHEME)
    if seller.phone or seller.email:
        contact = _cac(party, "Contact")
        if doc.seller_reference:
            _cbc(contact, "Name", doc.seller_reference)
        if seller.phone:
            _cbc(contact, "Telephone", seller.phone)
        if seller.email:
            _cbc(contact, "ElectronicMail", seller.email)


def _buyer(root: ET.Element, doc: InvoiceDocument, with_vat: bool) -> None:
    buyer = doc.buyer
    scheme, endpoint = _buyer_endpoint(doc)
    party = _cac(_cac(root, "AccountingCustomerParty"), "Party")
    _cbc(party, "EndpointID", endpoint, schemeID=scheme)
    _cbc(_cac(party, "PartyName"), "Name", buyer.name)
    _address(party, buyer.street, buyer.city, buyer.postal_code, buyer.country)
    if with_vat and buyer.vat_number:
        _tax_scheme(party, buyer.vat_number.replace(" ", "").upper(), "VAT")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", buyer.name)
    org = _swedish_org(buyer.organisation_number) if buyer.country == "SE" else ""
    if org:
        _cbc(legal, "CompanyID", org, schemeID=SWEDISH_ORG_SCHEME)
    elif buyer.organisation_number.strip():
        _cbc(legal, "CompanyID", buyer.organisation_number.strip())
    if buyer.email:
        _cbc(_cac(party, "Contact"), "ElectronicMail", buyer.email)


def _payment_means(root: ET.Element, doc: InvoiceDocument) -> None:
    payment = doc.payment
    if payment is None:
        return
    accounts: list[tuple[str, str]] = []  # (account id, branch id)
    bankgiro, plusgiro = _digits(payment.bankgiro), _digits(payment.plusgiro)
    iban = payment.iban.replace(" ", "").upper()
    domestic = doc.buyer.country == "SE"
    if bankgiro:
        accounts.append((bankgiro, "SE:BANKGIRO"))
    if plusgiro:
        accounts.append((plusgiro, "SE:PLUSGIRO"))
    if iban:
        accounts.insert(len(accounts) if domestic else 0, (iban, payment.bic.strip().upper()))
    if not accounts:
        return
    # One credit transfer: the account the customer is most likely to use.
    account_id, branch_id = accounts[0]
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", "30", name="Credit transfer")
    if payment.reference:
        _cbc(means, "PaymentID", payment.reference)
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", account_id)
    _cbc(account, "Name", doc.seller.name)
    if branch_id:
        _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", branch_id)


def _payment_terms(root: ET.Element, doc: InvoiceDocument) -> None:
    if doc.is_credit_note:
        note = _("Credits invoice %(number)s.") % {"number": doc.credited_number}
    else:
        note = _("Payment terms: %(days)s days net.") % {"days": doc.payment_terms_days}
        if doc.late_interest_text:
            note = f"{note} {doc.late_interest_text}"
    _cbc(_cac(root, "PaymentTerms"), "Note", note)


def _tax_category(parent: ET.Element, name: str, row: VatRow | None, category: str, rate: Decimal) -> None:
    tax_category = _cac(parent, name)
    _cbc(tax_category, "ID", category)
    if category != VatCategory.OUTSIDE_SCOPE:  # BR-O-05, BR-48: "outside the scope" has no rate
        _cbc(tax_category, "Percent", _decimal(rate))
    if row is not None and category != VatCategory.STANDARD:
        if category in VATEX:
            _cbc(tax_category, "TaxExemptionReasonCode", VATEX[category])
        reason = row.exemption_text or row.name_en
        _cbc(tax_category, "TaxExemptionReason", reason)
    _cbc(_cac(tax_category, "TaxScheme"), "ID", "VAT")


def _tax_total(root: ET.Element, doc: InvoiceDocument) -> None:
    total = _cac(root, "TaxTotal")
    _amount(total, "TaxAmount", sum((row.vat_amount for row in doc.vat), Decimal("0.00")), doc.currency)
    for row in doc.vat:
        subtotal = _cac(total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", row.net_amount, doc.currency)
        _amount(subtotal, "TaxAmount", row.vat_amount, doc.currency)
        _tax_category(subtotal, "TaxCategory", row, row.category, row.rate)


def _monetary_total(root: ET.Element, doc: InvoiceDocument) -> None:
    lines_total = sum((line.net_amount for line in doc.lines), Decimal("0.00"))
    vat_total = sum((row.vat_amount for row in doc.vat), Decimal("0.00"))
    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", lines_total, doc.currency)
    _amount(totals, "TaxExclusiveAmount", lines_total, doc.currency)
    _amount(totals, "TaxInclusiveAmount", lines_total + vat_total, doc.currency)
    if doc.rounding_amount:
        _amount(totals, "PayableRoundingAmount", doc.rounding_amount, doc.currency)
    _amount(totals, "PayableAmount", lines_total + vat_total + doc.rounding_amount, doc.currency)


def _lines(root: ET.Element, doc: InvoiceDocument) -> None:
    line_name = "CreditNoteLine" if doc.is_credit_note else "InvoiceLine"
    quantity_name = "CreditedQuantity" if doc.is_credit_note else "InvoicedQuantity"
    for line in doc.lines:
        element = _cac(root, line_name)
        _cbc(element, "ID", line.line_no)
        _cbc(element, quantity_name, _decimal(line.quantity), unitCode=line.unit)
        _amount(element, "LineExtensionAmount", line.net_amount, doc.currency)
        allowance = line.gross_amount - line.net_amount
        if line.discount_percent and allowance:
            charge = _cac(element, "AllowanceCharge")
            _cbc(charge, "ChargeIndicator", "false")
            _cbc(charge, "AllowanceChargeReasonCode", "95")
            _cbc(charge, "AllowanceChargeReason", _("Discount"))
            _cbc(charge, "MultiplierFactorNumeric", _decimal(line.discount_percent))
            _amount(charge, "Amount", allowance, doc.currency)
            _amount(charge, "BaseAmount", line.gross_amount, doc.currency)
        item = _cac(element, "Item")
        _cbc(item, "Name", line.description[:200])
        if line.product_code:
            _cbc(_cac(item, "SellersItemIdentification"), "ID", line.product_code)
        _tax_category(item, "ClassifiedTaxCategory", None, line.vat_category, line.vat_rate)
        price = _cac(element, "Price")
        _cbc(price, "PriceAmount", _decimal(line.unit_price.quantize(CENT)), currencyID=doc.currency)


def _check(doc: InvoiceDocument) -> None:
    categories = {row.category for row in doc.vat}
    if VatCategory.OUTSIDE_SCOPE in categories and len(categories) > 1:
        raise ValidationError(
            _(
                "A Peppol invoice cannot mix lines outside the scope of VAT with other lines: "
                "invoice them separately."
            ),
            code="outside_scope_mixed",
        )
    _buyer_endpoint(doc)


def ubl_available(doc: InvoiceDocument) -> bool:
    """Whether ``doc`` can be exported (the buyer has an electronic address, no mixed O lines)."""
    try:
        _check(doc)
    except ValidationError:
        return False
    return True


def _build(doc: InvoiceDocument) -> ET.Element:
    _check(doc)
    categories = {row.category for row in doc.vat}
    # BR-O-02: a document outside the scope of VAT names no VAT numbers.
    with_vat = VatCategory.OUTSIDE_SCOPE not in categories
    kind = "CreditNote" if doc.is_credit_note else "Invoice"
    for prefix in ("cac", "cbc"):
        ET.register_namespace(prefix, NS[prefix])
    # The document element takes its namespace from a literal default-namespace declaration, so
    # it is written as <Invoice xmlns="...">, as UBL documents usually are; every other element
    # is in cac or cbc and carries its prefix (no global namespace registration needed for it).
    root = ET.Element(kind, {"xmlns": NS[kind]})
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", doc.issue_on.isoformat())
    if not doc.is_credit_note and doc.due_on:
        _cbc(root, "DueDate", doc.due_on.isoformat())
    _cbc(
        root,
        "CreditNoteTypeCode" if doc.is_credit_note else "InvoiceTypeCode",
        "381" if doc.is_credit_note else "380",
    )
    if doc.notes.strip():
        _cbc(root, "Note", doc.notes.strip())
    _cbc(root, "DocumentCurrencyCode", doc.currency)
    _cbc(root, "BuyerReference", doc.buyer_reference or doc.invoice.profile.buyer_reference or doc.number)
    if doc.is_credit_note and doc.credited_number:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", doc.credited_number)
        if doc.credited_issue_on:
            _cbc(reference, "IssueDate", doc.credited_issue_on.isoformat())
    _seller(root, doc, with_vat)
    _buyer(root, doc, with_vat)
    if doc.delivery_on:
        _cbc(_cac(root, "Delivery"), "ActualDeliveryDate", doc.delivery_on.isoformat())
    _payment_means(root, doc)
    _payment_terms(root, doc)
    _tax_total(root, doc)
    _monetary_total(root, doc)
    _lines(root, doc)
    return root
