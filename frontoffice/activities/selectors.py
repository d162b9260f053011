"""Read path of the activities app. Every selector serving a user is scoped.

- Activities: ``visible_to`` (reps their own, regional managers their regions, national
  managers everything).
- Meetings: ``visible_to`` (organiser's scope) plus the meetings the user attends, so an
  attendee sees the meeting they were invited to.
- Lists select what their pages show, so the number of queries does not grow with the rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from frontoffice.activities.models import Activity, EmailTemplate, Meeting, MeetingFeedback
from frontoffice.core.scoping import get_visible_or_404, visible_to

ACTIVITY_STATUSES = ("open", "overdue", "done", "all")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def local_day(now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """Start and end of today in the current time zone (23 or 25 hours on a DST change day)."""
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), tz).date()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min), tz)
    end = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min), tz
    )
    return start, end


# ---------------------------------------------------------------- activities


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Start and end of ``day`` in the current time zone, as aware datetimes: a range on the
    column (not ``__date``, which casts every row) so the indexes on the dates are used."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), tz)
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min), tz
    )
    return start, end


def activity_search_q(q: str) -> Q | None:
    """Free text over subject, notes and the customer's name: every word (at most five) must
    appear in one of them, case-insensitively; ``None`` for an empty search."""
    words = " ".join((q or "").split()).split(" ")[:5]
    condition = None
    for word in filter(None, words):
        match = Q(subject__icontains=word) | Q(notes__icontains=word) | Q(party__display_name__icontains=word)
        condition = match if condition is None else condition & match
    return condition


def activity_list(
    *,
    user: Any,
    kind: str = "",
    status: str = "open",
    owner: Any = None,
    party: Any = None,
    q: str = "",
    due_from: datetime.date | None = None,
    due_to: datetime.date | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    now: datetime.datetime | None = None,
    region: Any = None,
) -> QuerySet[Activity]:
    """Activities visible to ``user``: open ones by due time, done ones newest first.

    ``status``: open, overdue (open and due before now), done or all; ``owner``: ``me`` or a
    user id; ``q``: words of the subject, the notes or the customer's name; ``due_from``/
    ``due_to``: due dates; ``date_from``/``date_to``: the activity's date, i.e. when it was done,
    else when it is due (``activity_when_idx``). Dates are days in the current time zone. The
    filters only narrow the user's scope, never widen it.
    """
    qs = visible_to(Activity.objects.all(), user).select_related(
        "party", "owner", "lead", "opportunity", "region"
    )
    if kind in Activity.Kind.values:
        qs = qs.filter(kind=kind)
    now = now or timezone.now()
    if status == "open":
        qs = qs.filter(done_at__isnull=True)
    elif status == "overdue":
        qs = qs.filter(done_at__isnull=True, due_at__lt=now)
    elif status == "done":
        qs = qs.filter(done_at__isnull=False)
    if owner == "me":
        qs = qs.filter(owner_id=user.pk)
    elif owner not in (None, "") and str(_pk(owner)).isdigit():
        qs = qs.filter(owner_id=int(_pk(owner)))
    if party not in (None, "") and str(_pk(party)).isdigit():
        qs = qs.filter(party_id=int(_pk(party)))
    if due_from:
        qs = qs.filter(due_at__gte=_day_bounds(due_from)[0])
    if due_to:
        qs = qs.filter(due_at__lt=_day_bounds(due_to)[1])
    if date_from or date_to:
        qs = qs.alias(when=Coalesce("done_at", "due_at"))
        if date_from:
            qs = qs.filter(when__gte=_day_bounds(date_from)[0])
        if date_to:
            qs = qs.filter(when__lt=_day_bounds(date_to)[1])
    if region not in (None, "") and str(_pk(region)).isdigit():  # the sales managers' report
        qs = qs.filter(region_id=int(_pk(region)))
    search = activity_search_q(q)
    if search is not None:
        qs = qs.filter(search)
    if status == "done":
        return qs.order_by("-done_at", "-id")
    return qs.order_by(F("due_at").asc(nulls_last=True), "-created_at", "-id")


def activity_get(*, user: Any, pk: Any) -> Activity:
    qs = Activity.objects.select_related(
        "party", "owner", "interaction", "meeting", "lead", "opportunity", "created_by"
    )
    return get_visible_or_404(qs, user, pk=pk)


def email_template_list(
    *, user: Any, legal_entity: Any = None, active_only: bool = False
) -> QuerySet[EmailTemplate]:
    qs = visible_to(EmailTemplate.objects.all(), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity_id=_pk(legal_entity))
    if active_only:
        qs = qs.filter(active=True)
    return qs.select_related("legal_entity").order_by("name", "language", "id")


def email_template_get(*, user: Any, pk: Any) -> EmailTemplate:
    return get_visible_or_404(EmailTemplate.objects.select_related("legal_entity"), user, pk=pk)


# ---------------------------------------------------------------- meetings


def _meetings(user: Any) -> QuerySet[Meeting]:
    """Meetings in ``user``'s scope plus those they attend."""
    base = Meeting.objects.all()
    attending = Meeting.attendees.through.objects.filter(user_id=user.pk).values("meeting_id")
    scoped = visible_to(base, user).values("pk")
    return base.filter(Q(pk__in=scoped) | Q(pk__in=attending))


