"""Lead intake: one service for every channel (staff UI, public web form, API, import).

``lead_create`` cleans the submitted contact data, routes the lead (region by rule, owner by
round-robin), links it to a matching existing customer or creates a prospect customer, flags
possible duplicates, starts the first-contact clock and writes the history.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import ScopeLevel, user_scope
from frontoffice.leads.models import Lead, LeadEvent, LeadSource
from frontoffice.leads.services import routing
from frontoffice.leads.services.common import (
    DUPLICATE_SUBMISSION_MINUTES,
    clean_contact,
    event,
    first_contact_due,
    lead_search_text,
    submission_key,
)
from frontoffice.leads.services.high_value import high_value_refusal

CHANNEL_PARTY_SOURCE = {
    Lead.Channel.WEB_FORM: "web",
    Lead.Channel.IMPORT: "import",
    Lead.Channel.API: "api",
    Lead.Channel.UI: "other",
}


def _staff_of(user: Any) -> Any:
    from frontoffice.org.models import Staff

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Staff.objects.filter(user_id=user.pk, active=True).first()


def find_matches(*, legal_entity_id: int, data: dict[str, str]) -> tuple[int | None, list[int]]:
    """(party to link to, other possible duplicates) among the legal entity's active customers.

    A shared e-mail or organisation number is a match (the lead is linked to that customer);
    a shared phone number or the same company name is only flagged for a person to review.
    """
    from frontoffice.parties.models import Party

    strong = models.Q()
    if data.get("email"):
        strong |= models.Q(email=data["email"])
    if data.get("organisation_number"):
        strong |= models.Q(organisation_number=data["organisation_number"])
    weak = models.Q()
    if data.get("phone"):
        weak |= models.Q(phone=data["phone"])
    if data.get("company"):
        weak |= models.Q(organisation_name__iexact=data["company"])
    q = strong | weak
    if not q:
        return None, []
    rows = list(
        Party.objects.active()
        .filter(legal_entity_id=legal_entity_id, erased_at__isnull=True)
        .filter(q)
        .order_by("id")
        .values_list("id", "email", "organisation_number")[:10]
    )
    link = next(
        (
            pk
            for pk, email, orgnr in rows
            if (data.get("email") and email == data["email"])
            or (data.get("organisation_number") and orgnr == data["organisation_number"])
        ),
        None,
    )
    return link, [pk for pk, _e, _o in rows if pk != link]


def prospect_fields(data: dict[str, str]) -> dict[str, Any]:
    """Party fields of a prospect made from submitted contact data."""
    name = data.get("contact_name", "")
    first, _sep, last = name.partition(" ")
    fields: dict[str, Any] = {
        "email": data.get("email", ""),
        "phone": data.get("phone", ""),
        "organisation_number": data.get("organisation_number", ""),
        "postal_code": data.get("postal_code", ""),
        "country": data.get("country") or "SE",
    }
    if data.get("company"):
        fields.update(kind="organisation", organisation_name=data["company"][:200])
    else:
        fields.update(kind="person", first_name=first[:100], last_name=last[:100])
    return fields


def prospect_values(
    data: dict[str, str], *, legal_entity_id: int, region_id: int | None, owner_id: int | None, source: str
) -> dict[str, Any]:
    """The field values (attnames) of a prospect ``Party`` made from cleaned contact data: the
    normalisation ``parties.services`` applies (contact data is already normalised by
    ``clean_contact``), without per-row queries so imports can insert in bulk."""
    from frontoffice.core.contact import search_key

    values = prospect_fields(data)
    values.update(legal_entity_id=legal_entity_id, region_id=region_id, owner_id=owner_id, source=source)
    if values["kind"] == "organisation":
        display = values["organisation_name"]
    else:
        display = f"{values['first_name']} {values['last_name']}".strip()
    values["display_name"] = display[:255]
    phone = values["phone"]
    digits = "".join(ch for ch in phone if ch.isdigit())
    national = "0" + digits[2:] if phone.startswith("+46") else ""
    values["search_text"] = search_key(
        " ".join(filter(None, [display, values["email"], digits, national, values["organisation_number"]]))
    )
    return values


def build_prospect(
    data: dict[str, str], *, legal_entity_id: int, region_id: int | None, owner_id: int | None, source: str
) -> Any:
    """An unsaved prospect ``Party`` for intake without a staff actor (web form)."""
    from frontoffice.parties.models import Party

    return Party(
        **prospect_values(
            data, legal_entity_id=legal_entity_id, region_id=region_id, owner_id=owner_id, source=source
        )
    )


def _create_party(actor: Any, data: dict[str, str], lead: Lead, channel: str) -> Any:
    source = CHANNEL_PARTY_SOURCE.get(channel, "other")
    if actor is not None and actor.has_perm("parties.add_party"):
        from frontoffice.parties.services import party_create

        try:
            return party_create(
                actor=actor,
                allow_duplicate=True,
                legal_entity_id=lead.legal_entity_id,
                region_id=lead.region_id,
                owner_id=lead.owner_id,
                source=source,
                **prospect_fields(data),
            )
        except ValidationError as exc:
            codes = {e.code for errs in getattr(exc, "error_dict", {}).values() for e in errs}
            if "out_of_scope" not in codes:
                raise
            # The lead was routed outside the actor's own scope: the prospect is still made,
            # for the rep it was routed to.
    party = build_prospect(
        data,
        legal_entity_id=lead.legal_entity_id,
        region_id=lead.region_id,
        owner_id=lead.owner_id,
        source=source,
    )
    party.full_clean(exclude=["search_text", "tags"])
    party.save()
    audit_record(
        actor=actor,
        action="parties.party.created",
        obj=party,
        changes={"display_name": [None, party.display_name], "source": [None, source]},
    )
    return party


def _check_region(region: Any, legal_entity_id: int) -> None:
    if region is not None and region.legal_entity_id != legal_entity_id:
        raise ValidationError(
            {
                "region": ValidationError(
                    _("This region belongs to another legal entity."), code="region_entity"
                )
            }
        )


def _check_owner(owner: Any, legal_entity_id: int) -> None:
    from frontoffice.org.models import Staff

    if owner is None:
        return
    if not Staff.objects.filter(user_id=owner.pk, legal_entity_id=legal_entity_id, active=True).exists():
        raise ValidationError(
            {
                "owner": ValidationError(
                    _("The owner must be an active staff member of the legal entity."), code="owner"
                )
            }
        )


def _lock_submission(legal_entity_id: int, key: str) -> None:
    """Serialise identical web-form submissions until commit: a double click sends two requests
    at once, and both would pass the duplicate check before either lead exists. PostgreSQL: a
    transaction-scoped advisory lock on the key, so the second request waits for the first to
    commit and then finds its lead. SQLite's IMMEDIATE transactions already serialise writers."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"leads.web_form:{legal_entity_id}:{key}"],
        )


