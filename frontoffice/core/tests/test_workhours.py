"""Working-hour clocks: office day, weekends, Swedish public holidays and eves, daylight saving."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontoffice.core.workhours import (
    TIME_ZONE,
    add_working_hours,
    add_working_minutes,
    is_working_day,
    working_minutes_between,
)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=TIME_ZONE)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (datetime.date(2026, 11, 30), True),  # a Monday
        (datetime.date(2026, 11, 28), False),  # Saturday
        (datetime.date(2026, 1, 6), False),  # Epiphany (Tuesday)
        (datetime.date(2026, 4, 3), False),  # Good Friday
        (datetime.date(2026, 4, 6), False),  # Easter Monday
        (datetime.date(2026, 5, 1), False),  # May Day (Friday)
        (datetime.date(2026, 5, 14), False),  # Ascension Day (Thursday)
        (datetime.date(2026, 6, 19), False),  # Midsummer Eve (Friday, by custom)
        (datetime.date(2026, 12, 24), False),  # Christmas Eve (Thursday, by custom)
        (datetime.date(2026, 12, 31), False),  # New Year's Eve (Thursday, by custom)
        (datetime.date(2027, 6, 25), False),  # Midsummer Eve 2027
        (datetime.date(2026, 12, 23), True),
    ],
)
def test_working_days(day: datetime.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_deadline_skips_easter() -> None:
    # Thursday before Easter 16:00 + 2 working hours: Friday and Monday are holidays.
    assert add_working_hours(at(2026, 4, 2, 16), 2) == at(2026, 4, 7, 9)


def test_deadline_over_christmas_and_new_year() -> None:
    # Wednesday 23 December 16:30 + 1 hour: 24, 25, (26-27 weekend), 28 works.
    assert add_working_hours(at(2026, 12, 23, 16, 30), 1) == at(2026, 12, 28, 8, 30)


def test_clock_started_outside_hours_begins_at_next_opening() -> None:
    assert add_working_minutes(at(2026, 11, 27, 19), 30) == at(2026, 11, 30, 8, 30)


def test_daylight_saving_weekend() -> None:
    # Summer time starts on 29 March 2026: Friday 16:00 + 2 h lands on Monday 09:00 local.
    deadline = add_working_hours(at(2026, 3, 27, 16), 2)
    assert deadline == at(2026, 3, 30, 9)
    assert deadline.utcoffset() == datetime.timedelta(hours=2)


def test_minutes_between_ignores_holidays_and_nights() -> None:
    assert working_minutes_between(at(2026, 4, 2, 16), at(2026, 4, 7, 9)) == 120
    assert working_minutes_between(at(2026, 11, 27, 19), at(2026, 11, 30, 8, 30)) == 30
    assert working_minutes_between(at(2026, 11, 30, 10), at(2026, 11, 30, 9)) == 0


def test_negative_minutes_refused() -> None:
    with pytest.raises(ValueError):
        add_working_minutes(at(2026, 11, 30, 9), -1)


@given(
    start=st.datetimes(min_value=datetime.datetime(2025, 1, 1), max_value=datetime.datetime(2028, 12, 31)),
    minutes=st.integers(min_value=0, max_value=5 * 9 * 60 * 4),
)
def test_deadline_and_measure_agree(start: datetime.datetime, minutes: int) -> None:
    begin = start.replace(tzinfo=TIME_ZONE)
    deadline = add_working_minutes(begin, minutes)
    assert working_minutes_between(begin, deadline) == minutes
