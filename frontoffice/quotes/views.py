"""Quote pages (staff): list with filters, create (from a customer or an opportunity, or from an
invoice), the detail page with HTMX line editing and live totals, approval, send, withdraw,
PDF, convert to invoice. Views are thin: a form, one service or selector, a render. Missing
permission is 403; a quote outside the user's scope is 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.billing.models import Invoice
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.core.selectors import audit_trail_for
from frontoffice.finance.forms import add_service_errors
from frontoffice.parties.models import Party
from frontoffice.pricing.selectors import approval_history, can_decide, pending_request, user_authority
from frontoffice.quotes import selectors, services
from frontoffice.quotes.forms import (
    DecisionForm,
    QuoteCreateForm,
    QuoteFilterForm,
    QuoteHeaderForm,
    QuoteLineForm,
)
from frontoffice.quotes.models import Quote
from frontoffice.quotes.pdf import quote_pdf

VIEW = services.VIEW_PERM
ADD = services.ADD_PERM
CHANGE = services.CHANGE_PERM
SEND = services.SEND_PERM
APPROVE = services.APPROVE_PERM


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------- list


@_permission(VIEW)
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = visible_to(Quote.objects.all(), user)
    customers = Party.objects.filter(pk__in=visible.values("party_id")).order_by("display_name")
    owners = (
        get_user_model().objects.filter(pk__in=visible.values("owner_id")).order_by("first_name", "last_name")
    )
    form = QuoteFilterForm(request.GET, customers=customers, owners=owners)
    filters = form.filters()
    quotes = selectors.quote_list(user=user, **filters)
    page_obj = Paginator(quotes, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "statuses": Quote.Status,
        "status": filters["status"],
    }
    if _fragment(request):
        return render(request, "quotes/quote_list.html#quote-results", context)
    return render(request, "quotes/quote_list.html", context)


# ---------------------------------------------------------------- create


def _opportunity(request: HttpRequest, value: Any) -> Any:
    if not value or not any(f.name == "opportunity" for f in Quote._meta.get_fields()):
        return None
    from frontoffice.sales.models import Opportunity

    return get_visible_or_404(Opportunity.objects.select_related("party"), request.user, pk=value)


@_permission(ADD)
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest) -> HttpResponse:
    """GET ``?party=<id>`` and/or ``?opportunity=<id>``: the form, prefilled; POST: a new draft."""
    customers = selectors.quote_customer_choices(user=request.user)
    source = request.POST if request.method == "POST" else request.GET
    opportunity = _opportunity(request, source.get("opportunity"))
    initial = {}
    if opportunity is not None:
        initial["customer"] = str(opportunity.party_id)
    elif request.GET.get("party"):
        initial["customer"] = request.GET["party"]
    form = QuoteCreateForm(request.POST or None, customers=customers, initial=initial)
    if request.method == "POST" and form.is_valid():
        party = get_visible_or_404(Party.objects.all(), request.user, pk=form.cleaned_data["customer"])
        try:
            quote = services.quote_create(
                actor=request.user,
                party=party,
                opportunity=opportunity,
                valid_until=form.cleaned_data.get("valid_until"),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(
                    form,
                    ValidationError(
                        {("customer" if k == "party" else k): v for k, v in exc.error_dict.items()}
                    ),
                )
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request, _("Quote %(number)s created. Add its lines.") % {"number": quote.reference}
            )
            return redirect("quotes:quote-detail", pk=quote.pk)
    return render(request, "quotes/quote_form.html", {"form": form, "opportunity": opportunity})


@_permission(ADD)
@require_http_methods(["GET", "POST"])
def quote_from_invoice_view(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """A new quote with the invoice's products, priced today: a repeat order. GET (the link
    other pages show) asks to confirm; POST makes the quote."""
    invoice = get_visible_or_404(Invoice.objects.select_related("party"), request.user, pk=invoice_id)
    if request.method == "GET":
        lines = list(
            invoice.lines.filter(product__isnull=False).select_related("product").order_by("line_no")
        )
        return render(request, "quotes/quote_from_invoice.html", {"invoice": invoice, "lines": lines})
    try:
        quote = services.quote_from_invoice(actor=request.user, invoice=invoice)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("billing:invoice-detail", pk=invoice_id)
    messages.success(request, _("Quote %(number)s made from the invoice.") % {"number": quote.reference})
    return redirect("quotes:quote-detail", pk=quote.pk)


# ---------------------------------------------------------------- detail


def _line_form(quote: Quote, data: Any = None, line: Any = None) -> QuoteLineForm:
    return QuoteLineForm(
        data,
        products=selectors.quote_product_choices(legal_entity=quote.legal_entity_id) if line is None else (),
        vat_codes=selectors.quote_vat_code_choices(legal_entity=quote.legal_entity_id),
        line=line,
        prefix="line" if line is None else f"line-{line.pk}",
    )


def _context(request: HttpRequest, quote: Quote, **extra: Any) -> dict[str, Any]:
    user = request.user
    is_draft = quote.status == Quote.Status.DRAFT
    can_edit = is_draft and user.has_perm(CHANGE)
    lines = selectors.quote_lines(quote)
    request_pending = pending_request(quote) if quote.approval_status == Quote.Approval.PENDING else None
    needs_approval = is_draft and services.quote_needs_approval(quote, user)
    context = {
        "quote": quote,
        "lines": lines,
        "totals": services.quote_totals(quote, lines),
        "currency": quote.currency,
        "entries": audit_trail_for(user=user, obj=quote),
        "decisions": approval_history(quote),
        "pending_request": request_pending,
        "can_decide": can_decide(user=user, request=request_pending, perm=APPROVE),
        "can_edit": can_edit,
        "can_send": quote.status in (Quote.Status.DRAFT, Quote.Status.SENT) and user.has_perm(SEND),
        "needs_approval": needs_approval,
        "can_request_approval": can_edit
        and needs_approval
        and quote.approval_status != Quote.Approval.PENDING,
        "authority": user_authority(user=user, legal_entity=quote.legal_entity_id),
        "can_withdraw": quote.status == Quote.Status.SENT and user.has_perm(CHANGE),
        "can_invoice": quote.status == Quote.Status.ACCEPTED and user.has_perm("billing.add_invoice"),
        "links": list(selectors.quote_links(user=user, quote=quote)[:10]),
        "decision_form": DecisionForm(),
        **extra,
    }
    if can_edit:
        context.setdefault("line_form", _line_form(quote))
        context.setdefault("header_form", QuoteHeaderForm(initial=QuoteHeaderForm.initial_for(quote)))
    return context


def _detail(request: HttpRequest, quote: Quote, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "quotes/quote_detail.html", _context(request, quote, **extra), status=status)


def _lines_fragment(request: HttpRequest, quote: Quote, **extra: Any) -> HttpResponse:
    return render(request, "quotes/quote_detail.html#quote-lines", _context(request, quote, **extra))


def _get(request: HttpRequest, pk: int) -> Quote:
    return selectors.quote_get(user=request.user, pk=pk)


@_permission(VIEW)
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


@_permission(CHANGE)
@require_POST
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _get(request, pk)
    form = QuoteHeaderForm(request.POST)
    if form.is_valid():
        try:
            services.quote_update(actor=request.user, quote=quote, **form.cleaned_data)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect("quotes:quote-detail", pk=pk)
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Quote saved."))
            return redirect("quotes:quote-detail", pk=pk)
    return _detail(request, _get(request, pk), header_form=form)


@_permission(CHANGE)
@require_POST
def quote_line_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a line. HTMX: the lines region comes back (with the form's errors, if any)."""
    quote = _get(request, pk)
    form = _line_form(quote, request.POST)
    if form.is_valid():
        try:
            services.quote_line_add(actor=request.user, quote=quote, **form.service_fields())
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect("quotes:quote-detail", pk=pk)
            add_service_errors(form, exc)
        else:
            if _fragment(request):
                return _lines_fragment(request, _get(request, pk))
            return redirect("quotes:quote-detail", pk=pk)
    if _fragment(request):
        return _lines_fragment(request, quote, line_form=form)
    return _detail(request, quote, line_form=form)


