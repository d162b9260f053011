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
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.models import AuditEntry
from frontoffice.core.scoping import user_scope
from frontoffice.finance.models import (
    AccountBalance,
    DimensionKind,
    DimensionObject,
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


# ---------------------------------------------------------------- context


class LedgerContext:
    """What checking and posting need from the database, loaded once per call (or batch)."""

    def __init__(self, *, legal_entity: Any, actor: Any):
        self.legal_entity_id = getattr(legal_entity, "pk", legal_entity)
        self.actor = actor
        self._accounts: dict[str, LedgerAccount] = {}
        self._dims: dict[tuple[str, str], DimensionObject] = {}
        self._series: dict[str, VoucherSeries] | None = None
        self._periods: list[Period] | None = None
        self._lock: datetime.date | bool | None = False
        self._standards: PostingStandards | bool | None = False
        self._role_id: int | bool | None = False

    def load_accounts(self, numbers: Iterable[str]) -> None:
        missing = {n for n in numbers if n not in self._accounts}
        if missing:
            for account in LedgerAccount.objects.filter(
                legal_entity_id=self.legal_entity_id, number__in=missing
            ):
                self._accounts[account.number] = account

    def account(self, number: str) -> LedgerAccount | None:
        return self._accounts.get(number)

    def load_dims(self, pairs: Iterable[tuple[str, str]]) -> None:
        missing = {p for p in pairs if p not in self._dims}
        if missing:
            codes = {code for _, code in missing}
            for obj in DimensionObject.objects.filter(legal_entity_id=self.legal_entity_id, code__in=codes):
                self._dims[(obj.kind, obj.code)] = obj

    def dim(self, kind: str, code: str) -> DimensionObject | None:
        return self._dims.get((kind, code))

    def series(self, code: str) -> VoucherSeries | None:
        if self._series is None:
            self._series = {
                s.code: s
                for s in VoucherSeries.objects.filter(legal_entity_id=self.legal_entity_id).prefetch_related(
                    "allowed_roles"
                )
            }
        return self._series.get(code)

    def period_for(self, date: datetime.date) -> Period | None:
        if self._periods is None:
            self._periods = list(
                Period.objects.filter(legal_entity_id=self.legal_entity_id, number__gt=0).select_related(
                    "fiscal_year"
                )
            )
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
            dates = LockDate.objects.filter(legal_entity_id=self.legal_entity_id).filter(
                models.Q(role__isnull=True) | models.Q(role_id=self.role_id)
            )
            self._lock = max((d.locked_through for d in dates), default=None)
        return self._lock  # type: ignore[return-value]

    @property
    def standards(self) -> PostingStandards | None:
        if self._standards is False:
            self._standards = PostingStandards.objects.filter(legal_entity_id=self.legal_entity_id).first()
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
        allowed = {r.pk for r in series.allowed_roles.all()}
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
            lines.append(_Line(idx, account, side, amount, (line.text or "").strip()[:200], dims))
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


def _counter_locked(series: VoucherSeries, fiscal_year_id: int) -> SeriesCounter:
    qs = SeriesCounter.objects.select_for_update(no_key=True)
    try:
        return qs.get(series=series, fiscal_year_id=fiscal_year_id)
    except SeriesCounter.DoesNotExist:
        try:
            with transaction.atomic():
                SeriesCounter.objects.create(series=series, fiscal_year_id=fiscal_year_id)
        except IntegrityError:
            pass  # created by a concurrent poster
        return qs.get(series=series, fiscal_year_id=fiscal_year_id)


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


def _apply_balances(legal_entity_id: int, lines: Iterable[JournalLine]) -> None:
    sums: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for line in lines:
        pair = sums[(line.account_id, line.period_id)]
        pair[0 if line.side == "D" else 1] += line.amount
    for (account_id, period_id), (debit, credit) in sorted(sums.items()):
        updated = AccountBalance.objects.filter(account_id=account_id, period_id=period_id).update(
            debit_amount=F("debit_amount") + debit, credit_amount=F("credit_amount") + credit
        )
        if not updated:
            AccountBalance.objects.bulk_create(
                [AccountBalance(legal_entity_id=legal_entity_id, account_id=account_id, period_id=period_id)],
                ignore_conflicts=True,
            )
            AccountBalance.objects.filter(account_id=account_id, period_id=period_id).update(
                debit_amount=F("debit_amount") + debit, credit_amount=F("credit_amount") + credit
            )


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
    now = timezone.now()
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    entries: list[JournalEntry] = []
    all_lines: list[JournalLine] = []
    by_counter: dict[tuple[int, int], list[int]] = defaultdict(list)
    for idx, checked in enumerate(checked_list):
        by_counter[(checked.series.pk, checked.period.fiscal_year_id)].append(idx)
    numbered: dict[int, tuple[int, SeriesCounter]] = {}
    counters: dict[tuple[int, int], SeriesCounter] = {}
    # Lock counters in a fixed order so concurrent batches cannot deadlock.
    for key in sorted(by_counter):
        first = checked_list[by_counter[key][0]]
        counter = _counter_locked(first.series, first.period.fiscal_year_id)
        counters[key] = counter
        for offset, idx in enumerate(by_counter[key]):
            numbered[idx] = (counter.next_number + offset, counter)
    account_numbers: dict[int, str] = {}
    dim_codes: dict[int, str] = {}
    for idx, checked in enumerate(checked_list):
        entry_in = checked.entry
        number, _counter = numbered[idx]
        source_type, source_id = None, ""
        if entry_in.source is not None:
            source_type = ContentType.objects.get_for_model(entry_in.source)
            source_id = str(entry_in.source.pk)
        entry = JournalEntry(
            legal_entity_id=ctx.legal_entity_id,
            series=checked.series,
            fiscal_year_id=checked.period.fiscal_year_id,
            period=checked.period,
            number=number,
            date=entry_in.date,
            text=entry_in.text.strip()[:200],
            status=JournalEntry.Status.POSTED,
            total_amount=checked.total,
            source_type=source_type,
            source_id=source_id,
            idempotency_key=entry_in.idempotency_key or None,
            reverses=(reverses or {}).get(idx),
            created_by=actor,
            posted_at=now,
            posted_by=actor,
        )
        lines = []
        for line in checked.lines:
            account_numbers[line.account.pk] = line.account.number
            for obj in line.dims.values():
                if obj is not None:
                    dim_codes[obj.pk] = f"{obj.kind}:{obj.code}"
            lines.append(
                JournalLine(
                    line_no=line.line_no,
                    account=line.account,
                    side=line.side,
                    amount=line.amount,
                    text=line.text,
                    cost_centre=line.dims.get("cost_centre"),
                    project=line.dims.get("project"),
                    region=line.dims.get("region"),
                    legal_entity_id=ctx.legal_entity_id,
                    date=entry_in.date,
                    period=checked.period,
                )
            )
        entries.append(entry)
        all_lines.append(lines)  # type: ignore[arg-type]
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
                lines=all_lines[idx],  # type: ignore[arg-type]
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
    flat: list[JournalLine] = []
    for entry, lines in zip(entries, all_lines, strict=True):
        for line in lines:  # type: ignore[attr-defined]
            line.entry = entry
            flat.append(line)
    JournalLine.objects.bulk_create(flat)
    for counter in counters.values():
        SeriesCounter.objects.filter(pk=counter.pk).update(
            next_number=counter.next_number, last_hash=counter.last_hash
        )
    _apply_balances(ctx.legal_entity_id, flat)
    return entries


def _require(actor: Any, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def _require_entity(actor: Any, legal_entity_id: int) -> None:
    scope = user_scope(actor)
    if not scope.everything and scope.legal_entity_id != legal_entity_id:
        raise PermissionDenied(_("You can only post in your own legal entity."))


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
    _require(actor, "finance.post_journalentry")
    ctx = ctx or LedgerContext(legal_entity=legal_entity, actor=actor)
    _require_entity(actor, ctx.legal_entity_id)
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
    _require(actor, "finance.post_journalentry")
    ctx = LedgerContext(legal_entity=legal_entity, actor=actor)
    _require_entity(actor, ctx.legal_entity_id)
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
        text=checked.entry.text.strip()[:200],
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
    """Create or replace a draft voucher. Drafts are checked for shape only (accounts exist,
    amounts are valid); the posting standards apply when it is posted."""
    _require(actor, "finance.add_journalentry")
    ctx = LedgerContext(legal_entity=legal_entity, actor=actor)
    _require_entity(actor, ctx.legal_entity_id)
    series = ctx.series(entry.series)
    errors: dict[str, list[str]] = {}
    if series is None:
        errors["series"] = [_("There is no voucher series “%(code)s”.") % {"code": entry.series}]
    ctx.load_accounts(str(line.account).strip() for line in entry.lines)
    parsed: list[tuple[LedgerAccount, str, Decimal, str]] = []
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
        if account is not None and ((debit is None) != (credit is None)):
            side, amount = ("D", debit) if debit is not None else ("C", credit)
            if amount and amount > 0:
                parsed.append((account, side, amount, line.text))
    if errors:
        raise ValidationError(errors, code="invalid_draft")
    if draft is None:
        draft = JournalEntry(legal_entity_id=ctx.legal_entity_id, created_by=actor)
    elif draft.status != JournalEntry.Status.DRAFT:
        raise ValidationError(_("Only drafts can be changed."), code="not_draft")
    else:
        draft.lines.all().delete()
    draft.series = series
    draft.date = entry.date
    draft.text = entry.text.strip()[:200]
    draft.total_amount = sum((a for _, s, a, _ in parsed if s == "D"), Decimal("0.00"))
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
                legal_entity_id=ctx.legal_entity_id,
                date=entry.date,
            )
            for i, (a, s, amt, t) in enumerate(parsed, start=1)
        ]
    )
    audit_record(actor=actor, action="finance.voucher.draft_saved", obj=draft)
    return draft


def journal_entry_submit(*, actor: Any, draft: JournalEntry) -> JournalEntry:
    """Post a draft: checked against every standard; above the four-eyes limit it waits for a
    second person's approval. A rejected attempt is counted on the draft and per employee."""
    _require(actor, "finance.post_journalentry")
    ctx = LedgerContext(legal_entity=draft.legal_entity_id, actor=actor)
    _require_entity(actor, ctx.legal_entity_id)
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
    _require(actor, "finance.approve_journalentry")
    ctx = LedgerContext(legal_entity=entry.legal_entity_id, actor=actor)
    _require_entity(actor, ctx.legal_entity_id)
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
    _require(actor, "finance.reverse_journalentry")
    ctx = LedgerContext(legal_entity=entry.legal_entity_id, actor=actor)
    _require_entity(actor, ctx.legal_entity_id)
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
