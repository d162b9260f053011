"""The first-contact clock: leads not contacted by their due time alert the rep and the
rep's manager (their supervisor) by e-mail, once per lead."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.tasks import email_enqueue
from frontoffice.leads.models import Lead, LeadEvent
from frontoffice.leads.services.common import event


def overdue_leads(now: Any = None):
    now = now or timezone.now()
    return Lead.objects.filter(
        stage=Lead.Stage.NEW,
        first_contact_at__isnull=True,
        first_contact_due_at__lt=now,
        overdue_alerted_at__isnull=True,
    )


def _recipients(lead: Lead) -> list[str]:
    from frontoffice.org.models import Staff

    emails: list[str] = []
    if lead.owner_id:
        staff = Staff.objects.select_related("user", "supervisor__user").filter(user_id=lead.owner_id).first()
        if staff is not None:
            emails.append(staff.user.email)
            if staff.supervisor_id and staff.supervisor.active:
                emails.append(staff.supervisor.user.email)
    elif lead.region_id:
        # Unassigned: the managers of the region.
        managers = Staff.objects.filter(
            regions__id=lead.region_id, active=True, legal_entity_id=lead.legal_entity_id
        ).select_related("user")
        emails.extend(m.user.email for m in managers)
    return sorted({e for e in emails if e})


def lead_overdue_alerts(*, now: Any = None) -> int:
    """Send the overdue alert of every lead past its first-contact due time (once each).

    Safe to run twice or at once: a lead is claimed with a conditional UPDATE before its
    e-mail is queued. Returns how many leads were alerted.
    """
    now = now or timezone.now()
    sent = 0
    for lead_id in list(overdue_leads(now).values_list("id", flat=True)[:1000]):
        with transaction.atomic():
            claimed = Lead.objects.filter(pk=lead_id, overdue_alerted_at__isnull=True).update(
                overdue_alerted_at=now
            )
            if not claimed:
                continue
            lead = Lead.objects.select_related("source", "party").get(pk=lead_id)
            event(
                lead,
                LeadEvent.Kind.OVERDUE,
                to_value=timezone.localtime(lead.first_contact_due_at).strftime("%Y-%m-%d %H:%M"),
            )
            audit_record(
                actor=None,
                action="leads.lead.overdue_alerted",
                obj=lead,
                changes={"overdue_alerted_at": [None, now]},
            )
            to = _recipients(lead)
            if to:
                base = getattr(settings, "SITE_URL", "").rstrip("/")
                with translation.override(settings.LANGUAGE_CODE):
                    subject = _("First contact overdue: %(lead)s") % {"lead": lead}
                    body = _(
                        "The lead %(lead)s (%(company)s) was due for first contact at %(due)s and has not been "
                        "contacted yet.\n\n%(url)s"
                    ) % {
                        "lead": lead,
                        "company": lead.company or lead.party.display_name,
                        "due": timezone.localtime(lead.first_contact_due_at).strftime("%Y-%m-%d %H:%M"),
                        "url": base + reverse("leads:lead-detail", args=[lead.pk]),
                    }
                email_enqueue(subject=subject, body=body, to=to)
            sent += 1
    return sent
