"""Shell views: home, global search, sign-in, language, health check and error pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from frontoffice.core.forms import ThrottledAuthenticationForm
from frontoffice.core.registry import registry
from frontoffice.core.scoping import user_scope
from frontoffice.core.selectors import global_search

API_PREFIX = "/api/"
SEARCH_POPUP_ID = "global-search-results"


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
    # Rendered without the request's context processors: the error may come from the
    # database, and the navigation they build would fail the same way.
    return HttpResponseServerError(loader.render_to_string("errors/500.html"))


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


class LoginView(auth_views.LoginView):
    """Sign-in with throttling; the page then appears in the user's saved language."""

    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            _set_language_cookie(response, language)
        return response


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language``; a signed-in user's choice is also saved on their account."""
    response = i18n_views.set_language(request)
    language = request.POST.get(i18n_views.LANGUAGE_QUERY_PARAMETER, "")
    user = request.user
    if (
        request.method == "POST"
        and user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and user.language != language
    ):
        # A personal preference of the signed-in user on their own account: not a business
        # record, so no audit entry. Belongs in org.services once that offers a user service.
        user.language = language
        user.save(update_fields=["language"])
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start page: the panels domain apps register (role and reach, counts), and quick links."""
    scope = user_scope(request.user)
    panels = []
    if not scope.nothing:
        for panel in registry.home_panels:
            context = panel.context(request)
            if context is not None:
                panels.append(render_to_string(panel.template_name, context, request=request))
    return render(request, "core/home.html", {"scope": scope, "panels": panels})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Global search across every registered provider, scoped to the user."""
    query = request.GET.get("q", "").strip()
    groups: list[dict[str, Any]] = global_search(user=request.user, query=query) if len(query) >= 2 else []
    context = {"query": query, "groups": groups}
    # A history restore (the back button after a live search) needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        context["in_popup"] = request.htmx.target == SEARCH_POPUP_ID
        response = render(request, "core/search.html#search-results", context)
    else:
        response = render(request, "core/search.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