def meeting_list(
    *,
    user: Any,
    status: str = "",
    organiser: Any = None,
    party: Any = None,
    starts_from: datetime.datetime | None = None,
    starts_before: datetime.datetime | None = None,
    q: str = "",
) -> QuerySet[Meeting]:
    """Meetings visible to ``user``, earliest first; ``organiser``: ``me`` (organised or
    attended) or a user id."""
    qs = _meetings(user).select_related("party", "organiser", "office")
    if status in Meeting.Status.values:
        qs = qs.filter(status=status)
    if organiser == "me":
        qs = qs.filter(Q(organiser_id=user.pk) | Q(attendees=user.pk)).distinct()
    elif organiser not in (None, "") and str(_pk(organiser)).isdigit():
        qs = qs.filter(organiser_id=int(_pk(organiser)))
    if party not in (None, ""):
        qs = qs.filter(party_id=_pk(party))
    if starts_from:
        qs = qs.filter(starts_at__gte=starts_from)
    if starts_before:
        qs = qs.filter(starts_at__lt=starts_before)
    q = " ".join((q or "").split())
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(party__display_name__icontains=q))
    return qs.order_by("starts_at", "id")


def meeting_get(*, user: Any, pk: Any) -> Meeting:
    qs = (
        _meetings(user)
        .select_related("party", "organiser", "office", "lead", "opportunity", "interaction", "created_by")
        .prefetch_related("attendees")
    )
    try:
        return qs.get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def feed_meetings(*, user: Any, now: datetime.datetime | None = None) -> QuerySet[Meeting]:
    """A user's own meetings for their calendar feed: organised or attended, from 30 days ago
    on, planned or held (cancelled ones are dropped from the feed)."""
    since = (now or timezone.now()) - datetime.timedelta(days=30)
    attending = Meeting.attendees.through.objects.filter(user_id=user.pk).values("meeting_id")
    return (
        Meeting.objects.filter(Q(organiser_id=user.pk) | Q(pk__in=attending))
        .exclude(status=Meeting.Status.CANCELLED)
        .filter(ends_at__gte=since)
        .select_related("party", "organiser", "office")
        .order_by("starts_at", "id")
    )


# ---------------------------------------------------------------- worklist


@dataclass
class Worklist:
    overdue: list[Activity]
    due_today: list[Activity]
    meetings: list[Meeting]
    overdue_leads: list[Any] | None  # None: the leads app is not installed
    day_start: datetime.datetime
    day_end: datetime.datetime

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.due_today or self.meetings or self.overdue_leads)


def worklist(*, user: Any, now: datetime.datetime | None = None) -> Worklist:
    """The rep's today: their open activities due before the end of today (overdue first),
    today's meetings they organise or attend, and their leads whose first contact is overdue."""
    now = now or timezone.now()
    start, end = local_day(now)
    open_due = list(
        Activity.objects.filter(owner_id=user.pk, done_at__isnull=True, due_at__lt=end)
        .select_related("party", "lead", "opportunity")
        .order_by("due_at", "id")[:200]
    )
    meetings = list(
        meeting_list(
            user=user, organiser="me", status=Meeting.Status.PLANNED, starts_from=start, starts_before=end
        )
    )
    return Worklist(
        overdue=[a for a in open_due if a.due_at < now],
        due_today=[a for a in open_due if a.due_at >= now],
        meetings=meetings,
        overdue_leads=overdue_first_contacts(user=user, now=now),
        day_start=start,
        day_end=end,
    )


