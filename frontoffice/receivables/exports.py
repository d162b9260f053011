"""Payment and aging exports as CSV or XLSX.

- CSV: UTF-8 with a byte-order mark, semicolon-separated, amounts with a decimal comma in
  Swedish and a decimal point otherwise, no digit grouping (like the ledger's exports).
- XLSX (openpyxl): amounts are numbers with a two-decimal format; dates are dates.
- Formula injection: payer names and references come from bank files and customers. A text
  cell starting like a formula (= + - @ tab CR) is written with a leading ``'`` in CSV, and as
  a plain string cell in XLSX (never a formula), so no spreadsheet runs it.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from frontoffice.receivables.models import Payment
from frontoffice.receivables.selectors.aging import BUCKETS, Aging

FORMATS = ("csv", "xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | Decimal | int | datetime.date | None


def _swedish() -> bool:
    return (get_language() or "").split("-")[0] == "sv"


def safe_text(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _csv_cell(value: Cell, comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text.replace(".", ",") if comma else text
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return safe_text(value)


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    comma = _swedish()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(c, comma) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31].replace("/", "-")
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    for row in rows:
        sheet.append([None if c is None else c for c in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, str):
                # openpyxl turns a string starting with "=" into a formula: keep it text.
                cell.value = value
                cell.data_type = "s"
    for column in sheet.columns:
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def response(
    fmt: str, name: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    data = to_xlsx(title, headers, rows) if fmt == "xlsx" else to_csv(headers, rows)
    out = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    out["Content-Disposition"] = f'attachment; filename="{slugify(name)}.{fmt}"'
    return out


def payment_rows(payments: Iterable[Payment]) -> tuple[list[str], Iterable[list[Cell]]]:
    headers = [
        _("Payment date"),
        _("Amount"),
        _("Currency"),
        _("Unallocated"),
        _("Payer"),
        _("Reference / OCR"),
        _("Customer"),
        _("Source"),
        _("Voucher"),
        _("Note"),
    ]

    def rows() -> Iterable[list[Cell]]:
        for p in payments:
            yield [
                p.paid_on,
                p.amount,
                p.currency,
                p.unallocated_amount,
                p.payer_name,
                p.reference,
                p.party.display_name if p.party_id else "",
                p.get_source_display(),
                p.voucher.reference if p.voucher_id else "",
                p.note,
            ]

    return headers, rows()


def aging_rows(aging: Aging) -> tuple[list[str], list[list[Cell]]]:
    headers = [_("Customer"), *[str(label) for _key, label in BUCKETS], _("Total"), _("Invoices")]
    rows: list[list[Cell]] = []
    for row in [*aging.rows, aging.totals]:
        rows.append([row.party_name, *[amount for _key, amount in row.cells()], row.total, row.count])
    return headers, rows
