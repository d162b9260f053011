"""Reading SIE 4 files (the Swedish accounting exchange format) into a typed document.

The parser never raises on bad input: every problem is collected with its line number, so a
user sees all of them at once. Malformed records are errors; records this program does not
use are ignored (unknown labels with a note). Amounts are parsed as exact ``Decimal`` values.

Tolerated quirks of real exports:
- PC8 (code page 437) encoding, the format's default; UTF-8 when ``#FORMAT`` says so or the
  file starts with a UTF-8 byte order mark;
- object lists with quoted items (``{"1" "654321"}``) and empty ones (``{}`` or ``{ }``);
- a text missing its closing quote runs to the end of the line;
- a quote inside a text that is not followed by a separator is part of the text
  (``"Fordringar hos leverant"r"`` is one text).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

# Records a SIE 4 file may hold that the ledger does not need; they are skipped silently.
KNOWN_UNUSED = {
    "#ADRESS",
    "#BKOD",
    "#ENHET",
    "#FNR",
    "#FTYP",
    "#KSUMMA",
    "#OIB",
    "#OUB",
    "#OMFATTN",
    "#PROSA",
    "#SRU",
    "#TAXAR",
    "#VALUTA",
}

_AMOUNT = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SEPARATORS = " \t"


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class SieAccount:
    number: str
    name: str
    line: int
    ktyp: str = ""  # T, S, K or I; empty when the file has no #KTYP for the account


@dataclass
class SieObject:
    dimension: str
    code: str
    name: str
    line: int


@dataclass
class SieTransaction:
    account: str
    objects: list[tuple[str, str]]
    amount: Decimal
    line: int
    date: datetime.date | None = None
    text: str = ""
    quantity: Decimal | None = None


@dataclass
class SieVoucher:
    series: str
    number: str
    date: datetime.date
    text: str
    line: int
    registered_on: datetime.date | None = None
    transactions: list[SieTransaction] = field(default_factory=list)
    # #RTRANS (added later) and #BTRANS (removed) lines: history only, never summed, since
    # every #RTRANS is followed by the same #TRANS for programs that do not know it.
    history: list[SieTransaction] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return f"{self.series} {self.number}".strip()


@dataclass
class SieDocument:
    encoding: str = "cp437"
    flagga: str = ""
    program: str = ""
    program_version: str = ""
    format: str = ""
    generated_on: datetime.date | None = None
    sietyp: str = ""
    company_name: str = ""
    organisation_number: str = ""
    chart_type: str = ""
    years: dict[int, tuple[datetime.date, datetime.date]] = field(default_factory=dict)
    year_lines: dict[int, int] = field(default_factory=dict)
    accounts: dict[str, SieAccount] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
    subdimensions: dict[str, tuple[str, str]] = field(default_factory=dict)  # dim: (name, parent)
    objects: dict[tuple[str, str], SieObject] = field(default_factory=dict)
    # (year index, account) → (amount, line)
    opening: dict[tuple[int, str], tuple[Decimal, int]] = field(default_factory=dict)
    closing: dict[tuple[int, str], tuple[Decimal, int]] = field(default_factory=dict)
    results: dict[tuple[int, str], tuple[Decimal, int]] = field(default_factory=dict)
    # (year index, period YYYYMM, account, objects, amount, line)
    period_balances: list[tuple[int, str, str, list[tuple[str, str]], Decimal, int]] = field(
        default_factory=list
    )
    period_budgets: list[tuple[int, str, str, list[tuple[str, str]], Decimal, int]] = field(
        default_factory=list
    )
    vouchers: list[SieVoucher] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    line_count: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- decoding and tokens


def decode(data: bytes) -> tuple[str, str]:
    """The text of a SIE file and the encoding used (PC8/cp437 unless it says UTF-8)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    match = re.search(rb"^[ \t]*#FORMAT[ \t]+\"?([A-Za-z0-9-]+)", data, re.MULTILINE)
    declared = match.group(1).upper() if match else b""
    if declared in (b"UTF8", b"UTF-8"):
        return data.decode("utf-8", errors="replace"), "utf-8"
    return data.decode("cp437"), "cp437"


Token = str | list[str]


def _read_quoted(text: str, i: int) -> tuple[str, int, bool]:
    """Read a quoted string starting after the opening quote; returns (value, next index,
    terminated). ``\\"`` is an escaped quote; a quote not followed by a separator, ``}`` or
    the end of the line belongs to the text."""
    out: list[str] = []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] == '"':
            out.append('"')
            i += 2
            continue
        if ch == '"':
            if i + 1 >= n or text[i + 1] in _SEPARATORS or text[i + 1] == "}":
                return "".join(out), i + 1, True
            out.append(ch)
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out), i, False


