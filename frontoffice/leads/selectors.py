"""Read side of the leads app. Every selector starts from ``visible_to`` (out of scope → absent)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from frontoffice.core.contact import search_key
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.leads.models import Lead, LeadEvent, LeadImport, LeadSource, RoutingRule


def lead_list(
    *,
    user: Any,
    stage: str = "",
    source: Any = None,
    owner: Any = None,
    region: Any = None,
    overdue: bool = False,
    mine: bool = False,
    q: str = "",
    unassigned: bool = False,
    created_from: datetime.date | None = None,
    created_to: datetime.date | None = None,
    contacted: bool = False,
    within_target: str = "",
    reached: str = "",
) -> QuerySet[Lead]:
    """``created_from``/``created_to``: local days (inclusive); ``contacted``: the clock was
    stopped; ``within_target``: ``yes``/``no`` (contacted by / after ``first_contact_due_at``);
    ``reached``: contacted, qualified or converted (the lead funnel of the managers' report)."""
    qs = visible_to(Lead.objects.all(), user).select_related("source", "owner", "region", "party")
    if created_from:
        qs = qs.filter(created_at__gte=day_start(created_from))
    if created_to:
        qs = qs.filter(created_at__lt=day_start(created_to + datetime.timedelta(days=1)))
    if contacted:
        qs = qs.filter(first_contact_at__isnull=False)
    if within_target == "yes":
        qs = qs.filter(first_contact_at__lte=F("first_contact_due_at"))
    elif within_target == "no":
        qs = qs.filter(
            Q(first_contact_at__gt=F("first_contact_due_at"))
            | Q(first_contact_at__isnull=False, first_contact_due_at__isnull=True)
        )
    if reached in REACHED:
        qs = qs.filter(REACHED[reached]())
    if stage == "open":
        qs = qs.filter(stage__in=[Lead.Stage.NEW, Lead.Stage.CONTACTED, Lead.Stage.QUALIFIED])
    elif stage:
        qs = qs.filter(stage=stage)
    if source:
        qs = qs.filter(source_id=getattr(source, "pk", source))
    if owner:
        qs = qs.filter(owner_id=getattr(owner, "pk", owner))
    if unassigned:
        qs = qs.filter(owner__isnull=True)
    if region:
        qs = qs.filter(region_id=getattr(region, "pk", region))
    if mine:
        qs = qs.filter(owner_id=user.pk)
    if overdue:
        qs = qs.filter(
            stage=Lead.Stage.NEW, first_contact_at__isnull=True, first_contact_due_at__lt=timezone.now()
        )
    if q:
        for word in search_key(q).split()[:5]:
            qs = qs.filter(search_text__contains=word)
    return qs.order_by("-created_at", "-id")


def day_start(day: datetime.date) -> datetime.datetime:
    """Local midnight starting ``day`` (periods are local days)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _reached_qualified() -> Q:
    # A disqualified lead that had been qualified first still reached the stage.
    was_qualified = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=LeadEvent.Kind.QUALIFIED)
    return Q(stage__in=[Lead.Stage.QUALIFIED, Lead.Stage.CONVERTED]) | Q(Exists(was_qualified))


# The lead funnel: each stage a lead may have reached, as a condition on the lead.
REACHED = {
    "contacted": lambda: (
        Q(first_contact_at__isnull=False)
        | Q(stage__in=[Lead.Stage.CONTACTED, Lead.Stage.QUALIFIED, Lead.Stage.CONVERTED])
    ),
    "qualified": _reached_qualified,
    "converted": lambda: Q(stage=Lead.Stage.CONVERTED),
}


def lead_get(*, user: Any, pk: Any) -> Lead:
    return get_visible_or_404(
        Lead.objects.select_related("source", "owner", "region", "party", "opportunity", "legal_entity"),
        user,
        pk=pk,
    )


def lead_events(*, lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor").order_by("at", "id")


def leads_for_party(*, user: Any, party: Any, limit: int = 5) -> list[Lead]:
    return list(
        visible_to(Lead.objects.filter(party_id=party.pk), user)
        .select_related("owner", "source")
        .order_by("-created_at")[:limit]
    )


def duplicate_parties(*, user: Any, lead: Lead) -> list[Any]:
    from frontoffice.parties.models import Party

    if not lead.possible_duplicates:
        return []
    return list(visible_to(Party.objects.active(), user).filter(pk__in=lead.possible_duplicates[:10]))


def sources(*, user: Any, legal_entity: Any = None) -> QuerySet[LeadSource]:
    qs = visible_to(LeadSource.objects.all(), user)
    if legal_entity is not None:
        qs = qs.filter(legal_entity_id=getattr(legal_entity, "pk", legal_entity))
    return qs.order_by("name")


def routing_rules(*, user: Any, legal_entity: Any) -> QuerySet[RoutingRule]:
    return visible_to(RoutingRule.objects.select_related("region"), user).filter(
        legal_entity_id=getattr(legal_entity, "pk", legal_entity)
    )


def imports(*, user: Any) -> QuerySet[LeadImport]:
    return visible_to(LeadImport.objects.select_related("source", "created_by"), user)


def lead_search(*, user: Any, q: str, limit: int = 10) -> list[Lead]:
    words = search_key(q).split()[:5]
    if not words:
        return []
    qs = visible_to(Lead.objects.all(), user)
    cond = Q()
    for word in words:
        cond &= Q(search_text__contains=word)
    return list(qs.filter(cond).order_by("-created_at")[:limit])


def assignable_reps(*, user: Any, legal_entity: Any) -> QuerySet[Any]:
    """Staff a lead of the legal entity can be given to (visible to the user)."""
    from frontoffice.org.models import User

    return (
        User.objects.filter(
            staff__legal_entity_id=getattr(legal_entity, "pk", legal_entity),
            staff__active=True,
            is_active=True,
            staff__role__permissions__content_type__app_label="leads",
            staff__role__permissions__codename="change_lead",
        )
        .distinct()
        .order_by("first_name", "last_name")
    )
