"""Permission classes: a missing permission is a 403, before any row is looked up."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


class HasPerms(BasePermission):
    """Checks the view's ``required_perms``: a dict of HTTP method (or ``"read"``) → perms.

    ``{"read": ["parties.view_party"], "POST": ["parties.add_party"]}``: GET, HEAD and
    OPTIONS need the ``read`` perms; other methods need the ones listed for them. A method
    that the view does not list needs nothing beyond authentication (the service checks).
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        required: dict[str, list[str]] = getattr(view, "required_perms", {})
        key = "read" if request.method in SAFE_METHODS else request.method
        perms = required.get(key, [])
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))
