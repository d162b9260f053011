"""Posting vouchers: the one write path into the ledger.

Invariants protected here:
- a voucher is checked against every posting standard before it is written (a batch that
  fails a check rolls back whatever it wrote), and all violations are reported at once
  (``PostingRejected``); the rejection itself is recorded for the posting-compliance measure;
- numbers are gapless per (series, fiscal year): the series counter row is taken with
  ``UPDATE ... RETURNING``, which locks it until the posting transaction ends, so a
  rolled-back posting leaves no gap; a single posting on PostgreSQL numbers from the counter
  as read and writes in one statement that sets the counter only if it is still as read
  (``_post_unlocked``); on SQLite the IMMEDIATE transaction mode serialises writers;
- each posted voucher's hash covers its content and the previous voucher's hash in the
  series, so any later edit breaks the chain (``ledger_verify`` finds it);
- ``AccountBalance`` rows get the voucher's debit and credit sums in the same transaction;
- every posted voucher gets the audit entry ``audit_record`` would write;
- posted vouchers never change: corrections are reversal vouchers (``journal_entry_reverse``);
- an idempotency key makes a repeated call return the voucher posted the first time.

Amounts are Decimal with at most two decimals; floats are refused.

On PostgreSQL a single posting is two statements (the context as one JSON query, then one
data-modifying statement) and a batch is written in chunks in psycopg's pipeline mode; see
"How a posting reaches the database" in docs/finance.md.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.models import AuditEntry
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.registry import require_capability
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
NO_AMOUNT = (None, "", 0, Decimal("0"))  # an empty debit or credit column
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
        rounded = amount.quantize(CENT)  # InvalidOperation also when too many digits
    except (InvalidOperation, ValueError, TypeError):
        return None
    return rounded if rounded == amount else None


def clean_text(value: str | None) -> str:
    """Voucher and line texts: trimmed, at most 200 characters, without control characters
    (PostgreSQL cannot store NUL, and no control character belongs in a voucher text)."""
    text = value or ""
    if not text.isprintable():  # control characters are not printable
        text = "".join(ch for ch in text if ch >= " " or ch == "\t").replace("\t", " ")
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


def _new_instance(model: type[models.Model], values: dict[str, Any], *, db: str | None = None) -> Any:
    """A ``model`` instance holding ``values`` (attribute name to value), built the way
    unpickling builds one, without ``Model.__init__``: posting makes one per voucher and
    several per call, and ``Model.__init__`` costs more than the rest of building a voucher.
    Nothing may listen to these models' init signals (a test checks). Fields left out are
    deferred. With ``db`` the instance is marked as loaded from that database."""
    obj = model.__new__(model)
    obj.__dict__.update(values)
    obj._state = ModelState()
    if db is not None:
        obj._state.adding = False
        obj._state.db = db
    return obj


def _instances(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    convert: bool | None = None,
) -> list[Any]:
    columns, attnames = _fields_of(model, tuple(fields))
    db = connection.alias
    if convert is None:  # SQLite returns dates and decimals as text (and JSON always does)
        convert = connection.vendor != "postgresql"
    if not convert:
        return [_new_instance(model, dict(zip(attnames, row, strict=True)), db=db) for row in rows]
    return [
        _new_instance(
            model,
            {
                a: c.to_python(v) if v is not None else v
                for a, c, v in zip(attnames, columns, row, strict=True)
            },
            db=db,
        )
        for row in rows
    ]


@functools.cache
def _fields_of(model: type[models.Model], fields: tuple[str, ...]) -> tuple[list[Any], list[str]]:
    columns = [model._meta.get_field(name) for name in fields]
    return columns, [column.attname for column in columns]


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


ACCOUNT_FIELDS = ("id", "legal_entity", "number", "name_sv", "name_en", "type", "control", "active")
ACCOUNT_FIELDS += ("default_vat_code", "required_dimension", "manual_voucher_restricted")
DIMENSION_FIELDS = ("id", "legal_entity", "kind", "code", "name", "active")
SERIES_FIELDS = ("id", "legal_entity", "code", "name", "is_manual")
PERIOD_FIELDS = ("id", "fiscal_year", "legal_entity", "number", "start_on", "end_on")
YEAR_FIELDS = ("id", "legal_entity", "start_on", "end_on", "status")
STANDARDS_FIELDS = ("id", "legal_entity", "four_eyes_threshold_amount", "attachment_threshold_amount")


def _columns(model: type[models.Model], fields: Sequence[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + model._meta.get_field(f).column for f in fields)


def _cursor() -> Any:
    """A cursor for the posting statements. On PostgreSQL it binds parameters on the server and
    prepares each statement the first time it runs on a connection (``_PreparingCursor``), so
    the server parses and plans it once per connection instead of on every posting (Django's
    cursors bind on the client: every execution is parsed and planned). Wrapped like Django's
    own cursors, so errors translate and query logging counts its statements."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(connection.connection))


