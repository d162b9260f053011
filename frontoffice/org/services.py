"""Write path for the organisation tree, staff, roles, invitations and API tokens.

Invariants protected here:
- every settings write needs ``org.manage_settings`` and stays inside the actor's scope: units
  the actor cannot see are refused, and only an organisation-wide administrator creates legal
  entities or edits roles (a role is shared by the whole organisation);
- nobody hands out more reach than they have: a role's scope may not exceed the actor's own;
- a legal entity's organisation number is a valid Swedish one, stored as NNNNNN-NNNN;
- a staff member's units (home region and location, managed regions and locations, team) all
  belong to their legal entity, the home location lies in the home region, and the supervisor
  chain has no cycles;
- the administrator role keeps ``org.manage_settings``, so nobody locks the organisation out;
- invitation and API tokens are stored only as SHA-256 hashes; the raw value is shown once;
- every change writes one audit entry with the before/after values of the changed fields.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from frontoffice.core.audit import audit_created, audit_record, diff, snapshot
from frontoffice.core.scoping import ScopeLevel, forget_scope, user_scope, visible_to
from frontoffice.core.tasks import email_enqueue
from frontoffice.org.hours import normalise_opening_hours
from frontoffice.org.models import (
    ApiToken,
    Invitation,
    LegalEntity,
    Location,
    Organisation,
    Region,
    Role,
    Staff,
    Team,
    User,
)
from frontoffice.org.validators import normalise_organisation_number, normalise_vat_number

TOKEN_PREFIX = "fo_"  # noqa: S105 - a public prefix, not a secret
INVITATION_VALID_FOR = timedelta(days=7)
MANAGE_SETTINGS = "org.manage_settings"
ADMINISTRATOR_ROLE = "administrator"
# Called as hook(actor=, staff=) after a staff member is created (training: role curriculum).
STAFF_CREATED_HOOKS: list[Any] = []
# Called as hook(actor=, staff=, old_role_id=) after staff_update changed a person's role.
STAFF_ROLE_CHANGED_HOOKS: list[Any] = []

LEGAL_ENTITY_FIELDS = [
    "name",
    "organisation_number",
    "vat_number",
    "base_currency",
    "country",
    "default_language",
]
REGION_FIELDS = ["legal_entity", "name", "code"]
LOCATION_FIELDS = [
    "region",
    "legal_entity",
    "name",
    "kind",
    "street",
    "postal_code",
    "city",
    "country",
    "time_zone",
    "opening_hours",
]
TEAM_FIELDS = ["location", "name", "lead"]
STAFF_FIELDS = [
    "role",
    "title",
    "supervisor",
    "home_region",
    "home_location",
    "team",
    "regions",
    "locations",
    "phone",
    "active",
]
ROLE_FIELDS = ["name", "description", "scope"]
_SCOPE_RANK = {
    ScopeLevel.OWN: 1,
    ScopeLevel.LOCATION: 2,
    ScopeLevel.REGION: 3,
    ScopeLevel.LEGAL_ENTITY: 4,
    ScopeLevel.ORGANISATION: 5,
}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- shared checks -----------------------------------------------------------------------------


def _require_settings(actor: Any) -> None:
    if not actor.has_perm(MANAGE_SETTINGS):
        raise PermissionDenied(_("You do not have permission to manage organisation settings."))


def _require_organisation_wide(actor: Any) -> None:
    if not user_scope(actor).everything:
        raise PermissionDenied(_("Only an administrator of the whole organisation can do this."))


class _Errors:
    """Collects field errors so one ValidationError names every broken field at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: Any, code: str, params: dict[str, Any] | None = None) -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    def merge(self, exc: ValidationError, field: str = NON_FIELD_ERRORS) -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                self.errors.setdefault(name, []).extend(errors)
        else:
            self.errors.setdefault(field, []).extend(exc.error_list)

    def full_clean(self, instance: models.Model, exclude: Iterable[str] = ()) -> None:
        """Model validation of the fields without an error yet; then raise if anything failed."""
        try:
            instance.full_clean(exclude=[*self.errors, *exclude])
        except ValidationError as exc:
            self.merge(exc)
        self.raise_if_any()

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _visible(model: type[models.Model], actor: Any, obj: models.Model | None) -> bool:
    return obj is None or visible_to(model.objects.all(), actor).filter(pk=obj.pk).exists()


