"""The sales managers' team report: per rep and per region, for a period, the figures of
issue 5 ("Managers") that the pipeline pages do not show: response times, overdue first
contacts, the lead funnel, conversion by stage, win rate and activity.

Invariants:

- Every figure is an aggregate over the scoped list selector that its drill-down link opens,
  with the same filters: ``leads.selectors.lead_list`` (``/leads/``),
  ``sales.selectors.opportunity_list`` (``/sales/``) and ``activities.selectors.activity_list``
  (``/activities/list/``). A link therefore shows exactly the records behind its number, and
  scope (``visible_to``) is applied once, by those selectors: a rep sees themselves, a regional
  manager their regions, the national manager every region side by side.
- Counts and sums are grouped by (owner, region) in SQL, one query per table; the rep and
  region rows are folded from those groups (each record belongs to one group). Medians are not
  additive, so the median response time takes one window query per level (rep, region, total).
- Leads and activities sit above sales (they import it); this module reads them at call time,
  only when they are installed and the user holds their view permission.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Cast, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontoffice.core.scoping import ScopeLevel, visible_to
from frontoffice.sales import selectors
from frontoffice.sales.models import Stage

TENTH = Decimal("0.1")


# ---------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """Local days ``start`` to ``end``, both included."""

    start: datetime.date
    end: datetime.date
    kind: str = "range"  # month, quarter or range

    @property
    def params(self) -> dict[str, str]:
        """The query parameters that select this period again."""
        if self.kind == "month":
            return {"month": f"{self.start:%Y-%m}"}
        if self.kind == "quarter":
            return {"quarter": f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter_of(day: datetime.date) -> Period:
    first = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(first, _month_end(first.replace(month=first.month + 2)), "quarter")


def period_from(params: Mapping[str, Any], *, today: datetime.date | None = None) -> Period:
    """``?month=YYYY-MM``, ``?quarter=YYYY-Qn`` or ``?from=&to=`` (ISO dates); by default the
    current quarter. Invalid values fall back to the default rather than fail."""
    today = today or timezone.localdate()
    month = re.fullmatch(r"(\d{4})-(\d{2})", str(params.get("month") or ""))
    if month and 1 <= int(month[2]) <= 12:
        first = datetime.date(int(month[1]), int(month[2]), 1)
        return Period(first, _month_end(first), "month")
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", str(params.get("quarter") or "").upper())
    if quarter:
        return quarter_of(datetime.date(int(quarter[1]), int(quarter[2]) * 3, 1))
    try:
        start = datetime.date.fromisoformat(str(params.get("from") or ""))
        end = datetime.date.fromisoformat(str(params.get("to") or ""))
    except ValueError:
        return quarter_of(today)
    return Period(min(start, end), max(start, end), "range")


# ---------------------------------------------------------------- result shape


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    kind: str = "count"  # count, percent, minutes, money, datetime


@dataclass
class Cell:
    value: Any
    url: str = ""
    kind: str = "count"


@dataclass
class Row:
    key: Any
    label: str
    cells: list[Cell]


@dataclass
class Table:
    key: str
    title: Any
    note: Any
    columns: list[Column]
    reps: list[Row] = field(default_factory=list)
    regions: list[Row] = field(default_factory=list)
    total: Row | None = None


@dataclass
class TeamReport:
    period: Period
    region: Any
    tables: list[Table]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _url(name: str, params: Mapping[str, Any]) -> str:
    clean = {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in params.items()
        if v not in (None, "", False)
    }
    return f"{reverse(name)}?{urlencode(clean)}"


def percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(TENTH, ROUND_HALF_UP) if whole else None


@dataclass
class _Groups:
    """Counts per (owner id, region id), folded to reps, regions and the total."""

    rows: dict[tuple[Any, Any], dict[str, Any]] = field(default_factory=dict)

    def add(self, owner: Any, region: Any, values: Mapping[str, Any]) -> None:
        slot = self.rows.setdefault((owner, region), defaultdict(int))
        for k, v in values.items():
            if not k.endswith("_id"):  # the grouping columns themselves
                slot[k] += v or 0

    def fold(self, level: str) -> dict[Any, dict[str, Any]]:
        out: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
        for (owner, region), values in self.rows.items():
            key = owner if level == "rep" else region if level == "region" else "total"
            for k, v in values.items():
                out[key][k] += v
        return out


# ---------------------------------------------------------------- median in SQL


def median_minutes(qs: QuerySet, value: Any, group: str | None) -> dict[Any, Decimal]:
    """Median of the duration ``value`` per ``group`` column (or overall: key ``"total"``), in
    minutes to one decimal. One query on both databases: rows are numbered by value within
    their group (``ROW_NUMBER()`` window) and the one or two middle rows are kept."""
    partition = [F(group)] if group else []
    ranked = (
        qs.order_by()
        .annotate(_v=ExpressionWrapper(value, output_field=DurationField()))
        .annotate(
            _rn=Window(RowNumber(), partition_by=partition, order_by=[F("_v").asc(), F("pk").asc()]),
            _n=Window(Count("pk"), partition_by=partition),
        )
    )
    middle = ranked.filter(
        _rn__gte=Cast((F("_n") + 1) / 2, IntegerField()), _rn__lte=Cast((F("_n") + 2) / 2, IntegerField())
    )
    picked: dict[Any, list[datetime.timedelta]] = defaultdict(list)
    for key, v in middle.values_list(group or "_n", "_v"):
        picked[key if group else "total"].append(v)
    return {
        key: (Decimal(sum(v.total_seconds() for v in values)) / len(values) / 60).quantize(
            TENTH, ROUND_HALF_UP
        )
        for key, values in picked.items()
    }


# ---------------------------------------------------------------- the tables


class _Builder:
    def __init__(self, user: Any, period: Period, region: Any, reps: Iterable[Any], regions: Iterable[Any]):
        self.user = user
        self.period = period
        self.region = region
        # Every rep and region within reach gets a row, with zeros when it has no figures.
        self.owner_ids: set[Any] = set(reps)
        self.region_ids: set[Any] = set(regions)
        self.seen_owners: set[Any] = set()
        self.seen_regions: set[Any] = set()

    def scope_params(self, level: str, key: Any) -> dict[str, Any] | None:
        """The list filters selecting one row's records; ``None`` when a list cannot select
        them (records without a region)."""
        if level == "rep":
            if key is None:
                return {"unassigned": 1, "region": self.region}
            return {"owner": key, "region": self.region}
        if level == "region":
            return None if key is None else {"region": key}
        return {"region": self.region}

    def table(
        self,
        key: str,
        title: Any,
        note: Any,
        columns: list[Column],
        groups: _Groups,
        values: Callable[[str, Any, Mapping[str, Any]], dict[str, Any]],
        links: Callable[[dict[str, Any]], dict[str, str]],
        unassigned_link: bool = False,
    ) -> Table:
        out = Table(key=key, title=title, note=note, columns=columns)
        for level in ("rep", "region", "total"):
            folded = groups.fold(level)
            for k in {"rep": self.owner_ids, "region": self.region_ids, "total": {"total"}}[level]:
                folded.setdefault(k, defaultdict(int))
            for k, raw in folded.items():
                figures = values(level, k, raw)
                scope = self.scope_params(level, k)
                if level == "rep" and k is None and not unassigned_link:
                    scope = None
                urls = links(scope) if scope is not None else {}
                row = Row(k, "", [Cell(figures.get(c.key), urls.get(c.key, ""), c.kind) for c in columns])
                if level == "rep":
                    out.reps.append(row)
                    self.seen_owners.add(k)
                elif level == "region":
                    out.regions.append(row)
                    self.seen_regions.add(k)
                else:
                    out.total = row
        return out


def _response_times(b: _Builder) -> Table:
    from frontoffice.leads.selectors import lead_list

    base = {"created_from": b.period.start, "created_to": b.period.end, "region": b.region}
    qs = lead_list(user=b.user, **base)
    within = Q(first_contact_at__lte=F("first_contact_due_at"))  # = lead_list(within_target="yes")
    groups = _Groups()
    for r in (
        qs.order_by()
        .values("owner_id", "region_id")
        .annotate(
            created=Count("id"),
            contacted=Count("id", filter=Q(first_contact_at__isnull=False)),
            within=Count("id", filter=within),
        )
    ):
        groups.add(r["owner_id"], r["region_id"], r)
    contacted = lead_list(user=b.user, contacted=True, **base)
    response = F("first_contact_at") - F("created_at")
    medians = {
        "rep": median_minutes(contacted, response, "owner_id"),
        "region": median_minutes(contacted, response, "region_id"),
        "total": median_minutes(contacted, response, None),
    }

    def values(level: str, key: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "created": raw["created"],
            "contacted": raw["contacted"],
            "median": medians[level].get(key),
            "within": raw["within"],
            "within_share": percent(raw["within"], raw["contacted"]),
        }

    def links(scope: dict[str, Any]) -> dict[str, str]:
        p = {**base, **scope}
        return {
            "created": _url("leads:lead-list", p),
            "contacted": _url("leads:lead-list", {**p, "contacted": 1}),
            "median": _url("leads:lead-list", {**p, "contacted": 1}),
            "within": _url("leads:lead-list", {**p, "within_target": "yes"}),
            "within_share": _url("leads:lead-list", {**p, "within_target": "yes"}),
        }

    return b.table(
        "response",
        _("Response times"),
        _(
            "Leads created in the period: time from creation to the first contact (median, "
            "minutes) and the share of the contacted leads reached within their source's target."
        ),
        [
            Column("created", _("Leads created")),
            Column("contacted", _("Contacted")),
            Column("median", _("Median response (min)"), "minutes"),
            Column("within", _("Within target")),
            Column("within_share", _("Within target (%)"), "percent"),
        ],
        groups,
        values,
        links,
        unassigned_link=True,
    )


def _overdue(b: _Builder) -> Table:
    from frontoffice.leads.selectors import lead_list

    base = {"overdue": 1, "region": b.region}
    groups = _Groups()
    oldest: dict[tuple[Any, Any], Any] = {}
    for r in (
        lead_list(user=b.user, overdue=True, region=b.region)
        .order_by()
        .values("owner_id", "region_id")
        .annotate(n=Count("id"), oldest=Min("first_contact_due_at"))
    ):
        groups.add(r["owner_id"], r["region_id"], {"n": r["n"]})
        oldest[(r["owner_id"], r["region_id"])] = r["oldest"]

    def earliest(level: str, key: Any) -> Any:
        dues = [
            due
            for (owner, region), due in oldest.items()
            if level == "total" or (owner if level == "rep" else region) == key
        ]
        return min(dues) if dues else None

    return b.table(
        "overdue",
        _("Overdue first contacts"),
        _("Leads still new whose first-contact target has passed, now (not limited to the period)."),
        [Column("n", _("Overdue now")), Column("oldest", _("Oldest due"), "datetime")],
        groups,
        lambda level, key, raw: {"n": raw["n"], "oldest": earliest(level, key)},
        lambda scope: dict.fromkeys(("n", "oldest"), _url("leads:lead-list", {**base, **scope})),
        unassigned_link=True,
    )


def _lead_funnel(b: _Builder) -> Table:
    from frontoffice.leads.selectors import REACHED, lead_list

    base = {"created_from": b.period.start, "created_to": b.period.end, "region": b.region}
    groups = _Groups()
    for r in (
        lead_list(user=b.user, **base)
        .order_by()
        .values("owner_id", "region_id")
        .annotate(
            created=Count("id"),
            **{name: Count("id", filter=condition()) for name, condition in REACHED.items()},
        )
    ):
        groups.add(r["owner_id"], r["region_id"], r)
    steps = ["created", *REACHED]

    def values(level: str, key: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"created": raw["created"]}
        for before, step in itertools.pairwise(steps):
            out[step] = raw[step]
            out[f"{step}_share"] = percent(raw[step], raw[before])
        return out

    def links(scope: dict[str, Any]) -> dict[str, str]:
        p = {**base, **scope}
        out = {"created": _url("leads:lead-list", p)}
        for step in REACHED:
            out[step] = out[f"{step}_share"] = _url("leads:lead-list", {**p, "reached": step})
        return out

    return b.table(
        "lead_funnel",
        _("Lead conversion by stage"),
        _(
            "Leads created in the period that reached each stage; the share is of the ones "
            "that reached the stage before."
        ),
        [
            Column("created", _("Created")),
            Column("contacted", _("Contacted")),
            Column("contacted_share", _("Contacted (%)"), "percent"),
            Column("qualified", _("Qualified")),
            Column("qualified_share", _("Qualified (%)"), "percent"),
            Column("converted", _("Converted")),
            Column("converted_share", _("Converted (%)"), "percent"),
        ],
        groups,
        values,
        links,
        unassigned_link=True,
    )


def _stage_conversion(b: _Builder) -> Table:
    stages = [s for s in selectors.stages_for(b.user) if s.kind == Stage.Kind.OPEN]
    base = {"opened_to": b.period.end, "region": b.region}
    groups = _Groups()
    if stages:
        for r in (
            selectors.opportunity_list(user=b.user, **base)
            .order_by()
            .values("owner_id", "region_id")
            .annotate(**selectors.stage_reach(stages))
        ):
            groups.add(r["owner_id"], r["region_id"], r)
    columns: list[Column] = []
    for s in stages:
        columns += [
            Column(f"r{s.pk}", _("%(stage)s: reached") % {"stage": s.name}),
            Column(f"a{s.pk}", _("%(stage)s: moved on") % {"stage": s.name}),
            Column(f"c{s.pk}", _("%(stage)s: moved on (%%)") % {"stage": s.name}, "percent"),
        ]

    def values(level: str, key: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in stages:
            reached, advanced = raw[f"r{s.pk}"], raw[f"a{s.pk}"]
            out.update({f"r{s.pk}": reached, f"a{s.pk}": advanced, f"c{s.pk}": percent(advanced, reached)})
        return out

    def links(scope: dict[str, Any]) -> dict[str, str]:
        p = {**base, **scope}
        out: dict[str, str] = {}
        for s in stages:
            out[f"r{s.pk}"] = _url("sales:opportunity-list", {**p, "reached": s.pk})
            out[f"a{s.pk}"] = out[f"c{s.pk}"] = _url("sales:opportunity-list", {**p, "passed": s.pk})
        return out

    return b.table(
        "stage_conversion",
        _("Opportunity conversion by stage"),
        _(
            "Opportunities opened by the end of the period that reached each stage (entered it "
            "or a later open or won stage) and the ones that moved on to a later stage."
        ),
        columns,
        groups,
        values,
        links,
    )


def _win_rate(b: _Builder) -> Table:
    base = {"closed_from": b.period.start, "closed_to": b.period.end, "region": b.region}
    won, lost = Q(stage__kind=Stage.Kind.WON), Q(stage__kind=Stage.Kind.LOST)
    groups = _Groups()
    for r in (
        selectors.opportunity_list(user=b.user, **base)
        .order_by()
        .values("owner_id", "region_id")
        .annotate(
            won=Count("id", filter=won), lost=Count("id", filter=lost), amount=Sum("amount", filter=won)
        )
    ):
        groups.add(r["owner_id"], r["region_id"], r)

    def values(level: str, key: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "won": raw["won"],
            "amount": selectors.cents(Decimal(raw["amount"] or 0)),
            "lost": raw["lost"],
            "rate": percent(raw["won"], raw["won"] + raw["lost"]),
        }

    def links(scope: dict[str, Any]) -> dict[str, str]:
        p = {**base, **scope}
        won_url = _url("sales:opportunity-list", {**p, "status": "won"})
        return {
            "won": won_url,
            "amount": won_url,
            "lost": _url("sales:opportunity-list", {**p, "status": "lost"}),
            "rate": _url("sales:opportunity-list", p),  # closed in the period: won and lost
        }

    return b.table(
        "win_rate",
        _("Win rate"),
        _("Opportunities closed in the period: won / (won + lost)."),
        [
            Column("won", _("Won")),
            Column("amount", _("Won amount"), "money"),
            Column("lost", _("Lost")),
            Column("rate", _("Win rate (%)"), "percent"),
        ],
        groups,
        values,
        links,
    )


def _activity(b: _Builder) -> Table:
    from frontoffice.activities.models import Activity
    from frontoffice.activities.selectors import activity_list

    base = {"status": "done", "date_from": b.period.start, "date_to": b.period.end, "region": b.region}
    kinds = list(Activity.Kind.values)
    groups = _Groups()
    for r in (
        activity_list(user=b.user, **base)
        .order_by()
        .values("owner_id", "region_id", "kind")
        .annotate(n=Count("id"))
    ):
        groups.add(r["owner_id"], r["region_id"], {r["kind"]: r["n"], "total": r["n"]})

    def values(level: str, key: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {k: raw.get(k, 0) for k in [*kinds, "total"]}

    def links(scope: dict[str, Any]) -> dict[str, str]:
        p = {**base, **scope}
        out = {k: _url("activities:activity-list", {**p, "kind": k}) for k in kinds}
        out["total"] = _url("activities:activity-list", p)
        return out

    return b.table(
        "activity",
        _("Activity"),
        _("Calls, e-mails, meetings and tasks done in the period."),
        [*(Column(k, label) for k, label in Activity.Kind.choices), Column("total", _("Total"))],
        groups,
        values,
        links,
    )


# ---------------------------------------------------------------- the report


def _installed(app: str, perm: str, user: Any) -> bool:
    return apps.is_installed(f"frontoffice.{app}") and user.has_perm(perm)


def team_reps(*, user: Any, region: Any = None) -> dict[int, str]:
    """The sales reps in the user's reach (active staff of an own-scoped role that may own
    opportunities), so a rep without any figure still has a row; user id → name."""
    from frontoffice.org.models import Staff

    qs = visible_to(Staff.objects.filter(active=True, user__is_active=True), user).filter(
        role__scope=ScopeLevel.OWN,
        role__permissions__content_type__app_label="sales",
        role__permissions__codename="add_opportunity",
    )
    le_id = selectors.legal_entity_for(user)
    if le_id:
        qs = qs.filter(legal_entity_id=le_id)
    if region:
        qs = qs.filter(home_region_id=getattr(region, "pk", region))
    return {s.user_id: _name(s.user) for s in qs.select_related("user").distinct()}


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def team_report(*, user: Any, period: Period, region: Any = None) -> TeamReport:
    """Every table the user may see, each with rows per rep, per region and a total."""
    from django.contrib.auth import get_user_model

    from frontoffice.org.models import Region

    region_id = getattr(region, "pk", region)
    reps = team_reps(user=user, region=region_id)
    regions = {r.pk: r.name for r in selectors.regions_for(user) if not region_id or r.pk == region_id}
    b = _Builder(user, period, region_id, reps, regions)
    tables: list[Table] = []
    if _installed("leads", "leads.view_lead", user):
        tables += [_response_times(b), _overdue(b), _lead_funnel(b)]
    tables += [_stage_conversion(b), _win_rate(b)]
    if _installed("activities", "activities.view_activity", user):
        tables.append(_activity(b))

    missing = [pk for pk in b.seen_owners if pk is not None and pk not in reps]
    names = {**reps, **{u.pk: _name(u) for u in get_user_model().objects.filter(pk__in=missing)}}
    extra = [pk for pk in b.seen_regions if pk is not None and pk not in regions]
    regions.update(dict(Region.objects.filter(pk__in=extra).values_list("pk", "name")))
    for t in tables:
        _label(t, names, regions)
    return TeamReport(period=period, region=b.region, tables=tables)


def _label(table: Table, names: dict[Any, str], regions: dict[Any, str]) -> None:
    """Name the rows and sort them; unassigned and 'no region' rows come last."""
    for r in table.reps:
        r.label = names.get(r.key, "") if r.key is not None else str(_("Unassigned"))
    for r in table.regions:
        r.label = regions.get(r.key, "") if r.key is not None else str(_("No region"))
    table.reps.sort(key=lambda r: (r.key is None, r.label.lower()))
    table.regions.sort(key=lambda r: (r.key is None, r.label.lower()))
    if table.total:
        table.total.label = str(_("Total"))


# ---------------------------------------------------------------- export


def export_rows(table: Table, level: str) -> tuple[list[str], Iterable[list[Any]]]:
    """Header and rows of one table at ``level`` (rep or region, with the total) for the
    receivables writer (formula-safe CSV/XLSX)."""
    first = _("Rep") if level == "rep" else _("Region")
    headers = [str(first), *(str(c.label) for c in table.columns)]
    rows = [*(table.reps if level == "rep" else table.regions), *([table.total] if table.total else [])]

    def cell(column: Column, value: Any) -> Any:
        if column.kind == "datetime" and value is not None:
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        return value

    return headers, (
        [r.label, *(cell(c, x.value) for c, x in zip(table.columns, r.cells, strict=True))] for r in rows
    )
