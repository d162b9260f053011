"""Send tomorrow's appointment reminders (run daily, e.g. at 10:00; safe to run again)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from frontoffice.appointments.notifications import send_reminders


class Command(BaseCommand):
    help = "E-mail reminders for tomorrow's booked appointments (idempotent)."

    def handle(self, *args, **options) -> None:
        sent = send_reminders()
        self.stdout.write(f"{sent} reminder(s) sent")
