"""Normalisation of contact data: one canonical form per e-mail, phone and number."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone(value: str, country: str = "SE") -> str:
    """Any common way of writing a phone number → E.164 (``070-123 45 67`` → ``+46701234567``)."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, (country or "SE").upper())
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number. Use digits, e.g. 070-123 45 67 or +46 70 123 45 67.")
            % {"value": raw},
            code="phone_invalid",
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number for its country.") % {"value": raw},
            code="phone_invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(value: str) -> str:
    """E.164 → international display form (``+46 70 123 45 67``)."""
    if not value:
        return ""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return value


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def search_key(text: str) -> str:
    """The lower-case form search compares against."""
    return " ".join((text or "").lower().split())
