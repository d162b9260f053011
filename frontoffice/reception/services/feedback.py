"""Visit feedback: the private, single-use link a visitor gets after a completed visit.

- a token is 256 random bits (``secrets.token_urlsafe(32)``, 43 characters); only its SHA-256 is
  stored, looked up through a unique index and compared again in constant time;
- a link takes one answer (the row is locked while answering; a second answer is refused with
  ``FeedbackAnswered``); an expired link is ``LinkGone``; an unknown or malformed token is
  ``LinkNotFound``;
- the answer (1-5 and a comment) is recorded as an interaction of kind ``feedback`` attributed
  to the receptionist who checked the visitor in, concerning the visit, so it counts for the
  receptionist and (through the row's location) for the location.
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
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.tasks import email_enqueue
from frontoffice.reception.models import Visit, VisitFeedback
from frontoffice.reception.services.common import staff_of

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
LANGUAGES = ("en", "sv")


class LinkNotFound(Exception):
    """No link has this token."""


class LinkGone(Exception):
    """The link existed but has expired."""


class FeedbackAnswered(Exception):
    """The link was already used."""


@dataclass(frozen=True)
class NewToken:
    obj: Any
    token: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def feedback_days() -> int:
    return int(getattr(settings, "RECEPTION_FEEDBACK_DAYS", 14))


def feedback_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("reception_public:feedback", kwargs={"token": token})


def _lookup(token: str) -> VisitFeedback:
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise LinkNotFound
    digest = token_digest(token)
    row = VisitFeedback.objects.filter(token_hash=digest).only("pk", "token_hash").first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise LinkNotFound
    return row


@transaction.atomic
def feedback_request(*, visit: Visit) -> NewToken:
    """Make the feedback link of a completed visit and e-mail it (in the visitor's language,
    English or Swedish) on commit. A system step of ``visit_set_status``, which checked the actor."""
    token = secrets.token_urlsafe(32)
    party = visit.party
    feedback = VisitFeedback.objects.create(
        visit=visit,
        location_id=visit.location_id,
        receptionist_id=visit.receptionist_id,
        recipient=party.email,
        token_hash=token_digest(token),
        expires_at=timezone.now() + datetime.timedelta(days=feedback_days()),
    )
    audit_record(
        actor=None,
        action="reception.feedback.requested",
        obj=feedback,
        changes={"recipient": [None, feedback.recipient]},
    )
    language = (party.language or "sv").split("-")[0].lower()
    with translation.override(language if language in LANGUAGES else "en"):
        subject = _("How was your visit to %(location)s?") % {"location": visit.location.name}
        body = _(
            "Thank you for visiting %(location)s today.\n\nHow was your visit? Please rate it from 1 "
            "to 5, it takes a minute:\n%(url)s\n\nThe link works once and expires in %(days)d days."
        ) % {"location": visit.location.name, "url": feedback_url(token), "days": feedback_days()}
    email_enqueue(subject=subject, body=body, to=[feedback.recipient])
    return NewToken(feedback, token)


def _check(feedback: VisitFeedback) -> None:
    if feedback.answered_at is not None:
        raise FeedbackAnswered
    if feedback.expires_at <= timezone.now():
        raise LinkGone


def feedback_resolve(token: str) -> VisitFeedback:
    """The unanswered, live feedback request of ``token``."""
    found = _lookup(token)
    feedback = VisitFeedback.objects.select_related("visit__location").get(pk=found.pk)
    _check(feedback)
    return feedback


@transaction.atomic
def feedback_submit(*, token: str, rating: Any, comment: str = "") -> VisitFeedback:
    """Record the visitor's answer once: 1-5 and a comment, and an interaction of kind
    ``feedback`` for the receptionist who checked them in."""
    from frontoffice.parties.services import interaction_record

    found = _lookup(token)
    feedback = (
        VisitFeedback.objects.select_for_update(of=("self",))
        .select_related("visit__party", "visit__location", "receptionist")
        .get(pk=found.pk)
    )
    _check(feedback)
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError({"rating": ValidationError(_("Choose 1 to 5."), code="rating")})
    comment = (comment or "").strip()[:2000]
    visit = feedback.visit
    interaction = None
    if visit.party_id and not visit.party.is_erased and not visit.party.is_merged:
        interaction = interaction_record(
            actor=None,
            party=visit.party,
            kind="feedback",
            channel="web",
            direction="inbound",
            subject=_("Visit feedback: %(rating)d/5 (%(location)s)")
            % {"rating": value, "location": visit.location.name},
            outcome=comment,
            staff=staff_of(feedback.receptionist),
            concerns=visit,
            check_permission=False,
        )
    feedback.rating = value
    feedback.comment = comment
    feedback.answered_at = timezone.now()
    feedback.interaction = interaction
    feedback.save(update_fields=["rating", "comment", "answered_at", "interaction"])
    audit_record(
        actor=None, action="reception.feedback.answered", obj=feedback, changes={"rating": [None, value]}
    )
    return feedback
