"""Checking a parsed SIE document before it is imported.

Errors make an import impossible (an unbalanced voucher, an unknown account, a date outside
the fiscal year, a malformed record). Warnings do not, but the user must confirm them: the
opening balances do not balance, or the stated closing balances (#UB) and results (#RES)
differ from what the opening balances and the vouchers produce (real exports sometimes leave
vouchers out). Every figure is an exact Decimal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from frontoffice.finance.sie.parser import Problem, SieDocument

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def account_kind(number: str, ktyp: str) -> str:
    """The ledger account type of a SIE account: from #KTYP, else from its BAS class."""
    if ktyp == "T":
        return "asset"
    if ktyp == "S":
        return "equity" if number.startswith("20") else "liability"
    if ktyp == "K":
        return "expense"
    if ktyp == "I":
        return "income"
    first = number[:1]
    if first == "1":
        return "asset"
    if first == "2":
        return "equity" if number.startswith("20") else "liability"
    if first == "3" or number[:2] in ("80", "81", "82", "83"):
        return "income"
    return "expense"


def is_balance_kind(kind: str) -> bool:
    return kind in ("asset", "liability", "equity")


@dataclass(frozen=True)
class BalanceDifference:
    """A stated closing balance (#UB) or result (#RES) that the vouchers do not produce."""

    account: str
    record: str  # "#UB" or "#RES"
    stated: Decimal
    computed: Decimal
    line: int | None

    @property
    def difference(self) -> Decimal:
        return self.stated - self.computed

    def __str__(self) -> str:
        return _(
            "account %(account)s: %(record)s states %(stated)s, opening balance and vouchers give "
            "%(computed)s (difference %(diff)s)"
        ) % {
            "account": self.account,
            "record": self.record,
            "stated": self.stated,
            "computed": self.computed,
            "diff": self.difference,
        }


@dataclass
class SieReport:
    document: SieDocument
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    differences: list[BalanceDifference] = field(default_factory=list)
    opening_difference: Decimal = ZERO
    # SIE account code → ledger account number (the same digits, or a free number).
    account_map: dict[str, str] = field(default_factory=dict)
    missing_accounts: dict[str, int] = field(default_factory=dict)
    missing_objects: dict[tuple[str, str], int] = field(default_factory=dict)
    notes_extra: list[Problem] = field(default_factory=list)

    @property
    def notes(self) -> list[Problem]:
        return sorted([*self.document.notes, *self.notes_extra], key=lambda p: p.line)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def needs_confirmation(self) -> bool:
        """Warnings (differing balances, unbalanced opening balances, accounts created or
        renumbered) are imported only when the user confirms them."""
        return bool(self.warnings)

    def error_messages(self) -> list[str]:
        return [str(p) for p in sorted(self.errors, key=lambda p: p.line)]


def _ledger_numbers(doc: SieDocument, report: SieReport) -> None:
    """Map every SIE account code to a ledger account number (digits only).

    Real exports hold codes such as ``FEL`` or ``DIFF`` (suspense accounts), and #TRANS lines
    on accounts missing from #KONTO. Both are imported, the first under a free number from
    9999 downwards, and each is a warning the user must confirm."""
    used = {n for n in doc.accounts if re.fullmatch(r"\d{1,10}", n)}
    codes = list(doc.accounts)
    for voucher in doc.vouchers:
        for trans in voucher.transactions:
            if trans.account not in doc.accounts and trans.account not in codes:
                codes.append(trans.account)
                report.missing_accounts[trans.account] = trans.line
    for (index, code), (_amount, line) in doc.opening.items():
        if index == 0 and code not in doc.accounts and code not in codes:
            codes.append(code)
            report.missing_accounts[code] = line
    free = 9999
    for code in codes:
        if re.fullmatch(r"\d{1,10}", code):
            report.account_map[code] = code
            continue
        while str(free) in used:
            free -= 1
        report.account_map[code] = str(free)
        used.add(str(free))
        line = doc.accounts[code].line if code in doc.accounts else report.missing_accounts[code]
        report.warnings.append(
            Problem(
                line,
                _("account code “%(code)s” is not a number; it is imported as account %(number)s")
                % {"code": code, "number": free},
            )
        )
    for code, line in report.missing_accounts.items():
        report.warnings.append(
            Problem(
                line,
                _(
                    "account %(code)s is not in the chart of accounts (#KONTO); it is created as account %(number)s"
                )
                % {"code": code, "number": report.account_map[code]},
            )
        )


