"""Read side of appointments: calendars, today's list, look-ups, free slots.

Every selector that serves a user starts from ``visible_to``. Lists and calendars never load
``health_notes``. ``appointment_by_code`` serves the login-free kiosk, so it is not scoped: it
returns the appointment of a well-formed, known code (optionally only at one location) and
nothing about unknown codes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from frontoffice.appointments import rules
from frontoffice.appointments.codes import normalise_code
from frontoffice.appointments.models import Absence, Appointment, AppointmentType, Resource, WorkingHours
from frontoffice.core.scoping import visible_to

ROW_MINUTES = 5  # grid resolution of the calendars
SLOT_MINUTES = 15  # size of an empty, clickable slot
LIST_DEFER = ("health_notes",)
DEFAULT_DAY = (datetime.time(7, 0), datetime.time(18, 0))


def locations_for(user) -> QuerySet:
    from frontoffice.org.models import Location

    return visible_to(Location.objects.all(), user).order_by("name")


def resources_for(user, location=None, *, active_only: bool = True) -> QuerySet[Resource]:
    qs = visible_to(Resource.objects.select_related("location"), user)
    if location is not None:
        qs = qs.filter(location=location)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("position", "name")


def types_for(user, location) -> QuerySet[AppointmentType]:
    return (
        visible_to(AppointmentType.objects.all(), user)
        .filter(legal_entity_id=location.legal_entity_id, active=True)
        .filter(Q(location__isnull=True) | Q(location=location))
        .order_by("name")
    )


def appointments_for(user) -> QuerySet[Appointment]:
    """Every appointment ``user`` may see, ready for lists (no health notes)."""
    return (
        visible_to(Appointment.objects.all(), user)
        .select_related("location", "resource", "room", "appointment_type", "party")
        .defer(*LIST_DEFER)
    )


def appointment_detail(user, pk: int) -> Appointment:
    from frontoffice.core.scoping import get_visible_or_404

    return get_visible_or_404(
        Appointment.objects.select_related(
            "location", "resource", "room", "appointment_type", "party", "booked_by", "follow_up_of"
        ),
        user,
        pk=pk,
    )


def _day_bounds(location, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = rules.location_zone(location)
    start = datetime.datetime.combine(day, datetime.time(0), tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone)
    return start, end


def appointments_today(*, user, location, day: datetime.date | None = None) -> QuerySet[Appointment]:
    """Today's (local day) appointments at ``location`` that are not cancelled, by start time."""
    day = day or timezone.localtime(timezone.now(), rules.location_zone(location)).date()
    start, end = _day_bounds(location, day)
    return (
        appointments_for(user)
        .filter(location=location, start_at__gte=start, start_at__lt=end)
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by("start_at", "resource__position", "pk")
    )


def appointment_by_code(code: str, *, location=None) -> Appointment | None:
    """The appointment with booking code ``code`` (kiosk; not scoped, no health notes).

    Raises ValidationError(code="malformed_code") for a malformed code; returns None for an
    unknown one (or one of another location), revealing nothing.
    """
    normalised = normalise_code(code)
    qs = Appointment.objects.select_related("location", "resource", "appointment_type", "party").defer(
        *LIST_DEFER
    )
    if location is not None:
        qs = qs.filter(location=location)
    return qs.filter(booking_code=normalised).first()


def party_appointments(*, user, party, limit: int = 5) -> dict[str, list[Appointment]]:
    now = timezone.now()
    qs = appointments_for(user).filter(party=party)
    upcoming = list(
        qs.filter(start_at__gte=now).exclude(status=Appointment.Status.CANCELLED).order_by("start_at")[:limit]
    )
    recent = list(qs.filter(start_at__lt=now).order_by("-start_at")[:limit])
    return {"upcoming": upcoming, "recent": recent}


# ---------------------------------------------------------------- calendars


@dataclass
class Block:
    kind: str  # "appt" | "free" | "off"
    row: int  # 1-based grid row
    span: int
    appointment: Appointment | None = None
    start: datetime.datetime | None = None  # for free slots: the slot start (aware)
    label: str = ""


@dataclass
class Column:
    key: Any
    title: str
    resource: Resource | None = None
    day: datetime.date | None = None
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Grid:
    location: Any
    columns: list[Column]
    times: list[tuple[int, str]]  # (row, "HH:MM") labels
    rows: int
    day_start: datetime.time
    days: list[datetime.date]


def _minutes(t: datetime.time) -> int:
    return t.hour * 60 + t.minute