@functools.cache
def _preparing_cursor_class() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class _PreparingCursor(ServerBindingCursor):
        """Prepares its statements on the server. Django turns psycopg's automatic preparation
        off for the whole connection (``prepare_threshold=None``, for transaction-mode
        connection poolers that lose prepared statements between transactions); these
        statements alone are prepared, for the length of each ``execute``. Behind such a
        pooler (PgBouncer before 1.21, or without ``max_prepared_statements``) set
        ``FINANCE_PREPARED_STATEMENTS = False`` in the settings."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            if not getattr(settings, "FINANCE_PREPARED_STATEMENTS", True):
                return super().execute(query, params, **kwargs)
            conn = self.connection
            threshold = conn.prepare_threshold
            conn.prepare_threshold = 0
            try:
                return super().execute(query, params, **kwargs)
            finally:
                conn.prepare_threshold = threshold

    return _PreparingCursor


def _json_row(model: type[models.Model], fields: Sequence[str], alias: str, *extra: str) -> str:
    """``json_build_array`` of ``fields`` (money as text: JSON numbers would become floats)."""
    columns = []
    for name in fields:
        field = model._meta.get_field(name)
        column = f"{alias}.{field.column}"
        columns.append(f"{column}::text" if isinstance(field, models.DecimalField) else column)
    return f"json_build_array({', '.join([*columns, *extra])})"


@functools.cache
def _context_sql() -> str:
    """The one PostgreSQL query behind ``LedgerContext.prefetch`` (a JSON object)."""
    from frontoffice.org.models import Staff

    through = _table(VoucherSeries.allowed_roles.through)
    role = f"(SELECT role_id FROM {_table(Staff)} WHERE user_id = %(user)s AND active ORDER BY id LIMIT 1)"  # noqa: S608 - names from model meta
    roles = f"(SELECT json_agg(r.role_id) FROM {through} r WHERE r.voucherseries_id = s.id)"  # noqa: S608 - names from model meta
    period_row = _json_row(Period, PERIOD_FIELDS, "p", *_columns(FiscalYear, YEAR_FIELDS, "y").split(", "))
    return f"""
        SELECT json_build_object(
            'series', (
                SELECT json_agg({_json_row(VoucherSeries, SERIES_FIELDS, "s", roles)})
                FROM {_table(VoucherSeries)} s
                WHERE s.legal_entity_id = %(le)s AND s.code = ANY(%(codes)s::text[])
            ),
            'periods', (
                SELECT json_agg({period_row} ORDER BY p.start_on)
                FROM {_table(Period)} p JOIN {_table(FiscalYear)} y ON y.id = p.fiscal_year_id
                WHERE p.legal_entity_id = %(le)s AND p.number > 0
                    AND p.end_on >= %(first)s::date AND p.start_on <= %(last)s::date
            ),
            'counters', (
                SELECT json_agg(json_build_array(c.series_id, c.fiscal_year_id, c.id, c.next_number, c.last_hash))
                FROM {_COUNTER} c JOIN {_table(VoucherSeries)} s ON s.id = c.series_id
                WHERE s.legal_entity_id = %(le)s AND s.code = ANY(%(codes)s::text[])
            ),
            'role', {role},
            'locks', (
                SELECT json_agg(json_build_array(l.role_id, l.locked_through)) FROM {_table(LockDate)} l
                WHERE l.legal_entity_id = %(le)s
            ),
            'standards', (
                SELECT {_json_row(PostingStandards, STANDARDS_FIELDS, "ps")} FROM {_table(PostingStandards)} ps
                WHERE ps.legal_entity_id = %(le)s ORDER BY ps.id LIMIT 1
            ),
            'accounts', (
                SELECT json_agg({_json_row(LedgerAccount, ACCOUNT_FIELDS, "a")}) FROM {_table(LedgerAccount)} a
                WHERE a.legal_entity_id = %(le)s AND a.number = ANY(%(accounts)s::text[])
            ),
            'dims', (
                SELECT json_agg({_json_row(DimensionObject, DIMENSION_FIELDS, "o")})
                FROM {_table(DimensionObject)} o
                WHERE o.legal_entity_id = %(le)s AND o.code = ANY(%(dims)s::text[])
            ),
            'existing', (
                SELECT e.id FROM {_table(JournalEntry)} e
                WHERE e.legal_entity_id = %(le)s AND e.idempotency_key = %(key)s
            )
        )
    """  # noqa: S608 - names from model meta, values as parameters


class LedgerContext:
    """What checking and posting need from the database, loaded once per call (or batch).

    Loaded with raw SQL into model instances whose other fields are deferred. On PostgreSQL
    ``prefetch`` loads everything the given vouchers need in one round trip; elsewhere (and
    for whatever was not prefetched) each part is loaded on first use, one query each. A
    context is never reused across calls: a standard or lock date changed between two calls
    is seen by the second."""

    def __init__(self, *, legal_entity: Any, actor: Any):
        self.legal_entity_id = getattr(legal_entity, "pk", legal_entity)
        self.actor = actor
        self._accounts: dict[str, LedgerAccount] = {}
        self._accounts_seen: set[str] = set()  # looked up, found or not
        self._dims: dict[tuple[str, str], DimensionObject] = {}
        self._dim_codes_seen: set[str] = set()
        self._series: dict[str, VoucherSeries] | None = None
        self._series_codes: set[str] | None = None  # prefetched codes (None: all loaded)
        self._allowed_roles: dict[int, set[int]] = {}
        self._periods: list[Period] | None = None
        # Prefetched: the periods from the first to the last of these dates (None: all loaded).
        self._period_range: tuple[datetime.date, datetime.date] | None = None
        self._counters: dict[tuple[int, int], _Counter] | None = None  # prefetched, not locked
        self._lock: datetime.date | bool | None = False
        self._standards: PostingStandards | bool | None = False
        self._role_id: int | bool | None = False
        self._existing: dict[str, int | None] = {}  # idempotency key -> voucher id

    # ------------------------------------------------------------ one round trip (PostgreSQL)

    def prefetch(self, entries: Sequence[EntryInput], *, idempotency_key: str | None = None) -> None:
        """Load the series, periods, lock date, standards, the actor's role, accounts and
        dimension objects ``entries`` name (and the voucher posted under ``idempotency_key``)
        in one query on PostgreSQL. Elsewhere a no-op: each part loads on first use."""
        if connection.vendor != "postgresql":
            return
        codes, dates, numbers, dim_codes = set(), set(), set(), set()
        for entry in entries:
            codes.add(entry.series)
            if isinstance(entry.date, datetime.date):
                dates.add(entry.date)
            for line in entry.lines:
                numbers.add(str(line.account).strip())
                for kind in DIMENSIONS:
                    if code := getattr(line, kind):
                        dim_codes.add(code)
        with _cursor() as cursor:
            cursor.execute(
                _context_sql(),
                {
                    "le": self.legal_entity_id,
                    "user": getattr(self.actor, "pk", None),
                    "codes": sorted(codes),
                    "first": min(dates, default=None),
                    "last": max(dates, default=None),
                    "accounts": sorted(numbers),
                    "dims": sorted(dim_codes),
                    "key": idempotency_key or None,
                },
            )
            (found,) = cursor.fetchone()
        if isinstance(found, str):  # a cursor without the json loader
            found = json.loads(found)
        self._series, self._allowed_roles = {}, {}
        for row in found["series"] or ():
            (series,) = _instances(VoucherSeries, SERIES_FIELDS, [row[:-1]], convert=True)
            self._series[series.code] = series
            self._allowed_roles[series.pk] = set(row[-1] or ())
        self._series_codes = codes
        width = len(PERIOD_FIELDS)
        rows = found["periods"] or []
        periods = _instances(Period, PERIOD_FIELDS, [r[:width] for r in rows], convert=True)
        years: dict[int, FiscalYear] = {}
        for period, row in zip(periods, rows, strict=True):
            (year,) = _instances(FiscalYear, YEAR_FIELDS, [row[width:]], convert=True)
            period.fiscal_year = years.setdefault(year.pk, year)
        if dates:
            self._periods, self._period_range = periods, (min(dates), max(dates))
        self._counters = {(s, y): _Counter(pk, n, h) for s, y, pk, n, h in found["counters"] or ()}
        self._role_id = role_id = found["role"]
        locks = [day for role, day in found["locks"] or () if role is None or role == role_id]
        self._lock = max(map(datetime.date.fromisoformat, locks)) if locks else None
        standards = found["standards"]
        self._standards = (
            _instances(PostingStandards, STANDARDS_FIELDS, [standards], convert=True)[0]
            if standards
            else None
        )
        for account in _instances(LedgerAccount, ACCOUNT_FIELDS, found["accounts"] or (), convert=True):
            self._accounts[account.number] = account
        self._accounts_seen |= numbers
        for obj in _instances(DimensionObject, DIMENSION_FIELDS, found["dims"] or (), convert=True):
            self._dims[(obj.kind, obj.code)] = obj
        self._dim_codes_seen |= dim_codes
        if idempotency_key:
            self._existing[idempotency_key] = found["existing"]

    def counter(self, series_id: int, fiscal_year_id: int) -> _Counter | None:
        """The prefetched (unlocked) counter row of a series in a fiscal year, if any."""
        return (self._counters or {}).get((series_id, fiscal_year_id))

    def existing_id(self, key: str) -> int | bool | None:
        """The id of the voucher posted under ``key`` if prefetched (None: none), else False."""
        return self._existing.get(key, False)

    # ------------------------------------------------------------ parts, loaded on first use

    def load_accounts(self, numbers: Iterable[str]) -> None:
        missing = sorted(set(numbers) - self._accounts_seen)
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
            self._accounts_seen.update(missing)

    def account(self, number: str) -> LedgerAccount | None:
        return self._accounts.get(number)

    def load_dims(self, pairs: Iterable[tuple[str, str]]) -> None:
        codes = sorted({code for _, code in pairs if code not in self._dim_codes_seen})
        if codes:
            marks = ", ".join(["%s"] * len(codes))
            for obj in _load(
                DimensionObject,
                DIMENSION_FIELDS,
                f"SELECT {_columns(DimensionObject, DIMENSION_FIELDS)} FROM {_table(DimensionObject)} "  # noqa: S608 - names from model meta
                f"WHERE legal_entity_id = %s AND code IN ({marks})",
                [self.legal_entity_id, *codes],
            ):
                self._dims[(obj.kind, obj.code)] = obj
            self._dim_codes_seen.update(codes)

    def dim(self, kind: str, code: str) -> DimensionObject | None:
        return self._dims.get((kind, code))

    def series(self, code: str) -> VoucherSeries | None:
        if self._series is None or (self._series_codes is not None and code not in self._series_codes):
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
            self._series, self._allowed_roles, self._series_codes = {}, {}, None
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
        covered = self._period_range is None or self._period_range[0] <= date <= self._period_range[1]
        if self._periods is None or not covered:
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
            self._periods, self._period_range = periods, None
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

    numbers = [str(line.account).strip() for line in entry.lines]
    ctx.load_accounts(numbers)
    ctx.load_dims(
        (kind, code) for line in entry.lines for kind in DIMENSIONS if (code := getattr(line, kind))
    )
    lines: list[_Line] = []
    restricted: list[str] = []  # restricted accounts of a manual voucher (certificate gate)
    debit_total = credit_total = Decimal("0.00")
    for idx, (line, number) in enumerate(zip(entry.lines, numbers, strict=True), start=1):
        debit, credit = parse_amount(line.debit), parse_amount(line.credit)
        has_debit = line.debit not in NO_AMOUNT
        has_credit = line.credit not in NO_AMOUNT
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
            if account.manual_voucher_restricted and is_manual and account.number not in restricted:
                restricted.append(account.number)
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
    if restricted:
        try:
            require_capability(ctx.actor, "finance.manual_voucher")
        except ValidationError as exc:
            violations.append(
                Violation(
                    "certificate_required",
                    _("Manual vouchers to account(s) %(accounts)s are restricted. %(reason)s")
                    % {"accounts": ", ".join(restricted), "reason": exc.messages[0]},
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
_TAKE_NUMBERS = (
    f"UPDATE {_COUNTER} SET next_number = next_number + %s "  # noqa: S608 - names from model meta, values as parameters
    "WHERE series_id = %s AND fiscal_year_id = %s RETURNING id, next_number, last_hash"
)
_CREATE_COUNTER = (
    f"INSERT INTO {_COUNTER} (series_id, fiscal_year_id, next_number, last_hash) "  # noqa: S608 - names from model meta, values as parameters
    "VALUES (%s, %s, 1, '') ON CONFLICT (series_id, fiscal_year_id) DO NOTHING"
)


@dataclass
class _Counter:
    """A (series, fiscal year) counter row as read: the next free number and the hash the next
    voucher chains to. ``taken``: how many numbers this posting already took in the row, under
    its lock (``_take_numbers``); 0 when read without a lock (``LedgerContext.prefetch``), in
    which case the write checks that the row is still as read (``_write_sql``)."""

    id: int
    next_number: int
    last_hash: str
    taken: int = 0


def _take_numbers(counts: dict[tuple[int, int], int]) -> dict[tuple[int, int], _Counter]:
    """Take ``count`` numbers from each (series, fiscal year) counter: one ``UPDATE ...
    RETURNING`` per counter, which locks its row until the end of the posting transaction (a
    rolled-back posting gives its numbers back, so numbers stay gapless). Counters are taken
    in key order so concurrent posters cannot deadlock. A missing counter row is created
    first (``ON CONFLICT DO NOTHING``: a concurrent poster may be creating it too)."""
    counters: dict[tuple[int, int], _Counter] = {}
    with _cursor() as cursor:
        for key in sorted(counts):
            series_id, fiscal_year_id = key
            count = counts[key]
            cursor.execute(_TAKE_NUMBERS, [count, series_id, fiscal_year_id])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(_CREATE_COUNTER, [series_id, fiscal_year_id])
                cursor.execute(_TAKE_NUMBERS, [count, series_id, fiscal_year_id])
                row = cursor.fetchone()
            pk, next_number, last_hash = row
            counters[key] = _Counter(pk, next_number - count, last_hash, taken=count)
    return counters


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
POSTED_ACTION = "finance.voucher.posted"


def _balance_sums(lines: Iterable[tuple[int, int, str, Decimal]]) -> list[tuple[int, int, Decimal, Decimal]]:
    """(account, period, debit sum, credit sum) of ``(account, period, side, amount)`` lines,
    sorted, so concurrent posters update balance rows in one order and cannot deadlock."""
    sums: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for account_id, period_id, side, amount in lines:
        sums[(account_id, period_id)][0 if side == "D" else 1] += amount
    return [(account_id, period_id, d, c) for (account_id, period_id), (d, c) in sorted(sums.items())]


# The fields whose related object a new voucher keeps in its cache (no query to read them).
_ENTRY_RELATED = {
    name: JournalEntry._meta.get_field(name)
    for name in ("series", "period", "source_type", "reverses", "created_by", "posted_by")
}


class _Chain:
    """Each (series, fiscal year) counter's running state while vouchers are numbered and
    hashed in posting order: the next number, and the hash the next voucher chains to."""

    def __init__(self, counters: dict[tuple[int, int], _Counter]):
        self.counters = counters
        self.next_number = {key: c.next_number for key, c in counters.items()}
        self.last_hash = {key: c.last_hash for key, c in counters.items()}

    def updates(self) -> list[tuple[int, int, str, int, str]]:
        """Per counter row: its id, the next number and last hash it must still have, and the
        new ones (``_write_sql`` sets them only if the row is still as expected)."""
        return [
            (c.id, c.next_number + c.taken, c.last_hash, self.next_number[key], self.last_hash[key])
            for key, c in self.counters.items()
        ]


@dataclass
class _Built:
    """Vouchers numbered and hashed (model instances without an id yet) and their lines."""

    entries: list[JournalEntry]
    lines: list[list[_LineRow]]
    period_ids: list[int]

    def balance_lines(self) -> Iterable[tuple[int, int, str, Decimal]]:
        for lines, period_id in zip(self.lines, self.period_ids, strict=True):
            for line in lines:
                yield line.account_id, period_id, line.side, line.amount


def _build(
    ctx: LedgerContext,
    checked_list: Sequence[_Checked],
    chain: _Chain,
    *,
    now: datetime.datetime,
    reverses: dict[int, JournalEntry] | None = None,
) -> _Built:
    """Number and hash checked vouchers in order, each chained to its predecessor in its
    (series, fiscal year), advancing ``chain``."""
    reverses = reverses or {}
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    built = _Built([], [], [])
    account_numbers: dict[int, str] = {}
    dim_codes: dict[int, str] = {}
    content_types: dict[type, ContentType] = {}
    actor_id = getattr(actor, "pk", None)
    values = dict.fromkeys(f.attname for f in JournalEntry._meta.concrete_fields)  # reused
    values |= {"legal_entity_id": ctx.legal_entity_id, "status": JournalEntry.Status.POSTED}
    values |= {"created_at": now, "created_by_id": actor_id, "posted_at": now, "posted_by_id": actor_id}
    values["rejection_count"] = 0
    cached = [("created_by", actor), ("posted_by", actor)] if actor is not None else []
    for idx, checked in enumerate(checked_list):
        entry_in = checked.entry
        key = (checked.series.pk, checked.period.fiscal_year_id)
        source_type, source_id = None, ""
        if entry_in.source is not None:
            model = type(entry_in.source)
            if model not in content_types:
                content_types[model] = ContentType.objects.get_for_model(entry_in.source)
            source_type = content_types[model]
            source_id = str(entry_in.source.pk)
        reversed_entry = reverses.get(idx)
        values["series_id"] = checked.series.pk
        values["fiscal_year_id"] = checked.period.fiscal_year_id
        values["period_id"] = checked.period.pk
        values["number"] = chain.next_number[key]
        values["date"] = entry_in.date
        values["text"] = clean_text(entry_in.text)
        values["total_amount"] = checked.total
        values["source_type_id"] = source_type.pk if source_type else None
        values["source_id"] = source_id
        values["idempotency_key"] = entry_in.idempotency_key or None
        values["reverses_id"] = reversed_entry.pk if reversed_entry else None
        values["previous_hash"], values["hash"] = chain.last_hash[key], ""
        entry = _new_instance(JournalEntry, values)
        _ENTRY_RELATED["series"].set_cached_value(entry, checked.series)
        _ENTRY_RELATED["period"].set_cached_value(entry, checked.period)
        for name, obj in cached:
            _ENTRY_RELATED[name].set_cached_value(entry, obj)
        if source_type is not None:
            _ENTRY_RELATED["source_type"].set_cached_value(entry, source_type)
        if reversed_entry is not None:
            _ENTRY_RELATED["reverses"].set_cached_value(entry, reversed_entry)
        lines = []
        for line in checked.lines:
            account_numbers[line.account.pk] = line.account.number
            cost_centre = project = region = None
            if line.dims:
                for obj in line.dims.values():
                    if obj is not None:
                        dim_codes[obj.pk] = f"{obj.kind}:{obj.code}"
                cost_centre, project, region = (
                    line.dims.get(k) for k in ("cost_centre", "project", "region")
                )
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
        entry.hash = entry_hash(
            previous_hash=entry.previous_hash,
            entry=entry,
            lines=lines,
            series_code=checked.series.code,
            account_numbers=account_numbers,
            dim_codes=dim_codes,
        )
        chain.next_number[key] += 1
        chain.last_hash[key] = entry.hash
        built.entries.append(entry)
        built.lines.append(lines)
        built.period_ids.append(checked.period.pk)
    return built


def _saved(entries: list[JournalEntry]) -> list[JournalEntry]:
    for entry in entries:
        entry._state.adding = False
        entry._state.db = connection.alias
    return entries


def _write(
    ctx: LedgerContext,
    checked_list: Sequence[_Checked],
    *,
    reverses: dict[int, JournalEntry] | None = None,
    stored: dict[int, JournalEntry] | None = None,
    audit: dict[str, Any] | None = None,
    unlocked: _Counter | None = None,
) -> list[JournalEntry] | None:
    """Number, hash and write vouchers that passed every standard (caller holds the transaction).

    ``stored`` maps an index to the draft row that becomes the posted voucher (same id, so its
    audit trail and rejections stay attached). With ``audit`` (extra ``changes``, may be
    empty) each new voucher gets its "finance.voucher.posted" audit entry here, as
    ``audit_record`` would write it; otherwise the caller records the audit.

    Numbers come from the series counters, locked and taken first (``_take_numbers``); or, for
    vouchers of one counter, from ``unlocked``, the counter as read before: then nothing is
    written and None is returned when another posting moved the counter in between."""
    if not checked_list:
        return []
    stored = stored or {}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for checked in checked_list:
        counts[(checked.series.pk, checked.period.fiscal_year_id)] += 1
    if unlocked is not None:
        assert len(counts) == 1 and not stored, "an unlocked counter numbers one new series only"
        chain = _Chain(dict.fromkeys(counts, unlocked))
    else:
        chain = _Chain(_take_numbers(counts))
    built = _build(ctx, checked_list, chain, now=timezone.now(), reverses=reverses)
    for idx, draft in stored.items():
        entry = built.entries[idx]
        entry.pk = draft.pk
        entry.created_at = draft.created_at
        entry.created_by_id = draft.created_by_id
        entry.submitted_by_id = draft.submitted_by_id
        entry.approved_by_id = draft.approved_by_id
        entry.rejection_count = draft.rejection_count
        entry.idempotency_key = draft.idempotency_key
        JournalLine.objects.filter(entry_id=draft.pk).delete()
        entry.save(force_update=True)
    balances = _balance_sums(built.balance_lines())
    if connection.vendor == "postgresql":
        with _cursor() as cursor:
            cursor.execute(_write_sql(), _write_params(ctx, built, stored, chain.updates(), balances, audit))
            written = _take_ids(cursor, built, stored)
    else:
        written = _store_generic(ctx, built, stored, chain.updates(), balances, audit)
    if not written:
        if unlocked is not None:
            return None
        raise RuntimeError("A locked series counter changed.")  # cannot happen: rolls back
    return _saved(built.entries)


# Vouchers per statement when a batch is written in pipeline mode (PostgreSQL); the first
# statement takes a quarter of that, so the server starts writing sooner.
PIPELINE_CHUNK = 200


class _Rejected(Exception):
    def __init__(self, failures: dict[int, list[Violation]]):
        self.failures = failures


@contextlib.contextmanager
def _pipeline() -> Iterator[None]:
    """psycopg's pipeline mode: each statement is sent without waiting for the previous one's
    result, so the server writes one chunk of a batch while Python checks the next. (With a
    libpq older than 14 the statements simply run one after the other.)"""
    import psycopg

    if not psycopg.Pipeline.is_supported():
        yield
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _post_batch_pipelined(
    ctx: LedgerContext, entries: Sequence[EntryInput], audit: dict[str, Any]
) -> list[JournalEntry]:
    """Check, number and write a batch chunk by chunk in one transaction (PostgreSQL): the
    counters are locked first for as many numbers as the batch's vouchers need, then each
    chunk is checked, hashed and sent while the server writes the previous one. The counters
    and the balance sums go with the last chunk. If any voucher breaks a standard the rest are
    still checked, nothing is sent any more and the transaction rolls back (numbers and all):
    ``_Rejected`` carries every failure."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for entry in entries:
        series = ctx.series(entry.series)
        period = ctx.period_for(entry.date) if isinstance(entry.date, datetime.date) else None
        if series is not None and period is not None:
            counts[(series.pk, period.fiscal_year_id)] += 1
    failures: dict[int, list[Violation]] = {}
    posted: list[JournalEntry] = []
    with transaction.atomic(), contextlib.ExitStack() as cursors:
        chain = _Chain(_take_numbers(counts))
        now = timezone.now()
        ends = [*range(max(1, PIPELINE_CHUNK // 4), len(entries), PIPELINE_CHUNK), len(entries)]
        chunks = list(zip([0, *ends[:-1]], ends, strict=True))
        sent: list[tuple[Any, _Built]] = []
        balance_lines: list[tuple[int, int, str, Decimal]] = []
        chunk_cursors = [cursors.enter_context(_cursor()) for _chunk in chunks]
        ContentType.objects.get_for_model(
            JournalEntry, for_concrete_model=False
        )  # cached: no ORM query in the pipeline
        with _pipeline():
            for cursor, (start, end) in zip(chunk_cursors, chunks, strict=True):
                checked_list = []
                for idx in range(start, end):
                    checked, violations = _check(ctx, entries[idx])
                    if violations:
                        failures[idx] = violations
                    else:
                        checked_list.append(checked)
                if failures:
                    continue  # check the rest, write nothing more
                built = _build(ctx, checked_list, chain, now=now)
                balance_lines.extend(built.balance_lines())
                last = end == len(entries)
                updates = chain.updates() if last else []
                balances = _balance_sums(balance_lines) if last else []
                cursor.execute(_write_sql(), _write_params(ctx, built, {}, updates, balances, audit))
                sent.append((cursor, built))
        if failures:
            raise _Rejected(failures)
        for cursor, built in sent:
            if not _take_ids(cursor, built, {}):
                raise RuntimeError("A locked series counter changed.")  # cannot happen: rolls back
            posted.extend(built.entries)
    return _saved(posted)


def _audit_changes(entry: JournalEntry, extra: dict[str, Any]) -> dict[str, Any]:
    return {"number": [None, entry.reference], **extra}


def _write_params(
    ctx: LedgerContext,
    built: _Built,
    stored: dict[int, JournalEntry],
    updates: list[tuple[int, int, str, int, str]],
    balances: list[tuple[int, int, Decimal, Decimal]],
    audit: dict[str, Any] | None,
) -> dict[str, Any]:
    """The parameters of ``_write_sql``: each table's rows as one JSON array."""
    entry_rows, line_rows = [], []
    for idx, (entry, lines, period_id) in enumerate(
        zip(built.entries, built.lines, built.period_ids, strict=True)
    ):
        day = entry.date.isoformat()
        if idx not in stored:
            entry_rows.append(
                (
                    idx,
                    entry.series_id,
                    entry.fiscal_year_id,
                    period_id,
                    entry.number,
                    day,
                    entry.text,
                    str(entry.total_amount),
                    entry.source_type_id,
                    entry.source_id,
                    entry.idempotency_key,
                    entry.reverses_id,
                    entry.previous_hash,
                    entry.hash,
                    str(entry)[:255],
                    None if audit is None else _audit_changes(entry, audit),
                )
            )
        entry_id = stored[idx].pk if idx in stored else None
        for line in lines:
            line_rows.append(
                (
                    idx,
                    entry_id,
                    line.line_no,
                    line.account_id,
                    line.side,
                    str(line.amount),
                    line.text,
                    line.cost_centre_id,
                    line.project_id,
                    line.region_id,
                    day,
                    period_id,
                )
            )
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    dump = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
    return {
        "le": ctx.legal_entity_id,
        "now": built.entries[0].posted_at if built.entries else timezone.now(),
        "actor": getattr(actor, "pk", None),
        "posted": JournalEntry.Status.POSTED.value,
        "action": POSTED_ACTION,
        "content_type": ContentType.objects.get_for_model(JournalEntry, for_concrete_model=False).pk,
        "entries": dump(entry_rows),
        "lines": dump(line_rows),
        "balances": dump([(a, p, str(d), str(c)) for a, p, d, c in balances]),
        "counters": dump(updates),
        "counter_count": len(updates),
    }


def _take_ids(cursor: Any, built: _Built, stored: dict[int, JournalEntry]) -> bool:
    """Give the new vouchers the ids ``_write_sql`` returned; False (nothing was written) when
    a counter row was no longer as expected."""
    rows = cursor.fetchall()
    if not rows[0][0]:
        return False
    ids = {idx: pk for _ok, idx, pk in rows if idx is not None}
    for idx, entry in enumerate(built.entries):
        if idx not in stored:
            entry.pk = ids[idx]
    return True


@functools.cache
def _write_sql() -> str:
    """One data-modifying statement: set each series counter (next number, last hash) if it is
    still as read; only then INSERT the new vouchers (JSON rows), with their ids the lines and
    audit entries, and upsert the balance sums. Returns whether the counters were as read and
    (index in the posting, voucher id) for each new voucher."""
    entry, audit = _table(JournalEntry), _table(AuditEntry)
    return f"""
        WITH counters AS (
            UPDATE {_COUNTER} AS c SET next_number = (r->>3)::int, last_hash = r->>4
            FROM jsonb_array_elements(%(counters)s::jsonb) AS r
            WHERE c.id = (r->>0)::bigint AND c.next_number = (r->>1)::int AND c.last_hash = r->>2
            RETURNING c.id
        ), ok AS MATERIALIZED (
            SELECT count(*) = %(counter_count)s::int AS ok FROM counters
        ), src AS MATERIALIZED (
            SELECT (r->>0)::int AS ord, (r->>1)::bigint AS series_id, (r->>2)::bigint AS fiscal_year_id,
                (r->>3)::bigint AS period_id, (r->>4)::bigint AS number, (r->>5)::date AS date,
                r->>6 AS text, (r->>7)::numeric AS total_amount, (r->>8)::bigint AS source_type_id,
                r->>9 AS source_id, r->>10 AS idempotency_key, (r->>11)::bigint AS reverses_id,
                r->>12 AS previous_hash, r->>13 AS hash, r->>14 AS object_repr, r->>15 AS changes
            FROM jsonb_array_elements(%(entries)s::jsonb) AS r
        ), e AS (
            INSERT INTO {entry} (legal_entity_id, series_id, fiscal_year_id, period_id, number, date, text,
                status, total_amount, source_type_id, source_id, idempotency_key, reverses_id,
                created_at, created_by_id, posted_at, posted_by_id, rejection_count, previous_hash, hash)
            SELECT %(le)s::bigint, series_id, fiscal_year_id, period_id, number, date, text,
                %(posted)s::text, total_amount, source_type_id, source_id, idempotency_key, reverses_id,
                %(now)s::timestamptz, %(actor)s::bigint, %(now)s::timestamptz, %(actor)s::bigint, 0,
                previous_hash, hash
            FROM src WHERE (SELECT ok FROM ok) ORDER BY ord
            RETURNING id, series_id, fiscal_year_id, number
        ), ids AS MATERIALIZED (
            SELECT src.ord, e.id, src.object_repr, src.changes
            FROM src JOIN e USING (series_id, fiscal_year_id, number)
        ), lines AS (
            INSERT INTO {_LINE} ({", ".join(_LINE_COLUMNS)})
            SELECT COALESCE((r->>1)::bigint, ids.id), (r->>2)::int, (r->>3)::bigint, r->>4,
                (r->>5)::numeric, r->>6, (r->>7)::bigint, (r->>8)::bigint, (r->>9)::bigint,
                %(le)s::bigint, (r->>10)::date, (r->>11)::bigint
            FROM jsonb_array_elements(%(lines)s::jsonb) AS r LEFT JOIN ids ON ids.ord = (r->>0)::int
            WHERE (SELECT ok FROM ok)
        ), audit AS (
            INSERT INTO {audit} (at, actor_id, action, content_type_id, object_id, object_repr, changes)
            SELECT %(now)s::timestamptz, %(actor)s::bigint, %(action)s::text, %(content_type)s::bigint,
                ids.id::text, ids.object_repr, ids.changes::jsonb
            FROM ids WHERE ids.changes IS NOT NULL ORDER BY ids.ord
        ), balances AS (
            INSERT INTO {_BALANCE} (legal_entity_id, account_id, period_id, debit_amount, credit_amount)
            SELECT %(le)s::bigint, (r->>0)::bigint, (r->>1)::bigint, (r->>2)::numeric, (r->>3)::numeric
            FROM jsonb_array_elements(%(balances)s::jsonb) AS r WHERE (SELECT ok FROM ok)
            ON CONFLICT (account_id, period_id) DO UPDATE SET
                debit_amount = {_BALANCE}.debit_amount + excluded.debit_amount,
                credit_amount = {_BALANCE}.credit_amount + excluded.credit_amount
        )
        SELECT ok.ok, ids.ord, ids.id FROM ok LEFT JOIN ids ON true
    """  # noqa: S608 - names from model meta, values as parameters


def _store_generic(
    ctx: LedgerContext,
    built: _Built,
    stored: dict[int, JournalEntry],
    updates: list[tuple[int, int, str, int, str]],
    balances: list[tuple[int, int, Decimal, Decimal]],
    audit: dict[str, Any] | None,
) -> bool:
    """The writes of ``_write_sql``, a statement per table (SQLite)."""
    le_id = ctx.legal_entity_id
    with connection.cursor() as cursor:
        for pk, taken, last_hash, next_number, new_hash in updates:
            cursor.execute(
                f"UPDATE {_COUNTER} SET next_number = %s, last_hash = %s "  # noqa: S608 - names from model meta, values as parameters
                "WHERE id = %s AND next_number = %s AND last_hash = %s",
                [next_number, new_hash, pk, taken, last_hash],
            )
            if cursor.rowcount != 1:
                return False
    JournalEntry.objects.bulk_create([e for i, e in enumerate(built.entries) if i not in stored])
    sqlite = connection.vendor == "sqlite"
    line_rows: list[tuple[Any, ...]] = []
    for entry, lines, period_id in zip(built.entries, built.lines, built.period_ids, strict=True):
        day = entry.date.isoformat() if sqlite else entry.date
        for line in lines:
            line_rows.append(
                (
                    entry.pk,
                    line.line_no,
                    line.account_id,
                    line.side,
                    str(line.amount) if sqlite else line.amount,
                    line.text,
                    line.cost_centre_id,
                    line.project_id,
                    line.region_id,
                    le_id,
                    day,
                    period_id,
                )
            )
    with connection.cursor() as cursor:
        if line_rows:
            columns = ", ".join(_LINE_COLUMNS)
            placeholders = ", ".join(["%s"] * len(_LINE_COLUMNS))
            cursor.executemany(f"INSERT INTO {_LINE} ({columns}) VALUES ({placeholders})", line_rows)  # noqa: S608 - names from model meta, values as parameters
        for start in range(0, len(balances), 1000):
            chunk = balances[start : start + 1000]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for account_id, period_id, debit, credit in chunk:
                params += [le_id, account_id, period_id, debit, credit]
            cursor.execute(_BALANCE_UPSERT.replace("{values}", values), params)
    if audit is not None:
        actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
        content_type = ContentType.objects.get_for_model(JournalEntry, for_concrete_model=False)
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    actor=actor,
                    action=POSTED_ACTION,
                    content_type=content_type,
                    object_id=str(entry.pk),
                    object_repr=str(entry)[:255],
                    changes=_audit_changes(entry, audit),
                )
                for idx, entry in enumerate(built.entries)
                if idx not in stored
            ]
        )
    return True


