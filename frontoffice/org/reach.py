"""A user's reach (``UserScope``) from their active staff profile and its role.

Installed as the scoping service's reach provider in ``OrgConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from frontoffice.core.scoping import NO_SCOPE, ScopeLevel, UserScope
from frontoffice.org.models import Staff


def user_reach(user: Any) -> UserScope:
    staff = Staff.objects.select_related("role", "home_location").filter(user_id=user.pk, active=True).first()
    if staff is None or staff.role is None:
        return NO_SCOPE
    region_ids = set(staff.regions.values_list("pk", flat=True))
    location_rows = list(staff.locations.values_list("pk", "region_id"))
    location_ids = {pk for pk, _ in location_rows}
    if staff.home_region_id:
        region_ids.add(staff.home_region_id)
    if staff.home_location_id:
        location_ids.add(staff.home_location_id)
        location_rows.append((staff.home_location_id, staff.home_location.region_id))
    if staff.role.scope == ScopeLevel.LOCATION:
        # Location-level staff reach region-scoped reference data of their locations' regions.
        region_ids.update(region for _, region in location_rows)
    return UserScope(
        level=staff.role.scope,
        user_id=user.pk,
        legal_entity_id=staff.legal_entity_id,
        region_ids=frozenset(region_ids),
        location_ids=frozenset(location_ids),
        everything=staff.role.scope == ScopeLevel.ORGANISATION,
    )
