"""``frontoffice training_daily``: due-date reminders and certificate renewal assignments.
Run once a day (cron or a systemd timer); running it twice sends and assigns nothing twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from frontoffice.training.services import certificates_renew, reminders_send


class Command(BaseCommand):
    help = "Send training reminders and assign renewals of expiring certificates."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = reminders_send()
        renewed = certificates_renew()
        self.stdout.write(
            f"reminders before due: {counts['before']}, after due: {counts['after']}, renewals assigned: {renewed}"
        )
