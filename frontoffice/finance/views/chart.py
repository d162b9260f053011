"""Finance views: chart of accounts, ledger settings and the posting standards page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from frontoffice.finance.services.standards import STANDARDS


@login_required
def standards(request: HttpRequest) -> HttpResponse:
    """Every posting standard explained; rejected postings link to its anchors."""
    rows = [(code, title, explanation) for code, (title, explanation) in STANDARDS.items()]
    return render(request, "finance/standards.html", {"standards": rows})


@login_required
@permission_required("finance.view_ledgeraccount", raise_exception=True)
def account_list(request: HttpRequest) -> HttpResponse:
    # Replaced by the chart-of-accounts page.
    return render(request, "finance/standards.html", {"standards": []})


@login_required
@permission_required("finance.manage_ledger", raise_exception=True)
def settings_index(request: HttpRequest) -> HttpResponse:
    # Replaced by the ledger settings page.
    return render(request, "finance/standards.html", {"standards": []})


urlpatterns = [
    path("standards/", standards, name="standards"),
    path("accounts/", account_list, name="account-list"),
    path("settings/", settings_index, name="settings"),
]
