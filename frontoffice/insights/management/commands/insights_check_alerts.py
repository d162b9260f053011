import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from frontoffice.insights.services import alerts_due
from frontoffice.insights.tasks import check_alerts


class Command(BaseCommand):
    help = (
        "Queue the threshold check of every manager with alerts on (run daily from cron, after "
        "insights_refresh_facts); each crossing is e-mailed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were YYYY-MM-DD.")
        parser.add_argument("--dry-run", action="store_true", help="List the managers; queue nothing.")

    def handle(self, *args, **options):
        today = datetime.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        due = alerts_due()
        if not options["dry_run"]:
            for manager_id in due:
                check_alerts.enqueue(manager_id=manager_id, today=today.isoformat())
        verb = "would queue" if options["dry_run"] else "queued"
        self.stdout.write(f"{verb} alert checks for {len(due)} managers")
