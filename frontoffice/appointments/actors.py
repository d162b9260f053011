"""Actors that are not a signed-in person: the self check-in kiosk of a location.

The appointment and reception services take ``actor=``. A person is a ``User``; a device the
patient uses on their own (the kiosk tablet in the waiting room) is a ``SystemActor``: it
holds no permissions of its own, is bound to one location, and may take only the steps each
service allows it explicitly (``appointment_set_status``: booked → checked in, at its own
location). The history and the audit trail record it by description, e.g.
``Kiosk “Tablet” (#3) at North Dental Clinic, set up by Olle Manager (#7)``, and with its ids
(``changes["kiosk"]``, ``changes["set_up_by"]``), while the audit entry's user stays empty
("System"): nobody signed in did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class SystemActor:
    """A device acting at one location on behalf of the visitor in front of it."""

    kind: str  # "kiosk"
    object_id: int  # the kiosk's id
    name: str
    location_id: int
    location_name: str = ""
    set_up_by_id: int | None = None
    set_up_by_name: str = ""

    # Treated like an anonymous user where a user is expected (audit, events, permissions).
    is_authenticated: ClassVar[bool] = False
    is_anonymous: ClassVar[bool] = True
    is_superuser: ClassVar[bool] = False
    pk: ClassVar[None] = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def describe(self) -> str:
        """One line for the history and the audit trail (in the active language)."""
        params = {
            "name": self.name,
            "id": self.object_id,
            "location": self.location_name or f"#{self.location_id}",
            "user": self.set_up_by_name or "—",
            "user_id": self.set_up_by_id if self.set_up_by_id is not None else "—",
        }
        if self.kind == "kiosk":
            return _("Kiosk “%(name)s” (#%(id)s) at %(location)s, set up by %(user)s (#%(user_id)s)") % params
        return f"{self.kind} “{self.name}” (#{self.object_id}) at {params['location']}"

    def audit_changes(self) -> dict[str, list[Any]]:
        """What the audit entry of a change it made records about it."""
        return {
            "by": [None, self.describe()],
            self.kind: [None, self.object_id],
            "set_up_by": [None, self.set_up_by_id],
        }

    def __str__(self) -> str:
        return self.describe()


def is_system(actor: Any) -> bool:
    return isinstance(actor, SystemActor)
