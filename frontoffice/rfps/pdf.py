"""The RFP response as a PDF (reportlab): a cover page (title, issuer, reference, due date, our
company, owner) and every requirement with its answer, in Swedish or English."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from frontoffice.rfps.models import Requirement, RequirementStatus, Rfp

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
GREY = colors.HexColor("#555555")

BASE = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=13)
SMALL = ParagraphStyle("small", parent=BASE, fontSize=8, leading=10, textColor=GREY)
LABEL = ParagraphStyle("label", parent=BASE, fontName=BOLD, fontSize=9, textColor=GREY, spaceBefore=6)
COVER_TITLE = ParagraphStyle(
    "cover-title", parent=BASE, fontName=BOLD, fontSize=22, leading=27, spaceAfter=12
)
HEADING = ParagraphStyle("heading", parent=BASE, fontName=BOLD, fontSize=14, leading=18, spaceAfter=6)
REQ = ParagraphStyle("req", parent=BASE, fontName=BOLD, spaceBefore=8)
ANSWER = ParagraphStyle("answer", parent=BASE, leftIndent=6 * mm)

LANGUAGES = ("sv", "en")


def _p(text: str, style: ParagraphStyle = BASE) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def rfp_pdf(rfp: Rfp, requirements: list[Requirement], *, language: str | None = None) -> bytes:
    language = language if language in LANGUAGES else rfp.language
    with translation.override(language):
        return _render(rfp, requirements, language)


def _render(rfp: Rfp, requirements: list[Requirement], language: str) -> bytes:
    buffer = io.BytesIO()
    margin = 20 * mm
    title = _("Response: %(title)s") % {"title": rfp.title}
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=title,
        author=rfp.legal_entity.name,
        subject=rfp.reference or rfp.title,
        creator="Frontoffice",
    )
    page_label = _("Page")

    def on_page(canvas, template) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(margin, 10 * mm, rfp.legal_entity.name)
        canvas.drawRightString(
            A4[0] - margin, 10 * mm, f"{rfp.reference or rfp.title} · {page_label} {canvas.getPageNumber()}"
        )
        canvas.restoreState()

    due = formats.date_format(timezone.localtime(rfp.due_at), "SHORT_DATETIME_FORMAT", use_l10n=True)
    story: list = [
        Spacer(1, 40 * mm),
        _p(_("Response to request for proposal"), SMALL),
        _p(rfp.title, COVER_TITLE),
        _p(_("Issuer"), LABEL),
        _p(rfp.party.display_name),
        _p(_("Reference"), LABEL),
        _p(rfp.reference or "—"),
        _p(_("Due"), LABEL),
        _p(due),
        _p(_("From"), LABEL),
        _p(rfp.legal_entity.name),
        _p(_("Contact"), LABEL),
        _p(" ".join(x for x in [rfp.owner.get_full_name() or rfp.owner.username, rfp.owner.email] if x)),
    ]
    if rfp.approved_at:
        story += [
            _p(_("Approved"), LABEL),
            _p(formats.date_format(timezone.localtime(rfp.approved_at), "SHORT_DATE_FORMAT", use_l10n=True)),
        ]
    story += [PageBreak(), _p(_("Requirements and answers"), HEADING)]
    if not requirements:
        story.append(_p(_("No requirements registered."), SMALL))
    for requirement in requirements:
        mandatory = _("mandatory") if requirement.mandatory else _("optional")
        block = [_p(f"{requirement.number}. {requirement.text}  ({mandatory})", REQ)]
        if requirement.status == RequirementStatus.NOT_APPLICABLE:
            block.append(
                _p(_("Not applicable.") + (f" {requirement.answer}" if requirement.answer else ""), ANSWER)
            )
        elif requirement.answer:
            block.append(_p(requirement.answer, ANSWER))
        else:
            block.append(_p(_("No answer yet."), SMALL))
        story.append(KeepTogether(block))
    pdf.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
