"""Products from and to CSV: the import, all or nothing, and the cell rules the export shares.

Invariants:
- every row is checked with the same rules as ``product_create``/``product_update`` before
  anything is written; each problem is reported with its line and column, and nothing is
  written if any row is wrong;
- cells starting like a spreadsheet formula are exported with a leading ``'`` that the import
  removes again, so a round trip changes nothing and no cell runs as a formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.billing.models import Product
from frontoffice.billing.services.catalogue import (
    PRODUCT_FIELDS,
    Errors,
    Refs,
    add_error,
    clean_code,
    le_id_of,
    product_check,
    product_full_clean,
    product_set,
    snapshot_of,
)
from frontoffice.core.audit import audit_record, diff
from frontoffice.core.permissions import require_legal_entity, require_perm

PRODUCT_CSV_COLUMNS = [
    "code",
    "name",
    "description",
    "kind",
    "group",
    "unit",
    "unit_price",
    "vat_code",
    "revenue_account",
    "active",
]
PRODUCT_CSV_REQUIRED = {"code", "name", "unit_price", "vat_code"}
# Service field → CSV column, for problems that name the column.
_COLUMN_OF = {"unit_price_amount": "unit_price"}
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 10_000
# Spreadsheet programs run cells starting with these as formulas; the export prefixes them with '.
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"", "1", "yes", "true", "ja", "y", "j"}
_FALSE = {"0", "no", "false", "nej", "n"}


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def _csv_text(file: IO[Any] | bytes | str) -> str:
    raw = file if isinstance(file, bytes | str) else file.read()
    if len(raw) > CSV_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": CSV_MAX_BYTES // (1024 * 1024)}, code="too_large"
        )
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."), code="encoding"
        ) from exc


def csv_cell_in(value: str | None) -> str:
    """A cell as typed, with the export's formula protection ('=… → =…) removed."""
    text = (value or "").strip()
    if text.startswith("'") and text[1:2] and text[1:2] in CSV_FORMULA_START:
        return text[1:]
    return text


def csv_cell_out(value: Any) -> str:
    """A cell that spreadsheet programs show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(CSV_FORMULA_START) else text


def _csv_price(text: str) -> str:
    """``1 234,50`` (Swedish) or ``1234.50`` → ``1234.50``; anything else is left for the
    amount check to refuse."""
    compact = text.replace(" ", "").replace("\xa0", "")
    if "," in compact and "." not in compact:
        compact = compact.replace(",", ".")
    return compact


def _csv_rows(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str, str]]]:
    """``(line, row)`` pairs and ``(line, column, problem)`` for the header and row shape."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [(1, "", _("The file is empty. The first row must name the columns."))]
    except csv.Error as exc:
        return [], [(1, "", _("The header row cannot be read: %(error)s") % {"error": exc})]
    columns = [h.strip().lower().removeprefix("\ufeff") for h in header]
    problems: list[tuple[int, str, str]] = []
    missing = [c for c in PRODUCT_CSV_COLUMNS if c in PRODUCT_CSV_REQUIRED and c not in columns]
    unknown = [c for c in columns if c not in PRODUCT_CSV_COLUMNS]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if missing:
        problems.append(
            (1, "", _("The header row lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)})
        )
    if unknown:
        problems.append(
            (
                1,
                "",
                _("Unknown column(s) %(columns)s. The columns are %(known)s.")
                % {"columns": ", ".join(unknown), "known": ";".join(PRODUCT_CSV_COLUMNS)},
            )
        )
    if duplicated:
        problems.append(
            (1, "", _("Column(s) %(columns)s appear twice.") % {"columns": ", ".join(duplicated)})
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
                problems.append((line, "", _("Too many rows: at most %(n)s products.") % {"n": CSV_MAX_ROWS}))
                break
            if len(cells) != len(columns):
                problems.append(
                    (
                        line,
                        "",
                        _("Expected %(expected)s columns, found %(found)s.")
                        % {"expected": len(columns), "found": len(cells)},
                    )
                )
                continue
            rows.append((line, {col: csv_cell_in(v) for col, v in zip(columns, cells, strict=True)}))
    except csv.Error as exc:
        problems.append((line + 1, "", _("This line cannot be read: %(error)s") % {"error": exc}))
    return rows, problems


def _csv_fields(row: dict[str, str], problems: list[tuple[str, str]]) -> dict[str, Any]:
    """Service fields of the columns present in one row (absent columns are left alone)."""
    fields: dict[str, Any] = {}
    for column in ("code", "name", "description", "kind", "group", "unit", "vat_code", "revenue_account"):
        if column in row:
            fields[column] = row[column]
    if "unit_price" in row:
        fields["unit_price_amount"] = _csv_price(row["unit_price"])
    if "active" in row:
        flag = row["active"].lower()
        if flag in _TRUE:
            fields["active"] = True
        elif flag in _FALSE:
            fields["active"] = False
        else:
            problems.append(("active", _("Use yes or no, not “%(value)s”.") % {"value": row["active"]}))
    if fields.get("kind") == "":
        fields.pop("kind")
    if fields.get("unit") == "":
        fields.pop("unit")
    return fields


def _problem_order(problem: tuple[int, str, str]) -> tuple[int, int]:
    """By line, then in the columns' order (problems about the whole line first)."""
    line, column, _message = problem
    return line, PRODUCT_CSV_COLUMNS.index(column) if column in PRODUCT_CSV_COLUMNS else -1


