"""Tamper evidence: recompute the voucher hash chains and the account balances.

Invariants checked (see ``frontoffice.finance.models``):

- per (series, fiscal year), posted vouchers are numbered 1..n without a gap, each voucher's
  stored hash equals the hash recomputed from its stored rows (``posting.entry_hash``), each
  voucher's ``previous_hash`` is the hash of the voucher before it, and the series counter's
  next number and last hash follow the last voucher;
- per (account, period > 0), ``AccountBalance`` holds the sums of the posted lines.

Only the FIRST broken link of each series is reported: everything after it chains to a
voucher that can no longer be trusted. Balance drifts are all listed. Nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from frontoffice.core.money import quantize
from frontoffice.finance.models import (
    AccountBalance,
    DimensionObject,
    FiscalYear,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Period,
    SeriesCounter,
    VoucherSeries,
)
from frontoffice.finance.services.posting import entry_hash

CHUNK = 2000
ZERO = Decimal("0.00")

ENTRY_FIELDS = (
    "id",
    "legal_entity_id",
    "fiscal_year_id",
    "number",
    "date",
    "text",
    "total_amount",
    "reverses_id",
    "previous_hash",
    "hash",
)
LINE_FIELDS = (
    "entry_id",
    "line_no",
    "account_id",
    "side",
    "amount",
    "cost_centre_id",
    "project_id",
    "region_id",
    "text",
)


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link of one series in one fiscal year."""

    legal_entity_id: int
    series_code: str
    fiscal_year: str
    number: int
    code: str  # hash_mismatch, previous_hash_mismatch, number_gap, counter_mismatch
    reason: str

    def __str__(self) -> str:
        return _("Series %(series)s, fiscal year %(year)s, voucher %(series)s%(number)s: %(reason)s") % {
            "series": self.series_code,
            "year": self.fiscal_year,
            "number": self.number,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class BalanceDrift:
    """One account and period whose stored balance differs from the sum of its posted lines."""

    legal_entity_id: int
    account_number: str
    period: str
    lines_debit: Decimal
    lines_credit: Decimal
    stored_debit: Decimal
    stored_credit: Decimal

    def __str__(self) -> str:
        return _(
            "Account %(account)s, period %(period)s: lines sum to debit %(ld)s / credit %(lc)s, "
            "the balance says debit %(sd)s / credit %(sc)s"
        ) % {
            "account": self.account_number,
            "period": self.period,
            "ld": self.lines_debit,
            "lc": self.lines_credit,
            "sd": self.stored_debit,
            "sc": self.stored_credit,
        }


@dataclass
class VerifyReport:
    series_checked: int = 0
    vouchers_checked: int = 0
    balances_checked: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    drifts: list[BalanceDrift] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks and not self.drifts

    @property
    def problems(self) -> list[ChainBreak | BalanceDrift]:
        return [*self.breaks, *self.drifts]


def _legal_entity_id(legal_entity: Any) -> int | None:
    return getattr(legal_entity, "pk", legal_entity)


def _year_label(year: FiscalYear) -> str:
    if year.start_on.year == year.end_on.year:
        return str(year.start_on.year)
    return f"{year.start_on.year}/{year.end_on.year}"


def ledger_verify(*, legal_entity: Any = None, balances: bool = True) -> VerifyReport:
    """Walk every (series, fiscal year) chain in number order and (with ``balances``) compare
    every account balance with the sum of its posted lines. ``legal_entity``: one legal entity
    (instance or id) or None for all of them. Read-only; safe while others post."""
    le_id = _legal_entity_id(legal_entity)
    report = VerifyReport()
    scope = Q() if le_id is None else Q(legal_entity_id=le_id)
    account_numbers = dict(LedgerAccount.objects.filter(scope).values_list("id", "number"))
    dim_codes = {
        pk: f"{kind}:{code}"
        for pk, kind, code in DimensionObject.objects.filter(scope).values_list("id", "kind", "code")
    }
    series_by_id = {s.pk: s for s in VoucherSeries.objects.filter(scope)}
    years = {y.pk: y for y in FiscalYear.objects.filter(scope)}
    counters = {
        (c.series_id, c.fiscal_year_id): c
        for c in SeriesCounter.objects.filter(series_id__in=series_by_id, fiscal_year_id__in=years)
    }
    chains = set(counters) | set(
        JournalEntry.objects.posted()
        .filter(scope)
        .values_list("series_id", "fiscal_year_id")
        .distinct()
        .order_by()
    )
    for series_id, year_id in sorted(chains, key=lambda k: (series_by_id[k[0]].legal_entity_id, k)):
        report.series_checked += 1
        series, year = series_by_id[series_id], years[year_id]
        broken = _verify_chain(
            series, year, counters.get((series_id, year_id)), account_numbers, dim_codes, report
        )
        if broken is not None:
            report.breaks.append(broken)
    if balances:
        checked, drifts = _balance_drifts(le_id, account_numbers)
        report.balances_checked = checked
        report.drifts = drifts
    return report


def check_balances(*, legal_entity: Any = None) -> VerifyReport:
    """Only the balance check of ``ledger_verify``: every drift between ``AccountBalance`` and
    the posted lines, per account and period (opening-balance periods excluded)."""
    le_id = _legal_entity_id(legal_entity)
    scope = Q() if le_id is None else Q(legal_entity_id=le_id)
    account_numbers = dict(LedgerAccount.objects.filter(scope).values_list("id", "number"))
    checked, drifts = _balance_drifts(le_id, account_numbers)
    return VerifyReport(balances_checked=checked, drifts=drifts)


def _entries(series: VoucherSeries, year: FiscalYear) -> Iterator[tuple[Any, list[Any]]]:
    """Posted vouchers of one chain in number order, with their lines, fetched in chunks."""
    after = 0
    while True:
        rows = list(
            JournalEntry.objects.posted()
            .filter(series_id=series.pk, fiscal_year_id=year.pk, number__gt=after)
            .order_by("number")
            .values_list(*ENTRY_FIELDS)[:CHUNK]
        )
        if not rows:
            return
        entries = [SimpleNamespace(**dict(zip(ENTRY_FIELDS, row, strict=True))) for row in rows]
        lines: dict[int, list[Any]] = defaultdict(list)
        for row in (
            JournalLine.objects.filter(entry_id__in=[e.id for e in entries])
            .order_by("entry_id", "line_no")
            .values_list(*LINE_FIELDS)
        ):
            lines[row[0]].append(SimpleNamespace(**dict(zip(LINE_FIELDS, row, strict=True))))
        for entry in entries:
            yield entry, lines[entry.id]
        after = entries[-1].number


def _verify_chain(
    series: VoucherSeries,
    year: FiscalYear,
    counter: SeriesCounter | None,
    account_numbers: dict[int, str],
    dim_codes: dict[int, str],
    report: VerifyReport,
) -> ChainBreak | None:
    def broken(number: int, code: str, reason: str) -> ChainBreak:
        return ChainBreak(series.legal_entity_id, series.code, _year_label(year), number, code, reason)

    expected, previous = 1, ""
    for entry, lines in _entries(series, year):
        report.vouchers_checked += 1
        if entry.number != expected:
            return broken(
                entry.number,
                "number_gap",
                _("number gap: expected %(expected)s, found %(found)s")
                % {"expected": expected, "found": entry.number},
            )
        if entry.previous_hash != previous:
            return broken(entry.number, "previous_hash_mismatch", _("previous hash does not match"))
        try:
            recomputed = entry_hash(
                previous_hash=entry.previous_hash,
                entry=entry,
                lines=lines,
                series_code=series.code,
                account_numbers=account_numbers,
                dim_codes=dim_codes,
            )
        except KeyError:  # a line points at an account of another legal entity
            recomputed = ""
        if recomputed != entry.hash:
            return broken(entry.number, "hash_mismatch", _("hash does not match content"))
        expected, previous = expected + 1, entry.hash
    last = expected - 1
    if counter is not None and counter.next_number != expected:
        return broken(
            last,
            "counter_mismatch",
            _("counter says next is %(next)s but last voucher is %(last)s")
            % {"next": counter.next_number, "last": last},
        )
    if counter is not None and counter.last_hash != previous:
        return broken(
            last,
            "counter_mismatch",
            _("counter's last hash does not match voucher %(last)s") % {"last": last},
        )
    return None


def _balance_drifts(le_id: int | None, account_numbers: dict[int, str]) -> tuple[int, list[BalanceDrift]]:
    """Sums of posted lines per (account, period > 0), computed in SQL, against the stored
    balances; returns the number of (account, period) pairs compared and every drift."""
    scope = Q() if le_id is None else Q(legal_entity_id=le_id)
    sums: dict[tuple[int, int], list[Any]] = {}
    for row in (
        JournalLine.objects.filter(scope, entry__status=JournalEntry.Status.POSTED, period__number__gt=0)
        .values("account_id", "period_id")
        .annotate(
            debit=Sum("amount", filter=Q(side=JournalLine.Side.DEBIT)),
            credit=Sum("amount", filter=Q(side=JournalLine.Side.CREDIT)),
        )
        .order_by()
    ):
        sums[(row["account_id"], row["period_id"])] = [
            quantize(row["debit"] or ZERO),
            quantize(row["credit"] or ZERO),
            ZERO,
            ZERO,
        ]
    for account_id, period_id, debit, credit in (
        AccountBalance.objects.filter(scope, period__number__gt=0)
        .values_list("account_id", "period_id", "debit_amount", "credit_amount")
        .order_by()
    ):
        row = sums.setdefault((account_id, period_id), [ZERO, ZERO, ZERO, ZERO])
        row[2], row[3] = quantize(debit), quantize(credit)
    drifting = {key: row for key, row in sums.items() if row[0] != row[2] or row[1] != row[3]}
    if not drifting:
        return len(sums), []
    periods = {
        p.pk: p
        for p in Period.objects.filter(
            pk__in={period_id for _account_id, period_id in drifting}
        ).select_related("fiscal_year")
    }
    entities = dict(
        LedgerAccount.objects.filter(pk__in={account_id for account_id, _period_id in drifting}).values_list(
            "id", "legal_entity_id"
        )
    )
    drifts = [
        BalanceDrift(
            legal_entity_id=entities.get(account_id, 0),
            account_number=account_numbers.get(account_id, str(account_id)),
            period=str(periods[period_id]) if period_id in periods else str(period_id),
            lines_debit=row[0],
            lines_credit=row[1],
            stored_debit=row[2],
            stored_credit=row[3],
        )
        for (account_id, period_id), row in drifting.items()
    ]
    drifts.sort(key=lambda d: (d.legal_entity_id, d.account_number, d.period))
    return len(sums), drifts
