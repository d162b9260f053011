"""Survey requests: sent after a completed contact, answered once through a private link, one
reminder, opt-out.

Invariants protected here:

- a request is sent only when the legal entity's settings map the contact's kind to a survey,
  the customer has an e-mail address, has not opted out, is neither merged nor erased, and got
  no other survey request within the fatigue window (the check runs with the customer's row
  locked, so two contacts finishing at once send one request);
- a contact is surveyed at most once (unique trigger + record, also in the database);
- a token is 256 random bits; only its SHA-256 is stored and it is compared in constant time
  (the token helpers are ``billing.services.links``', shared with quotes, not copied); the one
  reminder carries a second token for the same request, so both e-mails' links work;
- a link takes one answer: the row is locked while answering, a second answer is refused
  (``SurveyAnswered``); an expired link is ``LinkGone``; an unknown, malformed or tampered token
  is ``LinkNotFound``; a score outside the survey's range is a ValidationError ``score_range``;
- an answer is attributed to the staff member, team, location and region copied at send time;
- every e-mail is in the customer's language and carries an opt-out link; an opted-out customer
  gets no request and no reminder.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.billing.services.links import TOKEN_BYTES, TOKEN_PATTERN, token_digest
from frontoffice.core.audit import audit_record
from frontoffice.core.registry import Touchpoint
from frontoffice.core.tasks import email_enqueue
from frontoffice.surveys.models import SCORE_RANGE, SurveyKind, SurveyOptOut, SurveyRequest, SurveySettings

COMMENT_MAX = 2000
LANGUAGES = ("en", "sv")


class LinkNotFound(Exception):
    """No survey link has this token (or it is not a token at all)."""


class LinkGone(Exception):
    """The link existed but has expired."""


class SurveyAnswered(Exception):
    """The link was already answered."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one touchpoint: the request sent, or why none was (``skipped``)."""

    request: SurveyRequest | None
    token: str = ""
    skipped: str = ""  # not_triggered, no_customer, no_email, opted_out, fatigue, already_surveyed


def answer_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("surveys-public:answer", kwargs={"token": token})


def opt_out_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("surveys-public:opt-out", kwargs={"token": token})


def _language(party: Any) -> str:
    language = (getattr(party, "language", "") or "").split("-")[0].lower()
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


# ---------------------------------------------------------------- sending


def survey_request_for_touchpoint(*, touchpoint: Touchpoint) -> Outcome:
    """Send the survey the settings map ``touchpoint``'s kind to, if any (a system step: the
    desk that completed the contact checked its actor)."""
    found = SurveySettings.objects.filter(legal_entity_id=touchpoint.legal_entity_id).first()
    kind = (found.triggers or {}).get(touchpoint.kind) if found else None
    if found is None or kind not in SurveyKind.values:
        return Outcome(None, skipped="not_triggered")
    return survey_request_send(survey_settings=found, kind=kind, touchpoint=touchpoint)


def _attribution(touchpoint: Touchpoint) -> dict[str, Any]:
    """Staff, team, location and region of the contact, as they are now (copied into the row)."""
    from frontoffice.org.models import Location, Staff
    from frontoffice.parties.models import Interaction

    staff = (
        Staff.objects.filter(user_id=touchpoint.user_id)
        .only("pk", "team_id", "home_location_id", "home_region_id")
        .first()
        if touchpoint.user_id
        else None
    )
    interaction = (
        Interaction.objects.filter(pk=touchpoint.interaction_id)
        .only("pk", "location_id", "region_id")
        .first()
        if touchpoint.interaction_id
        else None
    )
    location_id = (
        touchpoint.location_id
        or (interaction.location_id if interaction else None)
        or (staff.home_location_id if staff else None)
    )
    region_id = (
        touchpoint.region_id
        or (interaction.region_id if interaction else None)
        or (staff.home_region_id if staff else None)
    )
    if location_id and not region_id:
        region_id = Location.objects.filter(pk=location_id).values_list("region_id", flat=True).first()
    return {
        "staff_id": staff.pk if staff else None,
        "staff_user_id": touchpoint.user_id if staff else None,
        "team_id": staff.team_id if staff else None,
        "location_id": location_id,
        "region_id": region_id,
        "interaction_id": interaction.pk if interaction else None,
    }


