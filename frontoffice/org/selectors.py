"""Read path for the settings area: organisation tree, staff, roles, invitations, API tokens.

Every selector serving a user narrows with ``visible_to``, so an administrator whose role is
scoped to one legal entity never sees (or reaches by id) the units of another. Lists fetch
their related rows in the same query, so the number of queries does not grow with the rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.org.models import ApiToken, Invitation, LegalEntity, Location, Region, Role, Staff, Team

# Apps whose permissions are framework internals, never granted through roles.
EXCLUDED_PERMISSION_APPS = {"admin", "auth", "contenttypes", "sessions", "django_tasks", "django_tasks_db"}


# --- organisation tree ---------------------------------------------------------------------------


def _active_staff_count(**lookup: Any) -> Coalesce:
    """Active staff whose ``lookup`` unit is the outer row, as a correlated SQL subquery."""
    ((path, outer),) = lookup.items()
    counts = (
        Staff.objects.filter(active=True, **{path: OuterRef(outer)})
        .order_by()
        .values(path)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


@dataclass
class TreeNode:
    obj: Any
    staff_count: int
    children: list[TreeNode] = field(default_factory=list)


def org_tree(*, user: Any) -> list[TreeNode]:
    """Legal entities → regions → locations → teams visible to ``user``, with active staff counts.

    Counts: a legal entity counts all its staff, a region and a location their home staff, a
    team its members. Four queries, whatever the size of the organisation.
    """
    entities = visible_to(LegalEntity.objects.all(), user).annotate(
        n_staff=_active_staff_count(legal_entity="pk")
    )
    regions = visible_to(Region.objects.all(), user).annotate(n_staff=_active_staff_count(home_region="pk"))
    locations = visible_to(Location.objects.all(), user).annotate(
        n_staff=_active_staff_count(home_location="pk")
    )
    teams = (
        visible_to(Team.objects.all(), user)
        .select_related("lead__user")
        .annotate(n_staff=_active_staff_count(team="pk"))
    )
    by_location: dict[int, list[TreeNode]] = {}
    for team in teams.order_by("name"):
        by_location.setdefault(team.location_id, []).append(TreeNode(team, team.n_staff))
    by_region: dict[int, list[TreeNode]] = {}
    for location in locations.order_by("name"):
        node = TreeNode(location, location.n_staff, by_location.get(location.pk, []))
        by_region.setdefault(location.region_id, []).append(node)
    by_entity: dict[int, list[TreeNode]] = {}
    for region in regions.order_by("name"):
        node = TreeNode(region, region.n_staff, by_region.get(region.pk, []))
        by_entity.setdefault(region.legal_entity_id, []).append(node)
    return [TreeNode(e, e.n_staff, by_entity.get(e.pk, [])) for e in entities.order_by("name")]


def legal_entity_list(*, user: Any) -> QuerySet[LegalEntity]:
    return visible_to(LegalEntity.objects.all(), user).order_by("name")


def legal_entity_get(*, user: Any, pk: Any) -> LegalEntity:
    return get_visible_or_404(LegalEntity.objects.all(), user, pk=pk)


def region_list(*, user: Any, legal_entity: Any = None) -> QuerySet[Region]:
    qs = visible_to(Region.objects.select_related("legal_entity"), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    return qs.order_by("legal_entity__name", "name")


def region_get(*, user: Any, pk: Any) -> Region:
    return get_visible_or_404(Region.objects.select_related("legal_entity"), user, pk=pk)


def location_list(*, user: Any, legal_entity: Any = None) -> QuerySet[Location]:
    qs = visible_to(Location.objects.select_related("region", "legal_entity"), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    return qs.order_by("legal_entity__name", "region__name", "name")


def location_get(*, user: Any, pk: Any) -> Location:
    return get_visible_or_404(Location.objects.select_related("region", "legal_entity"), user, pk=pk)


def team_list(*, user: Any, legal_entity: Any = None) -> QuerySet[Team]:
    qs = visible_to(Team.objects.select_related("location"), user)
    if legal_entity is not None:
        qs = qs.filter(location__legal_entity=legal_entity)
    return qs.order_by("location__name", "name")


def team_get(*, user: Any, pk: Any) -> Team:
    return get_visible_or_404(Team.objects.select_related("location", "lead__user"), user, pk=pk)


# --- staff ---------------------------------------------------------------------------------------


def staff_list(
    *,
    user: Any,
    query: str = "",
    role: str = "",
    location: str = "",
    active: str = "",
    legal_entity: Any = None,
) -> QuerySet[Staff]:
    """Staff visible to ``user``; ``query`` matches every word against name, username and e-mail.

    ``active`` is ``"yes"``, ``"no"`` or empty (both); ``role`` and ``location`` are ids.
    """
    qs = visible_to(Staff.objects.all(), user).select_related(
        "user", "role", "legal_entity", "home_region", "home_location", "team"
    )
    for word in query.split()[:5]:
        qs = qs.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__email__icontains=word)
            | Q(user__username__icontains=word)
        )
    if role.isdigit():
        qs = qs.filter(role_id=int(role))
    if location.isdigit():
        qs = qs.filter(home_location_id=int(location))
    if active == "yes":
        qs = qs.filter(active=True)
    elif active == "no":
        qs = qs.filter(active=False)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    return qs.order_by("user__first_name", "user__last_name", "pk")


def staff_get(*, user: Any, pk: Any) -> Staff:
    qs = Staff.objects.select_related(
        "user", "role", "legal_entity", "supervisor__user", "home_region", "home_location", "team"
    ).prefetch_related("regions", "locations")
    return get_visible_or_404(qs, user, pk=pk)


# --- roles ---------------------------------------------------------------------------------------


def assignable_permissions() -> QuerySet[Permission]:
    """Permissions of Frontoffice's own apps (core, org, parties and later domain apps)."""
    labels = [
        config.label
        for config in apps.get_app_configs()
        if config.name.startswith("frontoffice.") and config.label not in EXCLUDED_PERMISSION_APPS
    ]
    return (
        Permission.objects.filter(content_type__app_label__in=labels)
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename")
    )


