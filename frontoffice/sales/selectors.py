"""Read side of sales: scoped lists, the board, the weighted forecast, managers' reports.

Every selector starts from ``visible_to(..., user)``; sums and counts are computed in SQL.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils.translation import gettext as _

from frontoffice.core.scoping import get_visible_or_404, user_scope, visible_to
from frontoffice.sales.models import Opportunity, OpportunityEvent, Stage
from frontoffice.sales.stages import ensure_default_stages

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
STATUSES = ("open", "won", "lost")
_MONEY = DecimalField(max_digits=20, decimal_places=2)


def cents(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENT, ROUND_HALF_UP)


def weighted_expr() -> ExpressionWrapper:
    """amount x probability (percent); divide the sum by 100 (exact, in Python)."""
    return ExpressionWrapper(F("amount") * F("stage__probability"), output_field=_MONEY)


def legal_entity_for(user: Any) -> int | None:
    """The legal entity whose pipeline the user works in (superusers: the first one)."""
    scope = user_scope(user)
    if scope.legal_entity_id:
        return scope.legal_entity_id
    if scope.everything:
        from frontoffice.org.models import LegalEntity

        return LegalEntity.objects.order_by("pk").values_list("pk", flat=True).first()
    return None


def stages_for(user: Any, *, include_inactive: bool = False) -> list[Stage]:
    le_id = legal_entity_for(user)
    if le_id is None:
        return []
    ensure_default_stages(le_id)
    qs = Stage.objects.filter(legal_entity_id=le_id)
    if not include_inactive:
        qs = qs.filter(active=True)
    return list(qs.order_by("order", "id"))


def opportunity_list(
    *,
    user: Any,
    owner: Any = None,
    region: Any = None,
    stage: Any = None,
    status: str | None = None,
    close_from: datetime.date | None = None,
    close_to: datetime.date | None = None,
    closed_from: datetime.date | None = None,
    closed_to: datetime.date | None = None,
    party: Any = None,
    q: str = "",
    opened_to: datetime.date | None = None,
    reached: Any = None,
    passed: Any = None,
) -> QuerySet[Opportunity]:
    """The user's opportunities, filtered; ``q`` matches the name or the customer's name.

    ``reached``/``passed`` (a stage): the opportunities that reached that stage / a later one
    (by the history, see ``stage_reach``); with ``opened_to`` they are the records behind the
    conversion figures of the pipeline and managers' reports."""
    qs = visible_to(Opportunity.objects.all(), user).select_related("party", "owner", "stage", "region")
    if owner:
        qs = qs.filter(owner_id=getattr(owner, "pk", owner))
    if region:
        qs = qs.filter(region_id=getattr(region, "pk", region))
    if stage:
        qs = qs.filter(stage_id=getattr(stage, "pk", stage))
    if status in STATUSES:
        qs = qs.filter(stage__kind=status)
    if party:
        qs = qs.filter(party_id=getattr(party, "pk", party))
    if close_from:
        qs = qs.filter(expected_close_on__gte=close_from)
    if close_to:
        qs = qs.filter(expected_close_on__lte=close_to)
    if closed_from:
        qs = qs.filter(closed_on__gte=closed_from)
    if closed_to:
        qs = qs.filter(closed_on__lte=closed_to)
    if opened_to:
        qs = qs.filter(opened_on__lte=opened_to)
    for stage_ref, later in ((reached, False), (passed, True)):
        if stage_ref:
            order = Stage.objects.filter(pk=getattr(stage_ref, "pk", stage_ref)).values("order")[:1]
            lookup = "to_stage__order__gt" if later else "to_stage__order__gte"
            events = OpportunityEvent.objects.filter(
                opportunity=OuterRef("pk"), to_stage__kind__in=REACH_KINDS, **{lookup: Subquery(order)}
            )
            qs = qs.filter(Exists(events))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(party__display_name__icontains=q))
    return qs.order_by("expected_close_on", "id")


def opportunity_get(*, user: Any, pk: Any) -> Opportunity:
    return get_visible_or_404(
        Opportunity.objects.select_related("party", "owner", "stage", "region", "legal_entity"), user, pk=pk
    )


