"""Demo data for customer surveys (``seed_surveys``, called by ``frontoffice demo`` after the
desks' seeds; safe to re-run).

- The company's survey settings, once (an administrator's later changes are kept): NPS after a
  completed visit and after a resolved invoice question, CSAT after a held meeting; at most one
  survey per customer every 30 days, links live 14 days, one reminder after 3. The clinic asks
  NPS rather than CSAT after visits because the reception desk already sends its own 1-5 visit
  feedback link (the settings page says so), and it gives the clinic an NPS figure of its own.
- Survey requests for the demo's past contacts (the visits, meetings and invoice questions in
  the customers' histories, last 90 days), sent, reminded, answered or left to expire through
  the surveys services with the contact's time, so fatigue, attribution (the staff member who
  handled the contact, their team, location and region), audit entries and e-mails are those of
  real use. Each contact is surveyed once (``parties.interaction:<id>``), so a second run finds
  them surveyed and adds nothing.
- The latest open request of each kind of contact is answered a few minutes ago, so this
  week's and this month's scorecards have CSAT and NPS figures whatever the day.
- Two customers who opted out: one through the link in a survey e-mail, one told the reception
  desk (recorded by the receptionist).

Scores, comments and timings come from a seeded random generator (the same demo every run).
Comments are in the customer's language (Swedish or English), as the survey e-mail was.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

SETTINGS = {
    "reception.visit_completed": "nps",
    "activities.meeting_held": "csat",
    "billing.question_resolved": "nps",
}
# The kind of a past contact in the customers' histories -> the contact the desk announces.
TRIGGER_OF = {
    "visit": "reception.visit_completed",
    "meeting": "activities.meeting_held",
    "invoice_question": "billing.question_resolved",
}
FATIGUE_DAYS, LINK_DAYS, REMINDER_DAYS = 30, 14, 3
# Weights of each score: CSAT 1..5, NPS 0..10 (mostly satisfied, a realistic tail).
SCORE_WEIGHTS = {"csat": [2, 4, 12, 36, 46], "nps": [1, 1, 1, 2, 2, 3, 5, 9, 14, 28, 34]}
COMMENTS = {
    "sv": {
        "good": [
            "Mycket trevligt bemötande.",
            "Snabbt och smidigt, tack!",
            "Kunnig personal som tog sig tid.",
            "Allt fungerade precis som utlovat.",
            "Rekommenderar er gärna till vänner.",
        ],
        "mid": [
            "Bra, men väntetiden kunde varit kortare.",
            "Okej, men lite svårt att nå er per telefon.",
            "Helt godkänt.",
        ],
        "bad": [
            "Fick vänta länge utan besked.",
            "Ingen återkoppling som utlovat.",
            "Otydlig information om kostnaden.",
        ],
    },
    "en": {
        "good": [
            "Very friendly and professional.",
            "Quick and easy, thank you!",
            "Knowledgeable staff who took their time.",
            "Everything worked exactly as promised.",
            "Happy to recommend you to friends.",
        ],
        "mid": [
            "Good, but the wait could have been shorter.",
            "Fine, but you were hard to reach by phone.",
            "Perfectly acceptable.",
        ],
        "bad": [
            "Waited a long time without any word.",
            "No follow-up as promised.",
            "Unclear information about the cost.",
        ],
    },
}


def _score(rng: random.Random, kind: str) -> int:
    weights = SCORE_WEIGHTS[kind]
    low = 1 if kind == "csat" else 0
    return rng.choices(range(low, low + len(weights)), weights=weights)[0]


def _comment(rng: random.Random, kind: str, score: int, language: str) -> str:
    if rng.random() > 0.45:
        return ""
    good, bad = (4, 2) if kind == "csat" else (9, 6)
    tone = "good" if score >= good else "bad" if score <= bad else "mid"
    return rng.choice(COMMENTS.get(language, COMMENTS["sv"])[tone])


def _settings(company: Any, users: dict[str, Any]) -> Any:
    from frontoffice.surveys.models import SurveySettings
    from frontoffice.surveys.services import survey_settings_update

    found = SurveySettings.objects.filter(legal_entity=company).first()
    if found is not None:
        return found
    admin = users.get("admin")
    if admin is None:
        return None
    return survey_settings_update(
        actor=admin,
        legal_entity=company,
        triggers=SETTINGS,
        fatigue_days=FATIGUE_DAYS,
        link_days=LINK_DAYS,
        reminder_days=REMINDER_DAYS,
    )


def seed_surveys(
    company: Any, users: dict[str, Any], *, now: datetime.datetime | None = None
) -> dict[str, int]:
    """Settings, survey requests for the demo's past contacts and two opt-outs (once); returns
    how many requests were sent, answered and reminded, and opt-outs recorded, in this run."""
    from frontoffice.core.registry import Touchpoint
    from frontoffice.parties.models import Interaction
    from frontoffice.surveys.models import SurveyOptOut, SurveyRequest
    from frontoffice.surveys.services import survey_answer, survey_opt_out, survey_remind, survey_request_send
    from frontoffice.surveys.services.optout import survey_opt_out_set

    counts = {"sent": 0, "answered": 0, "reminded": 0, "opt_outs": 0}
    row = _settings(company, users)
    if row is None:
        return counts
    now = now or timezone.now()
    rng = random.Random(42)
    contacts = (
        Interaction.objects.filter(
            legal_entity=company,
            kind__in=list(TRIGGER_OF),
            concerns_type__isnull=True,  # contacts of desk records announce their own touchpoints
            staff__isnull=False,
            ended_at__isnull=False,
            ended_at__lt=now,
            party__merged_into__isnull=True,
            party__erased_at__isnull=True,
        )
        .select_related("staff")
        .order_by("ended_at", "pk")
    )
    opened: dict[str, tuple[SurveyRequest, str]] = {}  # trigger -> its latest still open request
    link_opt_out = SurveyOptOut.objects.filter(party__legal_entity=company).exists()
    reminder = datetime.timedelta(days=row.reminder_days)
    for contact in contacts:
        trigger = TRIGGER_OF[contact.kind]
        kind = (row.triggers or {}).get(trigger)
        if kind not in SCORE_WEIGHTS:
            continue
        sent_at = contact.ended_at + datetime.timedelta(minutes=rng.randint(5, 90))
        if sent_at >= now:
            continue
        outcome = survey_request_send(
            survey_settings=row,
            kind=kind,
            touchpoint=Touchpoint(
                kind=trigger,
                party_id=contact.party_id,
                legal_entity_id=company.pk,
                user_id=contact.staff.user_id,
                location_id=contact.location_id,
                region_id=contact.region_id,
                interaction_id=contact.pk,
                concerns=f"parties.interaction:{contact.pk}",
            ),
            now=sent_at,
        )
        request = outcome.request
        if request is None:
            continue
        counts["sent"] += 1
        fate = rng.random()
        if fate < 0.45:  # answered from the first e-mail
            answer_at = sent_at + datetime.timedelta(hours=rng.uniform(1, 24 * row.reminder_days - 2))
        elif fate < 0.62:  # answered after the reminder
            answer_at = sent_at + reminder + datetime.timedelta(hours=rng.uniform(2, 96))
        else:
            answer_at = None
        if not link_opt_out and 0.62 <= fate < 0.70 and request.party.location_id:
            survey_opt_out(token=outcome.token)  # the customer's own link, instead of an answer
            link_opt_out = True
            counts["opt_outs"] += 1
            continue
        remind = answer_at is None or answer_at > sent_at + reminder
        if (
            remind
            and sent_at + reminder < now
            and survey_remind(request_id=request.pk, now=sent_at + reminder)
        ):
            counts["reminded"] += 1
        if answer_at is not None and answer_at < min(now, request.expires_at):
            score = _score(rng, kind)
            survey_answer(
                token=outcome.token,
                score=score,
                comment=_comment(rng, kind, score, request.language),
                now=answer_at,
            )
            counts["answered"] += 1
        elif request.expires_at > now:
            opened[trigger] = (request, outcome.token)
    # The latest open request of each contact kind was answered a few minutes ago (today, even
    # just after midnight: this day's, week's and month's figures are never empty).
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
    for _trigger, (request, token) in sorted(opened.items()):
        score = _score(rng, request.kind)
        answer_at = min(
            now,
            max(
                request.sent_at + datetime.timedelta(seconds=30),
                midnight,
                now - datetime.timedelta(minutes=20),
            ),
        )
        survey_answer(
            token=token,
            score=score,
            comment=_comment(rng, request.kind, score, request.language),
            now=answer_at,
        )
        counts["answered"] += 1
    counts["opt_outs"] += _desk_opt_out(company, users, survey_opt_out_set)
    return counts


def _desk_opt_out(company: Any, users: dict[str, Any], record: Any) -> int:
    """A clinic patient who told the reception desk they want no surveys (once)."""
    from frontoffice.parties.models import Party
    from frontoffice.surveys.models import SurveyOptOut

    receptionist = users.get("reception")
    staff = getattr(receptionist, "staff", None) if receptionist else None
    if staff is None or not staff.home_location_id:
        return 0
    if SurveyOptOut.objects.filter(party__legal_entity=company, via=SurveyOptOut.Via.STAFF).exists():
        return 0
    patient = (
        Party.objects.active()
        .filter(legal_entity=company, location_id=staff.home_location_id, kind=Party.Kind.PERSON)
        .exclude(email="")
        .exclude(pk__in=SurveyOptOut.objects.values("party_id"))
        .order_by("-email")
        .first()
    )
    if patient is None:
        return 0
    record(actor=receptionist, party=patient, opted_out=True)
    return 1
