"""Working hours for invoice-question deadlines and response times.

The simplest honest rule, the same for every legal entity: Monday to Friday, 08:00-17:00
Stockholm time (``Europe/Stockholm``, so daylight saving is followed), nine working hours a day.
Public holidays are not known here and count as working days; evenings and weekends never
count. A question asked outside working hours starts its clock at the next opening.

- ``add_working_hours(start, hours)``: the deadline ``hours`` working hours after ``start``;
- ``working_minutes_between(start, end)``: the working minutes between two times (response
  and resolution times are stored in these minutes, so a question asked on Friday evening
  and answered on Monday at 08:30 took 30 minutes, not 60 hours).
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

TIME_ZONE = ZoneInfo("Europe/Stockholm")
OPENS = datetime.time(8, 0)
CLOSES = datetime.time(17, 0)
WORKDAYS = frozenset({0, 1, 2, 3, 4})  # Monday to Friday
HOURS_PER_DAY = 9


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime] | None:
    """Opening and closing time of ``day`` in Stockholm, or None on a weekend."""
    if day.weekday() not in WORKDAYS:
        return None
    return (
        datetime.datetime.combine(day, OPENS, tzinfo=TIME_ZONE),
        datetime.datetime.combine(day, CLOSES, tzinfo=TIME_ZONE),
    )


def add_working_hours(start: datetime.datetime, hours: int) -> datetime.datetime:
    """The time ``hours`` working hours after ``start`` (in Stockholm time)."""
    remaining = datetime.timedelta(hours=int(hours))
    cursor = start.astimezone(TIME_ZONE)
    while True:
        bounds = _day_bounds(cursor.date())
        if bounds is not None:
            opens, closes = bounds
            begin = max(cursor, opens)
            if begin < closes or (begin == closes and remaining == datetime.timedelta(0)):
                available = closes - begin
                if remaining <= available:
                    # No daylight-saving change happens between 08:00 and 17:00, so wall-clock
                    # arithmetic within the day is exact.
                    return begin + remaining
                remaining -= available
        cursor = datetime.datetime.combine(
            cursor.date() + datetime.timedelta(days=1), OPENS, tzinfo=TIME_ZONE
        )


def working_minutes_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Whole working minutes from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    start = start.astimezone(TIME_ZONE)
    end = end.astimezone(TIME_ZONE)
    if end <= start:
        return 0
    total = datetime.timedelta(0)
    day = start.date()
    while day <= end.date():
        bounds = _day_bounds(day)
        if bounds is not None:
            begin = max(start, bounds[0])
            finish = min(end, bounds[1])
            if finish > begin:
                total += finish - begin
        day += datetime.timedelta(days=1)
    return int(total.total_seconds() // 60)
