"""Periodic jobs of quotes, run by ``frontoffice scheduler`` (see docs/operations.md)."""

from frontoffice.core.recurrence import DailyAt
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="quotes.expire",
        command="quotes_expire",
        schedule=DailyAt("00:15"),
        description="Mark sent quotes past their last valid day as expired.",
    )
)
