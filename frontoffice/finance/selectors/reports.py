"""Ledger reports: trial balance, general ledger, income statement, balance sheet, VAT return.

Invariants and design:

- Every report reads ``AccountBalance`` (one row per account and month, kept by the posting
  service) with one ``GROUP BY account`` aggregation, so its cost does not grow with the
  number of voucher lines. Period 0 of a fiscal year holds the opening balances (written by
  the year-end close or an SIE import, never by voucher lines).
- A date range that starts or ends inside a month uses the balances for the whole months it
  covers and sums ``JournalLine`` rows (posted only, index on account + date) for the partial
  edge months alone, so at most two months of lines are read.
- A report range lies inside one fiscal year. Balance-sheet accounts carry their balance from
  the *anchor* year: the latest year whose previous year is closed (its period 0 holds the
  opening balances), or the first year. While an earlier year is still open, its movements
  are carried forward without period 0. Result accounts (income, expense) start each fiscal
  year at zero.
- The comparison column is the same range one year earlier ("same period last year"), as
  Swedish reports usually show; it is empty when that range is not inside one fiscal year.
- Amounts are Decimal, quantized to two decimals after summing (SQLite sums as floats).
- Scope: the legal entity is resolved through ``visible_to`` (another entity is a 404); the
  permission ``finance.view_ledger_reports`` is required (otherwise 403).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontoffice.core.money import quantize
from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.finance.models import (
    BALANCE_SHEET_TYPES,
    AccountBalance,
    AccountType,
    FiscalYear,
    JournalEntry,
    JournalLine,
    LedgerAccount,
)

ZERO = Decimal("0.00")
VIEW_REPORTS = "finance.view_ledger_reports"
# The BAS account the year-end close books the result through; the income statement leaves
# it out so it shows the year's result also after the close.
BAS_CLOSING_ACCOUNT = "8999"
# Series of the VAT settlement voucher; its lines are left out of the VAT return.
VAT_SETTLEMENT_SERIES = "M"

Sums = dict[int, tuple[Decimal, Decimal]]


# ---------------------------------------------------------------- dates and ranges


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    nxt = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def shift_year(day: datetime.date, years: int = -1) -> datetime.date:
    """The same day ``years`` years away; a month's last day stays its month's last day."""
    target = day.replace(day=1, year=day.year + years)
    if day == month_end(day):
        return month_end(target)
    return target.replace(day=min(day.day, month_end(target).day))


@dataclass(frozen=True)
class DateRange:
    start: datetime.date
    end: datetime.date

    def previous_year(self) -> DateRange:
        return DateRange(shift_year(self.start), shift_year(self.end))

    def edges(
        self,
    ) -> tuple[list[tuple[datetime.date, datetime.date]], datetime.date | None, datetime.date | None]:
        """Partial-month intervals (read from lines) and the first/last day of the whole months
        in between (read from balances); whole months are ``None`` when there are none."""
        start, end = self.start, self.end
        if month_start(start) == month_start(end) and not (start.day == 1 and end == month_end(end)):
            return [(start, end)], None, None
        partial: list[tuple[datetime.date, datetime.date]] = []
        full_start, full_end = start, end
        if start.day != 1:
            partial.append((start, month_end(start)))
            full_start = month_end(start) + datetime.timedelta(days=1)
        if end != month_end(end):
            partial.append((month_start(end), end))
            full_end = month_start(end) - datetime.timedelta(days=1)
        if full_start > full_end:
            return partial, None, None
        return partial, full_start, full_end


@dataclass
class Ledger:
    """A legal entity's fiscal years, loaded once per report."""

    legal_entity: Any
    years: list[FiscalYear]

    def year_of(self, day: datetime.date) -> FiscalYear | None:
        for year in self.years:
            if year.start_on <= day <= year.end_on:
                return year
        return None

    def previous(self, year: FiscalYear) -> FiscalYear | None:
        for other in self.years:
            if other.end_on == year.start_on - datetime.timedelta(days=1):
                return other
        return None

    def anchor(self, year: FiscalYear) -> FiscalYear:
        """The year whose period 0 holds the opening balances balance-sheet accounts carry."""
        while (prev := self.previous(year)) is not None and prev.is_open:
            year = prev
        return year


