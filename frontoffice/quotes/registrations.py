"""What the quotes app adds to the shell: navigation, search, the customer-page panel, the
opportunity-page panel (when the sales app offers it), personal data."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    NavItem,
    PartyPanel,
    PersonalDataHandler,
    SearchHit,
    SearchProvider,
    register_nav,
    register_party_panel,
    register_personal_data,
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


def _export(party: Any) -> list[dict[str, Any]]:
    from frontoffice.quotes.models import Quote

    return [
        {
            "number": quote.reference,
            "status": quote.status,
            "issue_on": quote.issue_on.isoformat(),
            "valid_until": quote.valid_until.isoformat(),
            "total_amount": f"{quote.total_amount:.2f}",
            "currency": quote.currency,
            "recipient_email": quote.recipient_email,
            "accepted_by_name": quote.accepted_by_name,
            "decline_reason": quote.decline_reason,
            "intro": quote.intro,
        }
        for quote in Quote.objects.filter(party=party).order_by("year", "number")
    ]


def _erase(party: Any, actor: Any) -> int:
    from frontoffice.quotes.models import Quote

    # The quote stays (its number is part of a gapless series and invoices may cite it); who
    # received, accepted or declined it, and why, is removed.
    return Quote.objects.filter(party=party).update(
        recipient_email="", accepted_by_name="", decline_reason="", intro=""
    )


def _count(party: Any) -> int:
    from frontoffice.quotes.models import Quote

    return Quote.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        key="quotes",
        label=_("Quotes"),
        export=_export,
        erase=_erase,
        count=_count,
        kept_reason=_(
            "Kept without recipient, names and reasons: quote numbers are a gapless series and "
            "invoices made from quotes refer to them."
        ),
    )
)
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
