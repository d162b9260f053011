"""Lead import from CSV or XLSX: upload, column mapping, preview, validation, all-or-nothing commit.

1. ``lead_import_upload`` stores the file (refusing files over ``LEADS_IMPORT_MAX_BYTES`` and
   CSVs that are not UTF-8, naming the line), counts its rows and reads its header row.
2. ``lead_import_preview`` reads the first rows through a column mapping, with per-row errors.
3. ``lead_import_start`` validates the whole file (streaming; nothing is written except the
   import's progress); if any row is bad the import is marked invalid with every bad row's line
   number, field and message, and nothing is imported. A clean file is queued as a background
   task (django-tasks).
4. ``lead_import_commit`` (the task) reads the file again and writes every lead in one
   transaction, in chunks of ``CHUNK`` rows with ``bulk_create``: routing rules, reps and the
   legal entity's existing customers are loaded once; round-robin cursors are locked once per
   region. Any error rolls back the whole import. A lead whose estimated value is above the
   high-value threshold and whose round-robin rep lacks the required certificate waits
   unassigned in the region's pool, as a routed lead entered by hand does.

Memory stays flat: rows are streamed (``csv`` over a text stream, ``openpyxl`` read-only) and
only one chunk is held at a time; the existing customers are held as a dictionary of keys.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.leads.models import Lead, LeadEvent, LeadImport, LeadSource
from frontoffice.leads.services.common import (
    CONTACT_FIELDS,
    clean_contact,
    first_contact_due,
    lead_search_text,
)
from frontoffice.leads.services.high_value import HighValueGate
from frontoffice.leads.services.intake import prospect_values
from frontoffice.leads.services.routing import BulkRouter

CHUNK = 2000
PREVIEW_ROWS = 10
MAX_LISTED_ERRORS = 1000
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# Fields a column can be mapped to, with their labels.
TARGETS: dict[str, Any] = {
    "contact_name": gettext_lazy("Name"),
    "company": gettext_lazy("Company"),
    "organisation_number": gettext_lazy("Organisation number"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "postal_code": gettext_lazy("Postal code"),
    "country": gettext_lazy("Country"),
    "industry": gettext_lazy("Industry"),
    "company_size": gettext_lazy("Company size"),
    "message": gettext_lazy("Message"),
    "region": gettext_lazy("Region (code)"),
    "estimated_amount": gettext_lazy("Estimated value"),
}
_SYNONYMS = {
    "contact_name": {"name", "contact", "contact name", "full name", "namn", "kontakt", "contact_name"},
    "company": {"company", "organisation", "organization", "företag", "bolag", "company name"},
    "organisation_number": {"organisation number", "org number", "orgnr", "organisationsnummer", "org.nr"},
    "email": {"email", "e-mail", "mail", "e-post", "epost", "email address"},
    "phone": {"phone", "telephone", "tel", "telefon", "mobile", "mobil", "phone number"},
    "postal_code": {"postcode", "postal code", "zip", "zip code", "postnummer", "postal_code"},
    "country": {"country", "land", "country code"},
    "industry": {"industry", "bransch", "sector"},
    "company_size": {"company size", "size", "employees", "storlek", "company_size"},
    "message": {"message", "note", "notes", "comment", "meddelande"},
    "region": {"region", "region code"},
    "estimated_amount": {
        "estimated value",
        "estimated amount",
        "value",
        "amount",
        "värde",
        "belopp",
        "uppskattat värde",
    },
}

# An estimated value in a cell: digits, optionally grouped by thousands with single spaces,
# then optionally "," or "." and one or two decimals (125000, 125 000,50, 125000.5).
_AMOUNT = re.compile(r"^(?:[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)(?:[.,]([0-9]+))?$")
_AMOUNT_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})
MAX_AMOUNT_DIGITS = 12  # MoneyField: 14 digits of which 2 decimals


def parse_amount_cell(raw: str) -> tuple[Decimal | None, str]:
    """An estimated value from an import cell: ``(amount, "")``, ``(None, "")`` for an empty
    cell, or ``(None, problem)``. Never goes through float."""
    text = (raw or "").translate(_AMOUNT_SPACES).strip()
    if not text:
        return None, ""
    if text[0] in "-\u2212" and _AMOUNT.match(text[1:].strip()):
        return None, _("The estimated value cannot be negative.")
    match = _AMOUNT.match(text)
    if match is None:
        return None, _("Write the amount with digits, for example 125000, 125 000,50 or 125000.50.")
    if match.group(1) is not None and len(match.group(1)) > 2:
        return None, _("Use at most two decimals.")
    whole, _sep, decimals = text.replace(",", ".").partition(".")
    whole = whole.replace(" ", "").lstrip("0") or "0"
    if len(whole) > MAX_AMOUNT_DIGITS:
        return None, _("The amount is too large.")
    return Decimal(f"{whole}.{decimals or '0'}").quantize(Decimal("0.01")), ""


def max_bytes() -> int:
    return int(getattr(settings, "LEADS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class RowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class PreviewRow:
    line: int
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def _file_error(message: str, code: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def _format_of(name: str) -> str:
    ext = os.path.splitext(name or "")[1].lower()
    if ext in (".csv", ".txt"):
        return "csv"
    if ext == ".xlsx":
        return "xlsx"
    raise _file_error(_("Upload a CSV (.csv) or Excel (.xlsx) file."), "format")


def _check_utf8_and_count(stream: IO[bytes]) -> int:
    """Decode the whole CSV as UTF-8 (streaming); return its number of lines, or raise naming
    the line of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    while True:
        block = stream.read(1 << 16)
        final = not block
        if b"\x00" in block:
            # NUL is valid UTF-8 but never in a text file: UTF-16 without a byte-order mark
            # passes the UTF-8 check, and PostgreSQL refuses NUL in text columns.
            line = lines + block[: block.index(b"\x00")].count(b"\n") + 1
            raise _file_error(
                _(
                    "The file is not UTF-8 text (line %(line)d has a NUL character; it may be "
                    "UTF-16). Save it as “CSV UTF-8” in your spreadsheet program and upload it again."
                )
                % {"line": line},
                "encoding",
            )
        try:
            decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            line = lines + block[: exc.start].count(b"\n") + 1
            raise _file_error(
                _(
                    "The file is not UTF-8 text (line %(line)d). Save it as “CSV UTF-8” in your "
                    "spreadsheet program and upload it again."
                )
                % {"line": line},
                "encoding",
            ) from exc
        if final:
            return lines
        lines += block.count(b"\n")


