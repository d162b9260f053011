"""Periodic jobs of surveys, run by ``frontoffice scheduler`` (see docs/operations.md)."""

from frontoffice.core.recurrence import EveryMinutes
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="surveys.reminders",
        command="surveys_send_reminders",
        schedule=EveryMinutes(60),
        description="Send the one reminder of every unanswered survey request that is due.",
    )
)
