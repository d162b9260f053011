"""``frontoffice leads_overdue``: alert reps and their managers about leads past their
first-contact due time. Each lead is alerted once; safe to run twice or at once (cron: every
few minutes in working hours)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from frontoffice.leads.services import lead_overdue_alerts


class Command(BaseCommand):
    help = "Alert reps and their managers about leads not contacted by their due time (once per lead)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = lead_overdue_alerts()
        self.stdout.write(f"{count} overdue lead(s) alerted.")
