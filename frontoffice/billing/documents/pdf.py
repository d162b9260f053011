"""The invoice and credit note as a PDF (reportlab), in the invoice's language.

What mervärdesskattelagen (2023:200) 17 kap. 24 § asks of a full invoice, and where it is:

1. invoice date: the information box;
2. a unique number in a series: the information box (``F2026-00042``);
3. the seller's VAT number: the seller block and the footer;
4. the buyer's VAT number when the buyer is liable for the VAT (reverse charge, EU
   services): the buyer block (printed whenever the invoice has one);
5. the names and addresses of seller and buyer: the seller and buyer blocks;
6. quantity and nature of the goods, extent and kind of the services: the lines;
7. the delivery date: the information box;
8. net amount per VAT rate, 9. unit prices and discounts: the lines and the VAT table;
10. the VAT rate and 11. the VAT amount per rate: the VAT table; the total;
12. the reason when no VAT is charged (reverse charge, export, exemption): under the VAT
    table, from ``VatCode.exemption_reason``;
plus the organisation number and "Godkänd för F-skatt" when the seller holds F-tax
(skatteförfarandelagen; ``BillingSettings.f_tax_registered``), and the payment details:
bankgiro, plusgiro, IBAN and BIC, the OCR reference, due date and amount to pay. A credit
note is titled "Credit note" (Kreditfaktura) and names the invoice it credits (17 kap. 22 §).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from frontoffice.billing.documents import InvoiceDocument, invoice_document
from frontoffice.billing.documents import formatting as fmt
from frontoffice.billing.models import Invoice

F_TAX_STATEMENT = "Godkänd för F-skatt"  # the statement the law names, in Swedish in every language

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#999999")
SHADE = colors.HexColor("#f0f0f0")

BASE = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BASE, fontSize=7.5, leading=9.5, textColor=GREY)
STRONG = ParagraphStyle("strong", parent=BASE, fontName=BOLD)
RIGHT = ParagraphStyle("right", parent=BASE, alignment=TA_RIGHT)
RIGHT_STRONG = ParagraphStyle("right-strong", parent=RIGHT, fontName=BOLD)
HEADING = ParagraphStyle("heading", parent=BASE, fontName=BOLD, fontSize=8, textColor=GREY, spaceAfter=1)
SELLER = ParagraphStyle("seller", parent=BASE, fontName=BOLD, fontSize=14, leading=17)
TITLE = ParagraphStyle("title", parent=BASE, fontName=BOLD, fontSize=18, leading=22, alignment=TA_RIGHT)


def invoice_pdf(invoice: Invoice) -> bytes:
    """The issued invoice or credit note as PDF bytes, in ``invoice.language``.

    Raises ``ValidationError`` (code ``draft``) for a draft.
    """
    document = invoice_document(invoice)
    with translation.override(document.language):
        return _render(document)


def _p(text: str, style: ParagraphStyle = BASE) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _lines(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def _place(postal_code: str, city: str) -> str:
    return " ".join(part for part in (postal_code, city) if part)


def _title(doc: InvoiceDocument) -> str:
    return _("Credit note") if doc.is_credit_note else _("Invoice")


def _header(doc: InvoiceDocument, width: float) -> Table:
    seller = doc.seller
    left = [
        _p(seller.name, SELLER),
        _p(_lines(seller.street, _place(seller.postal_code, seller.city))),
    ]
    info_rows = [
        (_("Credit note number") if doc.is_credit_note else _("Invoice number"), doc.number),
        (_("Invoice date"), fmt.date(doc.issue_on)),
    ]
    if doc.delivery_on:
        info_rows.append((_("Delivery date"), fmt.date(doc.delivery_on)))
    if doc.is_credit_note and doc.credited_number:
        info_rows.append((_("Credits invoice"), doc.credited_number))
    if not doc.is_credit_note and doc.due_on:
        info_rows.append((_("Due date"), fmt.date(doc.due_on)))
    if doc.payment and doc.payment.reference:
        info_rows.append((_("OCR reference"), doc.payment.reference))
    if doc.buyer_reference:
        info_rows.append((_("Your reference"), doc.buyer_reference))
    if doc.seller_reference:
        info_rows.append((_("Our reference"), doc.seller_reference))
    info = Table(
        [[_p(label, SMALL), _p(value, STRONG)] for label, value in info_rows],
        colWidths=[32 * mm, 40 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        ),
    )
    right = [_p(_title(doc), TITLE), Spacer(1, 3 * mm), info]
    return Table(
        [[left, right]],
        colWidths=[width - 74 * mm, 74 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _buyer(doc: InvoiceDocument) -> list:
    buyer = doc.buyer
    country = buyer.country if buyer.country and buyer.country != doc.seller.country else ""
    ids = []
    if buyer.organisation_number:
        ids.append(f"{_('Organisation number')}: {buyer.organisation_number}")
    if buyer.vat_number:
        ids.append(f"{_('VAT number')}: {buyer.vat_number}")
    return [
        _p(_("Bill to"), HEADING),
        _p(buyer.name, STRONG),
        _p(_lines(buyer.street, _place(buyer.postal_code, buyer.city), country)),
        _p("\n".join(ids)),
    ]


def _table_style(header: bool = True) -> list:
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
        ]
    return style


def _line_table(doc: InvoiceDocument, width: float) -> Table:
    show_discount = any(line.discount_percent for line in doc.lines)
    header = [_("Description"), _("Quantity"), _("Unit"), _("Unit price")]
    if show_discount:
        header.append(_("Discount"))
    header += [_("VAT"), _("Amount")]
    rows = [[_p(text, HEADING if i == 0 else RIGHT) for i, text in enumerate(header)]]
    for line in doc.lines:
        description = line.description
        if line.product_code:
            description = f"{description} ({line.product_code})"
        row = [
            _p(description),
            _p(fmt.quantity(line.quantity), RIGHT),
            _p(line.unit_label, RIGHT),
            _p(fmt.number(line.unit_price), RIGHT),
        ]
        if show_discount:
            row.append(_p(fmt.percent(line.discount_percent) if line.discount_percent else "", RIGHT))
        row += [_p(fmt.percent(line.vat_rate), RIGHT), _p(fmt.number(line.net_amount), RIGHT)]
        rows.append(row)
    numbers = [18 * mm, 16 * mm, 22 * mm] + ([16 * mm] if show_discount else []) + [14 * mm, 26 * mm]
    widths = [width - sum(numbers), *numbers]
    return Table(rows, colWidths=widths, repeatRows=1, style=TableStyle(_table_style()))


def _vat_table(doc: InvoiceDocument, width: float) -> list:
    rows = [
        [
            _p(_("VAT rate"), HEADING),
            _p(_("Net amount"), RIGHT),
            _p(_("VAT amount"), RIGHT),
        ]
    ]
    for row in doc.vat:
        rate = fmt.percent(row.rate)
        name = rate if row.charges_vat else f"{row.name(doc.language)} {rate}"
        rows.append([_p(name), _p(fmt.number(row.net_amount), RIGHT), _p(fmt.number(row.vat_amount), RIGHT)])
    flow: list = [
        Table(rows, colWidths=[width - 60 * mm, 30 * mm, 30 * mm], style=TableStyle(_table_style()))
    ]
    reasons = [row.exemption_text for row in doc.vat if not row.charges_vat and row.exemption_text]
    for reason in reasons:
        flow += [Spacer(1, 1.5 * mm), _p(reason, STRONG)]
    return flow


def _totals(doc: InvoiceDocument, width: float) -> Table:
    rows = [
        (_("Net amount"), fmt.money(doc.net_amount, doc.currency), False),
        (_("VAT"), fmt.money(doc.vat_amount, doc.currency), False),
    ]
    if doc.rounding_amount:
        rows.append((_("Rounding"), fmt.money(doc.rounding_amount, doc.currency), False))
    final = _("Amount credited") if doc.is_credit_note else _("Amount to pay")
    rows.append((final, fmt.money(doc.total_amount, doc.currency), True))
    data = [
        [_p(label, RIGHT_STRONG if bold else RIGHT), _p(value, RIGHT_STRONG if bold else RIGHT)]
        for label, value, bold in rows
    ]
    style = [*_table_style(header=False), ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black)]
    return Table(data, colWidths=[width - 40 * mm, 40 * mm], style=TableStyle(style))


def _payment(doc: InvoiceDocument, width: float) -> list:
    if doc.is_credit_note:
        text = _("This credit note credits invoice %(number)s of %(date)s.") % {
            "number": doc.credited_number,
            "date": fmt.date(doc.credited_issue_on),
        }
        return [_p(text)]
    payment = doc.payment
    if payment is None:
        return []
    rows = []
    if payment.bankgiro:
        rows.append((_("Bankgiro"), payment.bankgiro))
    if payment.plusgiro:
        rows.append((_("Plusgiro"), payment.plusgiro))
    if payment.iban:
        rows.append((_("IBAN"), fmt.iban(payment.iban)))
    if payment.bic:
        rows.append((_("BIC"), payment.bic))
    if payment.reference:
        rows.append((_("OCR reference"), payment.reference))
    if payment.due_on:
        rows.append((_("Due date"), fmt.date(payment.due_on)))
    rows.append((_("Amount to pay"), fmt.money(payment.amount, doc.currency)))
    table = Table(
        [[_p(label, SMALL), _p(value, STRONG)] for label, value in rows],
        colWidths=[35 * mm, 70 * mm],
        style=TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.75, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
        hAlign="LEFT",
    )
    terms = _("Payment terms: %(days)s days net.") % {"days": doc.payment_terms_days}
    flow = [_p(_("Payment details"), HEADING), table, Spacer(1, 2 * mm), _p(terms, SMALL)]
    if doc.late_interest_text:
        flow.append(_p(doc.late_interest_text, SMALL))
    if payment.reference:
        flow.append(_p(_("Always state the OCR reference when you pay."), SMALL))
    return flow


def _footer_lines(doc: InvoiceDocument) -> list[str]:
    seller = doc.seller
    first = [seller.name, seller.street, _place(seller.postal_code, seller.city)]
    second = [f"{_('Organisation number')} {seller.organisation_number}"]
    if seller.vat_number:
        second.append(f"{_('VAT number')} {seller.vat_number}")
    if doc.f_tax_registered:
        second.append(F_TAX_STATEMENT)
    third = [seller.phone, seller.email, seller.website]
    return [" · ".join(part for part in parts if part) for parts in (first, second, third)]


def _render(doc: InvoiceDocument) -> bytes:
    buffer = io.BytesIO()
    margin = 18 * mm
    title = f"{_title(doc)} {doc.number}"
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=30 * mm,
        title=title,
        author=doc.seller.name,
        subject=title,
        creator="Frontoffice",
    )
    width = A4[0] - 2 * margin
    footer = _footer_lines(doc)
    page_label = _("Page")

    def on_page(canvas, template) -> None:
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.line(margin, 24 * mm, A4[0] - margin, 24 * mm)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        for i, text in enumerate(footer):
            canvas.drawString(margin, (20 - 3.6 * i) * mm, text)
        canvas.drawRightString(A4[0] - margin, 20 * mm, f"{title} · {page_label} {canvas.getPageNumber()}")
        canvas.restoreState()

    story: list = [_header(doc, width), Spacer(1, 8 * mm)]
    story += [
        Table(
            [[_buyer(doc), ""]],
            colWidths=[width / 2, width / 2],
            style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]),
        ),
        Spacer(1, 8 * mm),
        _line_table(doc, width),
        Spacer(1, 5 * mm),
    ]
    story.append(KeepTogether([*_vat_table(doc, width), Spacer(1, 4 * mm), _totals(doc, width)]))
    if doc.notes:
        story += [Spacer(1, 4 * mm), _p(doc.notes)]
    story += [Spacer(1, 6 * mm), KeepTogether(_payment(doc, width))]
    pdf.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
