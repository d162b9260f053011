"""Write path for customers (parties) and interactions.

Invariants protected here:
- ``display_name`` and ``search_text`` are always derived from the name and contact fields;
- e-mail is lower-case, phone is E.164, a Swedish organisation number is NNNNNN-NNNN;
- a new party whose e-mail, phone or organisation number matches a visible party is refused
  with code ``duplicate`` unless the caller confirms (``allow_duplicate=True``);
- a merged party keeps no related rows: every relation moves to the surviving party, and the
  merged one stays, hidden, pointing at it (``merged_into``) for the audit trail;
- erasure anonymises personal data but keeps rows the law requires, as the registered
  personal-data handlers say;
- every change writes an audit entry; every write checks the actor's permission and scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record, diff, snapshot
from frontoffice.core.contact import normalise_email, normalise_phone, search_key
from frontoffice.core.permissions import require_perm
from frontoffice.core.registry import registry
from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.org.models import Location, Region, Staff
from frontoffice.org.validators import normalise_organisation_number
from frontoffice.parties.models import Interaction, Party, Tag

PARTY_FIELDS = [
    "kind",
    "first_name",
    "last_name",
    "organisation_name",
    "email",
    "phone",
    "organisation_number",
    "street",
    "postal_code",
    "city",
    "country",
    "language",
    "source",
    "owner",
    "region",
    "location",
    "legal_entity",
    "consent_data_processing",
    "consent_marketing",
    "notes",
]
AUDITED_FIELDS = [*PARTY_FIELDS, "tags"]


def _staff_of(actor: Any) -> Staff | None:
    return Staff.objects.filter(user_id=getattr(actor, "pk", None), active=True).first()


def party_find_duplicates(
    *,
    actor: Any,
    email: str = "",
    phone: str = "",
    organisation_number: str = "",
    exclude_id: int | None = None,
) -> models.QuerySet[Party]:
    """Visible active parties that share the e-mail, phone or organisation number."""
    q = models.Q()
    if email:
        q |= models.Q(email=email)
    if phone:
        q |= models.Q(phone=phone)
    if organisation_number:
        q |= models.Q(organisation_number=organisation_number)
    if not q:
        return Party.objects.none()
    qs = visible_to(Party.objects.active(), actor).filter(q)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("display_name")[:10]


def _clean_party(party: Party) -> None:
    """Normalise fields, derive display and search text, then run model validation."""
    errors: dict[str, list[ValidationError]] = {}
    party.email = normalise_email(party.email)
    party.first_name = party.first_name.strip()
    party.last_name = party.last_name.strip()
    party.organisation_name = party.organisation_name.strip()
    try:
        party.phone = normalise_phone(party.phone, party.country)
    except ValidationError as exc:
        errors["phone"] = [exc]
    if party.organisation_number:
        try:
            if party.country == "SE":
                party.organisation_number = normalise_organisation_number(party.organisation_number)
            else:
                party.organisation_number = party.organisation_number.strip()
        except ValidationError as exc:
            errors["organisation_number"] = [exc]
    if party.kind == Party.Kind.PERSON:
        if not (party.first_name or party.last_name):
            errors["last_name"] = [
                ValidationError(_("A person needs a first or last name."), code="required")
            ]
        party.display_name = f"{party.first_name} {party.last_name}".strip()
    else:
        if not party.organisation_name:
            errors["organisation_name"] = [
                ValidationError(_("An organisation needs a name."), code="required")
            ]
        party.display_name = party.organisation_name
    if party.location_id:
        location = Location.objects.only("region_id", "legal_entity_id").get(pk=party.location_id)
        if party.region_id and party.region_id != location.region_id:
            errors["location"] = [
                ValidationError(_("This location is not in the chosen region."), code="location_region")
            ]
        party.region_id = location.region_id
    if party.region_id:
        region = Region.objects.only("legal_entity_id").get(pk=party.region_id)
        if party.legal_entity_id and region.legal_entity_id != party.legal_entity_id:
            errors["region"] = [
                ValidationError(_("This region belongs to another legal entity."), code="region_entity")
            ]
        party.legal_entity_id = region.legal_entity_id
    if party.owner_id and party.legal_entity_id:
        owner_ok = Staff.objects.filter(
            user_id=party.owner_id, legal_entity_id=party.legal_entity_id
        ).exists()
        if not owner_ok:
            errors["owner"] = [
                ValidationError(
                    _("The owner must be a staff member of the customer's legal entity."), code="owner_entity"
                )
            ]
    digits = "".join(ch for ch in party.phone if ch.isdigit())
    national = "0" + digits[2:] if party.phone.startswith("+46") else ""
    party.search_text = search_key(
        " ".join(
            filter(
                None,
                [
                    party.display_name,
                    party.email,
                    digits,
                    national,
                    party.organisation_number,
                    party.city,
                ],
            )
        )
    )
    if errors:
        raise ValidationError(errors)
    party.full_clean(exclude=["search_text", "tags"])


def _check_in_scope(actor: Any, party: Party) -> None:
    """The party, as it would be saved, must lie inside the actor's scope."""
    scope = user_scope(actor)
    if scope.everything:
        return
    if scope.nothing:
        raise PermissionDenied(_("You have no staff profile with a role."))
    level = scope.level
    ok = {
        "legal_entity": party.legal_entity_id == scope.legal_entity_id,
        "region": party.legal_entity_id == scope.legal_entity_id and party.region_id in scope.region_ids,
        "location": party.legal_entity_id == scope.legal_entity_id
        and party.location_id in scope.location_ids,
        # A rep keeps customers in their own regions only, owned by them or unassigned.
        "own": party.legal_entity_id == scope.legal_entity_id
        and party.region_id in scope.region_ids
        and party.owner_id in (actor.pk, None),
    }.get(level, False)
    if not ok:
        raise ValidationError(
            {
                "location": ValidationError(
                    _(
                        "You can only keep customers inside your own scope (legal entity, region or location)."
                    ),
                    code="out_of_scope",
                )
            }
        )


