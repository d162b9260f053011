"""Background tasks of the leads app (django-tasks): imports and overdue alerts."""

from __future__ import annotations

from django_tasks import task


@task()
def lead_import_run_task(*, import_id: int, actor_id: int) -> int:
    """Commit a validated lead import (all or nothing); returns the number of leads created."""
    from django.contrib.auth import get_user_model

    from frontoffice.leads.services.imports import lead_import_commit

    actor = get_user_model().objects.get(pk=actor_id)
    return lead_import_commit(actor=actor, import_id=import_id)


@task()
def lead_overdue_alerts_task() -> int:
    from frontoffice.leads.services import lead_overdue_alerts

    return lead_overdue_alerts()
