"""Periodic jobs of appointments, run by ``frontoffice scheduler`` (see docs/operations.md)."""

from frontoffice.core.recurrence import DailyAt
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="appointments.reminders",
        command="appointments_send_reminders",
        schedule=DailyAt("10:00"),
        description="E-mail reminders for tomorrow's booked appointments.",
    )
)
