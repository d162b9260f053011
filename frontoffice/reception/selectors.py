"""Read side of the reception desk: the working location, today's arrivals, the live waiting
room, visit and feedback lists, the host's visitors and the office
manager's desk report.

Every selector serving a user starts from ``visible_to``; lists never load health-related notes
(they live on the appointment and are deferred). Waiting times are computed here, on the
server, from the stored timestamps:

    waiting time = called_in_at - arrived_at (still waiting: now - arrived_at)

Percentiles use linear interpolation between the two nearest ranks (like PostgreSQL's
``percentile_cont``): the database sorts the waiting times and returns only the one or two rows
around the rank, on every backend.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from frontoffice.appointments.rules import location_zone
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.reception.models import Kiosk, Visit, VisitFeedback, WaitingTarget

DEFAULT_TARGET_MINUTES = 15
WAIT = ExpressionWrapper(F("called_in_at") - F("arrived_at"), output_field=DurationField())


# ---------------------------------------------------------------- locations


def locations_for(user) -> QuerySet:
    from frontoffice.org.models import Location

    return visible_to(Location.objects.select_related("legal_entity", "region"), user).order_by("name")


def working_location(user, raw: Any = None):
    """The location the desk works at: ``raw`` (an id the user may see; 404 otherwise), else the
    user's home location when visible, else their first visible location (404 when none)."""
    from frontoffice.org.models import Staff

    locations = locations_for(user)
    if raw not in (None, ""):
        if not str(raw).isdigit():
            raise Http404
        return get_visible_or_404(locations, user, pk=int(raw))
    staff = Staff.objects.filter(user_id=user.pk, active=True).only("home_location_id").first()
    if staff and staff.home_location_id:
        home = locations.filter(pk=staff.home_location_id).first()
        if home is not None:
            return home
    first = locations.first()
    if first is None:
        raise Http404
    return first


def local_now(location) -> datetime.datetime:
    return timezone.now().astimezone(location_zone(location))


def today(location) -> datetime.date:
    return local_now(location).date()


def target_minutes(location) -> int:
    target = WaitingTarget.objects.filter(location=location).only("minutes").first()
    return target.minutes if target else DEFAULT_TARGET_MINUTES


# ---------------------------------------------------------------- desk


def arrivals_today(*, user, location, q: str = "") -> QuerySet:
    """Today's appointments at ``location`` still to arrive (booked), by start; ``q`` searches the
    patient's name, e-mail or phone, or a booking code."""
    from frontoffice.appointments.selectors import appointments_today

    qs = appointments_today(user=user, location=location).filter(status="booked")
    q = (q or "").strip()
    if q:
        code = q.replace("-", "").replace(" ", "").upper()
        qs = qs.filter(
            Q(party__display_name__icontains=q)
            | Q(party__email__iexact=q)
            | Q(party__phone__icontains=q)
            | Q(booking_code=code)
        )
    return qs


def party_search(*, user, q: str, limit: int = 10) -> list:
    from frontoffice.parties.models import Party

    q = (q or "").strip()
    if len(q) < 2:
        return []
    return list(
        visible_to(Party.objects.active(), user)
        .filter(erased_at__isnull=True)
        .filter(Q(display_name__icontains=q) | Q(email__iexact=q) | Q(phone__icontains=q))
        .only("pk", "display_name", "email", "phone", "kind")
        .order_by("display_name")[:limit]
    )