def _csv_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    sample = text.read(4096)
    text.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(text, delimiter=delimiter)
    while True:
        first_line = reader.line_num + 1  # where the row starts (a quoted cell may span lines)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # A cell over the csv module's limit (131,072 characters), usually a quote that is
            # never closed: a clear refusal instead of a server error.
            raise _file_error(
                _(
                    "Line %(line)d cannot be read: a cell is longer than %(limit)d characters "
                    "(is a quotation mark never closed?)."
                )
                % {"line": first_line, "limit": csv.field_size_limit()},
                "malformed",
            ) from exc
        yield row


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:
        raise _file_error(_("This is not a readable Excel (.xlsx) file."), "format") from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield ["" if v is None else str(v) for v in row]
    finally:
        book.close()


def _rows(lead_import: LeadImport) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every data row (the header row is line 1)."""
    with default_storage.open(lead_import.file_path, "rb") as stream:
        rows = _xlsx_rows(stream) if lead_import.file_format == "xlsx" else _csv_rows(stream)
        next(rows, None)
        for number, cells in enumerate(rows, start=2):
            if not any((c or "").strip() for c in cells):
                continue
            yield number, cells


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for header in headers:
        key = " ".join(str(header).strip().lower().replace("_", " ").split())
        for target, names in _SYNONYMS.items():
            if target not in mapping and (key in names or key.replace(" ", "_") == target):
                mapping[target] = header
                break
    return mapping


def _import_for(actor: Any, lead_import: LeadImport | int) -> LeadImport:
    pk = getattr(lead_import, "pk", lead_import)
    return visible_to(LeadImport.objects.all(), actor).get(pk=pk)


@transaction.atomic
def lead_import_upload(
    *, actor: Any, file: Any, legal_entity: Any = None, source: LeadSource | None = None
) -> LeadImport:
    """Store an uploaded CSV/XLSX, check it and read its header row. Needs ``leads.import_lead``."""
    require_perm(actor, "leads.import_lead")
    scope = user_scope(actor)
    if source is not None:
        legal_entity_id = source.legal_entity_id
    elif legal_entity is not None:
        legal_entity_id = getattr(legal_entity, "pk", legal_entity)
    else:
        legal_entity_id = scope.legal_entity_id
    if legal_entity_id is None:
        raise ValidationError({"legal_entity": ValidationError(_("Choose a legal entity."), code="required")})
    if not scope.everything and scope.legal_entity_id != legal_entity_id:
        raise PermissionDenied(_("You can only work in your own legal entity."))
    name = os.path.basename(getattr(file, "name", "") or "leads.csv")[:255]
    fmt = _format_of(name)
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
    file.seek(0)
    limit = max_bytes()
    if size > limit:
        raise _file_error(
            _("The file is %(size)s MB; the largest file that can be imported is %(limit)s MB.")
            % {"size": round(size / 1048576, 1), "limit": round(limit / 1048576, 1)},
            "too_large",
        )
    if size == 0:
        raise _file_error(_("The file is empty."), "empty")
    if fmt == "csv":
        _check_utf8_and_count(file)
        file.seek(0)
    path = default_storage.save(f"lead_imports/{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()}", file)
    lead_import = LeadImport(
        legal_entity_id=legal_entity_id,
        source=source,
        file_name=name,
        file_path=path,
        file_format=fmt,
        file_size=size,
        created_by=actor,
    )
    try:
        with default_storage.open(path, "rb") as stream:
            rows = _xlsx_rows(stream) if fmt == "xlsx" else _csv_rows(stream)
            try:
                headers = [str(h).strip() for h in next(rows)]
            except StopIteration:
                headers = []
            total = sum(1 for cells in rows if any((c or "").strip() for c in cells))
    except ValidationError:
        default_storage.delete(path)  # a refused file is not kept
        raise
    if not any(headers):
        default_storage.delete(path)
        raise _file_error(_("The first row must name the columns."), "no_header")
    if len(set(headers)) != len(headers):
        default_storage.delete(path)
        raise _file_error(
            _("Two columns have the same name; give every column its own name."), "header_duplicate"
        )
    lead_import.headers = headers
    lead_import.total_rows = total
    lead_import.mapping = suggest_mapping(headers)
    lead_import.save()
    audit_record(
        actor=actor,
        action="leads.import.uploaded",
        obj=lead_import,
        changes={"file_name": [None, name], "rows": [None, total]},
    )
    return lead_import


def _check_mapping(lead_import: LeadImport, mapping: dict[str, str]) -> dict[str, int]:
    """Target field → column index; raises naming unknown targets or columns."""
    indexes: dict[str, int] = {}
    for target, header in mapping.items():
        if not header:
            continue
        if target not in TARGETS:
            raise ValidationError(
                {"mapping": ValidationError(_("Unknown field %(f)s.") % {"f": target}, code="mapping")}
            )
        if header not in lead_import.headers:
            raise ValidationError(
                {
                    "mapping": ValidationError(
                        _("The file has no column “%(c)s”.") % {"c": header}, code="mapping"
                    )
                }
            )
        indexes[target] = lead_import.headers.index(header)
    if not ({"contact_name", "company"} & set(indexes)) or not ({"email", "phone"} & set(indexes)):
        raise ValidationError(
            {
                "mapping": ValidationError(
                    _("Map at least a name or company column, and an e-mail or phone column."), code="mapping"
                )
            }
        )
    return indexes


class _RowReader:
    """Turns raw cells into cleaned lead data plus errors (shared by preview, validation, commit)."""

    def __init__(self, lead_import: LeadImport, indexes: dict[str, int]) -> None:
        from frontoffice.org.models import LegalEntity, Region

        self.indexes = indexes
        amount_index = indexes.get("estimated_amount")
        self.amount_column = lead_import.headers[amount_index] if amount_index is not None else ""
        self.regions = {
            code.lower(): pk
            for pk, code in Region.objects.filter(legal_entity_id=lead_import.legal_entity_id).values_list(
                "id", "code"
            )
        }
        self.country = (
            LegalEntity.objects.filter(pk=lead_import.legal_entity_id)
            .values_list("country", flat=True)
            .first()
        )

    def read(self, cells: list[str]) -> tuple[dict[str, str], int | None, Decimal | None, dict[str, str]]:
        """Cleaned contact data, region id, estimated value and the row's problems by field."""
        raw = {t: (cells[i] if i < len(cells) else "") for t, i in self.indexes.items()}
        cleaned = clean_contact(raw, default_country=self.country or "SE")
        region_id = None
        errors = dict(cleaned.errors)
        code = (raw.get("region") or "").strip()
        if code:
            region_id = self.regions.get(code.lower())
            if region_id is None:
                errors["region"] = _("Unknown region “%(code)s”.") % {"code": code}
        amount, problem = parse_amount_cell(raw.get("estimated_amount", ""))
        if problem:
            errors["estimated_amount"] = _("Column “%(column)s”, “%(value)s”: %(problem)s") % {
                "column": self.amount_column,
                "value": raw["estimated_amount"].strip(),
                "problem": problem,
            }
        return cleaned.data, region_id, amount, errors