def overdue_first_contacts(
    *, user: Any, now: datetime.datetime | None = None, limit: int = 50
) -> list[Any] | None:
    """The user's leads not contacted yet whose first-contact target has passed (read through
    the leads app's scope); ``None`` when leads is not installed."""
    try:
        from frontoffice.leads.models import Lead
    except ImportError:  # pragma: no cover - leads always ships now
        return None
    now = now or timezone.now()
    return list(
        visible_to(Lead.objects.all(), user)
        .filter(
            owner_id=user.pk,
            first_contact_at__isnull=True,
            first_contact_due_at__lt=now,
            stage=Lead.Stage.NEW,
        )
        .select_related("party")
        .order_by("first_contact_due_at", "id")[:limit]
    )


# ---------------------------------------------------------------- party panel


def party_upcoming(*, user: Any, party: Any, limit: int = 5) -> tuple[list[Meeting], list[Activity]]:
    """Upcoming planned meetings and open activities with ``party`` that ``user`` may see."""
    meetings = list(
        meeting_list(user=user, party=party, status=Meeting.Status.PLANNED, starts_from=timezone.now())[
            :limit
        ]
    )
    activities = list(activity_list(user=user, party=party, status="open")[:limit])
    return meetings, activities


# ---------------------------------------------------------------- meeting brief


@dataclass
class Rating:
    source: str  # "meeting" or "invoice_question"
    rating: int
    comment: str
    at: datetime.datetime
    about: str


@dataclass
class MeetingBrief:
    meeting: Meeting
    interactions: list[Any]
    opportunities: list[Any] | None  # None: sales not installed or not permitted
    invoices: list[Any] | None
    questions: list[Any] | None
    ratings: list[Rating] = field(default_factory=list)
    previous: Meeting | None = None
    open_activities: list[Activity] = field(default_factory=list)

    @property
    def average_rating(self) -> Decimal | None:
        if not self.ratings:
            return None
        total = Decimal(sum(r.rating for r in self.ratings)) / Decimal(len(self.ratings))
        return total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def meeting_brief(*, user: Any, meeting: Meeting, limit: int = 10) -> MeetingBrief:
    """What to know before meeting the customer, each part through its own app's scoped
    selector; a fixed number of queries whatever the history's length."""
    from frontoffice.parties.models import Party
    from frontoffice.parties.selectors import interaction_list, party_timeline

    party = meeting.party
    if visible_to(Party.objects.filter(pk=party.pk), user).exists():
        interactions = list(party_timeline(user=user, party=party)[:limit])
    else:
        interactions = list(interaction_list(user=user, party=party)[:limit])

    opportunities = None
    if user.has_perm("sales.view_opportunity"):
        try:
            from frontoffice.sales.selectors import opportunity_list
        except ImportError:  # pragma: no cover
            opportunities = None
        else:
            opportunities = list(opportunity_list(user=user, party=party, status="open")[:limit])

    invoices = questions = None
    ratings: list[Rating] = []
    if user.has_perm("billing.view_invoice"):
        from frontoffice.billing.selectors.invoices import invoice_list
        from frontoffice.billing.selectors.questions import question_list

        invoices = list(invoice_list(user=user, party=party).exclude(status="draft")[:limit])
        questions = list(question_list(user=user, status="active").filter(party=party)[:limit])
        rated = question_list(user=user, status="all").filter(party=party, rating__isnull=False)
        ratings += [
            Rating("invoice_question", q.rating, q.rating_comment, q.rated_at, str(q.invoice))
            for q in rated.order_by("-rated_at")[:limit]
        ]
    feedback = (
        visible_to(MeetingFeedback.objects.all(), user)
        .filter(meeting__party=party, answered_at__isnull=False)
        .select_related("meeting")
        .order_by("-answered_at")[:limit]
    )
    ratings += [Rating("meeting", f.rating, f.comment, f.answered_at, f.meeting.title) for f in feedback]
    ratings.sort(key=lambda r: r.at, reverse=True)

    previous = (
        _meetings(user)
        .filter(party=party, status=Meeting.Status.HELD, starts_at__lt=meeting.starts_at)
        .exclude(pk=meeting.pk)
        .select_related("organiser")
        .order_by("-starts_at", "-id")
        .first()
    )
    open_activities = list(activity_list(user=user, party=party, status="open")[:limit])
    return MeetingBrief(
        meeting=meeting,
        interactions=interactions,
        opportunities=opportunities,
        invoices=invoices,
        questions=questions,
        ratings=ratings,
        previous=previous,
        open_activities=open_activities,
    )
