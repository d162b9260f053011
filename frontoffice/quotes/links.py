"""Private quote links: the mechanics of ``billing.services.links``, for quotes.

The token, digest, pattern and rate-limit helpers are billing's own pure functions (imported,
not copied); only the row (``QuoteLink``) is the quotes app's. Invariants:

- a token is 256 random bits; only its SHA-256 is stored; it is handed out once;
- a token is looked up by its digest (unique index) and compared again in constant time;
- a link reaches exactly one quote; expired or revoked links raise ``LinkGone`` (HTTP 410),
  unknown or malformed tokens ``LinkNotFound`` (404);
- every open is counted with one UPDATE; customer requests are rate limited
  (``link_rate_limited`` / ``link_failed``, shared with the invoice pages).

Settings: ``QUOTES_LINK_DAYS`` (default: until the quote's last valid day plus 30 days).
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from frontoffice.billing.services.links import (
    TOKEN_BYTES,
    TOKEN_PATTERN,
    LinkGone,
    LinkNotFound,
    link_failed,
    link_rate_limited,
    token_digest,
)
from frontoffice.core.audit import audit_record
from frontoffice.quotes.models import Quote, QuoteLink

__all__ = [
    "LinkGone",
    "LinkNotFound",
    "NewQuoteLink",
    "link_failed",
    "link_rate_limited",
    "quote_link_make",
    "quote_link_path",
    "quote_link_resolve",
    "quote_link_revoke_all",
]

AFTER_VALIDITY_DAYS = 30


@dataclass(frozen=True)
class NewQuoteLink:
    link: QuoteLink
    token: str

    @property
    def path(self) -> str:
        return quote_link_path(self.token)

    @property
    def url(self) -> str:
        return settings.SITE_URL.rstrip("/") + self.path


def quote_link_path(token: str) -> str:
    return reverse("customer_quote:quote", kwargs={"token": token})


def quote_link_make(*, actor: Any, quote: Quote) -> NewQuoteLink:
    """A new link to ``quote`` (the caller, ``quote_send``, checked permission and scope).
    It lasts until the quote's last valid day plus 30 days (``QUOTES_LINK_DAYS`` overrides),
    so the customer can still read an expired or answered quote for a while."""
    days = getattr(settings, "QUOTES_LINK_DAYS", None)
    now = timezone.now()
    if days is None:
        until = datetime.datetime.combine(
            quote.valid_until + datetime.timedelta(days=AFTER_VALIDITY_DAYS + 1),
            datetime.time.min,
            tzinfo=datetime.UTC,
        )
        expires_at = max(until, now + datetime.timedelta(days=1))
    else:
        expires_at = now + datetime.timedelta(days=int(days))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = QuoteLink.objects.create(
        legal_entity_id=quote.legal_entity_id,
        quote=quote,
        token_hash=token_digest(token),
        expires_at=expires_at,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="quotes.quote_link.created",
        obj=link,
        changes={"quote": [None, quote.reference], "expires_at": [None, expires_at.isoformat()]},
    )
    return NewQuoteLink(link=link, token=token)


@transaction.atomic
def quote_link_revoke_all(*, actor: Any, quote: Quote) -> int:
    """Revoke every live link of ``quote`` (the caller checked permission); returns how many."""
    now = timezone.now()
    links = list(QuoteLink.objects.select_for_update().filter(quote=quote, revoked_at__isnull=True))
    for link in links:
        link.revoked_at = now
        link.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
        link.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="quotes.quote_link.revoked",
            obj=link,
            changes={"revoked_at": [None, now.isoformat()]},
        )
    return len(links)


def quote_link_resolve(token: str) -> QuoteLink:
    """The live link for ``token`` with its quote; counts the open. ``LinkNotFound`` for an
    unknown or malformed token, ``LinkGone`` for an expired or revoked link."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise LinkNotFound
    digest = token_digest(token)
    link = (
        QuoteLink.objects.select_related("quote", "quote__party", "quote__legal_entity")
        .filter(token_hash=digest)
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        raise LinkNotFound
    now = timezone.now()
    if link.revoked_at is not None:
        raise LinkGone(link, "revoked")  # type: ignore[arg-type] - any link row
    if link.expires_at <= now:
        raise LinkGone(link, "expired")  # type: ignore[arg-type]
    QuoteLink.objects.filter(pk=link.pk).update(use_count=F("use_count") + 1, last_used_at=now)
    link.use_count += 1
    link.last_used_at = now
    return link
