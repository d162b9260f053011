"""Private customer links: one unguessable, expiring, revocable URL per document.

Invariants protected here:

- a token is 256 random bits from ``secrets`` (43 URL-safe characters); only its SHA-256 is
  stored (``CustomerLink.token_hash``), so the database never holds a working link, and the
  token is handed out once, by ``link_create``;
- a token is looked up by its digest through a unique index, so what the database compares is
  the digest, never the secret, and the time a lookup takes says nothing about valid tokens;
  the digest found is compared once more in constant time (``hmac.compare_digest``);
- a link reaches exactly one document, the one it was made for: ``link_resolve`` returns the
  link with its invoice, and the customer views read nothing but that invoice;
- an expired or revoked link raises ``LinkGone`` (the customer sees a clear "no longer
  available" page, HTTP 410); an unknown or malformed token raises ``LinkNotFound`` (404);
- every successful open is counted with one UPDATE (``use_count`` + 1, ``last_used_at``), so
  concurrent opens are all counted;
- making and revoking links needs ``billing.change_invoice`` and an invoice in the actor's
  scope; both are audited (``billing.customer_link.created`` / ``.revoked``);
- customer requests are rate limited per client address and per token, and failed look-ups
  per address, in fixed cache windows (``link_rate_limited``). With the default per-process
  memory cache the limits apply per process; ``CACHE_URL=redis://...`` shares them.

Settings (read at call time): ``BILLING_LINK_DAYS`` (default 90), ``BILLING_LINK_WINDOW_SECONDS``
(600), ``BILLING_LINK_LIMIT_PER_ADDRESS`` (120 requests a window), ``BILLING_LINK_LIMIT_PER_TOKEN``
(60), ``BILLING_LINK_FAILURES_PER_ADDRESS`` (10 unknown or dead tokens a window).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.billing.models import CustomerLink, Invoice
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.scoping import visible_to

TOKEN_BYTES = 32  # 256 bits
# token_urlsafe(32) gives 43 characters; anything else cannot be a token of ours.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_DAYS = 366
_CACHE_PREFIX = "frontoffice:billing-link"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


class LinkNotFound(Exception):
    """No link has this token (or it is not a token at all)."""


class LinkGone(Exception):
    """The link existed but is expired or revoked."""

    def __init__(self, link: CustomerLink, reason: str):
        super().__init__(reason)
        self.link = link
        self.reason = reason  # "expired" or "revoked"


@dataclass(frozen=True)
class NewLink:
    """A link just made, with the only copy of its token."""

    link: CustomerLink
    token: str

    @property
    def path(self) -> str:
        return link_path(self.token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def link_path(token: str) -> str:
    """The customer's page for ``token`` (a path; prefix the site's address for e-mail)."""
    return reverse("customer:invoice", kwargs={"token": token})


def _require_visible_invoice(actor: Any, invoice: Invoice) -> None:
    require_legal_entity(actor, invoice.legal_entity_id)
    if not visible_to(Invoice.objects.filter(pk=invoice.pk), actor).exists():
        raise PermissionDenied(_("You can only share invoices of your own customers."))


@transaction.atomic
def link_create(
    *, actor: Any, invoice: Invoice, days: int | None = None, reason: str = "", check_permission: bool = True
) -> NewLink:
    """Make a private link to the issued ``invoice`` that expires after ``days`` days
    (default ``BILLING_LINK_DAYS``, 90). Needs ``billing.change_invoice`` and the invoice in
    the actor's scope, unless a service that has checked its own rule makes the link
    (``check_permission=False``: a rep's reply to a pricing question carries a fresh link).
    Returns the link and its token; the token is not kept anywhere.
    """
    if check_permission:
        require_perm(actor, "billing.change_invoice")
        _require_visible_invoice(actor, invoice)
    if invoice.status == Invoice.Status.DRAFT:
        raise ValidationError(_("Issue the invoice before sharing it with the customer."), code="not_issued")
    days = _setting("BILLING_LINK_DAYS", 90) if days is None else days
    if not 1 <= int(days) <= MAX_DAYS:
        raise ValidationError(
            {"days": ValidationError(_("A link lasts 1 to 366 days."), code="invalid_days")}
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = CustomerLink.objects.create(
        legal_entity_id=invoice.legal_entity_id,
        document=CustomerLink.Document.INVOICE,
        invoice=invoice,
        token_hash=token_digest(token),
        expires_at=timezone.now() + datetime.timedelta(days=int(days)),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    changes = {"invoice": [None, str(invoice)], "expires_at": [None, link.expires_at.isoformat()]}
    if reason:
        changes["reason"] = [None, reason]
    audit_record(actor=actor, action="billing.customer_link.created", obj=link, changes=changes)
    return NewLink(link=link, token=token)


@transaction.atomic
def link_revoke(*, actor: Any, link: CustomerLink) -> CustomerLink:
    """Revoke ``link`` at once (a revoked link stays revoked; revoking twice changes nothing).
    Needs ``billing.change_invoice`` and the linked invoice in the actor's scope."""
    require_perm(actor, "billing.change_invoice")
    link = CustomerLink.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=link.pk)
    _require_visible_invoice(actor, link.invoice)
    if link.revoked_at is not None:
        return link
    link.revoked_at = timezone.now()
    link.revoked_by = actor
    link.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action="billing.customer_link.revoked",
        obj=link,
        changes={"revoked_at": [None, link.revoked_at.isoformat()]},
    )
    return link


