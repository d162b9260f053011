import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from frontoffice.insights.facts import rebuild


class Command(BaseCommand):
    help = "Rebuild the insights daily facts from the source rows (all history, or from --from DATE)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="first day to rebuild (YYYY-MM-DD)")

    def handle(self, *args, **options):
        start = None
        if options["start"]:
            try:
                start = datetime.date.fromisoformat(options["start"])
            except ValueError as exc:
                raise CommandError(f"--from: not a date (YYYY-MM-DD): {options['start']!r}") from exc
        began = time.monotonic()
        written = rebuild(start=start)
        self.stdout.write(f"{written} daily facts written in {time.monotonic() - began:.1f} s")