def lead_import_preview(
    *, actor: Any, lead_import: LeadImport, mapping: dict[str, str], rows: int = PREVIEW_ROWS
) -> list[PreviewRow]:
    """The first ``rows`` data rows read through ``mapping``, each with its errors."""
    require_perm(actor, "leads.import_lead")
    lead_import = _import_for(actor, lead_import)
    indexes = _check_mapping(lead_import, mapping)
    reader = _RowReader(lead_import, indexes)
    out: list[PreviewRow] = []
    for line, cells in _rows(lead_import):
        data, _region, _amount, errors = reader.read(cells)
        shown = {t: data.get(t, cells[i] if i < len(cells) else "") for t, i in indexes.items()}
        out.append(PreviewRow(line=line, values=shown, errors=errors))
        if len(out) >= rows:
            break
    return out


class _SideConnection:
    """One extra autocommit connection (PostgreSQL), opened on first use and kept for the
    import, so progress written while the import's transaction is open is visible at once."""

    conn: Any = None

    def execute(self, sql: str, params: list[Any]) -> None:
        if self.conn is None:
            self.conn = connections.create_connection("default")
            self.conn.set_autocommit(True)
        with self.conn.cursor() as cur:
            cur.execute(sql, params)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


_side = _SideConnection()


def _progress(import_id: int, **values: Any) -> None:
    """Record progress where a polling page can see it: through the side connection on
    PostgreSQL while the import's transaction is open, directly otherwise."""
    if connection.in_atomic_block and connection.vendor == "postgresql":
        sets = ", ".join(f"{k} = %s" for k in values)
        _side.execute(f"UPDATE leads_leadimport SET {sets} WHERE id = %s", [*values.values(), import_id])  # noqa: S608 - column names are ours
        return
    if connection.in_atomic_block:
        return  # SQLite holds one writer: the final counts are saved with the import
    LeadImport.objects.filter(pk=import_id).update(**values)


