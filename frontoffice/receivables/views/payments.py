"""Receivables views: the payment desk (list and unmatched queue, export, register a payment
with its allocations, detail, allocate later, undo an allocation).

Views are thin: permission first (403), then the scoped selector (404 outside the user's
scope), then one service; a refused service call re-renders the form with every message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.receivables import exports
from frontoffice.receivables.forms import PaymentFilterForm, PaymentForm, allocation_amounts
from frontoffice.receivables.models import PaymentAllocation
from frontoffice.receivables.selectors import payments as selectors
from frontoffice.receivables.services.payments import (
    AllocationInput,
    payment_allocate,
    payment_register,
    payment_unallocate,
)
from frontoffice.receivables.views.common import error_messages, legal_entity_for, permission

VIEW = "receivables.view_payment"
INVOICE_ROWS = 50


def _payments(request: HttpRequest, *, queue: bool) -> HttpResponse:
    legal_entity = legal_entity_for(request)
    form = PaymentFilterForm(request.GET)
    filters = form.filters()
    if queue:
        filters["state"] = "unallocated"
    payments = selectors.payment_list(user=request.user, legal_entity=legal_entity, **filters)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers, rows = exports.payment_rows(payments.iterator(chunk_size=500))
        return exports.response(fmt, _("payments"), _("Payments"), headers, rows)
    page_obj = Paginator(payments, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "legal_entity": legal_entity,
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "queue": queue,
        "list_url": "receivables:payment-queue" if queue else "receivables:payment-list",
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "receivables/payment_list.html#payment-results", context)
    return render(request, "receivables/payment_list.html", context)


@permission(VIEW)
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    """Every payment, filtered and searched; ``?format=csv|xlsx`` downloads the filtered list."""
    return _payments(request, queue=False)


@permission(VIEW)
@require_GET
def payment_queue(request: HttpRequest) -> HttpResponse:
    """The unmatched queue: payments with money not yet allocated to an invoice."""
    return _payments(request, queue=True)


@dataclass
class InvoiceRow:
    invoice: Any
    amount: str = ""
    error: str = ""


def _invoice_rows(
    request: HttpRequest,
    legal_entity: Any,
    party: Any = None,
    amounts: dict[int, Any] | None = None,
    errors: dict[int, str] | None = None,
) -> list[InvoiceRow]:
    """Open invoices to allocate to (at most 50, filtered by ``invoice_q``), with what was typed."""
    q = request.GET.get("invoice_q") or request.POST.get("invoice_q") or ""
    amounts, errors = amounts or {}, errors or {}
    invoices = selectors.allocatable_invoices(user=request.user, legal_entity=legal_entity, party=party, q=q)
    rows = [InvoiceRow(i, str(amounts.get(i.pk, "")), errors.get(i.pk, "")) for i in invoices[:INVOICE_ROWS]]
    shown = {r.invoice.pk for r in rows}
    missing = (set(amounts) | set(errors)) - shown
    if missing:  # keep rows the user typed into visible even when the filter changed
        extra = selectors.allocatable_invoices(user=request.user, legal_entity=legal_entity).filter(
            pk__in=missing
        )
        rows = [InvoiceRow(i, str(amounts.get(i.pk, "")), errors.get(i.pk, "")) for i in extra] + rows
    return rows


@permission("receivables.add_payment")
@require_http_methods(["GET", "POST"])
def payment_create(request: HttpRequest) -> HttpResponse:
    """Register a payment received and allocate it to open invoices (HTMX filters the rows)."""
    legal_entity = legal_entity_for(request)
    if request.method == "GET" and request.htmx and not request.htmx.boosted:
        context = {"invoice_rows": _invoice_rows(request, legal_entity)}
        return render(request, "receivables/payment_form.html#invoice-rows", context)
    form = PaymentForm(request.POST or None, currency=legal_entity.base_currency)
    amounts, row_errors = allocation_amounts(request.POST) if request.method == "POST" else ([], {})
    errors: list[str] = []
    if request.method == "POST" and form.is_valid() and not row_errors:
        data = form.cleaned_data
        try:
            payment = payment_register(
                actor=request.user,
                legal_entity=legal_entity,
                paid_on=data["paid_on"],
                amount=data["amount"],
                currency=data["currency"],
                payer_name=data["payer_name"],
                reference=data["reference"],
                note=data["note"],
                allocations=[AllocationInput(invoice_id, amount) for invoice_id, amount in amounts],
                idempotency_key=data["idempotency_key"] or None,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, field_errors in exc.error_dict.items():
                    target = field if field in form.fields else None
                    for error in field_errors:
                        if target:
                            form.add_error(target, error)
                        else:
                            errors.extend(error.messages)
            else:
                errors = list(exc.messages)
        else:
            messages.success(
                request,
                _("Payment of %(amount)s registered (voucher %(voucher)s).")
                % {"amount": payment.amount, "voucher": payment.voucher.reference},
            )
            return redirect("receivables:payment-detail", pk=payment.pk)
    context = {
        "legal_entity": legal_entity,
        "form": form,
        "invoice_rows": _invoice_rows(request, legal_entity, amounts=dict(amounts), errors=row_errors),
        "errors": errors,
    }
    return render(
        request, "receivables/payment_form.html", context, status=400 if request.method == "POST" else 200
    )


def _detail(
    request: HttpRequest,
    pk: int,
    *,
    errors: list[str] | None = None,
    amounts: dict[int, Any] | None = None,
    row_errors: dict[int, str] | None = None,
) -> HttpResponse:
    payment = selectors.payment_get(user=request.user, pk=pk)
    can_change = request.user.has_perm("receivables.change_payment")
    rows: list[InvoiceRow] = []
    if can_change and payment.unallocated_amount > 0:
        rows = _invoice_rows(
            request, payment.legal_entity_id, party=payment.party_id, amounts=amounts, errors=row_errors
        )
        if not rows and payment.party_id:  # nothing open for this customer: offer every open invoice
            rows = _invoice_rows(request, payment.legal_entity_id, amounts=amounts, errors=row_errors)
    context = {
        "payment": payment,
        "allocations": list(payment.allocations.all()),
        "can_change": can_change,
        "invoice_rows": rows,
        "errors": errors or [],
    }
    return render(request, "receivables/payment_detail.html", context, status=400 if errors else 200)


@permission(VIEW)
@require_GET
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@permission("receivables.change_payment")
@require_POST
def payment_allocate_view(request: HttpRequest, pk: int) -> HttpResponse:
    payment = selectors.payment_get(user=request.user, pk=pk)
    amounts, row_errors = allocation_amounts(request.POST)
    if row_errors:
        return _detail(request, pk, errors=list(row_errors.values()), row_errors=row_errors)
    try:
        payment_allocate(
            actor=request.user,
            payment=payment,
            allocations=[AllocationInput(invoice_id, amount) for invoice_id, amount in amounts],
            idempotency_key=(request.POST.get("idempotency_key") or "")[:100] or None,
        )
    except ValidationError as exc:
        return _detail(request, pk, errors=error_messages(exc), amounts=dict(amounts))
    messages.success(request, _("Payment allocated."))
    return redirect("receivables:payment-detail", pk=pk)


@permission("receivables.change_payment")
@require_POST
def allocation_undo(request: HttpRequest, pk: int) -> HttpResponse:
    from frontoffice.core.scoping import get_visible_or_404

    allocation = get_visible_or_404(PaymentAllocation.objects.all(), request.user, pk=pk)
    payment = selectors.payment_get(user=request.user, pk=allocation.payment_id)
    try:
        payment_unallocate(actor=request.user, allocation=allocation)
    except ValidationError as exc:
        return _detail(request, payment.pk, errors=error_messages(exc))
    messages.success(request, _("The allocation was undone; the invoice is open again."))
    return redirect("receivables:payment-detail", pk=payment.pk)


urlpatterns = [
    path("payments/", payment_list, name="payment-list"),
    path("payments/unmatched/", payment_queue, name="payment-queue"),
    path("payments/new/", payment_create, name="payment-create"),
    path("payments/<int:pk>/", payment_detail, name="payment-detail"),
    path("payments/<int:pk>/allocate/", payment_allocate_view, name="payment-allocate"),
    path("allocations/<int:pk>/undo/", allocation_undo, name="allocation-undo"),
]
