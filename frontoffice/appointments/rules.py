"""When a resource can be booked: the rules behind ``appointment_book`` and the free-slot finder.

A visit (``start_at``-``end_at``, in the location's time zone) must

- start in the future;
- lie on one local day that is not a public holiday of the location's country (the maintained
  ``holidays`` package; for Sweden New Year's Day, Epiphany, Good Friday, Easter, May Day,
  Ascension, Pentecost, National Day, Midsummer Day, All Saints' Day, Christmas);
- lie inside one of the location's opening intervals (``org.Location.opening_hours``; a location
  that has not set opening hours is not restricted by them) and inside one of the resource's
  working intervals for that weekday and date (a resource without working hours that day is
  not bookable);
- not overlap an absence of the resource;
- with the type's buffers (``busy_from``-``busy_until``), not overlap the busy range of another
  active appointment of the same resource or room. Ranges are half-open: back-to-back is fine.

Local times are combined with the location's ``ZoneInfo``, so a 60-minute visit on a
daylight-saving change day lasts 60 minutes and shows at the right wall-clock time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from frontoffice.org.hours import WEEKDAY_KEYS

Interval = tuple[datetime.datetime, datetime.datetime]


def location_zone(location) -> ZoneInfo:
    return ZoneInfo(getattr(location, "time_zone", "") or settings.TIME_ZONE)


@lru_cache(maxsize=128)
def _public_holidays(country: str, year: int) -> dict[datetime.date, str]:
    try:
        return dict(holidays.country_holidays(country or "SE", years=year, language="en_US"))
    except NotImplementedError:  # a country the package does not know: no holidays
        return {}


def public_holiday(location, day: datetime.date) -> str | None:
    """The name of the public holiday on ``day`` at ``location`` (None on ordinary days)."""
    return _public_holidays(getattr(location, "country", "SE") or "SE", day.year).get(day)


def _combine(day: datetime.date, hhmm: str | datetime.time, zone: ZoneInfo) -> datetime.datetime:
    if isinstance(hhmm, str):
        hours, minutes = hhmm.split(":")
        hhmm = datetime.time(int(hours), int(minutes))
    return datetime.datetime.combine(day, hhmm, tzinfo=zone)


def opening_intervals(location, day: datetime.date) -> list[Interval] | None:
    """The location's open intervals on ``day``; None when the location has no opening hours."""
    hours = getattr(location, "opening_hours", None) or {}
    if not hours:
        return None
    zone = location_zone(location)
    return [
        (_combine(day, a, zone), _combine(day, b, zone))
        for a, b in hours.get(WEEKDAY_KEYS[day.weekday()], [])
    ]


def working_intervals(working_hours: Iterable, day: datetime.date, zone: ZoneInfo) -> list[Interval]:
    """The resource's working intervals on ``day`` from its (prefetched) WorkingHours rows."""
    result = []
    for wh in working_hours:
        if wh.weekday != day.weekday():
            continue
        if (wh.valid_from and day < wh.valid_from) or (wh.valid_until and day > wh.valid_until):
            continue
        result.append((_combine(day, wh.start_time, zone), _combine(day, wh.end_time, zone)))
    return sorted(result)


def bookable_intervals(location, resource_hours: Iterable, day: datetime.date) -> list[Interval]:
    """Working intervals of the resource on ``day`` cut to the location's opening hours."""
    if public_holiday(location, day):
        return []
    zone = location_zone(location)
    work = working_intervals(resource_hours, day, zone)
    opening = opening_intervals(location, day)
    if opening is None:
        return work
    result = []
    for a, b in work:
        for c, d in opening:
            start, end = max(a, c), min(b, d)
            if start < end:
                result.append((start, end))
    return sorted(result)


def _within(intervals: Iterable[Interval], start: datetime.datetime, end: datetime.datetime) -> bool:
    return any(a <= start and end <= b for a, b in intervals)


def local_time(value: datetime.datetime, location) -> str:
    """``value`` as a short local date and a 24-hour time at ``location`` (for messages)."""
    local = timezone.localtime(value, location_zone(location))
    return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {local:%H:%M}"


def check_times(
    *,
    location,
    resource,
    resource_hours: Iterable,
    start_at: datetime.datetime,
    end_at: datetime.datetime,
    now: datetime.datetime,
) -> None:
    """Raise ValidationError (field ``start_at``) unless the visit fits the calendar rules."""
    if timezone.is_naive(start_at):
        raise ValidationError(
            {"start_at": ValidationError(_("The start time needs a time zone."), code="naive")}
        )
    if start_at < now:
        raise ValidationError(
            {"start_at": ValidationError(_("The start time is in the past."), code="in_past")}
        )
    zone = location_zone(location)
    local_start, local_end = start_at.astimezone(zone), end_at.astimezone(zone)
    day = local_start.date()
    if local_end.date() != day and local_end.time() != datetime.time(0):
        raise ValidationError(
            {
                "start_at": ValidationError(
                    _("An appointment must end on the day it starts."), code="crosses_midnight"
                )
            }
        )
    holiday = public_holiday(location, day)
    if holiday:
        raise ValidationError(
            {
                "start_at": ValidationError(
                    _("%(day)s is a public holiday (%(name)s)."),
                    code="holiday",
                    params={"day": formats.date_format(day, "SHORT_DATE_FORMAT"), "name": holiday},
                )
            }
        )
    opening = opening_intervals(location, day)
    if opening is not None and not _within(opening, start_at, end_at):
        raise ValidationError(
            {
                "start_at": ValidationError(
                    _("%(location)s is not open at that time."),
                    code="outside_opening_hours",
                    params={"location": location.name},
                )
            }
        )
    if not _within(working_intervals(resource_hours, day, zone), start_at, end_at):
        raise ValidationError(
            {
                "start_at": ValidationError(
                    _("%(resource)s does not work at that time."),
                    code="outside_working_hours",
                    params={"resource": resource.name},
                )
            }
        )
