"""Row-level scope: the one place that decides which rows a user may see.

Every selector that serves a user narrows its queryset with ``visible_to(queryset, user)``
(or the ``.visible_to(user)`` method of ``ScopedQuerySet``). A model opts in by declaring a
``scope_rule = ScopeRule(...)`` naming the paths to its legal entity, region, location and
owner. A user's reach comes from their staff profile's role:

- organisation: every row;
- legal_entity: rows of their legal entity;
- region: rows of their regions (assigned regions plus home region);
- location: rows of their locations (assigned locations plus home location);
- own: rows they own, plus unowned rows of their regions where the rule allows it.

When a rule has no path for the user's level (reference data such as regions has no owner),
the next broader level is used: own → region → legal entity. Users without an active staff
profile see nothing; superusers see everything. Out-of-scope rows are simply absent, so a
detail lookup through a scoped queryset answers 404 and never reveals that an id exists.

How a user maps to a reach is supplied by the ``org`` app, which owns staff profiles and
roles (``core.registry.set_reach_provider``), so this module imports no domain model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _


class ScopeLevel(models.TextChoices):
    ORGANISATION = "organisation", _("Whole organisation")
    LEGAL_ENTITY = "legal_entity", _("Own legal entity")
    REGION = "region", _("Own regions")
    LOCATION = "location", _("Own locations")
    OWN = "own", _("Own records")


@dataclass(frozen=True)
class ScopeRule:
    """Paths from a model to the organisation units and the owner that scope it."""

    legal_entity: str | None = None
    region: str | None = None
    location: str | None = None
    owner: str | None = None
    # Sales reps also see unowned rows of their own regions (unassigned leads).
    unassigned_in_region: bool = False
    # Further conditions on those unowned rows, as (field lookup, value) pairs: e.g. only the
    # sales desk's complaints wait for reps.
    unassigned_where: tuple[tuple[str, Any], ...] = ()
    # Set when a path crosses a to-many relation, so joins cannot duplicate rows.
    distinct: bool = False


@dataclass(frozen=True)
class UserScope:
    """What one user can reach; computed once per user object."""

    level: str | None  # None: sees nothing
    user_id: int | None = None
    legal_entity_id: int | None = None
    region_ids: frozenset[int] = field(default_factory=frozenset)
    location_ids: frozenset[int] = field(default_factory=frozenset)
    everything: bool = False

    @property
    def nothing(self) -> bool:
        return not self.everything and self.level is None


NO_SCOPE = UserScope(level=None)
_CACHE_ATTR = "_frontoffice_scope"


def user_scope(user: Any) -> UserScope:
    """The reach of ``user``, cached on the user object for the length of a request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached reach, after the user's staff profile or role changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _compute_scope(user: Any) -> UserScope:
    if user.is_superuser:
        return UserScope(level=ScopeLevel.ORGANISATION, user_id=user.pk, everything=True)
    # The org app owns staff profiles and roles; it installs the provider in its ready().
    from frontoffice.core.registry import registry

    if registry.reach_provider is None:
        return NO_SCOPE
    return registry.reach_provider(user)


_BROADER = {
    ScopeLevel.OWN: ScopeLevel.REGION,
    ScopeLevel.LOCATION: ScopeLevel.REGION,
    ScopeLevel.REGION: ScopeLevel.LEGAL_ENTITY,
}


def scope_q(rule: ScopeRule, scope: UserScope) -> Q | None:
    """The filter for ``scope`` under ``rule``; ``None`` means no row is visible."""
    if scope.everything:
        return Q()
    level = scope.level
    while level is not None:
        if level == ScopeLevel.LEGAL_ENTITY and rule.legal_entity:
            if scope.legal_entity_id is None:
                return None
            return Q(**{rule.legal_entity: scope.legal_entity_id})
        if level == ScopeLevel.REGION and rule.region:
            return Q(**{f"{rule.region}__in": scope.region_ids})
        if level == ScopeLevel.LOCATION and rule.location:
            return Q(**{f"{rule.location}__in": scope.location_ids})
        if level == ScopeLevel.OWN and rule.owner:
            q = Q(**{rule.owner: scope.user_id})
            if rule.unassigned_in_region and rule.region:
                q |= Q(
                    **{f"{rule.owner}__isnull": True, f"{rule.region}__in": scope.region_ids},
                    **dict(rule.unassigned_where),
                )
            return q
        level = _BROADER.get(level)
    return None


M = TypeVar("M", bound=models.Model)


def visible_to(queryset: models.QuerySet[M], user: Any) -> models.QuerySet[M]:
    """Narrow ``queryset`` to the rows ``user`` may see (the single scoping service)."""
    rule: ScopeRule | None = getattr(queryset.model, "scope_rule", None)
    if rule is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_rule")
    q = scope_q(rule, user_scope(user))
    if q is None:
        return queryset.none()
    queryset = queryset.filter(q)
    return queryset.distinct() if rule.distinct and q else queryset


def get_visible_or_404(queryset: models.QuerySet[M], user: Any, **lookup: Any) -> M:
    """One row by ``lookup`` within the user's scope, or 404 (never a hint that it exists)."""
    try:
        return visible_to(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ScopedQuerySet:
        return visible_to(self, user)
