"""What the rfps app adds to the shell: navigation, search, personal data, the customer-page card."""

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

register_nav(NavItem("rfps", _("RFPs"), "rfps:rfp-list", "rfps.view_rfp", order=24))
register_nav(
    NavItem("rfp-approvals", _("RFP approvals"), "rfps:approval-queue", "rfps.approve_rfp", order=25)
)


def _search_rfps(user: Any, query: str, limit: int) -> list[SearchHit]:
    from frontoffice.rfps.selectors import rfp_list

    rows = rfp_list(user=user, q=query)[:limit]
    return [
        SearchHit(
            kind=_("RFP"),
            title=r.title,
            url=reverse("rfps:rfp-detail", args=[r.pk]),
            detail=" · ".join(filter(None, [r.reference, r.party.display_name, str(r.get_status_display())])),
        )
        for r in rows
    ]


register_search(SearchProvider("rfps", _("RFPs"), "rfps.view_rfp", _search_rfps))


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm("rfps.view_rfp"):
        return None
    from frontoffice.rfps.selectors import open_rfps_for_party

    return {
        "party": party,
        "rfps": open_rfps_for_party(user=user, party=party),
        "can_add": user.has_perm("rfps.add_rfp"),
    }


register_party_panel(PartyPanel("rfps", "rfps/party_panel.html", _party_panel, order=60))


def _opportunity_panel(request: Any, opportunity: Any) -> dict[str, Any] | None:
    """The RFPs of the opportunity (and its customer's unlinked ones) that the user may see."""
    user = request.user
    if not user.has_perm("rfps.view_rfp"):
        return None
    from frontoffice.rfps.selectors import rfps_for_opportunity

    return {
        "opportunity": opportunity,
        "rfps": rfps_for_opportunity(user=user, opportunity=opportunity),
        "can_add": user.has_perm("rfps.add_rfp"),
    }


try:
    from frontoffice.sales.panels import register_opportunity_panel
except ImportError:  # pragma: no cover - sales always ships with rfps
    pass
else:
    register_opportunity_panel("rfps", "rfps/partials/opportunity_panel.html", _opportunity_panel, order=30)


def _export(party: Any) -> list[dict[str, Any]]:
    from frontoffice.rfps.models import Rfp

    return [
        {
            "title": r.title,
            "reference": r.reference,
            "received_on": r.received_on.isoformat(),
            "due_at": r.due_at.isoformat(),
            "status": r.status,
            "outcome_reason": r.outcome_reason,
        }
        for r in Rfp.objects.filter(party=party).order_by("received_on", "id")
    ]


def _count(party: Any) -> int:
    from frontoffice.rfps.models import Rfp

    return Rfp.objects.filter(party=party).count()


def _erase(party: Any, actor: Any) -> int:
    return 0  # kept: see kept_reason


register_personal_data(
    PersonalDataHandler(
        key="rfps",
        label=_("Requests for proposal"),
        export=_export,
        erase=_erase,
        count=_count,
        kept_reason=_(
            "Kept: requests for proposal are tenders issued by organisations and our responses to "
            "them, business records of the offer made; they hold no personal data beyond the issuer."
        ),
    )
)