CLEAN_FIELDS = list(CONTACT_FIELDS)


def _validate_all(
    lead_import: LeadImport, indexes: dict[str, int], out: IO[str]
) -> tuple[int, list[RowError], int]:
    """Validate every row; write the cleaned rows (contact fields + region id + estimated
    value) to ``out`` so the writing pass does not clean them again."""
    reader = _RowReader(lead_import, indexes)
    writer = csv.writer(out)
    errors: list[RowError] = []
    error_count = 0
    count = 0
    for line, cells in _rows(lead_import):
        count += 1
        data, region_id, amount, row_errors = reader.read(cells)
        if row_errors:
            for name, message in row_errors.items():
                error_count += 1
                if len(errors) < MAX_LISTED_ERRORS:
                    errors.append(RowError(line, name, message))
        elif not error_count:
            writer.writerow(
                [*(data[f] for f in CLEAN_FIELDS), region_id or "", "" if amount is None else amount]
            )
        if count % CHUNK == 0:
            _progress(lead_import.pk, processed_rows=count)
    return count, errors, error_count


def _cleaned_rows(stream: IO[str]) -> Iterator[tuple[dict[str, str], int | None, Decimal | None]]:
    width = len(CLEAN_FIELDS)
    for row in csv.reader(stream):
        yield (
            dict(zip(CLEAN_FIELDS, row[:width], strict=True)),
            int(row[width]) if row[width] else None,
            Decimal(row[width + 1]) if row[width + 1] else None,
        )


