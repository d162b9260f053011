"""Prospective patients: a walk-in or caller who is not yet a patient, registered with consent.

``prospect_register`` creates the customer (``parties.services.party_create``, source walk-in
or phone, the location's legal entity, region and location, data-processing consent), records
the contact as an interaction, and — when the ``leads`` app is installed — a lead for the sales
desk's new-patient follow-up through ``leads.services.lead_create`` (imported at call time) with
the lead source "Reception" (``leads.services.lead_source_get_or_create``: the leads app creates
it on first use and audits it) and the receptionist as the one who entered it. The lead links to the new customer through the
e-mail address (the leads app matches on e-mail; a phone number only flags a possible
duplicate), so an e-mail address is required while ``leads`` is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.reception.services.common import check_location

LEAD_SOURCE_NAME = "Reception"


@dataclass
class Prospect:
    party: Any
    lead: Any = None


def prospect_register(
    *,
    actor: Any,
    location: Any,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    language: str = "sv",
    consent: bool = False,
    interest: str = "",
    channel: str = "in_person",
) -> Prospect:
    """Register a prospective patient with consent; a lead for the sales desk when ``leads`` is
    installed. ``interest`` (what they ask about; no health details) goes into the lead's message."""
    from frontoffice.parties.services import interaction_record, party_create

    require_perm(actor, "parties.add_party")
    check_location(actor, location)
    errors: dict[str, ValidationError] = {}
    if not consent:
        errors["consent"] = ValidationError(
            _("The prospective patient must consent to us storing their details."), code="consent_required"
        )
    if apps.is_installed("frontoffice.leads") and not (email or "").strip():
        # The lead is matched to the new customer by e-mail; without one the leads app would
        # make a second customer record.
        errors["email"] = ValidationError(
            _("Enter their e-mail address: the sales desk follows up by e-mail."), code="email_required"
        )
    elif not (email or "").strip() and not (phone or "").strip():
        errors["email"] = ValidationError(
            _("Enter an e-mail address or a phone number."), code="contact_required"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        party = party_create(
            actor=actor,
            kind="person",
            first_name=first_name,
            last_name=last_name,
            email=(email or "").strip(),
            phone=(phone or "").strip(),
            language=language,
            source="walk_in" if channel == "in_person" else "phone",
            legal_entity=location.legal_entity,
            region=location.region,
            location=location,
            consent_data_processing=True,
        )
        now = timezone.now()
        interaction_record(
            actor=actor,
            party=party,
            kind="visit" if channel == "in_person" else "call",
            channel=channel,
            subject=_("Prospective patient registered at reception"),
            outcome=(interest or "").strip()[:2000],
            started_at=now,
            concerns=party,
        )
        lead = None
        if apps.is_installed("frontoffice.leads"):
            from frontoffice.leads.services import lead_create, lead_source_get_or_create

            source = lead_source_get_or_create(
                actor=actor, legal_entity=location.legal_entity, name=LEAD_SOURCE_NAME
            )
            lead = lead_create(
                actor=actor,
                data={
                    "contact_name": party.display_name,
                    "email": party.email,
                    "phone": party.phone,
                    "country": party.country,
                    "message": (interest or "").strip() or _("New-patient follow-up from reception."),
                },
                source=source,
                region=location.region,
            )
        audit_record(
            actor=actor,
            action="reception.prospect.registered",
            obj=party,
            changes={
                "lead": [None, getattr(lead, "pk", None)],
                "location": [None, location.pk],
                "consent_data_processing": [None, True],
                "channel": [None, channel],
            },
        )
    return Prospect(party=party, lead=lead)