def legal_entity_for(*, user: Any, legal_entity: Any = None) -> Any:
    """The legal entity a report is for: the given one (within scope) or the user's own.

    Raises ``PermissionDenied`` without ``finance.view_ledger_reports`` and ``Http404`` for a
    legal entity outside the user's scope.
    """
    from frontoffice.org.models import LegalEntity

    if not user.has_perm(VIEW_REPORTS):
        raise PermissionDenied(_("You do not have permission to view ledger reports."))
    le_id = getattr(legal_entity, "pk", legal_entity)
    if le_id in (None, ""):
        le_id = user_scope(user).legal_entity_id
    if le_id in (None, ""):
        raise Http404
    try:
        return visible_to(LegalEntity.objects.all(), user).get(pk=le_id)
    except (LegalEntity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _ledger(*, user: Any, legal_entity: Any) -> Ledger:
    entity = legal_entity_for(user=user, legal_entity=legal_entity)
    years = list(FiscalYear.objects.filter(legal_entity=entity).order_by("start_on"))
    return Ledger(entity, years)


def _field_error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def _check_range(ledger: Ledger, rng: DateRange) -> FiscalYear:
    if rng.end < rng.start:
        raise _field_error("end", _("The last day must not be before the first day."), "invalid_range")
    year = ledger.year_of(rng.start)
    if year is None:
        raise _field_error(
            "start",
            _("%(date)s is not in any fiscal year.") % {"date": rng.start.isoformat()},
            "no_fiscal_year",
        )
    if rng.end > year.end_on:
        raise _field_error(
            "end",
            _("A report covers at most one fiscal year; this one ends %(date)s.") % {"date": year.end_on},
            "range_spans_years",
        )
    return year


def _comparison(ledger: Ledger, rng: DateRange) -> DateRange | None:
    prev = rng.previous_year()
    year = ledger.year_of(prev.start)
    if year is None or prev.end > year.end_on:
        return None
    return prev


# ---------------------------------------------------------------- aggregations


def _add(target: Sums, source: Sums) -> None:
    for account_id, (debit, credit) in source.items():
        d, c = target.get(account_id, (ZERO, ZERO))
        target[account_id] = (d + debit, c + credit)


def _rows(rows: Iterable[dict[str, Any]]) -> Sums:
    return {r["account_id"]: (quantize(r["d"]), quantize(r["c"])) for r in rows}


def _balance_sums(le_id: int, q: Q) -> Sums:
    """Debit and credit sums per account over the ``AccountBalance`` rows matching ``q``."""
    return _rows(
        AccountBalance.objects.filter(legal_entity_id=le_id)
        .filter(q)
        .values("account_id")
        .annotate(d=Sum("debit_amount"), c=Sum("credit_amount"))
        .order_by()
    )


def _line_sums(le_id: int, intervals: list[tuple[datetime.date, datetime.date]], **filters: Any) -> Sums:
    """Debit and credit sums per account of the posted lines dated in ``intervals`` (only the
    partial edge months of a range, so this never reads more than two months of lines)."""
    if not intervals:
        return {}
    q = Q()
    for first, last in intervals:
        q |= Q(date__gte=first, date__lte=last)
    return _rows(
        JournalLine.objects.filter(
            q, legal_entity_id=le_id, entry__status=JournalEntry.Status.POSTED, **filters
        )
        .values("account_id")
        .annotate(
            d=Sum("amount", filter=Q(side=JournalLine.Side.DEBIT)),
            c=Sum("amount", filter=Q(side=JournalLine.Side.CREDIT)),
        )
        .order_by()
    )


def movements(le_id: int, rng: DateRange, **line_filters: Any) -> Sums:
    """Posted debits and credits per account dated inside ``rng`` (period 0 excluded)."""
    partial, full_start, full_end = rng.edges()
    sums: Sums = {}
    if full_start is not None:
        sums = _balance_sums(
            le_id, Q(period__number__gt=0, period__start_on__gte=full_start, period__end_on__lte=full_end)
        )
    _add(sums, _line_sums(le_id, partial, **line_filters))
    return sums


@dataclass
class Opening:
    """Sums before a day: ``carried`` from the anchor year's opening balances (balance-sheet
    accounts, and the not yet closed result), ``year`` since the fiscal year began (result
    accounts)."""

    carried: Sums
    year: Sums

    def for_account(self, account: LedgerAccount) -> Decimal:
        sums = self.carried if account.type in BALANCE_SHEET_TYPES else self.year
        debit, credit = sums.get(account.pk, (ZERO, ZERO))
        return debit - credit


def opening_before(ledger: Ledger, day: datetime.date, year: FiscalYear) -> Opening:
    """Balances of every account at the start of ``day`` (which lies in ``year``, or is the
    day after it ends)."""
    le_id = ledger.legal_entity.pk
    anchor = ledger.anchor(year)
    first_of_month = month_start(day)
    rows = (
        AccountBalance.objects.filter(legal_entity_id=le_id)
        .filter(
            Q(period__number=0, period__fiscal_year=anchor)
            | Q(
                period__number__gt=0,
                period__fiscal_year__start_on__gte=anchor.start_on,
                period__end_on__lt=first_of_month,
            )
        )
        .values("account_id")
        .annotate(
            d=Sum("debit_amount"),
            c=Sum("credit_amount"),
            yd=Sum("debit_amount", filter=Q(period__fiscal_year=year, period__number__gt=0)),
            yc=Sum("credit_amount", filter=Q(period__fiscal_year=year, period__number__gt=0)),
        )
        .order_by()
    )
    carried: Sums = {}
    this_year: Sums = {}
    for r in rows:
        carried[r["account_id"]] = (quantize(r["d"]), quantize(r["c"]))
        this_year[r["account_id"]] = (quantize(r["yd"]), quantize(r["yc"]))
    if day != first_of_month:
        lines = _line_sums(le_id, [(first_of_month, day - datetime.timedelta(days=1))])
        _add(carried, lines)
        _add(this_year, lines)
    return Opening(carried, this_year)


def _accounts(le_id: int, ids: Iterable[int] | None = None, **filters: Any) -> list[LedgerAccount]:
    qs = LedgerAccount.objects.filter(legal_entity_id=le_id, **filters)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return list(qs.order_by("number"))


def _net(sums: Sums, account_id: int) -> Decimal:
    debit, credit = sums.get(account_id, (ZERO, ZERO))
    return debit - credit


# ---------------------------------------------------------------- trial balance


@dataclass
class TrialBalanceRow:
    account: LedgerAccount
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal


@dataclass
class TrialBalance:
    legal_entity: Any
    range: DateRange
    rows: list[TrialBalanceRow]
    opening_total: Decimal
    debit_total: Decimal
    credit_total: Decimal
    closing_total: Decimal

    @property
    def balanced(self) -> bool:
        return self.debit_total == self.credit_total


def trial_balance(
    *, user: Any, legal_entity: Any = None, start: datetime.date, end: datetime.date
) -> TrialBalance:
    """Per account: opening balance, debits, credits and closing balance of ``start``..``end``
    (balances as debit minus credit). Accounts without any figure are left out."""
    ledger = _ledger(user=user, legal_entity=legal_entity)
    rng = DateRange(start, end)
    year = _check_range(ledger, rng)
    le_id = ledger.legal_entity.pk
    opening = opening_before(ledger, start, year)
    moves = movements(le_id, rng)
    ids = set(moves) | set(opening.carried) | set(opening.year)
    rows = []
    for account in _accounts(le_id, ids):
        debit, credit = moves.get(account.pk, (ZERO, ZERO))
        before = opening.for_account(account)
        if not (before or debit or credit):
            continue
        rows.append(TrialBalanceRow(account, before, debit, credit, before + debit - credit))
    return TrialBalance(
        legal_entity=ledger.legal_entity,
        range=rng,
        rows=rows,
        opening_total=sum((r.opening for r in rows), ZERO),
        debit_total=sum((r.debit for r in rows), ZERO),
        credit_total=sum((r.credit for r in rows), ZERO),
        closing_total=sum((r.closing for r in rows), ZERO),
    )


# ---------------------------------------------------------------- general ledger


@dataclass
class LedgerLine:
    id: int
    entry_id: int
    reference: str
    date: datetime.date
    text: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass
class GeneralLedger:
    legal_entity: Any
    account: LedgerAccount
    range: DateRange
    opening: Decimal
    debit_total: Decimal
    credit_total: Decimal
    closing: Decimal
    lines: list[LedgerLine]
    page: Page


def general_ledger(
    *,
    user: Any,
    legal_entity: Any = None,
    account: str,
    start: datetime.date,
    end: datetime.date,
    page: int | str = 1,
    per_page: int = 100,
) -> GeneralLedger:
    """One account's posted lines of ``start``..``end`` with a running balance, a page at a
    time. The opening balance and totals come from balances; the running balance of a page
    starts from one aggregate over the lines before it in the range."""
    ledger = _ledger(user=user, legal_entity=legal_entity)
    rng = DateRange(start, end)
    year = _check_range(ledger, rng)
    le_id = ledger.legal_entity.pk
    try:
        acc = LedgerAccount.objects.get(legal_entity_id=le_id, number=str(account).strip())
    except LedgerAccount.DoesNotExist as exc:
        raise Http404 from exc
    opening = opening_before(ledger, start, year).for_account(acc)
    debit_total, credit_total = movements(le_id, rng).get(acc.pk, (ZERO, ZERO))
    lines_qs = (
        JournalLine.objects.filter(
            account=acc, date__gte=start, date__lte=end, entry__status=JournalEntry.Status.POSTED
        )
        .select_related("entry__series")
        .order_by("date", "id")
    )
    page_obj = Paginator(lines_qs, per_page).get_page(page)
    items = list(page_obj.object_list)
    balance = opening
    if items and page_obj.number > 1:
        first = items[0]
        before = lines_qs.filter(Q(date__lt=first.date) | Q(date=first.date, id__lt=first.id)).aggregate(
            d=Sum("amount", filter=Q(side=JournalLine.Side.DEBIT)),
            c=Sum("amount", filter=Q(side=JournalLine.Side.CREDIT)),
        )
        balance += quantize(before["d"]) - quantize(before["c"])
    out = []
    for line in items:
        debit = line.amount if line.side == JournalLine.Side.DEBIT else ZERO
        credit = line.amount if line.side == JournalLine.Side.CREDIT else ZERO
        balance += debit - credit
        out.append(
            LedgerLine(
                id=line.pk,
                entry_id=line.entry_id,
                reference=line.entry.reference,
                date=line.date,
                text=line.text or line.entry.text,
                debit=debit,
                credit=credit,
                balance=balance,
            )
        )
    return GeneralLedger(
        legal_entity=ledger.legal_entity,
        account=acc,
        range=rng,
        opening=opening,
        debit_total=debit_total,
        credit_total=credit_total,
        closing=opening + debit_total - credit_total,
        lines=out,
        page=page_obj,
    )


# ---------------------------------------------------------------- income statement


# (key, label, first account, last account) in BAS; amounts are credit minus debit.
BAS_RESULT_GROUPS = [
    ("net_revenue", gettext_lazy("Net revenue"), 3000, 3799),
    ("other_operating_income", gettext_lazy("Other operating income"), 3800, 3999),
    ("goods", gettext_lazy("Goods, materials and services"), 4000, 4999),
    ("other_external", gettext_lazy("Other external costs"), 5000, 6999),
    ("personnel", gettext_lazy("Personnel costs"), 7000, 7699),
    ("depreciation", gettext_lazy("Depreciation and write-downs"), 7700, 7899),
    ("other_operating_expenses", gettext_lazy("Other operating expenses"), 7900, 7999),
    ("financial", gettext_lazy("Financial items"), 8000, 8799),
    ("appropriations", gettext_lazy("Appropriations"), 8800, 8899),
    ("tax", gettext_lazy("Tax on the year's result"), 8900, 8999),
]
GENERIC_RESULT_GROUPS = [
    ("income", gettext_lazy("Income"), AccountType.INCOME),
    ("expense", gettext_lazy("Expenses"), AccountType.EXPENSE),
]
# Subtotals shown after a group (BAS layout).
BAS_SUBTOTALS = {
    "other_operating_expenses": gettext_lazy("Operating result"),
    "financial": gettext_lazy("Result after financial items"),
    "appropriations": gettext_lazy("Result before tax"),
}


@dataclass
class ReportRow:
    account: LedgerAccount
    amount: Decimal
    comparison: Decimal | None = None
    opening: Decimal = ZERO
    change: Decimal = ZERO


@dataclass
class ReportGroup:
    key: str
    label: Any
    rows: list[ReportRow] = field(default_factory=list)
    total: Decimal = ZERO
    comparison_total: Decimal | None = None
    opening_total: Decimal = ZERO
    change_total: Decimal = ZERO
    # Running result after this group (income statement subtotals), with its label.
    subtotal_label: Any = None
    subtotal: Decimal | None = None
    comparison_subtotal: Decimal | None = None


@dataclass
class IncomeStatement:
    legal_entity: Any
    range: DateRange
    comparison_range: DateRange | None
    groups: list[ReportGroup]
    result: Decimal
    comparison_result: Decimal | None


def _is_bas(accounts: Iterable[LedgerAccount]) -> bool:
    """A chart is laid out as BAS when its result accounts are 4-digit accounts of classes
    3-8, with income in class 3 (or 8, financial income); the generic chart has income in 4."""
    for a in accounts:
        if a.type == AccountType.INCOME and not (len(a.number) == 4 and a.number[0] in "38"):
            return False
        if a.type == AccountType.EXPENSE and not (len(a.number) == 4 and a.number[0] in "45678"):
            return False
    return True


def income_statement(
    *, user: Any, legal_entity: Any = None, start: datetime.date, end: datetime.date
) -> IncomeStatement:
    """Income and expense accounts (credit minus debit: income positive, costs negative),
    grouped by BAS class ranges (by account type for other charts), with the result and the
    same range last year. The BAS closing account 8999 is left out, so the statement shows
    the result also after the year-end close has booked it."""
    ledger = _ledger(user=user, legal_entity=legal_entity)
    rng = DateRange(start, end)
    _check_range(ledger, rng)
    le_id = ledger.legal_entity.pk
    comparison = _comparison(ledger, rng)
    moves = movements(le_id, rng)
    before = movements(le_id, comparison) if comparison else {}
    accounts = _accounts(le_id, None, type__in=[AccountType.INCOME, AccountType.EXPENSE])
    bas = _is_bas(accounts)
    groups: list[ReportGroup] = []
    if bas:
        for key, label, _first, _last in BAS_RESULT_GROUPS:
            groups.append(ReportGroup(key, label))
    else:
        for key, label, _type in GENERIC_RESULT_GROUPS:
            groups.append(ReportGroup(key, label))
    by_key = {g.key: g for g in groups}
    for account in accounts:
        if bas and account.number == BAS_CLOSING_ACCOUNT:
            continue
        if account.pk not in moves and account.pk not in before:
            continue
        if bas:
            number = int(account.number)
            key = next(k for k, _l, first, last in BAS_RESULT_GROUPS if first <= number <= last)
        else:
            key = "income" if account.type == AccountType.INCOME else "expense"
        amount = -_net(moves, account.pk)
        comp = -_net(before, account.pk) if comparison else None
        by_key[key].rows.append(ReportRow(account, amount, comp))
    running = ZERO
    running_comp: Decimal | None = ZERO if comparison else None
    for group in groups:
        group.total = sum((r.amount for r in group.rows), ZERO)
        running += group.total
        if comparison:
            group.comparison_total = sum((r.comparison or ZERO for r in group.rows), ZERO)
            running_comp = (running_comp or ZERO) + group.comparison_total
        if bas and group.key in BAS_SUBTOTALS:
            group.subtotal_label = BAS_SUBTOTALS[group.key]
            group.subtotal = running
            group.comparison_subtotal = running_comp
    return IncomeStatement(
        legal_entity=ledger.legal_entity,
        range=rng,
        comparison_range=comparison,
        groups=[g for g in groups if g.rows or g.subtotal is not None],
        result=running,
        comparison_result=running_comp,
    )


# ---------------------------------------------------------------- balance sheet


@dataclass
class BalanceSheetSection:
    key: str
    label: Any
    rows: list[ReportRow]
    opening_total: Decimal
    change_total: Decimal
    closing_total: Decimal
    comparison_total: Decimal | None
    # The not yet booked result (equity only).
    result_opening: Decimal = ZERO
    result_change: Decimal = ZERO
    result_closing: Decimal = ZERO
    result_comparison: Decimal | None = None


@dataclass
class BalanceSheet:
    legal_entity: Any
    range: DateRange
    comparison_range: DateRange | None
    assets: BalanceSheetSection
    equity: BalanceSheetSection
    liabilities: BalanceSheetSection

    @property
    def sections(self) -> list[BalanceSheetSection]:
        return [self.assets, self.equity, self.liabilities]

    @property
    def equity_and_liabilities(self) -> Decimal:
        return self.equity.closing_total + self.liabilities.closing_total

    @property
    def comparison_equity_and_liabilities(self) -> Decimal | None:
        if self.comparison_range is None:
            return None
        return (self.equity.comparison_total or ZERO) + (self.liabilities.comparison_total or ZERO)

    @property
    def balanced(self) -> bool:
        return self.assets.closing_total == self.equity_and_liabilities


def _balances_at(ledger: Ledger, rng: DateRange) -> tuple[Opening, Sums]:
    year = ledger.year_of(rng.start)
    assert year is not None
    return opening_before(ledger, rng.start, year), movements(ledger.legal_entity.pk, rng)


def _unbooked_result(accounts: list[LedgerAccount], sums: Sums) -> Decimal:
    """Credit minus debit over the result accounts: the result not yet moved to equity."""
    return -sum(
        (_net(sums, a.pk) for a in accounts if a.type in (AccountType.INCOME, AccountType.EXPENSE)), ZERO
    )


def balance_sheet(
    *, user: Any, legal_entity: Any = None, start: datetime.date, end: datetime.date
) -> BalanceSheet:
    """Assets (debit positive), equity and liabilities (credit positive) with opening balance, change and closing balance, and the closing balance one
    year earlier. Equity includes the result not yet booked to equity (the result accounts'
    balance since the anchor year), so assets equal equity plus liabilities."""
    ledger = _ledger(user=user, legal_entity=legal_entity)
    rng = DateRange(start, end)
    _check_range(ledger, rng)
    le_id = ledger.legal_entity.pk
    comparison = _comparison(ledger, rng)
    opening, moves = _balances_at(ledger, rng)
    comp_opening, comp_moves = _balances_at(ledger, comparison) if comparison else (Opening({}, {}), {})
    accounts = _accounts(le_id)
    sections: dict[str, BalanceSheetSection] = {}
    for key, label, kind, sign in (
        ("assets", _("Assets"), AccountType.ASSET, 1),
        ("equity", _("Equity"), AccountType.EQUITY, -1),
        ("liabilities", _("Liabilities"), AccountType.LIABILITY, -1),
    ):
        rows = []
        for account in accounts:
            if account.type != kind:
                continue
            before = sign * _net(opening.carried, account.pk)
            change = sign * _net(moves, account.pk)
            comp = None
            if comparison:
                comp = sign * (_net(comp_opening.carried, account.pk) + _net(comp_moves, account.pk))
            if not (before or change or comp):
                continue
            rows.append(ReportRow(account, before + change, comp, before, change))
        sections[key] = BalanceSheetSection(
            key=key,
            label=label,
            rows=rows,
            opening_total=sum((r.opening for r in rows), ZERO),
            change_total=sum((r.change for r in rows), ZERO),
            closing_total=sum((r.amount for r in rows), ZERO),
            comparison_total=sum((r.comparison or ZERO for r in rows), ZERO) if comparison else None,
        )
    equity = sections["equity"]
    equity.result_opening = _unbooked_result(accounts, opening.carried)
    equity.result_change = _unbooked_result(accounts, moves)
    equity.result_closing = equity.result_opening + equity.result_change
    equity.opening_total += equity.result_opening
    equity.change_total += equity.result_change
    equity.closing_total += equity.result_closing
    if comparison:
        combined = dict(comp_opening.carried)
        _add(combined, comp_moves)
        equity.result_comparison = _unbooked_result(accounts, combined)
        equity.comparison_total = (equity.comparison_total or ZERO) + equity.result_comparison
    return BalanceSheet(
        legal_entity=ledger.legal_entity,
        range=rng,
        comparison_range=comparison,
        assets=sections["assets"],
        equity=equity,
        liabilities=sections["liabilities"],
    )


# ---------------------------------------------------------------- VAT return


def _r(first: int, last: int) -> list[str]:
    return [str(n) for n in range(first, last + 1)]


# Box → (label, accounts, sign): sign 1 = debit minus credit, -1 = credit minus debit.
# Account numbers follow the BAS chart; accounts a company lacks simply contribute nothing.
VAT_BOXES: list[tuple[str, Any, list[str], int]] = [
    (
        "05",
        gettext_lazy("Taxable sales not included in boxes 06, 07 or 08"),
        ["3001", "3002", "3003"],
        -1,
    ),
    ("06", gettext_lazy("Taxable self-supply (withdrawals)"), _r(3401, 3403), -1),
    ("07", gettext_lazy("Taxable base for profit-margin taxation"), [], -1),
    ("08", gettext_lazy("Rental income, voluntary tax liability"), ["3911", "3913"], -1),
    ("10", gettext_lazy("Output VAT 25 %"), ["2610", "2611", "2612", "2613", "2616"], -1),
    ("11", gettext_lazy("Output VAT 12 %"), ["2620", "2621", "2622", "2623", "2626"], -1),
    ("12", gettext_lazy("Output VAT 6 %"), ["2630", "2631", "2632", "2633", "2636"], -1),
    ("20", gettext_lazy("Purchases of goods from another EU country"), _r(4515, 4517), 1),
    ("21", gettext_lazy("Purchases of services from another EU country"), _r(4535, 4537), 1),
    ("22", gettext_lazy("Purchases of services from outside the EU"), _r(4531, 4533), 1),
    ("23", gettext_lazy("Purchases of goods in Sweden, reverse charge"), _r(4415, 4417), 1),
    (
        "24",
        gettext_lazy("Other purchases of services in Sweden, reverse charge"),
        ["4400", *_r(4425, 4427)],
        1,
    ),
    ("30", gettext_lazy("Output VAT 25 % on purchases in boxes 20-24"), ["2614"], -1),
    ("31", gettext_lazy("Output VAT 12 % on purchases in boxes 20-24"), ["2624"], -1),
    ("32", gettext_lazy("Output VAT 6 % on purchases in boxes 20-24"), ["2634"], -1),
    ("35", gettext_lazy("Sales of goods to another EU country"), ["3106"], -1),
    ("36", gettext_lazy("Sales of goods outside the EU"), ["3105"], -1),
    ("39", gettext_lazy("Sales of services to businesses in another EU country"), ["3108", "3308"], -1),
    ("40", gettext_lazy("Other sales of services supplied outside Sweden"), ["3305"], -1),
    ("41", gettext_lazy("Sales where the buyer is liable for VAT in Sweden"), ["3231"], -1),
    ("42", gettext_lazy("Other sales (VAT exempt)"), ["3004"], -1),
    ("48", gettext_lazy("Input VAT to deduct"), _r(2640, 2649), 1),
    ("50", gettext_lazy("Taxable base on imports"), _r(4545, 4547), 1),
    ("60", gettext_lazy("Output VAT 25 % on imports"), ["2615"], -1),
    ("61", gettext_lazy("Output VAT 12 % on imports"), ["2625"], -1),
    ("62", gettext_lazy("Output VAT 6 % on imports"), ["2635"], -1),
]
OUTPUT_VAT_BOXES = ("10", "11", "12", "30", "31", "32", "60", "61", "62")
INPUT_VAT_BOXES = ("48",)
# Other revenue accounts with these VAT codes also count as taxable sales (box 05).
TAXABLE_VAT_CODES = {"SE25", "SE12", "SE06"}


@dataclass
class VatBox:
    number: str
    label: Any
    amount: Decimal
    accounts: list[tuple[LedgerAccount, Decimal]]

    @property
    def account_parts(self) -> list[dict[str, Any]]:
        return [{"account": account, "amount": amount} for account, amount in self.accounts]


@dataclass
class VatReturn:
    legal_entity: Any
    range: DateRange
    boxes: list[VatBox]
    output_vat: Decimal
    input_vat: Decimal

    @property
    def payable(self) -> Decimal:
        """Box 49: VAT to pay (negative: to get back)."""
        return self.output_vat - self.input_vat

    def box(self, number: str) -> VatBox:
        return next(b for b in self.boxes if b.number == number)


def vat_accounts(accounts: Iterable[LedgerAccount]) -> tuple[list[LedgerAccount], list[LedgerAccount]]:
    """The output and input VAT accounts of a chart (those the settlement voucher empties)."""
    numbers_out = {n for box, _l, nums, _s in VAT_BOXES if box in OUTPUT_VAT_BOXES for n in nums}
    numbers_in = {n for box, _l, nums, _s in VAT_BOXES if box in INPUT_VAT_BOXES for n in nums}
    accounts = list(accounts)
    return [a for a in accounts if a.number in numbers_out], [a for a in accounts if a.number in numbers_in]


def vat_movements(le_id: int, rng: DateRange) -> Sums:
    """Movements of ``rng`` without the VAT settlement vouchers (series M) posted in it: the
    settlement empties the VAT accounts and must not zero the return it settles. Those lines
    are few (one voucher per VAT period), so they are summed from lines."""
    sums = movements(le_id, rng)
    settled = _rows(
        JournalLine.objects.filter(
            legal_entity_id=le_id,
            date__gte=rng.start,
            date__lte=rng.end,
            entry__status=JournalEntry.Status.POSTED,
            entry__series__code=VAT_SETTLEMENT_SERIES,
        )
        .values("account_id")
        .annotate(
            d=Sum("amount", filter=Q(side=JournalLine.Side.DEBIT)),
            c=Sum("amount", filter=Q(side=JournalLine.Side.CREDIT)),
        )
        .order_by()
    )
    for account_id, (debit, credit) in settled.items():
        d, c = sums.get(account_id, (ZERO, ZERO))
        sums[account_id] = (d - debit, c - credit)
    return sums


def vat_return_for(ledger: Ledger, rng: DateRange) -> VatReturn:
    le_id = ledger.legal_entity.pk
    moves = vat_movements(le_id, rng)
    accounts = _accounts(le_id)
    by_number = {a.number: a for a in accounts}
    mapped = {n for _b, _l, nums, _s in VAT_BOXES for n in nums}
    boxes = []
    for number, label, numbers, sign in VAT_BOXES:
        numbers = list(numbers)
        if number == "05":
            numbers += [
                a.number
                for a in accounts
                if a.type == AccountType.INCOME
                and a.default_vat_code in TAXABLE_VAT_CODES
                and a.number not in mapped
                and a.number[:1] == "3"
            ]
        parts = []
        for n in numbers:
            account = by_number.get(n)
            if account is None:
                continue
            amount = sign * _net(moves, account.pk)
            if amount:
                parts.append((account, amount))
        boxes.append(VatBox(number, label, sum((a for _acc, a in parts), ZERO), parts))
    output_vat = sum((b.amount for b in boxes if b.number in OUTPUT_VAT_BOXES), ZERO)
    input_vat = sum((b.amount for b in boxes if b.number in INPUT_VAT_BOXES), ZERO)
    return VatReturn(ledger.legal_entity, rng, boxes, output_vat, input_vat)


def vat_return(*, user: Any, legal_entity: Any = None, start: datetime.date, end: datetime.date) -> VatReturn:
    """The Swedish VAT return (momsdeklaration) boxes for ``start``..``end``, each with the
    accounts it came from; box 49 is ``payable``. Amounts in SEK with öre (round to whole
    kronor when filing)."""
    ledger = _ledger(user=user, legal_entity=legal_entity)
    rng = DateRange(start, end)
    _check_range(ledger, rng)
    return vat_return_for(ledger, rng)


# ---------------------------------------------------------------- year-end close


BAS_RESULT_ACCOUNT = "2099"
BAS_RETAINED_EARNINGS = "2091"


@dataclass
class ClosePlan:
    """What the year-end close of ``year`` would book."""

    year: FiscalYear
    result: Decimal  # credit minus debit of the result accounts: profit positive
    lines: list[tuple[LedgerAccount, Decimal, Decimal]]  # account, debit, credit
    result_account: LedgerAccount | None
    # Where next year's opening balance of ``result_account`` goes (retained earnings).
    retained_account: LedgerAccount | None
    problems: list[ValidationError]


def _close_plan(ledger: Ledger, year: FiscalYear) -> ClosePlan:
    """The closing voucher's lines and the reasons the year cannot be closed yet.

    BAS: the result goes to 2099 through 8999 (two lines). Other charts: each result
    account is emptied against the highest-numbered equity account."""
    le_id = ledger.legal_entity.pk
    problems: list[ValidationError] = []
    if not year.is_open:
        problems.append(
            ValidationError(
                _("The fiscal year %(year)s is already closed.") % {"year": year}, code="already_closed"
            )
        )
    earlier = [y for y in ledger.years if y.start_on < year.start_on and y.is_open]
    if earlier:
        problems.append(
            ValidationError(
                _("Close the earlier fiscal year %(year)s first.") % {"year": earlier[0]},
                code="earlier_year_open",
            )
        )
    waiting = JournalEntry.objects.filter(
        legal_entity_id=le_id,
        status=JournalEntry.Status.AWAITING_APPROVAL,
        date__gte=year.start_on,
        date__lte=year.end_on,
    ).count()
    if waiting:
        problems.append(
            ValidationError(
                _("%(n)s voucher(s) of the year await approval: approve or reject them first.")
                % {"n": waiting},
                code="awaiting_approval",
            )
        )
    sums = opening_before(ledger, year.end_on + datetime.timedelta(days=1), year).year
    accounts = _accounts(le_id)
    by_number = {a.number: a for a in accounts}
    result_accounts = [a for a in accounts if a.type in (AccountType.INCOME, AccountType.EXPENSE)]
    result = -sum((_net(sums, a.pk) for a in result_accounts), ZERO)
    lines: list[tuple[LedgerAccount, Decimal, Decimal]] = []
    closing = by_number.get(BAS_CLOSING_ACCOUNT)
    target = by_number.get(BAS_RESULT_ACCOUNT)
    retained = by_number.get(BAS_RETAINED_EARNINGS)
    if closing is not None and target is not None and _is_bas(accounts):
        if result > 0:
            lines = [(closing, result, ZERO), (target, ZERO, result)]
        elif result < 0:
            lines = [(target, -result, ZERO), (closing, ZERO, -result)]
    else:
        # Generic charts: the last equity account is the year's result, the one before it
        # retained earnings (3200 and 3100 in the generic template).
        equity = [a for a in accounts if a.type == AccountType.EQUITY]
        target = equity[-1] if equity else None
        retained = equity[-2] if len(equity) > 1 else None
        for account in result_accounts:
            net = _net(sums, account.pk)
            if net > 0:
                lines.append((account, ZERO, net))
            elif net < 0:
                lines.append((account, -net, ZERO))
        if lines and target is not None:
            lines.append((target, ZERO, result) if result > 0 else (target, -result, ZERO))
            lines = [line for line in lines if line[1] or line[2]]
    if target is None:
        problems.append(
            ValidationError(
                _("The chart of accounts has no equity account for the result."), code="no_result_account"
            )
        )
    return ClosePlan(year, result, lines, target, retained, problems)


def fiscal_year_get(*, user: Any, pk: Any) -> FiscalYear:
    """One fiscal year in the user's scope (404 otherwise); needs ``view_ledger_reports``."""
    if not user.has_perm(VIEW_REPORTS):
        raise PermissionDenied(_("You do not have permission to view ledger reports."))
    try:
        return visible_to(FiscalYear.objects.all(), user).get(pk=pk)
    except (FiscalYear.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def fiscal_year_close_preview(*, user: Any, fiscal_year: FiscalYear) -> ClosePlan:
    """The result the year-end close would book, its voucher lines and what stops it."""
    ledger = _ledger(user=user, legal_entity=fiscal_year.legal_entity_id)
    return _close_plan(ledger, fiscal_year)


def ledger_for_entity(legal_entity: Any) -> Ledger:
    """The fiscal years of a legal entity, for services that already checked authority."""
    le_id = getattr(legal_entity, "pk", legal_entity)
    from frontoffice.org.models import LegalEntity

    entity = legal_entity if isinstance(legal_entity, LegalEntity) else LegalEntity.objects.get(pk=le_id)
    return Ledger(entity, list(FiscalYear.objects.filter(legal_entity_id=le_id).order_by("start_on")))


def fiscal_year_list(*, user: Any, legal_entity: Any = None) -> list[FiscalYear]:
    """The legal entity's fiscal years, newest first (for the period picker)."""
    ledger = _ledger(user=user, legal_entity=legal_entity)
    return list(reversed(ledger.years))


def default_range(
    *, user: Any, legal_entity: Any = None, today: datetime.date | None = None
) -> DateRange | None:
    """The current fiscal year to date (to its end if today is after it); the latest year if
    none contains today."""
    ledger = _ledger(user=user, legal_entity=legal_entity)
    today = today or datetime.date.today()
    year = ledger.year_of(today)
    if year is not None:
        return DateRange(year.start_on, today)
    past = [y for y in ledger.years if y.start_on <= today]
    year = past[-1] if past else (ledger.years[0] if ledger.years else None)
    return DateRange(year.start_on, year.end_on) if year else None


__all__ = [
    "DateRange",
    "balance_sheet",
    "default_range",
    "fiscal_year_list",
    "general_ledger",
    "income_statement",
    "legal_entity_for",
    "trial_balance",
    "vat_return",
]
