"""Shared template filters: ``money`` for amounts and ``format_phone`` for phone numbers.

``{% load frontoffice %}`` then ``{{ invoice.total_amount|money:invoice.currency }}``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import get_language

from frontoffice.core.contact import format_phone as _format_phone
from frontoffice.core.money import quantize

register = template.Library()

DEFAULT_CURRENCY = "SEK"
# Currencies written with a local symbol after the amount in Swedish text.
_SWEDISH_SYMBOLS = {"SEK": "kr"}
NBSP = "\xa0"


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """A Decimal amount for the active locale, two decimals and digit grouping.

    Swedish: ``1 234,50 kr`` (``1 234,50 EUR`` for other currencies); English and other
    languages: ``SEK 1,234.50``. Spaces are non-breaking, so an amount never wraps. The
    currency defaults to the value's own ``currency`` attribute, then to SEK. Amounts are
    rounded half up and never pass through float (a float raises ``TypeError``).
    ``None`` and ``""`` render as an empty string.
    """
    if value is None or value == "":
        return ""
    if hasattr(value, "amount") and hasattr(value, "currency"):
        currency = currency or value.currency
        value = value.amount
    code = (currency or DEFAULT_CURRENCY).upper()
    amount: Decimal = quantize(value)
    number = formats.number_format(amount, decimal_pos=2, force_grouping=True)
    if (get_language() or "").split("-")[0] == "sv":
        return f"{number}{NBSP}{_SWEDISH_SYMBOLS.get(code, code)}"
    return f"{code}{NBSP}{number}"


@register.filter
def format_phone(value: Any) -> str:
    """A stored E.164 number in international display form: ``+46 70 123 45 67``."""
    return _format_phone(str(value)) if value else ""


@register.filter
def with_aria(field: Any) -> Any:
    """Render a bound field whose errors screen readers announce: ``aria-invalid`` and an
    ``aria-describedby`` naming its help text and its error list (Django links help only)."""
    if not getattr(field, "errors", None):
        return field
    ids = [f"{field.auto_id}_error"]
    if field.help_text:
        ids.insert(0, f"{field.auto_id}_helptext")
    return field.as_widget(attrs={"aria-invalid": "true", "aria-describedby": " ".join(ids)})


@register.simple_tag(takes_context=True)
def party_panels(context: dict[str, Any], party: Any) -> str:
    """``{% party_panels party %}``: the cards domain apps register for the customer page."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from frontoffice.core.registry import registry

    request = context.get("request")
    if request is None:
        return ""
    parts = []
    for panel in registry.party_panels:
        panel_context = panel.context(request, party)
        if panel_context is not None:
            parts.append(render_to_string(panel.template_name, panel_context, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates, autoescaped