def _apply_defaults_from_staff(actor: Any, party: Party) -> None:
    staff = _staff_of(actor)
    if staff is None:
        return
    if party.region_id or party.location_id:
        return  # the legal entity follows from the region or location
    if not party.legal_entity_id:
        party.legal_entity_id = staff.legal_entity_id
    if party.legal_entity_id == staff.legal_entity_id:
        party.location_id = staff.home_location_id
        party.region_id = staff.home_region_id


def _set_consent_dates(party: Party, before: dict[str, Any] | None) -> None:
    now = timezone.now()
    for flag in ("consent_data_processing", "consent_marketing"):
        was = bool(before and before.get(flag))
        if getattr(party, flag) and not was:
            setattr(party, f"{flag}_at", now)
        elif not getattr(party, flag):
            setattr(party, f"{flag}_at", None)


def _set_tags(party: Party, tags: Iterable[str] | None) -> None:
    if tags is None:
        return
    names = sorted({t.strip().lower()[:50] for t in tags if t and t.strip()})
    objs = [Tag.objects.get_or_create(name=name)[0] for name in names]
    party.tags.set(objs)


@transaction.atomic
def party_create(
    *, actor: Any, allow_duplicate: bool = False, tags: Iterable[str] | None = None, **fields: Any
) -> Party:
    """Create a customer in the actor's scope.

    Needs ``parties.add_party``. Raises ``ValidationError`` naming each bad field; code
    ``duplicate`` when an active visible party shares e-mail, phone or organisation number and
    ``allow_duplicate`` is false. Writes ``parties.party.created`` to the audit trail.
    """
    require_perm(actor, "parties.add_party")
    unknown = set(fields) - set(PARTY_FIELDS) - {"owner_id", "region_id", "location_id", "legal_entity_id"}
    if unknown:
        raise TypeError(f"Unknown party fields: {sorted(unknown)}")
    party = Party(**fields)
    _apply_defaults_from_staff(actor, party)
    if party.owner_id is None and user_scope(actor).level == "own":
        party.owner_id = actor.pk
    _clean_party(party)
    _check_in_scope(actor, party)
    if not allow_duplicate:
        dupes = list(
            party_find_duplicates(
                actor=actor,
                email=party.email,
                phone=party.phone,
                organisation_number=party.organisation_number,
            )
        )
        if dupes:
            raise ValidationError(
                _("A customer with the same e-mail, phone or organisation number already exists: %(names)s."),
                code="duplicate",
                params={"names": ", ".join(d.display_name for d in dupes), "ids": [d.pk for d in dupes]},
            )
    _set_consent_dates(party, None)
    party.created_by = actor if actor.is_authenticated else None
    party.save()
    _set_tags(party, tags)
    after = snapshot(party, AUDITED_FIELDS)
    audit_record(
        actor=actor,
        action="parties.party.created",
        obj=party,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", [], False)},
    )
    return party


