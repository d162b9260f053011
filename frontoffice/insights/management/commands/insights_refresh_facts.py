from django.core.management.base import BaseCommand

from frontoffice.insights.tasks import refresh_facts


class Command(BaseCommand):
    help = (
        "Queue the refresh of yesterday's and today's insights facts and of the days marked dirty "
        "(run from cron, e.g. hourly)."
    )

    def handle(self, *args, **options):
        refresh_facts.enqueue()
        self.stdout.write("queued")
