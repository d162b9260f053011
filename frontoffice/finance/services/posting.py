"""Posting vouchers: the one write path into the ledger.

Invariants protected here:
- a voucher is checked against every posting standard before anything is written, and all
  violations are reported at once (``PostingRejected``); the rejection itself is recorded
  for the posting-compliance measure;
- numbers are gapless per (series, fiscal year): the series counter row is locked
  (``SELECT ... FOR UPDATE``) and bumped inside the posting transaction, so a rolled-back
  posting leaves no gap; on SQLite the IMMEDIATE transaction mode serialises writers;
- each posted voucher's hash covers its content and the previous voucher's hash in the
  series, so any later edit breaks the chain (``ledger_verify`` finds it);
- ``AccountBalance`` rows get the voucher's debit and credit sums in the same transaction;
- posted vouchers never change: corrections are reversal vouchers (``journal_entry_reverse``);
- an idempotency key makes a repeated call return the voucher posted the first time.

Amounts are Decimal with at most two decimals; floats are refused.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.models import AuditEntry
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.models import (
    AccountBalance,
    DimensionKind,
    DimensionObject,
    FiscalYear,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LockDate,
    Period,
    PostingRejection,
    PostingStandards,
    SeriesCounter,
    VoucherSeries,
)
from frontoffice.finance.services.standards import PostingRejected, Violation

CENT = Decimal("0.01")
DIMENSIONS = [k.value for k in DimensionKind]


@dataclass(frozen=True)
class LineInput:
    """One voucher line: ``debit`` or ``credit`` (exactly one of them, > 0)."""

    account: str
    debit: Any = None
    credit: Any = None
    text: str = ""
    cost_centre: str | None = None
    project: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class EntryInput:
    series: str
    date: datetime.date
    text: str
    lines: Sequence[LineInput]
    source: models.Model | None = None
    idempotency_key: str | None = None
    attachment_count: int = 0


@dataclass
class _Line:
    line_no: int
    account: LedgerAccount
    side: str
    amount: Decimal
    text: str
    dims: dict[str, DimensionObject | None] = field(default_factory=dict)


@dataclass
class _Checked:
    entry: EntryInput
    series: VoucherSeries
    period: Period
    lines: list[_Line]
    total: Decimal


def parse_amount(value: Any) -> Decimal | None:
    """A money amount from user or API input: Decimal, int or numeric string; never a float.

    Returns None when the value is not an exact amount with at most two decimals.
    """
    if value is None or value == "" or isinstance(value, bool | float):
        return None
    try:
        amount = (
            Decimal(str(value).strip().replace(" ", "").replace("\u00a0", ""))
            if isinstance(value, str)
            else Decimal(value)
        )
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


def clean_text(value: str | None) -> str:
    """Voucher and line texts: trimmed, at most 200 characters, without control characters
    (PostgreSQL cannot store NUL, and no control character belongs in a voucher text)."""
    text = "".join(ch for ch in (value or "") if ch >= " " or ch == "\t").replace("\t", " ")
    return text.strip()[:200]


# ---------------------------------------------------------------- context


def _load(model: type[models.Model], fields: Sequence[str], sql: str, params: Sequence[Any]) -> list[Any]:
    """Model instances (``fields`` loaded, the rest deferred) from raw SQL selecting those
    columns in that order. Posting loads its context on every call, and for these small
    queries the ORM's query building costs several times the query itself."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _instances(model, fields, rows)