@transaction.atomic
def party_update(*, actor: Any, party: Party, tags: Iterable[str] | None = None, **fields: Any) -> Party:
    """Change a customer's fields. Needs ``parties.change_party`` and the party in scope."""
    require_perm(actor, "parties.change_party")
    party = visible_to(Party.objects.select_for_update(of=("self",)), actor).get(pk=party.pk)
    if party.is_erased or party.is_merged:
        raise ValidationError(
            _("This customer was erased or merged and can no longer be changed."), code="locked"
        )
    before = snapshot(party, AUDITED_FIELDS)
    for name, value in fields.items():
        if name not in PARTY_FIELDS and name not in {
            "owner_id",
            "region_id",
            "location_id",
            "legal_entity_id",
        }:
            raise TypeError(f"Unknown party field: {name}")
        setattr(party, name, value)
    _clean_party(party)
    _check_in_scope(actor, party)
    _set_consent_dates(party, before)
    party.save()
    _set_tags(party, tags)
    changes = diff(before, snapshot(party, AUDITED_FIELDS))
    if changes:
        audit_record(actor=actor, action="parties.party.updated", obj=party, changes=changes)
    return party


def _relations_to(model: type[models.Model]) -> list[models.ForeignObjectRel]:
    return [
        rel
        for rel in model._meta.related_objects
        if (rel.one_to_many or rel.one_to_one) and rel.related_model is not model
    ]


def _merge_conflicts(source: Party, target: Party) -> list[str]:
    """Records that cannot both belong to ``target``: rows of other apps whose uniqueness
    includes the customer (one billing profile per customer and legal entity, a one-to-one
    link), present on both sides with the same other values. Named for the error message."""
    conflicts = set()
    for rel in _relations_to(Party):
        model, name = rel.related_model, rel.field.name
        uniques = [
            tuple(c.fields)
            for c in model._meta.constraints
            if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None
        ]
        uniques += [tuple(u) for u in model._meta.unique_together]
        if rel.field.unique:
            uniques.append((name,))
        rows = model._base_manager
        for fields in uniques:
            if name not in fields:
                continue
            others = [f for f in fields if f != name]
            source_keys = {tuple(v) for v in rows.filter(**{name: source}).values_list(name, *others)}
            target_keys = {tuple(v) for v in rows.filter(**{name: target}).values_list(name, *others)}
            if {k[1:] for k in source_keys} & {k[1:] for k in target_keys}:
                conflicts.add(str(model._meta.verbose_name_plural))
    return sorted(conflicts)


