"""Customer documents: the customer's invoice page behind a private link, and the staff side.

Customer side (``/c/<token>/``, no sign-in; URL names in namespace ``customer``): the invoice
page, its PDF and its Peppol e-invoice. Every response is rate limited, shows only the linked
document, and carries ``noindex``, ``Referrer-Policy: same-origin`` and ``no-store``. Unknown
tokens answer 404, expired or revoked links 410, too many requests 429, each with a plain page
saying so.

Staff side (namespace ``billing``):

- ``billing:invoice-pdf`` / ``billing:invoice-ubl``: download an issued invoice's PDF or UBL
  (``billing.view_invoice``; out of scope or a draft is 404);
- ``billing:invoice-customer-links``: the "Customer link" panel of one invoice (GET), or make
  a new link (POST, ``billing.change_invoice``), shown once with a copy button;
  ``billing:invoice-customer-link-revoke``: revoke one (POST). The invoice detail page loads
  the panel with ``{% include "billing/customer/link_panel_loader.html" %}``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.billing.documents import invoice_document
from frontoffice.billing.documents.pdf import invoice_pdf
from frontoffice.billing.documents.peppol import invoice_ubl, ubl_available
from frontoffice.billing.models import CustomerLink, Invoice
from frontoffice.billing.services.links import (
    LinkGone,
    LinkNotFound,
    customer_link_list,
    link_create,
    link_failed,
    link_rate_limited,
    link_resolve,
    link_revoke,
)
from frontoffice.core.scoping import get_visible_or_404
from frontoffice.core.throttle import client_address

PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    # The token in the URL never goes to another site. Not "no-referrer": with it browsers send
    # "Origin: null" with the page's own form posts (ask, write, rate), which the CSRF check refuses.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store, private, max-age=0",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
}


def _private(response: HttpResponse) -> HttpResponse:
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


def _unavailable(request: HttpRequest, status: int, language: str | None = None) -> HttpResponse:
    messages = {
        404: _("This link does not lead to a document. Check that you copied the whole link."),
        410: _(
            "This link is no longer available: it has expired or been withdrawn. "
            "Contact us and we will send you a new one."
        ),
        429: _("Too many requests. Please wait a few minutes and try again."),
    }
    with translation.override(language or translation.get_language()):
        response = render(
            request,
            "billing/customer/unavailable.html",
            {"message": messages[status], "status": status},
            status=status,
        )
    return _private(response)


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(invoice: Invoice, extension: str) -> str:
    kind = "credit-note" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "invoice"
    return f"{kind}-{invoice.reference}.{extension}"


def customer_link_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Rate limit, resolve the token to its one invoice, answer in the invoice's language."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str) -> HttpResponse:
        address = client_address(request)
        if link_rate_limited(address=address, token=token):
            return _unavailable(request, 429)
        try:
            link = link_resolve(token)
        except LinkNotFound:
            link_failed(address=address)
            return _unavailable(request, 404)
        except LinkGone as gone:
            link_failed(address=address)
            return _unavailable(request, 410, gone.link.invoice.language)
        language = (link.invoice.language or "sv").split("-")[0]
        with translation.override(language):
            response = _private(view(request, link))
        response["Content-Language"] = language
        return response

    return wrapped


def customer_status(invoice: Invoice) -> tuple[str, str]:
    """(badge style, label) of the document as the customer should read it today."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return "info", _("Credit note")
    if invoice.status == Invoice.Status.CREDITED:
        return "muted", _("Credited")
    if invoice.status == Invoice.Status.PAID or invoice.open_amount <= 0:
        return "success", _("Paid")
    if invoice.due_on and invoice.due_on < timezone.localdate():
        return "danger", _("Overdue")
    if invoice.open_amount < invoice.total_amount:
        return "warning", _("Partly paid")
    return "warning", _("Awaiting payment")


@require_GET
@customer_link_view
def customer_invoice(request: HttpRequest, link: CustomerLink) -> HttpResponse:
    """The customer's invoice page: lines, VAT per rate, amount to pay, OCR, due date, status."""
    document = invoice_document(link.invoice)
    status_style, status_label = customer_status(document.invoice)
    context = {
        "doc": document,
        "invoice": document.invoice,
        "status_style": status_style,
        "status_label": status_label,
        "token": request.resolver_match.kwargs["token"],
        "ubl_available": ubl_available(document),
        "language": document.language,
    }
    return render(request, "billing/customer/invoice.html", context)


@require_GET
@customer_link_view
def customer_invoice_pdf(request: HttpRequest, link: CustomerLink) -> HttpResponse:
    return _attachment(invoice_pdf(link.invoice), "application/pdf", _filename(link.invoice, "pdf"))


@require_GET
@customer_link_view
def customer_invoice_xml(request: HttpRequest, link: CustomerLink) -> HttpResponse:
    try:
        data = invoice_ubl(link.invoice)
    except ValidationError:
        return _unavailable(request, 404)
    return _attachment(data, "application/xml", _filename(link.invoice, "xml"))


# ---------------------------------------------------------------- staff


def _issued_invoice(request: HttpRequest, pk: int) -> Invoice:
    return get_visible_or_404(Invoice.objects.issued().select_related("series"), request.user, pk=pk)


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
@require_GET
def invoice_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _issued_invoice(request, pk)
    return _attachment(invoice_pdf(invoice), "application/pdf", _filename(invoice, "pdf"))


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
@require_GET
def invoice_ubl_download(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _issued_invoice(request, pk)
    try:
        data = invoice_ubl(invoice)
    except ValidationError as exc:
        return render(
            request,
            "billing/customer/export_error.html",
            {"invoice": invoice, "errors": exc.messages},
            status=409,
        )
    return _attachment(data, "application/xml", _filename(invoice, "xml"))


def _panel(request: HttpRequest, invoice: Invoice, **extra: Any) -> HttpResponse:
    context = {
        "invoice": invoice,
        "links": customer_link_list(user=request.user, invoice=invoice),
        "can_manage": request.user.has_perm("billing.change_invoice"),
        "now": timezone.now(),
        **extra,
    }
    response = render(request, "billing/customer/link_panel.html", context, status=extra.get("status", 200))
    # The panel may show a new link's only copy: never cache it.
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_link_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's customer links (GET); POST makes a new one and shows it once."""
    invoice = _issued_invoice(request, pk)
    if request.method == "POST":
        try:
            made = link_create(actor=request.user, invoice=invoice)
        except ValidationError as exc:
            return _panel(request, invoice, errors=exc.messages, status=400)
        return _panel(request, invoice, new_url=request.build_absolute_uri(made.path), new_link=made.link)
    return _panel(request, invoice)


@login_required
@permission_required("billing.change_invoice", raise_exception=True)
@require_POST
def customer_link_revoke(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    invoice = _issued_invoice(request, pk)
    link = get_visible_or_404(CustomerLink.objects.filter(invoice=invoice), request.user, pk=link_pk)
    link_revoke(actor=request.user, link=link)
    return _panel(request, invoice)


urlpatterns = [
    path("invoices/<int:pk>/pdf/", invoice_pdf_download, name="invoice-pdf"),
    path("invoices/<int:pk>/ubl/", invoice_ubl_download, name="invoice-ubl"),
    path("invoices/<int:pk>/customer-links/", customer_link_panel, name="invoice-customer-links"),
    path(
        "invoices/<int:pk>/customer-links/<int:link_pk>/revoke/",
        customer_link_revoke,
        name="invoice-customer-link-revoke",
    ),
]
