"""``frontoffice rfps_deadline_alerts``: e-mail owners (and supervisors when overdue) about RFPs
coming due. Safe to run as often as you like: each alert is sent once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from frontoffice.rfps.alerts import send_deadline_alerts


class Command(BaseCommand):
    help = "Send RFP deadline alerts (days before due: settings.RFPS_ALERT_DAYS, default 7, 2, 0)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default="", help="Site address used in the links.")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_deadline_alerts(base_url=options["base_url"])
        self.stdout.write(f"{sent} RFP deadline alert(s) sent.")
