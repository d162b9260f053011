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

from django.db.models import Func, IntegerField, Prefetch, Q, QuerySet
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


class Epoch(Func):
    """Seconds since 1970 of a timestamp column, as an integer: far cheaper to read than a
    timestamp (the driver parses no date text), which matters with thousands of rows."""

    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)", **extra
        )


@dataclass(frozen=True, slots=True)
class CalAppointment:
    """What a calendar shows of an appointment (never notes); times as epoch seconds."""

    pk: int
    resource_id: int
    status: str
    type_name: str
    colour: str
    party_name: str
    start: int
    end: int
    busy_from: int
    busy_until: int


CAL_FIELDS = (
    "pk",
    "resource_id",
    "status",
    "appointment_type__name",
    "appointment_type__colour",
    "party__display_name",
    "e_start",
    "e_end",
    "e_busy_from",
    "e_busy_until",
)


def _cal_rows(qs) -> list[CalAppointment]:
    qs = qs.annotate(
        e_start=Epoch("start_at"),
        e_end=Epoch("end_at"),
        e_busy_from=Epoch("busy_from"),
        e_busy_until=Epoch("busy_until"),
    )
    return [CalAppointment(*row) for row in qs.order_by("start_at").values_list(*CAL_FIELDS)]


@dataclass(slots=True)
class Block:
    kind: str  # "appt" | "free" | "off"
    row: int  # 1-based grid row
    span: int
    appointment: CalAppointment | None = None
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


class DayClock:
    """Epoch seconds → wall-clock minutes of one local day, without a datetime per value.

    The UTC offset changes at most once in a day (daylight saving); the instant it changes is
    found once, so a day with a change (23 or 25 hours) maps to the right local times too.
    """

    def __init__(self, zone, day: datetime.date) -> None:
        start = datetime.datetime.combine(day, datetime.time(0), tzinfo=zone)
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone)
        self.start_ts, self.end_ts = int(start.timestamp()), int(end.timestamp())
        self.offset0 = int(start.utcoffset().total_seconds())
        self.offset1 = int((end - datetime.timedelta(seconds=1)).astimezone(zone).utcoffset().total_seconds())
        self.switch_ts = self.end_ts
        if self.offset0 != self.offset1:
            low, high = self.start_ts, self.end_ts
            while high - low > 1:  # the first second with the new offset
                mid = (low + high) // 2
                if (
                    int(datetime.datetime.fromtimestamp(mid, zone).utcoffset().total_seconds())
                    == self.offset0
                ):
                    low = mid
                else:
                    high = mid
            self.switch_ts = high

    def minutes(self, ts: int, before: int, after: int) -> int:
        if ts < self.start_ts:
            return before
        if ts >= self.end_ts:
            return after
        offset = self.offset0 if ts < self.switch_ts else self.offset1
        return (ts - self.start_ts + offset - self.offset0) // 60


def _local_minutes(value: datetime.datetime, zone, day: datetime.date, default: int) -> int:
    """Wall-clock minutes after local midnight of ``day`` (``default`` when on another day)."""
    local = value.astimezone(zone)
    if local.date() != day:
        return default
    return local.hour * 60 + local.minute


def _local(value: int, zone) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(value, zone)


