"""The permission checks every service makes, written once.

Services call these at their start; views and API map ``PermissionDenied`` to 403. A service
that system processes also call (set-up, imports, migrations) passes ``system=True`` so that
``actor=None`` means "the system" rather than an anonymous caller.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from frontoffice.core.scoping import user_scope


def require_perm(actor: Any, perm: str, *, system: bool = False) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` holds ``perm``."""
    if actor is None and system:
        return
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def require_legal_entity(actor: Any, legal_entity_id: int, *, system: bool = False) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` works in the legal entity (organisation-wide
    roles work in every one)."""
    if actor is None and system:
        return
    scope = user_scope(actor)
    if not scope.everything and scope.legal_entity_id != legal_entity_id:
        raise PermissionDenied(_("You can only work in your own legal entity."))
