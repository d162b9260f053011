"""Receivables views: send overdue reminders (the invoices due for one today, chosen in a list)
and record or resolve disputes, which pause reminders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from frontoffice.core.scoping import visible_to
from frontoffice.receivables.forms import DisputeForm, ReminderSendForm
from frontoffice.receivables.models import InvoiceDispute
from frontoffice.receivables.selectors.reminders import reminder_candidates
from frontoffice.receivables.services.reminders import (
    invoice_dispute_open,
    invoice_dispute_resolve,
    reminder_send,
)
from frontoffice.receivables.views.common import error_messages, legal_entity_for, permission

PAGE_SIZE = 100


@permission("receivables.add_reminder")
@require_http_methods(["GET", "POST"])
def reminder_list(request: HttpRequest) -> HttpResponse:
    """Invoices due for a reminder today with the level each would get; send the chosen ones.
    Each reminder is its own transaction: one refused does not hold back the others."""
    legal_entity = legal_entity_for(request)
    form = ReminderSendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        sent, refused = 0, []
        for raw in request.POST.getlist("invoice"):
            if not raw.isdigit():
                continue
            try:
                reminder_send(actor=request.user, invoice=int(raw), channel=form.cleaned_data["channel"])
            except ValidationError as exc:
                refused.extend(error_messages(exc))
            else:
                sent += 1
        if sent:
            messages.success(request, _("%(n)s reminder(s) sent.") % {"n": sent})
        for message in refused:
            messages.error(request, message)
        if not sent and not refused:
            messages.info(request, _("Choose the invoices to remind."))
        return redirect(f"{request.path}?legal_entity={legal_entity.pk}")
    candidates = reminder_candidates(user=request.user, legal_entity=legal_entity, as_of=timezone.localdate())
    page_obj = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    disputes = (
        visible_to(InvoiceDispute.objects.filter(resolved_at__isnull=True), request.user)
        .filter(invoice__legal_entity=legal_entity)
        .select_related("invoice__series", "invoice__party", "opened_by")
        .order_by("-opened_at")[:100]
    )
    context = {
        "legal_entity": legal_entity,
        "form": form,
        "page_obj": page_obj,
        "disputes": list(disputes),
        "dispute_form": DisputeForm(),
        "can_dispute": request.user.has_perm("receivables.add_invoicedispute"),
    }
    return render(request, "receivables/reminder_list.html", context)


@permission("receivables.add_invoicedispute")
@require_POST
def dispute_open(request: HttpRequest, invoice: int) -> HttpResponse:
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            invoice_dispute_open(actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Dispute recorded: no reminders go out until it is resolved."))
    else:
        messages.error(request, _("Say what the customer disputes."))
    return redirect("receivables:reminder-list")


@permission("receivables.change_invoicedispute")
@require_POST
def dispute_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        invoice_dispute_resolve(actor=request.user, dispute=pk, resolution=request.POST.get("resolution", ""))
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Dispute resolved."))
    return redirect("receivables:reminder-list")


urlpatterns = [
    path("reminders/", reminder_list, name="reminder-list"),
    path("invoices/<int:invoice>/dispute/", dispute_open, name="dispute-open"),
    path("disputes/<int:pk>/resolve/", dispute_resolve, name="dispute-resolve"),
]