def _existing_by_key(ctx: LedgerContext, key: str | None, *, fresh: bool = False) -> JournalEntry | None:
    """The voucher posted under idempotency ``key`` (the prefetched answer unless ``fresh``)."""
    if not key:
        return None
    found = False if fresh else ctx.existing_id(key)
    if found is None:
        return None
    qs = JournalEntry.objects.filter(legal_entity_id=ctx.legal_entity_id, idempotency_key=key)
    return (qs if found is False else qs.filter(pk=found)).first()


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
    ctx.prefetch([entry], idempotency_key=entry.idempotency_key)
    existing = _existing_by_key(ctx, entry.idempotency_key)
    if existing is not None:
        return existing
    checked, violations = _check(ctx, entry)
    if violations:
        with transaction.atomic():
            error = _reject(ctx, violations)
        raise error
    assert checked is not None
    try:
        if not needs_second_approval(ctx, checked):
            posted = _post_unlocked(ctx, checked)
            if posted is not None:
                return posted
        with transaction.atomic():
            if needs_second_approval(ctx, checked):
                return _store_for_approval(ctx, checked)
            (posted,) = _write(ctx, [checked], audit={})  # type: ignore[misc]
            return posted
    except IntegrityError:
        # A concurrent call with the same idempotency key won the race.
        existing = _existing_by_key(ctx, entry.idempotency_key, fresh=True)
        if existing is None:
            raise
        return existing