def _grid_window(location, days: list[datetime.date], hours_by_resource, appointments) -> tuple[int, int]:
    """The visible window in local minutes: opening hours, working hours and bookings of the days."""
    lows, highs = [], []
    for day in days:
        opening = rules.opening_intervals(location, day)
        for a, b in opening or []:
            lows.append(_minutes(a.timetz()))
            highs.append(_minutes(b.timetz()) or 24 * 60)
        for rows in hours_by_resource.values():
            for wh in rows:
                if wh.weekday == day.weekday():
                    lows.append(_minutes(wh.start_time))
                    highs.append(_minutes(wh.end_time))
    zone = rules.location_zone(location)
    for appt in appointments:
        lows.append(_minutes(appt.start_at.astimezone(zone).time()))
        end = appt.end_at.astimezone(zone)
        highs.append(_minutes(end.time()) if end.date() == appt.start_at.astimezone(zone).date() else 24 * 60)
    low = min(lows) if lows else _minutes(DEFAULT_DAY[0])
    high = max(highs) if highs else _minutes(DEFAULT_DAY[1])
    low = low // 60 * 60
    high = min(24 * 60, -(-high // 60) * 60)
    return low, max(high, low + 60)


def _fill_column(
    column: Column,
    *,
    location,
    day: datetime.date,
    low: int,
    high: int,
    appointments: list[Appointment],
    bookable: list[tuple[datetime.datetime, datetime.datetime]],
    absences: list[Absence],
    now: datetime.datetime,
) -> None:
    zone = rules.location_zone(location)
    busy: list[tuple[int, int]] = []
    for appt in appointments:
        start = appt.start_at.astimezone(zone)
        end = appt.end_at.astimezone(zone)
        a = _minutes(start.time())
        b = _minutes(end.time()) if end.date() == day else 24 * 60
        row = (a - low) // ROW_MINUTES + 1
        span = max(1, -(-(b - a) // ROW_MINUTES))
        column.blocks.append(Block("appt", row, span, appointment=appt, label=f"{start:%H:%M}"))
        busy.append(
            (
                _minutes(appt.busy_from.astimezone(zone).time()),
                _minutes(appt.busy_until.astimezone(zone).time()),
            )
        )
    for absence in absences:
        a = max(
            low,
            _minutes(absence.start_at.astimezone(zone).time())
            if absence.start_at.astimezone(zone).date() == day
            else low,
        )
        b = min(
            high,
            _minutes(absence.end_at.astimezone(zone).time())
            if absence.end_at.astimezone(zone).date() == day
            else high,
        )
        if b > a:
            column.blocks.append(
                Block("off", (a - low) // ROW_MINUTES + 1, -(-(b - a) // ROW_MINUTES), label=absence.reason)
            )
            busy.append((a, b))
    now_local = now.astimezone(zone)
    for start, end in bookable:
        a, b = _minutes(start.timetz()), _minutes(end.timetz()) or 24 * 60
        slot = a
        while slot + SLOT_MINUTES <= b:
            if not any(x < slot + SLOT_MINUTES and slot < y for x, y in busy):
                at = datetime.datetime.combine(day, datetime.time(slot // 60, slot % 60), tzinfo=zone)
                if at >= now_local:
                    column.blocks.append(
                        Block(
                            "free",
                            (slot - low) // ROW_MINUTES + 1,
                            SLOT_MINUTES // ROW_MINUTES,
                            start=at,
                            label=f"{at:%Y-%m-%dT%H:%M}",
                        )
                    )
            slot += SLOT_MINUTES


def _time_labels(low: int, high: int) -> list[tuple[int, str]]:
    return [((m - low) // ROW_MINUTES + 1, f"{m // 60:02d}:{m % 60:02d}") for m in range(low, high, 30)]


def day_calendar(*, user, location, day: datetime.date, resources=None) -> Grid:
    """The day grid of ``location``: one column per resource, rows of 5 minutes.

    Four queries: resources, working hours, absences, appointments (with type and party; no
    health notes). Cancelled and no-show appointments are left out (they free the slot).
    """
    qs = resources_for(user, location)
    if resources is not None:
        qs = qs.filter(pk__in=[getattr(r, "pk", r) for r in resources])
    resource_list = list(qs.prefetch_related(Prefetch("working_hours", queryset=WorkingHours.objects.all())))
    ids = [r.pk for r in resource_list]
    start, end = _day_bounds(location, day)
    appts = list(
        appointments_for(user)
        .filter(location=location, resource_id__in=ids, start_at__lt=end, end_at__gt=start)
        .exclude(status__in=(Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW))
        .only(
            "pk",
            "resource_id",
            "start_at",
            "end_at",
            "busy_from",
            "busy_until",
            "status",
            "appointment_type__name",
            "appointment_type__colour",
            "party__display_name",
            "location_id",
        )
        .select_related(None)
        .select_related("appointment_type", "party")
        .order_by("start_at")
    )
    absences = list(Absence.objects.filter(resource_id__in=ids, start_at__lt=end, end_at__gt=start))
    hours = {r.pk: list(r.working_hours.all()) for r in resource_list}
    low, high = _grid_window(location, [day], hours, appts)
    by_resource: dict[int, list] = defaultdict(list)
    for appt in appts:
        by_resource[appt.resource_id].append(appt)
    absences_by: dict[int, list] = defaultdict(list)
    for absence in absences:
        absences_by[absence.resource_id].append(absence)
    now = timezone.now()
    columns = []
    for resource in resource_list:
        column = Column(key=resource.pk, title=resource.name, resource=resource, day=day)
        _fill_column(
            column,
            location=location,
            day=day,
            low=low,
            high=high,
            appointments=by_resource[resource.pk],
            bookable=rules.bookable_intervals(location, hours[resource.pk], day),
            absences=absences_by[resource.pk],
            now=now,
        )
        columns.append(column)
    return Grid(
        location=location,
        columns=columns,
        times=_time_labels(low, high),
        rows=(high - low) // ROW_MINUTES,
        day_start=datetime.time(low // 60, low % 60),
        days=[day],
    )


def week_calendar(*, user, location, week_start: datetime.date, resource: Resource) -> Grid:
    """One resource's week (Monday to Sunday): one column per day."""
    week_start = week_start - datetime.timedelta(days=week_start.weekday())
    days = [week_start + datetime.timedelta(days=n) for n in range(7)]
    start, _ = _day_bounds(location, days[0])
    _, end = _day_bounds(location, days[-1])
    hours_rows = list(WorkingHours.objects.filter(resource=resource))
    appts = list(
        appointments_for(user)
        .filter(location=location, resource=resource, start_at__lt=end, end_at__gt=start)
        .exclude(status__in=(Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW))
        .order_by("start_at")
    )
    absences = list(Absence.objects.filter(resource=resource, start_at__lt=end, end_at__gt=start))
    low, high = _grid_window(location, days, {resource.pk: hours_rows}, appts)
    zone = rules.location_zone(location)
    now = timezone.now()
    columns = []
    for day in days:
        d_start, d_end = _day_bounds(location, day)
        column = Column(key=day.isoformat(), title="", resource=resource, day=day)
        _fill_column(
            column,
            location=location,
            day=day,
            low=low,
            high=high,
            appointments=[a for a in appts if a.start_at.astimezone(zone).date() == day],
            bookable=rules.bookable_intervals(location, hours_rows, day),
            absences=[a for a in absences if a.start_at < d_end and a.end_at > d_start],
            now=now,
        )
        columns.append(column)
    return Grid(
        location=location,
        columns=columns,
        times=_time_labels(low, high),
        rows=(high - low) // ROW_MINUTES,
        day_start=datetime.time(low // 60, low % 60),
        days=days,
    )


# ---------------------------------------------------------------- free slots


def free_slots(
    *,
    resource: Resource,
    appointment_type: AppointmentType,
    after: datetime.datetime | None = None,
    count: int = 5,
    step_minutes: int = SLOT_MINUTES,
    horizon_days: int = 90,
) -> list[datetime.datetime]:
    """The next ``count`` start times at which ``appointment_type`` can be booked with ``resource``.

    Follows the booking rules (working and opening hours, holidays, absences, buffers, other
    bookings); candidates lie on a ``step_minutes`` grid of local time. Queries: working hours
    once, then bookings and absences once per two-week window searched.
    """
    location = resource.location
    zone = rules.location_zone(location)
    now = timezone.now()
    after = max(after or now, now)
    hours = list(WorkingHours.objects.filter(resource=resource))
    duration = datetime.timedelta(minutes=appointment_type.duration_minutes)
    before = datetime.timedelta(minutes=appointment_type.buffer_before_minutes)
    after_buffer = datetime.timedelta(minutes=appointment_type.buffer_after_minutes)
    step = datetime.timedelta(minutes=step_minutes)
    found: list[datetime.datetime] = []
    first_day = after.astimezone(zone).date()
    window = 14
    for offset in range(0, horizon_days, window):
        days = [first_day + datetime.timedelta(days=offset + n) for n in range(window)]
        w_start, _ = _day_bounds(location, days[0])
        _, w_end = _day_bounds(location, days[-1])
        busy = list(
            Appointment.objects.filter(
                Q(resource=resource) | Q(room=resource),
                status__in=Appointment.ACTIVE_STATUSES,
                busy_from__lt=w_end + datetime.timedelta(hours=6),
                busy_until__gt=w_start - datetime.timedelta(hours=6),
            ).values_list("busy_from", "busy_until")
        )
        # Absences block the visit itself; other bookings block the visit with its buffers.
        absent = list(
            Absence.objects.filter(resource=resource, start_at__lt=w_end, end_at__gt=w_start).values_list(
                "start_at", "end_at"
            )
        )
        for day in days:
            for a, b in rules.bookable_intervals(location, hours, day):
                # Local wall-clock grid: align the first candidate to the step from the interval start.
                candidate = a
                while candidate + duration <= b:
                    if candidate >= after:
                        s, e = candidate - before, candidate + duration + after_buffer
                        end = candidate + duration
                        if not any(x < e and s < y for x, y in busy) and not any(
                            x < end and candidate < y for x, y in absent
                        ):
                            found.append(candidate)
                            if len(found) >= count:
                                return found
                    candidate = candidate + step
    return found
