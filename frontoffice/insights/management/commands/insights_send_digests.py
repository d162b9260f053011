import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from frontoffice.insights.services import digests_due, last_full_week
from frontoffice.insights.tasks import send_digest


class Command(BaseCommand):
    help = (
        "Queue the weekly digest (last full week) for every manager whose digest day is today "
        "(run daily from cron; a manager gets one digest per week however often it runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were YYYY-MM-DD.")
        parser.add_argument("--dry-run", action="store_true", help="List the managers; queue nothing.")

    def handle(self, *args, **options):
        today = datetime.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        week = last_full_week(today)
        due = digests_due(today=today)
        if not options["dry_run"]:
            for manager_id in due:
                send_digest.enqueue(manager_id=manager_id, week_start=week.isoformat())
        verb = "would queue" if options["dry_run"] else "queued"
        self.stdout.write(f"{verb} {len(due)} digests for the week of {week.isoformat()}")
