"""Write path for the organisation tree, staff, roles, invitations and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from frontoffice.core.audit import audit_record
from frontoffice.org.models import ApiToken

TOKEN_PREFIX = "fo_"  # noqa: S105 - a public prefix, not a secret


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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
