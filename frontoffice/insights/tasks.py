"""Background work of insights: keep the daily facts current, send digests and alerts."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task


@task()
def refresh_facts(*, days: list[str] | None = None, measures: list[str] | None = None) -> int:
    """Recompute the facts of ``days`` (ISO dates); without days, yesterday's and today's and
    then the dirty days waiting (the periodic run). Safe to run twice."""
    from frontoffice.insights.facts import refresh_days, refresh_dirty_days

    if days:
        return refresh_days([datetime.date.fromisoformat(d) for d in days], measures)
    today = timezone.localdate()
    written = refresh_days([today - datetime.timedelta(days=1), today], measures)
    return written + refresh_dirty_days()


@task()
def refresh_dirty_facts() -> int:
    """Recompute the days marked dirty by committed changes (at most one queued at a time)."""
    from frontoffice.insights.facts import refresh_dirty_days

    return refresh_dirty_days()


@task()
def send_digest(*, manager_id: int, week_start: str) -> bool:
    """Send one manager the weekly digest of the week from ``week_start`` (sent once per week)."""
    from frontoffice.insights.services import digest_send

    return digest_send(manager_id=manager_id, week_start=datetime.date.fromisoformat(week_start))


@task()
def check_alerts(*, manager_id: int, today: str) -> int:
    """Check one manager's thresholds; e-mails new crossings only. Returns their number."""
    from frontoffice.insights.services import alerts_check

    return len(alerts_check(manager_id=manager_id, today=datetime.date.fromisoformat(today)))