def _instances(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[Any]:
    columns = [model._meta.get_field(name) for name in fields]
    attnames = [column.attname for column in columns]
    convert = connection.vendor != "postgresql"  # SQLite returns dates and decimals as text
    return [
        model.from_db(
            connection.alias,
            attnames,
            [c.to_python(v) if convert and v is not None else v for c, v in zip(columns, row, strict=True)],
        )
        for row in rows
    ]


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


ACCOUNT_FIELDS = ("id", "legal_entity", "number", "name_sv", "name_en", "type", "control", "active")
ACCOUNT_FIELDS += ("default_vat_code", "required_dimension")
DIMENSION_FIELDS = ("id", "legal_entity", "kind", "code", "name", "active")
SERIES_FIELDS = ("id", "legal_entity", "code", "name", "is_manual")
PERIOD_FIELDS = ("id", "fiscal_year", "legal_entity", "number", "start_on", "end_on")
YEAR_FIELDS = ("id", "legal_entity", "start_on", "end_on", "status")
STANDARDS_FIELDS = ("id", "legal_entity", "four_eyes_threshold_amount", "attachment_threshold_amount")


def _columns(model: type[models.Model], fields: Sequence[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + model._meta.get_field(f).column for f in fields)


class LedgerContext:
    """What checking and posting need from the database, loaded once per call (or batch).

    Loaded with raw SQL (``_load``) into model instances whose other fields are deferred."""

    def __init__(self, *, legal_entity: Any, actor: Any):
        self.legal_entity_id = getattr(legal_entity, "pk", legal_entity)
        self.actor = actor
        self._accounts: dict[str, LedgerAccount] = {}
        self._dims: dict[tuple[str, str], DimensionObject] = {}
        self._series: dict[str, VoucherSeries] | None = None
        self._allowed_roles: dict[int, set[int]] = {}
        self._periods: list[Period] | None = None
        self._lock: datetime.date | bool | None = False
        self._standards: PostingStandards | bool | None = False
        self._role_id: int | bool | None = False

    def load_accounts(self, numbers: Iterable[str]) -> None:
        missing = sorted({n for n in numbers if n not in self._accounts})
        if missing:
            marks = ", ".join(["%s"] * len(missing))
            for account in _load(
                LedgerAccount,
                ACCOUNT_FIELDS,
                f"SELECT {_columns(LedgerAccount, ACCOUNT_FIELDS)} FROM {_table(LedgerAccount)} "  # noqa: S608 - names from model meta
                f"WHERE legal_entity_id = %s AND number IN ({marks})",
                [self.legal_entity_id, *missing],
            ):
                self._accounts[account.number] = account

    def account(self, number: str) -> LedgerAccount | None:
        return self._accounts.get(number)

    def load_dims(self, pairs: Iterable[tuple[str, str]]) -> None:
        missing = {p for p in pairs if p not in self._dims}
        if missing:
            codes = sorted({code for _, code in missing})
            marks = ", ".join(["%s"] * len(codes))
            for obj in _load(
                DimensionObject,
                DIMENSION_FIELDS,
                f"SELECT {_columns(DimensionObject, DIMENSION_FIELDS)} FROM {_table(DimensionObject)} "  # noqa: S608 - names from model meta
                f"WHERE legal_entity_id = %s AND code IN ({marks})",
                [self.legal_entity_id, *codes],
            ):
                self._dims[(obj.kind, obj.code)] = obj

    def dim(self, kind: str, code: str) -> DimensionObject | None:
        return self._dims.get((kind, code))

    def series(self, code: str) -> VoucherSeries | None:
        if self._series is None:
            # One query: a row per (series, allowed role), or one row with role NULL.
            through = VoucherSeries.allowed_roles.through
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {_columns(VoucherSeries, SERIES_FIELDS, 's')}, r.role_id "  # noqa: S608 - names from model meta
                    f"FROM {_table(VoucherSeries)} s LEFT JOIN {_table(through)} r ON r.voucherseries_id = s.id "
                    "WHERE s.legal_entity_id = %s ORDER BY s.code",
                    [self.legal_entity_id],
                )
                rows = cursor.fetchall()
            self._series, self._allowed_roles = {}, {}
            for row, series in zip(
                rows, _instances(VoucherSeries, SERIES_FIELDS, [r[:-1] for r in rows]), strict=True
            ):
                series = self._series.setdefault(series.code, series)
                roles = self._allowed_roles.setdefault(series.pk, set())
                if row[-1] is not None:
                    roles.add(row[-1])
        return self._series.get(code)

    def allowed_role_ids(self, series: VoucherSeries) -> set[int]:
        """The roles that may post to ``series`` (empty: everyone allowed to post)."""
        self.series(series.code)
        return self._allowed_roles.get(series.pk, set())

    def period_for(self, date: datetime.date) -> Period | None:
        if self._periods is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {_columns(Period, PERIOD_FIELDS, 'p')}, {_columns(FiscalYear, YEAR_FIELDS, 'y')} "  # noqa: S608 - names from model meta
                    f"FROM {_table(Period)} p JOIN {_table(FiscalYear)} y ON y.id = p.fiscal_year_id "
                    "WHERE p.legal_entity_id = %s AND p.number > 0 ORDER BY p.start_on",
                    [self.legal_entity_id],
                )
                rows = cursor.fetchall()
            width = len(PERIOD_FIELDS)
            periods = _instances(Period, PERIOD_FIELDS, [r[:width] for r in rows])
            years: dict[int, FiscalYear] = {}
            for period, year in zip(
                periods, _instances(FiscalYear, YEAR_FIELDS, [r[width:] for r in rows]), strict=True
            ):
                period.fiscal_year = years.setdefault(year.pk, year)
            self._periods = periods
        for period in self._periods:
            if period.start_on <= date <= period.end_on:
                return period
        return None

    @property
    def role_id(self) -> int | None:
        if self._role_id is False:
            from frontoffice.org.models import Staff

            self._role_id = (
                Staff.objects.filter(user_id=getattr(self.actor, "pk", None), active=True)
                .values_list("role_id", flat=True)
                .first()
            )
        return self._role_id  # type: ignore[return-value]

    @property
    def locked_through(self) -> datetime.date | None:
        """The later of the lock date for everyone and the one for the actor's role."""
        if self._lock is False:
            from frontoffice.org.models import Staff

            if self._role_id is False:  # the actor's role as a subquery: one query, not two
                role_sql = (
                    f"(SELECT role_id FROM {_table(Staff)} WHERE user_id = %s AND active ORDER BY id LIMIT 1)"  # noqa: S608 - names from model meta
                )
                params = [self.legal_entity_id, getattr(self.actor, "pk", None)]
            else:
                role_sql, params = "%s", [self.legal_entity_id, self._role_id]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT MAX(locked_through) FROM {_table(LockDate)} "  # noqa: S608 - names from model meta
                    f"WHERE legal_entity_id = %s AND (role_id IS NULL OR role_id = {role_sql})",
                    params,
                )
                (latest,) = cursor.fetchone()
            self._lock = LockDate._meta.get_field("locked_through").to_python(latest)
        return self._lock  # type: ignore[return-value]

    @property
    def standards(self) -> PostingStandards | None:
        if self._standards is False:
            found = _load(
                PostingStandards,
                STANDARDS_FIELDS,
                f"SELECT {_columns(PostingStandards, STANDARDS_FIELDS)} FROM {_table(PostingStandards)} "  # noqa: S608 - names from model meta
                "WHERE legal_entity_id = %s ORDER BY id LIMIT 1",
                [self.legal_entity_id],
            )
            self._standards = found[0] if found else None
        return self._standards  # type: ignore[return-value]