def permissions_by_app() -> list[tuple[str, list[Permission]]]:
    """Assignable permissions grouped by app, in app order, labelled with the app's name."""
    groups: dict[str, list[Permission]] = {}
    for permission in assignable_permissions():
        groups.setdefault(permission.content_type.app_label, []).append(permission)
    return [(str(apps.get_app_config(label).verbose_name), perms) for label, perms in groups.items()]


def role_list(*, user: Any) -> QuerySet[Role]:
    """Every role (roles are shared by the whole organisation) with its staff and permission counts."""
    return Role.objects.annotate(
        n_staff=Count("staff", filter=Q(staff__active=True), distinct=True),
        n_permissions=Count("permissions", distinct=True),
    ).order_by("name")


def role_get(*, user: Any, pk: Any) -> Role:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Role.objects.prefetch_related("permissions__content_type"), pk=pk)


# --- invitations ---------------------------------------------------------------------------------


def invitation_state(invitation: Invitation | None, now: Any = None) -> str:
    """``invalid``, ``revoked``, ``accepted``, ``expired`` or ``pending``."""
    if invitation is None:
        return "invalid"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.expires_at <= (now or timezone.now()):
        return "expired"
    return "pending"


def invitation_list(*, user: Any) -> QuerySet[Invitation]:
    return visible_to(Invitation.objects.all(), user).select_related(
        "legal_entity", "role", "invited_by", "home_region", "home_location"
    )


def invitation_get(*, user: Any, pk: Any) -> Invitation:
    return get_visible_or_404(Invitation.objects.all(), user, pk=pk)


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation behind a raw link token (anonymous accept page), or None."""
    token_hash = hashlib.sha256((token or "").encode()).hexdigest()
    return (
        Invitation.objects.select_related("legal_entity", "role", "invited_by")
        .filter(token_hash=token_hash)
        .first()
    )


# --- API tokens ----------------------------------------------------------------------------------


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked ones included, marked as such)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def api_token_get(*, user: Any, pk: Any) -> ApiToken:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(ApiToken.objects.filter(user_id=user.pk), pk=pk)


def staff_profile(*, user: Any) -> Staff | None:
    """The user's own active staff profile with what the start page shows."""
    return (
        Staff.objects.select_related("role", "legal_entity", "home_region", "home_location", "team")
        .filter(user_id=user.pk, active=True)
        .first()
    )


def scope_unit_names(*, scope: Any) -> dict[str, list[str]]:
    """Names of the legal entity, regions and locations a user's reach is made of."""
    from frontoffice.core.scoping import ScopeLevel

    units: dict[str, list[str]] = {"legal_entities": [], "regions": [], "locations": []}
    if scope.nothing or scope.everything:
        return units
    if scope.legal_entity_id:
        units["legal_entities"] = list(
            LegalEntity.objects.filter(pk=scope.legal_entity_id).values_list("name", flat=True)
        )
    if scope.level in (ScopeLevel.REGION, ScopeLevel.OWN, ScopeLevel.LOCATION) and scope.region_ids:
        units["regions"] = list(
            Region.objects.filter(pk__in=scope.region_ids).order_by("name").values_list("name", flat=True)
        )
    if scope.level == ScopeLevel.LOCATION and scope.location_ids:
        units["locations"] = list(
            Location.objects.filter(pk__in=scope.location_ids).order_by("name").values_list("name", flat=True)
        )
    return units
