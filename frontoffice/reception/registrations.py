"""What the reception app adds to the shell: navigation, search, the host's "your visitors"
start-page panel (polled badge), the customer-page panel (recent visits and complaints, no
health-related notes) and the GDPR handler for visits, feedback and complaints."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    HomePanel,
    NavItem,
    PartyPanel,
    PersonalDataHandler,
    SearchHit,
    SearchProvider,
    TouchpointKind,
    register_home_panel,
    register_nav,
    register_party_panel,
    register_personal_data,
    register_search,
    register_touchpoint_kind,
)

register_nav(NavItem("reception", _("Reception"), "reception:desk", "reception.view_visit", order=8))
register_nav(
    NavItem("waiting-room", _("Waiting room"), "reception:waiting-room", "reception.view_visit", order=9)
)


def _is_staff(user: Any) -> bool:
    """Anyone with a staff profile can be a visitor's host."""
    from frontoffice.core.scoping import user_scope

    return not user_scope(user).nothing


register_nav(
    NavItem("my-visitors", _("Your visitors"), "reception:my-visitors", None, order=95, visible=_is_staff)
)


def _search(user: Any, query: str, limit: int):
    from frontoffice.reception.selectors import complaint_list

    for c in complaint_list(user=user, q=query)[:limit]:
        yield SearchHit(
            kind=_("Complaint"),
            title=c.description[:80],
            url=reverse("reception:complaint-detail", kwargs={"pk": c.pk}),
            detail=f"{c.location.name} · {c.get_status_display()}",
        )


register_search(SearchProvider("complaints", _("Complaints"), "reception.view_complaint", _search))


def _home_panel(request: Any) -> dict[str, Any] | None:
    from frontoffice.reception.models import Visit

    user = request.user
    if not user.is_authenticated:
        return None
    from frontoffice.reception.selectors import host_waiting_count

    count = host_waiting_count(user)
    if not count and not Visit.objects.filter(host=user).exists():
        return None
    return {"count": count, "poll_seconds": 10}


register_home_panel(HomePanel("reception-visitors", "reception/home_panel.html", _home_panel, order=5))


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    user = request.user
    if not user.has_perm("reception.view_visit"):
        return None
    from frontoffice.reception.selectors import complaint_list, visits_for

    visits = list(visits_for(user).filter(party=party).order_by("-arrived_at")[:5])
    complaints = (
        list(complaint_list(user=user).filter(party=party)[:5])
        if user.has_perm("reception.view_complaint")
        else []
    )
    if not visits and not complaints:
        return None
    return {"party": party, "visits": visits, "complaints": complaints}


register_party_panel(PartyPanel("reception", "reception/party_panel.html", _party_panel, order=30))


def _export(party: Any) -> dict[str, Any]:
    from frontoffice.reception.models import Complaint, Visit, VisitFeedback

    return {
        "visits": [
            {
                "location": v.location.name,
                "day": v.visit_date.isoformat(),
                "ticket_number": v.ticket_number,
                "kind": v.kind,
                "status": v.status,
                "purpose": v.purpose,
                "arrived_at": v.arrived_at.isoformat(),
                "called_in_at": v.called_in_at.isoformat() if v.called_in_at else None,
                "done_at": v.done_at.isoformat() if v.done_at else None,
            }
            for v in Visit.objects.filter(party=party).select_related("location").order_by("arrived_at")
        ],
        "visit_feedback": [
            {"rating": f.rating, "comment": f.comment, "answered_at": f.answered_at.isoformat()}
            for f in VisitFeedback.objects.filter(visit__party=party, answered_at__isnull=False)
        ],
        "complaints": [
            {
                "location": c.location.name,
                "registered_at": c.created_at.isoformat(),
                "description": c.description,
                "status": c.status,
                "resolution": c.resolution,
            }
            for c in Complaint.objects.filter(party=party).select_related("location").order_by("created_at")
        ],
    }


def _erase(party: Any, actor: Any) -> int:
    from frontoffice.reception.models import Complaint, Visit, VisitFeedback

    # Patient visits are part of the patient record: kept for 10 years (Patientdatalagen 3 kap.
    # 17 §); only the free-text purpose goes. Visitor visits (not patient records) lose it too.
    count = Visit.objects.filter(party=party).exclude(purpose="").update(purpose="")
    count += VisitFeedback.objects.filter(visit__party=party).update(comment="", recipient="erased@invalid")
    count += Complaint.objects.filter(party=party).update(description="—", resolution="—")
    return count


def _count(party: Any) -> int:
    from frontoffice.reception.models import Complaint, Visit

    return Visit.objects.filter(party=party).count() + Complaint.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        "reception",
        _("Visits, visit feedback and complaints"),
        _export,
        _erase,
        kept_reason=_(
            "Patient visits are part of the patient record and are kept for 10 years after the last "
            "entry (Patientdatalagen, 3 kap. 17 §); their free-text purpose is removed. Feedback "
            "comments and complaint texts are anonymised; ratings and counts stay for the measures."
        ),
        count=_count,
    )
)

# A completed contact that other apps (surveys) may follow up; announced by visit_set_status (done). The desk
# sends its own feedback link too, so the surveys settings page says so.
register_touchpoint_kind(
    TouchpointKind(
        "reception.visit_completed", _("Visit completed at reception"), "reception", own_feedback=True
    )
)