# ---------------------------------------------------------------- checking


def _check(
    ctx: LedgerContext, entry: EntryInput, *, manual: bool | None = None
) -> tuple[_Checked | None, list[Violation]]:
    """Check one voucher against every standard; returns the parsed voucher or the violations."""
    violations: list[Violation] = []
    series = ctx.series(entry.series)
    if series is None:
        violations.append(
            Violation(
                "series_not_allowed", _("There is no voucher series “%(code)s”.") % {"code": entry.series}
            )
        )
    else:
        allowed = ctx.allowed_role_ids(series)
        if allowed and ctx.role_id not in allowed and not getattr(ctx.actor, "is_superuser", False):
            violations.append(
                Violation(
                    "series_not_allowed",
                    _("Your role may not post to series %(code)s (%(name)s).")
                    % {"code": series.code, "name": series.name},
                )
            )
    is_manual = series.is_manual if (manual is None and series is not None) else bool(manual)
    if not isinstance(entry.date, datetime.date):
        violations.append(Violation("no_fiscal_year", _("The voucher has no valid date.")))
        period = None
    else:
        period = ctx.period_for(entry.date)
        if period is None:
            violations.append(
                Violation(
                    "no_fiscal_year",
                    _("%(date)s is not in any fiscal year of the company.")
                    % {"date": entry.date.isoformat()},
                )
            )
        elif not period.fiscal_year.is_open:
            violations.append(
                Violation(
                    "year_closed",
                    _("The fiscal year %(year)s is closed.") % {"year": period.fiscal_year},
                )
            )
        lock = ctx.locked_through
        if lock is not None and entry.date <= lock:
            violations.append(
                Violation(
                    "period_locked",
                    _(
                        "Postings dated %(lock)s or earlier are locked for your role; the voucher is dated %(date)s."
                    )
                    % {"lock": lock.isoformat(), "date": entry.date.isoformat()},
                )
            )
    if len(entry.lines) < 2:
        violations.append(
            Violation(
                "too_few_lines",
                _("The voucher has %(n)s line(s); it needs at least two.") % {"n": len(entry.lines)},
            )
        )

    ctx.load_accounts(str(line.account).strip() for line in entry.lines)
    ctx.load_dims(
        (kind, code) for line in entry.lines for kind in DIMENSIONS if (code := getattr(line, kind))
    )
    lines: list[_Line] = []
    debit_total = credit_total = Decimal("0.00")
    for idx, line in enumerate(entry.lines, start=1):
        number = str(line.account).strip()
        debit, credit = parse_amount(line.debit), parse_amount(line.credit)
        has_debit = line.debit not in (None, "", 0, Decimal("0"))
        has_credit = line.credit not in (None, "", 0, Decimal("0"))
        side = amount = None
        if has_debit == has_credit:
            violations.append(
                Violation(
                    "amount_invalid",
                    _("Line %(n)s needs an amount in exactly one of debit or credit.") % {"n": idx},
                    idx,
                )
            )
        else:
            side, amount = ("D", debit) if has_debit else ("C", credit)
            raw = line.debit if has_debit else line.credit
            if amount is None or amount <= 0:
                violations.append(
                    Violation(
                        "amount_invalid",
                        _("Line %(n)s: “%(value)s” is not a positive amount with at most two decimals.")
                        % {"n": idx, "value": raw},
                        idx,
                    )
                )
                amount = None
        account = ctx.account(number)
        if account is None:
            violations.append(
                Violation(
                    "unknown_account",
                    _("Line %(n)s: account %(account)s does not exist.")
                    % {"n": idx, "account": number or "—"},
                    idx,
                )
            )
        else:
            if not account.active:
                violations.append(
                    Violation(
                        "inactive_account",
                        _("Line %(n)s: account %(account)s is inactive.") % {"n": idx, "account": account},
                        idx,
                    )
                )
            if account.control and is_manual:
                violations.append(
                    Violation(
                        "control_account",
                        _("Line %(n)s: %(account)s is a control account; it cannot be posted to by hand.")
                        % {"n": idx, "account": account},
                        idx,
                    )
                )
        dims: dict[str, DimensionObject | None] = {}
        for kind in DIMENSIONS:
            code = getattr(line, kind)
            if code:
                obj = ctx.dim(kind, code)
                if obj is None or not obj.active:
                    violations.append(
                        Violation(
                            "unknown_dimension",
                            _("Line %(n)s: %(dimension)s “%(code)s” does not exist or is inactive.")
                            % {"n": idx, "dimension": DimensionKind(kind).label, "code": code},
                            idx,
                        )
                    )
                dims[kind] = obj
        if account is not None and account.required_dimension and not dims.get(account.required_dimension):
            violations.append(
                Violation(
                    "dimension_required",
                    _("Line %(n)s: account %(account)s needs a %(dimension)s.")
                    % {
                        "n": idx,
                        "account": account,
                        "dimension": DimensionKind(account.required_dimension).label.lower(),
                    },
                    idx,
                )
            )
        if side == "D" and amount:
            debit_total += amount
        elif side == "C" and amount:
            credit_total += amount
        if account is not None and side and amount:
            lines.append(_Line(idx, account, side, amount, clean_text(line.text), dims))
    if (
        not any(v.code == "amount_invalid" for v in violations)
        and len(entry.lines) >= 2
        and debit_total != credit_total
    ):
        violations.append(
            Violation(
                "unbalanced",
                _("Debits are %(debit)s and credits are %(credit)s: a difference of %(diff)s.")
                % {"debit": debit_total, "credit": credit_total, "diff": abs(debit_total - credit_total)},
            )
        )
    standards = ctx.standards
    limit = standards.attachment_threshold_amount if standards else None
    if limit is not None and debit_total > limit and entry.attachment_count < 1:
        violations.append(
            Violation(
                "attachment_required",
                _("The voucher totals %(total)s, above %(limit)s: attach a supporting document.")
                % {"total": debit_total, "limit": limit},
            )
        )
    if violations:
        return None, violations
    assert series is not None and period is not None
    return _Checked(entry, series, period, lines, debit_total), []


