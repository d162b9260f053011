"""``frontoffice quotes_expire [--date YYYY-MM-DD] [--dry-run]``: mark sent quotes whose last
valid day is before the date (default today) as expired. Safe to run twice; run it daily."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from frontoffice.quotes.models import Quote
from frontoffice.quotes.services import quotes_expire


class Command(BaseCommand):
    help = "Mark sent quotes past their last valid day as expired (safe to run twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Run date, YYYY-MM-DD (default: today).")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = (
                datetime.date.fromisoformat(options["date"]) if options.get("date") else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD.") from exc
        if options["dry_run"]:
            count = Quote.objects.filter(status=Quote.Status.SENT, valid_until__lt=day).count()
            self.stdout.write(f"{count} quote(s) would expire (dry run).")
            return
        with transaction.atomic():
            count = quotes_expire(today=day)
        self.stdout.write(f"{count} quote(s) expired.")