def survey_request_send(
    *,
    survey_settings: SurveySettings,
    kind: str,
    touchpoint: Touchpoint,
    now: datetime.datetime | None = None,
) -> Outcome:
    """Make one survey request for ``touchpoint`` and e-mail it on commit, unless a rule says no
    (see the module docstring; ``Outcome.skipped`` says which)."""
    from frontoffice.parties.models import Party

    now = now or timezone.now()
    with transaction.atomic():
        # Locking the customer serialises concurrent sends to them: the fatigue check holds.
        party = (
            Party.objects.select_for_update()
            .filter(pk=touchpoint.party_id, merged_into__isnull=True, erased_at__isnull=True)
            .select_related("legal_entity")
            .first()
        )
        if party is None:
            return Outcome(None, skipped="no_customer")
        if not party.email:
            return Outcome(None, skipped="no_email")
        if SurveyOptOut.objects.filter(party=party).exists():
            return Outcome(None, skipped="opted_out")
        if (
            touchpoint.concerns
            and SurveyRequest.objects.filter(trigger=touchpoint.kind, concerns=touchpoint.concerns).exists()
        ):
            return Outcome(None, skipped="already_surveyed")
        since = now - datetime.timedelta(days=survey_settings.fatigue_days)
        if (
            survey_settings.fatigue_days
            and SurveyRequest.objects.filter(party=party, sent_at__gt=since).exists()
        ):
            return Outcome(None, skipped="fatigue")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        request = SurveyRequest(
            legal_entity_id=touchpoint.legal_entity_id,
            kind=kind,
            trigger=touchpoint.kind,
            party=party,
            concerns=touchpoint.concerns[:80],
            recipient=party.email,
            language=_language(party),
            token_hash=token_digest(token),
            sent_at=now,
            expires_at=now + datetime.timedelta(days=survey_settings.link_days),
            **_attribution(touchpoint),
        )
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:  # the same contact surveyed by a concurrent send
            return Outcome(None, skipped="already_surveyed")
        audit_record(
            actor=None,
            action="surveys.request.sent",
            obj=request,
            changes={
                "kind": [None, kind],
                "trigger": [None, touchpoint.kind],
                "recipient": [None, party.email],
            },
        )
        _email(request, party=party, token=token, reminder=False)
    return Outcome(request, token=token)


def _email(request: SurveyRequest, *, party: Any, token: str, reminder: bool) -> None:
    company = party.legal_entity.name
    days_left = max(1, (request.expires_at - timezone.now()).days)
    with translation.override(request.language):
        if request.kind == SurveyKind.NPS:
            question = _("How likely are you to recommend %(company)s to a friend or colleague (0-10)?") % {
                "company": company
            }
        else:
            question = _("How satisfied were you with your recent contact with %(company)s (1-5)?") % {
                "company": company
            }
        subject = (
            _("Reminder: a quick question from %(company)s")
            if reminder
            else _("A quick question from %(company)s")
        ) % {"company": company}
        body = _(
            "Hello %(name)s,\n\n%(question)s\n\nIt takes a minute: %(url)s\n\n"
            "The link works once and expires in %(days)d days.\n\n"
            "Do not want surveys from us? %(opt_out)s"
        ) % {
            "name": party.first_name or party.display_name,
            "question": question,
            "url": answer_url(token),
            "days": days_left,
            "opt_out": opt_out_url(token),
        }
    email_enqueue(subject=subject, body=body, to=[request.recipient])


# ---------------------------------------------------------------- the customer's link


def _lookup(token: str) -> SurveyRequest:
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise LinkNotFound
    digest = token_digest(token)
    row = (
        SurveyRequest.objects.filter(Q(token_hash=digest) | Q(reminder_token_hash=digest))
        .only("pk", "token_hash", "reminder_token_hash")
        .first()
    )
    if row is None or not (
        hmac.compare_digest(row.token_hash, digest)
        or hmac.compare_digest(row.reminder_token_hash or "", digest)
    ):
        raise LinkNotFound
    return row


def _check(request: SurveyRequest, now: datetime.datetime) -> None:
    if request.answered_at is not None:
        raise SurveyAnswered
    if request.expires_at <= now:
        raise LinkGone


def survey_resolve(token: str) -> SurveyRequest:
    """The live, unanswered request of ``token`` (with its legal entity, for the page)."""
    found = _lookup(token)
    request = SurveyRequest.objects.select_related("legal_entity").get(pk=found.pk)
    _check(request, timezone.now())
    return request


def _score(value: Any, kind: str) -> int:
    low, high = SCORE_RANGE[SurveyKind(kind)]
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValidationError(
            {
                "score": ValidationError(
                    _("Choose a whole number from %(low)d to %(high)d."),
                    code="score_range",
                    params={"low": low, "high": high},
                )
            }
        )
    return int(text)


def survey_answer(
    *, token: str, score: Any, comment: str = "", now: datetime.datetime | None = None
) -> SurveyRequest:
    """Record the customer's answer once: the score (CSAT 1-5, NPS 0-10) and a comment (kept as
    typed, shown escaped), and an interaction of kind ``feedback`` for the staff member.
    ``now`` (default: the current time) places a past answer, e.g. in the demo's history."""
    from frontoffice.parties.services import interaction_record

    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {
                "comment": ValidationError(
                    _("Keep the comment under %(max)d characters."),
                    code="comment_too_long",
                    params={"max": COMMENT_MAX},
                )
            }
        )
    found = _lookup(token)
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            SurveyRequest.objects.select_for_update(of=("self",))
            .select_related("party", "staff", "legal_entity")
            .get(pk=found.pk)
        )
        _check(request, now)
        value = _score(score, request.kind)
        request.score = value
        request.comment = comment
        request.answered_at = now
        party = request.party
        if not party.is_erased and not party.is_merged:
            with translation.override(settings.LANGUAGE_CODE):  # stored text: the site's language
                high = SCORE_RANGE[SurveyKind(request.kind)][1]
                subject = _("Survey answer: %(kind)s %(score)d/%(high)d") % {
                    "kind": request.kind.upper(),
                    "score": value,
                    "high": high,
                }
            # On the customer's timeline, beside the contact it follows up (``interaction``).
            interaction_record(
                actor=None,
                party=party,
                kind="feedback",
                channel="web",
                direction="inbound",
                subject=subject,
                outcome=comment,
                started_at=now,
                staff=request.staff,
                concerns=request,
                check_permission=False,
            )
        request.save(update_fields=["score", "comment", "answered_at", "updated_at"])
        audit_record(
            actor=None, action="surveys.request.answered", obj=request, changes={"score": [None, value]}
        )
    return request