@transaction.atomic
def party_merge(*, actor: Any, source: Party, target: Party) -> Party:
    """Merge ``source`` into ``target``: every related record moves to ``target``.

    Needs ``parties.merge_party`` and both parties in scope. Fields empty on ``target`` are
    filled from ``source``; tags are united. ``source`` stays as a hidden record pointing at
    ``target``. Both get an audit entry listing what moved.
    """
    require_perm(actor, "parties.merge_party")
    if source.pk == target.pk:
        raise ValidationError(_("A customer cannot be merged into itself."), code="merge_self")
    locked = {
        p.pk: p
        for p in visible_to(Party.objects.select_for_update(of=("self",)), actor).filter(
            pk__in=[source.pk, target.pk]
        )
    }
    if len(locked) != 2:
        raise PermissionDenied(_("Both customers must be inside your scope."))
    source, target = locked[source.pk], locked[target.pk]
    for party in (source, target):
        if party.is_merged or party.is_erased:
            raise ValidationError(
                _("%(name)s was already merged or erased.") % {"name": party.display_name},
                code="merge_locked",
            )
    conflicts = _merge_conflicts(source, target)
    if conflicts:
        raise ValidationError(
            _(
                "Both customers have %(records)s that cannot be combined. Resolve them on one of the "
                "customers first, then merge."
            )
            % {"records": ", ".join(conflicts)},
            code="merge_conflict",
        )
    before_target = snapshot(target, AUDITED_FIELDS)
    moved: dict[str, int] = {}
    for rel in _relations_to(Party):
        count = rel.related_model._base_manager.filter(**{rel.field.name: source}).update(
            **{rel.field.name: target}
        )
        if count:
            moved[f"{rel.related_model._meta.label}.{rel.field.name}"] = count
    # Generic relations (e.g. interactions concerning the party).
    party_ct = ContentType.objects.get_for_model(Party)
    count = Interaction.objects.filter(concerns_type=party_ct, concerns_id=str(source.pk)).update(
        concerns_id=str(target.pk)
    )
    if count:
        moved["parties.Interaction.concerns"] = count
    for name in [
        "first_name",
        "last_name",
        "organisation_name",
        "email",
        "phone",
        "organisation_number",
        "street",
        "postal_code",
        "city",
        "notes",
    ]:
        if not getattr(target, name) and getattr(source, name):
            setattr(target, name, getattr(source, name))
    for flag in ("consent_data_processing", "consent_marketing"):
        if getattr(source, flag) and not getattr(target, flag):
            setattr(target, flag, True)
            setattr(target, f"{flag}_at", getattr(source, f"{flag}_at"))
    if target.owner_id is None:
        target.owner_id = source.owner_id
    target.tags.add(*source.tags.all())
    _clean_party(target)
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    changes = diff(before_target, snapshot(target, AUDITED_FIELDS))
    audit_record(
        actor=actor,
        action="parties.party.merged_in",
        obj=target,
        changes={
            **changes,
            "merged_from": [None, f"{source.display_name} (#{source.pk})"],
            "moved": [None, moved],
        },
    )
    audit_record(
        actor=actor,
        action="parties.party.merged_away",
        obj=source,
        changes={
            "merged_into": [None, f"{target.display_name} (#{target.pk})"],
            "moved": [None, moved],
        },
    )
    return target


def party_export_personal_data(*, actor: Any, party: Party) -> dict[str, Any]:
    """Everything held about a party, as JSON-able data (GDPR art. 15 and 20).

    Needs ``parties.export_personal_data``; the export itself is audited.
    """
    require_perm(actor, "parties.export_personal_data")
    party = visible_to(Party.objects.all(), actor).get(pk=party.pk)
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "party": {
            "id": party.pk,
            **dict(snapshot(party, AUDITED_FIELDS).items()),
            "consent_data_processing_at": party.consent_data_processing_at.isoformat()
            if party.consent_data_processing_at
            else None,
            "consent_marketing_at": party.consent_marketing_at.isoformat()
            if party.consent_marketing_at
            else None,
            "created_at": party.created_at.isoformat(),
        },
    }
    for handler in registry.personal_data:
        data[handler.key] = handler.export(party)
    with transaction.atomic():
        audit_record(actor=actor, action="parties.party.personal_data_exported", obj=party)
    return data


def party_erasure_plan(*, party: Party) -> list[dict[str, Any]]:
    """What erasure does per kind of record: anonymised, or kept (with the legal reason)."""
    plan = []
    for handler in registry.personal_data:
        plan.append(
            {
                "key": handler.key,
                "label": handler.label,
                "count": handler.count(party) if handler.count else None,
                "kept_reason": handler.kept_reason,
            }
        )
    return plan


@transaction.atomic
def party_erase(*, actor: Any, party: Party) -> Party:
    """Anonymise a party (GDPR art. 17) while keeping records the law requires.

    Needs ``parties.erase_party``. Names, contact data, address, notes and tags are removed;
    each registered handler anonymises or keeps its own records. Irreversible; audited.
    """
    require_perm(actor, "parties.erase_party")
    party = visible_to(Party.objects.select_for_update(of=("self",)), actor).get(pk=party.pk)
    if party.is_erased:
        raise ValidationError(_("This customer has already been erased."), code="already_erased")
    for handler in registry.personal_data:
        handler.erase(party, actor)
    party.first_name = ""
    party.last_name = ""
    party.organisation_name = ""
    party.display_name = _("Erased customer #%(id)s") % {"id": party.pk}
    party.email = ""
    party.phone = ""
    party.organisation_number = ""
    party.street = ""
    party.postal_code = ""
    party.city = ""
    party.notes = ""
    party.consent_marketing = False
    party.consent_marketing_at = None
    party.search_text = ""
    party.erased_at = timezone.now()
    party.save()
    party.tags.clear()
    # The audit trail keeps that erasure happened, not the erased values.
    audit_record(actor=actor, action="parties.party.erased", obj=party)
    return party