@transaction.atomic
def lead_import_start(*, actor: Any, lead_import: LeadImport, mapping: dict[str, str]) -> LeadImport:
    """Save the column mapping and queue the import as a background task (django-tasks): it
    validates every row first and, only if all are valid, writes them all (see the module)."""
    from frontoffice.leads.tasks import lead_import_run_task

    require_perm(actor, "leads.import_lead")
    lead_import = _import_for(actor, lead_import)
    if lead_import.status not in (LeadImport.Status.UPLOADED, LeadImport.Status.INVALID):
        raise ValidationError(_("This import has already started."), code="started")
    indexes = _check_mapping(lead_import, mapping)
    lead_import.mapping = {t: mapping[t] for t in indexes}
    lead_import.status = LeadImport.Status.QUEUED
    lead_import.processed_rows = 0
    lead_import.errors = []
    lead_import.error_count = 0
    lead_import.message = ""
    lead_import.save()
    audit_record(
        actor=actor,
        action="leads.import.started",
        obj=lead_import,
        changes={"mapping": [None, lead_import.mapping]},
    )
    import_id, actor_id = lead_import.pk, actor.pk
    transaction.on_commit(lambda: lead_import_run_task.enqueue(import_id=import_id, actor_id=actor_id))
    return lead_import


class _PartyIndex:
    """The legal entity's existing customers, by e-mail and organisation number (links) and
    phone and company name (flagged as possible duplicates)."""

    def __init__(self, legal_entity_id: int) -> None:
        from frontoffice.parties.models import Party

        self.by_email: dict[str, int] = {}
        self.by_orgnr: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        rows = (
            Party.objects.active()
            .filter(legal_entity_id=legal_entity_id, erased_at__isnull=True)
            .order_by("id")
            .values_list("id", "email", "organisation_number", "phone", "organisation_name")
        )
        for pk, email, orgnr, phone, name in rows.iterator(chunk_size=5000):
            self.add(pk, email, orgnr, phone, name)

    def add(self, pk: Any, email: str, orgnr: str, phone: str, name: str) -> None:
        if email:
            self.by_email.setdefault(email, pk)
        if orgnr:
            self.by_orgnr.setdefault(orgnr, pk)
        if phone:
            self.by_phone.setdefault(phone, pk)
        if name:
            self.by_name.setdefault(name.lower(), pk)

    def match(self, data: dict[str, str]) -> tuple[Any, list[Any]]:
        link = (
            (data["email"] and self.by_email.get(data["email"]))
            or (data["organisation_number"] and self.by_orgnr.get(data["organisation_number"]))
            or None
        )
        others = []
        for candidate in (
            data["phone"] and self.by_phone.get(data["phone"]),
            data["company"] and self.by_name.get(data["company"].lower()),
        ):
            if candidate and candidate != link and candidate not in others:
                others.append(candidate)
        return link, others