def tokenize(text: str) -> tuple[list[Token], list[str]]:
    """Split one SIE line into fields: strings, and lists of strings for ``{...}`` groups.

    Returns the fields and the problems found (an unterminated quote is only a note, an
    unterminated object list is an error: callers tell them apart by prefix ``!``)."""
    tokens: list[Token] = []
    problems: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SEPARATORS:
            i += 1
        elif ch == '"':
            value, i, done = _read_quoted(text, i + 1)
            if not done:
                problems.append(_("a text is missing its closing quote; it was read to the end of the line"))
            tokens.append(value)
        elif ch == "{":
            items: list[str] = []
            i += 1
            closed = False
            while i < n:
                ch = text[i]
                if ch in _SEPARATORS:
                    i += 1
                elif ch == "}":
                    closed = True
                    i += 1
                    break
                elif ch == '"':
                    value, i, done = _read_quoted(text, i + 1)
                    items.append(value)
                else:
                    start = i
                    while i < n and text[i] not in _SEPARATORS and text[i] not in '}"':
                        i += 1
                    items.append(text[start:i])
            if not closed:
                problems.append("!" + _("an object list is missing its closing brace “}”"))
            tokens.append(items)
        else:
            start = i
            while i < n and text[i] not in _SEPARATORS:
                i += 1
            tokens.append(text[start:i])
    return tokens, problems


def parse_amount(value: Token | None) -> Decimal | None:
    """An exact amount such as ``-1234.50`` (never a float); None when it is not one."""
    if not isinstance(value, str) or not _AMOUNT.match(value):
        return None
    return Decimal(value)


def parse_date(value: Token | None) -> datetime.date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{8}", value):
        return None
    try:
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _objects(value: Token) -> list[tuple[str, str]] | None:
    """``{"1" "654321" "6" "P1"}`` → [("1", "654321"), ("6", "P1")]; None if malformed."""
    if not isinstance(value, list) or len(value) % 2:
        return None
    return [(value[k], value[k + 1]) for k in range(0, len(value), 2)]