def _existing_submission(legal_entity_id: int, key: str) -> Lead | None:
    since = timezone.now() - datetime.timedelta(minutes=DUPLICATE_SUBMISSION_MINUTES)
    return (
        Lead.objects.filter(legal_entity_id=legal_entity_id, submission_key=key, created_at__gte=since)
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def lead_create(
    *,
    actor: Any,
    data: dict[str, Any],
    channel: str = Lead.Channel.UI,
    source: LeadSource | None = None,
    legal_entity: Any = None,
    region: Any = None,
    owner: Any = None,
    idempotency_key: str = "",
    estimated_amount: Any = None,
) -> Lead:
    """Create a lead from submitted contact data.

    ``actor`` None is the public web form (the system). Staff need ``leads.add_lead``; naming
    another ``owner`` needs ``leads.assign_lead``. Raises ``ValidationError`` naming each bad
    field. A web-form submission with the same e-mail and message as one in the last
    ``DUPLICATE_SUBMISSION_MINUTES`` returns that lead instead of creating a second one; an
    API call with an ``idempotency_key`` already used by the actor returns the first lead.
    Above the legal entity's high-value threshold (``estimated_amount``) a hand-chosen owner
    without the required certificate is refused (``certificate_required``); a lead routed or
    kept by its finder stays unassigned in the region's pool instead.
    """
    require_perm(actor, "leads.add_lead", system=channel == Lead.Channel.WEB_FORM)
    if owner is not None and actor is not None and owner.pk != actor.pk:
        require_perm(actor, "leads.assign_lead")
    if idempotency_key and actor is not None:
        previous = Lead.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
        if previous is not None:
            return previous
    staff = _staff_of(actor)
    if source is not None:
        legal_entity_id = source.legal_entity_id
    elif legal_entity is not None:
        legal_entity_id = getattr(legal_entity, "pk", legal_entity)
    elif staff is not None:
        legal_entity_id = staff.legal_entity_id
    else:
        raise ValidationError({"legal_entity": ValidationError(_("Choose a legal entity."), code="required")})
    if (
        actor is not None
        and not user_scope(actor).everything
        and (staff is None or staff.legal_entity_id != legal_entity_id)
    ):
        raise PermissionDenied(_("You can only work in your own legal entity."))
    if source is not None and not source.active:
        raise ValidationError(
            {"source": ValidationError(_("This lead source is not active."), code="inactive")}
        )

    cleaned = clean_contact(data)
    if cleaned.errors:
        raise ValidationError(
            {name: ValidationError(message, code="invalid") for name, message in cleaned.errors.items()}
        )
    values = cleaned.data
    key = ""
    if channel == Lead.Channel.WEB_FORM and values["email"]:
        key = submission_key(values["email"], values["message"])
        _lock_submission(legal_entity_id, key)
        previous = _existing_submission(legal_entity_id, key)
        if previous is not None:
            return previous

    _check_region(region, legal_entity_id)
    _check_owner(owner, legal_entity_id)
    region_id = getattr(region, "pk", None)
    owner_id = getattr(owner, "pk", None)
    own_level = actor is not None and user_scope(actor).level == ScopeLevel.OWN
    if own_level and owner_id is None and region_id is None:
        # A rep who finds a lead keeps it, in their home region.
        owner_id, region_id = actor.pk, staff.home_region_id if staff else None
    if region_id is None:
        region_id = routing.match_region(
            routing.load_rules(legal_entity_id),
            postal_code=values["postal_code"],
            country=values["country"],
            industry=values["industry"],
        )
    if owner_id is None and region_id is not None:
        owner_id = routing.next_owner(region_id)
    if owner_id is not None and estimated_amount is not None:
        from frontoffice.org.models import User

        refusal = high_value_refusal(
            owner=owner or User.objects.get(pk=owner_id),
            legal_entity_id=legal_entity_id,
            amount=estimated_amount,
        )
        if refusal is not None and owner is not None:
            raise refusal
        if refusal is not None:
            owner_id = None  # waits in the region's pool for a rep holding the certificate

    now = timezone.now()
    lead = Lead(
        legal_entity_id=legal_entity_id,
        region_id=region_id,
        owner_id=owner_id,
        source=source,
        channel=channel,
        first_contact_due_at=first_contact_due(source, now),
        search_text=lead_search_text(values),
        submission_key=key,
        idempotency_key=idempotency_key[:100] if actor is not None else "",
        created_by=actor if actor is not None else None,
        estimated_amount=estimated_amount,
        **values,
    )
    link_id, duplicates = find_matches(legal_entity_id=legal_entity_id, data=values)
    if link_id is not None:
        lead.party_id = link_id
    else:
        lead.party = _create_party(actor, values, lead, channel)
        lead.created_party = True
    lead.possible_duplicates = duplicates
    lead.full_clean(exclude=["party", "search_text", "submission_key", "idempotency_key", "qualification"])
    try:
        with transaction.atomic():
            lead.save()
            # created_at (auto_now_add) is stamped at save; the clock started at ``now``, and
            # first_contact_due_at = created_at + the source's target must hold exactly.
            Lead.objects.filter(pk=lead.pk).update(created_at=now)
            lead.created_at = now
    except IntegrityError:
        if idempotency_key and actor is not None:
            previous = Lead.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
            if previous is not None:
                return previous
        raise
    event(lead, LeadEvent.Kind.CREATED, actor=actor, to_value=lead.get_channel_display())
    from frontoffice.leads.scoring import lead_score_apply

    lead_score_apply(lead)
    if owner_id is not None:
        from frontoffice.leads.services.common import user_label

        event(
            lead,
            LeadEvent.Kind.ASSIGNED,
            actor=actor,
            to_value=user_label(owner_id),
            reason=_("Chosen by hand") if owner is not None else _("Round-robin in the region"),
        )
    audit_record(
        actor=actor,
        action="leads.lead.created",
        obj=lead,
        changes={
            "channel": [None, lead.channel],
            "party": [None, lead.party_id],
            "region": [None, lead.region_id],
            "owner": [None, lead.owner_id],
            "linked_to_existing": [None, link_id is not None],
        },
    )
    return lead
