"""The quote as a PDF (reportlab), in the quote's language (Swedish or English).

Built from billing's invoice PDF pieces (styles, paragraph and table helpers, number and date
formatting), so quotes and invoices look alike: seller, customer, quote number and dates,
introduction, lines, VAT per rate, total, terms, and the seller's details in the footer.
"""

from __future__ import annotations

import io

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from frontoffice.billing.documents import formatting as fmt
from frontoffice.billing.documents.pdf import (
    BASE,
    FONT,
    GREY,
    HEADING,
    RIGHT,
    RIGHT_STRONG,
    RULE,
    SELLER,
    SMALL,
    STRONG,
    TITLE,
    _lines,
    _p,
    _place,
    _table_style,
)
from frontoffice.billing.models import BillingProfile, BillingSettings
from frontoffice.quotes.models import Quote


def quote_pdf(quote: Quote) -> bytes:
    """The quote as PDF bytes, in ``quote.language``."""
    language = (quote.language or "sv").split("-")[0]
    with translation.override(language if language in ("sv", "en") else "en"):
        return _render(quote)


def _seller(quote: Quote) -> tuple[list[str], list[str]]:
    entity = quote.legal_entity
    settings = BillingSettings.objects.filter(legal_entity_id=quote.legal_entity_id).first()
    street = getattr(settings, "street", "") or ""
    place = _place(getattr(settings, "postal_code", "") or "", getattr(settings, "city", "") or "")
    first = [entity.name, street, place]
    second = (
        [f"{_('Organisation number')} {entity.organisation_number}"] if entity.organisation_number else []
    )
    if entity.vat_number:
        second.append(f"{_('VAT number')} {entity.vat_number}")
    third = [getattr(settings, name, "") or "" for name in ("phone", "email", "website")]
    return [entity.name, _lines(street, place)], [
        " · ".join(part for part in parts if part) for parts in (first, second, third)
    ]


def _buyer(quote: Quote) -> list:
    profile = BillingProfile.objects.filter(
        legal_entity_id=quote.legal_entity_id, party_id=quote.party_id, active=True
    ).first()
    flow = [_p(_("Quote for"), HEADING)]
    if profile is not None:
        flow += [
            _p(profile.legal_name, STRONG),
            _p(_lines(profile.street, _place(profile.postal_code, profile.city))),
        ]
        if profile.organisation_number:
            flow.append(_p(f"{_('Organisation number')}: {profile.organisation_number}"))
    else:
        flow.append(_p(str(quote.party), STRONG))
    return flow


def _render(quote: Quote) -> bytes:
    buffer = io.BytesIO()
    margin = 18 * mm
    title = f"{_('Quote')} {quote.reference}"
    (seller_name, seller_address), footer = _seller(quote)
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=30 * mm,
        title=title,
        author=seller_name,
        subject=title,
        creator="Frontoffice",
    )
    width = A4[0] - 2 * margin
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

    info_rows = [
        (_("Quote number"), quote.reference),
        (_("Quote date"), fmt.date(quote.issue_on)),
        (_("Valid until"), fmt.date(quote.valid_until)),
    ]
    if quote.owner:
        info_rows.append((_("Our reference"), quote.owner.get_full_name() or str(quote.owner)))
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
    header = Table(
        [[[_p(seller_name, SELLER), _p(seller_address)], [_p(_("Quote"), TITLE), Spacer(1, 3 * mm), info]]],
        colWidths=[width - 75 * mm, 75 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )
    story: list = [header, Spacer(1, 8 * mm), *_buyer(quote), Spacer(1, 6 * mm)]
    if quote.intro:
        story += [_p(quote.intro, BASE), Spacer(1, 5 * mm)]

    lines = list(quote.lines.select_related("product", "vat_code").order_by("line_no"))
    show_discount = any(line.discount_percent for line in lines)
    head = [_("Description"), _("Quantity"), _("Unit"), _("Unit price")]
    if show_discount:
        head.append(_("Discount"))
    head += [_("VAT"), _("Amount")]
    rows = [[_p(text, HEADING if i == 0 else RIGHT) for i, text in enumerate(head)]]
    for line in lines:
        description = line.description
        if line.product_id:
            description = f"{description} ({line.product.code})"
        row = [
            _p(description),
            _p(fmt.quantity(line.quantity), RIGHT),
            _p(line.get_unit_display(), RIGHT),
            _p(fmt.number(line.unit_price_amount), RIGHT),
        ]
        if show_discount:
            row.append(_p(fmt.percent(line.discount_percent) if line.discount_percent else "", RIGHT))
        row += [_p(fmt.percent(line.vat_rate), RIGHT), _p(fmt.number(line.net_amount), RIGHT)]
        rows.append(row)
    numbers = [18 * mm, 16 * mm, 22 * mm] + ([16 * mm] if show_discount else []) + [14 * mm, 26 * mm]
    story += [
        Table(
            rows, colWidths=[width - sum(numbers), *numbers], repeatRows=1, style=TableStyle(_table_style())
        ),
        Spacer(1, 5 * mm),
    ]

    from frontoffice.quotes.services import quote_totals

    totals = quote_totals(quote, lines)
    vat_rows = [[_p(_("VAT rate"), HEADING), _p(_("Net amount"), RIGHT), _p(_("VAT amount"), RIGHT)]]
    for row in totals.vat:
        vat_rows.append(
            [
                _p(fmt.percent(row.rate)),
                _p(fmt.number(row.net_amount), RIGHT),
                _p(fmt.number(row.vat_amount), RIGHT),
            ]
        )
    total_rows = [
        (_("Net amount"), fmt.money(totals.net_amount, quote.currency), False),
        (_("VAT"), fmt.money(totals.vat_amount, quote.currency), False),
    ]
    if totals.rounding_amount:
        total_rows.append((_("Rounding"), fmt.money(totals.rounding_amount, quote.currency), False))
    total_rows.append((_("Total"), fmt.money(totals.total_amount, quote.currency), True))
    total_table = Table(
        [
            [_p(label, RIGHT_STRONG if bold else RIGHT), _p(value, RIGHT_STRONG if bold else RIGHT)]
            for label, value, bold in total_rows
        ],
        colWidths=[width - 40 * mm, 40 * mm],
        style=TableStyle([*_table_style(header=False), ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black)]),
    )
    story.append(
        KeepTogether(
            [
                Table(
                    vat_rows, colWidths=[width - 60 * mm, 30 * mm, 30 * mm], style=TableStyle(_table_style())
                ),
                Spacer(1, 4 * mm),
                total_table,
            ]
        )
    )
    validity = _("This quote is valid until %(date)s.") % {"date": fmt.date(quote.valid_until)}
    story += [Spacer(1, 6 * mm), _p(validity, STRONG)]
    if quote.terms:
        story += [Spacer(1, 3 * mm), _p(_("Terms"), HEADING), _p(quote.terms)]
    pdf.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