def _grid_window(location, days: list[datetime.date], hours_by_resource, appointments) -> tuple[int, int]:
    """The visible window in local minutes: opening hours, working hours and bookings of the days."""
    lows, highs = [], []
    weekdays = {day.weekday() for day in days}
    for day in days:
        for a, b in rules.opening_intervals(location, day) or []:
            lows.append(_minutes(a.timetz()))
            highs.append(_minutes(b.timetz()) or 24 * 60)
    for rows in hours_by_resource.values():
        for wh in rows:
            if wh.weekday in weekdays:
                lows.append(_minutes(wh.start_time))
                highs.append(_minutes(wh.end_time))
    zone = rules.location_zone(location)
    for day in days if appointments else ():
        clock = DayClock(zone, day)
        starts = [clock.minutes(a.start, -1, -1) for a in appointments]
        ends = [
            clock.minutes(a.end, -1, 24 * 60) for a in appointments if clock.minutes(a.start, -1, -1) >= 0
        ]
        starts = [m for m in starts if m >= 0]
        if starts:
            lows.append(min(starts))
            highs.append(max(ends))
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
    appointments: list[CalAppointment],
    bookable: list[tuple[datetime.datetime, datetime.datetime]],
    absences: list[Absence],
    now: datetime.datetime,
    clock: DayClock | None = None,
) -> None:
    zone = rules.location_zone(location)
    clock = clock or DayClock(zone, day)
    busy: list[tuple[int, int]] = []
    blocks = column.blocks
    for appt in appointments:
        a = clock.minutes(appt.start, low, 24 * 60)
        b = clock.minutes(appt.end, low, 24 * 60)
        blocks.append(
            Block(
                "appt",
                (a - low) // ROW_MINUTES + 1,
                max(1, -(-(b - a) // ROW_MINUTES)),
                appointment=appt,
                label=f"{a // 60:02d}:{a % 60:02d}",
            )
        )
        busy.append(
            (
                clock.minutes(appt.busy_from, 0, 24 * 60),
                clock.minutes(appt.busy_until, 0, 24 * 60),
            )
        )
    for absence in absences:
        a = max(low, _local_minutes(absence.start_at, zone, day, low))
        b = min(high, _local_minutes(absence.end_at, zone, day, high))
        if b > a:
            blocks.append(
                Block("off", (a - low) // ROW_MINUTES + 1, -(-(b - a) // ROW_MINUTES), label=absence.reason)
            )
            busy.append((a, b))
    busy.sort()
    local_now = now.astimezone(zone)
    now_minutes = (
        -1 if local_now.date() < day else (24 * 60 if local_now.date() > day else _minutes(local_now.time()))
    )
    for start, end in bookable:
        a, b = _minutes(start.timetz()), _minutes(end.timetz()) or 24 * 60
        slot = a
        i = 0
        while slot + SLOT_MINUTES <= b:
            slot_end = slot + SLOT_MINUTES
            while i < len(busy) and busy[i][1] <= slot:
                i += 1
            # busy is sorted by start; any interval from i on that starts before slot_end overlaps.
            overlaps = False
            j = i
            while j < len(busy) and busy[j][0] < slot_end:
                if busy[j][1] > slot:
                    overlaps = True
                    break
                j += 1
            if not overlaps and slot >= now_minutes:
                blocks.append(
                    Block(
                        "free",
                        (slot - low) // ROW_MINUTES + 1,
                        SLOT_MINUTES // ROW_MINUTES,
                        label=f"{day.isoformat()}T{slot // 60:02d}:{slot % 60:02d}",
                    )
                )
            slot = slot_end


def _time_labels(low: int, high: int) -> list[tuple[int, str]]:
    return [((m - low) // ROW_MINUTES + 1, f"{m // 60:02d}:{m % 60:02d}") for m in range(low, high, 30)]


def _calendar_appointments(user, location, start, end):
    return (
        visible_to(Appointment.objects.all(), user)
        .filter(location=location, start_at__lt=end, end_at__gt=start)
        .exclude(status__in=(Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW))
    )


def day_calendar(*, user, location, day: datetime.date, resources=None) -> Grid:
    """The day grid of ``location``: one column per resource, rows of 5 minutes.

    Four queries: resources, working hours, absences, appointments (read as plain values with
    the type's name and colour and the party's name; never notes). Cancelled and no-show
    appointments are left out (they free the slot).
    """
    qs = resources_for(user, location)
    if resources is not None:
        qs = qs.filter(pk__in=[getattr(r, "pk", r) for r in resources])
    resource_list = list(qs.prefetch_related(Prefetch("working_hours", queryset=WorkingHours.objects.all())))
    ids = [r.pk for r in resource_list]
    start, end = _day_bounds(location, day)
    appts = _cal_rows(_calendar_appointments(user, location, start, end).filter(resource_id__in=ids))
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
    clock = DayClock(rules.location_zone(location), day)
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
            clock=clock,
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
    appts = _cal_rows(_calendar_appointments(user, location, start, end).filter(resource=resource))
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
            appointments=[a for a in appts if _local(a.start, zone).date() == day],
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


def week_overview(
    *, user, location, week_start: datetime.date
) -> list[tuple[datetime.date, list[Appointment]]]:
    """The location's week (Monday to Sunday) as a list of appointments per day (one query)."""
    week_start = week_start - datetime.timedelta(days=week_start.weekday())
    days = [week_start + datetime.timedelta(days=n) for n in range(7)]
    start, _ = _day_bounds(location, days[0])
    _, end = _day_bounds(location, days[-1])
    zone = rules.location_zone(location)
    by_day: dict[datetime.date, list[Appointment]] = defaultdict(list)
    qs = (
        appointments_for(user)
        .filter(location=location, start_at__gte=start, start_at__lt=end)
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by("start_at", "resource__position")
    )
    for appointment in qs:
        by_day[appointment.start_at.astimezone(zone).date()].append(appointment)
    return [(day, by_day[day]) for day in days]


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