def lead_import_commit(*, actor: Any, import_id: int) -> int:
    """Run a queued import (the background task); returns how many leads were created.

    1. Validate every row (streaming, progress as it goes); the cleaned rows go to a temporary
       file. Any bad row: the import is marked invalid with every bad row listed (line, field,
       message) and nothing is written.
    2. Write every lead from the cleaned rows in ONE transaction (chunks of ``CHUNK`` with
       ``bulk_create``); any failure rolls the whole import back.
    """
    import tempfile

    require_perm(actor, "leads.import_lead")
    lead_import = _import_for(actor, import_id)
    if lead_import.status != LeadImport.Status.QUEUED:
        return 0
    started = timezone.now()
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status=LeadImport.Status.VALIDATING, started_at=started, processed_rows=0
    )
    indexes = _check_mapping(lead_import, lead_import.mapping)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as cleaned:
        count, errors, error_count = _validate_all(lead_import, indexes, cleaned)
        if error_count or not count:
            message = (
                _("%(n)d problem(s) found; nothing was imported. Fix the file and upload it again.")
                % {"n": error_count}
                if error_count
                else _("The file has no rows to import.")
            )
            LeadImport.objects.filter(pk=lead_import.pk).update(
                status=LeadImport.Status.INVALID,
                total_rows=count,
                errors=[e.as_dict() for e in errors],
                error_count=error_count,
                processed_rows=0,
                finished_at=timezone.now(),
                message=message,
            )
            audit_record(
                actor=actor,
                action="leads.import.refused",
                obj=lead_import,
                changes={"errors": [None, error_count]},
            )
            return 0
        LeadImport.objects.filter(pk=lead_import.pk).update(
            status=LeadImport.Status.RUNNING, total_rows=count, processed_rows=0
        )
        cleaned.seek(0)
        try:
            with transaction.atomic():
                try:
                    created = _write_all(actor, lead_import, _cleaned_rows(cleaned), started)
                finally:
                    _side.close()
                # With a trained model the new leads get its score now, in bulk; without one
                # they keep the checklist fallback, computed when a lead is opened or qualified.
                from frontoffice.leads.scoring import active_model, rescore_leads

                if active_model(lead_import.legal_entity_id) is not None:
                    rescore_leads(lead_import.legal_entity_id)
                LeadImport.objects.filter(pk=lead_import.pk).update(
                    status=LeadImport.Status.DONE,
                    processed_rows=created,
                    created_count=created,
                    finished_at=timezone.now(),
                    message="",
                )
                audit_record(
                    actor=actor,
                    action="leads.import.committed",
                    obj=lead_import,
                    changes={"created": [None, created], "file_name": [None, lead_import.file_name]},
                )
        except Exception:
            _side.close()
            LeadImport.objects.filter(pk=lead_import.pk).update(
                status=LeadImport.Status.FAILED,
                processed_rows=0,
                finished_at=timezone.now(),
                message=_("The import failed; nothing was imported."),
            )
            raise
    return created


