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
   region. Any error rolls back the whole import.

Memory stays flat: rows are streamed (``csv`` over a text stream, ``openpyxl`` read-only) and
only one chunk is held at a time; the existing customers are held as a dictionary of keys.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
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
from frontoffice.leads.services.intake import build_prospect
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
}


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
    yield from csv.reader(text, delimiter=delimiter)


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
    with default_storage.open(path, "rb") as stream:
        rows = _xlsx_rows(stream) if fmt == "xlsx" else _csv_rows(stream)
        try:
            headers = [str(h).strip() for h in next(rows)]
        except StopIteration:
            headers = []
        total = sum(1 for cells in rows if any((c or "").strip() for c in cells))
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

    def read(self, cells: list[str]) -> tuple[dict[str, str], int | None, dict[str, str]]:
        raw = {t: (cells[i] if i < len(cells) else "") for t, i in self.indexes.items()}
        cleaned = clean_contact(raw, default_country=self.country or "SE")
        region_id = None
        errors = dict(cleaned.errors)
        code = (raw.get("region") or "").strip()
        if code:
            region_id = self.regions.get(code.lower())
            if region_id is None:
                errors["region"] = _("Unknown region “%(code)s”.") % {"code": code}
        return cleaned.data, region_id, errors


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
        data, _region, errors = reader.read(cells)
        shown = {t: data.get(t, cells[i] if i < len(cells) else "") for t, i in indexes.items()}
        out.append(PreviewRow(line=line, values=shown, errors=errors))
        if len(out) >= rows:
            break
    return out


def _progress(import_id: int, **values: Any) -> None:
    """Record progress where a polling page can see it: through a second connection on
    PostgreSQL while the import's transaction is open, directly otherwise."""
    if connection.in_atomic_block and connection.vendor == "postgresql":
        side = connections.create_connection("default")
        try:
            side.set_autocommit(True)
            sets = ", ".join(f"{k} = %s" for k in values)
            sql = f"UPDATE leads_leadimport SET {sets} WHERE id = %s"  # noqa: S608 - column names are ours
            with side.cursor() as cur:
                cur.execute(sql, [*values.values(), import_id])
        finally:
            side.close()
        return
    if connection.in_atomic_block:
        return  # SQLite holds one writer: the final counts are saved with the import
    LeadImport.objects.filter(pk=import_id).update(**values)


def _validate_all(lead_import: LeadImport, indexes: dict[str, int]) -> tuple[int, list[RowError], int]:
    reader = _RowReader(lead_import, indexes)
    errors: list[RowError] = []
    error_count = 0
    count = 0
    for line, cells in _rows(lead_import):
        count += 1
        _data, _region, row_errors = reader.read(cells)
        for name, message in row_errors.items():
            error_count += 1
            if len(errors) < MAX_LISTED_ERRORS:
                errors.append(RowError(line, name, message))
        if count % CHUNK == 0:
            _progress(lead_import.pk, processed_rows=count)
    return count, errors, error_count


def lead_import_start(*, actor: Any, lead_import: LeadImport, mapping: dict[str, str]) -> LeadImport:
    """Validate every row; a clean file is queued for import, a file with errors is marked
    invalid with each bad row listed (line, field, message) and nothing is imported."""
    from frontoffice.leads.tasks import lead_import_run_task

    require_perm(actor, "leads.import_lead")
    lead_import = _import_for(actor, lead_import)
    if lead_import.status not in (LeadImport.Status.UPLOADED, LeadImport.Status.INVALID):
        raise ValidationError(_("This import has already started."), code="started")
    indexes = _check_mapping(lead_import, mapping)
    lead_import.mapping = {t: mapping[t] for t in indexes}
    lead_import.status = LeadImport.Status.VALIDATING
    lead_import.processed_rows = 0
    lead_import.save(update_fields=["mapping", "status", "processed_rows", "updated_at"])
    count, errors, error_count = _validate_all(lead_import, indexes)
    lead_import.total_rows = count
    lead_import.processed_rows = 0
    lead_import.errors = [e.as_dict() for e in errors]
    lead_import.error_count = error_count
    if error_count:
        lead_import.status = LeadImport.Status.INVALID
        lead_import.message = _(
            "%(n)d problem(s) found; nothing was imported. Fix the file and upload it again."
        ) % {"n": error_count}
    elif not count:
        lead_import.status = LeadImport.Status.INVALID
        lead_import.message = _("The file has no rows to import.")
    else:
        lead_import.status = LeadImport.Status.QUEUED
        lead_import.message = ""
    lead_import.save()
    audit_record(
        actor=actor,
        action="leads.import.validated",
        obj=lead_import,
        changes={"status": [None, lead_import.status], "errors": [None, error_count]},
    )
    if lead_import.status == LeadImport.Status.QUEUED:
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


class ImportRowsInvalid(Exception):
    pass


