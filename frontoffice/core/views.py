"""Shell views: home, global search, health check and error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from frontoffice.core.selectors import global_search

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"message": message, "code": code}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("Bad request."), "bad_request", 400)
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("You do not have permission to perform this action."), "permission_denied", 403)
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("Not found."), "not_found", 404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("Internal server error."), "server_error", 500)
    return render(request, "errors/500.html", status=500)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the app and its database answer, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Global search across every registered provider, scoped to the user."""
    query = request.GET.get("q", "").strip()
    groups: list[dict[str, Any]] = global_search(user=request.user, query=query) if len(query) >= 2 else []
    context = {"query": query, "groups": groups}
    if request.htmx:
        return render(request, "core/search.html#search-results", context)
    return render(request, "core/search.html", context)
