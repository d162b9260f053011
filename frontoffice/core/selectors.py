"""Cross-app reads owned by the shell: global search and the audit trail of a record."""

from __future__ import annotations

from typing import Any

from django.db import models

from frontoffice.core.models import AuditEntry
from frontoffice.core.registry import registry


def global_search(*, user: Any, query: str, limit: int = 8) -> list[dict[str, Any]]:
    """Matches from each provider the user may use; each provider scopes its own rows."""
    groups = []
    for provider in registry.search:
        if not user.has_perm(provider.permission):
            continue
        hits = list(provider.search(user, query, limit))
        groups.append({"key": provider.key, "label": provider.label, "hits": hits})
    return groups


def audit_trail_for(*, user: Any, obj: models.Model, limit: int = 50) -> list[AuditEntry]:
    """The record's audit entries, newest first, for users allowed to read the trail.

    The caller has already checked that ``obj`` is inside the user's scope.
    """
    if not user.has_perm("core.view_auditentry"):
        return []
    return list(AuditEntry.objects.for_object(obj).select_related("actor")[:limit])
