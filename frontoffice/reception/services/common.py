"""What the reception services share: time zones, scope checks, staff look-ups, events."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.appointments.rules import location_zone
from frontoffice.core.scoping import visible_to


def local_day(location: Any, at: datetime.datetime | None = None) -> datetime.date:
    """The local calendar day of ``at`` (default now) at ``location``."""
    return (at or timezone.now()).astimezone(location_zone(location)).date()


def check_location(actor: Any, location: Any) -> None:
    """Refuse a location outside the actor's scope (``actor=None`` is the system)."""
    from frontoffice.org.models import Location

    if actor is None:
        return
    if not visible_to(Location.objects.filter(pk=location.pk), actor).exists():
        raise PermissionDenied(_("You cannot work at this location."))


def staff_of(user: Any) -> Any:
    from frontoffice.org.models import Staff

    if user is None or not getattr(user, "pk", None):
        return None
    return Staff.objects.filter(user_id=user.pk, active=True).first()


def user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None
