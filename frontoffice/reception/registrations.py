"""What the reception app adds to the shell: navigation, the host's "your visitors" start-page
panel (polled badge), the customer-page panel (recent visits, no health-related notes) and the
GDPR handler for visits and feedback. (Complaints, the desk's included, are surveys': its search,
customer-page panel and GDPR handler cover them.)"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    HomePanel,
    NavItem,
    PartyPanel,
    PersonalDataHandler,
    TouchpointKind,
    register_home_panel,
    register_nav,
    register_party_panel,
    register_personal_data,
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
    from frontoffice.reception.selectors import visits_for

    visits = list(visits_for(user).filter(party=party).order_by("-arrived_at")[:5])
    if not visits:
        return None
    return {"party": party, "visits": visits}


register_party_panel(PartyPanel("reception", "reception/party_panel.html", _party_panel, order=30))


def _export(party: Any) -> dict[str, Any]:
    from frontoffice.reception.models import Visit, VisitFeedback

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
    }


def _erase(party: Any, actor: Any) -> int:
    from frontoffice.reception.models import Visit, VisitFeedback

    # Patient visits are part of the patient record: kept for 10 years (Patientdatalagen 3 kap.
    # 17 §); only the free-text purpose goes. Visitor visits (not patient records) lose it too.
    count = Visit.objects.filter(party=party).exclude(purpose="").update(purpose="")
    count += VisitFeedback.objects.filter(visit__party=party).update(comment="", recipient="erased@invalid")
    return count


def _count(party: Any) -> int:
    from frontoffice.reception.models import Visit

    return Visit.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        "reception",
        _("Visits and visit feedback"),
        _export,
        _erase,
        kept_reason=_(
            "Patient visits are part of the patient record and are kept for 10 years after the last "
            "entry (Patientdatalagen, 3 kap. 17 §); their free-text purpose is removed. Feedback "
            "comments are anonymised; ratings and counts stay for the measures."
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
