"""Numbers, amounts and dates as the customer reads them, in the active language.

Call these inside ``translation.override(document.language)``: Swedish gives ``1 234,50 kr``
and ISO dates (``2026-03-16``, as Swedish invoices write them); English ``SEK 1,234.50`` and
``16 March 2026``. Amounts never pass through float.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language

from frontoffice.core.money import quantize
from frontoffice.core.templatetags.frontoffice import money as _money


def swedish() -> bool:
    return (get_language() or "").split("-")[0] == "sv"


def money(amount: Decimal, currency: str) -> str:
    """``1 234,50 kr`` / ``SEK 1,234.50`` (non-breaking spaces)."""
    return _money(amount, currency)


def number(amount: Decimal) -> str:
    """An amount without its currency, two decimals, grouped: ``1 234,50`` / ``1,234.50``."""
    return formats.number_format(quantize(amount), decimal_pos=2, force_grouping=True)


def quantity(value: Decimal) -> str:
    """A quantity or rate with as many decimals as it needs: ``2``, ``1,5``, ``12,25``."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    places = len(text.split(".")[1]) if "." in text else 0
    return formats.number_format(Decimal(text), decimal_pos=places, force_grouping=True)


def percent(value: Decimal) -> str:
    return f"{quantity(value)}\xa0%"


def date(value: datetime.date | None) -> str:
    if value is None:
        return ""
    if swedish():
        return value.isoformat()
    return formats.date_format(value, "j F Y")


def iban(value: str) -> str:
    """An IBAN in groups of four, as printed: ``SE45 5000 0000 0583 9825 7466``."""
    compact = value.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
