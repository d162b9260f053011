"""Read side of insights: whose figures a viewer may see, scorecards and the "my people" dashboard.

Every read starts from ``people_visible_to``: with ``insights.view_team_insights`` the active
staff in the viewer's reach (``visible_to(Staff)``: a regional manager their region's people,
an office manager their location's), otherwise, with ``insights.view_own_scorecard``, only the
viewer. A person outside it is a 404; without either permission a 403.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.core.scoping import visible_to
from frontoffice.insights.facts import facts_by_period, facts_by_person
from frontoffice.insights.measures import (
    Figure,
    Measure,
    OrgUnit,
    compute,
    fold,
    measures_for_desk,
    periods,
    quantize,
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


def people_visible_to(user: Any) -> Any:
    """The users whose scorecards ``user`` may see (a queryset of users)."""
    from frontoffice.org.models import Staff

    if not can_view(user):
        raise PermissionDenied
    User = get_user_model()
    if user.has_perm(TEAM):
        staff = visible_to(Staff.objects.filter(active=True), user)
        return User.objects.filter(pk__in=staff.values("user_id"))
    return User.objects.filter(pk=user.pk)


def person_visible_or_404(viewer: Any, user_id: Any) -> Any:
    try:
        return (
            people_visible_to(viewer)
            .select_related("staff", "staff__role", "staff__team")
            .get(pk=int(user_id))
        )
    except (ValueError, TypeError, get_user_model().DoesNotExist) as exc:
        raise Http404 from exc


def desk_of(user: Any) -> str | None:
    staff = getattr(user, "staff", None)
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
    """The person's measures for the current period, the team's average and the last ``count`` periods."""
    today = today or timezone.localdate()
    bounds = periods(period, count, today)
    start, end = bounds[-1]
    measures = measures_for_desk(desk_of(person))
    unit = OrgUnit("person", person)
    compare = comparison_unit(person)
    peer_ids = list(compare.people().values_list("user_id", flat=True)) if compare else [person.pk]
    additive = [m for m in measures if m.from_facts and m.available()]
    mine = facts_by_period(additive, [person.pk], bounds)
    peers = facts_by_person(additive, peer_ids, start, end)
    rows: list[ScorecardRow] = []
    for m in measures:
        if not m.available():
            rows.append(ScorecardRow(m, None, None, available=False))
            continue
        if m.from_facts:
            trend = [(s, _fold(m, mine.get((m.key, i)), s, e, people=1)) for i, (s, e) in enumerate(bounds)]
            value = trend[-1][1]
            team_avg = _team_average(m, peers, peer_ids, start, end)
            rows.append(ScorecardRow(m, value, team_avg, trend))
            continue
        figure: Figure = compute(m, unit, start, end, user=viewer)
        team_avg = (
            compute(m, compare, start, end, user=viewer).value if compare and figure.applicable else None
        )
        rows.append(
            ScorecardRow(m, figure.value, team_avg, [(start, figure.value)], applicable=figure.applicable)
        )
    return Scorecard(person, compare.label if compare else "", period, bounds, rows)


def _team_average(
    m: Measure, peers: dict, peer_ids: list[int], start: datetime.date, end: datetime.date
) -> Decimal | None:
    """Pooled figure of the peers; counts and sums are divided by the number of peers."""
    parts = {"num": 0, "den": 0, "total": Decimal(0)}
    active = 0
    for uid in peer_ids:
        p = peers.get((m.key, uid))
        if p:
            active += 1
            parts["num"] += p["num"] or 0
            parts["den"] += p["den"] or 0
            parts["total"] += Decimal(p["total"] or 0)
    if m.kind in ("count", "sum"):
        value = _fold(m, parts, start, end, people=active)
        return quantize(m, value / len(peer_ids)) if value is not None and peer_ids else None
    return _fold(m, parts, start, end, people=active) if active else None


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
    facts = facts_by_person(measures, ids, start, end)
    before = facts_by_person(measures, ids, prev_start, prev_end)
    reach = getattr(getattr(viewer, "staff", None), "role", None)
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


def _company_figures(
    viewer: Any, start: datetime.date, end: datetime.date, prev_start: datetime.date, prev_end: datetime.date
) -> list[Comparison]:
    """The finance desk's live figures for the viewer's own legal entity (legal-entity reach)."""
    staff = getattr(viewer, "staff", None)
    role = getattr(staff, "role", None)
    if staff is None or role is None or role.scope not in ("organisation", "legal_entity"):
        return []
    unit = OrgUnit("company", staff.legal_entity)
    out = []
    for m in measures_for_desk("finance"):
        if m.from_facts or not m.available():
            continue
        out.append(
            Comparison(
                m,
                compute(m, unit, start, end, user=viewer).value,
                compute(m, unit, prev_start, prev_end, user=viewer).value,
            )
        )
    return out


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
    *, viewer: Any, measure: Measure, person: Any, start: datetime.date, end: datetime.date, limit: int = 200
) -> list[dict[str, Any]]:
    """The source rows behind a person's figure (first ``limit`` of each source)."""
    out: list[dict[str, Any]] = []
    for source in measure.sources:
        qs = source.rows(start, end, [person.pk])
        if qs is None:
            continue
        if getattr(qs.model, "scope_rule", None) is not None:
            qs = visible_to(qs, viewer)
        for obj in qs.order_by(source.date, "pk")[:limit]:
            when = getattr(obj, source.date, None)
            out.append(
                {
                    "source": source.model_class()._meta.verbose_name,
                    "id": obj.pk,
                    "text": str(obj),
                    "when": when,
                    "has_time": source.is_datetime,  # a date (closed_on, due_on) has no time
                }
            )
    return out
