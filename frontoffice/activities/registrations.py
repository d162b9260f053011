"""What the activities app adds to the shell: navigation, the customer-page panel (upcoming
meetings and open tasks, with buttons to log a call, e-mail and book a meeting), and how its
records about a customer are exported and erased (GDPR)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    NavItem,
    PartyPanel,
    PersonalDataHandler,
    TouchpointKind,
    register_nav,
    register_party_panel,
    register_personal_data,
    register_touchpoint_kind,
)

register_nav(
    NavItem("activities-today", _("Today"), "activities:worklist", "activities.view_activity", order=5)
)
register_nav(
    NavItem("activities", _("Activities"), "activities:activity-list", "activities.view_activity", order=32)
)
register_nav(
    NavItem("meetings", _("Meetings"), "activities:meeting-list", "activities.view_meeting", order=33)
)
register_nav(
    NavItem(
        "email-templates",
        _("E-mail templates"),
        "activities:template-list",
        "activities.view_emailtemplate",
        order=60,
        section="settings",
    )
)


def _party_panel(request: Any, party: Any) -> dict[str, Any] | None:
    user = request.user
    if not (user.has_perm("activities.view_activity") or user.has_perm("activities.view_meeting")):
        return None
    from frontoffice.activities.selectors import party_upcoming

    meetings, activities = party_upcoming(user=user, party=party)
    if not user.has_perm("activities.view_meeting"):
        meetings = []
    if not user.has_perm("activities.view_activity"):
        activities = []
    return {
        "party": party,
        "meetings": meetings,
        "activities": activities,
        "locked": party.is_merged or party.is_erased,
    }


register_party_panel(PartyPanel("activities", "activities/party_panel.html", _party_panel, order=40))


def _export(party: Any) -> dict[str, Any]:
    from frontoffice.activities.models import Activity, Meeting, MeetingFeedback

    return {
        "activities": [
            {
                "kind": a.kind,
                "subject": a.subject,
                "due_at": a.due_at.isoformat() if a.due_at else None,
                "done_at": a.done_at.isoformat() if a.done_at else None,
                "outcome": a.outcome,
                "notes": a.notes,
                "next_step": a.next_step,
            }
            for a in Activity.objects.filter(party=party).order_by("created_at")
        ],
        "meetings": [
            {
                "title": m.title,
                "starts_at": m.starts_at.isoformat(),
                "ends_at": m.ends_at.isoformat(),
                "status": m.status,
                "agenda": m.agenda,
                "notes": m.notes,
                "outcome": m.outcome,
                "next_step": m.next_step,
            }
            for m in Meeting.objects.filter(party=party).order_by("starts_at")
        ],
        "meeting_feedback": [
            {"rating": f.rating, "comment": f.comment, "answered_at": f.answered_at.isoformat()}
            for f in MeetingFeedback.objects.filter(meeting__party=party, answered_at__isnull=False)
        ],
    }


def _erase(party: Any, actor: Any) -> int:
    from frontoffice.activities.models import Activity, Meeting, MeetingFeedback

    # The rows stay (activity counts are measures) without their free text.
    count = Activity.objects.filter(party=party).update(subject="—", outcome="", notes="", next_step="")
    count += Meeting.objects.filter(party=party).update(
        title="—", agenda="", notes="", outcome="", next_step="", place="", cancel_reason=""
    )
    count += MeetingFeedback.objects.filter(meeting__party=party).update(
        comment="", recipient="erased@invalid"
    )
    return count


def _count(party: Any) -> int:
    from frontoffice.activities.models import Activity, Meeting

    return Activity.objects.filter(party=party).count() + Meeting.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        "activities",
        _("Calls, e-mails, tasks and meetings"),
        _export,
        _erase,
        kept_reason=_(
            "Activities and meetings are kept without their texts: they are counted in the sales measures."
        ),
        count=_count,
    )
)

# A completed contact that other apps (surveys) may follow up; announced by meeting_record_outcome. The desk
# sends its own feedback link too, so the surveys settings page says so.
register_touchpoint_kind(
    TouchpointKind("activities.meeting_held", _("Meeting held"), "sales", own_feedback=True)
)
