"""Booking codes: short, unguessable keys for the self check-in kiosk.

A code is 8 characters from a 31-letter alphabet without look-alikes (no 0/O, 1/I/L), about
40 bits of randomness from ``secrets``; it is shown as ``ABCD-EFGH``. Input is forgiving about
case, spaces and hyphens; anything else is malformed. Lookups must be rate-limited by the
caller (the kiosk), since a code is all a kiosk user needs.
"""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
_CODE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_code(raw: str | None) -> str:
    """The canonical code for ``raw``; raises ValidationError(code="malformed_code")."""
    cleaned = re.sub(r"[\s\-]", "", str(raw or "")).upper()
    if not _CODE.match(cleaned):
        raise ValidationError(
            _("A booking code has 8 letters and digits, like ABCD-EF23. Please check the code."),
            code="malformed_code",
        )
    return cleaned
