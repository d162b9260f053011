"""Report exports: each ledger report as a table, written as CSV, XLSX or PDF.

- CSV: UTF-8 with a byte-order mark (so spreadsheet programs detect the encoding),
  semicolon-separated, amounts with a decimal comma when the active language is Swedish
  and a decimal point otherwise, never with digit grouping.
- XLSX (openpyxl): amounts are numbers with a two-decimal number format, not text.
- PDF (reportlab): A4, title, company, period, the table and page numbers.

Amounts are Decimal throughout; nothing passes through float here (openpyxl stores the
Decimal as the cell's number).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from frontoffice.finance.selectors.reports import (
    BalanceSheet,
    DateRange,
    GeneralLedger,
    IncomeStatement,
    TrialBalance,
    VatReturn,
)

FORMATS = ("csv", "xlsx", "pdf")
Cell = str | Decimal | None


@dataclass
class Table:
    title: str
    company: str
    period: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    # Indexes of rows shown in bold (totals and group headings).
    strong: set[int] = field(default_factory=set)

    def add(self, cells: Sequence[Cell], *, strong: bool = False) -> None:
        if strong:
            self.strong.add(len(self.rows))
        self.rows.append(list(cells))


def _period(rng: DateRange) -> str:
    return f"{formats.date_format(rng.start, 'SHORT_DATE_FORMAT')} - {formats.date_format(rng.end, 'SHORT_DATE_FORMAT')}"


def _account(account: Any) -> str:
    return f"{account.number} {account.name}"


# ---------------------------------------------------------------- reports as tables


def trial_balance_table(report: TrialBalance) -> Table:
    table = Table(
        _("Trial balance"),
        str(report.legal_entity),
        _period(report.range),
        [_("Account"), _("Opening balance"), _("Debit"), _("Credit"), _("Closing balance")],
    )
    for row in report.rows:
        table.add([_account(row.account), row.opening, row.debit, row.credit, row.closing])
    table.add(
        [_("Total"), report.opening_total, report.debit_total, report.credit_total, report.closing_total],
        strong=True,
    )
    return table


def general_ledger_table(report: GeneralLedger) -> Table:
    table = Table(
        _("General ledger %(account)s") % {"account": _account(report.account)},
        str(report.legal_entity),
        _period(report.range),
        [_("Date"), _("Voucher"), _("Text"), _("Debit"), _("Credit"), _("Balance")],
    )
    table.add(["", "", _("Opening balance"), None, None, report.opening], strong=True)
    for line in report.lines:
        table.add([line.date.isoformat(), line.reference, line.text, line.debit, line.credit, line.balance])
    table.add(
        ["", "", _("Closing balance"), report.debit_total, report.credit_total, report.closing], strong=True
    )
    return table


def income_statement_table(report: IncomeStatement) -> Table:
    headers = [_("Account"), _("Amount")]
    comparing = report.comparison_range is not None
    if comparing:
        headers.append(_("Same period last year"))
    table = Table(_("Income statement"), str(report.legal_entity), _period(report.range), headers)

    def cells(label: str, amount: Decimal | None, comparison: Decimal | None) -> list[Cell]:
        return [label, amount, comparison] if comparing else [label, amount]

    for group in report.groups:
        if group.rows:
            table.add(cells(str(group.label), None, None), strong=True)
            for row in group.rows:
                table.add(cells(_account(row.account), row.amount, row.comparison))
            table.add(
                cells(
                    _("Total %(group)s") % {"group": str(group.label).lower()},
                    group.total,
                    group.comparison_total,
                ),
                strong=True,
            )
        if group.subtotal is not None:
            table.add(
                cells(str(group.subtotal_label), group.subtotal, group.comparison_subtotal), strong=True
            )
    table.add(cells(_("Result"), report.result, report.comparison_result), strong=True)
    return table


def balance_sheet_table(report: BalanceSheet) -> Table:
    headers = [_("Account"), _("Opening balance"), _("Change"), _("Closing balance")]
    comparing = report.comparison_range is not None
    if comparing:
        headers.append(_("Same date last year"))
    table = Table(_("Balance sheet"), str(report.legal_entity), _period(report.range), headers)

    def cells(label: str, *amounts: Decimal | None) -> list[Cell]:
        return [label, *amounts[: 4 if comparing else 3]]

    for section in (report.assets, report.equity, report.liabilities):
        table.add(cells(str(section.label)), strong=True)
        for row in section.rows:
            table.add(cells(_account(row.account), row.opening, row.change, row.amount, row.comparison))
        if section.key == "equity":
            table.add(
                cells(
                    _("Result not yet booked"),
                    section.result_opening,
                    section.result_change,
                    section.result_closing,
                    section.result_comparison,
                )
            )
        table.add(
            cells(
                _("Total %(section)s") % {"section": str(section.label).lower()},
                section.opening_total,
                section.change_total,
                section.closing_total,
                section.comparison_total,
            ),
            strong=True,
        )
    table.add(
        cells(
            _("Total equity and liabilities"),
            report.equity.opening_total + report.liabilities.opening_total,
            report.equity.change_total + report.liabilities.change_total,
            report.equity_and_liabilities,
            report.comparison_equity_and_liabilities,
        ),
        strong=True,
    )
    return table


def vat_return_table(report: VatReturn) -> Table:
    table = Table(
        _("VAT return"),
        str(report.legal_entity),
        _period(report.range),
        [_("Box"), _("Description"), _("Accounts"), _("Amount")],
    )
    for box in report.boxes:
        accounts = ", ".join(account.number for account, _amount in box.accounts)
        table.add([box.number, str(box.label), accounts, box.amount])
    table.add(["49", _("VAT to pay (negative: to get back)"), "", report.payable], strong=True)
    return table


# ---------------------------------------------------------------- writers


def _swedish() -> bool:
    return (get_language() or "").split("-")[0] == "sv"


def _csv_cell(value: Cell, comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text.replace(".", ",") if comma else text
    return str(value)


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM, semicolons, decimal comma in Swedish."""
    comma = _swedish()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([table.title, table.company, table.period])
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(c, comma) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One sheet: title, company and period on top, then the table; amounts as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31].replace("/", "-")
    bold = Font(bold=True)
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([table.company])
    sheet.append([table.period])
    sheet.append([])
    sheet.append(table.headers)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for index, row in enumerate(table.rows):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal | int | float):
                cell.number_format = "#,##0.00"
            if index in table.strong:
                cell.font = bold
    sheet.column_dimensions["A"].width = 40
    for letter in "BCDEF":
        sheet.column_dimensions[letter].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf_amount(value: Cell) -> str:
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2, force_grouping=True)
    return "" if value is None else str(value)


