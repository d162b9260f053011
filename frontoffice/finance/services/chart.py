"""The chart of accounts, dimensions, voucher series and ledger set-up of a legal entity.

Invariants:
- account numbers are digits only and unique per legal entity;
- an account with posted lines keeps its number and type (reports, SIE exports and the hash
  chain refer to them); it is never deleted (``PROTECT``) — it is deactivated instead;
- a CSV import is all or nothing: every row is validated first, every problem is reported
  with its line number, and nothing is written if any row is wrong;
- every change needs ``finance.manage_ledger`` and happens inside the actor's legal entity
  (organisation-scope users may act for any legal entity), and is written to the audit trail.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontoffice.core.audit import audit_created, audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.finance.charts import bas, generic
from frontoffice.finance.models import (
    AccountType,
    ControlKind,
    DimensionKind,
    DimensionObject,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PostingStandards,
    VoucherSeries,
)
from frontoffice.finance.services.periods import fiscal_year_create, voucher_series_create

TEMPLATES: dict[str, ModuleType] = {"bas": bas, "generic": generic}
TEMPLATE_CHOICES = [
    ("bas", gettext_lazy("Swedish BAS chart (about 220 accounts)")),
    ("generic", gettext_lazy("Generic chart in English (about 45 accounts)")),
]

# Default VAT codes an account may carry: the Swedish rates and "exempt / outside scope".
VAT_CODES: dict[str, Any] = {
    "SE25": gettext_lazy("25 % Swedish VAT"),
    "SE12": gettext_lazy("12 % Swedish VAT"),
    "SE06": gettext_lazy("6 % Swedish VAT"),
    "SE00": gettext_lazy("Exempt or outside Swedish VAT"),
}

# The CSV format of import and export, in column order. ``active`` and
# ``manual_voucher_restricted`` are optional on import (absent: the account keeps its value).
CSV_COLUMNS = [
    "number",
    "name_sv",
    "name_en",
    "type",
    "control",
    "vat_code",
    "required_dimension",
    "active",
    "manual_voucher_restricted",
]
CSV_REQUIRED_COLUMNS = {"number", "name_sv", "type"}
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 10_000
# Spreadsheet programs run cells starting with these as formulas; export prefixes them with '.
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"", "1", "yes", "true", "ja", "y", "j"}
_FALSE = {"0", "no", "false", "nej", "n"}

ACCOUNT_FIELDS = [
    "number",
    "name_sv",
    "name_en",
    "type",
    "control",
    "active",
    "default_vat_code",
    "required_dimension",
    "manual_voucher_restricted",
]


def _le_id(legal_entity: Any) -> int:
    return int(getattr(legal_entity, "pk", legal_entity))


def account_has_posted_lines(account: LedgerAccount) -> bool:
    return JournalLine.objects.filter(account=account, entry__status=JournalEntry.Status.POSTED).exists()


# ------------------------------------------------------------------------------ ledger set-up


@transaction.atomic
def ledger_setup(
    *, actor: Any, legal_entity: Any, template: str = "bas", first_year_start: datetime.date, months: int = 12
) -> None:
    """Create a legal entity's chart (from a template), voucher series, standards and first year.

    Needs ``finance.manage_ledger``. Refused (``chart_exists``) when the legal entity already
    has accounts, and (``unknown_template``) for a template not in ``TEMPLATES``.
    """
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = _le_id(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    if LedgerAccount.objects.filter(legal_entity_id=le_id).exists():
        raise ValidationError(_("This legal entity already has a chart of accounts."), code="chart_exists")
    chart = TEMPLATES.get(template)
    if chart is None:
        raise ValidationError(
            {"template": _("Unknown chart template “%(t)s”.") % {"t": template}}, code="unknown_template"
        )
    LedgerAccount.objects.bulk_create(
        [
            LedgerAccount(
                legal_entity_id=le_id,
                number=number,
                name_sv=name_sv,
                name_en=name_en,
                type=kind,
                control=control,
                default_vat_code=vat,
                required_dimension=dimension,
            )
            for number, name_sv, name_en, kind, control, vat, dimension in chart.ACCOUNTS
        ]
    )
    for code, name, is_manual in chart.SERIES:
        if not VoucherSeries.objects.filter(legal_entity_id=le_id, code=code).exists():
            voucher_series_create(actor=None, legal_entity=le_id, code=code, name=name, is_manual=is_manual)
    PostingStandards.objects.update_or_create(
        legal_entity_id=le_id, defaults={"chart_type": chart.CHART_TYPE}
    )
    end = first_year_start
    for _i in range(months):
        end = (end.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    fiscal_year_create(
        actor=None, legal_entity=le_id, start_on=first_year_start, end_on=end - datetime.timedelta(days=1)
    )
    if actor is not None:
        from frontoffice.org.models import LegalEntity

        audit_record(
            actor=actor,
            action="finance.ledger.set_up",
            obj=LegalEntity.objects.get(pk=le_id),
            changes={"template": [None, template], "first_year_start": [None, first_year_start.isoformat()]},
        )


# ---------------------------------------------------------------------------------- accounts


def _account_errors(account: LedgerAccount, *, has_posted_lines: bool, before: dict[str, Any]) -> dict:
    """Domain rules full_clean cannot express; field name → message."""
    errors: dict[str, str] = {}
    if not account.number.isdigit() or len(account.number) > 10:
        errors["number"] = _("An account number is 1 to 10 digits, for example 1930.")
    elif (
        LedgerAccount.objects.filter(legal_entity_id=account.legal_entity_id, number=account.number)
        .exclude(pk=account.pk)
        .exists()
    ):
        errors["number"] = _("Account %(number)s already exists.") % {"number": account.number}
    if account.default_vat_code and account.default_vat_code not in VAT_CODES:
        errors["default_vat_code"] = _(
            "Unknown VAT code “%(code)s”. Use one of %(codes)s or leave it empty."
        ) % {
            "code": account.default_vat_code,
            "codes": ", ".join(VAT_CODES),
        }
    if has_posted_lines:
        if account.number != before.get("number"):
            errors["number"] = _(
                "Account %(number)s has posted vouchers, so its number cannot change. "
                "Create a new account and deactivate this one instead."
            ) % {"number": before.get("number")}
        if account.type != before.get("type"):
            errors["type"] = _(
                "Account %(number)s has posted vouchers, so its type cannot change. "
                "Create a new account and deactivate this one instead."
            ) % {"number": before.get("number")}
    return errors


def _clean_and_save(account: LedgerAccount, errors: dict[str, str], update_fields: list[str] | None) -> None:
    if errors:
        raise ValidationError(errors, code="invalid_account")
    # The uniqueness check above gives the clearer message; full_clean covers the field rules.
    account.full_clean(validate_constraints=False)
    if update_fields is None:
        account.save()
    else:
        account.save(update_fields=[*update_fields, "updated_at"])


@transaction.atomic
def account_create(
    *,
    actor: Any,
    legal_entity: Any,
    number: str,
    name_sv: str,
    type: str,
    name_en: str = "",
    control: str = "",
    active: bool = True,
    default_vat_code: str = "",
    required_dimension: str = "",
    manual_voucher_restricted: bool = False,
) -> LedgerAccount:
    """Add an account to the legal entity's chart. Needs ``finance.manage_ledger``.

    Raises ``ValidationError`` for a malformed or taken number, an unknown VAT code or any
    field error.
    """
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = _le_id(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    account = LedgerAccount(
        legal_entity_id=le_id,
        number=(number or "").strip(),
        name_sv=(name_sv or "").strip(),
        name_en=(name_en or "").strip(),
        type=type,
        control=control or "",
        active=active,
        default_vat_code=(default_vat_code or "").strip().upper(),
        required_dimension=required_dimension or "",
        manual_voucher_restricted=bool(manual_voucher_restricted),
    )
    _clean_and_save(account, _account_errors(account, has_posted_lines=False, before={}), None)
    audit_created(actor=actor, obj=account, fields=ACCOUNT_FIELDS, action="finance.account.created")
    return account


@transaction.atomic
def account_update(*, actor: Any, account: LedgerAccount, **fields: Any) -> LedgerAccount:
    """Change an account's fields (any of ``ACCOUNT_FIELDS``). Needs ``finance.manage_ledger``.

    An account with posted lines cannot change number or type (``invalid_account`` with the
    field named); deactivate it (``active=False``) instead of deleting it.
    """
    require_perm(actor, "finance.manage_ledger", system=True)
    require_legal_entity(actor, account.legal_entity_id, system=True)
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown account fields: {', '.join(sorted(unknown))}")
    before = snapshot(account, ACCOUNT_FIELDS)
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "default_vat_code":
            value = (value or "").upper()
        setattr(account, name, value)
    changes = diff(before, snapshot(account, ACCOUNT_FIELDS))
    if not changes:
        return account
    has_posted = ("number" in changes or "type" in changes) and account_has_posted_lines(account)
    errors = _account_errors(account, has_posted_lines=has_posted, before=before)
    _clean_and_save(account, errors, list(changes))
    audit_record(actor=actor, action="finance.account.updated", obj=account, changes=changes)
    return account


# -------------------------------------------------------------------------------- dimensions

DIMENSION_FIELDS = ["kind", "code", "name", "active"]


def _dimension_save(obj: DimensionObject, update_fields: list[str] | None) -> None:
    if (
        DimensionObject.objects.filter(legal_entity_id=obj.legal_entity_id, kind=obj.kind, code=obj.code)
        .exclude(pk=obj.pk)
        .exists()
    ):
        raise ValidationError(
            {
                "code": _("%(kind)s “%(code)s” already exists.")
                % {"kind": obj.get_kind_display(), "code": obj.code}
            },
            code="code_taken",
        )
    obj.full_clean(validate_constraints=False)
    if update_fields is None:
        obj.save()
    else:
        obj.save(update_fields=[*update_fields, "updated_at"])


@transaction.atomic
def dimension_object_create(
    *, actor: Any, legal_entity: Any, kind: str, code: str, name: str, active: bool = True
) -> DimensionObject:
    """Add a cost centre, project or region code. Needs ``finance.manage_ledger``."""
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = _le_id(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    obj = DimensionObject(
        legal_entity_id=le_id, kind=kind, code=(code or "").strip(), name=(name or "").strip(), active=active
    )
    _dimension_save(obj, None)
    audit_created(actor=actor, obj=obj, fields=DIMENSION_FIELDS, action="finance.dimension.created")
    return obj


@transaction.atomic
def dimension_object_update(
    *, actor: Any, dimension_object: DimensionObject, code: str, name: str, active: bool
) -> DimensionObject:
    """Rename, recode or (de)activate a dimension value; its kind never changes, since voucher
    lines hold it in the field of that kind. Needs ``finance.manage_ledger``."""
    require_perm(actor, "finance.manage_ledger", system=True)
    require_legal_entity(actor, dimension_object.legal_entity_id, system=True)
    before = snapshot(dimension_object, DIMENSION_FIELDS)
    dimension_object.code = (code or "").strip()
    dimension_object.name = (name or "").strip()
    dimension_object.active = active
    changes = diff(before, snapshot(dimension_object, DIMENSION_FIELDS))
    if changes:
        _dimension_save(dimension_object, list(changes))
        audit_record(actor=actor, action="finance.dimension.updated", obj=dimension_object, changes=changes)
    return dimension_object


# ----------------------------------------------------------------------------- voucher series


@transaction.atomic
def voucher_series_save(
    *,
    actor: Any,
    legal_entity: Any,
    series: VoucherSeries | None = None,
    code: str,
    name: str,
    is_manual: bool,
    allowed_roles: Iterable[Any] = (),
) -> VoucherSeries:
    """Create (``series=None``) or change a voucher series and the roles that may post to it.

    Needs ``finance.manage_ledger``. A series with vouchers keeps its code (``code_locked``),
    since voucher references such as A12 are printed on documents and in the hash chain.
    """
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = _le_id(legal_entity) if series is None else series.legal_entity_id
    require_legal_entity(actor, le_id, system=True)
    code = (code or "").strip().upper()
    taken = VoucherSeries.objects.filter(legal_entity_id=le_id, code=code)
    if series is not None:
        taken = taken.exclude(pk=series.pk)
    if code and taken.exists():
        raise ValidationError(
            {"code": _("Series %(code)s already exists.") % {"code": code}}, code="code_taken"
        )
    roles = list(allowed_roles)
    if series is None:
        series = voucher_series_create(
            actor=actor, legal_entity=le_id, code=code, name=name, is_manual=is_manual
        )
        series.allowed_roles.set(roles)
        return series
    fields = ["code", "name", "is_manual", "allowed_roles"]
    before = snapshot(series, fields)
    if code != series.code and JournalEntry.objects.filter(series=series).exists():
        raise ValidationError(
            {"code": _("Series %(code)s has vouchers, so its code cannot change.") % {"code": series.code}},
            code="code_locked",
        )
    series.code, series.name, series.is_manual = code, (name or "").strip(), is_manual
    series.full_clean(validate_constraints=False)
    series.save(update_fields=["code", "name", "is_manual", "updated_at"])
    series.allowed_roles.set(roles)
    changes = diff(before, snapshot(series, fields))
    if changes:
        audit_record(actor=actor, action="finance.series.updated", obj=series, changes=changes)
    return series


# ------------------------------------------------------------------------------- CSV import


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _csv_text(file: IO[Any] | bytes | str) -> str:
    raw = file if isinstance(file, bytes | str) else file.read()
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    if len(raw) > CSV_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": CSV_MAX_BYTES // (1024 * 1024)}, code="too_large"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."), code="encoding"
        ) from exc


def _cell(value: str | None) -> str:
    text = (value or "").strip()
    # Undo the export's protection against spreadsheet formulas ('=... → =...).
    if text.startswith("'") and text[1:2] and text[1:2] in CSV_FORMULA_START:
        return text[1:]
    return text


def _choice(value: str, choices: Iterable[str]) -> str | None:
    wanted = value.strip().lower()
    for choice in choices:
        if choice.lower() == wanted:
            return choice
    return None


def _parse_rows(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    """``(line, row)`` pairs and ``(line, problem)`` pairs for the header and row shape."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [(1, _("The file is empty. The first row must name the columns."))]
    except csv.Error as exc:
        return [], [(1, _("The header row cannot be read: %(error)s") % {"error": exc})]
    columns = [h.strip().lower().removeprefix("\ufeff") for h in header]
    problems: list[tuple[int, str]] = []
    missing = [c for c in CSV_COLUMNS if c in CSV_REQUIRED_COLUMNS and c not in columns]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if missing:
        problems.append(
            (1, _("The header row lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)})
        )
    if unknown:
        problems.append(
            (
                1,
                _("Unknown column(s) %(columns)s. The columns are %(known)s.")
                % {"columns": ", ".join(unknown), "known": ";".join(CSV_COLUMNS)},
            )
        )
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= CSV_MAX_ROWS:
                problems.append((line, _("Too many rows: at most %(n)s accounts.") % {"n": CSV_MAX_ROWS}))
                break
            if len(cells) != len(columns):
                problems.append(
                    (
                        line,
                        _("Expected %(expected)s columns, found %(found)s.")
                        % {"expected": len(columns), "found": len(cells)},
                    )
                )
                continue
            rows.append((line, {col: _cell(value) for col, value in zip(columns, cells, strict=True)}))
    except csv.Error as exc:
        problems.append((line + 1, _("This line cannot be read: %(error)s") % {"error": exc}))
    return rows, problems


def _validate_row(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The account fields of one row and the problems found in it."""
    problems: list[str] = []
    number = row.get("number", "")
    if not number:
        problems.append(_("The account number is missing."))
    elif not number.isdigit() or len(number) > 10:
        problems.append(_("“%(number)s” is not an account number (1 to 10 digits).") % {"number": number})
    name_sv = row.get("name_sv", "")
    if not name_sv:
        problems.append(_("The name (name_sv) is missing."))
    elif len(name_sv) > 200:
        problems.append(_("The name is longer than 200 characters."))
    name_en = row.get("name_en", "")
    if len(name_en) > 200:
        problems.append(_("The English name is longer than 200 characters."))
    kind = _choice(row.get("type", ""), AccountType.values)
    if kind is None:
        problems.append(
            _("Unknown type “%(value)s”; use one of %(choices)s.")
            % {"value": row.get("type", ""), "choices": ", ".join(AccountType.values)}
        )
    control = _choice(row.get("control", ""), ControlKind.values)
    if control is None:
        problems.append(
            _("Unknown control kind “%(value)s”; use one of %(choices)s or leave it empty.")
            % {"value": row.get("control", ""), "choices": ", ".join(v for v in ControlKind.values if v)}
        )
    vat = row.get("vat_code", "").upper()
    if vat and vat not in VAT_CODES:
        problems.append(
            _("Unknown VAT code “%(value)s”; use one of %(choices)s or leave it empty.")
            % {"value": row.get("vat_code", ""), "choices": ", ".join(VAT_CODES)}
        )
    dimension = _choice(row.get("required_dimension", ""), ["", *DimensionKind.values])
    if dimension is None:
        problems.append(
            _("Unknown dimension “%(value)s”; use one of %(choices)s or leave it empty.")
            % {"value": row.get("required_dimension", ""), "choices": ", ".join(DimensionKind.values)}
        )
    fields: dict[str, Any] = {
        "number": number,
        "name_sv": name_sv,
        "name_en": name_en,
        "type": kind,
        "control": control,
        "default_vat_code": vat,
        "required_dimension": dimension,
    }
    if "active" in row:
        flag = row["active"].lower()
        if flag in _TRUE:
            fields["active"] = True
        elif flag in _FALSE:
            fields["active"] = False
        else:
            problems.append(_("Active must be yes or no, not “%(value)s”.") % {"value": row["active"]})
    if "manual_voucher_restricted" in row:
        # Empty means "no" here (an account is open unless the finance manager restricts it).
        flag = row["manual_voucher_restricted"].lower()
        if flag in _TRUE - {""}:
            fields["manual_voucher_restricted"] = True
        elif flag in _FALSE | {""}:
            fields["manual_voucher_restricted"] = False
        else:
            problems.append(
                _("manual_voucher_restricted must be yes or no, not “%(value)s”.")
                % {"value": row["manual_voucher_restricted"]}
            )
    return fields, problems


@transaction.atomic
def chart_import_csv(*, actor: Any, legal_entity: Any, file: IO[Any] | bytes | str) -> ImportResult:
    """Create and update accounts from a CSV file, all or nothing.

    Columns (header row required, ``;`` or ``,`` separated, UTF-8 with or without BOM):
    ``number;name_sv;name_en;type;control;vat_code;required_dimension`` and optionally
    ``active`` and ``manual_voucher_restricted`` (yes/no; absent: existing accounts keep theirs). Accounts are matched by number: new numbers are created, existing accounts
    updated (their number is the key, and an account with posted vouchers keeps its type).
    Needs ``finance.manage_ledger``. Raises ``ValidationError`` (code ``invalid_csv``) listing
    every problem as “Line n: …”, with ``params["line"]`` on each; nothing is written then.
    """
    require_perm(actor, "finance.manage_ledger", system=True)
    le_id = _le_id(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    rows, problems = _parse_rows(_csv_text(file))
    existing = {a.number: a for a in LedgerAccount.objects.filter(legal_entity_id=le_id)}
    posted_numbers = set(
        JournalLine.objects.filter(legal_entity_id=le_id, entry__status=JournalEntry.Status.POSTED)
        .values_list("account__number", flat=True)
        .distinct()
    )
    seen: dict[str, int] = {}
    to_create: list[LedgerAccount] = []
    to_update: list[tuple[LedgerAccount, dict[str, Any]]] = []
    unchanged = 0
    for line, row in rows:
        fields, row_problems = _validate_row(row)
        number = fields["number"]
        if number and number in seen:
            row_problems.append(
                _("Account %(number)s appears twice (also on line %(line)s).")
                % {"number": number, "line": seen[number]}
            )
        elif number:
            seen[number] = line
        account = existing.get(number)
        if (
            account is not None
            and number in posted_numbers
            and fields["type"]
            and fields["type"] != account.type
        ):
            row_problems.append(
                _(
                    "Account %(number)s has posted vouchers, so its type cannot change from %(old)s to %(new)s."
                )
                % {"number": number, "old": account.type, "new": fields["type"]}
            )
        problems.extend((line, p) for p in row_problems)
        if row_problems:
            continue
        if account is None:
            to_create.append(LedgerAccount(legal_entity_id=le_id, **fields))
        else:
            changes = {k: v for k, v in fields.items() if getattr(account, k) != v}
            if changes:
                to_update.append((account, changes))
            else:
                unchanged += 1
    if problems:
        raise ValidationError(
            [
                ValidationError(
                    _("Line %(line)s: %(problem)s") % {"line": line, "problem": problem},
                    code="invalid_row",
                    params={"line": line},
                )
                for line, problem in sorted(problems, key=lambda p: p[0])
            ],
            code="invalid_csv",
        )
    if not rows:
        raise ValidationError(_("The file has no account rows."), code="invalid_csv")
    LedgerAccount.objects.bulk_create(to_create)
    changed_fields: set[str] = set()
    now = timezone.now()  # bulk_update skips auto_now
    for account, changes in to_update:
        account.updated_at = now
        for name, value in changes.items():
            setattr(account, name, value)
        changed_fields.update(changes)
    if to_update:
        LedgerAccount.objects.bulk_update([a for a, _c in to_update], [*sorted(changed_fields), "updated_at"])
    from frontoffice.org.models import LegalEntity

    audit_record(
        actor=actor,
        action="finance.chart.imported",
        obj=LegalEntity.objects.get(pk=le_id),
        changes={
            "created": [None, [a.number for a in to_create]],
            "updated": [None, {a.number: sorted(c) for a, c in to_update}],
        },
    )
    return ImportResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)
