"""``frontoffice billing_recurring [--date YYYY-MM-DD] --user USERNAME``: create and issue the
recurring invoices due on the date (default today), as the user named. Safe to run twice."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from frontoffice.billing.services.recurring import recurring_invoices_run


class Command(BaseCommand):
    help = "Create and issue the recurring invoices due on a date (safe to run twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Run date, YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--user", required=True, help="Username the invoices are issued as (needs permission to issue)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = datetime.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {options['date']!r} is not a date (YYYY-MM-DD).") from exc
        User = get_user_model()
        try:
            actor = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"--user: no active user {options['user']!r}.") from exc
        try:
            result = recurring_invoices_run(actor=actor, on=on)
        except PermissionDenied as exc:
            raise CommandError(f"--user: {exc}") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"{on.isoformat()}: {len(result.invoices)} invoice(s) issued, "
            f"{result.skipped} period(s) already invoiced."
        )