@_permission(CHANGE)
@require_POST
def quote_line_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Live totals while a line is typed; nothing saved. ``line`` in the query: the line changed."""
    quote = _get(request, pk)
    line = selectors.quote_line_get(quote=quote, pk=request.GET["line"]) if request.GET.get("line") else None
    form = _line_form(quote, request.POST, line=line)
    context: dict[str, Any] = {"quote": quote, "currency": quote.currency, "preview_errors": []}
    if form.is_valid():
        try:
            values, totals = services.quote_line_preview(quote=quote, line=line, **form.service_fields())
        except ValidationError as exc:
            context["preview_errors"] = exc.messages
        else:
            context.update(preview=values, preview_totals=totals)
    else:
        context["preview_errors"] = [e for errors in form.errors.values() for e in errors]
    return render(request, "quotes/quote_detail.html#line-preview", context)


@_permission(CHANGE)
@require_http_methods(["GET", "POST"])
def quote_line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    quote = _get(request, pk)
    line = selectors.quote_line_get(quote=quote, pk=line_pk)
    context = _context(request, quote)
    if request.method == "GET":
        if request.GET.get("cancel"):
            return render(request, "quotes/quote_detail.html#line-row", {**context, "line": line})
        return render(
            request,
            "quotes/quote_detail.html#line-edit-row",
            {**context, "line": line, "form": _line_form(quote, line=line)},
        )
    form = _line_form(quote, request.POST, line=line)
    if form.is_valid():
        try:
            services.quote_line_update(actor=request.user, line=line, **form.service_fields())
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect("quotes:quote-detail", pk=pk)
            add_service_errors(form, exc)
        else:
            if _fragment(request):
                return _lines_fragment(request, _get(request, pk))
            return redirect("quotes:quote-detail", pk=pk)
    return render(request, "quotes/quote_detail.html#line-edit-row", {**context, "line": line, "form": form})


@_permission(CHANGE)
@require_POST
def quote_line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    quote = _get(request, pk)
    line = selectors.quote_line_get(quote=quote, pk=line_pk)
    try:
        services.quote_line_remove(actor=request.user, line=line)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("quotes:quote-detail", pk=pk)
    if _fragment(request):
        return _lines_fragment(request, _get(request, pk))
    return redirect("quotes:quote-detail", pk=pk)


# ---------------------------------------------------------------- transitions


def _action(request: HttpRequest, pk: int, call: Callable[[Quote], Any], success: str) -> HttpResponse:
    quote = _get(request, pk)
    try:
        call(quote)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You do not have permission to do this."))
    else:
        messages.success(request, success % {"number": quote.reference})
    return redirect("quotes:quote-detail", pk=pk)


@_permission(CHANGE)
@require_POST
def quote_request_approval_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda q: services.quote_approval_request(actor=request.user, quote=q),
        _("The discount on %(number)s was sent for approval (or approved within your authority)."),
    )


@_permission(APPROVE)
@require_POST
def quote_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    return _action(
        request,
        pk,
        lambda q: services.quote_approve(actor=request.user, quote=q, comment=comment),
        _("The discount on %(number)s is approved."),
    )


@_permission(APPROVE)
@require_POST
def quote_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    return _action(
        request,
        pk,
        lambda q: services.quote_reject(actor=request.user, quote=q, comment=comment),
        _("The discount on %(number)s is rejected."),
    )


@_permission(SEND)
@require_POST
def quote_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda q: services.quote_send(actor=request.user, quote=q),
        _("Quote %(number)s sent, with a private link to accept it online."),
    )


@_permission(CHANGE)
@require_POST
def quote_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda q: services.quote_withdraw(actor=request.user, quote=q),
        _("Quote %(number)s is a draft again; its links no longer work."),
    )


@_permission(VIEW)
@require_POST
def quote_invoice_view(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _get(request, pk)
    try:
        invoice = services.quote_to_invoice(actor=request.user, quote=quote)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("quotes:quote-detail", pk=pk)
    except PermissionDenied:
        messages.error(request, _("You do not have permission to do this."))
        return redirect("quotes:quote-detail", pk=pk)
    messages.success(request, _("Draft invoice made from quote %(number)s.") % {"number": quote.reference})
    return redirect("billing:invoice-detail", pk=invoice.pk)


@_permission(VIEW)
@require_GET
def quote_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    quote = _get(request, pk)
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="quote-{quote.reference}.pdf"'
    return response
