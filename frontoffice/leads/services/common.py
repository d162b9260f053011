"""Shared pieces of the leads services: cleaning submitted contact data, history, due dates."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.contact import normalise_email, normalise_phone, search_key
from frontoffice.leads.models import Lead, LeadEvent, LeadSource

# The fields a lead can be submitted with (UI, web form, API, import), with their max length.
CONTACT_FIELDS: dict[str, int] = {
    "contact_name": 200,
    "company": 200,
    "organisation_number": 11,
    "email": 254,
    "phone": 40,
    "postal_code": 20,
    "country": 2,
    "industry": 100,
    "company_size": 40,
    "message": 5000,
}
DEFAULT_TARGET_HOURS = 4
# The same e-mail and message submitted again within this many minutes is the same lead.
DUPLICATE_SUBMISSION_MINUTES = 30


@dataclass
class Cleaned:
    data: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def clean_contact(raw: dict[str, Any], *, default_country: str = "SE") -> Cleaned:
    """Normalise submitted contact data; ``errors`` maps each bad field to a message."""
    out = Cleaned()
    for name, limit in CONTACT_FIELDS.items():
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if name != "message":
            value = " ".join(value.split())
        if len(value) > limit and name != "phone":
            out.errors[name] = _("At most %(limit)d characters.") % {"limit": limit}
        out.data[name] = value
    data = out.data
    data["country"] = (data["country"] or default_country or "SE").upper()
    if len(data["country"]) != 2 or not data["country"].isalpha():
        out.errors["country"] = _("Use a two-letter country code, e.g. SE.")
    if data["email"]:
        data["email"] = normalise_email(data["email"])
        try:
            validate_email(data["email"])
        except ValidationError:
            out.errors["email"] = _("“%(value)s” is not an e-mail address.") % {"value": data["email"]}
    if data["phone"] and "country" not in out.errors:
        try:
            data["phone"] = normalise_phone(data["phone"], data["country"])
        except ValidationError as exc:
            out.errors["phone"] = exc.messages[0]
    if data["organisation_number"] and data["country"] == "SE":
        from frontoffice.org.validators import normalise_organisation_number

        try:
            data["organisation_number"] = normalise_organisation_number(data["organisation_number"])
        except ValidationError as exc:
            out.errors["organisation_number"] = exc.messages[0]
    if not (data["contact_name"] or data["company"]):
        out.errors.setdefault("contact_name", _("Enter a name or a company."))
    if not (data["email"] or data["phone"]) and "email" not in out.errors and "phone" not in out.errors:
        out.errors["email"] = _("Enter an e-mail address or a phone number.")
    return out


def lead_search_text(data: dict[str, str]) -> str:
    digits = "".join(ch for ch in data.get("phone", "") if ch.isdigit())
    national = "0" + digits[2:] if data.get("phone", "").startswith("+46") else ""
    return search_key(
        " ".join(
            filter(
                None,
                [
                    data.get("contact_name"),
                    data.get("company"),
                    data.get("email"),
                    digits,
                    national,
                    data.get("organisation_number"),
                    data.get("postal_code"),
                ],
            )
        )
    )


def submission_key(email: str, message: str) -> str:
    text = f"{normalise_email(email)}\n{' '.join((message or '').split()).lower()}"
    return hashlib.sha256(text.encode()).hexdigest()


def first_contact_due(source: LeadSource | None, created_at: datetime.datetime) -> datetime.datetime:
    """Created + the source's target, counted in working time (``core.workhours``: Mon-Fri
    08-17 Stockholm, Swedish public holidays off); a lead arriving at night starts at opening."""
    from frontoffice.core.workhours import add_working_minutes

    if source is None:
        minutes = DEFAULT_TARGET_HOURS * 60
    elif source.first_contact_unit == LeadSource.TargetUnit.MINUTES:
        minutes = source.first_contact_target
    else:
        minutes = source.first_contact_target * 60
    return add_working_minutes(created_at, minutes)


def event(
    lead: Lead, kind: str, *, actor: Any = None, from_value: Any = "", to_value: Any = "", reason: str = ""
) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead,
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        from_value=str(from_value or "")[:200],
        to_value=str(to_value or "")[:200],
        reason=(reason or "")[:500],
    )


def user_label(user_id: int | None) -> str:
    if not user_id:
        return ""
    from frontoffice.org.models import User

    user = User.objects.filter(pk=user_id).only("first_name", "last_name", "username").first()
    return (user.get_full_name() or user.username) if user else ""
