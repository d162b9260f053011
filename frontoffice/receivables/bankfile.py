"""Reading bank files (CSV) into payment rows: no database, only bytes to values.

- Encoding: a UTF-8 (or UTF-16) byte-order mark wins; otherwise strict UTF-8, then Windows-1252
  (what Swedish banks' "Excel" exports use), then Latin-1, which decodes any byte.
- Delimiter: the one of ``; TAB , |`` that splits the header into more than one column and
  gives most of the first rows the header's width (``;`` first on a tie: with decimal commas,
  a comma rarely delimits).
- The first non-blank row is the header; columns are named by it. Line numbers are physical
  lines of the file (a quoted cell may span lines), so a problem points at what an editor shows.
- Amounts: spaces (also no-break and narrow no-break), apostrophes and the other separator
  group thousands in threes; the decimal separator is what the file's amount column uses
  (comma unless the cells say otherwise); at most two decimals; a sign before or after the
  number or parentheses make it negative; "kr"/"SEK" around the number is ignored.
- Dates: 2026-03-20, 20260320, 2026/03/20, 20.03.2026, 20/03/2026 (day first, as in Sweden);
  a time after the date is ignored. Month-first dates are refused, not guessed.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
DELIMITERS = (";", "\t", ",", "|")
SNIFF_LINES = 50
CENT = Decimal("0.01")

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2212": "-", "\u2013": "-"})
_CURRENCY_WORDS = re.compile(r"^(?:sek|kr\.?)\s*|\s*(?:sek|kr\.?)$", re.IGNORECASE)
_DATE_FORMATS = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$"), "dmy"),
]


@dataclass
class BankFile:
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, cells)

    def samples(self, column: str, limit: int = 3) -> list[str]:
        """The first non-empty values of ``column``, to help the user map it."""
        if column not in self.header:
            return []
        index = self.header.index(column)
        values = [
            cells[index].strip() for _, cells in self.rows if index < len(cells) and cells[index].strip()
        ]
        return values[:limit]


@dataclass
class Mapping:
    """Which header column holds each value; ``skip_negative`` skips outgoing rows instead of
    refusing them (statements of a whole account list fees and payments made too)."""

    date: str = ""
    amount: str = ""
    reference: str = ""
    payer: str = ""
    currency: str = ""
    skip_negative: bool = False

    FIELDS = ("date", "amount", "reference", "payer", "currency")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Mapping:
        data = data or {}
        return cls(
            **{name: str(data.get(name) or "") for name in cls.FIELDS},
            skip_negative=bool(data.get("skip_negative")),
        )

    def columns(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS if getattr(self, name)}


@dataclass
class BankRow:
    line: int
    paid_on: datetime.date
    amount: Decimal
    reference: str = ""
    payer: str = ""
    currency: str = ""
    skipped: bool = False


@dataclass
class Problem:
    line: int
    column: str | None
    code: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Line %(line)s, column “%(column)s”: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ParsedFile:
    rows: list[BankRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------- bytes to rows


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("The file says it is UTF-8 but is not: save it again as CSV and upload it."),
                code="encoding",
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("The file says it is UTF-16 but is not: save it again as CSV and upload it."),
                code="encoding",
            ) from exc
    if b"\x00" in data:
        raise ValidationError(
            _("This is not a CSV text file (an Excel workbook or a PDF?). Export the statement as CSV."),
            code="not_csv",
        )
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _sniff(text: str) -> str | None:
    sample_lines = [line for line in text.splitlines() if line.strip()][:SNIFF_LINES]
    sample = "\n".join(sample_lines)
    best, best_score = None, 0.0
    for delimiter in DELIMITERS:
        try:
            rows = [
                r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(c.strip() for c in r)
            ]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = sum(1 for r in rows if len(r) == width) / len(rows)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _header(cells: list[str]) -> list[str]:
    names: list[str] = []
    for index, cell in enumerate(cells, start=1):
        name = " ".join(cell.split()) or _("Column %(n)s") % {"n": index}
        base, n = name, 2
        while name in names:
            name = f"{base} ({n})"
            n += 1
        names.append(name)
    return names


def read_bank_file(data: bytes) -> BankFile:
    """Decode and split a bank file; raises ``ValidationError`` (codes ``too_large``, ``empty``,
    ``not_csv``, ``encoding``, ``no_columns``, ``no_rows``, ``too_many_rows``)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB; split it by date.") % {"mb": MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    text, encoding = _decode(data)
    if not text.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    delimiter = _sniff(text)
    if delimiter is None:
        raise ValidationError(
            _("The file has a single column: a bank CSV file has columns separated by ; or , or tabs."),
            code="no_columns",
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = _header(cells)
                continue
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                raise ValidationError(
                    _("The file has more than %(n)s rows; split it by date.") % {"n": MAX_ROWS},
                    code="too_many_rows",
                )
    except csv.Error as exc:
        raise ValidationError(
            _("Line %(line)s cannot be read as CSV: %(error)s") % {"line": last_line + 1, "error": exc},
            code="not_csv",
        ) from exc
    if header is None:
        raise ValidationError(_("The file is empty."), code="empty")
    if not rows:
        raise ValidationError(_("The file has a header but no payment rows."), code="no_rows")
    return BankFile(encoding=encoding, delimiter=delimiter, header=header, rows=rows)


# ---------------------------------------------------------------- values


def _clean_amount(text: str) -> str:
    value = " ".join(text.translate(_SPACES).split())
    return _CURRENCY_WORDS.sub("", value).strip()


def detect_decimal_separator(values: list[str]) -> str:
    """``","`` or ``"."``: the separator the amounts end their 1-2 decimals with, by majority;
    a comma when none tells (Swedish files)."""
    votes = {",": 0, ".": 0}
    for raw in values:
        match = re.search(r"([.,])\d{1,2}\)?-?$", _clean_amount(raw))
        if match:
            votes[match.group(1)] += 1
    return "." if votes["."] > votes[","] else ","


def parse_amount(text: str, decimal_separator: str = ",") -> Decimal:
    """An exact amount from a bank file cell; raises ``ValueError`` with the reason."""
    value = _clean_amount(text or "")
    if not value:
        raise ValueError(_("the amount is empty"))
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value[:1] in "+-":
        negative, value = (value[0] == "-") or negative, value[1:].strip()
    elif value.endswith("-"):
        negative, value = True, value[:-1].strip()
    thousands = "." if decimal_separator == "," else ","
    integer, _sep, decimals = value.partition(decimal_separator)
    if decimal_separator in decimals:
        raise ValueError(_("“%(value)s” is not an amount") % {"value": text.strip()})
    groups = re.split(rf"[ '{re.escape(thousands)}]", integer)
    if not all(g.isdigit() and g.isascii() for g in groups) or (
        decimals and not (decimals.isdigit() and decimals.isascii())
    ):
        raise ValueError(_("“%(value)s” is not an amount") % {"value": text.strip()})
    if len(groups) > 1 and (len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])):
        raise ValueError(
            _("“%(value)s” groups its digits oddly; write thousands in groups of three")
            % {"value": text.strip()}
        )
    if len(decimals) > 2 or (_sep and not decimals):
        raise ValueError(
            _("“%(value)s” has more than two decimals or a misplaced separator") % {"value": text.strip()}
        )
    try:
        amount = Decimal("".join(groups) + ("." + decimals if decimals else ""))
    except InvalidOperation as exc:
        raise ValueError(_("“%(value)s” is not an amount") % {"value": text.strip()}) from exc
    amount = amount.quantize(CENT)
    return -amount if negative else amount


