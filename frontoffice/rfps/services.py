"""Writes of the rfps app: register and work an RFP, the approval flow, outcome, answer library.

Every service is keyword-only with ``actor=`` first, runs in one transaction, checks the
permission and the scope (an RFP outside the actor's scope is refused), validates, writes an
audit entry with a dotted code and an ``RfpEvent`` on the RFP's history.

Status flow: draft → in progress → in review → approved → submitted → won / lost; an open or
submitted RFP may be withdrawn. A rejected review goes back to in progress with a comment.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_created, audit_record, diff, snapshot
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.rfps.models import (
    EDITABLE_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    AnswerLibraryEntry,
    Requirement,
    RequirementStatus,
    Rfp,
    RfpDocument,
    RfpEvent,
    RfpStatus,
)
from frontoffice.rfps.selectors import rfps_visible

VIEW = "rfps.view_rfp"
ADD = "rfps.add_rfp"
CHANGE = "rfps.change_rfp"
APPROVE = "rfps.approve_rfp"
MANAGE_LIBRARY = "rfps.manage_library"

RFP_FIELDS = [
    "party",
    "reference",
    "title",
    "description",
    "received_on",
    "due_at",
    "owner",
    "region",
    "language",
    "opportunity",
    "status",
]
LIBRARY_FIELDS = ["question", "answer", "tags", "language"]
ALLOWED_EXTENSIONS = {
    ".pdf": b"%PDF",
    ".docx": b"PK",
    ".xlsx": b"PK",
    ".pptx": b"PK",
    ".odt": b"PK",
    ".ods": b"PK",
    ".zip": b"PK",
    ".doc": None,
    ".xls": None,
    ".txt": None,
    ".csv": None,
}
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 1000


def max_upload_bytes() -> int:
    return int(getattr(settings, "RFPS_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


# ------------------------------------------------------------------ helpers


def _field_error(field: str, message: str, code: str) -> ValidationError:
    """An error about one field that keeps its code (for the API's ``code`` and for tests)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _event(rfp: Rfp, actor: Any, action: str, message: str = "", **data: Any) -> RfpEvent:
    actor_id = getattr(actor, "pk", None) if actor is not None and actor.is_authenticated else None
    return RfpEvent.objects.create(rfp=rfp, actor_id=actor_id, action=action, message=message, data=data)


def _lock(actor: Any, rfp: Rfp, *, perm: str = CHANGE) -> Rfp:
    """The RFP locked for update, after checking the permission and that it is in scope."""
    require_perm(actor, perm)
    if not rfps_visible(actor).filter(pk=rfp.pk).exists():
        raise PermissionDenied(_("This request for proposal is outside your scope."))
    return Rfp.objects.select_for_update().get(pk=rfp.pk)


def _require_status(rfp: Rfp, allowed: Iterable[str], message: str) -> None:
    if rfp.status not in allowed:
        raise ValidationError(message, code="wrong_status")


def _staff_of(user: Any) -> Any:
    return getattr(user, "staff", None) if user is not None else None


def _check_user_in_entity(user: Any, legal_entity_id: int, field: str) -> None:
    staff = _staff_of(user)
    if user is None or not user.is_active:
        raise _field_error(field, _("Choose an active user."), "invalid_user")
    if user.is_superuser:
        return
    if staff is None or not staff.active or staff.legal_entity_id != legal_entity_id:
        raise ValidationError(
            {
                field: _("%(user)s does not work in this legal entity.")
                % {"user": user.get_full_name() or user}
            },
            code="invalid_user",
        )


def _check_opportunity(actor: Any, opportunity: Any, party_id: int) -> None:
    """The linked opportunity must be in the actor's scope and of the RFP's customer. An
    opportunity outside the scope gets the error of one that does not exist."""
    from frontoffice.sales.models import Opportunity

    if not visible_to(Opportunity.objects.filter(pk=opportunity.pk), actor).exists():
        raise _field_error("opportunity", _("Unknown opportunity."), "unknown_opportunity")
    if opportunity.party_id != party_id:
        raise _field_error("opportunity", _("The opportunity belongs to another customer."), "opportunity")


def _set_status(rfp: Rfp, actor: Any, status: str, action: str, message: str = "", **extra: Any) -> None:
    before = rfp.status
    rfp.status = status
    for name, value in extra.items():
        setattr(rfp, name, value)
    rfp.full_clean()
    rfp.save()
    changes = {"status": [before, status]}
    for name, value in extra.items():
        changes[name] = [None, value]
    audit_record(actor=actor, action=f"rfps.rfp.{action}", obj=rfp, changes=changes)
    _event(rfp, actor, action, message, status=status)


# ------------------------------------------------------------------ RFP


@transaction.atomic
def rfp_create(
    *,
    actor: Any,
    party: Any,
    title: str,
    due_at: datetime.datetime,
    reference: str = "",
    received_on: datetime.date | None = None,
    owner: Any = None,
    contributors: Iterable[Any] = (),
    description: str = "",
    language: str = "sv",
    opportunity: Any = None,
) -> Rfp:
    """Register an RFP received from ``party`` (the issuer); the actor owns it unless told.

    ``opportunity`` links it to a sales opportunity in the actor's scope of the same customer
    (``unknown_opportunity`` / ``opportunity`` on field ``opportunity`` otherwise)."""
    require_perm(actor, ADD)
    from frontoffice.parties.models import Party

    if not visible_to(Party.objects.filter(pk=party.pk), actor).exists():
        raise PermissionDenied(_("This customer is outside your scope."))
    require_legal_entity(actor, party.legal_entity_id)
    owner = owner or actor
    _check_user_in_entity(owner, party.legal_entity_id, "owner")
    if owner.pk != actor.pk and not actor.has_perm(APPROVE):
        raise _field_error("owner", _("Only a manager can register an RFP for someone else."), "owner")
    staff = _staff_of(owner)
    region = (staff.home_region if staff is not None else None) or party.region
    if opportunity is not None:
        _check_opportunity(actor, opportunity, party.pk)
    rfp = Rfp(
        legal_entity_id=party.legal_entity_id,
        party=party,
        title=title.strip(),
        reference=reference.strip(),
        description=description,
        received_on=received_on or timezone.localdate(),
        due_at=due_at,
        owner=owner,
        region=region,
        language=language,
        opportunity=opportunity,
        created_by=actor,
    )
    rfp.full_clean()
    rfp.save()
    contributors = [c for c in contributors if c.pk != owner.pk]
    for user in contributors:
        _check_user_in_entity(user, rfp.legal_entity_id, "contributors")
    rfp.contributors.set(contributors)
    audit_created(actor=actor, obj=rfp, fields=[*RFP_FIELDS, "contributors"], action="rfps.rfp.created")
    _event(rfp, actor, "created", _("Registered"))
    from frontoffice.parties.services import interaction_record

    interaction_record(
        actor=actor,
        party=party,
        kind="other",
        channel="email",
        direction="inbound",
        subject=_("Request for proposal received: %(title)s") % {"title": rfp.title},
        concerns=rfp,
        check_permission=False,
    )
    return rfp


@transaction.atomic
def rfp_update(*, actor: Any, rfp: Rfp, contributors: Iterable[Any] | None = None, **fields: Any) -> Rfp:
    """Change the RFP's details (title, reference, due date, owner, contributors, ...).

    ``opportunity`` links it (same rules as ``rfp_create``) or, ``None``, unlinks it."""
    allowed = {
        "reference",
        "title",
        "description",
        "received_on",
        "due_at",
        "owner",
        "language",
        "opportunity",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"rfp_update does not change {sorted(unknown)}")
    rfp = _lock(actor, rfp)
    if rfp.status in FINAL_STATUSES:
        raise ValidationError(_("A closed RFP cannot be changed."), code="closed")
    before = snapshot(rfp, [*RFP_FIELDS, "contributors"])
    if "owner" in fields and fields["owner"] is not None and fields["owner"].pk != rfp.owner_id:
        if not actor.has_perm(APPROVE) and actor.pk != rfp.owner_id:
            raise PermissionDenied(_("Only the owner or a manager can hand the RFP over."))
        _check_user_in_entity(fields["owner"], rfp.legal_entity_id, "owner")
        staff = _staff_of(fields["owner"])
        rfp.region = (staff.home_region if staff is not None else None) or rfp.party.region
    opportunity = fields.get("opportunity")
    if opportunity is not None and opportunity.pk != rfp.opportunity_id:
        _check_opportunity(actor, opportunity, rfp.party_id)
    for name, value in fields.items():
        if name == "owner" and value is None:
            continue
        setattr(
            rfp, name, value.strip() if isinstance(value, str) and name in ("title", "reference") else value
        )
    rfp.full_clean()
    rfp.save()
    if contributors is not None:
        contributors = [c for c in contributors if c.pk != rfp.owner_id]
        for user in contributors:
            _check_user_in_entity(user, rfp.legal_entity_id, "contributors")
        rfp.contributors.set(contributors)
    changes = diff(before, snapshot(rfp, [*RFP_FIELDS, "contributors"]))
    if changes:
        audit_record(actor=actor, action="rfps.rfp.updated", obj=rfp, changes=changes)
        _event(rfp, actor, "updated", ", ".join(sorted(changes)))
    return rfp


# ------------------------------------------------------------------ requirements


def _next_position(rfp: Rfp) -> int:
    return (rfp.requirements.aggregate(m=Max("position"))["m"] or 0) + 1


@transaction.atomic
def requirement_add(
    *, actor: Any, rfp: Rfp, text: str, number: str = "", mandatory: bool = True, owner: Any = None
) -> Requirement:
    rfp = _lock(actor, rfp)
    _require_status(rfp, EDITABLE_STATUSES, _("Requirements can be added while the RFP is being worked on."))
    position = _next_position(rfp)
    number = (number or "").strip() or str(position)
    if rfp.requirements.filter(number=number).exists():
        raise _field_error(
            "number", _("Requirement %(number)s exists already.") % {"number": number}, "duplicate"
        )
    if owner is not None:
        _check_user_in_entity(owner, rfp.legal_entity_id, "owner")
    requirement = Requirement(
        rfp=rfp, number=number, position=position, text=(text or "").strip(), mandatory=mandatory, owner=owner
    )
    requirement.full_clean()
    requirement.save()
    audit_created(
        actor=actor,
        obj=requirement,
        fields=["number", "text", "mandatory", "owner"],
        action="rfps.requirement.created",
    )
    _event(rfp, actor, "requirement_added", number)
    return requirement


TRUE_WORDS = {"", "1", "yes", "y", "true", "x", "ja", "j", "mandatory", "must", "obligatorisk", "ska"}
FALSE_WORDS = {"0", "no", "n", "false", "nej", "optional", "frivillig", "bör", "bor"}


def parse_requirements(text: str) -> list[dict[str, Any]]:
    """Pasted requirements: one per line, or CSV with a ``number,text,mandatory`` header.

    Raises ``ValidationError`` naming every bad row (code ``bad_rows``).
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise ValidationError(_("Paste at least one requirement."), code="empty")
    if len(lines) > MAX_IMPORT_ROWS:
        raise ValidationError(
            _("At most %(max)d requirements at a time.") % {"max": MAX_IMPORT_ROWS}, code="too_many"
        )
    header = lines[0].strip().lower().replace(";", ",").replace("\t", ",")
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    if header.startswith("number,text"):
        dialect_delim = ";" if ";" in lines[0] else ("\t" if "\t" in lines[0] else ",")
        reader = csv.reader(io.StringIO("\n".join(lines[1:])), delimiter=dialect_delim)
        for index, cells in enumerate(reader, start=2):
            cells = [c.strip() for c in cells]
            if len(cells) < 2 or not cells[1]:
                errors.append(_("Row %(row)d: the requirement text is missing.") % {"row": index})
                continue
            flag = cells[2].lower() if len(cells) > 2 else ""
            if flag in TRUE_WORDS:
                mandatory = True
            elif flag in FALSE_WORDS:
                mandatory = False
            else:
                errors.append(
                    _("Row %(row)d: mandatory must be yes or no, not “%(value)s”.")
                    % {"row": index, "value": cells[2]}
                )
                continue
            rows.append({"row": index, "number": cells[0], "text": cells[1], "mandatory": mandatory})
    else:
        for index, line in enumerate(lines, start=1):
            rows.append({"row": index, "number": "", "text": line.strip(), "mandatory": True})
    seen: dict[str, int] = {}
    for row in rows:
        if row["number"]:
            if len(row["number"]) > 30:
                errors.append(
                    _("Row %(row)d: the number is longer than 30 characters.") % {"row": row["row"]}
                )
            elif row["number"] in seen:
                errors.append(
                    _("Row %(row)d: number %(number)s is also on row %(other)d.")
                    % {"row": row["row"], "number": row["number"], "other": seen[row["number"]]}
                )
            seen[row["number"]] = row["row"]
    if errors:
        raise ValidationError([ValidationError(m, code="bad_rows") for m in errors])
    return rows


@transaction.atomic
def requirements_import(*, actor: Any, rfp: Rfp, text: str) -> list[Requirement]:
    """Add pasted requirements all at once, or none when any row is wrong."""
    rfp = _lock(actor, rfp)
    _require_status(rfp, EDITABLE_STATUSES, _("Requirements can be added while the RFP is being worked on."))
    rows = parse_requirements(text)
    existing = set(rfp.requirements.values_list("number", flat=True))
    position = _next_position(rfp)
    errors = [
        _("Row %(row)d: requirement %(number)s exists already.") % {"row": r["row"], "number": r["number"]}
        for r in rows
        if r["number"] and r["number"] in existing
    ]
    if errors:
        raise ValidationError([ValidationError(m, code="bad_rows") for m in errors])
    created = []
    taken = existing | {r["number"] for r in rows if r["number"]}
    for row in rows:
        number = row["number"]
        if not number:
            while str(position) in taken:
                position += 1
            number = str(position)
            taken.add(number)
        requirement = Requirement(
            rfp=rfp, number=number, position=position, text=row["text"], mandatory=row["mandatory"]
        )
        try:
            requirement.full_clean()
        except ValidationError as exc:
            message = _("Row %(row)d: %(error)s") % {"row": row["row"], "error": "; ".join(exc.messages)}
            raise ValidationError([ValidationError(message, code="bad_rows")]) from exc
        created.append(requirement)
        position += 1
    Requirement.objects.bulk_create(created)
    audit_record(
        actor=actor,
        action="rfps.requirement.imported",
        obj=rfp,
        changes={"requirements": [None, [r.number for r in created]]},
    )
    _event(rfp, actor, "requirements_imported", str(len(created)), count=len(created))
    return created


def _lock_requirement(actor: Any, requirement: Requirement) -> tuple[Rfp, Requirement]:
    rfp = _lock(actor, requirement.rfp)
    return rfp, Requirement.objects.select_for_update().get(pk=requirement.pk)


@transaction.atomic
def requirement_assign(*, actor: Any, requirement: Requirement, owner: Any) -> Requirement:
    rfp, requirement = _lock_requirement(actor, requirement)
    if rfp.status in FINAL_STATUSES:
        raise ValidationError(_("A closed RFP cannot be changed."), code="closed")
    if owner is not None:
        _check_user_in_entity(owner, rfp.legal_entity_id, "owner")
    before = snapshot(requirement, ["owner"])
    requirement.owner = owner
    requirement.save(update_fields=["owner", "updated_at"])
    audit_record(
        actor=actor,
        action="rfps.requirement.assigned",
        obj=requirement,
        changes=diff(before, snapshot(requirement, ["owner"])),
    )
    _event(rfp, actor, "requirement_assigned", requirement.number, owner=getattr(owner, "pk", None))
    return requirement


@transaction.atomic
def requirement_answer(
    *,
    actor: Any,
    requirement: Requirement,
    answer: str | None = None,
    library_entry: AnswerLibraryEntry | None = None,
    not_applicable: bool = False,
) -> Requirement:
    """Answer a requirement by hand, from an approved library answer (copied and linked; its
    usage is counted), or mark it not applicable. Starts work on a draft RFP."""
    rfp, requirement = _lock_requirement(actor, requirement)
    _require_status(rfp, EDITABLE_STATUSES, _("Answers can be changed while the RFP is being worked on."))
    before = snapshot(requirement, ["status", "answer", "source_entry"])
    now = timezone.now()
    if not_applicable:
        requirement.status = RequirementStatus.NOT_APPLICABLE
        if answer is not None:
            requirement.answer = answer.strip()
    elif library_entry is not None:
        entry = AnswerLibraryEntry.objects.select_for_update().get(pk=library_entry.pk)
        if entry.legal_entity_id != rfp.legal_entity_id:
            raise _field_error(
                "library_entry", _("This library answer belongs to another company."), "library"
            )
        if not entry.is_approved:
            raise _field_error(
                "library_entry", _("Only approved library answers can be reused."), "not_approved"
            )
        requirement.answer = entry.answer
        requirement.source_entry = entry
        requirement.status = RequirementStatus.DRAFTED
        AnswerLibraryEntry.objects.filter(pk=entry.pk).update(
            usage_count=F("usage_count") + 1, last_used_at=now
        )
    else:
        text = (answer or "").strip()
        if not text:
            raise _field_error(
                "answer", _("Write an answer, or mark the requirement not applicable."), "required"
            )
        if requirement.source_entry_id and text != requirement.answer.strip():
            requirement.source_entry = None  # edited: no longer the library's wording
        requirement.answer = text
        requirement.status = RequirementStatus.DRAFTED
    requirement.answered_by = actor
    requirement.answered_at = now
    requirement.full_clean()
    requirement.save()
    changes = diff(before, snapshot(requirement, ["status", "answer", "source_entry"]))
    audit_record(actor=actor, action="rfps.requirement.answered", obj=requirement, changes=changes)
    _event(
        rfp,
        actor,
        "requirement_answered",
        requirement.number,
        library_entry=getattr(library_entry, "pk", None),
        status=requirement.status,
    )
    if rfp.status == RfpStatus.DRAFT:
        _set_status(rfp, actor, RfpStatus.IN_PROGRESS, "started")
    return requirement


@transaction.atomic
def requirement_reopen(*, actor: Any, requirement: Requirement) -> Requirement:
    """Back to open (e.g. marked not applicable by mistake); the answer text is kept."""
    rfp, requirement = _lock_requirement(actor, requirement)
    _require_status(rfp, EDITABLE_STATUSES, _("Answers can be changed while the RFP is being worked on."))
    before = requirement.status
    requirement.status = RequirementStatus.OPEN
    requirement.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="rfps.requirement.reopened",
        obj=requirement,
        changes={"status": [before, requirement.status]},
    )
    _event(rfp, actor, "requirement_reopened", requirement.number)
    return requirement


# ------------------------------------------------------------------ approval flow


def missing_mandatory(rfp: Rfp) -> list[Requirement]:
    return [r for r in rfp.requirements.order_by("position", "id") if r.mandatory and not r.is_done]


@transaction.atomic
def rfp_start(*, actor: Any, rfp: Rfp) -> Rfp:
    rfp = _lock(actor, rfp)
    _require_status(rfp, [RfpStatus.DRAFT], _("Only a draft can be started."))
    _set_status(rfp, actor, RfpStatus.IN_PROGRESS, "started")
    return rfp


@transaction.atomic
def rfp_submit_for_review(*, actor: Any, rfp: Rfp, comment: str = "") -> Rfp:
    rfp = _lock(actor, rfp)
    _require_status(rfp, EDITABLE_STATUSES, _("Only an RFP being worked on can be sent for review."))
    if not rfp.requirements.exists():
        raise ValidationError(
            _("Add the requirements before sending the response for review."), code="no_requirements"
        )
    _set_status(rfp, actor, RfpStatus.IN_REVIEW, "review_requested", comment)
    return rfp


@transaction.atomic
def rfp_approve(*, actor: Any, rfp: Rfp, comment: str = "") -> Rfp:
    """A manager approves the response: not the owner, and every mandatory requirement answered
    or marked not applicable (the error lists the ones that are not)."""
    rfp = _lock(actor, rfp, perm=APPROVE)
    _require_status(rfp, [RfpStatus.IN_REVIEW], _("Only an RFP in review can be approved."))
    if actor.pk == rfp.owner_id:
        raise ValidationError(
            _("The owner of an RFP cannot approve it; ask another manager."), code="own_rfp"
        )
    missing = missing_mandatory(rfp)
    if missing:
        raise ValidationError(
            _("Mandatory requirements without an answer: %(numbers)s.")
            % {"numbers": ", ".join(r.number for r in missing)},
            code="missing_answers",
            params={"numbers": [r.number for r in missing]},
        )
    now = timezone.now()
    rfp.requirements.filter(status=RequirementStatus.DRAFTED).update(
        status=RequirementStatus.APPROVED, updated_at=now
    )
    _set_status(rfp, actor, RfpStatus.APPROVED, "approved", comment, approved_by=actor, approved_at=now)
    return rfp


@transaction.atomic
def rfp_reject(*, actor: Any, rfp: Rfp, comment: str) -> Rfp:
    rfp = _lock(actor, rfp, perm=APPROVE)
    _require_status(rfp, [RfpStatus.IN_REVIEW], _("Only an RFP in review can be sent back."))
    if not (comment or "").strip():
        raise _field_error("comment", _("Say what needs to change."), "required")
    _set_status(rfp, actor, RfpStatus.IN_PROGRESS, "rejected", comment.strip())
    return rfp


@transaction.atomic
def rfp_mark_submitted(*, actor: Any, rfp: Rfp, submitted_at: datetime.datetime | None = None) -> Rfp:
    rfp = _lock(actor, rfp)
    _require_status(rfp, [RfpStatus.APPROVED], _("Only an approved response can be submitted."))
    submitted_at = submitted_at or timezone.now()
    _set_status(rfp, actor, RfpStatus.SUBMITTED, "submitted", submitted_at=submitted_at)
    from frontoffice.parties.services import interaction_record

    interaction_record(
        actor=actor,
        party=rfp.party,
        kind="other",
        channel="email",
        direction="outbound",
        subject=_("Response to request for proposal submitted: %(title)s") % {"title": rfp.title},
        started_at=submitted_at,
        concerns=rfp,
        check_permission=False,
    )
    return rfp


OUTCOMES = (RfpStatus.WON, RfpStatus.LOST, RfpStatus.WITHDRAWN)


@transaction.atomic
def rfp_set_outcome(*, actor: Any, rfp: Rfp, outcome: str, reason: str) -> Rfp:
    """Won or lost (after submission) or withdrawn (any time before an outcome), with a reason.
    A linked opportunity is won or lost with it through the sales services."""
    rfp = _lock(actor, rfp)
    if outcome not in OUTCOMES:
        raise _field_error("outcome", _("Choose won, lost or withdrawn."), "invalid")
    if outcome == RfpStatus.WITHDRAWN:
        _require_status(rfp, [*OPEN_STATUSES, RfpStatus.SUBMITTED], _("This RFP is closed already."))
    else:
        _require_status(rfp, [RfpStatus.SUBMITTED], _("Only a submitted response can be won or lost."))
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("Give the reason for the outcome."), "required")
    _set_status(rfp, actor, outcome, outcome, reason, outcome_reason=reason, closed_at=timezone.now())
    if rfp.opportunity_id and outcome in (RfpStatus.WON, RfpStatus.LOST):
        _close_opportunity(actor, rfp, outcome, reason)
    return rfp


def _close_opportunity(actor: Any, rfp: Rfp, outcome: str, reason: str) -> None:
    try:
        from frontoffice.sales import services as sales_services
    except ImportError:
        return
    opportunity = rfp.opportunity
    if getattr(opportunity, "closed_on", None):
        return
    if outcome == RfpStatus.WON and hasattr(sales_services, "opportunity_win"):
        sales_services.opportunity_win(actor=actor, opportunity=opportunity, reason=reason)
    elif outcome == RfpStatus.LOST and hasattr(sales_services, "opportunity_lose"):
        sales_services.opportunity_lose(actor=actor, opportunity=opportunity, reason=reason)
    else:
        return
    _event(rfp, actor, f"opportunity_{outcome}", str(opportunity))


# ------------------------------------------------------------------ documents


@transaction.atomic
def document_upload(*, actor: Any, rfp: Rfp, uploaded_file: Any) -> RfpDocument:
    """Store an issuer's document: allowed types only, at most ``RFPS_MAX_UPLOAD_BYTES``."""
    rfp = _lock(actor, rfp)
    if rfp.status in FINAL_STATUSES:
        raise ValidationError(_("A closed RFP cannot be changed."), code="closed")
    name = (getattr(uploaded_file, "name", "") or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise _field_error(
            "file",
            _("Files of this type cannot be uploaded. Allowed: %(types)s.")
            % {"types": ", ".join(sorted(e.lstrip(".") for e in ALLOWED_EXTENSIONS))},
            "file_type",
        )
    limit = max_upload_bytes()
    if uploaded_file.size > limit:
        raise _field_error(
            "file", _("The file is larger than %(size)s.") % {"size": filesizeformat(limit)}, "file_size"
        )
    magic = ALLOWED_EXTENSIONS[ext]
    if magic is not None:
        head = uploaded_file.read(len(magic))
        uploaded_file.seek(0)
        if head != magic:
            raise _field_error("file", _("The file's content does not match its type."), "file_type")
    document = RfpDocument(
        rfp=rfp,
        original_name=name[:255],
        content_type=(getattr(uploaded_file, "content_type", "") or "")[:100],
        size=uploaded_file.size,
        uploaded_by=actor,
    )
    document.file.save(name, uploaded_file, save=False)
    try:
        document.full_clean()
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    audit_created(
        actor=actor, obj=document, fields=["original_name", "size"], action="rfps.document.uploaded"
    )
    _event(rfp, actor, "document_uploaded", name)
    return document


# ------------------------------------------------------------------ answer library


@transaction.atomic
def library_entry_create(
    *,
    actor: Any,
    legal_entity: Any,
    question: str,
    answer: str,
    tags: str = "",
    language: str = "sv",
    approve: bool = False,
) -> AnswerLibraryEntry:
    """Add an answer to the library; it is reusable once approved (``approve=True`` needs the
    approval permission)."""
    require_perm(actor, MANAGE_LIBRARY)
    require_legal_entity(actor, legal_entity.pk)
    if approve:
        require_perm(actor, APPROVE)
    entry = AnswerLibraryEntry(
        legal_entity=legal_entity,
        question=(question or "").strip(),
        answer=(answer or "").strip(),
        tags=_clean_tags(tags),
        language=language,
        created_by=actor,
    )
    if approve:
        entry.approved_by, entry.approved_at = actor, timezone.now()
    entry.full_clean()
    entry.save()
    audit_created(
        actor=actor, obj=entry, fields=[*LIBRARY_FIELDS, "approved_by"], action="rfps.library.created"
    )
    return entry


def _clean_tags(tags: str) -> str:
    seen: list[str] = []
    for tag in (tags or "").split(","):
        tag = tag.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return ", ".join(seen)[:200]


@transaction.atomic
def library_entry_update(*, actor: Any, entry: AnswerLibraryEntry, **fields: Any) -> AnswerLibraryEntry:
    """Edit an entry; a changed question or answer needs approving again."""
    require_perm(actor, MANAGE_LIBRARY)
    unknown = set(fields) - set(LIBRARY_FIELDS)
    if unknown:
        raise ValueError(f"library_entry_update does not change {sorted(unknown)}")
    entry = AnswerLibraryEntry.objects.select_for_update().get(pk=entry.pk)
    require_legal_entity(actor, entry.legal_entity_id)
    before = snapshot(entry, [*LIBRARY_FIELDS, "approved_by"])
    for name, value in fields.items():
        if name == "tags":
            value = _clean_tags(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(entry, name, value)
    if entry.question != before["question"] or entry.answer != before["answer"]:
        entry.approved_by, entry.approved_at = None, None
    entry.full_clean()
    entry.save()
    changes = diff(before, snapshot(entry, [*LIBRARY_FIELDS, "approved_by"]))
    if changes:
        audit_record(actor=actor, action="rfps.library.updated", obj=entry, changes=changes)
    return entry


@transaction.atomic
def library_entry_approve(*, actor: Any, entry: AnswerLibraryEntry) -> AnswerLibraryEntry:
    require_perm(actor, APPROVE)
    entry = AnswerLibraryEntry.objects.select_for_update().get(pk=entry.pk)
    require_legal_entity(actor, entry.legal_entity_id)
    if entry.is_approved:
        return entry
    entry.approved_by, entry.approved_at = actor, timezone.now()
    entry.save(update_fields=["approved_by", "approved_at", "updated_at"])
    audit_record(
        actor=actor, action="rfps.library.approved", obj=entry, changes={"approved_by": [None, str(actor)]}
    )
    return entry


@transaction.atomic
def library_promote(
    *, actor: Any, requirement: Requirement, question: str = "", tags: str = ""
) -> AnswerLibraryEntry:
    """Put a requirement's answer into the library, approved (needs the approval permission)."""
    require_perm(actor, APPROVE)
    rfp, requirement = _lock_requirement(actor, requirement)
    if not requirement.answer.strip():
        raise ValidationError(_("This requirement has no answer to add to the library."), code="no_answer")
    entry = AnswerLibraryEntry(
        legal_entity_id=rfp.legal_entity_id,
        question=(question or requirement.text).strip(),
        answer=requirement.answer.strip(),
        tags=_clean_tags(tags),
        language=rfp.language,
        approved_by=actor,
        approved_at=timezone.now(),
        created_by=actor,
    )
    entry.full_clean()
    entry.save()
    audit_created(
        actor=actor, obj=entry, fields=[*LIBRARY_FIELDS, "approved_by"], action="rfps.library.promoted"
    )
    requirement.source_entry = entry
    requirement.save(update_fields=["source_entry", "updated_at"])
    _event(rfp, actor, "answer_promoted", requirement.number, entry=entry.pk)
    return entry