def opportunity_history(*, opportunity: Opportunity) -> QuerySet[OpportunityEvent]:
    return opportunity.events.select_related(
        "actor", "from_stage", "to_stage", "from_owner", "to_owner"
    ).order_by("-at", "-id")


@dataclass
class Column:
    stage: Stage
    count: int = 0
    total: Decimal = ZERO
    weighted: Decimal = ZERO
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def board(
    *, user: Any, owner: Any = None, region: Any = None, q: str = "", per_column: int = 20
) -> list[Column]:
    """Open opportunities grouped by open stage: count, sum and weighted sum per column (one
    aggregate query) and the first ``per_column`` cards per column by expected close (one
    windowed query)."""
    stages = [s for s in stages_for(user) if s.kind == Stage.Kind.OPEN]
    columns = {s.pk: Column(stage=s) for s in stages}
    if not columns:
        return []
    base = opportunity_list(user=user, owner=owner, region=region, q=q).filter(stage_id__in=list(columns))
    for row in (
        base.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(weighted_expr()))
    ):
        col = columns[row["stage_id"]]
        col.count = row["n"]
        col.total = cents(row["total"])
        col.weighted = cents((row["weighted"] or ZERO) / 100)
    ranked = base.annotate(
        rank=Window(
            RowNumber(), partition_by=[F("stage_id")], order_by=[F("expected_close_on").asc(), F("id").asc()]
        )
    ).filter(rank__lte=per_column)
    for opp in ranked.only(
        "id",
        "name",
        "amount",
        "currency",
        "expected_close_on",
        "stage_id",
        "party__display_name",
        "owner__first_name",
        "owner__last_name",
        "owner__username",
        "owner__email",
        "region__name",
        "stage__probability",
        "stage__name",
        "stage__kind",
    ):
        columns[opp.stage_id].cards.append(opp)
    return list(columns.values())


# ---------------------------------------------------------------- forecast


@dataclass
class ForecastRow:
    key: Any
    label: str
    months: dict[datetime.date, Decimal]
    total: Decimal
    count: int


@dataclass
class Forecast:
    months: list[datetime.date]
    company: ForecastRow
    reps: list[ForecastRow]
    regions: list[ForecastRow]
    won: dict[datetime.date, Decimal]


def _month(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)