def to_pdf(table: Table) -> bytes:
    """A4 portrait: title, company, period, the table (header repeated on every page) and
    "page n" at the foot of each page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    page_label = _("Page")

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{page_label} {doc.page}")
        canvas.drawString(15 * mm, 10 * mm, f"{table.company} · {table.title}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=table.title,
        author=table.company,
    )
    cell_style = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    data: list[list[Any]] = [[Paragraph(f"<b>{h}</b>", cell_style) for h in table.headers]]
    for row in table.rows:
        data.append(
            [_pdf_amount(c) if isinstance(c, Decimal) else Paragraph(_escape(c), cell_style) for c in row]
        )
    amount_columns = sorted({i for row in table.rows for i, c in enumerate(row) if isinstance(c, Decimal)})
    style = [
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in amount_columns],
        *[("FONTNAME", (0, i + 1), (-1, i + 1), "Helvetica-Bold") for i in sorted(table.strong)],
        *[("LINEABOVE", (0, i + 1), (-1, i + 1), 0.3, colors.grey) for i in sorted(table.strong)],
    ]
    pdf_table = PdfTable(data, repeatRows=1, hAlign="LEFT")
    pdf_table.setStyle(TableStyle(style))
    story = [
        Paragraph(_escape(table.title), styles["Title"]),
        Paragraph(_escape(table.company), styles["Normal"]),
        Paragraph(_escape(table.period), styles["Normal"]),
        Spacer(1, 6 * mm),
        pdf_table,
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _escape(value: Cell) -> str:
    from xml.sax.saxutils import escape

    return escape("" if value is None else str(value))


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def export_response(table: Table, fmt: str, *, name: str, rng: DateRange) -> HttpResponse:
    """The table as a download in ``fmt`` (csv, xlsx or pdf)."""
    content = WRITERS[fmt](table)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    filename = f"{slugify(name)}-{rng.start.isoformat()}-{rng.end.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