def parse_date(text: str) -> datetime.date:
    """A date from a bank file cell; raises ``ValueError`` with the reason."""
    value = (text or "").strip()
    value = re.split(r"[ T]", value, maxsplit=1)[0] if value else value
    for pattern, order in _DATE_FORMATS:
        match = pattern.match(value)
        if match is None:
            continue
        a, b, c = (int(g) for g in match.groups())
        year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            break
    raise ValueError(
        _("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-03-20")
        % {"value": (text or "").strip()}
    )


# ---------------------------------------------------------------- rows


def check_mapping(file: BankFile, mapping: Mapping) -> None:
    """Raise ``ValidationError`` naming each mapping field that is missing or unknown."""
    errors: dict[str, list[ValidationError]] = {}
    for name in Mapping.FIELDS:
        column = getattr(mapping, name)
        if not column and name in ("date", "amount"):
            errors[name] = [ValidationError(_("Choose the column with this value."), code="required")]
        elif column and column not in file.header:
            errors[name] = [
                ValidationError(
                    _("The file has no column “%(column)s”.") % {"column": column}, code="unknown_column"
                )
            ]
    if errors:
        raise ValidationError(errors)


def parse_rows(
    file: BankFile, mapping: Mapping, *, base_currency: str
) -> tuple[list[BankRow], list[Problem]]:
    """Every row as a payment, and every problem found (line, column, code, message)."""
    check_mapping(file, mapping)
    index = {name: file.header.index(column) for name, column in mapping.columns().items()}
    amount_values = [cells[index["amount"]] for _, cells in file.rows if index["amount"] < len(cells)]
    separator = detect_decimal_separator(amount_values)
    rows: list[BankRow] = []
    problems: list[Problem] = []

    def cell(cells: list[str], name: str) -> str:
        return cells[index[name]].strip() if name in index else ""

    for line, cells in file.rows:
        if max(index.values()) >= len(cells):
            problems.append(
                Problem(
                    line,
                    None,
                    "missing_cells",
                    _("the row has %(n)s columns; the header has %(width)s")
                    % {"n": len(cells), "width": len(file.header)},
                )
            )
            continue
        before = len(problems)
        paid_on = amount = None
        try:
            paid_on = parse_date(cell(cells, "date"))
        except ValueError as exc:
            problems.append(Problem(line, mapping.date, "invalid_date", str(exc)))
        try:
            amount = parse_amount(cell(cells, "amount"), separator)
        except ValueError as exc:
            problems.append(Problem(line, mapping.amount, "invalid_amount", str(exc)))
        skipped = False
        if amount is not None and amount <= 0:
            if amount < 0 and mapping.skip_negative:
                skipped = True
            else:
                problems.append(
                    Problem(
                        line,
                        mapping.amount,
                        "not_incoming",
                        _("%(amount)s is not a payment received (the amount must be greater than zero)")
                        % {"amount": cell(cells, "amount")},
                    )
                )
        currency = cell(cells, "currency").upper() or base_currency
        if currency != base_currency and not skipped:
            problems.append(
                Problem(
                    line,
                    mapping.currency,
                    "wrong_currency",
                    _("the payment is in %(currency)s; only payments in %(base)s can be registered")
                    % {"currency": currency, "base": base_currency},
                )
            )
        if len(problems) > before:
            continue
        assert paid_on is not None and amount is not None
        rows.append(
            BankRow(
                line=line,
                paid_on=paid_on,
                amount=amount,
                reference=cell(cells, "reference")[:100],
                payer=" ".join(cell(cells, "payer").split())[:200],
                currency=currency,
                skipped=skipped,
            )
        )
    return rows, problems