# ---------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, doc: SieDocument):
        self.doc = doc
        self.voucher: SieVoucher | None = None
        self.expect_block: SieVoucher | None = None  # #VER seen, its "{" not yet
        self.in_block = False
        self.block_line = 0
        self.unknown: dict[str, list[int]] = {}

    def error(self, line: int, message: str) -> None:
        self.doc.errors.append(Problem(line, message))

    def note(self, line: int, message: str) -> None:
        self.doc.notes.append(Problem(line, message))

    def feed(self, number: int, raw: str) -> None:
        stripped = raw.strip(" \t")
        if not stripped:
            return
        if any(ord(c) < 32 and c != "\t" for c in stripped):
            self.error(number, _("the line holds control characters; this is not a SIE text file"))
            return
        if stripped == "{" or (stripped.startswith("{") and not stripped.startswith("{}")):
            self.open_block(number, stripped)
            return
        if stripped == "}":
            self.close_block(number)
            return
        if not stripped.startswith("#"):
            self.error(
                number, _("“%(text)s” is not a SIE record (records start with #)") % {"text": stripped[:40]}
            )
            return
        tokens, problems = tokenize(stripped)
        for problem in problems:
            if problem.startswith("!"):
                self.error(number, problem[1:])
            else:
                self.note(number, problem)
        label = str(tokens[0]).upper()
        args = tokens[1:]
        if self.expect_block is not None:
            self.error(
                number,
                _("#VER %(ref)s on line %(line)s is not followed by its “{” block")
                % {"ref": self.expect_block.reference, "line": self.expect_block.line},
            )
            self.expect_block = None
        if label in ("#TRANS", "#RTRANS", "#BTRANS"):
            self.transaction(number, label, args)
            return
        if self.in_block:
            self.error(number, _("%(label)s is not allowed inside a voucher block") % {"label": label})
            return
        handler = getattr(self, "rec_" + label[1:].lower(), None) if label[1:].isalpha() else None
        if handler is not None:
            handler(number, args)
        elif label in KNOWN_UNUSED:
            return
        else:
            self.unknown.setdefault(label, []).append(number)

    def finish(self, last_line: int) -> None:
        if self.expect_block is not None:
            self.error(
                self.expect_block.line,
                _("#VER %(ref)s has no “{” block") % {"ref": self.expect_block.reference},
            )
        if self.in_block:
            self.error(self.block_line, _("the voucher block opened here is never closed with “}”"))
        doc = self.doc
        for obj in doc.objects.values():
            # Some programs write #UNDERDIM after its objects, so this is checked at the end.
            if obj.dimension not in doc.dimensions and obj.dimension not in doc.subdimensions:
                self.note(
                    obj.line,
                    _("#OBJEKT for dimension %(d)s, which has no #DIM record") % {"d": obj.dimension},
                )
        for label, lines in self.unknown.items():
            self.note(
                lines[0],
                _("unknown record %(label)s ignored (%(count)s line(s))")
                % {"label": label, "count": len(lines)},
            )
        if not any(label for label in (doc.flagga, doc.sietyp)) and not doc.accounts and not doc.vouchers:
            self.error(1, _("this is not a SIE file: no #FLAGGA, #SIETYP, #KONTO or #VER record was found"))
        elif 0 not in doc.years:
            self.error(1, _("the file has no #RAR 0 record, so its fiscal year is unknown"))
        if doc.sietyp and doc.sietyp not in ("4",):
            self.note(1, _("the file is SIE type %(t)s; only type 4 holds vouchers") % {"t": doc.sietyp})

    # -- blocks

    def open_block(self, number: int, stripped: str) -> None:
        if self.expect_block is None:
            self.error(number, _("a “{” block may only follow a #VER record"))
            self.in_block = True
            self.voucher = None
            self.block_line = number
            return
        self.voucher = self.expect_block
        self.expect_block = None
        self.in_block = True
        self.block_line = number
        rest = stripped[1:].strip()
        if rest:
            self.feed(number, rest)

    def close_block(self, number: int) -> None:
        if not self.in_block:
            self.error(number, _("“}” without an open voucher block"))
            return
        self.in_block = False
        self.voucher = None

    # -- header records

    def _text(self, args: list[Token], index: int) -> str:
        return args[index] if len(args) > index and isinstance(args[index], str) else ""

    def rec_flagga(self, number: int, args: list[Token]) -> None:
        self.doc.flagga = self._text(args, 0)

    def rec_program(self, number: int, args: list[Token]) -> None:
        self.doc.program, self.doc.program_version = self._text(args, 0), self._text(args, 1)

    def rec_format(self, number: int, args: list[Token]) -> None:
        self.doc.format = self._text(args, 0).upper()

    def rec_gen(self, number: int, args: list[Token]) -> None:
        self.doc.generated_on = parse_date(self._text(args, 0))
        if self.doc.generated_on is None:
            self.error(number, _("#GEN needs a date as YYYYMMDD"))

    def rec_sietyp(self, number: int, args: list[Token]) -> None:
        self.doc.sietyp = self._text(args, 0)

    def rec_fnamn(self, number: int, args: list[Token]) -> None:
        self.doc.company_name = self._text(args, 0).strip()

    def rec_orgnr(self, number: int, args: list[Token]) -> None:
        self.doc.organisation_number = self._text(args, 0).strip()

    def rec_kptyp(self, number: int, args: list[Token]) -> None:
        self.doc.chart_type = self._text(args, 0)

    def rec_rar(self, number: int, args: list[Token]) -> None:
        index = self._int(args, 0)
        start, end = parse_date(self._text(args, 1)), parse_date(self._text(args, 2))
        if index is None or start is None or end is None or end < start:
            self.error(number, _("#RAR needs a year index and a first and last day as YYYYMMDD"))
            return
        self.doc.years[index] = (start, end)
        self.doc.year_lines[index] = number

    def rec_konto(self, number: int, args: list[Token]) -> None:
        account, name = self._text(args, 0), self._text(args, 1)
        if not account:
            self.error(number, _("#KONTO needs an account number"))
            return
        existing = self.doc.accounts.get(account)
        if existing is not None:
            existing.name = name.strip()
            return
        self.doc.accounts[account] = SieAccount(account, name.strip(), number)

    def rec_ktyp(self, number: int, args: list[Token]) -> None:
        account, kind = self._text(args, 0), self._text(args, 1).upper()
        if kind not in ("T", "S", "K", "I"):
            # Real exports write "#KTYP DIFF" with no type; the type then follows the number.
            self.note(number, _("#KTYP without a type T, S, K or I ignored"))
            return
        if account not in self.doc.accounts:
            self.error(number, _("#KTYP for account %(a)s, which has no #KONTO record") % {"a": account})
            return
        self.doc.accounts[account].ktyp = kind

    def rec_dim(self, number: int, args: list[Token]) -> None:
        dim = self._text(args, 0)
        if not dim.isdigit():
            self.error(number, _("#DIM needs a dimension number"))
            return
        self.doc.dimensions[dim] = self._text(args, 1).strip()

    def rec_underdim(self, number: int, args: list[Token]) -> None:
        dim, parent = self._text(args, 0), self._text(args, 2)
        if not dim.isdigit() or not parent.isdigit():
            self.error(number, _("#UNDERDIM needs a dimension number, a name and the parent dimension"))
            return
        self.doc.subdimensions[dim] = (self._text(args, 1).strip(), parent)

    def rec_objekt(self, number: int, args: list[Token]) -> None:
        dim, code = self._text(args, 0), self._text(args, 1)
        if not dim or not code:
            self.error(number, _("#OBJEKT needs a dimension number, an object code and a name"))
            return
        self.doc.objects[(dim, code)] = SieObject(dim, code, self._text(args, 2).strip(), number)

    def _int(self, args: list[Token], index: int) -> int | None:
        value = self._text(args, index)
        return int(value) if re.fullmatch(r"[+-]?\d+", value) else None

    def _balance(self, number: int, label: str, args: list[Token], target: dict) -> None:
        year, account, amount = self._int(args, 0), self._text(args, 1), parse_amount(self._text(args, 2))
        if year is None or not account or amount is None:
            self.error(
                number,
                _("%(label)s needs a year index, an account and an amount such as -1234.50")
                % {"label": label},
            )
            return
        if (year, account) in target:
            self.error(
                number,
                _("a second %(label)s for account %(a)s in year %(y)s")
                % {"label": label, "a": account, "y": year},
            )
            return
        target[(year, account)] = (amount, number)

    def rec_ib(self, number: int, args: list[Token]) -> None:
        self._balance(number, "#IB", args, self.doc.opening)

    def rec_ub(self, number: int, args: list[Token]) -> None:
        self._balance(number, "#UB", args, self.doc.closing)

    def rec_res(self, number: int, args: list[Token]) -> None:
        self._balance(number, "#RES", args, self.doc.results)

    def _period(self, number: int, label: str, args: list[Token], target: list) -> None:
        year, period, account = self._int(args, 0), self._text(args, 1), self._text(args, 2)
        objects = _objects(args[3]) if len(args) > 3 else None
        amount = parse_amount(self._text(args, 4))
        if (
            year is None
            or not re.fullmatch(r"\d{6}", period)
            or not account
            or objects is None
            or amount is None
        ):
            self.error(
                number,
                _("%(label)s needs a year index, a period YYYYMM, an account, an object list and an amount")
                % {"label": label},
            )
            return
        target.append((year, period, account, objects, amount, number))

    def rec_psaldo(self, number: int, args: list[Token]) -> None:
        self._period(number, "#PSALDO", args, self.doc.period_balances)

    def rec_pbudget(self, number: int, args: list[Token]) -> None:
        self._period(number, "#PBUDGET", args, self.doc.period_budgets)

    # -- vouchers

    def rec_ver(self, number: int, args: list[Token]) -> None:
        series, ver_number = self._text(args, 0).strip(), self._text(args, 1).strip()
        date = parse_date(self._text(args, 2))
        if date is None:
            self.error(number, _("#VER needs a series, a number and a date as YYYYMMDD"))
            # Still read its block, so its lines are not reported as stray.
            date = datetime.date.min
        voucher = SieVoucher(
            series=series,
            number=ver_number,
            date=date,
            text=self._text(args, 3).strip(),
            line=number,
            registered_on=parse_date(self._text(args, 4)),
        )
        if date != datetime.date.min:
            self.doc.vouchers.append(voucher)
        self.expect_block = voucher

    def transaction(self, number: int, label: str, args: list[Token]) -> None:
        if not self.in_block:
            self.error(
                number,
                _("%(label)s outside a voucher: it must be inside the { } block of a #VER")
                % {"label": label},
            )
            return
        if self.voucher is None:
            return  # the block itself is already reported
        account = self._text(args, 0)
        objects = _objects(args[1]) if len(args) > 1 else None
        amount = parse_amount(self._text(args, 2))
        if not account or objects is None or amount is None:
            self.error(
                number,
                _("%(label)s needs an account, an object list such as {} and an amount such as -1234.50")
                % {"label": label},
            )
            return
        trans = SieTransaction(
            account=account,
            objects=objects,
            amount=amount,
            line=number,
            date=parse_date(self._text(args, 3)),
            text=self._text(args, 4).strip(),
            quantity=parse_amount(self._text(args, 5)),
        )
        if label == "#TRANS":
            self.voucher.transactions.append(trans)
        else:
            self.voucher.history.append(trans)


def parse(data: bytes) -> SieDocument:
    """Parse the bytes of a SIE 4 file; problems are in ``errors`` and ``notes``, never raised."""
    text, encoding = decode(data)
    doc = SieDocument(encoding=encoding)
    parser = _Parser(doc)
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        parser.feed(number, raw)
    doc.line_count = len(lines)
    parser.finish(len(lines))
    return doc
