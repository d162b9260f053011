"""What the sales app adds to the shell: navigation, search, personal data, panels."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
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

VIEW = "sales.view_opportunity"

register_nav(NavItem("opportunities", _("Opportunities"), "sales:opportunity-list", VIEW, order=30))
register_nav(NavItem("pipeline-board", _("Pipeline board"), "sales:board", VIEW, order=31))
register_nav(NavItem("sales-forecast", _("Forecast"), "sales:forecast", "sales.view_forecast", order=32))
register_nav(
    NavItem(
        "sales-pipeline", _("Pipeline report"), "sales:pipeline-regional", "sales.view_forecast", order=33
    )
)
register_nav(NavItem("sales-team", _("Team report"), "sales:team-report", "sales.view_forecast", order=34))
register_nav(
    NavItem(
        "sales-stages",
        _("Pipeline stages"),
        "sales:stage-list",
        "sales.manage_stages",
        order=40,
        section="settings",
    )
)


def _search(user: Any, query: str, limit: int) -> list[SearchHit]:
    from frontoffice.sales import selectors

    return [
        SearchHit(
            kind=_("Opportunity"),
            title=o.name,
            url=reverse("sales:opportunity-detail", args=[o.pk]),
            detail=" · ".join([o.party.display_name, o.stage.name]),
        )
        for o in selectors.search(user, query, limit)
    ]


register_search(SearchProvider("opportunities", _("Opportunities"), VIEW, _search))


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm(VIEW):
        return None
    from frontoffice.sales import selectors

    return {
        "party": party,
        "opportunities": selectors.party_opportunities(user=user, party=party),
        "can_add": user.has_perm("sales.add_opportunity"),
    }


register_party_panel(PartyPanel("opportunities", "sales/party_panel.html", _party_panel, order=30))


def _export(party: Any) -> list[dict[str, Any]]:
    from frontoffice.sales.models import Opportunity

    return [
        {
            "name": o.name,
            "stage": o.stage.name,
            "amount": str(o.amount),
            "currency": o.currency,
            "expected_close_on": o.expected_close_on.isoformat(),
            "closed_on": o.closed_on.isoformat() if o.closed_on else None,
            "description": o.description,
            "win_reason": o.win_reason,
            "loss_reason": o.loss_reason,
        }
        for o in Opportunity.objects.filter(party=party).select_related("stage")
    ]


def _erase(party: Any, actor: Any) -> int:
    """Free text about the customer is cleared; the deal itself (amount, stage, dates) stays."""
    from frontoffice.sales.models import Opportunity, OpportunityEvent

    rows = Opportunity.objects.filter(party=party).update(
        description="", win_reason="", loss_reason="", competitors=""
    )
    OpportunityEvent.objects.filter(opportunity__party=party).update(reason="")
    return rows


def _count(party: Any) -> int:
    from frontoffice.sales.models import Opportunity

    return Opportunity.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        key="opportunities",
        label=_("Opportunities"),
        export=_export,
        erase=_erase,
        count=_count,
        kept_reason=_(
            "Kept without descriptions and reasons: the deal's amount, stage and dates are sales "
            "records the forecast and the won invoices refer to."
        ),
    )
)
import frontoffice.sales.views.repeat  # noqa: F401, E402 - repeat customers: nav item and customer-page panel
