"""Reads of the rfps app: every user-facing query starts here, narrowed to the user's scope.

RFP scope: organisation- and entity-wide roles see their legal entity's RFPs, managers the RFPs
of their regions, sales reps the RFPs they own **or contribute to**. Requirements, documents
and events are reached through a visible RFP. The answer library is shared per legal entity.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from frontoffice.core.scoping import ScopeLevel, get_visible_or_404, scope_q, user_scope, visible_to
from frontoffice.rfps.models import (
    OPEN_STATUSES,
    AnswerLibraryEntry,
    Requirement,
    RequirementStatus,
    Rfp,
    RfpDocument,
    RfpStatus,
)


def rfps_visible(user: Any) -> QuerySet[Rfp]:
    """The RFPs ``user`` may see: the scope rule, plus contributions for reps."""
    scope = user_scope(user)
    q = scope_q(Rfp.scope_rule, scope)
    if scope.level == ScopeLevel.OWN and scope.user_id is not None:
        contributed = Q(
            pk__in=Rfp.contributors.through.objects.filter(user_id=scope.user_id).values("rfp_id")
        )
        q = contributed if q is None else (q | contributed)
    if q is None:
        return Rfp.objects.none()
    return Rfp.objects.filter(q)


def rfp_list(
    *,
    user: Any,
    status: str = "",
    owner: Any = None,
    due_from: datetime.date | None = None,
    due_to: datetime.date | None = None,
    overdue: bool = False,
    q: str = "",
    party: Any = None,
) -> QuerySet[Rfp]:
    qs = rfps_visible(user).select_related("party", "owner", "region")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if owner:
        qs = qs.filter(owner=owner)
    if party:
        qs = qs.filter(party=party)
    if due_from:
        qs = qs.filter(due_at__date__gte=due_from)
    if due_to:
        qs = qs.filter(due_at__date__lte=due_to)
    if overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(title__icontains=q) | Q(reference__icontains=q) | Q(party__display_name__icontains=q)
        )
    return qs.annotate(
        requirement_count=Count("requirements", distinct=True),
        done_count=Count(
            "requirements",
            filter=Q(
                requirements__status__in=[
                    RequirementStatus.DRAFTED,
                    RequirementStatus.APPROVED,
                    RequirementStatus.NOT_APPLICABLE,
                ]
            ),
            distinct=True,
        ),
    ).order_by("due_at", "id")


def rfp_get(*, user: Any, pk: Any) -> Rfp:
    return get_visible_or_404_rfp(user, pk)


def get_visible_or_404_rfp(user: Any, pk: Any) -> Rfp:
    try:
        return (
            rfps_visible(user)
            .select_related("party", "owner", "region", "legal_entity", "approved_by")
            .get(pk=pk)
        )
    except (Rfp.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def rfp_requirements(*, rfp: Rfp) -> QuerySet[Requirement]:
    return rfp.requirements.select_related("owner", "source_entry").order_by("position", "id")


def requirement_get(*, user: Any, pk: Any) -> Requirement:
    try:
        return (
            Requirement.objects.select_related("rfp", "owner", "source_entry")
            .filter(rfp__in=rfps_visible(user))
            .get(pk=pk)
        )
    except (Requirement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def document_get(*, user: Any, pk: Any) -> RfpDocument:
    try:
        return RfpDocument.objects.select_related("rfp").filter(rfp__in=rfps_visible(user)).get(pk=pk)
    except (RfpDocument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def rfp_detail_prefetch(rfp: Rfp) -> dict[str, Any]:
    """The related rows of an RFP page in a constant number of queries."""
    return {
        "requirements": list(rfp_requirements(rfp=rfp)),
        "documents": list(rfp.documents.select_related("uploaded_by")),
        "events": list(rfp.events.select_related("actor")[:50]),
        "contributors": list(rfp.contributors.all()),
    }


def approval_queue(*, user: Any) -> QuerySet[Rfp]:
    if not user.has_perm("rfps.approve_rfp"):
        return Rfp.objects.none()
    return (
        rfps_visible(user)
        .filter(status=RfpStatus.IN_REVIEW)
        .exclude(owner=user)
        .select_related("party", "owner")
        .order_by("due_at", "id")
    )


def open_rfps_for_party(*, user: Any, party: Any, limit: int = 5) -> list[Rfp]:
    return list(
        rfps_visible(user).filter(party=party).select_related("owner").order_by("-due_at", "-id")[:limit]
    )


def rfps_for_opportunity(*, user: Any, opportunity: Any, limit: int = 10) -> list[Rfp]:
    """The RFPs ``user`` may see for the opportunity page: those linked to the opportunity,
    then the customer's RFPs not linked to any opportunity; each newest due first. ``linked``
    is set on every row. One query."""
    linked = Q(opportunity_id=opportunity.pk)
    rows = (
        rfps_visible(user)
        .filter(linked | Q(party_id=opportunity.party_id, opportunity__isnull=True))
        .select_related("owner")
        .alias(is_linked=Case(When(linked, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-is_linked", "-due_at", "-id")[:limit]
    )
    result = list(rows)
    for rfp in result:
        rfp.linked = rfp.opportunity_id == opportunity.pk  # type: ignore[attr-defined]
    return result


def rfp_opportunity_choices(*, user: Any, rfp: Rfp, any_customer: bool = False) -> QuerySet[Any]:
    """The opportunities the RFP's edit page offers: those of the RFP's customer that ``user``
    may see (``any_customer``: of every customer, to look up a posted id that the service then
    judges), plus the one the RFP is linked to now even when it is outside the user's scope, so
    that saving the page keeps the link. The stage is loaded for the label: one query."""
    from frontoffice.sales.models import Opportunity

    visible = visible_to(Opportunity.objects.all(), user)
    if not any_customer:
        visible = visible.filter(party_id=rfp.party_id)
    condition = Q(pk__in=visible.values("pk"))
    if rfp.opportunity_id is not None:
        condition |= Q(pk=rfp.opportunity_id)
    return Opportunity.objects.filter(condition).select_related("stage").order_by("name", "id")


# ------------------------------------------------------------------ answer library


def library_visible(user: Any) -> QuerySet[AnswerLibraryEntry]:
    return visible_to(AnswerLibraryEntry.objects.all(), user)


def _words(query: str) -> list[str]:
    return [w for w in query.replace(",", " ").split() if w][:10]


def library_search(
    *,
    user: Any,
    q: str = "",
    language: str = "",
    approved_only: bool = False,
    legal_entity: Any = None,
    tag: str = "",
) -> QuerySet[AnswerLibraryEntry]:
    """Library entries matching ``q``: full-text on PostgreSQL (ranked), every word on SQLite."""
    qs = library_visible(user).select_related("approved_by")
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    if language:
        qs = qs.filter(language=language)
    if approved_only:
        qs = qs.filter(approved_at__isnull=False)
    if tag:
        qs = qs.filter(tags__icontains=tag.strip())
    words = _words(q or "")
    if not words:
        return qs.order_by("-usage_count", "id")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("question", "answer", "tags", config="simple")
        query = SearchQuery(" ".join(words), config="simple", search_type="plain")
        match = Q(fts=query)
        safe = [w for w in (_ts_safe(w) for w in words) if w]
        if safe:  # "integr" finds "integration": every word as a prefix
            match |= Q(
                fts=SearchQuery(" & ".join(f"{w}:*" for w in safe), config="simple", search_type="raw")
            )
        return (
            qs.alias(fts=vector)
            .annotate(rank=SearchRank(vector, query))
            .filter(match)
            .order_by("-rank", "-usage_count", "id")
        )
    for word in words:
        qs = qs.filter(Q(question__icontains=word) | Q(answer__icontains=word) | Q(tags__icontains=word))
    return qs.order_by("-usage_count", "id")


def _ts_safe(word: str) -> str:
    """A word usable inside a raw tsquery: letters and digits only."""
    return "".join(ch for ch in word.lower() if ch.isalnum())


def library_get(*, user: Any, pk: Any) -> AnswerLibraryEntry:
    return get_visible_or_404(library_visible(user), user, pk=pk)


def get_visible_party_or_404(user: Any, pk: Any, party_model: Any = None) -> Any:
    from frontoffice.parties.models import Party

    return get_visible_or_404(Party.objects.all(), user, pk=pk)
