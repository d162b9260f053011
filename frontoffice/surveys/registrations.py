"""What the surveys app adds to the shell: navigation, the complaints search, the customer-page
panel of their complaints (every desk's), the GDPR handler for survey answers, opt-outs and
complaints, and the touchpoint subscriber that sends surveys after completed contacts (the desks
announce them through ``core.registry``; none imports surveys' models)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    NavItem,
    PartyPanel,
    PersonalDataHandler,
    SearchHit,
    SearchProvider,
    Touchpoint,
    register_nav,
    register_party_panel,
    register_personal_data,
    register_search,
    subscribe_touchpoints,
)

register_nav(NavItem("surveys", _("Surveys"), "surveys:request-list", "surveys.view_surveyrequest", order=75))
register_nav(
    NavItem("complaints", _("Complaints"), "surveys:complaint-list", "surveys.view_complaint", order=76)
)
register_nav(
    NavItem(
        "survey-settings",
        _("Customer surveys"),
        "surveys:settings",
        "surveys.manage_surveys",
        order=60,
        section="settings",
    )
)


def on_touchpoint(touchpoint: Touchpoint) -> None:
    """After the desk's transaction commits, ask the task queue to send the survey, if any."""
    fields = asdict(touchpoint)

    def enqueue() -> None:
        from frontoffice.surveys.tasks import survey_for_touchpoint

        survey_for_touchpoint.enqueue(**fields)

    transaction.on_commit(enqueue)


subscribe_touchpoints(on_touchpoint)


def _search(user: Any, query: str, limit: int) -> list[SearchHit]:
    from frontoffice.surveys.selectors import complaint_list

    return [
        SearchHit(
            kind=_("Complaint"),
            title=c.subject,
            url=reverse("surveys:complaint-detail", kwargs={"pk": c.pk}),
            detail=c.party.display_name if c.party else "",
        )
        for c in complaint_list(user=user, q=query)[:limit]
    ]


register_search(SearchProvider("surveys-complaints", _("Complaints"), "surveys.view_complaint", _search))


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    """The customer's latest complaints from every desk, in the user's scope."""
    user = request.user
    if not user.has_perm("surveys.view_complaint"):
        return None
    from frontoffice.surveys.selectors import complaint_list

    complaints = list(complaint_list(user=user).filter(party=party)[:5])
    if not complaints:
        return None
    return {"party": party, "complaints": complaints}


register_party_panel(PartyPanel("surveys-complaints", "surveys/party_panel.html", _party_panel, order=35))


def _export(party: Any) -> dict[str, Any]:
    from frontoffice.surveys.models import Complaint, SurveyOptOut, SurveyRequest

    opt_out = SurveyOptOut.objects.filter(party=party).first()
    return {
        "survey_requests": [
            {
                "survey": r.kind,
                "after": r.trigger,
                "sent_to": r.recipient,
                "sent_at": r.sent_at.isoformat(),
                "reminded_at": r.reminded_at.isoformat() if r.reminded_at else None,
                "answered_at": r.answered_at.isoformat() if r.answered_at else None,
                "score": r.score,
                "comment": r.comment,
            }
            for r in SurveyRequest.objects.filter(party=party).order_by("sent_at", "pk")
        ],
        "survey_opt_out": {"at": opt_out.created_at.isoformat(), "via": opt_out.via} if opt_out else None,
        "complaints": [
            {
                "registered_at": c.created_at.isoformat(),
                "desk": c.desk,
                "subject": c.subject,
                "description": c.description,
                "status": c.status,
                "resolution": c.resolution,
            }
            for c in Complaint.objects.filter(party=party).order_by("created_at", "pk")
        ],
    }


def _erase(party: Any, actor: Any) -> int:
    """Comments, the address they were sent to and complaint texts go; scores, dates and the
    opt-out stay (the measures count them, and an erased customer must not be surveyed)."""
    from frontoffice.surveys.models import Complaint, SurveyRequest

    count = SurveyRequest.objects.filter(party=party).update(comment="", recipient="")
    count += Complaint.objects.filter(party=party).update(subject="—", description="—", resolution="—")
    return count


def _count(party: Any) -> int:
    from frontoffice.surveys.models import Complaint, SurveyRequest

    return SurveyRequest.objects.filter(party=party).count() + Complaint.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        "surveys",
        _("Survey answers, survey opt-out and complaints"),
        export=_export,
        erase=_erase,
        kept_reason=_(
            "Survey scores and complaint records are kept without comments or texts: they are counted "
            "in the satisfaction and complaint measures. The opt-out is kept so no survey is sent again."
        ),
        count=_count,
    )
)
