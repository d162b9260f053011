"""Working hours for invoice-question deadlines and response times.

The rule is the project's one working-hour rule (``frontoffice.core.workhours``): Monday to
Friday, 08:00-17:00 Stockholm time (daylight saving followed), Swedish public holidays and the
customary eves off. A question asked outside working hours starts its clock at the next
opening; response and resolution times are stored in working minutes, so a question asked on
Friday evening and answered on Monday at 08:30 took 30 minutes, not 60 hours.
"""

from __future__ import annotations

from frontoffice.core.workhours import (
    CLOSES,
    OPENS,
    TIME_ZONE,
    add_working_hours,
    working_minutes_between,
)

HOURS_PER_DAY = 9

__all__ = ["CLOSES", "HOURS_PER_DAY", "OPENS", "TIME_ZONE", "add_working_hours", "working_minutes_between"]