def month_range(start: datetime.date, months: int) -> list[datetime.date]:
    out, y, m = [], start.year, start.month
    for _i in range(months):
        out.append(datetime.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def forecast(
    *, user: Any, start: datetime.date, months: int = 6, owner: Any = None, region: Any = None
) -> Forecast:
    """Weighted forecast of open opportunities (amount x stage probability) per month of
    expected close, per rep, per region and for the company; plus the amount won per month
    (by closing date). Opportunities expected before ``start`` count in the first month
    (overdue pipeline is still pipeline)."""
    month_list = month_range(start.replace(day=1), months)
    end = month_list[-1]
    end_excl = datetime.date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    first = month_list[0]
    qs = opportunity_list(user=user, owner=owner, region=region, status="open").filter(
        expected_close_on__lt=end_excl
    )
    rows = (
        qs.order_by()
        .annotate(month=TruncMonth("expected_close_on"))
        .values("month", "owner_id", "region_id")
        .annotate(weighted=Sum(weighted_expr()), n=Count("id"))
    )
    company: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    per_rep: dict[Any, dict[datetime.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    per_region: dict[Any, dict[datetime.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    counts: dict[tuple[str, Any], int] = defaultdict(int)
    for row in rows:
        month = max(_month(row["month"]), first)
        value = (row["weighted"] or ZERO) / 100
        company[month] += value
        per_rep[row["owner_id"]][month] += value
        per_region[row["region_id"]][month] += value
        counts[("rep", row["owner_id"])] += row["n"]
        counts[("region", row["region_id"])] += row["n"]
        counts[("company", None)] += row["n"]
    won_rows = (
        opportunity_list(user=user, owner=owner, region=region, status="won")
        .filter(closed_on__gte=first, closed_on__lt=end_excl)
        .order_by()
        .annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(total=Sum("amount"))
    )
    won = {_month(r["month"]): cents(r["total"]) for r in won_rows}

    from django.contrib.auth import get_user_model

    from frontoffice.org.models import Region

    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=[k for k in per_rep if k])}
    region_names = dict(Region.objects.filter(pk__in=[k for k in per_region if k]).values_list("pk", "name"))

    def make(kind: str, key: Any, label: str, values: dict[datetime.date, Decimal]) -> ForecastRow:
        by_month = {m: cents(values.get(m)) for m in month_list}
        return ForecastRow(key, label, by_month, cents(sum(values.values(), ZERO)), counts[(kind, key)])

    reps = sorted(
        (
            make("rep", k, (users[k].get_full_name() or users[k].get_username()) if k in users else "—", v)
            for k, v in per_rep.items()
        ),
        key=lambda r: r.label.lower(),
    )
    regions = sorted(
        (make("region", k, region_names.get(k, "—"), v) for k, v in per_region.items()),
        key=lambda r: r.label.lower(),
    )
    return Forecast(
        months=month_list,
        company=make("company", None, "", company),
        reps=reps,
        regions=regions,
        won={m: won.get(m, ZERO) for m in month_list},
    )


# ---------------------------------------------------------------- managers' reports


@dataclass
class StageNumbers:
    stage: Stage
    count: int
    total: Decimal
    weighted: Decimal
    reached: int = 0
    advanced: int = 0

    @property
    def conversion(self) -> Decimal | None:
        if not self.reached:
            return None
        return (Decimal(self.advanced) * 100 / self.reached).quantize(Decimal("0.1"), ROUND_HALF_UP)


# Entering an open or won stage counts as reaching it (and every earlier one); lost does not.
REACH_KINDS = (Stage.Kind.OPEN, Stage.Kind.WON)


def stage_reach(stages: list[Stage]) -> dict[str, Count]:
    """Aggregates ``r<stage pk>`` (opportunities that reached the stage: ever entered it or a
    later open or won stage, so skipping a stage passes it) and ``a<stage pk>`` (reached a later
    one), for ``aggregate()`` or a grouped ``annotate()`` over opportunities. Distinct counts
    over the history join: each opportunity counts once per group."""
    entered = Q(events__to_stage__kind__in=REACH_KINDS)
    out: dict[str, Count] = {}
    for s in stages:
        out[f"r{s.pk}"] = Count("id", distinct=True, filter=entered & Q(events__to_stage__order__gte=s.order))
        out[f"a{s.pk}"] = Count("id", distinct=True, filter=entered & Q(events__to_stage__order__gt=s.order))
    return out


@dataclass
class PipelineReport:
    stages: list[StageNumbers]
    open_count: int
    open_total: Decimal
    weighted: Decimal
    won_count: int
    won_total: Decimal
    lost_count: int
    win_rate: Decimal | None
    avg_cycle_days: Decimal | None


def pipeline_report(
    *,
    user: Any,
    closed_from: datetime.date,
    closed_to: datetime.date,
    region: Any = None,
    owner: Any = None,
) -> PipelineReport:
    """Pipeline by stage (open), conversion by stage from the history, win rate and average
    sales cycle (opened → closed, days) of the opportunities closed in the period.

    Conversion of stage S: of the opportunities that reached S (were ever in S or in a later
    open or won stage; skipping a stage passes it), the share that reached a later stage.
    Counted over every visible opportunity opened on or before ``closed_to``.
    """
    stages = stages_for(user)
    open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
    base = opportunity_list(user=user, owner=owner, region=region)
    by_stage = {
        r["stage_id"]: r
        for r in base.filter(stage__kind=Stage.Kind.OPEN)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(weighted_expr()))
    }
    numbers = [
        StageNumbers(
            stage=s,
            count=by_stage.get(s.pk, {}).get("n", 0),
            total=cents(by_stage.get(s.pk, {}).get("total")),
            weighted=cents((by_stage.get(s.pk, {}).get("weighted") or ZERO) / 100),
        )
        for s in open_stages
    ]
    # Reached and advanced per stage from the history (one query, see ``stage_reach``).
    if open_stages:
        result = base.filter(opened_on__lte=closed_to).order_by().aggregate(**stage_reach(open_stages))
        for n in numbers:
            n.reached = result[f"r{n.stage.pk}"] or 0
            n.advanced = result[f"a{n.stage.pk}"] or 0
    closed = base.filter(closed_on__gte=closed_from, closed_on__lte=closed_to)
    agg = closed.order_by().aggregate(
        won_n=Count("id", filter=Q(stage__kind=Stage.Kind.WON)),
        won_total=Coalesce(Sum("amount", filter=Q(stage__kind=Stage.Kind.WON)), ZERO, output_field=_MONEY),
        lost_n=Count("id", filter=Q(stage__kind=Stage.Kind.LOST)),
    )
    decided = agg["won_n"] + agg["lost_n"]
    win_rate = (
        (Decimal(agg["won_n"]) * 100 / decided).quantize(Decimal("0.1"), ROUND_HALF_UP) if decided else None
    )
    spans = [
        (c - o).days
        for o, c in closed.filter(stage__kind=Stage.Kind.WON).order_by().values_list("opened_on", "closed_on")
    ]
    avg_cycle = (Decimal(sum(spans)) / len(spans)).quantize(Decimal("0.1"), ROUND_HALF_UP) if spans else None
    return PipelineReport(
        stages=numbers,
        open_count=sum(n.count for n in numbers),
        open_total=cents(sum((n.total for n in numbers), ZERO)),
        weighted=cents(sum((n.weighted for n in numbers), ZERO)),
        won_count=agg["won_n"],
        won_total=cents(agg["won_total"]),
        lost_count=agg["lost_n"],
        win_rate=win_rate,
        avg_cycle_days=avg_cycle,
    )


def regions_for(user: Any) -> list[Any]:
    from frontoffice.org.models import Region

    le_id = legal_entity_for(user)
    qs = visible_to(Region.objects.all(), user)
    if le_id:
        qs = qs.filter(legal_entity_id=le_id)
    return list(qs.order_by("name"))


def owners_for(user: Any, *, include_inactive: bool = False) -> list[Any]:
    """The reps whose opportunities the user may filter by (staff within reach).

    ``include_inactive``: also those who have left (after the active ones, ``user.staff_active``
    False), for filters: a link to a person who left must still narrow the list to their rows.
    Assignment choices keep the default (active staff only)."""
    from frontoffice.org.models import Staff

    le_id = legal_entity_for(user)
    qs = Staff.objects.all() if include_inactive else Staff.objects.filter(active=True)
    qs = visible_to(qs, user).select_related("user")
    if le_id:
        qs = qs.filter(legal_entity_id=le_id)
    owners = []
    for staff in qs.order_by("-active", "user__first_name", "user__last_name", "user_id"):
        staff.user.staff_active = staff.active
        owners.append(staff.user)
    return owners


def owner_label(user: Any) -> str:
    """A person's name in an owner filter, marked when they have left."""
    name = user.get_full_name() or user.get_username()
    if getattr(user, "staff_active", True):
        return name
    return _("%(name)s (inactive)") % {"name": name}


def national_report(
    *, user: Any, closed_from: datetime.date, closed_to: datetime.date
) -> list[tuple[Any, PipelineReport]]:
    """Every region within reach side by side (one report per region)."""
    return [
        (r, pipeline_report(user=user, closed_from=closed_from, closed_to=closed_to, region=r.pk))
        for r in regions_for(user)
    ]


def party_opportunities(*, user: Any, party: Any, limit: int = 10) -> list[Opportunity]:
    return list(opportunity_list(user=user, party=party).order_by("-created_at", "-id")[:limit])


def search(user: Any, query: str, limit: int) -> list[Opportunity]:
    return list(opportunity_list(user=user, q=query)[:limit])
