"""Panels on the opportunity page, registered by apps "above" sales (quotes, activities, rfps).

Usage, from another app's ``registrations.py``::

    from frontoffice.sales.panels import register_opportunity_panel

    register_opportunity_panel("quotes", "quotes/_opportunity_panel.html", context, order=20)

``context(request, opportunity)`` returns the template's context dict, or ``None`` to hide
the panel. The provider checks the user's permission and scope itself (through its own
selectors) and keeps its query count constant. The detail page renders them with
``{% load sales %}{% opportunity_panels opportunity %}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OpportunityPanel:
    key: str
    template_name: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100


_panels: list[OpportunityPanel] = []


def register_opportunity_panel(
    key: str,
    template_name: str,
    context: Callable[[Any, Any], dict[str, Any] | None],
    order: int = 100,
) -> None:
    """Add a panel (once per key) to the opportunity detail page."""
    if all(p.key != key for p in _panels):
        _panels.append(OpportunityPanel(key, template_name, context, order))
        _panels.sort(key=lambda p: (p.order, p.key))


def opportunity_panels() -> list[OpportunityPanel]:
    return list(_panels)


def render_opportunity_panels(request: Any, opportunity: Any) -> str:
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    parts = []
    for panel in _panels:
        ctx = panel.context(request, opportunity)
        if ctx is not None:
            parts.append(render_to_string(panel.template_name, ctx, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates, autoescaped
