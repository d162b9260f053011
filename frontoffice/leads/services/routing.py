"""Routing: which region a lead belongs to, and which rep of the region gets it.

1. Region: the first active ``RoutingRule`` of the legal entity (ascending priority, then id)
   whose every set condition matches (postcode prefix or range, country, industry). A rule
   without conditions is a catch-all. No match: the lead stays without a region, for a
   manager to assign.
2. Owner: round-robin among the region's active sales reps (staff whose home region it is,
   whose role is own-scoped and may work on leads), ordered by user id. The region's
   ``RoutingCursor`` row is locked (``SELECT ... FOR UPDATE``) while the next rep is chosen,
   so parallel intakes take turns and the counts stay within one of each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from frontoffice.core.scoping import ScopeLevel
from frontoffice.leads.models import RoutingCursor, RoutingRule


def _digits(value: str) -> str:
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()


@dataclass(frozen=True)
class CompiledRule:
    id: int
    region_id: int
    prefix: str
    range_from: str
    range_to: str
    country: str
    industry: str

    def matches(self, *, postal_code: str, country: str, industry: str) -> bool:
        code = _digits(postal_code)
        if self.prefix and not code.startswith(self.prefix):
            return False
        if self.range_from or self.range_to:
            if not code:
                return False
            width = max(len(self.range_from), len(self.range_to))
            head = code[:width]
            if self.range_from and head < self.range_from:
                return False
            if self.range_to and head > self.range_to:
                return False
        if self.country and (country or "").strip().upper() != self.country:
            return False
        return not (self.industry and (industry or "").strip().lower() != self.industry)


def compile_rules(rules: Iterable[RoutingRule]) -> list[CompiledRule]:
    return [
        CompiledRule(
            id=r.pk,
            region_id=r.region_id,
            prefix=_digits(r.postcode_prefix),
            range_from=_digits(r.postcode_from),
            range_to=_digits(r.postcode_to),
            country=r.country.strip().upper(),
            industry=r.industry.strip().lower(),
        )
        for r in rules
    ]


def load_rules(legal_entity_id: int) -> list[CompiledRule]:
    return compile_rules(
        RoutingRule.objects.filter(legal_entity_id=legal_entity_id, active=True).order_by("priority", "id")
    )


def match_region(
    rules: Sequence[CompiledRule], *, postal_code: str = "", country: str = "", industry: str = ""
) -> int | None:
    """The region id of the first matching rule, or None."""
    for rule in rules:
        if rule.matches(postal_code=postal_code, country=country, industry=industry):
            return rule.region_id
    return None


def region_reps(region_id: int) -> list[int]:
    """User ids of the region's active sales reps, in round-robin order."""
    from frontoffice.org.models import Staff

    return list(
        Staff.objects.filter(
            home_region_id=region_id,
            active=True,
            user__is_active=True,
            role__scope=ScopeLevel.OWN,
            role__permissions__content_type__app_label="leads",
            role__permissions__codename="change_lead",
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


def _locked_cursor(region_id: int) -> RoutingCursor:
    try:
        with transaction.atomic():
            RoutingCursor.objects.get_or_create(region_id=region_id)
    except IntegrityError:
        pass  # a parallel intake created it first
    return RoutingCursor.objects.select_for_update().get(region_id=region_id)


def _next_after(reps: Sequence[int], last: int | None) -> int:
    if last is not None:
        for user_id in reps:
            if user_id > last:
                return user_id
    return reps[0]


def next_owner(region_id: int) -> int | None:
    """Take the next rep of the region (call inside a transaction); None without reps."""
    reps = region_reps(region_id)
    if not reps:
        return None
    cursor = _locked_cursor(region_id)
    owner = _next_after(reps, cursor.last_user_id)
    cursor.last_user_id = owner
    cursor.assigned_count += 1
    cursor.save(update_fields=["last_user_id", "assigned_count"])
    return owner


class BulkRouter:
    """Routing for an import: rules and reps loaded once, cursors locked once per region.

    Use inside the import's transaction; ``finish()`` writes the cursors back.
    """

    def __init__(self, legal_entity_id: int) -> None:
        self.rules = load_rules(legal_entity_id)
        self._reps: dict[int, list[int]] = {}
        self._cursors: dict[int, RoutingCursor] = {}

    def region_for(self, *, postal_code: str, country: str, industry: str) -> int | None:
        return match_region(self.rules, postal_code=postal_code, country=country, industry=industry)

    def owner_for(self, region_id: int | None) -> int | None:
        if region_id is None:
            return None
        reps = self._reps.get(region_id)
        if reps is None:
            reps = self._reps[region_id] = region_reps(region_id)
        if not reps:
            return None
        cursor = self._cursors.get(region_id)
        if cursor is None:
            cursor = self._cursors[region_id] = _locked_cursor(region_id)
        owner = _next_after(reps, cursor.last_user_id)
        cursor.last_user_id = owner
        cursor.assigned_count += 1
        return owner

    def reps_by_region(self) -> dict[int, dict[int, str]]:
        """Every routed region's reps (user id → name), for the history entries."""
        from frontoffice.org.models import User

        region_ids = {rule.region_id for rule in self.rules}
        out: dict[int, dict[int, str]] = {}
        for region_id in region_ids:
            reps = self._reps.get(region_id)
            if reps is None:
                reps = self._reps[region_id] = region_reps(region_id)
            users = User.objects.filter(pk__in=reps).only("first_name", "last_name", "username")
            out[region_id] = {u.pk: u.get_full_name() or u.username for u in users}
        return out

    def finish(self) -> None:
        for cursor in self._cursors.values():
            cursor.save(update_fields=["last_user_id", "assigned_count"])


def route(*, legal_entity_id: int, postal_code: str, country: str, industry: str) -> tuple[Any, Any]:
    """(region id, owner user id) for a single lead; call inside a transaction."""
    region_id = match_region(
        load_rules(legal_entity_id), postal_code=postal_code, country=country, industry=industry
    )
    if region_id is None:
        return None, None
    return region_id, next_owner(region_id)
