"""The customer's survey pages, without login:

- ``/s/<token>/`` the survey (CSAT 1-5 or NPS 0-10, and a comment), answered once;
- ``/s/<token>/opt-out/`` no more surveys (a confirmation button: mail scanners that follow
  links must not opt anyone out).

Requests are rate limited per client address and per token with the invoice pages' limiter;
unknown or tampered tokens count as failures. Every response is private (no-store, noindex).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from frontoffice.billing.services.links import link_failed, link_rate_limited
from frontoffice.core.throttle import client_address
from frontoffice.surveys import forms, services

PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store, private, max-age=0",
}
ANSWER = "surveys/public/answer.html"
OPT_OUT = "surveys/public/opt_out.html"


def _private(response: HttpResponse) -> HttpResponse:
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return _private(render(request, template, context, status=status))


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    address = client_address(request)
    if link_rate_limited(address=address, token=token):
        return _page(request, ANSWER, {"state": "throttled"}, 429)
    try:
        survey = services.survey_resolve(token)
    except services.LinkNotFound:
        link_failed(address=address)
        return _page(request, ANSWER, {"state": "not_found"}, 404)
    except services.SurveyAnswered:
        return _page(request, ANSWER, {"state": "answered"}, 410)
    except services.LinkGone:
        link_failed(address=address)
        return _page(request, ANSWER, {"state": "expired"}, 410)
    # The customer's language, as in the e-mail that brought them here.
    with translation.override(survey.language):
        form = forms.AnswerForm(request.POST or None, kind=survey.kind)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    services.survey_answer(token=token, **form.cleaned_data)
                except services.SurveyAnswered:
                    return _page(request, ANSWER, {"state": "answered"}, 410)
                except services.LinkGone:
                    return _page(request, ANSWER, {"state": "expired"}, 410)
                except ValidationError as exc:
                    forms.apply_errors(form, exc)
                else:
                    return _page(request, ANSWER, {"state": "thanks", "survey": survey})
            status = 400
        return _page(request, ANSWER, {"state": "ask", "form": form, "survey": survey}, status)


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    address = client_address(request)
    if link_rate_limited(address=address, token=token):
        return _page(request, OPT_OUT, {"state": "throttled"}, 429)
    try:
        found = services.survey_lookup(token)
    except services.LinkNotFound:
        link_failed(address=address)
        return _page(request, OPT_OUT, {"state": "not_found"}, 404)
    with translation.override(found.language):
        if request.method == "POST":
            services.survey_opt_out(token=token)
            return _page(request, OPT_OUT, {"state": "done", "survey": found})
        already = services.is_opted_out(found.party)
        return _page(request, OPT_OUT, {"state": "done" if already else "confirm", "survey": found})
