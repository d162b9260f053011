"""The complaints log: register, assign an owner and a deadline, work on it, resolve it."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.reception.models import Complaint, Visit
from frontoffice.reception.services.common import check_location

FIELDS = ["owner", "deadline", "status", "description"]


def _check_owner(owner: Any, location: Any) -> None:
    from frontoffice.org.models import Staff

    if (
        owner is not None
        and not Staff.objects.filter(
            user_id=owner.pk, active=True, legal_entity_id=location.legal_entity_id, user__is_active=True
        ).exists()
    ):
        raise ValidationError(
            {"owner": ValidationError(_("The owner must be an active staff member."), code="invalid_owner")}
        )


@transaction.atomic
def complaint_create(
    *,
    actor: Any,
    location: Any,
    description: str,
    party: Any = None,
    visit: Visit | None = None,
    owner: Any = None,
    deadline: datetime.date | None = None,
) -> Complaint:
    from frontoffice.parties.models import Party

    require_perm(actor, "reception.add_complaint")
    check_location(actor, location)
    if party is not None and not visible_to(Party.objects.all(), actor).filter(pk=party.pk).exists():
        raise ValidationError(
            {"party": ValidationError(_("Choose a customer you can see."), code="unknown_party")}
        )
    if visit is not None:
        visit = visible_to(Visit.objects.all(), actor).filter(pk=visit.pk, location=location).first()
        if visit is None:
            raise ValidationError(
                {"visit": ValidationError(_("Choose a visit at this location."), code="unknown_visit")}
            )
        party = party or visit.party
    _check_owner(owner, location)
    complaint = Complaint(
        location=location,
        party=party,
        visit=visit,
        description=(description or "").strip(),
        owner=owner,
        deadline=deadline,
        status=Complaint.Status.IN_PROGRESS if owner else Complaint.Status.OPEN,
        created_by=actor,
    )
    complaint.full_clean(exclude=["party", "visit", "owner"])
    complaint.save()
    audit_record(
        actor=actor,
        action="reception.complaint.created",
        obj=complaint,
        changes={"owner": [None, getattr(owner, "pk", None)], "deadline": [None, str(deadline or "")]},
    )
    return complaint


def _locked(actor: Any, complaint: Complaint) -> Complaint:
    found = (
        visible_to(Complaint.objects.select_for_update(of=("self",)), actor).filter(pk=complaint.pk).first()
    )
    if found is None:
        raise PermissionDenied(_("You cannot change this complaint."))
    return Complaint.objects.select_related("location").get(pk=found.pk)


@transaction.atomic
def complaint_update(*, actor: Any, complaint: Complaint, **changes: Any) -> Complaint:
    """Assign the owner, set the deadline, mark in progress (not resolve: ``complaint_resolve``)."""
    require_perm(actor, "reception.change_complaint")
    row = _locked(actor, complaint)
    if row.status == Complaint.Status.RESOLVED:
        raise ValidationError(_("This complaint is resolved."), code="resolved")
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown complaint fields: {sorted(unknown)}")
    if changes.get("status") == Complaint.Status.RESOLVED:
        raise ValidationError(
            {"status": ValidationError(_("Resolve it with a resolution."), code="use_resolve")}
        )
    before = snapshot(row, FIELDS)
    if "owner" in changes:
        _check_owner(changes["owner"], row.location)
    for name, value in changes.items():
        setattr(row, name, value)
    if row.owner_id and row.status == Complaint.Status.OPEN and "status" not in changes:
        row.status = Complaint.Status.IN_PROGRESS
    row.full_clean(exclude=["party", "visit", "owner"])
    row.save()
    audit_record(
        actor=actor,
        action="reception.complaint.changed",
        obj=row,
        changes=diff(before, snapshot(row, FIELDS)),
    )
    return row


@transaction.atomic
def complaint_resolve(*, actor: Any, complaint: Complaint, resolution: str) -> Complaint:
    require_perm(actor, "reception.change_complaint")
    row = _locked(actor, complaint)
    if row.status == Complaint.Status.RESOLVED:
        raise ValidationError(_("This complaint is resolved."), code="resolved")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": ValidationError(_("Say how it was resolved."), code="required")})
    row.status = Complaint.Status.RESOLVED
    row.resolution = resolution
    row.resolved_at = timezone.now()
    row.resolved_by = actor
    row.save(update_fields=["status", "resolution", "resolved_at", "resolved_by", "updated_at"])
    audit_record(
        actor=actor, action="reception.complaint.resolved", obj=row, changes={"status": [None, "resolved"]}
    )
    return row
