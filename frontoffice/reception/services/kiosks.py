"""The self check-in kiosk and the waiting-time targets of a location.

A kiosk is opened by a secret key in its URL (``/k/<key>/``): 192 random bits, stored only as
SHA-256, shown once when the kiosk is set up; revoking it makes the URL open nothing.

``kiosk_check_in`` checks in exactly one booking: the code's appointment, at the kiosk's own
location, on today's date, from ``RECEPTION_KIOSK_EARLY_MINUTES`` (default 60) before its start
until its end, still booked. Every refusal — malformed code, unknown code, another location,
another day, outside the window, already checked in — is the same ``KioskRefused``, so the
kiosk says the same neutral sentence and reveals nothing (callers rate-limit attempts).

The kiosk acts as itself, not as a person: ``kiosk_actor`` turns it into a ``SystemActor``
(``appointments.actors``) bound to its location, which may only check in. The visit, the
appointment's history and the audit trail say "Kiosk “<name>” (#id) at <location>, set up by
<user>", so a check-in at the kiosk is never attributed to the office manager who set it up.

Setting up a kiosk needs ``reception.manage_kiosks`` and, when an administrator gated the
capability ``reception.kiosk`` behind a training course, a valid certificate of that course
(``core.registry.require_capability``, installed by the training app): the settings page and
the API refuse alike with a message that links the course.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.appointments.actors import SystemActor
from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.registry import require_capability
from frontoffice.reception.models import Kiosk, Visit, WaitingTarget
from frontoffice.reception.services.common import check_location, local_day

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
# A code typed or pasted at the kiosk may be the confirmation e-mail's link (.../k/c/<code>/).
CODE_IN_LINK = re.compile(r"/c/([A-Za-z0-9\- ]{4,20})/?(?:[?#].*)?$")


class KioskRefused(Exception):
    """The kiosk checks nothing in; it tells the visitor to ask at the desk."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def kiosk_actor(kiosk: Kiosk) -> SystemActor:
    """The kiosk as the actor of the check-ins it makes (bound to its location)."""
    user = kiosk.created_by
    return SystemActor(
        kind="kiosk",
        object_id=kiosk.pk,
        name=kiosk.name,
        location_id=kiosk.location_id,
        location_name=kiosk.location.name,
        set_up_by_id=getattr(user, "pk", None),
        set_up_by_name=(user.get_full_name() or user.username) if user is not None else "",
    )


@transaction.atomic
def kiosk_create(*, actor: Any, location: Any, name: str = "", screen_shows: str = Kiosk.ScreenShows.TICKETS):
    """Set up a kiosk at ``location``; returns ``(kiosk, key)`` (the key is shown only now).

    Refused with ``PermissionDenied`` without ``reception.manage_kiosks`` or outside the actor's
    locations, and with ``ValidationError(code="certificate_required")`` (naming and linking the
    course) when the capability ``reception.kiosk`` is gated and the actor holds no valid
    certificate of its course. Nothing is written when refused.
    """
    require_perm(actor, "reception.manage_kiosks")
    check_location(actor, location)
    # The training app installs the certificate check (reception does not import training).
    require_capability(actor, "reception.kiosk")
    key = secrets.token_urlsafe(24)
    kiosk = Kiosk(
        location=location,
        name=(name or "").strip()[:100] or _("Kiosk"),
        key_hash=_digest(key),
        screen_shows=screen_shows,
        created_by=actor,
    )
    kiosk.full_clean()
    kiosk.save()
    audit_record(
        actor=actor, action="reception.kiosk.created", obj=kiosk, changes={"name": [None, kiosk.name]}
    )
    return kiosk, key


@transaction.atomic
def kiosk_revoke(*, actor: Any, kiosk: Kiosk) -> Kiosk:
    require_perm(actor, "reception.manage_kiosks")
    check_location(actor, kiosk.location)
    if kiosk.revoked_at is None:
        kiosk.revoked_at = timezone.now()
        kiosk.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="reception.kiosk.revoked", obj=kiosk)
    return kiosk


def kiosk_resolve(key: str) -> Kiosk | None:
    """The live kiosk of ``key``, or None."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        return None
    digest = _digest(key)
    kiosk = (
        Kiosk.objects.select_related("location", "created_by")
        .filter(key_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if kiosk is None or not hmac.compare_digest(kiosk.key_hash, digest):
        return None
    return kiosk


def code_from_input(raw: str) -> str:
    """The booking code in what was typed: the code itself or the e-mail's check-in link."""
    raw = (raw or "").strip()[:300]
    match = CODE_IN_LINK.search(raw)
    return match.group(1) if match else raw


def kiosk_check_in(*, kiosk: Kiosk, code: str, at: datetime.datetime | None = None) -> Visit:
    """Check in the booking of ``code`` at the kiosk's location; ``KioskRefused`` otherwise."""
    from frontoffice.appointments.selectors import appointment_by_code

    at = at or timezone.now()
    try:
        appt = appointment_by_code(code_from_input(code), location=kiosk.location)
    except ValidationError:
        raise KioskRefused from None
    if appt is None or appt.status != "booked":
        raise KioskRefused
    early = datetime.timedelta(minutes=int(getattr(settings, "RECEPTION_KIOSK_EARLY_MINUTES", 60)))
    if local_day(kiosk.location, appt.start_at) != local_day(kiosk.location, at):
        raise KioskRefused
    if not appt.start_at - early <= at < appt.end_at:
        raise KioskRefused
    from frontoffice.reception.services.visits import visit_check_in

    try:
        return visit_check_in(actor=kiosk_actor(kiosk), appointment=appt, at=at, via=Visit.Via.KIOSK)
    except (ValidationError, PermissionDenied):
        raise KioskRefused from None


@transaction.atomic
def waiting_target_set(*, actor: Any, location: Any, minutes: int) -> WaitingTarget:
    require_perm(actor, "reception.change_waitingtarget")
    check_location(actor, location)
    target = WaitingTarget.objects.filter(location=location).first() or WaitingTarget(location=location)
    before = target.minutes if target.pk else None
    target.minutes = minutes
    target.full_clean()
    target.save()
    audit_record(
        actor=actor, action="reception.waiting_target.set", obj=target, changes={"minutes": [before, minutes]}
    )
    return target
