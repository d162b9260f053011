"""Forecast and managers' pipeline views; every number links to the filtered list behind it."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from frontoffice.sales import selectors
from frontoffice.sales.forms import OpportunityFilterForm
from frontoffice.sales.views.opportunities import permission

FORECAST = "sales.view_forecast"


def list_url(**params: Any) -> str:
    clean = {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in params.items()
        if v not in (None, "")
    }
    return f"{reverse('sales:opportunity-list')}?{urlencode(clean)}"


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _period(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    """``?from=&to=`` (ISO dates), by default the last 90 days."""
    today = timezone.localdate()
    try:
        start = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = today - datetime.timedelta(days=90)
    try:
        end = datetime.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


def _chart(months: list[datetime.date], values: dict[datetime.date, Decimal]) -> dict[str, Any]:
    """Bar geometry for our own small SVG chart (no library): heights in a 0..160 box."""
    top = max([values.get(m, Decimal(0)) for m in months] + [Decimal(1)])
    bars = []
    for i, m in enumerate(months):
        v = values.get(m, Decimal(0))
        h = int(v * 160 / top) if top else 0
        bars.append({"x": 40 + i * 60, "y": 180 - h, "height": h, "month": m, "value": v})
    return {"bars": bars, "width": 40 + 60 * len(months) + 20}


@permission(FORECAST)
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    form = OpportunityFilterForm(request.GET, user=request.user, fields=("owner", "region"))
    filters = form.filters()
    try:
        months = max(1, min(24, int(request.GET.get("months", 6))))
    except ValueError:
        months = 6
    try:
        start = datetime.date.fromisoformat(request.GET.get("start", "")).replace(day=1)
    except ValueError:
        start = timezone.localdate().replace(day=1)
    result = selectors.forecast(user=request.user, start=start, months=months, **filters)
    first = result.months[0]

    def cell_url(month: datetime.date | None, **extra: Any) -> str:
        params = {**filters, "status": "open", **extra}
        if month is not None:
            params["close_from"] = None if month == first else month
            params["close_to"] = month_end(month)
        else:
            params["close_to"] = month_end(result.months[-1])
        return list_url(**params)

    def rows(kind: str, items: list[Any]) -> list[dict[str, Any]]:
        out = []
        for row in items:
            key = {kind: row.key} if kind else {}
            out.append(
                {
                    "label": row.label,
                    "cells": [(row.months[m], cell_url(m, **key)) for m in result.months],
                    "total": row.total,
                    "total_url": cell_url(None, **key),
                }
            )
        return out

    context = {
        "filter_form": form,
        "forecast": result,
        "company": rows("", [result.company])[0],
        "reps": rows("owner", result.reps),
        "regions": rows("region", result.regions),
        "won": [
            (result.won[m], list_url(**filters, status="won", closed_from=m, closed_to=month_end(m)))
            for m in result.months
        ],
        "chart": _chart(result.months, result.company.months),
        "months": months,
        "start": start,
    }
    return render(request, "sales/forecast.html", context)


def _report_context(
    report: selectors.PipelineReport, period: tuple[Any, Any], **scope: Any
) -> dict[str, Any]:
    start, end = period
    return {
        "report": report,
        "stage_rows": [
            {
                "n": n,
                "url": list_url(**scope, stage=n.stage.pk, status="open"),
                # the conversion columns count opportunities opened by the period's end
                "reached_url": list_url(**scope, opened_to=end, reached=n.stage.pk),
                "passed_url": list_url(**scope, opened_to=end, passed=n.stage.pk),
            }
            for n in report.stages
        ],
        "open_url": list_url(**scope, status="open"),
        "won_url": list_url(**scope, status="won", closed_from=start, closed_to=end),
        "lost_url": list_url(**scope, status="lost", closed_from=start, closed_to=end),
    }


@permission(FORECAST)
@require_GET
def pipeline_regional(request: HttpRequest) -> HttpResponse:
    """One region (or everything within reach): pipeline by stage, conversion, win rate, cycle,
    forecast per rep."""
    form = OpportunityFilterForm(request.GET, user=request.user, fields=("region",))
    region = form.filters().get("region")
    period = _period(request)
    report = selectors.pipeline_report(
        user=request.user, closed_from=period[0], closed_to=period[1], region=region
    )
    start = timezone.localdate().replace(day=1)
    fc = selectors.forecast(user=request.user, start=start, months=3, region=region)
    reps = [
        {
            "label": r.label,
            "cells": [
                (
                    r.months[m],
                    list_url(
                        owner=r.key,
                        region=region,
                        status="open",
                        close_to=month_end(m),
                        close_from=None if m == fc.months[0] else m,
                    ),
                )
                for m in fc.months
            ],
            "total": r.total,
        }
        for r in fc.reps
    ]
    context = {
        "filter_form": form,
        "period": period,
        "fc_months": fc.months,
        "rep_rows": reps,
        **_report_context(report, period, region=region),
    }
    return render(request, "sales/pipeline_regional.html", context)


@permission(FORECAST)
@require_GET
def pipeline_national(request: HttpRequest) -> HttpResponse:
    """Regions side by side."""
    period = _period(request)
    regions = [
        {"region": r, **_report_context(rep, period, region=r.pk)}
        for r, rep in selectors.national_report(user=request.user, closed_from=period[0], closed_to=period[1])
    ]
    stages = [n.stage for n in regions[0]["report"].stages] if regions else []
    return render(
        request, "sales/pipeline_national.html", {"regions": regions, "period": period, "stages": stages}
    )


urlpatterns = [
    path("forecast/", forecast, name="forecast"),
    path("pipeline/", pipeline_regional, name="pipeline-regional"),
    path("pipeline/national/", pipeline_national, name="pipeline-national"),
]
