"""Periodic jobs of billing, run by ``frontoffice scheduler`` (see docs/operations.md)."""

from frontoffice.core.recurrence import DailyAt
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="billing.recurring",
        command="billing_recurring",
        schedule=DailyAt("06:00"),
        description="Create and issue the recurring invoices due today (and any left over).",
    )
)
