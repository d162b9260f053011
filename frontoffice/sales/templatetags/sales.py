"""``{% load sales %}``: the opportunity page's registered panels."""

from __future__ import annotations

from typing import Any

from django import template

from frontoffice.sales.panels import render_opportunity_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def opportunity_panels(context: dict[str, Any], opportunity: Any) -> str:
    """``{% opportunity_panels opportunity %}``: the cards other apps register for this page."""
    request = context.get("request")
    if request is None:
        return ""
    return render_opportunity_panels(request, opportunity)
