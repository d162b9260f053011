"""SIE 4 import and export of a legal entity's ledger.

Invariants:
- an import goes into an empty legal entity (no account, no voucher) and is all or nothing:
  one transaction creates the chart, dimension objects, the fiscal year (#RAR 0), the voucher
  series, the opening balances (#IB 0, as period-0 balances) and posts every voucher through
  ``journal_entries_post_batch``, so every posting standard, the gapless numbering and the
  hash chain apply; any problem rolls everything back and is reported with its line number;
- differences between the file's stated closing balances/results and what its vouchers
  produce are imported only when the user accepts them (``accept_inconsistent_balances``);
- an export holds exactly the posted vouchers of the fiscal year and the balances kept by the
  posting service, so export → import gives the same trial balance to the öre.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.money import quantize
from frontoffice.core.permissions import require_perm
from frontoffice.finance.models import (
    AccountBalance,
    AccountType,
    ControlKind,
    DimensionKind,
    DimensionObject,
    FiscalYear,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Period,
    PostingStandards,
)
from frontoffice.finance.services.periods import fiscal_year_create, voucher_series_create
from frontoffice.finance.services.posting import EntryInput, LineInput, journal_entries_post_batch
from frontoffice.finance.sie import writer
from frontoffice.finance.sie.parser import Problem, SieDocument, parse
from frontoffice.finance.sie.validate import SieReport, account_kind, validate

ZERO = Decimal("0.00")
# SIE dimension numbers: 1 cost centre and 6 project are reserved by the format; regions have
# no reserved number, so they are exported as 20, the first free one.
DIMENSION_NUMBERS = {DimensionKind.COST_CENTRE: "1", DimensionKind.PROJECT: "6", DimensionKind.REGION: "20"}
DIMENSION_NAMES = {"1": "Kostnadsställe", "6": "Projekt", "20": "Region"}
KTYP = {
    AccountType.ASSET: "T",
    AccountType.LIABILITY: "S",
    AccountType.EQUITY: "S",
    AccountType.EXPENSE: "K",
    AccountType.INCOME: "I",
}


@dataclass
class SieImportResult:
    legal_entity: Any
    fiscal_year: FiscalYear | None
    accounts: int = 0
    dimension_objects: int = 0
    series: int = 0
    vouchers: int = 0
    opening_balances: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Original SIE reference ("A 12") → the number the voucher got here ("A 3"), when it changed.
    renumbered: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    def summary(self) -> str:
        text = _(
            "%(accounts)s accounts, %(objects)s dimension objects, %(series)s series, "
            "%(opening)s opening balances and %(vouchers)s vouchers"
        ) % {
            "accounts": self.accounts,
            "objects": self.dimension_objects,
            "series": self.series,
            "opening": self.opening_balances,
            "vouchers": self.vouchers,
        }
        if self.dry_run:
            return _("Dry run, nothing written: the file would import %(what)s.") % {"what": text}
        return _("Imported %(what)s into %(entity)s.") % {"what": text, "entity": self.legal_entity}


class _DryRun(Exception):
    pass


class SieRefused(ValidationError):
    """A refused import: ``messages`` are "line N: problem" entries, ``code`` says why."""

    def __init__(self, messages: list[str], code: str):
        super().__init__([ValidationError(m, code=code) for m in messages])
        self.code = code


def _lines(problems: list[Problem]) -> list[str]:
    return [str(p) for p in sorted(problems, key=lambda p: p.line)]


def sie_check(data: bytes) -> SieReport:
    """Parse and validate a SIE file without writing anything (the import page's report)."""
    return validate(parse(data))


def _control(number: str) -> str:
    if number == "1510":
        return ControlKind.RECEIVABLES
    if number == "2440":
        return ControlKind.PAYABLES
    if len(number) == 4 and "2610" <= number <= "2650":
        return ControlKind.VAT
    return ControlKind.NONE


def _dimension_kinds(doc: SieDocument) -> tuple[dict[str, str], list[Problem]]:
    """SIE dimension number → dimension kind: 1 cost centre, 6 project, the lowest other
    top-level dimension region; the rest (and sub-dimensions) are skipped with a note."""
    kinds: dict[str, str] = {}
    notes: list[Problem] = []
    others = sorted((d for d in doc.dimensions if d not in ("1", "6")), key=int)
    for dim in doc.dimensions:
        if dim == "1":
            kinds[dim] = DimensionKind.COST_CENTRE
        elif dim == "6":
            kinds[dim] = DimensionKind.PROJECT
    if others:
        kinds[others[0]] = DimensionKind.REGION
        if others[0] != "20":
            notes.append(
                Problem(
                    1,
                    _("dimension %(dim)s “%(name)s” is imported as region")
                    % {"dim": others[0], "name": doc.dimensions[others[0]]},
                )
            )
    for dim in [*others[1:], *doc.subdimensions]:
        name = doc.dimensions.get(dim) or doc.subdimensions.get(dim, ("", ""))[0]
        notes.append(
            Problem(
                1,
                _("dimension %(dim)s “%(name)s” has no place in this ledger; its objects are not imported")
                % {"dim": dim, "name": name},
            )
        )
    return kinds, notes


def _series_code(series: str) -> str:
    return (series.strip() or "SIE").upper()


def _sort_number(number: str) -> tuple[int, str]:
    return (int(number), "") if number.isdigit() else (0, number)


def sie_import(
    *,
    actor: Any,
    legal_entity: Any,
    data: bytes,
    accept_inconsistent_balances: bool = False,
    dry_run: bool = False,
) -> SieImportResult:
    """Import a SIE 4 file into an empty legal entity, all or nothing.

    Needs ``finance.manage_ledger`` and ``finance.post_journalentry``, and the legal entity in
    the actor's scope. Raises ``ValidationError`` (code ``sie_invalid``) listing every problem
    as "line N: message"; ``sie_needs_confirmation`` when the file has warnings (differing
    closing balances, unbalanced opening balances, created accounts) and they were not
    accepted; ``sie_not_empty`` when the legal entity already has accounts or vouchers. With
    ``dry_run`` everything is checked, posted and then rolled back.
    """
    require_perm(actor, "finance.manage_ledger")
    from frontoffice.org.models import LegalEntity

    if not LegalEntity.objects.visible_to(actor).filter(pk=legal_entity.pk).exists():
        raise PermissionDenied(_("This legal entity is outside your scope."))
    report = sie_check(data)
    if report.errors:
        raise SieRefused(report.error_messages(), "sie_invalid")
    if report.warnings and not accept_inconsistent_balances:
        raise SieRefused(
            [_("The file needs your confirmation:"), *_lines(report.warnings)],
            "sie_needs_confirmation",
        )
    if (
        LedgerAccount.objects.filter(legal_entity=legal_entity).exists()
        or JournalEntry.objects.filter(legal_entity=legal_entity).exists()
        or FiscalYear.objects.filter(legal_entity=legal_entity).exists()
    ):
        raise SieRefused(
            [
                _("%(entity)s already has a ledger; a SIE file is imported into a new legal entity only.")
                % {"entity": legal_entity}
            ],
            "sie_not_empty",
        )
    try:
        with transaction.atomic():
            result = _import(actor=actor, legal_entity=legal_entity, report=report)
            if dry_run:
                result.dry_run = True
                raise _DryRun
    except _DryRun:
        return result
    return result


def sie_import_new_entity(
    *,
    actor: Any,
    data: bytes,
    name: str = "",
    organisation_number: str = "",
    accept_inconsistent_balances: bool = False,
    dry_run: bool = False,
) -> SieImportResult:
    """Create a legal entity (named by #FNAMN and #ORGNR unless given) and import into it, in
    one transaction: a refused file leaves no empty legal entity behind. Creating the legal
    entity needs ``org.manage_settings`` for the whole organisation (``legal_entity_create``)."""
    from frontoffice.org.services import legal_entity_create

    doc = parse(data)
    try:
        with transaction.atomic():
            entity = legal_entity_create(
                actor=actor,
                name=(name or doc.company_name or "").strip()[:200],
                organisation_number=(organisation_number or doc.organisation_number).strip(),
            )
            result = sie_import(
                actor=actor,
                legal_entity=entity,
                data=data,
                accept_inconsistent_balances=accept_inconsistent_balances,
            )
            if dry_run:
                result.dry_run = True
                raise _DryRun
    except _DryRun:
        return result
    return result


def _import(*, actor: Any, legal_entity: Any, report: SieReport) -> SieImportResult:
    doc = report.document
    le_id = legal_entity.pk
    errors: list[str] = []
    notes = list(report.notes)

    accounts = []
    for code, number in report.account_map.items():
        source = doc.accounts.get(code)
        account = LedgerAccount(
            legal_entity_id=le_id,
            number=number,
            name_sv=((source.name if source else "") or code)[:200],
            type=account_kind(number if code == number else "", source.ktyp if source else ""),
            control=_control(number),
        )
        account.clean_fields()
        accounts.append(account)
    LedgerAccount.objects.bulk_create(accounts)
    PostingStandards.objects.update_or_create(
        legal_entity_id=le_id, defaults={"chart_type": doc.chart_type.strip()[:20]}
    )

    kinds, dim_notes = _dimension_kinds(doc)
    notes.extend(dim_notes)
    objects: dict[tuple[str, str], DimensionObject] = {}
    wanted = [(o.dimension, o.code, o.name, o.line) for o in doc.objects.values()] + [
        (dim, code, code, line) for (dim, code), line in report.missing_objects.items()
    ]
    for dim, code, name, line in wanted:
        if dim not in kinds:
            continue
        if len(code) > 40:
            errors.append(
                str(Problem(line, _("object code “%(code)s” is longer than 40 characters") % {"code": code}))
            )
            continue
        objects[(dim, code)] = DimensionObject(
            legal_entity_id=le_id, kind=kinds[dim], code=code, name=(name or code)[:200]
        )
    DimensionObject.objects.bulk_create(objects.values())

    start, end = doc.years[0]
    try:
        year = fiscal_year_create(actor=actor, legal_entity=le_id, start_on=start, end_on=end)
    except ValidationError as exc:
        raise SieRefused(
            [str(Problem(doc.year_lines[0], message)) for message in exc.messages],
            "sie_invalid",
        ) from exc

    series_codes = sorted({_series_code(v.series) for v in doc.vouchers})
    for code in series_codes:
        if len(code) > 10:
            line = next(v.line for v in doc.vouchers if _series_code(v.series) == code)
            errors.append(
                str(Problem(line, _("series “%(code)s” is longer than 10 characters") % {"code": code}))
            )
    if errors:
        raise SieRefused(errors, "sie_invalid")
    for code in series_codes:
        voucher_series_create(
            actor=actor,
            legal_entity=le_id,
            code=code,
            name=_("SIE series %(code)s") % {"code": code},
            is_manual=False,
        )

    opening_period = Period.objects.get(fiscal_year=year, number=0)
    by_number = {a.number: a for a in LedgerAccount.objects.filter(legal_entity_id=le_id)}
    balances = []
    for (index, code), (amount, _line) in sorted(doc.opening.items(), key=lambda item: item[1][1]):
        if index != 0 or amount == ZERO:
            continue
        balances.append(
            AccountBalance(
                legal_entity_id=le_id,
                account=by_number[report.account_map[code]],
                period=opening_period,
                debit_amount=amount if amount > 0 else ZERO,
                credit_amount=-amount if amount < 0 else ZERO,
            )
        )
    AccountBalance.objects.bulk_create(balances)

    # Gapless numbers from 1 per series, in date order and then the file's own order.
    vouchers = sorted(
        doc.vouchers, key=lambda v: (_series_code(v.series), v.date, _sort_number(v.number), v.line)
    )
    entries: list[EntryInput] = []
    posted_from = []
    for voucher in vouchers:
        lines = []
        for trans in voucher.transactions:
            if trans.amount == ZERO:
                continue
            dims: dict[str, str] = {}
            for dim, code in trans.objects:
                kind = kinds.get(dim)
                if kind and kind not in dims:
                    dims[kind] = code
            lines.append(
                LineInput(
                    account=report.account_map[trans.account],
                    debit=trans.amount if trans.amount > 0 else None,
                    credit=-trans.amount if trans.amount < 0 else None,
                    text=trans.text,
                    **dims,
                )
            )
        if not lines:
            notes.append(
                Problem(
                    voucher.line,
                    _("voucher %(ref)s has no amounts and is skipped") % {"ref": voucher.reference},
                )
            )
            continue
        entries.append(
            EntryInput(
                series=_series_code(voucher.series),
                date=voucher.date,
                text=voucher.text or _("SIE voucher %(ref)s") % {"ref": voucher.reference},
                lines=lines,
            )
        )
        posted_from.append(voucher)
    try:
        posted = journal_entries_post_batch(actor=actor, legal_entity=legal_entity, entries=entries)
    except ValidationError as exc:
        messages = []
        for key, errs in getattr(exc, "error_dict", {}).items():
            voucher = posted_from[int(key.split(".")[1])]
            for err in errs:
                messages.extend(
                    str(Problem(voucher.line, f"{_('voucher')} {voucher.reference}: {m}"))
                    for m in err.messages
                )
        raise SieRefused(messages or exc.messages, "sie_invalid") from exc

    renumbered = {}
    for voucher, entry in zip(posted_from, posted, strict=True):
        new_ref = f"{entry.series.code} {entry.number}"
        if voucher.reference != new_ref:
            renumbered[voucher.reference] = new_ref
    warnings = _lines(report.warnings)
    if renumbered:
        notes.append(
            Problem(
                1,
                _("%(n)s vouchers got new numbers (numbers run from 1 in date order per series)")
                % {"n": len(renumbered)},
            )
        )
    result = SieImportResult(
        legal_entity=legal_entity,
        fiscal_year=year,
        accounts=len(accounts),
        dimension_objects=len(objects),
        series=len(series_codes),
        vouchers=len(posted),
        opening_balances=len(balances),
        warnings=warnings,
        notes=_lines(notes),
        renumbered=renumbered,
    )
    audit_record(
        actor=actor,
        action="finance.sie.imported",
        obj=year,
        changes={
            "program": [None, doc.program],
            "vouchers": [None, len(posted)],
            "accepted_warnings": [None, warnings],
            "renumbered": [None, renumbered],
        },
    )
    return result


# ---------------------------------------------------------------- export


def _program_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("frontoffice")
    except PackageNotFoundError:
        return "0"


def sie_export(*, actor: Any, fiscal_year: FiscalYear) -> bytes:
    """The fiscal year as a SIE 4E file (PC8, CRLF): header, chart, dimension objects, opening
    and closing balances, results and every posted voucher. Needs
    ``finance.view_ledger_reports`` and the fiscal year in the actor's scope."""
    require_perm(actor, "finance.view_ledger_reports")
    if not FiscalYear.objects.visible_to(actor).filter(pk=fiscal_year.pk).exists():
        raise PermissionDenied(_("This fiscal year is outside your scope."))
    from frontoffice.org.models import LegalEntity

    entity = LegalEntity.objects.get(pk=fiscal_year.legal_entity_id)
    le_id = entity.pk
    years = {0: (fiscal_year.start_on, fiscal_year.end_on)}
    previous = FiscalYear.objects.filter(
        legal_entity_id=le_id, end_on=fiscal_year.start_on - datetime.timedelta(days=1)
    ).first()
    if previous is not None:
        years[-1] = (previous.start_on, previous.end_on)
    accounts = list(LedgerAccount.objects.filter(legal_entity_id=le_id).order_by("number"))
    kind_of = {a.number: a.type for a in accounts}
    objects = list(DimensionObject.objects.filter(legal_entity_id=le_id).order_by("kind", "code"))
    used_dims = sorted({DIMENSION_NUMBERS[DimensionKind(o.kind)] for o in objects}, key=int)

    opening: dict[str, Decimal] = defaultdict(lambda: ZERO)
    total: dict[str, Decimal] = defaultdict(lambda: ZERO)
    rows = (
        AccountBalance.objects.filter(legal_entity_id=le_id, period__fiscal_year=fiscal_year)
        .values("account__number", "period__number")
        .annotate(debit=Sum("debit_amount"), credit=Sum("credit_amount"))
    )
    for row in rows:
        net = quantize(row["debit"] or ZERO) - quantize(row["credit"] or ZERO)
        if row["period__number"] == 0:
            opening[row["account__number"]] += net
        total[row["account__number"]] += net
    balance_types = (AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY)

    entries = (
        JournalEntry.objects.posted()
        .filter(legal_entity_id=le_id, fiscal_year=fiscal_year)
        .select_related("series")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=JournalLine.objects.select_related(
                    "account", "cost_centre", "project", "region"
                ).order_by("line_no"),
            )
        )
        .order_by("series__code", "number")
    )

    def vouchers():
        for entry in entries.iterator(chunk_size=500):
            yield writer.VoucherOut(
                series=entry.series.code,
                number=entry.number,
                date=entry.date,
                text=entry.text,
                registered_on=timezone.localdate(entry.posted_at) if entry.posted_at else None,
                transactions=[
                    writer.TransactionOut(
                        account=line.account.number,
                        amount=line.amount if line.side == JournalLine.Side.DEBIT else -line.amount,
                        objects=[
                            (DIMENSION_NUMBERS[kind], obj.code)
                            for kind, obj in (
                                (DimensionKind.COST_CENTRE, line.cost_centre),
                                (DimensionKind.PROJECT, line.project),
                                (DimensionKind.REGION, line.region),
                            )
                            if obj is not None
                        ],
                        text=line.text,
                    )
                    for line in entry.lines.all()
                ],
            )

    content = writer.write(
        writer.ExportDocument(
            program_version=_program_version(),
            generated_on=timezone.localdate(),
            company_name=entity.name,
            organisation_number=entity.organisation_number,
            years=years,
            chart_type=PostingStandards.objects.filter(legal_entity_id=entity.pk)
            .values_list("chart_type", flat=True)
            .first()
            or "",
            accounts=[(a.number, a.name_sv, KTYP[AccountType(a.type)]) for a in accounts],
            dimensions=[(d, DIMENSION_NAMES[d]) for d in used_dims],
            objects=[(DIMENSION_NUMBERS[DimensionKind(o.kind)], o.code, o.name) for o in objects],
            opening=[(n, v) for n, v in sorted(opening.items()) if v != ZERO],
            closing=[
                (n, v) for n, v in sorted(total.items()) if v != ZERO and kind_of.get(n) in balance_types
            ],
            results=[
                (n, v) for n, v in sorted(total.items()) if v != ZERO and kind_of.get(n) not in balance_types
            ],
            vouchers=vouchers(),
        )
    )
    audit_record(actor=actor, action="finance.sie.exported", obj=fiscal_year)
    return content
