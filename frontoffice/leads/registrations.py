"""What the leads app adds to the shell: navigation, search, personal data, the customer-page panel."""

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

VIEW = "leads.view_lead"

register_nav(NavItem("leads", _("Leads"), "leads:lead-list", VIEW, order=25))
register_nav(
    NavItem(
        "leads-settings",
        _("Lead settings"),
        "leads:settings",
        "leads.manage_leads",
        order=57,
        section="settings",
    )
)


def _search(user: Any, query: str, limit: int) -> list[SearchHit]:
    from frontoffice.leads.selectors import lead_search

    return [
        SearchHit(
            kind=_("Lead"),
            title=str(lead),
            url=reverse("leads:lead-detail", args=[lead.pk]),
            detail=" · ".join(filter(None, [lead.company, lead.email, lead.get_stage_display()])),
        )
        for lead in lead_search(user=user, q=query, limit=limit)
    ]


register_search(SearchProvider("leads", _("Leads"), VIEW, _search))


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    from frontoffice.leads.selectors import leads_for_party

    if not request.user.has_perm(VIEW):
        return None
    leads = leads_for_party(user=request.user, party=party)
    if not leads:
        return None
    return {"leads": leads}


register_party_panel(PartyPanel("leads", "leads/partials/party_panel.html", _party_panel, order=25))

# GDPR: the contact details and message as submitted are personal data of the lead's party.
PERSONAL_FIELDS = [
    "contact_name",
    "company",
    "organisation_number",
    "email",
    "phone",
    "postal_code",
    "industry",
    "company_size",
    "message",
]


def _export(party: Any) -> list[dict[str, Any]]:
    from frontoffice.leads.models import Lead

    return [
        {
            "created_at": lead.created_at.isoformat(),
            "source": lead.source.name if lead.source_id else lead.channel,
            "stage": lead.stage,
            **{name: getattr(lead, name) for name in PERSONAL_FIELDS},
            "qualification": lead.qualification,
            "disqualify_reason": lead.disqualify_reason,
        }
        for lead in Lead.objects.filter(party=party).select_related("source").order_by("created_at")
    ]


def _erase(party: Any, actor: Any) -> int:
    from frontoffice.leads.models import Lead

    # The leads stay (counts, stages and response times feed the managers' measures) without
    # anything that identifies the person.
    return Lead.objects.filter(party=party).update(
        contact_name="—",
        company="",
        organisation_number="",
        email="",
        phone="",
        postal_code="",
        message="",
        search_text="",
        submission_key="",
        disqualify_reason="",
        possible_duplicates=[],
    )


def _count(party: Any) -> int:
    from frontoffice.leads.models import Lead

    return Lead.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        key="leads",
        label=_("Leads"),
        export=_export,
        erase=_erase,
        count=_count,
        kept_reason=_(
            "Kept without contact details or message: date, source, stage and owner remain for "
            "response-time and conversion statistics."
        ),
    )
)
