"""Working hours for deadlines and response times: Monday to Friday, 08:00-17:00, public holidays off.

Every desk measures some clocks in working time: the first response to an invoice question, the
first contact with a new lead. The rule is the same everywhere, so it lives here:

- the office day runs 08:00-17:00 in ``Europe/Stockholm`` (daylight saving is followed, and no
  change happens inside the office day, so wall-clock arithmetic within a day is exact);
- Saturdays and Sundays are off, and so are the Swedish public holidays, taken from the
  maintained ``holidays`` package (New Year's Day, Epiphany, Good Friday, Easter Monday, May Day,
  Ascension Day, National Day, Midsummer Day, All Saints' Day, Christmas Day, Boxing Day) and the
  three eves Swedish offices close on by custom (Midsummer Eve, Christmas Eve, New Year's Eve);
- a clock started outside working time starts at the next opening.

``add_working_minutes(start, minutes)`` gives a deadline; ``working_minutes_between(start, end)``
measures the working minutes between two times (a question asked on Friday evening and
answered on Monday at 08:30 took 30 minutes, not 60 hours).
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TIME_ZONE = ZoneInfo("Europe/Stockholm")
OPENS = datetime.time(8, 0)
CLOSES = datetime.time(17, 0)
WORKDAYS = frozenset({0, 1, 2, 3, 4})  # Monday to Friday
MINUTES_PER_DAY = 9 * 60
# Eves on which Swedish offices close by custom (not public holidays in law, and so not in the
# holidays package's list of public holidays).
_CUSTOMARY_EVES = {"Midsummer Eve", "Christmas Eve", "New Year's Eve"}


@lru_cache(maxsize=64)
def _days_off(year: int) -> frozenset[datetime.date]:
    public = holidays.country_holidays("SE", years=year, language="en_US")
    days = {day for day, name in public.items() if "Sunday" not in name}
    days.add(datetime.date(year, 12, 24))
    days.add(datetime.date(year, 12, 31))
    # Midsummer Eve: the Friday between 19 and 25 June (the day before Midsummer Day).
    for day in range(19, 26):
        candidate = datetime.date(year, 6, day)
        if candidate.weekday() == 4:
            days.add(candidate)
    return frozenset(days)


def is_working_day(day: datetime.date) -> bool:
    """A weekday that is neither a Swedish public holiday nor a customary eve."""
    return day.weekday() in WORKDAYS and day not in _days_off(day.year)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime] | None:
    if not is_working_day(day):
        return None
    return (
        datetime.datetime.combine(day, OPENS, tzinfo=TIME_ZONE),
        datetime.datetime.combine(day, CLOSES, tzinfo=TIME_ZONE),
    )


def add_working_minutes(start: datetime.datetime, minutes: int) -> datetime.datetime:
    """The time ``minutes`` working minutes after ``start``, in Stockholm time."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = datetime.timedelta(minutes=int(minutes))
    cursor = start.astimezone(TIME_ZONE)
    # A year of days is far more than any deadline needs; the bound only guards a bad input.
    for _ in range(3660):
        bounds = _day_bounds(cursor.date())
        if bounds is not None:
            opens, closes = bounds
            begin = max(cursor, opens)
            if begin < closes or (begin == closes and not remaining):
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        cursor = datetime.datetime.combine(
            cursor.date() + datetime.timedelta(days=1), OPENS, tzinfo=TIME_ZONE
        )
    raise ValueError("deadline more than ten years of working time away")


def add_working_hours(start: datetime.datetime, hours: int) -> datetime.datetime:
    """The time ``hours`` working hours after ``start``, in Stockholm time."""
    return add_working_minutes(start, int(hours) * 60)


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
