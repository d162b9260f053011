"""Public reception pages (no sign-in), mounted at ``/k/``.

- ``/k/<key>/`` the self check-in kiosk of one location (the key is its secret);
- ``/k/<key>/screen/`` the waiting-room screen (ticket numbers or initials, polled);
- ``/k/c/<code>/`` the link in the confirmation e-mail: shows the code to type at the kiosk
  (no look-up, so it reveals nothing about whether the code exists);
- ``/k/f/<token>/`` the visit feedback link (1-5 and a comment, once).

Failed attempts (unknown kiosk keys, refused codes, unknown feedback tokens) are counted per
client address (and per kiosk for codes) in the cache; past the limit the page answers 429
without looking anything up. Every response is private (no-store, noindex).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from frontoffice.core.throttle import client_address
from frontoffice.reception import forms, selectors, services

PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store, private, max-age=0",
}
SCREEN_POLL_SECONDS = 10


def _limit(kind: str) -> int:
    return int(getattr(settings, "RECEPTION_KIOSK_FAILURES", 10) if kind == "code" else 30)


def _window() -> int:
    return int(getattr(settings, "RECEPTION_KIOSK_WINDOW_SECONDS", 600))


def _key(request: HttpRequest, kind: str, scope: str = "") -> str:
    return f"frontoffice:reception:{kind}-fail:{scope}:{client_address(request)}"


def _throttled(request: HttpRequest, kind: str, scope: str = "") -> bool:
    return (cache.get(_key(request, kind, scope)) or 0) >= _limit(kind)


def _fail(request: HttpRequest, kind: str, scope: str = "") -> None:
    key = _key(request, kind, scope)
    if not cache.add(key, 1, _window()):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, _window())


def _private(response: HttpResponse) -> HttpResponse:
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


def _kiosk_or_none(request: HttpRequest, key: str):
    kiosk = services.kiosk_resolve(key)
    if kiosk is None:
        _fail(request, "key")
    return kiosk


def _gone(request: HttpRequest, status: int = 404) -> HttpResponse:
    return _private(render(request, "reception/public/kiosk.html", {"state": "unknown"}, status=status))


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, key: str) -> HttpResponse:
    """The tablet's self check-in: type the booking code (or paste the e-mail's link)."""
    if _throttled(request, "key"):
        return _private(render(request, "reception/public/kiosk.html", {"state": "throttled"}, status=429))
    found = _kiosk_or_none(request, key)
    if found is None:
        return _gone(request)
    scope = str(found.pk)
    form = forms.KioskCodeForm(request.POST or None)
    context = {"kiosk": found, "key": key, "form": form, "state": "ask"}
    if request.method == "POST":
        if _throttled(request, "code", scope):
            context["state"] = "throttled"
            return _private(render(request, "reception/public/kiosk.html", context, status=429))
        if form.is_valid():
            try:
                visit = services.kiosk_check_in(kiosk=found, code=form.cleaned_data["code"])
            except services.KioskRefused:
                _fail(request, "code", scope)
                context["state"] = "refused"
                context["form"] = forms.KioskCodeForm()
            else:
                context.update(state="welcome", initials=visit.initials, ticket=visit.ticket_number)
                context["form"] = forms.KioskCodeForm()
        else:
            _fail(request, "code", scope)
            context["state"] = "refused"
    return _private(render(request, "reception/public/kiosk.html", context))


@require_GET
def screen(request: HttpRequest, key: str) -> HttpResponse:
    """The waiting-room screen: ticket numbers (or initials, per the kiosk's setting)."""
    if _throttled(request, "key"):
        return _private(HttpResponse(status=429))
    found = _kiosk_or_none(request, key)
    if found is None:
        return _gone(request)
    context = {
        "kiosk": found,
        "key": key,
        "rows": selectors.screen_rows(found.location),
        "initials": found.screen_shows == found.ScreenShows.INITIALS,
        "poll_seconds": SCREEN_POLL_SECONDS,
    }
    if request.htmx:
        return _private(render(request, "reception/public/screen.html#screen-rows", context))
    return _private(render(request, "reception/public/screen.html", context))


@require_GET
def checkin_code(request: HttpRequest, code: str) -> HttpResponse:
    """The confirmation e-mail's check-in link: the code, big, to type at the kiosk."""
    from frontoffice.appointments.codes import normalise_code

    try:
        normalised = normalise_code(code)
    except ValidationError:
        normalised = ""
    shown = f"{normalised[:4]}-{normalised[4:]}" if len(normalised) == 8 else ""
    return _private(render(request, "reception/public/checkin_code.html", {"code": shown}))


@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The visitor's feedback page: 1-5 and a comment, once."""
    template = "reception/public/feedback.html"
    if _throttled(request, "feedback"):
        return _private(render(request, template, {"state": "throttled"}, status=429))
    try:
        row = services.feedback_resolve(token)
    except services.LinkNotFound:
        _fail(request, "feedback")
        return _private(render(request, template, {"state": "not_found"}, status=404))
    except services.FeedbackAnswered:
        return _private(render(request, template, {"state": "answered"}, status=410))
    except services.LinkGone:
        return _private(render(request, template, {"state": "expired"}, status=410))
    form = forms.FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_submit(token=token, **form.cleaned_data)
        except services.FeedbackAnswered:
            return _private(render(request, template, {"state": "answered"}, status=410))
        except services.LinkGone:
            return _private(render(request, template, {"state": "expired"}, status=410))
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            return _private(render(request, template, {"state": "thanks"}))
    return _private(render(request, template, {"state": "ask", "form": form, "visit": row.visit}))