def needs_second_approval(ctx: LedgerContext, checked: _Checked) -> bool:
    standards = ctx.standards
    return bool(
        checked.series.is_manual
        and standards
        and standards.four_eyes_threshold_amount is not None
        and checked.total > standards.four_eyes_threshold_amount
    )


def _reject(
    ctx: LedgerContext, violations: list[Violation], entry: JournalEntry | None = None
) -> PostingRejected:
    """Record the rejection (outside the failed transaction's rollback) and build the error."""
    PostingRejection.objects.create(
        legal_entity_id=ctx.legal_entity_id,
        actor=ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None,
        entry=entry,
        codes=sorted({v.code for v in violations}),
        messages=[v.message for v in violations],
    )
    if entry is not None:
        JournalEntry.objects.filter(pk=entry.pk).update(rejection_count=F("rejection_count") + 1)
    return PostingRejected(violations)


# ---------------------------------------------------------------- numbering, hashing, balances


_COUNTER = SeriesCounter._meta.db_table


def _counter_locked(series: VoucherSeries, fiscal_year_id: int) -> SeriesCounter:
    """The counter row of (series, year), locked until the end of the transaction (raw SQL:
    this runs once per posting, and the ORM's query building is most of its cost)."""
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else ""
    sql = f"SELECT id, next_number, last_hash FROM {_COUNTER} WHERE series_id = %s AND fiscal_year_id = %s{lock}"  # noqa: S608 - names from model meta, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [series.pk, fiscal_year_id])
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    SeriesCounter.objects.create(series=series, fiscal_year_id=fiscal_year_id)
            except IntegrityError:
                pass  # created by a concurrent poster
            cursor.execute(sql, [series.pk, fiscal_year_id])
            row = cursor.fetchone()
    pk, next_number, last_hash = row
    return SeriesCounter(
        id=pk,
        series_id=series.pk,
        fiscal_year_id=fiscal_year_id,
        next_number=next_number,
        last_hash=last_hash,
    )