def _csv_error(problems: list[tuple[int, str, str]]) -> ValidationError:
    """One error listing every problem, “Line n, column c: …”, with ``params`` line and column."""
    error = ValidationError(
        [
            ValidationError(
                (
                    _("Line %(line)s, column %(column)s: %(problem)s")
                    if column
                    else _("Line %(line)s: %(problem)s")
                )
                % {"line": line, "column": column, "problem": problem},
                code="invalid_row",
                params={"line": line, "column": column},
            )
            for line, column, problem in sorted(problems, key=_problem_order)
        ]
    )
    error.code = "invalid_csv"  # a list error keeps no code of its own; the API reports this one
    return error


@transaction.atomic
def products_import_csv(*, actor: Any, legal_entity: Any, file: IO[Any] | bytes | str) -> ImportResult:
    """Create and update products from a CSV file, all or nothing.

    A header row names the columns (``PRODUCT_CSV_COLUMNS``; code, name, unit_price and
    vat_code are required, the others optional), separated by ``;`` or ``,``, UTF-8 with or
    without BOM. Products are matched by code: new codes are created, existing products
    updated with the columns present. Prices take a decimal point or comma (``1 234,50``).
    Needs ``billing.add_product`` and ``billing.change_product``. Raises ``ValidationError``
    (code ``invalid_csv``) listing every problem as “Line n, column c: …” with ``params``
    ``line`` and ``column``; nothing is written then.
    """
    require_perm(actor, "billing.add_product", system=True)
    require_perm(actor, "billing.change_product", system=True)
    le_id = le_id_of(legal_entity)
    require_legal_entity(actor, le_id, system=True)
    rows, shape_problems = _csv_rows(_csv_text(file))
    problems: list[tuple[int, str, str]] = list(shape_problems)
    refs = Refs(le_id, preload=True)
    existing = {p.code: p for p in Product.objects.filter(legal_entity_id=le_id)}
    taken = {code: p.pk for code, p in existing.items()}
    seen: dict[str, int] = {}
    to_create: list[Product] = []
    to_update: list[tuple[Product, dict[str, Any]]] = []
    unchanged = 0
    for line, row in rows:
        row_problems: list[tuple[str, str]] = []
        fields = _csv_fields(row, row_problems)
        code = clean_code(fields.get("code"))
        current = existing.get(code)
        product = Product(legal_entity_id=le_id) if current is None else refs.copy_product(current)
        before = snapshot_of(product, PRODUCT_FIELDS) if current is not None else {}
        errors: Errors = {}
        product_set(product, fields, refs, errors)
        changes = diff(before, snapshot_of(product, PRODUCT_FIELDS)) if current is not None else fields
        product_check(
            product,
            errors,
            changed=set(changes) | ({"code"} if current is None else set()),
            taken_codes=taken,
        )
        product_full_clean(product, errors)
        if code and code in seen:
            add_error(
                errors,
                "code",
                _("Product %(code)s appears twice (also on line %(line)s).")
                % {"code": code, "line": seen[code]},
                "duplicate_row",
            )
        elif code:
            seen[code] = line
        for field, error in errors.items():
            row_problems.append((_COLUMN_OF.get(field, field), error.messages[0]))
        problems.extend((line, column, message) for column, message in row_problems)
        if row_problems:
            continue
        if current is None:
            to_create.append(product)
        elif changes:
            to_update.append((product, changes))
        else:
            unchanged += 1
    if problems:
        raise _csv_error(problems)
    if not rows:
        raise ValidationError(_("The file has no product rows."), code="invalid_csv")
    Product.objects.bulk_create(to_create)
    changed_fields: set[str] = set()
    now = timezone.now()  # bulk_update skips auto_now
    for product, changes in to_update:
        product.updated_at = now
        changed_fields.update(changes)
    if to_update:
        Product.objects.bulk_update([p for p, _c in to_update], [*sorted(changed_fields), "updated_at"])
    from frontoffice.org.models import LegalEntity

    audit_record(
        actor=actor,
        action="billing.products.imported",
        obj=LegalEntity.objects.get(pk=le_id),
        changes={
            "created": [None, [p.code for p in to_create]],
            "updated": [None, {p.code: sorted(c) for p, c in to_update}],
        },
    )
    return ImportResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)
