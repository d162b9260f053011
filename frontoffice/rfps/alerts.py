"""Deadline alerts: the owner hears about an open RFP N days before it is due (default 7, 2 and
0; setting ``RFPS_ALERT_DAYS``), and once it is overdue the owner's supervisor hears too.

Each threshold is sent at most once per RFP (a unique ``RfpAlert`` row per RFP and threshold),
so the command is safe to run as often as cron likes, twice at once included. An RFP registered
late gets only the nearest threshold, not every one it already passed.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.tasks import email_enqueue
from frontoffice.rfps.models import OPEN_STATUSES, Rfp, RfpAlert, RfpEvent

DEFAULT_DAYS = (7, 2, 0)


def alert_days() -> list[int]:
    days = getattr(settings, "RFPS_ALERT_DAYS", DEFAULT_DAYS)
    return sorted({int(d) for d in days if int(d) >= 0}, reverse=True)


def _recipients(rfp: Rfp, overdue: bool) -> list[str]:
    emails = [rfp.owner.email] if rfp.owner.email else []
    if overdue:
        staff = getattr(rfp.owner, "staff", None)
        supervisor = getattr(getattr(staff, "supervisor", None), "user", None)
        if supervisor is not None and supervisor.email and supervisor.email not in emails:
            emails.append(supervisor.email)
    return emails


def _message(rfp: Rfp, days_before: int, base_url: str) -> tuple[str, str]:
    language = getattr(rfp.owner, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        url = base_url.rstrip("/") + reverse("rfps:rfp-detail", args=[rfp.pk])
        due = timezone.localtime(rfp.due_at).strftime("%Y-%m-%d %H:%M")
        if days_before == RfpAlert.OVERDUE:
            subject = _("Overdue RFP: %(title)s") % {"title": rfp.title}
            lead = _("The response to this request for proposal was due %(due)s and is not submitted.")
        elif days_before == 0:
            subject = _("RFP due today: %(title)s") % {"title": rfp.title}
            lead = _("The response to this request for proposal is due today, %(due)s.")
        else:
            subject = _("RFP due in %(days)d days: %(title)s") % {"days": days_before, "title": rfp.title}
            lead = _("The response to this request for proposal is due %(due)s.")
        body = "\n".join(
            [
                lead % {"due": due},
                "",
                _("Issuer: %(issuer)s") % {"issuer": rfp.party.display_name},
                _("Reference: %(reference)s") % {"reference": rfp.reference or "—"},
                _("Status: %(status)s") % {"status": rfp.get_status_display()},
                "",
                url,
            ]
        )
    return str(subject), body


def _threshold(rfp: Rfp, now: datetime.datetime, days: list[int]) -> int | None:
    """The alert due for ``rfp`` now: overdue, or the nearest threshold reached."""
    if rfp.due_at <= now:
        return RfpAlert.OVERDUE
    days_left = (timezone.localtime(rfp.due_at).date() - timezone.localtime(now).date()).days
    reached = [d for d in days if days_left <= d]
    return min(reached) if reached else None


def send_deadline_alerts(*, now: datetime.datetime | None = None, base_url: str = "") -> int:
    """Send the alerts that are due; return how many RFPs were alerted."""
    now = now or timezone.now()
    days = alert_days()
    horizon = now + datetime.timedelta(days=(max(days) if days else 0) + 1)
    base_url = base_url or settings.SITE_URL
    sent = 0
    candidates = (
        Rfp.objects.filter(status__in=OPEN_STATUSES, due_at__lte=horizon)
        .select_related("owner__staff__supervisor__user", "party")
        .prefetch_related("alerts")
        .order_by("due_at", "id")
    )
    for rfp in candidates.iterator(chunk_size=200):
        threshold = _threshold(rfp, now, days)
        if threshold is None:
            continue
        done = {a.days_before for a in rfp.alerts.all()}
        if threshold in done or (threshold >= 0 and any(0 <= d <= threshold for d in done)):
            continue
        recipients = _recipients(rfp, threshold == RfpAlert.OVERDUE)
        try:
            with transaction.atomic():
                # Passed thresholds are marked sent too, so a late RFP gets one e-mail.
                for d in [threshold, *[d for d in days if d > threshold and d not in done]]:
                    RfpAlert.objects.create(
                        rfp=rfp, days_before=d, sent_at=now, recipients=recipients if d == threshold else []
                    )
                if recipients:
                    subject, body = _message(rfp, threshold, base_url)
                    email_enqueue(subject=subject, body=body, to=recipients)
                RfpEvent.objects.create(
                    rfp=rfp,
                    at=now,
                    action="deadline_alert",
                    message=", ".join(recipients),
                    data={"days": threshold},
                )
                audit_record(
                    actor=None,
                    action="rfps.rfp.deadline_alerted",
                    obj=rfp,
                    changes={"alert": [None, threshold], "recipients": [None, recipients]},
                )
        except IntegrityError:
            continue  # another run sent it first
        sent += 1
    return sent


def run_alerts(**kwargs: Any) -> int:
    return send_deadline_alerts(**kwargs)
