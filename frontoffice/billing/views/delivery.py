"""Invoice delivery: "Send by e-mail" on the invoice detail page.

Thin: the permission first (403), then the scoped selector (404 outside the user's scope),
then ``services.delivery.invoice_send``; a refusal (draft, other delivery method, no address)
comes back as a message on the detail page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontoffice.billing.selectors import invoices as selectors
from frontoffice.billing.services.delivery import invoice_send


@login_required
@permission_required("billing.change_invoice", raise_exception=True)
@require_POST
def invoice_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    try:
        invoice = invoice_send(actor=request.user, invoice=invoice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(reference)s is on its way to %(email)s.")
            % {"reference": invoice.reference, "email": invoice.buyer_email},
        )
    return redirect("billing:invoice-detail", pk=pk)


urlpatterns = [
    path("invoices/<int:pk>/send/", invoice_send_view, name="invoice-send"),
]
