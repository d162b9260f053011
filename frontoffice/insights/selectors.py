"""Read side of insights: whose figures a viewer may see, scorecards and the "my people" dashboard.

Every read starts from ``people_visible_to``: with ``insights.view_team_insights`` the active
staff in the viewer's reach (``visible_to(Staff)``: a regional manager their region's people,
an office manager their location's), otherwise, with ``insights.view_own_scorecard``, only the
viewer. A person outside it is a 404; without either permission a 403. A deactivated person
in reach keeps their scorecard and drill-downs (their history), but leaves the dashboards.

A figure and its drill-down agree for every viewer: the figure counts the rows attributed to
the person, and the drill-down lists exactly those rows (``drilldown_rows``), withholding the
details of the rows the viewer could not open in their own app.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Func, IntegerField, Q, Subquery, Sum, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.scoping import visible_to
from frontoffice.insights.measures import (
    Figure,
    Measure,
    OrgUnit,
    compute,
    day_start,
    fold,
    measures_for_desk,
    periods,
    quantize,
    sql_medians,
    working_days,
)

OWN = "insights.view_own_scorecard"
TEAM = "insights.view_team_insights"
DESK_OF_ROLE = {
    "sales_rep": "sales",
    "regional_sales_manager": "sales",
    "national_sales_manager": "sales",
    "receptionist": "reception",
    "office_manager": "reception",
    "accounts_clerk": "finance",
    "finance_manager": "finance",
}


def can_view(user: Any) -> bool:
    return user.is_authenticated and (user.has_perm(OWN) or user.has_perm(TEAM))


def people_visible_to(user: Any, *, former: bool = False) -> Any:
    """The users whose scorecards ``user`` may see (a queryset of users); with ``former`` also
    the deactivated staff in reach (their history stays readable)."""
    from frontoffice.org.models import Staff

    if not can_view(user):
        raise PermissionDenied
    User = get_user_model()
    if user.has_perm(TEAM):
        staff = Staff.objects.all() if former else Staff.objects.filter(active=True)
        return User.objects.filter(pk__in=visible_to(staff, user).values("user_id"))
    return User.objects.filter(pk=user.pk)


def person_visible_or_404(viewer: Any, user_id: Any) -> Any:
    """The person (deactivated or not) if in the viewer's reach, with what the scorecard reads
    of their staff profile (role, comparison unit) in the same query; else 404."""
    try:
        return (
            people_visible_to(viewer, former=True)
            .select_related(
                "staff",
                "staff__role",
                "staff__team",
                "staff__home_location",
                "staff__home_region",
                "staff__legal_entity",
            )
            .get(pk=int(user_id))
        )
    except (ValueError, TypeError, get_user_model().DoesNotExist) as exc:
        raise Http404 from exc


def staff_of(user: Any) -> Any:
    """The user's staff profile with its role (one query, then cached on the user object like
    ``user.staff``; a person loaded with ``select_related("staff__role")`` costs nothing)."""
    from frontoffice.org.models import Staff

    related = get_user_model().staff.related
    if not related.is_cached(user):
        staff = (
            Staff.objects.select_related("role", "legal_entity").filter(user_id=user.pk).first()
            if user.pk
            else None
        )
        related.set_cached_value(user, staff)
    return related.get_cached_value(user)


def desk_of(user: Any) -> str | None:
    staff = staff_of(user)
    return DESK_OF_ROLE.get(staff.role.code) if staff is not None else None


def _fold(
    m: Measure,
    parts: dict[str, Any] | None,
    start: datetime.date,
    end: datetime.date,
    people: int | None = None,
) -> Decimal | None:
    parts = parts or {}
    n_people = people if people is not None else len(parts.get("people", ())) or (1 if parts else 0)
    return fold(
        m,
        numerator=parts.get("num") or 0,
        denominator=parts.get("den") or 0,
        total=parts.get("total") or 0,
        people=n_people,
        workdays=working_days(start, end),
    )


@dataclass
class ScorecardRow:
    measure: Measure
    value: Decimal | None
    team_average: Decimal | None
    trend: list[tuple[datetime.date, Decimal | None]] = field(default_factory=list)
    available: bool = True
    applicable: bool = True
    records: int | None = None  # the source rows behind ``value`` (what its drill-down lists)

    @property
    def target(self) -> Decimal | None:
        return self.measure.target

    @property
    def meets_target(self) -> bool | None:
        return self.measure.better(self.value, self.measure.target)

    @property
    def vs_team(self) -> bool | None:
        return self.measure.better(self.value, self.team_average)


@dataclass
class Scorecard:
    person: Any
    team_label: str
    period: str
    bounds: list[tuple[datetime.date, datetime.date]]
    rows: list[ScorecardRow]

    @property
    def start(self) -> datetime.date:
        return self.bounds[-1][0]

    @property
    def end(self) -> datetime.date:
        return self.bounds[-1][1]

    def group(self, name: str) -> list[ScorecardRow]:
        return [r for r in self.rows if r.measure.group == name]


def comparison_unit(person: Any) -> OrgUnit | None:
    staff = getattr(person, "staff", None)
    if staff is None:
        return None
    if staff.team_id:
        return OrgUnit("team", staff.team)
    if staff.home_location_id:
        return OrgUnit("location", staff.home_location)
    if staff.home_region_id:
        return OrgUnit("region", staff.home_region)
    return OrgUnit("company", staff.legal_entity)


def scorecard(
    *, viewer: Any, person: Any, period: str = "month", today: datetime.date | None = None, count: int = 6
) -> Scorecard:
    """The person's measures for the current period, the team's average and the last ``count`` periods.

    A constant, small number of queries: one over the daily facts (the person's trend, the
    peers' current period and the number of peers), one per median measure (the person and
    the team together) and none per period or measure.
    """
    today = today or timezone.localdate()
    bounds = periods(period, count, today)
    start, end = bounds[-1]
    measures = measures_for_desk(desk_of(person))
    available = {m.key: m.available() for m in measures}
    unit = OrgUnit("person", person)
    compare = comparison_unit(person)
    peers = compare.people() if compare else [person.pk]
    additive = [m for m in measures if m.from_facts and available[m.key]]
    mine, team, peer_count = _scorecard_facts(additive, person.pk, peers, bounds)
    last = len(bounds) - 1
    rows: list[ScorecardRow] = []
    for m in measures:
        if not available[m.key]:
            rows.append(ScorecardRow(m, None, None, available=False))
            continue
        if m.from_facts:
            trend = [(s, _fold(m, mine.get((m.key, i)), s, e, people=1)) for i, (s, e) in enumerate(bounds)]
            team_avg = _pooled_average(m, team.get(m.key, []), peer_count, start, end)
            records = (mine.get((m.key, last)) or {}).get("den") or 0
            rows.append(ScorecardRow(m, trend[-1][1], team_avg, trend, records=records))
            continue
        if m.kind == "median":
            (value, records), team_avg = _scorecard_median(
                m, person.pk, peers if compare else None, start, end
            )
            rows.append(ScorecardRow(m, value, team_avg, [(start, value)], records=records))
            continue
        figure: Figure = compute(m, unit, start, end, user=viewer)
        team_avg = (
            compute(m, compare, start, end, user=viewer).value if compare and figure.applicable else None
        )
        rows.append(
            ScorecardRow(m, figure.value, team_avg, [(start, figure.value)], applicable=figure.applicable)
        )
    return Scorecard(person, compare.label if compare else "", period, bounds, rows)


def _scorecard_facts(
    measures: list[Measure], person_id: int, peers: Any, bounds: list[tuple[datetime.date, datetime.date]]
) -> tuple[dict[tuple[str, int], dict[str, Any]], dict[str, list[dict[str, Any]]], int]:
    """One query over the daily facts (two grouped parts, ``UNION ALL``): the person's parts per
    period (index into ``bounds``) and each peer's parts in the last period, with the number
    of peers (``peers``: user ids or a subquery of them; members without facts count too).
    Each part is a plain index range (the peers' a semi-join), cheaper than one ``OR``."""
    from frontoffice.insights.models import DailyFact

    if not measures:
        return {}, {}, 0
    start, end = bounds[-1]
    last = len(bounds) - 1
    if isinstance(peers, list):
        peer_count: Any = Value(len(peers))
    else:
        # The unit's staff rows (``OrgUnit.people()``), counted in a scalar subquery.
        counted = peers.order_by().annotate(_n=Func(F("user_id"), function="COUNT")).values("_n")
        peer_count = Subquery(counted, output_field=IntegerField())
    facts = DailyFact.objects.filter(
        measure__in=[m.key for m in measures], unit_type=DailyFact.UnitType.PERSON
    )
    columns = ("measure", "unit_id", "_period", "_peer", "_peers")
    sums = {"num": Sum("numerator"), "den": Sum("denominator"), "total": Sum("total")}
    period = Case(
        *[When(day__gte=s, day__lt=e, then=Value(i)) for i, (s, e) in enumerate(bounds)],
        output_field=IntegerField(),
    )
    own = (
        facts.filter(unit_id=person_id, day__gte=bounds[0][0], day__lt=end)
        .annotate(_period=period, _peer=Value(False), _peers=Value(0))
        .values(*columns)
        .annotate(**sums)
        .order_by()
    )
    team_rows = (
        facts.filter(unit_id__in=peers, day__gte=start, day__lt=end)
        .annotate(_period=Value(last), _peer=Value(True), _peers=peer_count)
        .values(*columns)
        .annotate(**sums)
        .order_by()
    )
    mine: dict[tuple[str, int], dict[str, Any]] = {}
    team: dict[str, list[dict[str, Any]]] = {}
    count = None
    for row in own.union(team_rows, all=True):
        if row["_peer"]:
            count = row["_peers"]
            team.setdefault(row["measure"], []).append(row)
        else:
            mine[(row["measure"], row["_period"])] = row
    if count is None:  # no peer has facts: every team figure is empty, the count does not matter
        count = len(peers) if isinstance(peers, list) else 1
    return mine, team, count


def _pooled_average(
    m: Measure,
    parts_of_peers: list[dict[str, Any]],
    peer_count: int,
    start: datetime.date,
    end: datetime.date,
) -> Decimal | None:
    """Pooled figure of the peers; counts and sums are divided by the number of peers."""
    parts = {"num": 0, "den": 0, "total": Decimal(0)}
    active = 0
    for p in parts_of_peers:
        active += 1
        parts["num"] += p["num"] or 0
        parts["den"] += p["den"] or 0
        parts["total"] += Decimal(p["total"] or 0)
    if m.kind in ("count", "sum"):
        value = _fold(m, parts, start, end, people=active)
        return quantize(m, value / peer_count) if value is not None and peer_count else None
    return _fold(m, parts, start, end, people=active) if active else None


def _scorecard_median(
    m: Measure, person_id: int, peers: Any, start: datetime.date, end: datetime.date
) -> tuple[tuple[Decimal | None, int], Decimal | None]:
    """(the person's median and its rows, the comparison unit's median): one query on
    PostgreSQL. ``peers`` None: no comparison unit."""
    source = m.sources[0]
    qs = source.rows(start, end)
    if qs is None:
        return (None, 0), None
    mine = Q(**{source.person: person_id})
    groups: dict[str, Q | None] = {"mine": mine}
    if peers is not None:
        in_team = Q(**{f"{source.person}__in": peers})
        groups["team"] = in_team
        qs = qs.filter(mine | in_team)
    else:
        qs = qs.filter(mine)
    medians = sql_medians(qs, source.value(), groups)
    value, rows = medians["mine"]
    team = medians["team"][0] if peers is not None else None
    return (quantize(m, value), rows), quantize(m, team)


@dataclass
class DashboardRow:
    label: str
    user_id: int | None
    figures: dict[str, Decimal | None]
    measures: list[Measure] = field(default_factory=list)
    previous: dict[str, Decimal | None] = field(default_factory=dict)
    unit_id: int | None = None

    @property
    def cells(self) -> list[tuple[Measure, Decimal | None]]:
        return [(m, self.figures.get(m.key)) for m in self.measures]

    @property
    def comparisons(self) -> list[Comparison]:
        return [Comparison(m, self.figures.get(m.key), self.previous.get(m.key)) for m in self.measures]


@dataclass
class Comparison:
    """One figure this period against the previous period."""

    measure: Measure
    value: Decimal | None
    previous: Decimal | None

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def improved(self) -> bool | None:
        """True when the change goes the measure's better way, False the other way, None flat."""
        change = self.change
        if not change:
            return None
        return (change > 0) == (self.measure.direction == "higher")


@dataclass
class Dashboard:
    grouping: str  # people / teams / locations / regions (side by side)
    measures: list[Measure]
    rows: list[DashboardRow]
    start: datetime.date
    end: datetime.date
    desk: str | None
    previous_start: datetime.date | None = None
    previous_end: datetime.date | None = None
    total: DashboardRow | None = None  # every row pooled
    company: list[Comparison] = field(default_factory=list)  # live company-level figures


GROUPINGS = ("people", "teams", "locations", "regions")


def dashboard_staff(*, viewer: Any, desk: str | None = None) -> tuple[list[Any], list[Measure]]:
    """The active staff on the dashboard of ``viewer`` (their reach, without themselves, the
    desk's roles) and the desk's measures kept as daily facts. 403 without the permission."""
    from frontoffice.org.models import Staff

    if not viewer.has_perm(TEAM):
        raise PermissionDenied
    desk = desk or desk_of(viewer)
    measures = [m for m in measures_for_desk(desk) if m.from_facts and m.available()]
    staff = list(
        visible_to(Staff.objects.filter(active=True), viewer)
        .select_related("user", "home_region", "home_location", "team")
        .exclude(user=viewer)
        .order_by("user__first_name", "user__last_name", "pk")
    )
    if desk:
        staff = [s for s in staff if DESK_OF_ROLE.get(_role_code(s)) in (desk, None)]
    return staff, measures


_GROUP_FIELDS = {"teams": "team", "locations": "home_location", "regions": "home_region"}


def dashboard(
    *,
    viewer: Any,
    period: str = "month",
    desk: str | None = None,
    today: datetime.date | None = None,
    by: str | None = None,
) -> Dashboard:
    """The viewer's people for the current and the previous period, per person or grouped by
    team, location or region (national sales reach: regions side by side by default), with
    the whole set pooled as a total row. On the finance desk, the company's live figures (DSO,
    time to resolve a question) of the viewer's legal entity are added."""
    today = today or timezone.localdate()
    (prev_start, prev_end), (start, end) = periods(period, 2, today)
    desk = desk or desk_of(viewer)
    staff, measures = dashboard_staff(viewer=viewer, desk=desk)
    ids = [s.user_id for s in staff]
    before, facts = _facts_by_period_and_person(measures, ids, [(prev_start, prev_end), (start, end)])
    reach = getattr(staff_of(viewer), "role", None)
    national = viewer.is_superuser or (
        reach is not None and reach.scope in ("organisation", "legal_entity") and desk == "sales"
    )
    if by not in GROUPINGS:
        by = "regions" if national else "people"
    board = Dashboard(by, measures, [], start, end, desk, previous_start=prev_start, previous_end=prev_end)

    def figures(members: list[int], parts: dict, s: datetime.date, e: datetime.date) -> dict[str, Any]:
        return {m.key: _group_value(m, parts, members, s, e) for m in measures}

    if by == "people":
        for st in staff:
            board.rows.append(
                DashboardRow(
                    st.user.get_full_name() or st.user.get_username(),
                    st.user_id,
                    figures([st.user_id], facts, start, end),
                    measures,
                    figures([st.user_id], before, prev_start, prev_end),
                )
            )
    else:
        attr = _GROUP_FIELDS[by]
        groups: dict[int, tuple[Any, list[int]]] = {}
        for st in staff:
            unit = getattr(st, attr)
            if unit is not None:
                groups.setdefault(unit.pk, (unit, []))[1].append(st.user_id)
        for pk, (unit, members) in sorted(groups.items(), key=lambda item: (str(item[1][0]), item[0])):
            board.rows.append(
                DashboardRow(
                    str(unit),
                    None,
                    figures(members, facts, start, end),
                    measures,
                    figures(members, before, prev_start, prev_end),
                    unit_id=pk,
                )
            )
    if len(board.rows) > 1:
        board.total = DashboardRow(
            str(_("All")),
            None,
            figures(ids, facts, start, end),
            measures,
            figures(ids, before, prev_start, prev_end),
        )
    if desk == "finance":
        board.company = _company_figures(viewer, start, end, prev_start, prev_end)
    return board


def _facts_by_period_and_person(
    measures: list[Measure], user_ids: list[int], bounds: list[tuple[datetime.date, datetime.date]]
) -> list[dict[tuple[str, int], dict[str, Any]]]:
    """One grouped query over the daily facts: per period of ``bounds`` (contiguous), (measure
    key, user id) → summed parts, like ``facts.facts_by_person`` for each period."""
    from frontoffice.insights.models import DailyFact

    out: list[dict[tuple[str, int], dict[str, Any]]] = [{} for _b in bounds]
    if not measures or not user_ids or not bounds:
        return out
    period = Case(
        *[When(day__gte=s, day__lt=e, then=Value(i)) for i, (s, e) in enumerate(bounds)],
        output_field=IntegerField(),
    )
    rows = (
        DailyFact.objects.filter(
            measure__in=[m.key for m in measures],
            unit_type=DailyFact.UnitType.PERSON,
            unit_id__in=list(user_ids),
            day__gte=bounds[0][0],
            day__lt=bounds[-1][1],
        )
        .annotate(_period=period)
        .values("measure", "unit_id", "_period")
        .annotate(num=Sum("numerator"), den=Sum("denominator"), total=Sum("total"))
        .order_by()
    )
    for row in rows:
        if row["_period"] is not None:
            out[row["_period"]][(row["measure"], row["unit_id"])] = row
    return out


def _company_figures(
    viewer: Any, start: datetime.date, end: datetime.date, prev_start: datetime.date, prev_end: datetime.date
) -> list[Comparison]:
    """The finance desk's live figures for the viewer's own legal entity (legal-entity reach)."""
    staff = staff_of(viewer)
    role = getattr(staff, "role", None)
    if staff is None or role is None or role.scope not in ("organisation", "legal_entity"):
        return []
    unit = OrgUnit("company", staff.legal_entity)
    out = []
    for m in measures_for_desk("finance"):
        if m.from_facts or not m.available():
            continue
        if m.kind == "median":
            now, before = _medians_by_period(m, unit, [(start, end), (prev_start, prev_end)])
            out.append(Comparison(m, now, before))
            continue
        out.append(
            Comparison(
                m,
                compute(m, unit, start, end, user=viewer).value,
                compute(m, unit, prev_start, prev_end, user=viewer).value,
            )
        )
    return out


def _medians_by_period(
    m: Measure, unit: OrgUnit, bounds: list[tuple[datetime.date, datetime.date]]
) -> list[Decimal | None]:
    """The unit's median of ``m`` in each period: one query on PostgreSQL (``compute`` per
    period gives the same figures)."""
    source = m.sources[0]
    qs = source.rows(min(s for s, _e in bounds), max(e for _s, e in bounds), unit.people())
    if qs is None:
        return [None for _b in bounds]

    def edge(day: datetime.date) -> Any:
        return day_start(day) if source.is_datetime else day

    groups: dict[str, Q | None] = {
        str(i): Q(**{f"{source.date}__gte": edge(s), f"{source.date}__lt": edge(e)})
        for i, (s, e) in enumerate(bounds)
    }
    medians = sql_medians(qs, source.value(), groups)
    return [quantize(m, medians[str(i)][0]) for i in range(len(bounds))]


_ROLE_CODES: dict[int, str] = {}


def _role_code(staff: Any) -> str:
    if staff.role_id not in _ROLE_CODES:
        from frontoffice.org.models import Role

        _ROLE_CODES.update(dict(Role.objects.values_list("pk", "code")))
    return _ROLE_CODES.get(staff.role_id, "")


def _group_value(
    m: Measure, facts: dict, members: list[int], start: datetime.date, end: datetime.date
) -> Decimal | None:
    parts = {"num": 0, "den": 0, "total": Decimal(0)}
    active = 0
    for uid in members:
        p = facts.get((m.key, uid))
        if p:
            active += 1
            parts["num"] += p["num"] or 0
            parts["den"] += p["den"] or 0
            parts["total"] += Decimal(p["total"] or 0)
    return _fold(m, parts, start, end, people=active)


def drilldown_rows(
    *, viewer: Any, measure: Measure, person: Any, start: datetime.date, end: datetime.date, limit: int = 500
) -> list[dict[str, Any]]:
    """The source rows behind a person's figure over [start, end): exactly the rows the figure
    counts (``Source.rows``, the same filter as the live computation and the daily facts),
    whoever looks. The viewer already may see the person's figures; a row the viewer could not
    open in its own app (``visible_to``: an activity without a region for a regional manager,
    a lead of another region) is listed with its kind and date only (``hidden``), so the list
    is as long as the figure without telling more. The first ``limit`` rows of each source;
    ``more`` on the last row of a source says how many were left out."""
    out: list[dict[str, Any]] = []
    for source in measure.sources:
        qs = source.rows(start, end, [person.pk])
        if qs is None:
            continue
        model = qs.model
        label = model._meta.verbose_name
        objs = list(qs.order_by(source.date, "pk")[: limit + 1])
        more = 0
        if len(objs) > limit:
            objs = objs[:limit]
            more = qs.count() - limit
        visible: set[Any] | None = None
        if getattr(model, "scope_rule", None) is not None:
            ids = [obj.pk for obj in objs]
            visible = set(
                visible_to(model._default_manager.filter(pk__in=ids), viewer).values_list("pk", flat=True)
            )
        for obj in objs:
            hidden = visible is not None and obj.pk not in visible
            out.append(
                {
                    "source": label,
                    "id": obj.pk,
                    "text": "" if hidden else str(obj),
                    "hidden": hidden,
                    "when": getattr(obj, source.date, None),
                    "has_time": source.is_datetime,  # a date (closed_on, due_on) has no time
                    "more": 0,
                }
            )
        if more and out:
            out[-1]["more"] = more
    return out