def _post_unlocked(ctx: LedgerContext, checked: _Checked) -> JournalEntry | None:
    """Post one voucher in a single statement, numbered from the counter row as prefetched
    (PostgreSQL): the statement sets the counter only if no other posting moved it since, and
    writes nothing otherwise (then None: the caller posts with the counter locked). Outside a
    transaction the statement is its own transaction; inside one it gets a savepoint, so a
    failure (say a concurrent post with the same idempotency key) leaves the caller's intact."""
    counter = ctx.counter(checked.series.pk, checked.period.fiscal_year_id)
    if counter is None or connection.vendor != "postgresql":
        return None
    with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
        posted = _write(ctx, [checked], audit={}, unlocked=counter)
    return posted[0] if posted else None


def journal_entries_post_batch(
    *, actor: Any, legal_entity: Any, entries: Sequence[EntryInput]
) -> list[JournalEntry]:
    """Post many vouchers in one transaction, all or nothing.

    Every voucher is checked; if any breaks a standard, nothing is posted and
    ``ValidationError`` maps each failing voucher's index to its violations (on PostgreSQL
    checking and writing overlap, ``_post_batch_pipelined``, and a failure rolls back). Batches are for
    system postings (imports, invoices): the four-eyes rule does not route them to approval.
    """
    require_perm(actor, "finance.post_journalentry")
    ctx = LedgerContext(legal_entity=legal_entity, actor=actor)
    require_legal_entity(actor, ctx.legal_entity_id)
    entries = list(entries)
    ctx.prefetch(entries)
    audit = {"batch": [None, True]}
    if connection.vendor == "postgresql" and entries:
        try:
            return _post_batch_pipelined(ctx, entries, audit)
        except _Rejected as rejected:
            failures = rejected.failures
    else:
        checked_list: list[_Checked] = []
        failures = {}
        for idx, entry in enumerate(entries):
            checked, violations = _check(ctx, entry)
            if violations:
                failures[idx] = violations
            else:
                checked_list.append(checked)  # type: ignore[arg-type]
        if not failures:
            with transaction.atomic():
                return _write(ctx, checked_list, audit=audit)  # type: ignore[return-value]
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
    entry_in = entry_input_from(draft)
    ctx.prefetch([entry_in])
    checked, violations = _check(ctx, entry_in)
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
    entry_in = entry_input_from(entry)
    ctx.prefetch([entry_in])
    checked, violations = _check(ctx, entry_in)
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
    ctx.prefetch([reversal])
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
