"""Periodic jobs of leads, run by ``frontoffice scheduler`` (see docs/operations.md)."""

from frontoffice.core.recurrence import EveryMinutes, WeeklyAt
from frontoffice.core.registry import PeriodicJob, register_periodic_job

register_periodic_job(
    PeriodicJob(
        key="leads.overdue",
        command="leads_overdue",
        schedule=EveryMinutes(5),
        description="Alert reps and managers about leads past their first-contact due time.",
    )
)
register_periodic_job(
    PeriodicJob(
        key="leads.train_scoring",
        command="leads_train_scoring",
        # 03:00 exists on both daylight saving Sundays (the clocks change between 02:00 and 03:00).
        schedule=WeeklyAt("sun", "03:00"),
        description="Retrain lead scoring per legal entity and rescore the open leads.",
    )
)