def entry_hash(
    *,
    previous_hash: str,
    entry: JournalEntry,
    lines: Sequence[Any],
    series_code: str,
    account_numbers: dict[int, str],
    dim_codes: dict[int, str],
) -> str:
    """SHA-256 over the previous hash and the voucher's content, in a fixed canonical form."""
    parts = [
        previous_hash,
        str(entry.legal_entity_id),
        series_code,
        str(entry.fiscal_year_id),
        str(entry.number),
        entry.date.isoformat(),
        entry.text,
        f"{entry.total_amount:.2f}",
        str(entry.reverses_id or ""),
    ]
    for line in lines:
        parts.append(
            ";".join(
                [
                    str(line.line_no),
                    account_numbers[line.account_id],
                    line.side,
                    f"{line.amount:.2f}",
                    dim_codes.get(line.cost_centre_id, "") if line.cost_centre_id else "",
                    dim_codes.get(line.project_id, "") if line.project_id else "",
                    dim_codes.get(line.region_id, "") if line.region_id else "",
                    line.text,
                ]
            )
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class _LineRow(NamedTuple):
    """A voucher line to insert (what ``entry_hash`` reads, without a model instance)."""

    line_no: int
    account_id: int
    side: str
    amount: Decimal
    text: str
    cost_centre_id: int | None
    project_id: int | None
    region_id: int | None


_BALANCE = AccountBalance._meta.db_table
_LINE = JournalLine._meta.db_table
_BALANCE_UPSERT = (
    f"INSERT INTO {_BALANCE} (legal_entity_id, account_id, period_id, debit_amount, credit_amount) "  # noqa: S608 - names from model meta
    "VALUES {values} ON CONFLICT (account_id, period_id) DO UPDATE SET "
    f"debit_amount = {_BALANCE}.debit_amount + excluded.debit_amount, "
    f"credit_amount = {_BALANCE}.credit_amount + excluded.credit_amount"
)
_LINE_COLUMNS = [
    "entry_id",
    "line_no",
    "account_id",
    "side",
    "amount",
    "text",
    "cost_centre_id",
    "project_id",
    "region_id",
    "legal_entity_id",
    "date",
    "period_id",
]


def _apply_balances(legal_entity_id: int, lines: Iterable[Any]) -> None:
    """Add the lines' debit and credit sums to ``AccountBalance``, one upsert statement per
    1,000 (account, period) pairs, in a fixed order so concurrent posters cannot deadlock.
    ``lines`` have ``account_id``, ``period_id``, ``side`` and ``amount``."""
    sums: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for line in lines:
        pair = sums[(line.account_id, line.period_id)]
        pair[0 if line.side == "D" else 1] += line.amount
    rows = sorted(sums.items())
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for (account_id, period_id), (debit, credit) in chunk:
                params += [legal_entity_id, account_id, period_id, debit, credit]
            cursor.execute(_BALANCE_UPSERT.replace("{values}", values), params)


def _insert_lines(rows: list[tuple[Any, ...]]) -> None:
    """Insert voucher lines (tuples in ``_LINE_COLUMNS`` order) without model instances:
    one ``INSERT ... SELECT FROM unnest(arrays)`` on PostgreSQL, ``executemany`` elsewhere."""
    if not rows:
        return
    columns = ", ".join(_LINE_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            fields = [JournalLine._meta.get_field(c.removesuffix("_id")) for c in _LINE_COLUMNS]
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            cursor.execute(
                f"INSERT INTO {_LINE} ({columns}) SELECT * FROM unnest({arrays})",  # noqa: S608 - names from model meta, values as parameters
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            placeholders = ", ".join(["%s"] * len(_LINE_COLUMNS))
            sql = f"INSERT INTO {_LINE} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from model meta, values as parameters
            cursor.executemany(sql, rows)


def _write(
    ctx: LedgerContext,
    checked_list: Sequence[_Checked],
    *,
    reverses: dict[int, JournalEntry] | None = None,
    stored: dict[int, JournalEntry] | None = None,
) -> list[JournalEntry]:
    """Number, hash and write vouchers that passed every standard (caller holds the transaction).

    ``stored`` maps an index to the draft row that becomes the posted voucher (same id, so its
    audit trail and rejections stay attached)."""
    stored = stored or {}
    reverses = reverses or {}
    now = timezone.now()
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    le_id = ctx.legal_entity_id
    entries: list[JournalEntry] = []
    all_lines: list[list[_LineRow]] = []
    by_counter: dict[tuple[int, int], list[int]] = defaultdict(list)
    for idx, checked in enumerate(checked_list):
        by_counter[(checked.series.pk, checked.period.fiscal_year_id)].append(idx)
    numbered: dict[int, int] = {}
    counters: dict[tuple[int, int], SeriesCounter] = {}
    # Lock counters in a fixed order so concurrent batches cannot deadlock.
    for key in sorted(by_counter):
        first = checked_list[by_counter[key][0]]
        counter = _counter_locked(first.series, first.period.fiscal_year_id)
        counters[key] = counter
        for offset, idx in enumerate(by_counter[key]):
            numbered[idx] = counter.next_number + offset
    account_numbers: dict[int, str] = {}
    dim_codes: dict[int, str] = {}
    content_types: dict[type, ContentType] = {}
    posted_status = JournalEntry.Status.POSTED
    for idx, checked in enumerate(checked_list):
        entry_in = checked.entry
        source_type, source_id = None, ""
        if entry_in.source is not None:
            model = type(entry_in.source)
            if model not in content_types:
                content_types[model] = ContentType.objects.get_for_model(entry_in.source)
            source_type = content_types[model]
            source_id = str(entry_in.source.pk)
        reversed_entry = reverses.get(idx)
        entries.append(
            JournalEntry(
                legal_entity_id=le_id,
                series=checked.series,
                fiscal_year_id=checked.period.fiscal_year_id,
                period=checked.period,
                number=numbered[idx],
                date=entry_in.date,
                text=clean_text(entry_in.text),
                status=posted_status,
                total_amount=checked.total,
                source_type=source_type,
                source_id=source_id,
                idempotency_key=entry_in.idempotency_key or None,
                reverses=reversed_entry,
                created_by=actor,
                posted_at=now,
                posted_by=actor,
            )
        )
        lines = []
        for line in checked.lines:
            account_numbers[line.account.pk] = line.account.number
            dims = line.dims
            if dims:
                for obj in dims.values():
                    if obj is not None:
                        dim_codes[obj.pk] = f"{obj.kind}:{obj.code}"
                cost_centre, project, region = (
                    dims.get("cost_centre"),
                    dims.get("project"),
                    dims.get("region"),
                )
            else:
                cost_centre = project = region = None
            lines.append(
                _LineRow(
                    line.line_no,
                    line.account.pk,
                    line.side,
                    line.amount,
                    line.text,
                    cost_centre.pk if cost_centre else None,
                    project.pk if project else None,
                    region.pk if region else None,
                )
            )
        all_lines.append(lines)
    # Hash in number order per counter so each voucher chains to its predecessor.
    for key, indexes in by_counter.items():
        counter = counters[key]
        previous = counter.last_hash
        for idx in indexes:
            entry = entries[idx]
            entry.previous_hash = previous
            entry.hash = entry_hash(
                previous_hash=previous,
                entry=entry,
                lines=all_lines[idx],
                series_code=checked_list[idx].series.code,
                account_numbers=account_numbers,
                dim_codes=dim_codes,
            )
            previous = entry.hash
        counter.next_number += len(indexes)
        counter.last_hash = previous
    for idx, draft in stored.items():
        entry = entries[idx]
        entry.pk = draft.pk
        entry.created_at = draft.created_at
        entry.created_by_id = draft.created_by_id
        entry.submitted_by_id = draft.submitted_by_id
        entry.approved_by_id = draft.approved_by_id
        entry.rejection_count = draft.rejection_count
        entry.idempotency_key = draft.idempotency_key
        JournalLine.objects.filter(entry_id=draft.pk).delete()
        entry.save(force_update=True)
    JournalEntry.objects.bulk_create([e for i, e in enumerate(entries) if i not in stored])
    sqlite = connection.vendor == "sqlite"
    line_rows: list[tuple[Any, ...]] = []
    balance_lines: list[Any] = []
    for entry, lines, checked in zip(entries, all_lines, checked_list, strict=True):
        period_id = checked.period.pk
        day = entry.date.isoformat() if sqlite else entry.date
        for line in lines:
            amount = str(line.amount) if sqlite else line.amount
            line_rows.append(
                (
                    entry.pk,
                    line.line_no,
                    line.account_id,
                    line.side,
                    amount,
                    line.text,
                    line.cost_centre_id,
                    line.project_id,
                    line.region_id,
                    le_id,
                    day,
                    period_id,
                )
            )
            balance_lines.append(_BalanceLine(line.account_id, period_id, line.side, line.amount))
    _insert_lines(line_rows)
    with connection.cursor() as cursor:
        for counter in counters.values():
            cursor.execute(
                f"UPDATE {_COUNTER} SET next_number = %s, last_hash = %s WHERE id = %s",  # noqa: S608 - names from model meta, values as parameters
                [counter.next_number, counter.last_hash, counter.pk],
            )
    _apply_balances(le_id, balance_lines)
    return entries


class _BalanceLine(NamedTuple):
    account_id: int
    period_id: int
    side: str
    amount: Decimal


def _existing_by_key(legal_entity_id: int, key: str | None) -> JournalEntry | None:
    if not key:
        return None
    return JournalEntry.objects.filter(legal_entity_id=legal_entity_id, idempotency_key=key).first()


# ---------------------------------------------------------------- public services


def journal_entry_post(
    *, actor: Any, legal_entity: Any, entry: EntryInput, ctx: LedgerContext | None = None
) -> JournalEntry:
    """Check and post one voucher in its own transaction; the service API other apps call.

    Needs ``finance.post_journalentry`` in the legal entity. Raises ``PostingRejected`` listing
    every violated standard (the rejection is recorded). A manual voucher above the four-eyes
    limit is stored as awaiting approval instead (no number yet). With an idempotency key, a
    repeated call returns the voucher of the first call.
    """
    require_perm(actor, "finance.post_journalentry")
    ctx = ctx or LedgerContext(legal_entity=legal_entity, actor=actor)
    require_legal_entity(actor, ctx.legal_entity_id)
    existing = _existing_by_key(ctx.legal_entity_id, entry.idempotency_key)
    if existing is not None:
        return existing
    checked, violations = _check(ctx, entry)
    if violations:
        with transaction.atomic():
            error = _reject(ctx, violations)
        raise error
    assert checked is not None
    try:
        with transaction.atomic():
            if needs_second_approval(ctx, checked):
                return _store_for_approval(ctx, checked)
            (posted,) = _write(ctx, [checked])
            audit_record(
                actor=actor,
                action="finance.voucher.posted",
                obj=posted,
                changes={"number": [None, posted.reference]},
            )
            return posted
    except IntegrityError:
        # A concurrent call with the same idempotency key won the race.
        existing = _existing_by_key(ctx.legal_entity_id, entry.idempotency_key)
        if existing is None:
            raise
        return existing


def journal_entries_post_batch(
    *, actor: Any, legal_entity: Any, entries: Sequence[EntryInput]
) -> list[JournalEntry]:
    """Post many vouchers in one transaction, all or nothing.

    Every voucher is checked first; if any breaks a standard, nothing is posted and
    ``ValidationError`` maps each failing voucher's index to its violations. Batches are for
    system postings (imports, invoices): the four-eyes rule does not route them to approval.
    """
    require_perm(actor, "finance.post_journalentry")
    ctx = LedgerContext(legal_entity=legal_entity, actor=actor)
    require_legal_entity(actor, ctx.legal_entity_id)
    checked_list: list[_Checked] = []
    failures: dict[int, list[Violation]] = {}
    for idx, entry in enumerate(entries):
        checked, violations = _check(ctx, entry)
        if violations:
            failures[idx] = violations
        else:
            checked_list.append(checked)  # type: ignore[arg-type]
    if failures:
        with transaction.atomic():
            for violations in failures.values():
                _reject(ctx, violations)
        raise ValidationError(
            {
                f"entries.{idx}": [ValidationError(v.message, code=v.code) for v in violations]
                for idx, violations in failures.items()
            },
            code="posting_rejected",
        )
    with transaction.atomic():
        posted = _write(ctx, checked_list)
        content_type = ContentType.objects.get_for_model(JournalEntry)
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    actor=actor if actor.is_authenticated else None,
                    action="finance.voucher.posted",
                    content_type=content_type,
                    object_id=str(e.pk),
                    object_repr=str(e)[:255],
                    changes={
                        "number": [None, f"{checked_list[i].series.code}{e.number}"],
                        "batch": [None, True],
                    },
                )
                for i, e in enumerate(posted)
            ]
        )
    return posted


