"""Periodic jobs of insights, run by ``frontoffice scheduler`` (see docs/operations.md).

The alert check runs half an hour after the 06:00 facts refresh, as insights_check_alerts asks.
"""

from frontoffice.core.recurrence import DailyAt, EveryMinutes
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="insights.refresh_facts",
        command="insights_refresh_facts",
        schedule=EveryMinutes(60),
        description="Refresh yesterday's and today's daily facts.",
    )
)
register_periodic_job(
    PeriodicJob(
        key="insights.check_alerts",
        command="insights_check_alerts",
        schedule=DailyAt("06:30"),
        description="Check every manager's alert thresholds; e-mail new crossings.",
    )
)
register_periodic_job(
    PeriodicJob(
        key="insights.send_digests",
        command="insights_send_digests",
        schedule=DailyAt("07:00"),
        description="Send the weekly digest to the managers whose digest day is today.",
    )
)
