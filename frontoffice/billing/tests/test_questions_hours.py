"""Working hours for invoice-question deadlines: Monday to Friday, 08:00-17:00 Stockholm time."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from frontoffice.billing.question_hours import add_working_hours, working_minutes_between

STHLM = ZoneInfo("Europe/Stockholm")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    """A Stockholm time in 2026 (16 March 2026 is a Monday)."""
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=STHLM)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Within one working day.
        (at(16, 9), 2, at(16, 11)),
        # 8 hours from Monday 10:00: 7 hours on Monday, 1 on Tuesday.
        (at(16, 10), 8, at(17, 9)),
        # Asked before opening: the clock starts at 08:00.
        (at(16, 6, 30), 8, at(16, 16)),
        # Asked after closing: the clock starts at 08:00 the next working day.
        (at(16, 18), 1, at(17, 9)),
        # Friday afternoon: the weekend does not count.
        (at(20, 16), 2, at(23, 9)),
        # Saturday: starts on Monday morning.
        (at(21, 11), 3, at(23, 11)),
        # 40 working hours = 4 days and 4 hours: from Monday 08:00 to Friday 12:00.
        (at(16, 8), 40, at(20, 12)),
        # Ending exactly at closing time stays on that day.
        (at(16, 8), 9, at(16, 17)),
    ],
)
def test_deadlines_count_only_working_hours(start, hours, due):
    assert add_working_hours(start, hours) == due


def test_deadlines_follow_stockholm_time_across_the_daylight_saving_change():
    # Summer time starts on Sunday 29 March 2026; Friday 27 March 16:00 CET + 2 working
    # hours is Monday 30 March 09:00 CEST (07:00 UTC).
    due = add_working_hours(at(27, 16), 2)
    assert due == at(30, 9)
    assert due.astimezone(datetime.UTC) == datetime.datetime(2026, 3, 30, 7, 0, tzinfo=datetime.UTC)


def test_a_utc_start_gives_the_same_deadline_as_its_stockholm_time():
    start = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC)  # 10:00 in Stockholm
    assert add_working_hours(start, 8) == at(17, 9)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (at(16, 9), at(16, 11, 30), 150),
        (at(16, 16), at(17, 9), 120),
        # Evenings and weekends do not count.
        (at(20, 16), at(23, 9), 120),
        (at(21, 10), at(22, 15), 0),
        (at(16, 18), at(16, 20), 0),
        # End before start: nothing.
        (at(17, 9), at(16, 9), 0),
        # A full week: 5 x 9 hours.
        (at(16, 8), at(23, 8), 45 * 60),
    ],
)
def test_working_minutes_between_two_times(start, end, minutes):
    assert working_minutes_between(start, end) == minutes


def test_adding_then_measuring_gives_the_hours_back():
    for start in [at(16, 7), at(18, 12, 17), at(20, 16, 59), at(22, 3)]:
        for hours in [1, 2, 8, 13, 40]:
            due = add_working_hours(start, hours)
            assert working_minutes_between(start, due) == hours * 60
