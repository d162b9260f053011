"""Period-end work: the VAT settlement voucher and the year-end close.

Invariants:
- both post through ``journal_entry_post`` on non-manual series ("M" for the VAT settlement,
  "Y" for the closing voucher), so every posting standard, the numbering and the hash chain
  apply as to any other voucher;
- a VAT period is settled at most once (unless its settlement was reversed); the settlement
  empties the output and input VAT accounts into 2650 for exactly the return's figures;
- a fiscal year is closed once, only through ``fiscal_year_close``, after every earlier year,
  and not while vouchers of the year await approval. Closing books the result to equity,
  writes next year's opening balances (period 0 of the next year, ``AccountBalance`` rows,
  the only balances not written from voucher lines) and marks the year closed, all in one
  transaction.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.models import (
    BALANCE_SHEET_TYPES,
    AccountBalance,
    FiscalYear,
    JournalEntry,
    LedgerAccount,
    Period,
    VoucherSeries,
)
from frontoffice.finance.selectors.reports import (
    VAT_SETTLEMENT_SERIES,
    ZERO,
    DateRange,
    _check_range,
    _close_plan,
    ledger_for_entity,
    opening_before,
    vat_accounts,
    vat_movements,
)
from frontoffice.finance.services.periods import fiscal_year_create, voucher_series_create
from frontoffice.finance.services.posting import EntryInput, LineInput, journal_entry_post

MANAGE = "finance.manage_ledger"
CLOSING_SERIES = "Y"
VAT_SETTLEMENT_ACCOUNT = "2650"


def _require(actor: Any, legal_entity_id: int) -> None:
    require_perm(actor, MANAGE)
    require_legal_entity(actor, legal_entity_id)


def _series(*, actor: Any, legal_entity_id: int, code: str, name: str) -> VoucherSeries:
    series = VoucherSeries.objects.filter(legal_entity_id=legal_entity_id, code=code).first()
    if series is None:
        series = voucher_series_create(
            actor=actor, legal_entity=legal_entity_id, code=code, name=name, is_manual=False
        )
    elif series.is_manual:
        raise ValidationError(
            _("Voucher series %(code)s is a manual series; it cannot hold system vouchers.") % {"code": code},
            code="series_manual",
        )
    return series


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _settled(legal_entity_id: int, start: datetime.date, end: datetime.date) -> JournalEntry | None:
    """The settlement voucher of the range that has not been reversed, if any (found by its
    date and the ISO range its text carries in every language)."""
    return (
        JournalEntry.objects.filter(
            legal_entity_id=legal_entity_id,
            series__code=VAT_SETTLEMENT_SERIES,
            status=JournalEntry.Status.POSTED,
            date=end,
            reverses__isnull=True,
            reversals__isnull=True,
            text__contains=f"{start.isoformat()}/{end.isoformat()}",
        )
        .order_by("id")
        .first()
    )


def vat_settlement_post(
    *, actor: Any, legal_entity: Any, start: datetime.date, end: datetime.date
) -> JournalEntry:
    """Post the VAT settlement voucher of ``start``..``end``, dated ``end`` in series M.

    Each output VAT account (2610-2639) and input VAT account (2640-2649) is emptied of its
    movement in the range; the difference goes to 2650 (a credit when VAT is payable). Needs
    ``finance.manage_ledger`` in the legal entity. Raises ``ValidationError`` with code
    ``already_settled``, ``nothing_to_settle`` or ``no_settlement_account``, or the posting
    service's ``PostingRejected`` (for example a locked period).
    """
    le_id = getattr(legal_entity, "pk", legal_entity)
    _require(actor, le_id)
    ledger = ledger_for_entity(legal_entity)
    rng = DateRange(start, end)
    _check_range(ledger, rng)
    with transaction.atomic():
        existing = _settled(le_id, start, end)
        if existing is not None:
            raise ValidationError(
                _("VAT for %(start)s to %(end)s is already settled by voucher %(ref)s.")
                % {"start": start.isoformat(), "end": end.isoformat(), "ref": existing.reference},
                code="already_settled",
            )
        accounts = list(LedgerAccount.objects.filter(legal_entity_id=le_id))
        settlement = next((a for a in accounts if a.number == VAT_SETTLEMENT_ACCOUNT), None)
        if settlement is None:
            raise ValidationError(
                _("The chart of accounts has no VAT settlement account %(n)s.")
                % {"n": VAT_SETTLEMENT_ACCOUNT},
                code="no_settlement_account",
            )
        output_accounts, input_accounts = vat_accounts(accounts)
        moves = vat_movements(le_id, rng)
        lines: list[LineInput] = []
        net_total = ZERO  # debit minus credit of the emptied accounts, before the settlement
        for account in [*output_accounts, *input_accounts]:
            debit, credit = moves.get(account.pk, (ZERO, ZERO))
            net = debit - credit
            if not net:
                continue
            net_total += net
            if net > 0:
                lines.append(LineInput(account=account.number, credit=_amount(net)))
            else:
                lines.append(LineInput(account=account.number, debit=_amount(-net)))
        if not lines:
            raise ValidationError(
                _("There is no VAT to settle for %(start)s to %(end)s.")
                % {"start": start.isoformat(), "end": end.isoformat()},
                code="nothing_to_settle",
            )
        # Emptying the VAT accounts moves their net into 2650: a net credit balance (VAT to
        # pay) becomes a credit on 2650.
        if net_total > 0:
            lines.append(LineInput(account=settlement.number, debit=_amount(net_total)))
        elif net_total < 0:
            lines.append(LineInput(account=settlement.number, credit=_amount(-net_total)))
        _series(
            actor=actor,
            legal_entity_id=le_id,
            code=VAT_SETTLEMENT_SERIES,
            name=_("Momsredovisning / VAT settlement"),
        )
        entry = journal_entry_post(
            actor=actor,
            legal_entity=le_id,
            entry=EntryInput(
                series=VAT_SETTLEMENT_SERIES,
                date=end,
                text=_("VAT settlement %(range)s") % {"range": f"{start.isoformat()}/{end.isoformat()}"},
                lines=lines,
            ),
        )
        audit_record(
            actor=actor,
            action="finance.vat.settled",
            obj=entry,
            changes={
                "period": [None, f"{start.isoformat()}/{end.isoformat()}"],
                "payable": [None, str(-net_total)],
            },
        )
    return entry


def fiscal_year_close(*, actor: Any, fiscal_year: FiscalYear) -> FiscalYear:
    """Close a fiscal year: post the closing voucher (series Y, dated the last day: in BAS
    the result to 2099 through 8999; other charts empty each result account into the
    highest-numbered equity account), create the next year if missing (12 months), write its
    opening balances (the balance-sheet accounts' closing balances, with 2099 moved into
    2091 retained earnings) and mark the year closed.

    Needs ``finance.manage_ledger`` in the year's legal entity. Refuses with a
    ``ValidationError`` listing every reason (codes ``already_closed``, ``earlier_year_open``,
    ``awaiting_approval``, ``no_result_account``, ``opening_exists``); the closing voucher can
    also be refused by the posting standards (for example a locked period).
    """
    le_id = fiscal_year.legal_entity_id
    _require(actor, le_id)
    with transaction.atomic():
        year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
        ledger = ledger_for_entity(le_id)
        plan = _close_plan(ledger, year)
        next_start = year.end_on + datetime.timedelta(days=1)
        next_year = ledger.year_of(next_start)
        if (
            year.is_open
            and next_year is not None
            and AccountBalance.objects.filter(period__fiscal_year=next_year, period__number=0).exists()
        ):
            plan.problems.append(
                ValidationError(
                    _("The next fiscal year already has opening balances."), code="opening_exists"
                )
            )
        if plan.problems:
            raise ValidationError(plan.problems)
        entry = None
        if plan.lines:
            _series(
                actor=actor, legal_entity_id=le_id, code=CLOSING_SERIES, name=_("Bokslut / Year-end close")
            )
            entry = journal_entry_post(
                actor=actor,
                legal_entity=le_id,
                entry=EntryInput(
                    series=CLOSING_SERIES,
                    date=year.end_on,
                    text=_("Year-end close %(year)s") % {"year": year},
                    lines=[
                        LineInput(
                            account=account.number,
                            debit=_amount(debit) if debit else None,
                            credit=_amount(credit) if credit else None,
                        )
                        for account, debit, credit in plan.lines
                    ],
                ),
            )
            if entry.status != JournalEntry.Status.POSTED:  # pragma: no cover - non-manual series
                raise ValidationError(_("The closing voucher was not posted."), code="not_posted")
        if next_year is None:
            next_year = fiscal_year_create(
                actor=actor,
                legal_entity=le_id,
                start_on=next_start,
                end_on=next_start.replace(year=next_start.year + 1) - datetime.timedelta(days=1),
            )
        closing = opening_before(ledger, next_start, year).carried
        accounts = {a.pk: a for a in LedgerAccount.objects.filter(legal_entity_id=le_id)}
        nets: dict[int, Decimal] = {}
        for account_id, (debit, credit) in closing.items():
            if accounts[account_id].type in BALANCE_SHEET_TYPES:
                nets[account_id] = nets.get(account_id, ZERO) + debit - credit
        if plan.result_account is not None and plan.retained_account is not None:
            result_id, retained_id = plan.result_account.pk, plan.retained_account.pk
            nets[retained_id] = nets.get(retained_id, ZERO) + nets.pop(result_id, ZERO)
        opening_period = Period.objects.get(fiscal_year=next_year, number=0)
        AccountBalance.objects.bulk_create(
            [
                AccountBalance(
                    legal_entity_id=le_id,
                    account_id=account_id,
                    period=opening_period,
                    debit_amount=net if net > 0 else ZERO,
                    credit_amount=-net if net < 0 else ZERO,
                )
                for account_id, net in sorted(nets.items())
                if net
            ]
        )
        year.status = FiscalYear.Status.CLOSED
        year.closed_at = timezone.now()
        year.closed_by = actor
        year.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
        audit_record(
            actor=actor,
            action="finance.fiscal_year.closed",
            obj=year,
            changes={
                "status": [FiscalYear.Status.OPEN, FiscalYear.Status.CLOSED],
                "result": [None, str(plan.result)],
                "closing_voucher": [None, entry.reference if entry else None],
                "next_year": [None, str(next_year)],
            },
        )
    return year


__all__ = ["fiscal_year_close", "vat_settlement_post"]