def fast_insert(model: Any, rows: list[dict[str, Any]], *, returning: bool = True) -> list[int]:
    """Insert plain rows (attname → value; missing columns get the field default) and return
    their ids in order. PostgreSQL: ids taken from the table's sequence, rows sent with COPY
    (an import's hot path: no model instances, no per-value preparation). Elsewhere:
    ``bulk_create``."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=CHUNK)
        return [obj.pk for obj in objs]
    from psycopg.types.json import Jsonb

    defaults = {f.attname: f.get_default() for f in fields}
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    table = model._meta.db_table
    ids: list[int] = []
    columns = [f.column for f in fields]
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            columns = ["id", *columns]
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                values = []
                for f in fields:
                    value = row.get(f.attname, defaults[f.attname])
                    if f.attname in json_fields:
                        value = Jsonb(value)
                    values.append(value)
                copy.write_row([ids[n], *values] if returning else values)
    return ids


def _write_all(
    actor: Any,
    lead_import: LeadImport,
    rows: Iterator[tuple[dict[str, str], int | None, Decimal | None]],
    now: datetime.datetime,
) -> int:
    from frontoffice.parties.models import Party

    router = BulkRouter(lead_import.legal_entity_id)
    gate = HighValueGate(lead_import.legal_entity_id)
    parties = _PartyIndex(lead_import.legal_entity_id)
    source = lead_import.source
    due = first_contact_due(source, now)
    actor_id = actor.pk
    le_id = lead_import.legal_entity_id
    created_label = str(Lead.Channel.IMPORT.label)
    assigned_reason = _("Round-robin in the region")
    owner_names: dict[int, str] = {}
    for reps in router.reps_by_region().values():
        owner_names.update(reps)
    created = 0
    chunk: list[tuple[dict[str, str], int | None, Decimal | None]] = []

    lead_base = {
        "legal_entity_id": le_id,
        "source_id": source.pk if source is not None else None,
        "channel": Lead.Channel.IMPORT.value,
        "first_contact_due_at": due,
        "created_by_id": actor_id,
        "lead_import_id": lead_import.pk,
        "created_at": now,
        "updated_at": now,
    }

    def flush() -> None:
        nonlocal created
        new_parties: list[Any] = []
        rows_out: list[dict[str, Any]] = []
        pending: dict[str, Any] = {}
        for data, region_id, amount in chunk:
            owner_id = router.owner_for(region_id)
            if not gate.allows(owner_id, amount):
                owner_id = None  # waits in the region's pool for a rep holding the certificate
            link, others = parties.match(data)
            row = {
                **lead_base,
                **data,
                "estimated_amount": amount,
                "region_id": region_id,
                "owner_id": owner_id,
                "search_text": lead_search_text(data),
                "possible_duplicates": others,
                "party_id": link,
                "created_party": False,
            }
            if not link:
                key = data["email"] or data["organisation_number"]
                party = pending.get(key) if key else None
                if party is None:
                    party = prospect_values(
                        data, legal_entity_id=le_id, region_id=region_id, owner_id=owner_id, source="import"
                    )
                    party.update(created_by_id=actor_id, created_at=now, updated_at=now)
                    new_parties.append(party)
                    if key:
                        pending[key] = party
                row["party_id"] = party
                row["created_party"] = True
            rows_out.append(row)
        party_ids = fast_insert(Party, new_parties)
        for pk, party in zip(party_ids, new_parties, strict=True):
            party["id"] = pk
            parties.add(
                pk,
                party["email"],
                party["organisation_number"],
                party["phone"],
                party.get("organisation_name", ""),
            )
        for row in rows_out:
            if isinstance(row["party_id"], dict):
                row["party_id"] = row["party_id"]["id"]
        lead_ids = fast_insert(Lead, rows_out)
        events: list[dict[str, Any]] = []
        for lead_id, row in zip(lead_ids, rows_out, strict=True):
            events.append(
                {
                    "lead_id": lead_id,
                    "at": now,
                    "actor_id": actor_id,
                    "kind": "created",
                    "to_value": created_label,
                }
            )
            if row["owner_id"]:
                events.append(
                    {
                        "lead_id": lead_id,
                        "at": now,
                        "actor_id": actor_id,
                        "kind": "assigned",
                        "to_value": owner_names.get(row["owner_id"], ""),
                        "reason": assigned_reason,
                    }
                )
        fast_insert(LeadEvent, events, returning=False)
        created += len(rows_out)
        chunk.clear()
        _progress(lead_import.pk, processed_rows=created)

    for data, region_id, amount in rows:
        if region_id is None:
            region_id = router.region_for(
                postal_code=data["postal_code"], country=data["country"], industry=data["industry"]
            )
        chunk.append((data, region_id, amount))
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    router.finish()
    return created


__all__ = [
    "CONTACT_FIELDS",
    "TARGETS",
    "lead_import_commit",
    "lead_import_preview",
    "lead_import_start",
    "lead_import_upload",
    "suggest_mapping",
]
