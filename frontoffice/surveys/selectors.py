"""Read path of surveys: survey requests and their response rate, complaints, settings.

Every selector serving a user starts from ``visible_to`` and owns its ``select_related``, so
list pages run a constant number of queries. Figures are computed in SQL over the filtered,
scoped requests: response rate = answered / sent; CSAT mean and share of 4-5; NPS = % promoters
(9-10) minus % detractors (0-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Case, Count, IntegerField, Q, QuerySet, When
from django.utils import timezone

from frontoffice.core.scoping import get_visible_or_404, user_scope, visible_to
from frontoffice.surveys.models import Complaint, SurveyKind, SurveyRequest


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SurveySummary:
    sent: int
    answered: int
    response_rate: Decimal | None  # percent
    csat_answers: int
    csat_mean: Decimal | None
    csat_satisfied: Decimal | None  # percent of CSAT answers that are 4 or 5
    nps_answers: int
    nps: Decimal | None  # -100 .. 100


def survey_request_list(
    *,
    user: Any,
    kind: str = "",
    status: str = "",
    trigger: str = "",
    q: str = "",
    location_id: int | None = None,
    staff_user_id: int | None = None,
) -> QuerySet[SurveyRequest]:
    qs = visible_to(SurveyRequest.objects.all(), user).select_related(
        "party", "staff_user", "team", "location", "region"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if trigger:
        qs = qs.filter(trigger=trigger)
    now = timezone.now()
    if status == "answered":
        qs = qs.filter(answered_at__isnull=False)
    elif status == "sent":
        qs = qs.filter(answered_at__isnull=True, expires_at__gt=now)
    elif status == "expired":
        qs = qs.filter(answered_at__isnull=True, expires_at__lte=now)
    if q:
        qs = qs.filter(Q(party__display_name__icontains=q) | Q(comment__icontains=q))
    if location_id:
        qs = qs.filter(location_id=location_id)
    if staff_user_id:
        qs = qs.filter(staff_user_id=staff_user_id)
    return qs.order_by("-sent_at", "-pk")


def survey_summary(requests: QuerySet[SurveyRequest]) -> SurveySummary:
    """Response rate, CSAT and NPS of ``requests`` (one aggregate query)."""
    csat = Q(kind=SurveyKind.CSAT, score__isnull=False)
    nps = Q(kind=SurveyKind.NPS, score__isnull=False)
    row = requests.order_by().aggregate(
        sent=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        csat_answers=Count("pk", filter=csat),
        csat_mean=Avg("score", filter=csat),
        csat_satisfied=Count("pk", filter=csat & Q(score__gte=4)),
        nps_answers=Count("pk", filter=nps),
        promoters=Count("pk", filter=nps & Q(score__gte=9)),
        detractors=Count("pk", filter=nps & Q(score__lte=6)),
    )
    nps_value = None
    if row["nps_answers"]:
        nps_value = (Decimal(100) * (row["promoters"] - row["detractors"]) / row["nps_answers"]).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    mean = row["csat_mean"]
    return SurveySummary(
        sent=row["sent"],
        answered=row["answered"],
        response_rate=_pct(row["answered"], row["sent"]),
        csat_answers=row["csat_answers"],
        csat_mean=None
        if mean is None
        else Decimal(str(mean)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        csat_satisfied=_pct(row["csat_satisfied"], row["csat_answers"]),
        nps_answers=row["nps_answers"],
        nps=nps_value,
    )


def nps_value_expression() -> Case:
    """+100 for a promoter, 0 for a passive, -100 for a detractor: NPS is the mean of it."""
    return Case(
        When(score__gte=9, then=100), When(score__lte=6, then=-100), default=0, output_field=IntegerField()
    )


def survey_request_get(*, user: Any, pk: int) -> SurveyRequest:
    return get_visible_or_404(
        SurveyRequest.objects.select_related("party", "staff_user", "team", "location", "region"), user, pk=pk
    )


def complaint_list(
    *,
    user: Any,
    status: str = "",
    desk: str = "",
    owner_id: int | None = None,
    location_id: int | None = None,
    q: str = "",
    overdue: bool = False,
) -> QuerySet[Complaint]:
    qs = visible_to(Complaint.objects.all(), user).select_related("party", "owner", "location", "region")
    if location_id:
        qs = qs.filter(location_id=location_id)
    if status == "unresolved":
        qs = qs.exclude(status=Complaint.Status.RESOLVED)
    elif status:
        qs = qs.filter(status=status)
    if desk:
        qs = qs.filter(desk=desk)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if overdue:
        qs = qs.exclude(status=Complaint.Status.RESOLVED).filter(deadline__lt=timezone.localdate())
    if q:
        qs = qs.filter(
            Q(subject__icontains=q) | Q(description__icontains=q) | Q(party__display_name__icontains=q)
        )
    return qs.order_by("-created_at", "-pk")


def complaint_get(*, user: Any, pk: int) -> Complaint:
    return get_visible_or_404(
        Complaint.objects.select_related(
            "party",
            "owner",
            "location",
            "region",
            "survey_request",
            "resolved_by",
            "created_by",
            "legal_entity",
        ),
        user,
        pk=pk,
    )


def complaint_moved_from(*, user: Any, ref: str) -> Complaint:
    """The complaint moved from another log ("reception.complaint:12"); 404 outside the scope."""
    return get_visible_or_404(Complaint.objects.exclude(moved_from=""), user, moved_from=ref)


def complaint_about_record(*, user: Any, key: str) -> Any:
    """The record named ``app_label.model:pk`` ("reception.visit:12") when ``user`` can see it,
    else ``None`` (unknown kind, malformed key, unscoped model or outside the scope alike).
    Only models with a scope rule qualify; surveys names no desk."""
    from django.contrib.contenttypes.models import ContentType

    app_model, _sep, pk = (key or "").partition(":")
    app_label, _dot, model_name = app_model.partition(".")
    if not (app_label and model_name and pk.isdigit()):
        return None
    try:
        model = ContentType.objects.get_by_natural_key(app_label, model_name).model_class()
    except ContentType.DoesNotExist:
        return None
    if model is None or getattr(model, "scope_rule", None) is None:
        return None
    return visible_to(model._default_manager.all(), user).filter(pk=int(pk)).first()


def complaint_owners(*, legal_entity_id: int | None) -> QuerySet:
    """Active staff users of the legal entity, who may own a complaint."""
    from frontoffice.org.models import User

    return User.objects.filter(
        is_active=True, staff__active=True, staff__legal_entity_id=legal_entity_id
    ).order_by("first_name", "last_name", "username")


def manageable_legal_entities(user: Any) -> QuerySet:
    """Legal entities whose survey settings ``user`` may change (theirs, or all for org-wide roles)."""
    from frontoffice.org.models import LegalEntity

    if not user.has_perm("surveys.manage_surveys"):
        return LegalEntity.objects.none()
    scope = user_scope(user)
    qs = LegalEntity.objects.order_by("name")
    if scope.everything or scope.level == "organisation":
        return qs
    if scope.level == "legal_entity" and scope.legal_entity_id:
        return qs.filter(pk=scope.legal_entity_id)
    return qs.none()
