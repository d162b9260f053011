"""The sales managers' team report: thin view over ``sales.manager_reports``."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from frontoffice.sales import exports, manager_reports
from frontoffice.sales.forms import OpportunityFilterForm
from frontoffice.sales.views.opportunities import permission
from frontoffice.sales.views.reports import FORECAST


@permission(FORECAST)
@require_GET
def team_report(request: HttpRequest) -> HttpResponse:
    """Per rep and per region: response times, overdue first contacts, lead funnel, conversion
    by stage, win rate and activity. ``?table=<key>&level=rep|region&format=csv|xlsx``
    downloads one table."""
    form = OpportunityFilterForm(request.GET, user=request.user, fields=("region",))
    region = form.filters().get("region")
    period = manager_reports.period_from(request.GET)
    report = manager_reports.team_report(user=request.user, period=period, region=region)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        table = report.table(request.GET.get("table", ""))
        level = request.GET.get("level", "rep")
        if table is None or level not in ("rep", "region"):
            raise Http404
        headers, rows = manager_reports.export_rows(table, level)
        name = f"{table.key}-{level}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
        return exports.response(fmt, name, str(table.title), headers, rows)
    context = {
        "filter_form": form,
        "report": report,
        "period": period,
        "period_query": {**period.params, **({"region": region} if region else {})},
    }
    return render(request, "sales/team_report.html", context)


urlpatterns = [path("team/", team_report, name="team-report")]