# ---------------------------------------------------------------- interactions


@transaction.atomic
def interaction_record(
    *,
    actor: Any,
    party: Party,
    kind: str,
    channel: str,
    subject: str,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    direction: str = Interaction.Direction.INBOUND,
    outcome: str = "",
    staff: Staff | None = None,
    concerns: models.Model | None = None,
    check_permission: bool = True,
) -> Interaction:
    """Record one customer-facing contact; the service every desk calls.

    ``staff`` defaults to the actor's staff profile; scope fields are copied from the staff
    member (location, region) and the party (legal entity). Needs
    ``parties.add_interaction`` unless a system process records it (``check_permission=False``).
    """
    if check_permission:
        require_perm(actor, "parties.add_interaction")
        party = visible_to(Party.objects.all(), actor).get(pk=party.pk)
    if party.is_merged or party.is_erased:
        raise ValidationError(
            _("Interactions cannot be added to a merged or erased customer."), code="locked"
        )
    if staff is None and actor is not None and actor.is_authenticated:
        staff = _staff_of(actor)
    interaction = Interaction(
        party=party,
        staff=staff,
        kind=kind,
        channel=channel,
        direction=direction,
        subject=subject.strip(),
        outcome=outcome.strip(),
        started_at=started_at or timezone.now(),
        ended_at=ended_at,
        legal_entity_id=party.legal_entity_id,
        region_id=(staff.home_region_id if staff and staff.home_region_id else party.region_id),
        location_id=(staff.home_location_id if staff and staff.home_location_id else party.location_id),
        owner_id=staff.user_id if staff else None,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if concerns is not None:
        interaction.concerns_type = ContentType.objects.get_for_model(concerns)
        interaction.concerns_id = str(concerns.pk)
    if interaction.ended_at and interaction.ended_at < interaction.started_at:
        raise ValidationError(
            {"ended_at": ValidationError(_("The end must be after the start."), code="ends_before_start")}
        )
    # Field rules (kinds, channels, lengths) only: the related rows were just read (the database
    # keeps the foreign keys) and the one check constraint (end after start) is checked above.
    # Every desk records an interaction inside its own write (a check-in, a call): seven
    # existence queries and a constraint query each time would double the cost of a check-in.
    interaction.full_clean(
        exclude=[
            "concerns_type",
            "concerns_id",
            "party",
            "staff",
            "legal_entity",
            "region",
            "location",
            "owner",
            "created_by",
        ],
        validate_constraints=False,
    )
    interaction.save()
    audit_record(
        actor=actor,
        action="parties.interaction.recorded",
        obj=interaction,
        changes={
            "party": [None, party.display_name],
            "kind": [None, kind],
            "subject": [None, interaction.subject],
        },
    )
    return interaction


def interaction_reassign(
    *, actor: Any, interaction: Interaction, staff: Staff | None, check_permission: bool = True
) -> Interaction:
    """Attribute ``interaction`` to another staff member (a question handed to a colleague), so
    measures count it for the person who now handles it. Scope fields follow the staff member,
    as in ``interaction_record``. Needs ``parties.change_interaction`` unless the calling
    service has checked its own rule (``check_permission=False``)."""
    with transaction.atomic():
        if check_permission:
            require_perm(actor, "parties.change_interaction")
            interaction = visible_to(Interaction.objects.all(), actor).get(pk=interaction.pk)
        interaction = (
            Interaction.objects.select_for_update(of=("self",))
            .select_related("party", "staff")
            .get(pk=interaction.pk)
        )
        if interaction.staff_id == (staff.pk if staff else None):
            return interaction
        before = str(interaction.staff) if interaction.staff_id else None
        party = interaction.party
        interaction.staff = staff
        interaction.region_id = staff.home_region_id if staff and staff.home_region_id else party.region_id
        interaction.location_id = (
            staff.home_location_id if staff and staff.home_location_id else party.location_id
        )
        interaction.owner_id = staff.user_id if staff else None
        interaction.save(update_fields=["staff", "region", "location", "owner", "updated_at"])
        audit_record(
            actor=actor,
            action="parties.interaction.reassigned",
            obj=interaction,
            changes={"staff": [before, str(staff) if staff else None]},
        )
    return interaction