def _check_in_scope(errors: _Errors, actor: Any, field: str, objs: Iterable[models.Model | None]) -> None:
    for obj in objs:
        if obj is not None and not _visible(type(obj), actor, obj):
            errors.add(field, _("%(unit)s is outside your scope."), "out_of_scope", {"unit": str(obj)})
            return


def _assign(instance: models.Model, data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__} cannot update {sorted(unknown)}")
    for name, value in data.items():
        setattr(instance, name, value)


def _audit_update(
    *, actor: Any, action: str, obj: models.Model, before: dict[str, Any], fields: list[str]
) -> None:
    changes = diff(before, snapshot(obj, fields))
    if changes:
        audit_record(actor=actor, action=action, obj=obj, changes=changes)


def _forget(user: Any) -> None:
    """Drop cached scope and permissions so the next check sees the new role and units."""
    forget_scope(user)
    for attr in ("_role_perm_cache", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def _check_role_reach(errors: _Errors, actor: Any, role: Role | None, field: str = "role") -> None:
    """A role may not see further than the actor who hands it out."""
    if role is None:
        return
    scope = user_scope(actor)
    if scope.everything:
        return
    if _SCOPE_RANK.get(role.scope, 99) > _SCOPE_RANK.get(scope.level, 0):
        errors.add(field, _("You cannot give a role that sees further than your own."), "role_scope")


# --- legal entities ----------------------------------------------------------------------------


def _clean_legal_entity(entity: LegalEntity) -> None:
    errors = _Errors()
    entity.name = entity.name.strip()
    try:
        entity.organisation_number = normalise_organisation_number(entity.organisation_number)
    except ValidationError as exc:
        errors.merge(exc, "organisation_number")
    if entity.vat_number:
        try:
            entity.vat_number = normalise_vat_number(entity.vat_number)
        except ValidationError as exc:
            errors.merge(exc, "vat_number")
    entity.base_currency = (entity.base_currency or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", entity.base_currency):
        errors.add("base_currency", _("Enter a three-letter ISO currency code, e.g. SEK."), "currency_format")
    entity.country = (entity.country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", entity.country):
        errors.add("country", _("Enter a two-letter ISO country code, e.g. SE."), "country_format")
    errors.full_clean(entity, exclude=["organisation"])


def _organisation_of(actor: Any) -> Organisation:
    staff = Staff.objects.select_related("legal_entity__organisation").filter(user_id=actor.pk).first()
    if staff is not None:
        return staff.legal_entity.organisation
    organisation = Organisation.objects.order_by("pk").first()
    if organisation is None:
        raise ValidationError(_("Create the organisation first."), code="no_organisation")
    return organisation


@transaction.atomic
def legal_entity_create(
    *,
    actor: Any,
    name: str,
    organisation_number: str,
    vat_number: str = "",
    base_currency: str = "SEK",
    country: str = "SE",
    default_language: str = "sv",
) -> LegalEntity:
    """Add a legal entity to the actor's organisation (organisation-wide administrators only)."""
    _require_settings(actor)
    _require_organisation_wide(actor)
    entity = LegalEntity(
        organisation=_organisation_of(actor),
        name=name,
        organisation_number=organisation_number,
        vat_number=vat_number,
        base_currency=base_currency,
        country=country,
        default_language=default_language,
    )
    _clean_legal_entity(entity)
    entity.save()
    audit_created(actor=actor, obj=entity, fields=LEGAL_ENTITY_FIELDS, action="org.legal_entity.created")
    return entity


@transaction.atomic
def legal_entity_update(*, actor: Any, legal_entity: LegalEntity, data: dict[str, Any]) -> LegalEntity:
    """Change a legal entity within the actor's scope; ``data`` holds the changed fields."""
    _require_settings(actor)
    if not _visible(LegalEntity, actor, legal_entity):
        raise PermissionDenied(_("This legal entity is outside your scope."))
    before = snapshot(legal_entity, LEGAL_ENTITY_FIELDS)
    _assign(legal_entity, data, LEGAL_ENTITY_FIELDS)
    _clean_legal_entity(legal_entity)
    legal_entity.save(update_fields=[*LEGAL_ENTITY_FIELDS, "updated_at"])
    _audit_update(
        actor=actor,
        action="org.legal_entity.updated",
        obj=legal_entity,
        before=before,
        fields=LEGAL_ENTITY_FIELDS,
    )
    return legal_entity


# --- regions -----------------------------------------------------------------------------------


def _clean_region(actor: Any, region: Region) -> None:
    errors = _Errors()
    region.name = region.name.strip()
    region.code = slugify(region.code or region.name)[:40]
    _check_in_scope(errors, actor, "legal_entity", [region.legal_entity])
    if (
        region.legal_entity_id
        and Region.objects.filter(legal_entity_id=region.legal_entity_id, code=region.code)
        .exclude(pk=region.pk)
        .exists()
    ):
        errors.add("code", _("Another region of this legal entity has this code."), "duplicate_code")
    errors.full_clean(region, exclude=["code"] if "code" in errors.errors else ())


@transaction.atomic
def region_create(*, actor: Any, legal_entity: LegalEntity, name: str, code: str = "") -> Region:
    """Add a region to a legal entity in the actor's scope; the code defaults to the name's slug."""
    _require_settings(actor)
    region = Region(legal_entity=legal_entity, name=name, code=code)
    _clean_region(actor, region)
    region.save()
    audit_created(actor=actor, obj=region, fields=REGION_FIELDS, action="org.region.created")
    return region


@transaction.atomic
def region_update(*, actor: Any, region: Region, data: dict[str, Any]) -> Region:
    """Rename a region or change its code (it stays in its legal entity)."""
    _require_settings(actor)
    if not _visible(Region, actor, region):
        raise PermissionDenied(_("This region is outside your scope."))
    before = snapshot(region, REGION_FIELDS)
    _assign(region, data, ["name", "code"])
    _clean_region(actor, region)
    region.save(update_fields=["name", "code", "updated_at"])
    _audit_update(actor=actor, action="org.region.updated", obj=region, before=before, fields=REGION_FIELDS)
    return region


# --- locations ---------------------------------------------------------------------------------


def _clean_location(actor: Any, location: Location, *, old_entity_id: int | None = None) -> None:
    errors = _Errors()
    location.name = location.name.strip()
    location.country = (location.country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", location.country):
        errors.add("country", _("Enter a two-letter ISO country code, e.g. SE."), "country_format")
    try:
        location.opening_hours = normalise_opening_hours(location.opening_hours)
    except ValidationError as exc:
        errors.merge(exc, "opening_hours")
    if location.region_id:
        _check_in_scope(errors, actor, "region", [location.region])
        location.legal_entity_id = location.region.legal_entity_id
        if old_entity_id is not None and location.legal_entity_id != old_entity_id:
            errors.add(
                "region",
                _("A location cannot move to a region of another legal entity."),
                "region_entity",
            )
    errors.full_clean(location)


@transaction.atomic
def location_create(
    *,
    actor: Any,
    region: Region,
    name: str,
    kind: str = Location.Kind.OFFICE,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "SE",
    time_zone: str = "Europe/Stockholm",
    opening_hours: dict[str, Any] | None = None,
) -> Location:
    """Add a location to a region in the actor's scope; its legal entity is the region's."""
    _require_settings(actor)
    location = Location(
        region=region,
        legal_entity_id=region.legal_entity_id,
        name=name,
        kind=kind,
        street=street,
        postal_code=postal_code,
        city=city,
        country=country,
        time_zone=time_zone,
        opening_hours=opening_hours or {},
    )
    _clean_location(actor, location)
    location.save()
    audit_created(actor=actor, obj=location, fields=LOCATION_FIELDS, action="org.location.created")
    return location


@transaction.atomic
def location_update(*, actor: Any, location: Location, data: dict[str, Any]) -> Location:
    """Change a location; it may move to another region of the same legal entity only."""
    _require_settings(actor)
    if not _visible(Location, actor, location):
        raise PermissionDenied(_("This location is outside your scope."))
    with contextlib.suppress(ValidationError):
        # Compare with the stored hours in their normal form, so re-saving alone changes nothing.
        location.opening_hours = normalise_opening_hours(location.opening_hours)
    before = snapshot(location, LOCATION_FIELDS)
    old_entity_id = location.legal_entity_id
    _assign(location, data, [f for f in LOCATION_FIELDS if f != "legal_entity"])
    _clean_location(actor, location, old_entity_id=old_entity_id)
    location.save(update_fields=[*LOCATION_FIELDS, "updated_at"])
    _audit_update(
        actor=actor, action="org.location.updated", obj=location, before=before, fields=LOCATION_FIELDS
    )
    return location


# --- teams -------------------------------------------------------------------------------------


def _clean_team(actor: Any, team: Team) -> None:
    errors = _Errors()
    team.name = team.name.strip()
    if team.location_id:
        _check_in_scope(errors, actor, "location", [team.location])
    if team.lead_id and team.location_id and team.lead.legal_entity_id != team.location.legal_entity_id:
        errors.add("lead", _("The team lead must work for the team's legal entity."), "unit_entity")
    errors.full_clean(team)


@transaction.atomic
def team_create(*, actor: Any, location: Location, name: str, lead: Staff | None = None) -> Team:
    """Add a team to a location in the actor's scope."""
    _require_settings(actor)
    team = Team(location=location, name=name, lead=lead)
    _clean_team(actor, team)
    team.save()
    audit_created(actor=actor, obj=team, fields=TEAM_FIELDS, action="org.team.created")
    return team


@transaction.atomic
def team_update(*, actor: Any, team: Team, data: dict[str, Any]) -> Team:
    """Rename a team, move it to another location in scope or change its lead."""
    _require_settings(actor)
    if not _visible(Team, actor, team):
        raise PermissionDenied(_("This team is outside your scope."))
    before = snapshot(team, TEAM_FIELDS)
    _assign(team, data, TEAM_FIELDS)
    _clean_team(actor, team)
    team.save(update_fields=[*TEAM_FIELDS, "updated_at"])
    _audit_update(actor=actor, action="org.team.updated", obj=team, before=before, fields=TEAM_FIELDS)
    return team


# --- staff -------------------------------------------------------------------------------------


def _check_staff(
    errors: _Errors,
    actor: Any,
    staff: Staff,
    regions: list[Region],
    locations: list[Location],
    *,
    role_changed: bool = True,
) -> None:
    """Units belong to the staff member's legal entity and the actor's scope; no supervisor cycles."""
    entity_id = staff.legal_entity_id
    _check_in_scope(errors, actor, "legal_entity", [staff.legal_entity if entity_id else None])
    if staff.home_location_id and not staff.home_region_id:
        staff.home_region_id = staff.home_location.region_id
    wrong_entity = _("%(unit)s belongs to another legal entity.")
    if staff.home_region_id and staff.home_region.legal_entity_id != entity_id:
        errors.add("home_region", wrong_entity, "unit_entity", {"unit": str(staff.home_region)})
    if staff.home_location_id:
        if staff.home_location.legal_entity_id != entity_id:
            errors.add("home_location", wrong_entity, "unit_entity", {"unit": str(staff.home_location)})
        elif staff.home_location.region_id != staff.home_region_id:
            errors.add("home_location", _("The home location must be in the home region."), "location_region")
    if staff.team_id and staff.team.location.legal_entity_id != entity_id:
        errors.add("team", wrong_entity, "unit_entity", {"unit": str(staff.team)})
    for field, units in (("regions", regions), ("locations", locations)):
        for unit in units:
            if unit.legal_entity_id != entity_id:
                errors.add(field, wrong_entity, "unit_entity", {"unit": str(unit)})
                break
    for field, units in (
        ("home_region", [staff.home_region if staff.home_region_id else None]),
        ("home_location", [staff.home_location if staff.home_location_id else None]),
        ("team", [staff.team if staff.team_id else None]),
        ("regions", regions),
        ("locations", locations),
        ("supervisor", [staff.supervisor if staff.supervisor_id else None]),
    ):
        if field not in errors.errors:
            _check_in_scope(errors, actor, field, units)
    if staff.supervisor_id:
        if staff.pk and staff.supervisor_id == staff.pk:
            errors.add("supervisor", _("A person cannot be their own supervisor."), "supervisor_self")
        elif staff.pk and _supervises(staff.pk, staff.supervisor_id):
            errors.add(
                "supervisor",
                _("%(supervisor)s reports to this person, directly or indirectly."),
                "supervisor_cycle",
                {"supervisor": str(staff.supervisor)},
            )
    if staff.role_id and role_changed:
        _check_role_reach(errors, actor, staff.role)


def _supervises(staff_id: int, candidate_id: int) -> bool:
    """Whether ``staff_id`` appears in the supervisor chain above ``candidate_id``."""
    seen: set[int] = set()
    current: int | None = candidate_id
    while current is not None and current not in seen:
        seen.add(current)
        current = Staff.objects.filter(pk=current).values_list("supervisor_id", flat=True).first()
        if current == staff_id:
            return True
    return False


def _check_email_free(errors: _Errors, email: str, field: str = "email") -> None:
    if email and User.objects.filter(email__iexact=email).exists():
        errors.add(field, _("A user with this e-mail address already exists."), "duplicate_email")


@transaction.atomic
def staff_create(
    *,
    actor: Any,
    email: str,
    username: str,
    first_name: str,
    last_name: str,
    legal_entity: LegalEntity,
    role: Role,
    title: str = "",
    supervisor: Staff | None = None,
    home_region: Region | None = None,
    home_location: Location | None = None,
    team: Team | None = None,
    regions: Iterable[Region] = (),
    locations: Iterable[Location] = (),
    phone: str = "",
) -> Staff:
    """Create a user (without a password: they set it through password reset) and their profile."""
    _require_settings(actor)
    errors = _Errors()
    user = User(
        username=username.strip(),
        email=email.strip().lower(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        language=legal_entity.default_language if legal_entity else "en",
    )
    user.set_unusable_password()
    _check_email_free(errors, user.email)
    try:
        user.full_clean(exclude=["password", *errors.errors])
    except ValidationError as exc:
        errors.merge(exc)
    regions, locations = list(regions), list(locations)
    staff = Staff(
        legal_entity=legal_entity,
        role=role,
        title=title.strip(),
        supervisor=supervisor,
        home_region=home_region,
        home_location=home_location,
        team=team,
        phone=phone.strip(),
    )
    _check_staff(errors, actor, staff, regions, locations)
    errors.full_clean(staff, exclude=["user"])
    user.save()
    staff.user = user
    staff.save()
    staff.regions.set(regions)
    staff.locations.set(locations)
    audit_created(
        actor=actor, obj=staff, fields=["user", "legal_entity", *STAFF_FIELDS], action="org.staff.created"
    )
    for hook in STAFF_CREATED_HOOKS:
        hook(actor=actor, staff=staff)
    return staff


@transaction.atomic
def staff_update(*, actor: Any, staff: Staff, data: dict[str, Any]) -> Staff:
    """Change a staff member's role, units, supervisor, contact details or active flag.

    Deactivating keeps the record and its history but stops the person from signing in. An
    administrator cannot deactivate themself.
    """
    _require_settings(actor)
    if not _visible(Staff, actor, staff):
        raise PermissionDenied(_("This staff member is outside your scope."))
    errors = _Errors()
    data = dict(data)
    regions = list(data.pop("regions")) if "regions" in data else list(staff.regions.all())
    locations = list(data.pop("locations")) if "locations" in data else list(staff.locations.all())
    before = snapshot(staff, STAFF_FIELDS)
    old_role_id = staff.role_id
    _assign(staff, data, STAFF_FIELDS)
    if staff.user_id == actor.pk and not staff.active:
        errors.add("active", _("You cannot deactivate yourself."), "self_deactivate")
    # A role handed out earlier by someone with more reach stays; only a new role is checked.
    _check_staff(errors, actor, staff, regions, locations, role_changed=staff.role_id != old_role_id)
    errors.full_clean(staff)
    staff.save(update_fields=[f for f in STAFF_FIELDS if f not in ("regions", "locations")] + ["updated_at"])
    staff.regions.set(regions)
    staff.locations.set(locations)
    user = staff.user
    if user.is_active != staff.active:
        user.is_active = staff.active
        user.save(update_fields=["is_active"])
    _audit_update(actor=actor, action="org.staff.updated", obj=staff, before=before, fields=STAFF_FIELDS)
    _forget(user)
    if actor.pk == user.pk:
        _forget(actor)
    if staff.role_id != old_role_id:
        for hook in STAFF_ROLE_CHANGED_HOOKS:
            hook(actor=actor, staff=staff, old_role_id=old_role_id)
    return staff


# --- roles -------------------------------------------------------------------------------------


def _permission_codes(permissions: Iterable[Permission]) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)


def _clean_role(errors: _Errors, actor: Any, role: Role, permissions: list[Permission]) -> None:
    from frontoffice.org.selectors import assignable_permissions

    role.name = role.name.strip()
    allowed = set(assignable_permissions().values_list("pk", flat=True))
    if any(p.pk not in allowed for p in permissions):
        errors.add(
            "permissions",
            _("Some of these permissions cannot be given to roles."),
            "permission_not_assignable",
        )
    if role.pk:
        keeps_settings = MANAGE_SETTINGS in _permission_codes(permissions)
        own_role = Staff.objects.filter(user_id=actor.pk, role_id=role.pk, active=True).exists()
        if not keeps_settings and (role.code == ADMINISTRATOR_ROLE or own_role):
            errors.add(
                "permissions",
                _("This role must keep “Can manage organisation settings”, or nobody could manage them."),
                "settings_lockout",
            )
    errors.full_clean(role)


def _unique_role_code(name: str) -> str:
    base = slugify(name)[:34] or "role"
    code, n = base, 2
    while Role.objects.filter(code=code).exists():
        code, n = f"{base}-{n}", n + 1
    return code


@transaction.atomic
def role_create(
    *,
    actor: Any,
    name: str,
    scope: str,
    description: str = "",
    permissions: Iterable[Permission] = (),
) -> Role:
    """Add a role (organisation-wide administrators only: roles are shared by all entities)."""
    _require_settings(actor)
    _require_organisation_wide(actor)
    permissions = list(permissions)
    role = Role(name=name, scope=scope, description=description.strip(), code=_unique_role_code(name))
    _clean_role(_Errors(), actor, role, permissions)
    role.save()
    role.permissions.set(permissions)
    audit_record(
        actor=actor,
        action="org.role.created",
        obj=role,
        changes={
            **{k: [None, v] for k, v in snapshot(role, ROLE_FIELDS).items() if v},
            "permissions": [None, _permission_codes(permissions)],
        },
    )
    return role


@transaction.atomic
def role_update(*, actor: Any, role: Role, data: dict[str, Any]) -> Role:
    """Change a role's name, description, scope or permissions; shipped roles included.

    The administrator role (and the actor's own role) must keep ``org.manage_settings``.
    """
    _require_settings(actor)
    _require_organisation_wide(actor)
    data = dict(data)
    old_permissions = list(role.permissions.select_related("content_type"))
    permissions = list(data.pop("permissions")) if "permissions" in data else old_permissions
    before = snapshot(role, ROLE_FIELDS)
    _assign(role, data, ROLE_FIELDS)
    _clean_role(_Errors(), actor, role, permissions)
    role.save(update_fields=[*ROLE_FIELDS, "updated_at"])
    role.permissions.set(permissions)
    changes = diff(before, snapshot(role, ROLE_FIELDS))
    old_codes, new_codes = _permission_codes(old_permissions), _permission_codes(permissions)
    if old_codes != new_codes:
        changes["permissions"] = [old_codes, new_codes]
    if changes:
        audit_record(actor=actor, action="org.role.updated", obj=role, changes=changes)
    _forget(actor)
    return role


# --- invitations -------------------------------------------------------------------------------


def _invitation_email(invitation: Invitation, raw: str, inviter: Any) -> tuple[str, str]:
    """Subject and plain-text body, in the active language (the inviter's)."""
    link = settings.SITE_URL.rstrip("/") + reverse("org:invitation-accept", args=[raw])
    expires = formats.date_format(timezone.localtime(invitation.expires_at), "DATETIME_FORMAT")
    subject = gettext("Your invitation to Frontoffice")
    body = gettext(
        "Hello %(name)s,\n\n"
        "%(inviter)s has invited you to join %(entity)s in Frontoffice as %(role)s.\n\n"
        "Open this link to choose your username and password:\n%(link)s\n\n"
        "The link can be used once and is valid until %(expires)s.\n"
        "If you did not expect this invitation, you can ignore this e-mail.\n"
    ) % {
        "name": invitation.first_name,
        "inviter": str(inviter),
        "entity": invitation.legal_entity.name,
        "role": invitation.role.name,
        "link": link,
        "expires": expires,
    }
    return subject, body


@transaction.atomic
def invitation_create(
    *,
    actor: Any,
    email: str,
    first_name: str,
    last_name: str,
    legal_entity: LegalEntity,
    role: Role,
    home_region: Region | None = None,
    home_location: Location | None = None,
) -> tuple[Invitation, str]:
    """Invite a person by e-mail; returns the invitation and the raw token (e-mailed, never stored).

    Refused (code ``duplicate_email``) when a user with the e-mail exists, and (code
    ``pending_invitation``) while an earlier invitation to it is still open. The e-mail goes out
    through the task queue once the transaction commits.
    """
    _require_settings(actor)
    errors = _Errors()
    email = email.strip().lower()
    _check_email_free(errors, email)
    now = timezone.now()
    if (
        "email" not in errors.errors
        and Invitation.objects.filter(
            email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).exists()
    ):
        errors.add(
            "email", _("An open invitation to this e-mail address exists already."), "pending_invitation"
        )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        legal_entity=legal_entity,
        role=role,
        home_region=home_region,
        home_location=home_location,
        token_hash=_hash(raw),
        invited_by=actor,
        expires_at=now + INVITATION_VALID_FOR,
    )
    # The same unit rules as for staff: everything in the invitee's legal entity and in scope.
    probe = Staff(legal_entity=legal_entity, role=role, home_region=home_region, home_location=home_location)
    _check_staff(errors, actor, probe, [], [])
    invitation.home_region = probe.home_region if probe.home_region_id else None
    errors.full_clean(invitation)
    invitation.save()
    audit_created(
        actor=actor,
        obj=invitation,
        fields=["email", "first_name", "last_name", "legal_entity", "role", "home_region", "home_location"],
        action="org.invitation.created",
    )
    subject, body = _invitation_email(invitation, raw, actor)
    email_enqueue(subject=subject, body=body, to=[invitation.email])
    return invitation, raw


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    """Make an open invitation's link unusable; an accepted one cannot be revoked."""
    _require_settings(actor)
    if not _visible(Invitation, actor, invitation):
        raise PermissionDenied(_("This invitation is outside your scope."))
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has been accepted already."), code="invitation_used")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="org.invitation.revoked", obj=invitation)
    return invitation


def invitation_check_usable(invitation: Invitation | None) -> Invitation:
    """The invitation if its link can still be used; else ValidationError saying why."""
    from frontoffice.org.selectors import invitation_state

    state = invitation_state(invitation)
    messages = {
        "invalid": (
            _("This invitation link is not valid. Please check that you copied it completely."),
            "invitation_invalid",
        ),
        "revoked": (
            _("This invitation has been withdrawn. Please ask your administrator for a new one."),
            "invitation_revoked",
        ),
        "accepted": (_("This invitation has been used already. Please sign in instead."), "invitation_used"),
        "expired": (
            _("This invitation has expired. Please ask your administrator for a new one."),
            "invitation_expired",
        ),
    }
    if state in messages:
        message, code = messages[state]
        raise ValidationError(message, code=code)
    assert invitation is not None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> Staff:
    """Turn an open invitation into a user and staff profile; the link cannot be used again.

    Errors: ``invitation_*`` codes when the link is invalid, revoked, used or expired; field
    errors for the username and for passwords the configured validators reject.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("legal_entity", "role", "home_region", "home_location")
        .filter(token_hash=_hash(token or ""))
        .first()
    )
    invitation = invitation_check_usable(invitation)
    errors = _Errors()
    user = User(
        username=username.strip(),
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        language=invitation.legal_entity.default_language,
    )
    _check_email_free(errors, user.email, field=NON_FIELD_ERRORS)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors.merge(exc, "password")
    user.set_password(password)
    try:
        user.full_clean(exclude=["password", "email", *errors.errors])
    except ValidationError as exc:
        errors.merge(exc)
    errors.raise_if_any()
    user.save()
    staff = Staff(
        user=user,
        legal_entity=invitation.legal_entity,
        role=invitation.role,
        home_region=invitation.home_region,
        home_location=invitation.home_location,
    )
    staff.full_clean()
    staff.save()
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    audit_record(
        actor=user,
        action="org.invitation.accepted",
        obj=invitation,
        changes={"username": [None, user.username]},
    )
    audit_created(
        actor=user, obj=staff, fields=["user", "legal_entity", *STAFF_FIELDS], action="org.staff.created"
    )
    for hook in STAFF_CREATED_HOOKS:
        hook(actor=user, staff=staff)
    return staff


# --- personal API tokens -------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, actor: Any, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token for ``actor``; returns the row and the raw token (shown once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=actor, name=name.strip(), prefix=raw[:10], token_hash=_hash(raw))
    token.full_clean()
    token.save()
    audit_record(actor=actor, action="org.api_token.created", obj=token, changes={"name": [None, token.name]})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens (administrators: anyone's)."""
    from django.core.exceptions import PermissionDenied

    if token.user_id != actor.pk and not actor.has_perm("org.manage_settings"):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="org.api_token.revoked", obj=token)
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token matching ``raw`` for an active user, or None; records last use."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Throttle the write: last use is informative, not a per-request ledger.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def is_organisation_admin(user: Any) -> bool:
    """Whether ``user`` may change what the whole organisation shares (legal entities, roles)."""
    return user.has_perm(MANAGE_SETTINGS) and user_scope(user).everything
