"""Send the one reminder of every unanswered survey request that is due; run it from cron
(e.g. hourly). ``--dry-run`` only counts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from frontoffice.surveys.services import survey_send_reminders


class Command(BaseCommand):
    help = "Send the one reminder of every unanswered survey request that is due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count the due reminders, send nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        count = survey_send_reminders(dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        self.stdout.write(f"surveys: {verb} {count} reminder(s)")
