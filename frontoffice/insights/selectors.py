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

    @property
    def cells(self) -> list[tuple[Measure, Decimal | None]]:
        return [(m, self.figures.get(m.key)) for m in self.measures]


@dataclass
class Dashboard:
    grouping: str  # people / regions
    measures: list[Measure]
    rows: list[DashboardRow]
    start: datetime.date
    end: datetime.date
    desk: str | None


def dashboard(
    *, viewer: Any, period: str = "month", desk: str | None = None, today: datetime.date | None = None
) -> Dashboard:
    """The viewer's people (or, for national reach, regions side by side) for the current period."""
    from frontoffice.org.models import Region, Staff

    if not viewer.has_perm(TEAM):
        raise PermissionDenied
    today = today or timezone.localdate()
    start, end = periods(period, 1, today)[-1]
    desk = desk or desk_of(viewer)
    measures = [m for m in measures_for_desk(desk) if m.from_facts and m.available()]
    staff = list(
        visible_to(Staff.objects.filter(active=True), viewer)
        .select_related("user", "home_region")
        .exclude(user=viewer)
        .order_by("user__first_name", "user__last_name", "pk")
    )
    if desk:
        staff = [s for s in staff if DESK_OF_ROLE.get(_role_code(s)) in (desk, None)]
    facts = facts_by_person(measures, [s.user_id for s in staff], start, end)
    reach = getattr(getattr(viewer, "staff", None), "role", None)
    national = viewer.is_superuser or (
        reach is not None and reach.scope in ("organisation", "legal_entity") and desk == "sales"
    )
    rows: list[DashboardRow] = []
    if national:
        regions = {s.home_region_id for s in staff if s.home_region_id}
        for region in Region.objects.filter(pk__in=regions).order_by("name"):
            members = [s.user_id for s in staff if s.home_region_id == region.pk]
            figures = {m.key: _group_value(m, facts, members, start, end) for m in measures}
            rows.append(DashboardRow(str(region), None, figures, measures))
        return Dashboard("regions", measures, rows, start, end, desk)
    for s in staff:
        figures = {
            m.key: _fold(m, _person_parts(facts, m, s.user_id), start, end, people=1) for m in measures
        }
        rows.append(
            DashboardRow(s.user.get_full_name() or s.user.get_username(), s.user_id, figures, measures)
        )
    return Dashboard("people", measures, rows, start, end, desk)


_ROLE_CODES: dict[int, str] = {}


def _role_code(staff: Any) -> str:
    if staff.role_id not in _ROLE_CODES:
        from frontoffice.org.models import Role

        _ROLE_CODES.update(dict(Role.objects.values_list("pk", "code")))
    return _ROLE_CODES.get(staff.role_id, "")


def _person_parts(facts: dict, m: Measure, uid: int) -> dict[str, Any] | None:
    return facts.get((m.key, uid))


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
                }
            )
    return out
