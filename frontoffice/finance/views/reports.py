"""Finance views: reports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


@login_required
@permission_required("finance.view_ledger_reports", raise_exception=True)
def report_index(request: HttpRequest) -> HttpResponse:
    # Replaced by the reports index.
    return render(request, "finance/standards.html", {"standards": []})


urlpatterns = [path("reports/", report_index, name="report-index")]
