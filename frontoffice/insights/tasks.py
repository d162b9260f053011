"""Background work of insights: keep the daily facts current."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task


@task()
def refresh_facts(*, days: list[str] | None = None, measures: list[str] | None = None) -> int:
    """Recompute the facts of ``days`` (ISO dates; default yesterday and today). Safe to run twice."""
    from frontoffice.insights.facts import refresh_days

    if days:
        parsed = [datetime.date.fromisoformat(d) for d in days]
    else:
        today = timezone.localdate()
        parsed = [today - datetime.timedelta(days=1), today]
    return refresh_days(parsed, measures)
