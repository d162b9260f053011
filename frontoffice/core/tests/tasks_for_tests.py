"""A task for the worker tests, importable by a worker like any application task."""

from __future__ import annotations

import time

from django.contrib.contenttypes.models import ContentType
from django_tasks import task

from frontoffice.core.models import AuditEntry

RAN_ACTION = "tests.task.ran"


@task()
def record_run(number: int, pause: float = 0.0) -> int:
    """Append one audit entry naming ``number``, so a test can count how often each task ran."""
    time.sleep(pause)  # long enough for a second worker to claim the next row meanwhile
    AuditEntry.objects.create(
        action=RAN_ACTION,
        content_type=ContentType.objects.get_for_model(AuditEntry),
        object_id=str(number),
        object_repr=f"run {number}",
    )
    return number
