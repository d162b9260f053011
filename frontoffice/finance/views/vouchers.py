"""Finance views: vouchers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


@login_required
@permission_required("finance.view_journalentry", raise_exception=True)
def voucher_list(request: HttpRequest) -> HttpResponse:
    # Replaced by the voucher list.
    return render(request, "finance/standards.html", {"standards": []})


urlpatterns = [path("vouchers/", voucher_list, name="voucher-list")]