def _store_for_approval(ctx: LedgerContext, checked: _Checked) -> JournalEntry:
    entry = JournalEntry.objects.create(
        legal_entity_id=ctx.legal_entity_id,
        series=checked.series,
        date=checked.entry.date,
        text=clean_text(checked.entry.text),
        status=JournalEntry.Status.AWAITING_APPROVAL,
        total_amount=checked.total,
        idempotency_key=checked.entry.idempotency_key or None,
        created_by=ctx.actor,
        submitted_by=ctx.actor,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                entry=entry,
                line_no=line.line_no,
                account=line.account,
                side=line.side,
                amount=line.amount,
                text=line.text,
                cost_centre=line.dims.get("cost_centre"),
                project=line.dims.get("project"),
                region=line.dims.get("region"),
                legal_entity_id=ctx.legal_entity_id,
                date=checked.entry.date,
            )
            for line in checked.lines
        ]
    )
    audit_record(actor=ctx.actor, action="finance.voucher.submitted_for_approval", obj=entry)
    return entry


def entry_input_from(entry: JournalEntry) -> EntryInput:
    """The input a stored draft (or voucher awaiting approval) would be posted from."""
    lines = [
        LineInput(
            account=line.account.number,
            debit=line.amount if line.side == "D" else None,
            credit=line.amount if line.side == "C" else None,
            text=line.text,
            cost_centre=line.cost_centre.code if line.cost_centre else None,
            project=line.project.code if line.project else None,
            region=line.region.code if line.region else None,
        )
        for line in entry.lines.select_related("account", "cost_centre", "project", "region").order_by(
            "line_no"
        )
    ]
    return EntryInput(
        series=entry.series.code,
        date=entry.date,
        text=entry.text,
        lines=lines,
        source=entry.source,
        attachment_count=entry.attachments.count(),
    )


