"""Background tasks of the appointments app."""

from __future__ import annotations

from django_tasks import task


@task()
def appointments_send_reminders() -> int:
    """Tomorrow's reminders (idempotent; schedule daily)."""
    from frontoffice.appointments.notifications import send_reminders

    return send_reminders()
