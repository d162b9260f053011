"""Opening hours of a location: ``{"mon": [["08:00", "17:00"]], ..., "sun": []}``.

Each weekday maps to a list of open intervals (``[open, close]`` as ``HH:MM``, 24-hour clock);
an empty list means closed. The settings editor offers one interval per day; the format allows
more (a lunch break) for imports and the API.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEEKDAYS: list[tuple[str, Any]] = [
    ("mon", _("Monday")),
    ("tue", _("Tuesday")),
    ("wed", _("Wednesday")),
    ("thu", _("Thursday")),
    ("fri", _("Friday")),
    ("sat", _("Saturday")),
    ("sun", _("Sunday")),
]
WEEKDAY_KEYS = [key for key, _label in WEEKDAYS]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def normalise_opening_hours(value: Any) -> dict[str, list[list[str]]]:
    """Every weekday present, intervals sorted; raises ValidationError naming the day and rule.

    Errors carry ``params["day_key"]`` so a form can show them next to that day's inputs.
    """
    if value in (None, ""):
        value = {}
    if not isinstance(value, dict):
        raise ValidationError(_("Opening hours must map weekdays to intervals."), code="hours_format")
    unknown = sorted(set(value) - set(WEEKDAY_KEYS))
    if unknown:
        raise ValidationError(
            _("Unknown weekday in opening hours: %(days)s."),
            code="hours_unknown_day",
            params={"days": ", ".join(unknown)},
        )
    errors: list[ValidationError] = []
    result: dict[str, list[list[str]]] = {}
    for key, label in WEEKDAYS:
        intervals = value.get(key) or []
        params = {"day": label, "day_key": key}
        if not isinstance(intervals, list) or not all(
            isinstance(i, list | tuple) and len(i) == 2 for i in intervals
        ):
            errors.append(
                ValidationError(
                    _("%(day)s: each interval needs an opening and a closing time."),
                    code="hours_format",
                    params=params,
                )
            )
            continue
        clean = []
        for opens, closes in intervals:
            if not (isinstance(opens, str) and _HHMM.match(opens)) or not (
                isinstance(closes, str) and _HHMM.match(closes)
            ):
                errors.append(
                    ValidationError(
                        _("%(day)s: enter times as HH:MM, e.g. 08:00."), code="hours_time", params=params
                    )
                )
                break
            if closes <= opens:
                errors.append(
                    ValidationError(
                        _("%(day)s: the closing time must be after the opening time."),
                        code="hours_close_before_open",
                        params=params,
                    )
                )
                break
            clean.append([opens, closes])
        else:
            clean.sort()
            if any(clean[i][0] < clean[i - 1][1] for i in range(1, len(clean))):
                errors.append(
                    ValidationError(
                        _("%(day)s: opening intervals overlap."), code="hours_overlap", params=params
                    )
                )
            result[key] = clean
    if errors:
        raise ValidationError(errors)
    return result