def link_resolve(token: str) -> CustomerLink:
    """The live link for ``token``, with its invoice; counts the open.

    Raises ``LinkNotFound`` for an unknown or malformed token, ``LinkGone`` for an expired or
    revoked link.
    """
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise LinkNotFound
    digest = token_digest(token)
    link = (
        CustomerLink.objects.select_related("invoice", "invoice__series", "invoice__credits__series")
        .filter(token_hash=digest)
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        raise LinkNotFound
    now = timezone.now()
    if link.revoked_at is not None:
        raise LinkGone(link, "revoked")
    if link.expires_at <= now:
        raise LinkGone(link, "expired")
    CustomerLink.objects.filter(pk=link.pk).update(use_count=F("use_count") + 1, last_used_at=now)
    link.use_count += 1
    link.last_used_at = now
    return link


def customer_link_list(*, user: Any, invoice: Invoice) -> QuerySet[CustomerLink]:
    """The links made for ``invoice`` that ``user`` may see, newest first."""
    return visible_to(CustomerLink.objects.filter(invoice=invoice), user).select_related(
        "created_by", "revoked_by"
    )


# ---------------------------------------------------------------- rate limits


def _key(kind: str, value: str) -> str:
    # Hashed, so arbitrary client input never reaches cache key validation.
    return f"{_CACHE_PREFIX}:{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"


def _count(key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:
        # The window ended between add and incr: this request starts a new one.
        cache.set(key, 1, window)
        return 1


def link_rate_limited(*, address: str, token: str) -> bool:
    """Count one customer request; ``True`` when the address or the token is over its limit
    for the current window, or the address has made too many failed look-ups."""
    window = _setting("BILLING_LINK_WINDOW_SECONDS", 600)
    failures = cache.get(_key("fail", address), 0) if address else 0
    if failures >= _setting("BILLING_LINK_FAILURES_PER_ADDRESS", 10):
        return True
    over = False
    if address and _count(_key("addr", address), window) > _setting("BILLING_LINK_LIMIT_PER_ADDRESS", 120):
        over = True
    if _count(_key("token", token), window) > _setting("BILLING_LINK_LIMIT_PER_TOKEN", 60):
        over = True
    return over


def link_failed(*, address: str) -> None:
    """Count a look-up of an unknown, expired or revoked token against the client address."""
    if address:
        _count(_key("fail", address), _setting("BILLING_LINK_WINDOW_SECONDS", 600))
