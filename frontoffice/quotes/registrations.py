"""What the quotes app adds to the shell: navigation, search, the customer-page panel, the
opportunity-page panel (when the sales app offers it), personal data."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    NavItem,
    PartyPanel,
    SearchHit,
    SearchProvider,
    register_nav,
    register_party_panel,
    register_search,
)

VIEW = "quotes.view_quote"


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm(VIEW):
        return None
    from frontoffice.quotes.selectors import quotes_for_party

    return {
        "party": party,
        "quotes": quotes_for_party(user=user, party=party),
        "can_add": user.has_perm("quotes.add_quote"),
    }


def _opportunity_panel(request: Any, opportunity: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm(VIEW):
        return None
    from frontoffice.quotes.selectors import quotes_for_opportunity

    return {
        "opportunity": opportunity,
        "quotes": quotes_for_opportunity(user=user, opportunity=opportunity),
        "can_add": user.has_perm("quotes.add_quote"),
    }


def _search(user: Any, query: str, limit: int) -> list[SearchHit]:
    from frontoffice.quotes.selectors import quote_list

    return [
        SearchHit(
            kind=_("Quote"),
            title=quote.reference,
            url=quote.get_absolute_url(),
            detail=quote.party.display_name,
        )
        for quote in quote_list(user=user, query=query)[:limit]
    ]


register_nav(NavItem("quotes", _("Quotes"), "quotes:quote-list", VIEW, order=34))
register_search(SearchProvider("quotes", _("Quotes"), VIEW, _search))
register_party_panel(PartyPanel("quotes", "quotes/partials/party_panel.html", _party_panel, order=40))

try:
    from frontoffice.sales.panels import register_opportunity_panel
except ImportError:  # the sales app's opportunity page is not there yet
    pass
else:
    register_opportunity_panel(
        "quotes", "quotes/partials/opportunity_panel.html", _opportunity_panel, order=20
    )