def lead_import_commit(*, actor: Any, import_id: int) -> int:
    """Write the leads of a validated import in one transaction; returns how many were created.

    Runs as a background task. If any row turns out bad after all, nothing is written and
    the import is marked invalid with the rows listed.
    """
    require_perm(actor, "leads.import_lead")
    lead_import = _import_for(actor, import_id)
    if lead_import.status != LeadImport.Status.QUEUED:
        return 0
    started = timezone.now()
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status=LeadImport.Status.RUNNING, started_at=started, processed_rows=0
    )
    indexes = _check_mapping(lead_import, lead_import.mapping)
    try:
        with transaction.atomic():
            created = _write_all(actor, lead_import, indexes, started)
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
    except ImportRowsInvalid as exc:
        errors = exc.args[0]
        LeadImport.objects.filter(pk=lead_import.pk).update(
            status=LeadImport.Status.INVALID,
            errors=[e.as_dict() for e in errors[:MAX_LISTED_ERRORS]],
            error_count=len(errors),
            processed_rows=0,
            finished_at=timezone.now(),
            message=_("%(n)d problem(s) found; nothing was imported.") % {"n": len(errors)},
        )
        return 0
    except Exception:
        LeadImport.objects.filter(pk=lead_import.pk).update(
            status=LeadImport.Status.FAILED,
            processed_rows=0,
            finished_at=timezone.now(),
            message=_("The import failed; nothing was imported."),
        )
        raise
    return created


def _write_all(actor: Any, lead_import: LeadImport, indexes: dict[str, int], now: datetime.datetime) -> int:
    from frontoffice.parties.models import Party

    reader = _RowReader(lead_import, indexes)
    router = BulkRouter(lead_import.legal_entity_id)
    parties = _PartyIndex(lead_import.legal_entity_id)
    source = lead_import.source
    due = first_contact_due(source, now)
    actor_id = actor.pk
    le_id = lead_import.legal_entity_id
    errors: list[RowError] = []
    created = 0
    chunk: list[tuple[dict[str, str], int | None]] = []

    def flush() -> None:
        nonlocal created
        new_parties: list[Any] = []
        leads: list[Lead] = []
        pending: dict[str, Any] = {}
        for data, region_id in chunk:
            owner_id = router.owner_for(region_id)
            link, others = parties.match(data)
            lead = Lead(
                legal_entity_id=le_id,
                region_id=region_id,
                owner_id=owner_id,
                source=source,
                channel=Lead.Channel.IMPORT,
                first_contact_due_at=due,
                search_text=lead_search_text(data),
                created_by_id=actor_id,
                lead_import_id=lead_import.pk,
                possible_duplicates=others,
                **data,
            )
            if link:
                lead.party_id = link
            else:
                key = data["email"] or data["organisation_number"]
                party = pending.get(key) if key else None
                if party is None:
                    party = build_prospect(
                        data, legal_entity_id=le_id, region_id=region_id, owner_id=owner_id, source="import"
                    )
                    party.created_by_id = actor_id
                    new_parties.append(party)
                    if key:
                        pending[key] = party
                lead.party = party
                lead.created_party = True
            leads.append(lead)
        Party.objects.bulk_create(new_parties, batch_size=CHUNK)
        for party in new_parties:
            parties.add(
                party.pk, party.email, party.organisation_number, party.phone, party.organisation_name
            )
        for lead in leads:
            if lead.party_id is None:
                lead.party_id = lead.party.pk
        Lead.objects.bulk_create(leads, batch_size=CHUNK)
        events = []
        for lead in leads:
            events.append(
                LeadEvent(
                    lead_id=lead.pk,
                    at=now,
                    actor_id=actor_id,
                    kind=LeadEvent.Kind.CREATED,
                    to_value=str(Lead.Channel.IMPORT.label),
                )
            )
            if lead.owner_id:
                events.append(
                    LeadEvent(
                        lead_id=lead.pk,
                        at=now,
                        actor_id=actor_id,
                        kind=LeadEvent.Kind.ASSIGNED,
                        reason="round-robin",
                    )
                )
        LeadEvent.objects.bulk_create(events, batch_size=CHUNK * 2)
        created += len(leads)
        chunk.clear()
        _progress(lead_import.pk, processed_rows=created)

    for line, cells in _rows(lead_import):
        data, region_id, row_errors = reader.read(cells)
        if row_errors:
            errors.extend(RowError(line, name, message) for name, message in row_errors.items())
            continue
        if errors:
            continue  # keep reading only to list every bad row
        if region_id is None:
            region_id = router.region_for(
                postal_code=data["postal_code"], country=data["country"], industry=data["industry"]
            )
        chunk.append((data, region_id))
        if len(chunk) >= CHUNK:
            flush()
    if errors:
        raise ImportRowsInvalid(errors)
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