def validate(doc: SieDocument) -> SieReport:
    """Every problem that stops an import, and every difference the user must confirm."""
    report = SieReport(document=doc, errors=list(doc.errors))
    errors = report.errors
    year = doc.years.get(0)
    _ledger_numbers(doc, report)
    seen: dict[tuple[str, str], int] = {}
    for voucher in doc.vouchers:
        if voucher.number:
            key = (voucher.series, voucher.number)
            if key in seen:
                # Numbers are assigned anew on import, so a repeated one only needs a mention.
                report.notes_extra.append(
                    Problem(
                        voucher.line,
                        _("voucher %(ref)s appears twice (first on line %(first)s)")
                        % {"ref": voucher.reference, "first": seen[key]},
                    )
                )
            else:
                seen[key] = voucher.line
        if year is not None and not year[0] <= voucher.date <= year[1]:
            errors.append(
                Problem(
                    voucher.line,
                    _(
                        "voucher %(ref)s is dated %(date)s, outside the fiscal year %(start)s to %(end)s (#RAR 0)"
                    )
                    % {
                        "ref": voucher.reference,
                        "date": voucher.date.isoformat(),
                        "start": year[0].isoformat(),
                        "end": year[1].isoformat(),
                    },
                )
            )
        total = ZERO
        for trans in voucher.transactions:
            total += trans.amount
            if trans.amount != trans.amount.quantize(CENT):
                errors.append(
                    Problem(
                        trans.line,
                        _("the amount %(amount)s has more than two decimals") % {"amount": trans.amount},
                    )
                )
            for dim, code in trans.objects:
                if (dim, code) not in doc.objects and (dim, code) not in report.missing_objects:
                    report.missing_objects[(dim, code)] = trans.line
                    report.notes_extra.append(
                        Problem(
                            trans.line,
                            _(
                                "object %(code)s of dimension %(dim)s has no #OBJEKT record; it is created with its code as name"
                            )
                            % {"code": code, "dim": dim},
                        )
                    )
        if total != ZERO:
            errors.append(
                Problem(
                    voucher.line,
                    _("voucher %(ref)s does not balance: its transactions sum to %(total)s, not 0")
                    % {"ref": voucher.reference, "total": total},
                )
            )
    opening_total = ZERO
    for (index, _account), (amount, line) in doc.opening.items():
        if index != 0:
            continue
        opening_total += amount
        if amount != amount.quantize(CENT):
            errors.append(
                Problem(line, _("the amount %(amount)s has more than two decimals") % {"amount": amount})
            )
    if opening_total != ZERO:
        report.opening_difference = opening_total
        first_line = min((line for (i, _a), (_m, line) in doc.opening.items() if i == 0), default=1)
        report.warnings.append(
            Problem(
                first_line,
                _("the opening balances (#IB 0) do not balance: they sum to %(total)s, not 0")
                % {"total": opening_total},
            )
        )
    if not errors:
        report.differences = balance_differences(doc)
        for diff in report.differences:
            report.warnings.append(Problem(diff.line or 1, str(diff)))
    return report


def computed_balances(doc: SieDocument) -> dict[str, Decimal]:
    """Per account: opening balance (#IB 0) plus the sum of the year's voucher transactions."""
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (index, account), (amount, _line) in doc.opening.items():
        if index == 0:
            sums[account] += amount
    for voucher in doc.vouchers:
        for trans in voucher.transactions:
            sums[trans.account] += trans.amount
    return dict(sums)


def balance_differences(doc: SieDocument) -> list[BalanceDifference]:
    """Accounts whose stated #UB 0 (balance accounts) or #RES 0 (result accounts) differ from
    the opening balance plus the vouchers. An account without a stated figure counts as 0
    when the file states such figures at all."""
    computed = computed_balances(doc)
    closing = {a: v for (i, a), v in doc.closing.items() if i == 0}
    results = {a: v for (i, a), v in doc.results.items() if i == 0}
    differences: list[BalanceDifference] = []
    # Accounts missing from #KONTO are reported on their own (see ``_ledger_numbers``).
    accounts = {a for a in computed if a in doc.accounts} | set(closing) | set(results)
    for number in sorted(accounts):
        account = doc.accounts.get(number)
        kind = account_kind(number, account.ktyp if account else "")
        stated_map, record = (closing, "#UB") if is_balance_kind(kind) else (results, "#RES")
        if not stated_map and number not in closing and number not in results:
            continue
        if number in stated_map:
            stated, line = stated_map[number]
        elif number in closing or number in results:
            # Stated under the other record (a result account with #UB, or the reverse).
            stated, line = (closing if number in closing else results)[number]
            record = "#UB" if number in closing else "#RES"
        else:
            stated, line = ZERO, None
        value = computed.get(number, ZERO)
        if stated != value:
            differences.append(BalanceDifference(number, record, stated, value, line))
    return differences