@transaction.atomic
def journal_entry_draft_save(
    *, actor: Any, legal_entity: Any, entry: EntryInput, draft: JournalEntry | None = None
) -> JournalEntry:
    """Create or replace a draft voucher. Drafts are checked for shape only (accounts and
    dimensions exist, amounts are valid); the posting standards apply when it is posted.
    Replacing a draft keeps its history (creator, rejected attempts)."""
    require_perm(actor, "finance.add_journalentry")
    ctx = LedgerContext(legal_entity=legal_entity, actor=actor)
    require_legal_entity(actor, ctx.legal_entity_id)
    series = ctx.series(entry.series)
    errors: dict[str, list[str]] = {}
    if series is None:
        errors["series"] = [_("There is no voucher series “%(code)s”.") % {"code": entry.series}]
    ctx.load_accounts(str(line.account).strip() for line in entry.lines)
    ctx.load_dims(
        (kind, code) for line in entry.lines for kind in DIMENSIONS if (code := getattr(line, kind))
    )
    parsed: list[tuple[LedgerAccount, str, Decimal, str, dict[str, DimensionObject | None]]] = []
    for idx, line in enumerate(entry.lines, start=1):
        account = ctx.account(str(line.account).strip())
        debit, credit = parse_amount(line.debit), parse_amount(line.credit)
        if account is None:
            errors.setdefault(f"lines.{idx}", []).append(
                _("Account %(a)s does not exist.") % {"a": line.account}
            )
        if (debit is None) == (credit is None) or (debit or credit or 0) <= 0:
            errors.setdefault(f"lines.{idx}", []).append(
                _("Enter a positive amount in exactly one of debit or credit.")
            )
        dims: dict[str, DimensionObject | None] = {}
        for kind in DIMENSIONS:
            code = getattr(line, kind)
            if code:
                dims[kind] = ctx.dim(kind, code)
                if dims[kind] is None:
                    errors.setdefault(f"lines.{idx}", []).append(
                        _("%(dimension)s “%(code)s” does not exist.")
                        % {"dimension": DimensionKind(kind).label, "code": code}
                    )
        if account is not None and ((debit is None) != (credit is None)):
            side, amount = ("D", debit) if debit is not None else ("C", credit)
            if amount and amount > 0:
                parsed.append((account, side, amount, clean_text(line.text), dims))
    if errors:
        raise ValidationError(errors, code="invalid_draft")
    with transaction.atomic():
        if draft is None:
            draft = JournalEntry(legal_entity_id=ctx.legal_entity_id, created_by=actor)
        else:
            draft = JournalEntry.objects.select_for_update(of=("self",)).get(
                pk=draft.pk, legal_entity_id=ctx.legal_entity_id
            )
            if draft.status != JournalEntry.Status.DRAFT:
                raise ValidationError(_("Only drafts can be changed."), code="not_draft")
            draft.lines.all().delete()
        draft.series = series
        draft.date = entry.date
        draft.text = clean_text(entry.text)
        draft.total_amount = sum((p[2] for p in parsed if p[1] == "D"), Decimal("0.00"))
        draft.save()
        JournalLine.objects.bulk_create(
            [
                JournalLine(
                    entry=draft,
                    line_no=i,
                    account=a,
                    side=s,
                    amount=amt,
                    text=t,
                    cost_centre=dims.get("cost_centre"),
                    project=dims.get("project"),
                    region=dims.get("region"),
                    legal_entity_id=ctx.legal_entity_id,
                    date=entry.date,
                )
                for i, (a, s, amt, t, dims) in enumerate(parsed, start=1)
            ]
        )
        audit_record(actor=actor, action="finance.voucher.draft_saved", obj=draft)
    return draft


