"""Login throttling: failed sign-ins counted per username and per client address in the cache.

After ``settings.LOGIN_THROTTLE_LIMIT`` failures for one username, or from one client address,
within ``settings.LOGIN_THROTTLE_WINDOW_SECONDS``, further attempts are refused without
checking the password, until the window that began with the first failure has passed.
A successful sign-in clears the username's counter; the address counter stays, so an
attacker cannot reset it by signing in to an account of their own.

Counters use a fixed window (``cache.add`` starts it, ``cache.incr`` counts), which is atomic
on every cache backend Django ships. With the default per-process memory cache the limits
apply per process; set ``CACHE_URL=redis://...`` to share them between processes.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_PREFIX = "frontoffice:login-throttle"


@dataclass(frozen=True)
class Lockout:
    """A refusal: how long until the next attempt is accepted."""

    seconds_left: int

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil(self.seconds_left / 60))


def client_address(request: HttpRequest | None) -> str:
    """The address the request came from.

    ``REMOTE_ADDR`` only: a forwarded-for header is set by the client and cannot be trusted
    unless a proxy overwrites it, so deployments behind a proxy set ``REMOTE_ADDR`` there
    (gunicorn ``--forwarded-allow-ips``).
    """
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")


def _keys(kind: str, value: str) -> tuple[str, str]:
    # Hashed, so arbitrary user input never reaches cache key validation.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
    return f"{_PREFIX}:{kind}:{digest}:count", f"{_PREFIX}:{kind}:{digest}:started"


def _subjects(username: str, address: str) -> list[tuple[str, str]]:
    subjects = []
    if username.strip():
        subjects.append(("user", username))
    if address:
        subjects.append(("addr", address))
    return subjects


def login_lockout(*, username: str, address: str) -> Lockout | None:
    """The lock-out in force for this username or address, or ``None`` when attempts are allowed."""
    limit = settings.LOGIN_THROTTLE_LIMIT
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    waits = []
    for kind, value in _subjects(username, address):
        count_key, started_key = _keys(kind, value)
        values = cache.get_many([count_key, started_key])
        if values.get(count_key, 0) >= limit:
            started = values.get(started_key)
            left = window if started is None else math.ceil(started + window - time.time())
            waits.append(max(left, 1))
    return Lockout(seconds_left=max(waits)) if waits else None


def login_failed(*, username: str, address: str) -> None:
    """Count one failed attempt against the username and the address."""
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    for kind, value in _subjects(username, address):
        count_key, started_key = _keys(kind, value)
        cache.add(started_key, time.time(), window)
        cache.add(count_key, 0, window)
        try:
            cache.incr(count_key)
        except ValueError:
            # The window expired between add and incr: this failure starts a new one.
            cache.set(count_key, 1, window)


def login_succeeded(*, username: str) -> None:
    """Forget the username's failures after a successful sign-in."""
    if username.strip():
        cache.delete_many(list(_keys("user", username)))
