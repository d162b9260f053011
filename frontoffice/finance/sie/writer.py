"""Writing SIE 4E files: PC8 (code page 437) text with CRLF line endings.

The writer knows the format only; ``services.sie.sie_export`` gathers what goes in. Texts are
always quoted, quotes are escaped as ``\\"``, control characters become spaces, and
characters code page 437 cannot hold are replaced (``€`` → ``EUR``, others → ``?``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

ENCODING = "cp437"
_REPLACEMENTS = {
    "\u20ac": "EUR",  # euro sign
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u201c": '"',
    "\u201d": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u00a0": " ",
}


def quote(text: str) -> str:
    """A SIE text field: quoted, with escaped quotes and only characters PC8 can hold."""
    cleaned = "".join(" " if ord(c) < 32 or ord(c) == 127 else _REPLACEMENTS.get(c, c) for c in str(text))
    cleaned = cleaned.encode(ENCODING, errors="replace").decode(ENCODING)
    escaped = cleaned.replace('"', '\\"')
    if escaped.endswith("\\"):
        # A backslash just before the closing quote would escape it.
        escaped = escaped[:-1] + "/"
    return '"' + escaped + '"'


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def day(value: datetime.date) -> str:
    return value.strftime("%Y%m%d")


@dataclass
class TransactionOut:
    account: str
    amount: Decimal  # positive debit, negative credit
    objects: Sequence[tuple[str, str]] = ()
    text: str = ""


@dataclass
class VoucherOut:
    series: str
    number: int
    date: datetime.date
    text: str
    registered_on: datetime.date | None
    transactions: list[TransactionOut] = field(default_factory=list)


@dataclass
class ExportDocument:
    program_version: str
    generated_on: datetime.date
    company_name: str
    organisation_number: str
    years: dict[int, tuple[datetime.date, datetime.date]]
    chart_type: str
    accounts: list[tuple[str, str, str]]  # number, name, KTYP
    dimensions: list[tuple[str, str]]  # number, name
    objects: list[tuple[str, str, str]]  # dimension, code, name
    opening: list[tuple[str, Decimal]]
    closing: list[tuple[str, Decimal]]
    results: list[tuple[str, Decimal]]
    vouchers: Iterable[VoucherOut]


def _objects(objects: Sequence[tuple[str, str]]) -> str:
    return "{" + " ".join(f"{quote(dim)} {quote(code)}" for dim, code in objects) + "}"


def write(doc: ExportDocument) -> bytes:
    """The SIE 4E file of ``doc`` as PC8 bytes with CRLF line endings."""
    lines = [
        "#FLAGGA 0",
        f"#PROGRAM {quote('Frontoffice')} {quote(doc.program_version)}",
        "#FORMAT PC8",
        f"#GEN {day(doc.generated_on)}",
        "#SIETYP 4",
        f"#FNAMN {quote(doc.company_name)}",
        f"#ORGNR {doc.organisation_number}",
    ]
    for index in sorted(doc.years, reverse=True):
        start, end = doc.years[index]
        lines.append(f"#RAR {index} {day(start)} {day(end)}")
    if doc.chart_type:  # optional record; absent means the chart is not a named BAS version
        kptyp = quote(doc.chart_type)
        lines.append(f"#KPTYP {kptyp[1:-1] if kptyp[1:-1].isalnum() else kptyp}")
    for number, name, ktyp in doc.accounts:
        lines.append(f"#KONTO {number} {quote(name)}")
        lines.append(f"#KTYP {number} {ktyp}")
    for number, name in doc.dimensions:
        lines.append(f"#DIM {number} {quote(name)}")
    for dim, code, name in doc.objects:
        lines.append(f"#OBJEKT {dim} {quote(code)} {quote(name)}")
    lines.extend(f"#IB 0 {number} {amount(value)}" for number, value in doc.opening)
    lines.extend(f"#UB 0 {number} {amount(value)}" for number, value in doc.closing)
    lines.extend(f"#RES 0 {number} {amount(value)}" for number, value in doc.results)
    for voucher in doc.vouchers:
        registered = f" {day(voucher.registered_on)}" if voucher.registered_on else ""
        lines.append(
            f"#VER {quote(voucher.series)} {quote(str(voucher.number))} {day(voucher.date)} "
            f"{quote(voucher.text)}{registered}"
        )
        lines.append("{")
        for trans in voucher.transactions:
            lines.append(
                f"   #TRANS {trans.account} {_objects(trans.objects)} {amount(trans.amount)} "
                f"{day(voucher.date)} {quote(trans.text)}"
            )
        lines.append("}")
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING, errors="replace")
