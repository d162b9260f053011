"""The customer's quote page behind a private link (``/q/<token>/``, no sign-in): the quote, its
PDF, Accept (name + confirmation) and Decline (reason). Rate limited like the invoice pages;
shows only the linked quote; unknown tokens 404, expired or revoked links 410, too many
requests 429; private headers (noindex, no-store, same-origin referrer)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET, require_http_methods

from frontoffice.billing.views.customer import _private, _unavailable
from frontoffice.core.throttle import client_address
from frontoffice.quotes import selectors, services
from frontoffice.quotes.forms import AcceptForm, DeclineForm
from frontoffice.quotes.links import (
    LinkGone,
    LinkNotFound,
    link_failed,
    link_rate_limited,
    quote_link_resolve,
)
from frontoffice.quotes.models import Quote, QuoteLink
from frontoffice.quotes.pdf import quote_pdf


def _language(quote: Quote) -> str:
    language = (quote.language or "sv").split("-")[0]
    return language if language in ("sv", "en") else "en"


def customer_quote_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Rate limit, resolve the token to its one quote, answer in the quote's language."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponse:
        address = client_address(request)
        if link_rate_limited(address=address, token=token):
            return _unavailable(request, 429)
        try:
            link = quote_link_resolve(token)
        except LinkNotFound:
            link_failed(address=address)
            return _unavailable(request, 404)
        except LinkGone as gone:
            link_failed(address=address)
            return _unavailable(request, 410, _language(gone.link.quote))
        language = _language(link.quote)
        with translation.override(language):
            response = _private(view(request, link, token))
        response["Content-Language"] = language
        return response

    return wrapped


def _page(request: HttpRequest, link: QuoteLink, token: str, status: int = 200, **extra) -> HttpResponse:
    quote = link.quote
    lines = selectors.quote_lines(quote)
    context = {
        "quote": quote,
        "lines": lines,
        "totals": services.quote_totals(quote, lines),
        "currency": quote.currency,
        "token": token,
        "open": quote.status == Quote.Status.SENT and quote.valid_until >= timezone.localdate(),
        "accept_form": AcceptForm(),
        "decline_form": DeclineForm(),
        **extra,
    }
    return render(request, "quotes/customer/quote.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_quote_view
def customer_quote(request: HttpRequest, link: QuoteLink, token: str) -> HttpResponse:
    """GET: the quote. POST ``action=accept`` (name, confirm) or ``action=decline`` (reason)."""
    if request.method == "GET":
        return _page(request, link, token)
    action = request.POST.get("action")
    if action == "accept":
        form = AcceptForm(request.POST)
        if form.is_valid():
            try:
                services.quote_accept(
                    quote=link.quote, name=form.cleaned_data["name"], confirmed=form.cleaned_data["confirm"]
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                return redirect("customer_quote:quote", token=token)
        link.quote.refresh_from_db()
        return _page(request, link, token, status=400, accept_form=form)
    if action == "decline":
        form = DeclineForm(request.POST)
        if form.is_valid():
            try:
                services.quote_decline(quote=link.quote, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("customer_quote:quote", token=token)
        link.quote.refresh_from_db()
        return _page(request, link, token, status=400, decline_form=form)
    return _page(request, link, token, status=400)


@require_GET
@customer_quote_view
def customer_quote_pdf(request: HttpRequest, link: QuoteLink, token: str) -> HttpResponse:
    response = HttpResponse(quote_pdf(link.quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="quote-{link.quote.reference}.pdf"'
    return response
