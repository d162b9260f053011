"""Read path for customers and interactions. Every selector serving a user is scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from frontoffice.core.contact import search_key
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.parties.models import Interaction, Party

PARTY_ORDERINGS = {
    "name": ("display_name", "id"),
    "-name": ("-display_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "city": ("city", "display_name", "id"),
    "-city": ("-city", "-display_name", "-id"),
}


def party_search_filter(qs: QuerySet[Party], query: str) -> QuerySet[Party]:
    """Every word of ``query`` must occur in the party's name, e-mail, phone, number or city."""
    for word in search_key(query).split()[:5]:
        qs = qs.filter(search_text__contains=word)
    return qs


def party_list(
    *,
    user: Any,
    query: str = "",
    kind: str = "",
    source: str = "",
    tag: str = "",
    owner: str = "",
    region: str = "",
    location: str = "",
    ordering: str = "name",
) -> QuerySet[Party]:
    """Active customers visible to ``user``, filtered and ordered; lists need no extra queries."""
    qs = visible_to(Party.objects.active(), user).select_related("owner", "region", "location")
    if query:
        qs = party_search_filter(qs, query)
    if kind:
        qs = qs.filter(kind=kind)
    if source:
        qs = qs.filter(source=source)
    if tag:
        qs = qs.filter(tags__name=tag.lower())
    if owner == "me":
        qs = qs.filter(owner_id=user.pk)
    elif owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    if region.isdigit():
        qs = qs.filter(region_id=int(region))
    if location.isdigit():
        qs = qs.filter(location_id=int(location))
    return qs.order_by(*PARTY_ORDERINGS.get(ordering, PARTY_ORDERINGS["name"]))


def party_get(*, user: Any, pk: Any) -> Party:
    """One customer in scope (merged and erased ones included, for their history), else 404."""
    qs = Party.objects.select_related("owner", "region", "location", "legal_entity", "merged_into")
    return get_visible_or_404(qs, user, pk=pk)


def interaction_list(*, user: Any, party: Party | None = None, kind: str = "") -> QuerySet[Interaction]:
    qs = visible_to(Interaction.objects.all(), user).select_related("party", "staff__user", "location")
    if party is not None:
        qs = qs.filter(party=party)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-started_at", "-id")


def interaction_get(*, user: Any, pk: Any) -> Interaction:
    return get_visible_or_404(
        Interaction.objects.select_related("party", "staff__user", "location"), user, pk=pk
    )


def party_timeline(*, user: Any, party: Party) -> QuerySet[Interaction]:
    """The customer's timeline: every interaction with them, newest first.

    The party is visible to ``user`` (checked by the caller through ``party_get``), so the
    whole history is shown — a rep sees what reception and finance did with their customer.
    """
    return (
        Interaction.objects.filter(party=party)
        .select_related("staff__user", "location", "concerns_type")
        .order_by("-started_at", "-id")
    )
