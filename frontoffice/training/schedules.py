"""Periodic jobs of training, run by ``frontoffice scheduler`` (see docs/operations.md)."""

from frontoffice.core.recurrence import DailyAt
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="training.daily",
        command="training_daily",
        schedule=DailyAt("07:00"),
        description="Training due-date reminders and certificate renewal assignments.",
    )
)
