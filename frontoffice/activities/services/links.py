"""Private links of the activities app: the customer's feedback link after a held meeting,
and each user's personal calendar feed.

Invariants protected here (the mechanics of ``billing.services.links``):
- a token is 256 random bits (``secrets.token_urlsafe(32)``, 43 characters); only its SHA-256
  is stored, looked up through a unique index and compared once more in constant time;
- a feedback link takes one answer: the row is locked while answering and a second answer is
  refused (``FeedbackAnswered``); an expired link is gone (``LinkGone``); an unknown or
  malformed token is ``LinkNotFound``;
- the answer (1-5 and a comment) is recorded as an interaction of kind ``feedback`` for the
  meeting's organiser, concerning the meeting;
- a calendar feed shows only its owner's meetings; making a new feed URL revokes the old one,
  and a revoked token is not found.
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

from frontoffice.activities.models import CalendarFeed, Meeting, MeetingFeedback
from frontoffice.activities.services.common import staff_of
from frontoffice.core.audit import audit_record
from frontoffice.core.tasks import email_enqueue
from frontoffice.parties.models import Interaction

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


class LinkNotFound(Exception):
    """No live link has this token."""


class LinkGone(Exception):
    """The link existed but has expired."""


class FeedbackAnswered(Exception):
    """The feedback link was already used."""


@dataclass(frozen=True)
class NewToken:
    obj: Any
    token: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _lookup(model: type, token: str, **extra: Any) -> Any:
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise LinkNotFound
    digest = token_digest(token)
    obj = model.objects.filter(token_hash=digest, **extra).first()
    if obj is None or not hmac.compare_digest(obj.token_hash, digest):
        raise LinkNotFound
    return obj


# ---------------------------------------------------------------- feedback


def feedback_days() -> int:
    return int(getattr(settings, "ACTIVITIES_FEEDBACK_DAYS", 14))


@transaction.atomic
def feedback_request(*, meeting: Meeting) -> NewToken:
    """Make the feedback link of a held meeting and e-mail it to the customer on commit (a
    system step of ``meeting_record_outcome``, which checked the actor)."""
    token = secrets.token_urlsafe(32)
    feedback = MeetingFeedback.objects.create(
        meeting=meeting,
        recipient=meeting.party.email,
        token_hash=token_digest(token),
        expires_at=timezone.now() + datetime.timedelta(days=feedback_days()),
    )
    audit_record(
        actor=None,
        action="activities.meeting_feedback.requested",
        obj=feedback,
        changes={"recipient": [None, feedback.recipient]},
    )
    url = settings.SITE_URL.rstrip("/") + reverse("activities:feedback", kwargs={"token": token})
    with translation.override(meeting.party.language or "sv"):
        subject = _("How was our meeting?")
        body = _(
            "Thank you for meeting %(rep)s on %(date)s.\n\nPlease tell us how it went (1-5), it takes "
            "a minute:\n%(url)s\n\nThe link works once and expires in %(days)d days."
        ) % {
            "rep": meeting.organiser.get_full_name() or meeting.organiser.username,
            "date": meeting.starts_at.date().isoformat(),
            "url": url,
            "days": feedback_days(),
        }
    email_enqueue(subject=subject, body=body, to=[feedback.recipient])
    return NewToken(feedback, token)


def feedback_resolve(token: str) -> MeetingFeedback:
    """The unanswered, live feedback request of ``token``."""
    found = _lookup(MeetingFeedback, token)
    feedback = MeetingFeedback.objects.select_related("meeting__organiser", "meeting__party").get(pk=found.pk)
    if feedback.answered_at is not None:
        raise FeedbackAnswered
    if feedback.expires_at <= timezone.now():
        raise LinkGone
    return feedback


@transaction.atomic
def feedback_submit(*, token: str, rating: Any, comment: str = "") -> MeetingFeedback:
    """Record the customer's answer (1-5 and a comment) once, and an interaction of kind
    ``feedback`` for the organiser."""
    found = _lookup(MeetingFeedback, token)
    feedback = (
        MeetingFeedback.objects.select_for_update(of=("self",))
        .select_related("meeting__organiser", "meeting__party")
        .get(pk=found.pk)
    )
    if feedback.answered_at is not None:
        raise FeedbackAnswered
    if feedback.expires_at <= timezone.now():
        raise LinkGone
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError({"rating": ValidationError(_("Choose 1 to 5."), code="rating")})
    comment = (comment or "").strip()[:2000]
    meeting = feedback.meeting
    from frontoffice.parties.services import interaction_record

    interaction = interaction_record(
        actor=None,
        party=meeting.party,
        kind=Interaction.Kind.FEEDBACK,
        channel=Interaction.Channel.WEB,
        direction=Interaction.Direction.INBOUND,
        subject=_("Meeting feedback: %(rating)d/5 (%(title)s)") % {"rating": value, "title": meeting.title},
        outcome=comment,
        staff=staff_of(meeting.organiser),
        concerns=meeting,
        check_permission=False,
    )
    feedback.rating = value
    feedback.comment = comment
    feedback.answered_at = timezone.now()
    feedback.interaction = interaction
    feedback.save(update_fields=["rating", "comment", "answered_at", "interaction"])
    audit_record(
        actor=None,
        action="activities.meeting_feedback.answered",
        obj=feedback,
        changes={"rating": [None, value]},
    )
    return feedback


# ---------------------------------------------------------------- calendar feed


@transaction.atomic
def calendar_feed_create(*, actor: Any) -> NewToken:
    """A new personal feed URL for ``actor`` (their earlier one stops working)."""
    now = timezone.now()
    CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor, token_hash=token_digest(token))
    audit_record(actor=actor, action="activities.calendar_feed.created", obj=feed)
    return NewToken(feed, token)


@transaction.atomic
def calendar_feed_revoke(*, actor: Any) -> int:
    """Revoke ``actor``'s feed URLs; returns how many were live."""
    feeds = list(CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True))
    for feed in feeds:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="activities.calendar_feed.revoked", obj=feed)
    return len(feeds)


def calendar_feed_resolve(token: str) -> CalendarFeed:
    """The live feed of ``token`` (its user active), counting the use."""
    feed = _lookup(CalendarFeed, token, revoked_at__isnull=True)
    if not feed.user.is_active:
        raise LinkNotFound
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed


def calendar_feed_path(token: str) -> str:
    return reverse("activities:calendar-feed", kwargs={"token": token})
