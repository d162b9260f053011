"""How the customers app plugs into navigation, global search and GDPR handling."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import (
    HomePanel,
    NavItem,
    PersonalDataHandler,
    SearchHit,
    SearchProvider,
    register_home_panel,
    register_nav,
    register_personal_data,
    register_search,
)

register_nav(NavItem("parties", _("Customers"), "parties:party-list", "parties.view_party", order=10))
register_nav(
    NavItem(
        "interactions",
        _("Interactions"),
        "parties:interaction-list",
        "parties.view_interaction",
        order=20,
    )
)


def _search_parties(user: Any, query: str, limit: int) -> list[SearchHit]:
    from frontoffice.parties.selectors import party_list

    rows = party_list(user=user, query=query)[:limit]
    return [
        SearchHit(
            kind=_("Customer"),
            title=p.display_name,
            url=reverse("parties:party-detail", args=[p.pk]),
            detail=" · ".join(filter(None, [p.email, p.city])),
        )
        for p in rows
    ]


register_search(SearchProvider("parties", _("Customers"), "parties.view_party", _search_parties))


def _export_interactions(party: Any) -> list[dict[str, Any]]:
    from frontoffice.parties.models import Interaction

    return [
        {
            "kind": i.kind,
            "channel": i.channel,
            "direction": i.direction,
            "started_at": i.started_at.isoformat(),
            "ended_at": i.ended_at.isoformat() if i.ended_at else None,
            "subject": i.subject,
            "outcome": i.outcome,
            "staff": str(i.staff) if i.staff else None,
        }
        for i in Interaction.objects.filter(party=party).select_related("staff__user").order_by("started_at")
    ]


def _erase_interactions(party: Any, actor: Any) -> int:
    from frontoffice.parties.models import Interaction

    # Interactions stay (they are the productivity measures' raw material) without free text.
    return Interaction.objects.filter(party=party).update(subject="—", outcome="")


def _count_interactions(party: Any) -> int:
    from frontoffice.parties.models import Interaction

    return Interaction.objects.filter(party=party).count()


register_personal_data(
    PersonalDataHandler(
        key="interactions",
        label=_("Interactions"),
        export=_export_interactions,
        erase=_erase_interactions,
        count=_count_interactions,
        kept_reason=_(
            "Kept without subject or notes: date, kind and staff member remain for anonymous "
            "productivity statistics."
        ),
    )
)


def _export_audit(party: Any) -> list[dict[str, Any]]:
    from frontoffice.core.models import AuditEntry

    return [
        {"at": e.at.isoformat(), "action": e.action, "changes": e.changes}
        for e in AuditEntry.objects.for_object(party).order_by("at")
    ]


def _erase_audit(party: Any, actor: Any) -> int:
    from frontoffice.core.audit import audit_redact

    return audit_redact(party)


def _count_audit(party: Any) -> int:
    from frontoffice.core.models import AuditEntry

    return AuditEntry.objects.for_object(party).count()


register_personal_data(
    PersonalDataHandler(
        key="audit_trail",
        label=_("Audit trail"),
        export=_export_audit,
        erase=_erase_audit,
        count=_count_audit,
        kept_reason=_(
            "Kept without the changed values: who did what and when stays as evidence; the "
            "personal data in the entries is removed."
        ),
    )
)


def _home_glance_context(request: Any) -> dict[str, Any] | None:
    import datetime

    from django.utils import timezone

    from frontoffice.parties.selectors import interaction_list, party_list

    user = request.user
    context: dict[str, Any] = {"customers": None, "interactions_today": None}
    if user.has_perm("parties.view_party"):
        context["customers"] = party_list(user=user).count()
    if user.has_perm("parties.view_interaction"):
        # Today in the site's time zone, not UTC.
        start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
        context["interactions_today"] = (
            interaction_list(user=user)
            .filter(started_at__gte=start, started_at__lt=start + datetime.timedelta(days=1))
            .count()
        )
    if context["customers"] is None and context["interactions_today"] is None:
        return None
    return context


register_home_panel(HomePanel("glance", "parties/partials/home_glance.html", _home_glance_context, order=20))