def hosts_for(location) -> QuerySet:
    """Staff of the location's legal entity who can receive visitors (active users)."""
    from frontoffice.org.models import User

    return (
        User.objects.filter(
            is_active=True,
            staff__active=True,
            staff__legal_entity_id=location.legal_entity_id,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# ---------------------------------------------------------------- visits


def visits_for(user) -> QuerySet[Visit]:
    return (
        visible_to(Visit.objects.all(), user)
        .select_related("location", "party", "host", "receptionist", "appointment__resource")
        .defer("appointment__health_notes", "appointment__notes")
    )


def visit_get(*, user, pk: int) -> Visit:
    return get_visible_or_404(
        Visit.objects.select_related(
            "location",
            "party",
            "host",
            "receptionist",
            "appointment__resource",
            "appointment__appointment_type",
        ).defer("appointment__health_notes"),
        user,
        pk=pk,
    )


def visit_list(
    *,
    user,
    location=None,
    day: datetime.date | None = None,
    status: str = "",
    receptionist: int | None = None,
    over_target: bool = False,
    q: str = "",
) -> QuerySet[Visit]:
    qs = visits_for(user)
    if location is not None:
        qs = qs.filter(location=location)
    if day is not None:
        qs = qs.filter(visit_date=day)
    if status:
        qs = qs.filter(status=status)
    if receptionist:
        qs = qs.filter(receptionist_id=receptionist)
    if over_target and location is not None:
        qs = qs.annotate(wait=WAIT).filter(wait__gt=datetime.timedelta(minutes=target_minutes(location)))
    if q:
        qs = qs.filter(Q(party__display_name__icontains=q) | Q(visitor_name__icontains=q))
    return qs.order_by("-visit_date", "ticket_number")


# ---------------------------------------------------------------- waiting room


@dataclass
class WaitingRow:
    visit: Visit
    wait_minutes: int
    over_target: bool
    practitioner: str = ""


@dataclass
class LateResource:
    name: str
    minutes: int
    reason: str  # "overrun" or "waiting"


@dataclass
class WaitingRoom:
    location: Any
    now: datetime.datetime
    target: int
    rows: list[WaitingRow] = field(default_factory=list)
    late: list[LateResource] = field(default_factory=list)

    @property
    def waiting_count(self) -> int:
        return sum(1 for r in self.rows if r.visit.status == Visit.Status.WAITING)


def wait_minutes(visit: Visit, now: datetime.datetime) -> int:
    """Whole minutes waited: until called in, or until ``now`` while still waiting."""
    end = visit.called_in_at or (now if visit.status == Visit.Status.WAITING else visit.left_at or now)
    return max(0, int((end - visit.arrived_at).total_seconds() // 60))


def waiting_room(*, user, location, now: datetime.datetime | None = None) -> WaitingRoom:
    """Today's open visits at ``location`` (waiting first, by arrival) with their waiting times,
    the target, and the practitioners running late (3 queries)."""
    from frontoffice.appointments.selectors import appointments_today

    now = now or timezone.now()
    target = target_minutes(location)
    visits = list(
        visits_for(user)
        .filter(location=location, visit_date=now.astimezone(location_zone(location)).date())
        .filter(status__in=Visit.OPEN_STATUSES)
        .order_by("arrived_at", "ticket_number")
    )
    order = {s: i for i, s in enumerate(Visit.OPEN_STATUSES)}
    visits.sort(key=lambda v: (order[v.status], v.arrived_at))
    rows = []
    for v in visits:
        minutes = wait_minutes(v, now)
        rows.append(
            WaitingRow(
                visit=v,
                wait_minutes=minutes,
                over_target=minutes > target,
                practitioner=v.appointment.resource.name if v.appointment_id else "",
            )
        )
    room = WaitingRoom(location=location, now=now, target=target, rows=rows)
    room.late = late_resources(
        appointments_today(user=user, location=location, day=now.astimezone(location_zone(location)).date()),
        now,
    )
    return room


def late_resources(appointments, now: datetime.datetime) -> list[LateResource]:
    """Practitioners running late: their current appointment (called in / in treatment) overran
    its end, or a checked-in patient of theirs waits past the start. One row per resource, the
    larger delay."""
    late: dict[int, LateResource] = {}
    for appt in appointments:
        if appt.status in ("called_in", "in_treatment") and appt.end_at < now:
            minutes, reason = int((now - appt.end_at).total_seconds() // 60), "overrun"
        elif appt.status == "checked_in" and appt.start_at < now:
            minutes, reason = int((now - appt.start_at).total_seconds() // 60), "waiting"
        else:
            continue
        if minutes < 1:
            continue
        current = late.get(appt.resource_id)
        if current is None or minutes > current.minutes:
            late[appt.resource_id] = LateResource(name=appt.resource.name, minutes=minutes, reason=reason)
    return sorted(late.values(), key=lambda r: -r.minutes)


def screen_rows(location, now: datetime.datetime | None = None) -> dict[str, list[Visit]]:
    """The public screen (kiosk key checked by the caller): today's waiting and called-in
    tickets. Loads the party only for initials."""
    now = now or timezone.now()
    qs = (
        Visit.objects.filter(
            location=location,
            visit_date=now.astimezone(location_zone(location)).date(),
            status__in=(Visit.Status.WAITING, Visit.Status.CALLED_IN),
        )
        .select_related("party")
        .only(
            "pk",
            "ticket_number",
            "status",
            "arrived_at",
            "called_in_at",
            "visitor_name",
            "party__first_name",
            "party__last_name",
            "party__display_name",
            "party__kind",
        )
        .order_by("arrived_at")
    )
    rows: dict[str, list[Visit]] = {"called_in": [], "waiting": []}
    for v in qs:
        rows[v.status].append(v)
    rows["called_in"].sort(key=lambda v: v.called_in_at, reverse=True)
    return rows


# ---------------------------------------------------------------- host


def host_visitors(*, user, day: datetime.date | None = None) -> QuerySet[Visit]:
    """The visitors who came for ``user`` today (their own: no location scope needed)."""
    day = day or timezone.localdate()
    return (
        Visit.objects.filter(host=user, visit_date=day)
        .select_related("location", "party")
        .order_by("status", "arrived_at")
    )


def host_waiting_count(user) -> int:
    return Visit.objects.filter(
        host=user, visit_date=timezone.localdate(), status=Visit.Status.WAITING
    ).count()


# ---------------------------------------------------------------- feedback


def feedback_list(
    *, user, location=None, day: datetime.date | None = None, receptionist: int | None = None
) -> QuerySet[VisitFeedback]:
    qs = (
        visible_to(VisitFeedback.objects.all(), user)
        .filter(answered_at__isnull=False)
        .select_related("visit", "location", "receptionist")
    )
    if location is not None:
        qs = qs.filter(location=location)
    if day is not None:
        qs = qs.filter(visit__visit_date=day)
    if receptionist:
        qs = qs.filter(receptionist_id=receptionist)
    return qs.order_by("-answered_at")


def kiosks_for(*, user, location) -> QuerySet[Kiosk]:
    return visible_to(Kiosk.objects.filter(location=location), user).order_by("revoked_at", "name")


# ---------------------------------------------------------------- desk report


def open_complaint_count(*, user, location) -> int:
    """The reception desk's unresolved complaints at ``location`` that ``user`` may see.

    Complaints live in ``surveys`` (one model for every desk); its selector is imported at call
    time, as reception calls leads, so reception never touches surveys' models."""
    from frontoffice.surveys.selectors import complaint_list

    return complaint_list(user=user, desk="reception", location_id=location.pk, status="unresolved").count()


def percentile(qs: QuerySet, expression_name: str, p: float, count: int) -> float | None:
    """The ``p`` percentile (0-1) of the duration ``expression_name`` in minutes, linear between
    the nearest ranks; the database sorts and returns at most two rows."""
    if count == 0:
        return None
    position = p * (count - 1)
    low = math.floor(position)
    values = list(qs.order_by(expression_name).values_list(expression_name, flat=True)[low : low + 2])
    minutes = [v.total_seconds() / 60 for v in values]
    if len(minutes) == 1 or position == low:
        return round(minutes[0], 1)
    return round(minutes[0] + (minutes[1] - minutes[0]) * (position - low), 1)


@dataclass
class ReceptionistRating:
    user_id: int | None
    name: str
    mean: float
    share_good: float  # share of ratings 4-5, percent
    count: int


@dataclass
class DeskReport:
    location: Any
    day: datetime.date
    target: int
    visits: int
    waited: int
    median_wait: float | None
    p90_wait: float | None
    over_target: int
    no_shows: int
    ratings: list[ReceptionistRating]
    open_complaints: int


def desk_report(*, user, location, day: datetime.date) -> DeskReport:
    """The office manager's numbers for ``location`` on ``day``, computed in SQL."""
    from frontoffice.appointments.models import Appointment
    from frontoffice.appointments.selectors import _day_bounds

    target = target_minutes(location)
    visits = visible_to(Visit.objects.filter(location=location, visit_date=day), user)
    counts = visits.aggregate(
        total=Count("pk"),
        waited=Count("pk", filter=Q(called_in_at__isnull=False)),
    )
    waited_qs = visits.filter(called_in_at__isnull=False).annotate(wait=WAIT)
    over = waited_qs.filter(wait__gt=datetime.timedelta(minutes=target)).count()
    start, end = _day_bounds(location, day)
    no_shows = (
        visible_to(Appointment.objects.all(), user)
        .filter(location=location, start_at__gte=start, start_at__lt=end, status=Appointment.Status.NO_SHOW)
        .count()
    )
    rating_rows = (
        visible_to(VisitFeedback.objects.all(), user)
        .filter(location=location, visit__visit_date=day, answered_at__isnull=False)
        .values(
            "receptionist_id", "receptionist__first_name", "receptionist__last_name", "receptionist__username"
        )
        .annotate(mean=Avg("rating"), count=Count("pk"), good=Count("pk", filter=Q(rating__gte=4)))
        .order_by("receptionist__first_name", "receptionist__username")
    )
    ratings = [
        ReceptionistRating(
            user_id=r["receptionist_id"],
            name=(
                f"{r['receptionist__first_name'] or ''} {r['receptionist__last_name'] or ''}".strip()
                or r["receptionist__username"]
                or "—"
            ),
            mean=round(float(r["mean"]), 2),
            share_good=round(100 * r["good"] / r["count"], 1),
            count=r["count"],
        )
        for r in rating_rows
    ]
    open_complaints = open_complaint_count(user=user, location=location)
    return DeskReport(
        location=location,
        day=day,
        target=target,
        visits=counts["total"],
        waited=counts["waited"],
        median_wait=percentile(waited_qs, "wait", 0.5, counts["waited"]),
        p90_wait=percentile(waited_qs, "wait", 0.9, counts["waited"]),
        over_target=over,
        no_shows=no_shows,
        ratings=ratings,
        open_complaints=open_complaints,
    )
