"""``frontoffice billing_recurring [--date YYYY-MM-DD] [--user USERNAME]``: create and issue the
recurring invoices due on the date (default today). Safe to run twice.

With ``--user``, everything in that user's scope is run as them. Without it (the scheduled
job), each legal entity's due recurring invoices are issued as its finance manager: postings
in this product always have a person behind them (the ledger has no anonymous poster), and the
finance manager is who answers for the legal entity's invoicing. A legal entity without an
active finance manager is reported and skipped."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from frontoffice.billing.models import RecurringInvoice
from frontoffice.billing.services.recurring import (
    RecurringResult,
    recurring_invoices_run,
    recurring_system_actors,
)


class Command(BaseCommand):
    help = "Create and issue the recurring invoices due on a date (safe to run twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="Run date, YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--user",
            help="Username the invoices are issued as (needs permission to issue). Default: each "
            "legal entity's finance manager.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = datetime.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {options['date']!r} is not a date (YYYY-MM-DD).") from exc
        if options["user"]:
            User = get_user_model()
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist as exc:
                raise CommandError(f"--user: no active user {options['user']!r}.") from exc
            result = self._run(actor, on, label="--user")
        else:
            result = RecurringResult()
            actors = recurring_system_actors(on=on)
            due = set(
                RecurringInvoice.objects.filter(active=True, next_run_on__lte=on).values_list(
                    "legal_entity_id", flat=True
                )
            )
            for legal_entity_id in sorted(due - set(actors)):
                self.stderr.write(
                    f"Legal entity {legal_entity_id}: no active finance manager; run with --user."
                )
            for actor in {a.pk: a for a in actors.values()}.values():
                part = self._run(actor, on, label=f"finance manager {actor.username}")
                result.invoices.extend(part.invoices)
                result.skipped += part.skipped
        self.stdout.write(
            f"{on.isoformat()}: {len(result.invoices)} invoice(s) issued, "
            f"{result.skipped} period(s) already invoiced."
        )

    def _run(self, actor: Any, on: datetime.date, *, label: str) -> RecurringResult:
        try:
            return recurring_invoices_run(actor=actor, on=on)
        except PermissionDenied as exc:
            raise CommandError(f"{label}: {exc}") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
