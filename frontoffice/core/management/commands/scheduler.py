"""``frontoffice scheduler [--once | --list] [--interval SECONDS]``: run the periodic jobs the
apps declare in their ``schedules`` modules, each once per slot (see ``core.scheduler``).

Without options it ticks every ``--interval`` seconds until SIGTERM or SIGINT, finishing the
current tick first. ``--once`` runs what is due and exits (for cron or a systemd timer);
``--list`` shows every job, its schedule, its last run and its next run, and changes nothing.
Several schedulers may run at once: a slot still runs only once.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from frontoffice.core.models import ScheduledRun
from frontoffice.core.scheduler import scheduler_loop, scheduler_status, scheduler_tick


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


class Command(BaseCommand):
    help = "Run the periodic jobs (each once per slot, whatever the number of schedulers)."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="Run the jobs that are due now, then exit.")
        mode.add_argument(
            "--list",
            action="store_true",
            help="Show each job's schedule, last run and next run; run nothing.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Seconds between two looks at the schedule (default 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            self._list()
        elif options["once"]:
            self.stdout.write(self._summary(scheduler_tick()))
        else:
            if options["interval"] <= 0:
                raise CommandError("--interval must be more than 0 seconds.")
            self._loop(options["interval"])

    def _list(self) -> None:
        statuses = scheduler_status()
        rows = [("job", "command", "schedule", "last run", "status", "next run")]
        for status in statuses:
            last = status.last
            rows.append(
                (
                    status.job.key,
                    " ".join([status.job.command, *status.job.args]),
                    str(status.job.schedule),
                    _local(last.slot) if last else "never",
                    last.status if last else "-",
                    "due now" if status.due else _local(status.next_at),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(f"{len(statuses)} job(s); times in {timezone.get_default_timezone_name()}")

    def _summary(self, claimed: list[ScheduledRun]) -> str:
        names = ", ".join(run.job for run in claimed)
        return f"{len(claimed)} job(s) run" + (f": {names}" if names else "")

    def _loop(self, interval: float) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            self.stdout.write(f"{signal.Signals(signum).name}: stopping after the current tick")
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"scheduler started (every {interval:g} s)")
        try:
            scheduler_loop(
                stop=stop,
                interval=interval,
                on_tick=lambda claimed: claimed and self.stdout.write(self._summary(claimed)),
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("scheduler stopped")
