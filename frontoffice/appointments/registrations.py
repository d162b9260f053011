"""What the appointments app adds to the shell: navigation, search, personal data, the customer-page card."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    NavItem,
    PartyPanel,
    PersonalDataHandler,
    SearchHit,
    SearchProvider,
    register_nav,
    register_party_panel,
    register_personal_data,
    register_search,
)

register_nav(
    NavItem(
        "appointments", _("Calendar"), "appointments:calendar-day", "appointments.view_appointment", order=10
    )
)
register_nav(
    NavItem(
        "appointment-resources",
        _("Resources and appointment types"),
        "appointments:resource-list",
        "appointments.manage_resources",
        order=40,
        section="settings",
    )
)


def _search(user: Any, query: str, limit: int) -> list[SearchHit]:
    """A booking code finds its appointment (only within the user's scope)."""
    from django.core.exceptions import ValidationError

    from frontoffice.appointments.codes import normalise_code
    from frontoffice.appointments.selectors import appointments_for

    try:
        code = normalise_code(query)
    except ValidationError:
        return []
    return [
        SearchHit(
            kind=_("Appointment"),
            title=f"{a.party.display_name} · {a.appointment_type.name}",
            url=reverse("appointments:appointment-detail", args=[a.pk]),
            detail=f"{timezone.localtime(a.start_at):%Y-%m-%d %H:%M} · {a.get_status_display()}",
        )
        for a in appointments_for(user).filter(booking_code=code)[:limit]
    ]


register_search(SearchProvider("appointments", _("Appointments"), "appointments.view_appointment", _search))


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm("appointments.view_appointment"):
        return None
    from frontoffice.appointments.selectors import party_appointments

    return {
        "party": party,
        **party_appointments(user=user, party=party),
        "can_add": user.has_perm("appointments.add_appointment"),
    }


register_party_panel(PartyPanel("appointments", "appointments/party_panel.html", _party_panel, order=15))

RETENTION_YEARS = 10


def _export(party: Any) -> list[dict[str, Any]]:
    from frontoffice.appointments.models import Appointment

    rows = Appointment.objects.filter(party=party).select_related("location", "resource", "appointment_type")
    return [
        {
            "start_at": a.start_at.isoformat(),
            "end_at": a.end_at.isoformat(),
            "location": a.location.name,
            "with": a.resource.name,
            "type": a.appointment_type.name,
            "status": a.status,
            "notes": a.notes,
            "health_notes": a.health_notes,
            "cancel_reason": a.cancel_reason,
            "checked_in_at": a.checked_in_at.isoformat() if a.checked_in_at else None,
            "done_at": a.done_at.isoformat() if a.done_at else None,
        }
        for a in rows.order_by("start_at", "pk")
    ]


def _count(party: Any) -> int:
    from frontoffice.appointments.models import Appointment

    return Appointment.objects.filter(party=party).count()


def _erase(party: Any, actor: Any) -> int:
    """Future bookings are cancelled; desk notes are cleared everywhere. Patient records (clinic
    appointments of the last 10 years, with their health-related notes) are kept as the law
    requires; other appointments lose their health-related notes too."""
    from django.db.models import Q

    from frontoffice.appointments.models import Appointment, AppointmentEvent
    from frontoffice.core.audit import audit_record

    now = timezone.now()
    kept_since = now - datetime.timedelta(days=365 * RETENTION_YEARS + 3)
    qs = Appointment.objects.filter(party=party)
    future = list(qs.filter(status=Appointment.Status.BOOKED, start_at__gt=now))
    for appointment in future:
        appointment.status = Appointment.Status.CANCELLED
        appointment.cancelled_at = now
        appointment.cancel_reason = str(_("Personal data erased"))
        appointment.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        AppointmentEvent.objects.create(
            appointment=appointment,
            at=now,
            actor=actor,
            kind="cancelled",
            from_status="booked",
            to_status="cancelled",
        )
    patient_record = Q(location__kind="clinic", start_at__gte=kept_since)
    changed = qs.exclude(patient_record).update(notes="", health_notes="", anonymised_at=now)
    changed += qs.filter(patient_record).update(notes="", anonymised_at=now)
    AppointmentEvent.objects.filter(appointment__party=party).update(note="")
    if changed:
        audit_record(
            actor=actor, action="appointments.party.anonymised", obj=party, changes={"appointments": changed}
        )
    return changed


register_personal_data(
    PersonalDataHandler(
        key="appointments",
        label=_("Appointments"),
        export=_export,
        erase=_erase,
        count=_count,
        kept_reason=_(
            "Kept: appointments at a clinic are part of the patient record, which the Swedish Patient "
            "Data Act (Patientdatalagen) requires us to keep for at least 10 years. Future bookings are "
            "cancelled and desk notes are removed; the visits themselves and their health-related notes "
            "stay until the retention period ends."
        ),
    )
)
