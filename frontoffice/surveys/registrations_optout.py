"""The customer page's survey opt-out card (``register_party_panel``), kept apart from
``registrations.py`` so the opt-out pages stay one small unit (``views_optout``,
``selectors_optout``, ``services.optout``, ``api_optout``)."""

from __future__ import annotations

from typing import Any

from frontoffice.core.registry import PartyPanel, register_party_panel


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    from frontoffice.surveys.views_optout import panel_context

    return panel_context(request, party)


register_party_panel(
    PartyPanel("surveys-opt-out", "surveys/partials/party_opt_out.html", _party_panel, order=90)
)
