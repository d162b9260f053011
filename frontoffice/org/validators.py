"""Validators for Swedish identifiers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ORGNR = re.compile(r"^(\d{2})?(\d{6})-?(\d{4})$")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def normalise_organisation_number(value: str) -> str:
    """``5560360793`` or ``556036-0793`` → ``556036-0793``; raises ValidationError if invalid.

    Swedish organisation numbers (and personal identity numbers of sole traders) are ten
    digits with a Luhn check digit; a 12-digit form with century is accepted and shortened.
    """
    raw = (value or "").strip().replace(" ", "")
    match = _ORGNR.match(raw)
    if not match:
        raise ValidationError(
            _("Enter a Swedish organisation number as NNNNNN-NNNN (ten digits)."),
            code="organisation_number_format",
        )
    digits = match.group(2) + match.group(3)
    if not luhn_valid(digits):
        raise ValidationError(
            _("This organisation number has a wrong check digit; please check it for typos."),
            code="organisation_number_checksum",
        )
    return f"{digits[:6]}-{digits[6:]}"


def validate_organisation_number(value: str) -> None:
    normalise_organisation_number(value)


_VAT = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")


def normalise_vat_number(value: str) -> str:
    """EU VAT number, upper-case without spaces; Swedish ones are SE + 10 digits + 01."""
    raw = (value or "").strip().upper().replace(" ", "").replace("-", "")
    if not _VAT.match(raw):
        raise ValidationError(
            _("Enter a VAT number starting with the country code, e.g. SE556036079301."),
            code="vat_number_format",
        )
    if raw.startswith("SE") and (not re.fullmatch(r"SE\d{10}01", raw) or not luhn_valid(raw[2:12])):
        raise ValidationError(
            _("A Swedish VAT number is SE, the ten-digit organisation number and 01."),
            code="vat_number_se",
        )
    return raw


def validate_vat_number(value: str) -> None:
    normalise_vat_number(value)