def survey_lookup(token: str) -> SurveyRequest:
    """The request of ``token`` whatever its state (the opt-out page); ``LinkNotFound``."""
    found = _lookup(token)
    return SurveyRequest.objects.select_related("party").get(pk=found.pk)


def survey_opt_out(*, token: str) -> SurveyOptOut:
    """The customer of ``token``'s request wants no more surveys. Works with any link of theirs,
    answered or expired too (an old e-mail's opt-out link must still work); idempotent."""
    request = survey_lookup(token)
    with transaction.atomic():
        opt_out, created = SurveyOptOut.objects.get_or_create(
            party=request.party, defaults={"via": SurveyOptOut.Via.LINK}
        )
        if created:
            audit_record(
                actor=None,
                action="surveys.opt_out.recorded",
                obj=opt_out,
                changes={"via": [None, opt_out.via], "request": [None, request.pk]},
            )
    return opt_out


def survey_opt_out_record(*, actor: Any, party: Any) -> SurveyOptOut:
    """Staff record that the customer wants no surveys (told on the phone, at the desk).
    Needs ``parties.change_party`` and the customer in scope."""
    from frontoffice.core.permissions import require_perm
    from frontoffice.core.scoping import visible_to
    from frontoffice.parties.models import Party

    require_perm(actor, "parties.change_party")
    party = visible_to(Party.objects.all(), actor).get(pk=party.pk)
    with transaction.atomic():
        opt_out, created = SurveyOptOut.objects.get_or_create(
            party=party, defaults={"via": SurveyOptOut.Via.STAFF, "recorded_by": actor}
        )
        if created:
            audit_record(
                actor=actor, action="surveys.opt_out.recorded", obj=opt_out, changes={"via": [None, "staff"]}
            )
    return opt_out


def is_opted_out(party: Any) -> bool:
    return SurveyOptOut.objects.filter(party=party).exists()


# ---------------------------------------------------------------- the one reminder


def survey_reminders_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of the unanswered, unexpired, not yet reminded requests sent at least the legal
    entity's ``reminder_days`` ago, to customers who have not opted out."""
    now = now or timezone.now()
    ids: list[int] = []
    for row in SurveySettings.objects.only("legal_entity_id", "reminder_days"):
        ids.extend(
            SurveyRequest.objects.filter(
                legal_entity_id=row.legal_entity_id,
                answered_at__isnull=True,
                reminded_at__isnull=True,
                expires_at__gt=now,
                sent_at__lte=now - datetime.timedelta(days=row.reminder_days),
                party__merged_into__isnull=True,
                party__erased_at__isnull=True,
            )
            .exclude(party__in=SurveyOptOut.objects.values("party"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return ids


def survey_remind(*, request_id: int, now: datetime.datetime | None = None) -> bool:
    """Send the one reminder of a request (a second token for the same request); ``False`` when
    it is no longer due (answered, expired, reminded, opted out). Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            SurveyRequest.objects.select_for_update(of=("self",))
            .select_related("party", "party__legal_entity")
            .filter(pk=request_id)
            .first()
        )
        if (
            request is None
            or request.answered_at is not None
            or request.reminded_at is not None
            or request.expires_at <= now
            or request.party.is_erased
            or request.party.is_merged
            or not request.party.email
            or SurveyOptOut.objects.filter(party_id=request.party_id).exists()
        ):
            return False
        token = secrets.token_urlsafe(TOKEN_BYTES)
        request.reminder_token_hash = token_digest(token)
        request.reminded_at = now
        request.save(update_fields=["reminder_token_hash", "reminded_at", "updated_at"])
        audit_record(
            actor=None,
            action="surveys.request.reminded",
            obj=request,
            changes={"reminded_at": [None, now.isoformat()]},
        )
        _email(request, party=request.party, token=token, reminder=True)
    return True


def survey_send_reminders(*, now: datetime.datetime | None = None, dry_run: bool = False) -> int:
    """Send every due reminder (see ``survey_reminders_due``); returns how many were (or, with
    ``dry_run``, would be) sent."""
    due = survey_reminders_due(now=now)
    if dry_run:
        return len(due)
    return sum(1 for pk in due if survey_remind(request_id=pk, now=now))