def journal_entry_submit(*, actor: Any, draft: JournalEntry) -> JournalEntry:
    """Post a draft: checked against every standard; above the four-eyes limit it waits for a
    second person's approval. A rejected attempt is counted on the draft and per employee."""
    require_perm(actor, "finance.post_journalentry")
    ctx = LedgerContext(legal_entity=draft.legal_entity_id, actor=actor)
    require_legal_entity(actor, ctx.legal_entity_id)
    if draft.status != JournalEntry.Status.DRAFT:
        raise ValidationError(_("Only drafts can be posted."), code="not_draft")
    checked, violations = _check(ctx, entry_input_from(draft))
    if violations:
        with transaction.atomic():
            error = _reject(ctx, violations, entry=draft)
        raise error
    assert checked is not None
    with transaction.atomic():
        if needs_second_approval(ctx, checked):
            JournalEntry.objects.filter(pk=draft.pk, status=JournalEntry.Status.DRAFT).update(
                status=JournalEntry.Status.AWAITING_APPROVAL, submitted_by=actor, total_amount=checked.total
            )
            audit_record(actor=actor, action="finance.voucher.submitted_for_approval", obj=draft)
            draft.refresh_from_db()
            return draft
        return _post_stored(ctx, draft, checked, approved_by=None)


def journal_entry_approve(*, actor: Any, entry: JournalEntry) -> JournalEntry:
    """Approve a voucher awaiting approval and post it. The approver must be someone other
    than the person who submitted it, and hold ``finance.approve_journalentry``."""
    require_perm(actor, "finance.approve_journalentry")
    ctx = LedgerContext(legal_entity=entry.legal_entity_id, actor=actor)
    require_legal_entity(actor, ctx.legal_entity_id)
    if entry.status != JournalEntry.Status.AWAITING_APPROVAL:
        raise ValidationError(_("This voucher is not awaiting approval."), code="not_awaiting_approval")
    if entry.submitted_by_id == actor.pk or entry.created_by_id == actor.pk:
        raise PostingRejected(
            [Violation("self_approval", _("You entered this voucher, so someone else must approve it."))]
        )
    checked, violations = _check(ctx, entry_input_from(entry))
    if violations:
        raise PostingRejected(violations)
    assert checked is not None
    with transaction.atomic():
        return _post_stored(ctx, entry, checked, approved_by=actor)


def _post_stored(
    ctx: LedgerContext, stored: JournalEntry, checked: _Checked, *, approved_by: Any
) -> JournalEntry:
    """Post a stored draft in place: the same row becomes the numbered, hashed voucher."""
    locked = JournalEntry.objects.select_for_update(of=("self",)).get(pk=stored.pk)
    if locked.status == JournalEntry.Status.POSTED:
        raise ValidationError(_("This voucher has already been posted."), code="already_posted")
    if approved_by is not None:
        locked.approved_by_id = approved_by.pk
    (posted,) = _write(ctx, [checked], stored={0: locked})
    audit_record(
        actor=ctx.actor,
        action="finance.voucher.posted",
        obj=posted,
        changes={"number": [None, posted.reference]},
    )
    return posted


def journal_entry_reverse(
    *, actor: Any, entry: JournalEntry, date: datetime.date | None = None, text: str = ""
) -> JournalEntry:
    """Post a reversal of a posted voucher: the same lines with debit and credit swapped,
    linked to the original (``reverses``), in the original's series. A voucher is reversed at
    most once. Needs ``finance.reverse_journalentry``; the reversal passes the standards
    (open period for the actor's role) except the manual-posting ban on control accounts."""
    require_perm(actor, "finance.reverse_journalentry")
    ctx = LedgerContext(legal_entity=entry.legal_entity_id, actor=actor)
    require_legal_entity(actor, ctx.legal_entity_id)
    if entry.status != JournalEntry.Status.POSTED:
        raise ValidationError(_("Only posted vouchers can be reversed."), code="not_posted")
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This voucher has already been reversed."), code="already_reversed")
    original = entry_input_from(entry)
    reversal = EntryInput(
        series=original.series,
        date=date or entry.date,
        text=(text or _("Reversal of %(ref)s: %(text)s") % {"ref": entry.reference, "text": entry.text})[
            :200
        ],
        lines=[
            LineInput(
                account=line.account,
                debit=line.credit,
                credit=line.debit,
                text=line.text,
                cost_centre=line.cost_centre,
                project=line.project,
                region=line.region,
            )
            for line in original.lines
        ],
        attachment_count=original.attachment_count,
    )
    # A reversal restores what was posted before; it is not a manual posting to control accounts.
    checked, violations = _check(ctx, reversal, manual=False)
    if violations:
        with transaction.atomic():
            error = _reject(ctx, violations)
        raise error
    assert checked is not None
    with transaction.atomic():
        JournalEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if JournalEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("This voucher has already been reversed."), code="already_reversed")
        (posted,) = _write(ctx, [checked], reverses={0: entry})
        audit_record(
            actor=actor,
            action="finance.voucher.reversed",
            obj=entry,
            changes={"reversal": [None, posted.reference]},
        )
        return posted
