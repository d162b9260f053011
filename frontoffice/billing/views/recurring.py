"""Recurring invoice pages: the list (state tabs, search, pagination), setting one up or
changing it (customer, template lines, interval, next and last invoice date), pausing and
resuming it, and its run history (the invoices it issued). Thin: permission (403), scoped
selector (404), one service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.billing.forms_recurring import RecurringFilterForm, RecurringForm, line_forms, template_lines
from frontoffice.billing.models import RecurringInvoice
from frontoffice.billing.selectors import invoices as invoice_selectors
from frontoffice.billing.selectors import recurring as selectors
from frontoffice.billing.services.recurring import (
    recurring_invoice_create,
    recurring_invoice_pause,
    recurring_invoice_resume,
    recurring_invoice_update,
)
from frontoffice.core.selectors import audit_trail_for
from frontoffice.finance.forms import add_service_errors

VIEW = "billing.view_invoice"
ADD = "billing.add_invoice"
CHANGE = "billing.change_invoice"


def _permission(perm: str) -> Any:
    def decorator(view: Any) -> Any:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


@_permission(VIEW)
@require_GET
def recurring_list(request: HttpRequest) -> HttpResponse:
    form = RecurringFilterForm(request.GET)
    rows = selectors.recurring_list(user=request.user, **form.filters())
    page_obj = Paginator(rows, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "state": form.filters()["state"],
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "billing/recurring/recurring_list.html#recurring-results", context)
    return render(request, "billing/recurring/recurring_list.html", context)


def _form_context(
    request: HttpRequest, legal_entity: Any, recurring: RecurringInvoice | None
) -> dict[str, Any]:
    data = request.POST if request.method == "POST" else None
    customers = invoice_selectors.invoice_customer_choices(user=request.user, legal_entity=legal_entity)
    form = RecurringForm(data, customers=customers, recurring=recurring)
    le_id = legal_entity or (recurring.legal_entity_id if recurring else None)
    products = invoice_selectors.invoice_product_choices(legal_entity=le_id) if le_id else ()
    vat_codes = invoice_selectors.invoice_vat_code_choices(legal_entity=le_id) if le_id else ()
    lines = line_forms(data, products=products, vat_codes=vat_codes, recurring=recurring)
    return {"form": form, "line_forms": lines, "customers": customers, "recurring": recurring}


def _service_errors(context: dict[str, Any], exc: ValidationError, rows: list[int]) -> None:
    form, lines = context["form"], context["line_forms"]
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    header: dict[str, Any] = {}
    for key, errors in exc.error_dict.items():
        if key.startswith("lines."):
            parts = key.split(".")
            row = lines[rows[int(parts[1])]] if parts[1].isdigit() and int(parts[1]) < len(rows) else None
            field = parts[2] if len(parts) > 2 and row is not None and parts[2] in row.fields else None
            for error in errors:
                (row or form).add_error(field, error.messages)
        else:
            header["customer" if key == "party" else (NON_FIELD_ERRORS if key == "lines" else key)] = errors
    if header:
        add_service_errors(form, ValidationError(header))


def _own_legal_entity(request: HttpRequest) -> Any:
    from frontoffice.core.scoping import user_scope

    return user_scope(request.user).legal_entity_id


@_permission(ADD)
@require_http_methods(["GET", "POST"])
def recurring_create(request: HttpRequest) -> HttpResponse:
    context = _form_context(request, _own_legal_entity(request), None)
    if request.method == "POST" and context["form"].is_valid():
        parsed = template_lines(context["line_forms"])
        if parsed is not None:
            lines, rows = parsed
            data = context["form"].cleaned_data
            try:
                recurring = recurring_invoice_create(
                    actor=request.user,
                    party=data["customer"],
                    lines=lines,
                    next_run_on=data["next_run_on"],
                    interval_months=data["interval_months"],
                    end_on=data.get("end_on"),
                    description=data.get("description") or "",
                )
            except ValidationError as exc:
                _service_errors(context, exc, rows)
            else:
                messages.success(request, _("Recurring invoice set up."))
                return redirect("billing:recurring-detail", pk=recurring.pk)
    return render(request, "billing/recurring/recurring_form.html", context)


@_permission(CHANGE)
@require_http_methods(["GET", "POST"])
def recurring_edit(request: HttpRequest, pk: int) -> HttpResponse:
    recurring = selectors.recurring_get(user=request.user, pk=pk)
    context = _form_context(request, recurring.legal_entity_id, recurring)
    if request.method == "POST" and context["form"].is_valid():
        parsed = template_lines(context["line_forms"])
        if parsed is not None:
            lines, rows = parsed
            data = context["form"].cleaned_data
            try:
                recurring_invoice_update(
                    actor=request.user,
                    recurring=recurring,
                    lines=lines,
                    next_run_on=data["next_run_on"],
                    interval_months=data["interval_months"],
                    end_on=data.get("end_on"),
                    description=data.get("description") or "",
                )
            except ValidationError as exc:
                _service_errors(context, exc, rows)
            else:
                messages.success(request, _("Recurring invoice saved."))
                return redirect("billing:recurring-detail", pk=pk)
    return render(request, "billing/recurring/recurring_form.html", context)


@_permission(VIEW)
@require_GET
def recurring_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recurring = selectors.recurring_get(user=request.user, pk=pk)
    return render(
        request,
        "billing/recurring/recurring_detail.html",
        {
            "recurring": recurring,
            "lines": selectors.recurring_lines_display(recurring),
            "state": selectors.recurring_state(recurring),
            "runs": list(recurring.runs.all()),
            "entries": audit_trail_for(user=request.user, obj=recurring),
            "can_change": request.user.has_perm(CHANGE),
        },
    )


@_permission(CHANGE)
@require_POST
def recurring_toggle(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    recurring = selectors.recurring_get(user=request.user, pk=pk)
    service = {"pause": recurring_invoice_pause, "resume": recurring_invoice_resume}.get(action)
    if service is None:
        raise Http404
    try:
        service(actor=request.user, recurring=recurring)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Paused.") if action == "pause" else _("Resumed."))
    return redirect("billing:recurring-detail", pk=pk)


urlpatterns = [
    path("recurring/", recurring_list, name="recurring-list"),
    path("recurring/new/", recurring_create, name="recurring-create"),
    path("recurring/<int:pk>/", recurring_detail, name="recurring-detail"),
    path("recurring/<int:pk>/edit/", recurring_edit, name="recurring-edit"),
    path("recurring/<int:pk>/pause/", recurring_toggle, {"action": "pause"}, name="recurring-pause"),
    path("recurring/<int:pk>/resume/", recurring_toggle, {"action": "resume"}, name="recurring-resume"),
]
