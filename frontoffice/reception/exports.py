"""Visit lists as CSV or XLSX (the rows of the page's filters, in scope). (Complaints are
exported from the surveys complaint list.)

CSV: UTF-8 with a byte-order mark, semicolon-separated. XLSX via openpyxl. Names and purposes
come from visitors: a text cell starting like a formula (= + - @ tab CR) gets a
leading ``'`` in CSV and is a plain string cell in XLSX, so no spreadsheet runs it. Health-related
notes are never exported (they are not on visits).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def safe_text(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return safe_text(value)


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in headers])
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([str(h) for h in headers])
    for row in rows:
        values = [
            timezone.localtime(c).replace(tzinfo=None) if isinstance(c, datetime.datetime) else c for c in row
        ]
        sheet.append(values)
        for cell, value in zip(sheet[sheet.max_row], values, strict=False):
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # never a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def response(fmt: str, name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    data = to_xlsx(name, headers, rows) if fmt == "xlsx" else to_csv(headers, rows)
    out = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    out["Content-Disposition"] = f'attachment; filename="{slugify(name)}.{fmt}"'
    return out


def visit_rows(visits: Iterable[Any]) -> tuple[list[str], Iterable[list[Any]]]:
    headers = [
        _("Day"),
        _("Ticket"),
        _("Location"),
        _("Kind"),
        _("Name"),
        _("Status"),
        _("Arrived"),
        _("Called in"),
        _("Done"),
        _("Checked in by"),
    ]

    def rows() -> Iterable[list[Any]]:
        for v in visits:
            yield [
                v.visit_date,
                v.ticket_number,
                v.location.name,
                v.get_kind_display(),
                v.name,
                v.get_status_display(),
                v.arrived_at,
                v.called_in_at,
                v.done_at,
                (v.receptionist.get_full_name() or v.receptionist.username)
                if v.receptionist
                else v.get_via_display(),
            ]

    return headers, rows()
