"""Periodic jobs of RFPs, run by ``frontoffice scheduler`` (see docs/operations.md)."""

from frontoffice.core.recurrence import EveryMinutes
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="rfps.deadline_alerts",
        command="rfps_deadline_alerts",
        schedule=EveryMinutes(60),
        description="E-mail owners (and supervisors when overdue) about RFPs coming due.",
    )
)
