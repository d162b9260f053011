"""Insights pages: a person's scorecard, the "my people" dashboard, drill-downs, exports."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from frontoffice.insights.charts import bar_chart
from frontoffice.insights.measures import BY_KEY, DESK_LABELS, GROUP_LABELS
from frontoffice.insights.selectors import (
    TEAM,
    can_view,
    dashboard,
    drilldown_rows,
    person_visible_or_404,
    scorecard,
)
from frontoffice.receivables import exports

PERIODS = ("week", "month")


def _period(request: HttpRequest) -> str:
    value = request.GET.get("period", "month")
    return value if value in PERIODS else "month"


def _require_view(request: HttpRequest) -> None:
    if not can_view(request.user):
        raise PermissionDenied


def _fmt(value: Any) -> Any:
    """Figures go out as numbers (Decimal), so spreadsheets can compute with them."""
    return value


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    if request.user.has_perm(TEAM):
        return redirect("insights:dashboard")
    return redirect("insights:scorecard", user_id=request.user.pk)


@require_GET
def person_scorecard(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_view(request)
    person = person_visible_or_404(request.user, user_id)
    card = scorecard(viewer=request.user, person=person, period=_period(request))
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers = [_("Measure"), _("Unit"), _("Value"), _("Target"), _("Team average")] + [
            s.isoformat() for s, _e in card.bounds
        ]
        rows = []
        for row in card.rows:
            trend = dict(row.trend)
            rows.append(
                [
                    str(row.measure.name),
                    row.measure.unit,
                    _fmt(row.value),
                    _fmt(row.target),
                    _fmt(row.team_average),
                ]
                + [_fmt(trend.get(s)) for s, _e in card.bounds]
            )
        name = _("scorecard %(name)s") % {"name": person.get_username()}
        return exports.response(fmt, name, _("Scorecard"), headers, rows)
    groups = []
    for key, label in GROUP_LABELS.items():
        items = []
        for row in card.group(key):
            chart = None
            if len(row.trend) > 1:
                chart = bar_chart(
                    [s.strftime("%d/%m") for s, _v in row.trend],
                    [v for _s, v in row.trend],
                    title=str(row.measure.name),
                    target=row.target,
                )
            items.append({"row": row, "chart": chart})
        groups.append({"label": label, "items": items})
    context = {"card": card, "person": person, "groups": groups, "period": card.period, "periods": PERIODS}
    return render(request, "insights/scorecard.html", context)


@require_GET
def my_people(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    if not request.user.has_perm(TEAM):
        raise PermissionDenied
    desk = request.GET.get("desk") or None
    if desk is not None and desk not in DESK_LABELS:
        desk = None
    board = dashboard(viewer=request.user, period=_period(request), desk=desk)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers = [_("Region") if board.grouping == "regions" else _("Person")] + [
            f"{m.name} ({m.unit})" for m in board.measures
        ]
        rows = [[row.label] + [_fmt(row.figures.get(m.key)) for m in board.measures] for row in board.rows]
        return exports.response(fmt, _("my people"), _("My people"), headers, rows)
    charts = [
        {
            "measure": m,
            "chart": bar_chart(
                [r.label for r in board.rows],
                [r.figures.get(m.key) for r in board.rows],
                title=str(m.name),
                target=m.target,
            ),
            "values": [(r.label, r.figures.get(m.key)) for r in board.rows],
        }
        for m in board.measures
    ]
    context = {
        "board": board,
        "charts": charts,
        "period": _period(request),
        "periods": PERIODS,
        "desks": DESK_LABELS,
    }
    return render(request, "insights/dashboard.html", context)


@require_GET
def drilldown(request: HttpRequest, key: str, user_id: int) -> HttpResponse:
    _require_view(request)
    measure = BY_KEY.get(key)
    if measure is None:
        raise Http404
    person = person_visible_or_404(request.user, user_id)
    try:
        start = datetime.date.fromisoformat(request.GET.get("start", ""))
        end = datetime.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = timezone.localdate() + datetime.timedelta(days=1)
        start = end - datetime.timedelta(days=30)
    rows = drilldown_rows(viewer=request.user, measure=measure, person=person, start=start, end=end)
    context = {"measure": measure, "person": person, "rows": rows, "start": start, "end": end}
    return render(request, "insights/drilldown.html", context)
