"""Schedules of periodic jobs: when a job's slots fall.

A slot is the instant one run of a job is due. Every schedule answers two questions for an
instant ``now`` and a time zone: ``latest(now, tz)``, the last slot at or before ``now``, and
``following(now, tz)``, the first slot after it. Both return aware UTC datetimes, so a slot is
one comparable, storable instant whatever the time zone.

- ``EveryMinutes(5)``: slots every N minutes, aligned on the Unix epoch (so ``EveryMinutes(60)``
  falls on the hour and ``EveryMinutes(15)`` on the quarter); daylight saving time does not
  move them.
- ``DailyAt("06:30")`` and ``WeeklyAt("sun", "03:00")``: wall-clock times in ``tz`` (the
  organisation's time zone, ``settings.TIME_ZONE``). A date has exactly one slot. On the
  spring-forward day a time inside the gap (02:30 in Stockholm, where 02:00 becomes 03:00)
  falls at the same distance after the gap starts (03:30); on the fall-back day a time that
  occurs twice runs at its first occurrence only.

Nothing here touches the database; ``core.scheduler`` decides who runs a slot.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Protocol

UTC = datetime.UTC
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Schedule(Protocol):
    def latest(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime: ...

    def following(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime: ...


def _parse_time(value: str) -> datetime.time:
    match = _HH_MM.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00-23:59).")
    return datetime.time(int(match[1]), int(match[2]))


def _check_aware(now: datetime.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime.")


def _slot(day: datetime.date, at: datetime.time, tz: datetime.tzinfo) -> datetime.datetime:
    """The instant ``at`` o'clock on ``day`` in ``tz``. ``fold=0`` picks the first of a repeated
    time and, for a time inside a spring-forward gap, the offset in force before the gap (PEP 495),
    which places it as far after the gap's start as it is after the missing hour's start."""
    return datetime.datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class EveryMinutes:
    minutes: int

    def __post_init__(self) -> None:
        if not 1 <= self.minutes <= 1440:
            raise ValueError("EveryMinutes takes 1 to 1440 minutes.")

    def __str__(self) -> str:
        return "every minute" if self.minutes == 1 else f"every {self.minutes} minutes"

    def latest(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
        _check_aware(now)
        step = self.minutes * 60
        seconds = int(now.timestamp())
        return datetime.datetime.fromtimestamp(seconds - seconds % step, UTC)

    def following(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
        return self.latest(now, tz) + datetime.timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class DailyAt:
    at: str  # "HH:MM" in the organisation's time zone
    time: datetime.time = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _parse_time(self.at))

    def __str__(self) -> str:
        return f"daily at {self.at}"

    def latest(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
        _check_aware(now)
        day = now.astimezone(tz).date()
        slot = _slot(day, self.time, tz)
        return slot if slot <= now else _slot(day - datetime.timedelta(days=1), self.time, tz)

    def following(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
        _check_aware(now)
        day = now.astimezone(tz).date()
        slot = _slot(day, self.time, tz)
        return slot if slot > now else _slot(day + datetime.timedelta(days=1), self.time, tz)


@dataclass(frozen=True)
class WeeklyAt:
    weekday: str  # "mon" ... "sun"
    at: str  # "HH:MM" in the organisation's time zone
    time: datetime.time = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.weekday not in WEEKDAYS:
            raise ValueError(f"{self.weekday!r} is not a weekday ({', '.join(WEEKDAYS)}).")
        object.__setattr__(self, "time", _parse_time(self.at))

    def __str__(self) -> str:
        return f"weekly on {WEEKDAY_NAMES[self._number]} at {self.at}"

    @property
    def _number(self) -> int:
        return WEEKDAYS.index(self.weekday)

    def latest(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
        _check_aware(now)
        today = now.astimezone(tz).date()
        day = today - datetime.timedelta(days=(today.weekday() - self._number) % 7)
        slot = _slot(day, self.time, tz)
        return slot if slot <= now else _slot(day - datetime.timedelta(days=7), self.time, tz)

    def following(self, now: datetime.datetime, tz: datetime.tzinfo) -> datetime.datetime:
        _check_aware(now)
        today = now.astimezone(tz).date()
        day = today + datetime.timedelta(days=(self._number - today.weekday()) % 7)
        slot = _slot(day, self.time, tz)
        return slot if slot > now else _slot(day + datetime.timedelta(days=7), self.time, tz)
