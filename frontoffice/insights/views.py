"""Insights pages: a person's scorecard, the "my people" dashboard, drill-downs, exports."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods

from frontoffice.insights.charts import bar_chart, paired_bar_chart
from frontoffice.insights.measures import BY_KEY, DESK_LABELS, GROUP_LABELS, measures_for_desk
from frontoffice.insights.selectors import (
    TEAM,
    can_view,
    dashboard,
    desk_of,
    drilldown_rows,
    person_visible_or_404,
    scorecard,
)
from frontoffice.receivables import exports

PERIODS = ("week", "month")
GROUPING_LABELS = {
    "people": _lazy("People"),
    "teams": _lazy("Team"),
    "locations": _lazy("Location"),
    "regions": _lazy("Region"),
}


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
    """The role dashboard: this period against the previous one, per person or unit."""
    _require_view(request)
    if not request.user.has_perm(TEAM):
        raise PermissionDenied
    desk = request.GET.get("desk") or None
    if desk is not None and desk not in DESK_LABELS:
        desk = None
    by = request.GET.get("by") or None
    board = dashboard(viewer=request.user, period=_period(request), desk=desk, by=by)
    fmt = request.GET.get("format")
    rows = board.rows + ([board.total] if board.total else [])
    if fmt in exports.FORMATS:
        headers = [_("Person") if board.grouping == "people" else str(GROUPING_LABELS[board.grouping])]
        for m in board.measures:
            headers += [
                f"{m.name} ({m.unit})",
                _("%(measure)s, previous period") % {"measure": m.name},
                _("%(measure)s, change") % {"measure": m.name},
            ]
        data = []
        for row in rows:
            line: list[Any] = [row.label]
            for c in row.comparisons:
                line += [_fmt(c.value), _fmt(c.previous), _fmt(c.change)]
            data.append(line)
        for c in board.company:
            data.append(
                [f"{c.measure.name} ({c.measure.unit})", _fmt(c.value), _fmt(c.previous), _fmt(c.change)]
            )
        return exports.response(fmt, _("my people"), _("My people"), headers, data)
    legend = (_("previous period"), _("this period"))
    charts = [
        {
            "measure": m,
            "chart": paired_bar_chart(
                [r.label for r in rows],
                [r.figures.get(m.key) for r in rows],
                [r.previous.get(m.key) for r in rows],
                title=str(m.name),
                target=m.target,
                legend=legend,
            ),
            "values": [(r.label, r.comparisons[i]) for r in rows],
        }
        for i, m in enumerate(board.measures)
    ]
    query = {"period": _period(request), "desk": board.desk or "", "by": board.grouping}
    context = {
        "board": board,
        "charts": charts,
        "period": _period(request),
        "periods": PERIODS,
        "desks": DESK_LABELS,
        "groupings": GROUPING_LABELS,
        "query": urlencode({k: v for k, v in query.items() if v}),
        "desk_query": urlencode({k: v for k, v in query.items() if v and k != "desk"}),
        "by_query": urlencode({k: v for k, v in query.items() if v and k != "by"}),
        "period_query": urlencode({k: v for k, v in query.items() if v and k != "period"}),
    }
    return render(request, "insights/dashboard.html", context)


@require_GET
def cockpit(request: HttpRequest) -> HttpResponse:
    """Today at every desk in the viewer's reach, each number linking to its list."""
    _require_view(request)
    if not request.user.has_perm(TEAM):
        raise PermissionDenied
    from frontoffice.insights.cockpit import cockpit as build

    return render(request, "insights/cockpit.html", {"cockpit": build(viewer=request.user)})


@require_http_methods(["GET", "POST"])
def digest_settings(request: HttpRequest) -> HttpResponse:
    """The manager's own digest and alert settings."""
    from frontoffice.insights.forms import ManagerSettingsForm
    from frontoffice.insights.services import manager_settings_update, settings_for

    _require_view(request)
    if not request.user.has_perm(TEAM):
        raise PermissionDenied
    measures = [m for m in measures_for_desk(desk_of(request.user)) if m.from_facts and m.available()]
    current = settings_for(request.user)
    initial = {
        "digest_enabled": current.digest_enabled,
        "digest_weekday": current.digest_weekday,
        "alerts_enabled": current.alerts_enabled,
        "measures": current.measures,
        **{f"threshold_{k}": v for k, v in (current.thresholds or {}).items()},
    }
    form = ManagerSettingsForm(request.POST or None, initial=initial, measures=measures)
    if request.method == "POST" and form.is_valid():
        manager_settings_update(
            actor=request.user,
            digest_enabled=form.cleaned_data["digest_enabled"],
            digest_weekday=form.cleaned_data["digest_weekday"],
            alerts_enabled=form.cleaned_data["alerts_enabled"],
            measures=form.cleaned_data["measures"],
            thresholds=form.thresholds(),
        )
        messages.success(request, _("Your digest and alert settings are saved."))
        return redirect("insights:settings")
    return render(request, "insights/settings.html", {"form": form}, status=400 if form.errors else 200)


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
    count = len(rows) + sum(r["more"] for r in rows)
    context = {"measure": measure, "person": person, "rows": rows, "count": count, "start": start, "end": end}
    return render(request, "insights/drilldown.html", context)
