"""Invoice views: the list (filters, search, pagination, CSV/XLSX export, issuing drafts in a
batch), new drafts, the draft editor (HTMX line editing with live totals), the detail page
(lines, VAT per rate, voucher, credit notes, audit trail) and the issue and credit actions.

Views are thin: the permission first (403), then the scoped selector (404 outside the user's
scope: another legal entity, or a sales rep's colleague's customer), then one service. A
posting the ledger rejects re-renders the page with every violated standard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.billing.forms_invoices import (
    CreditNoteForm,
    InvoiceDraftForm,
    InvoiceFilterForm,
    InvoiceLineForm,
)
from frontoffice.billing.models import BillingSettings, Invoice
from frontoffice.billing.selectors import invoices as selectors
from frontoffice.billing.selectors.discounts import invoice_discount_state
from frontoffice.billing.services.crediting import credit_note_create
from frontoffice.billing.services.discounts import (
    invoice_discount_approve,
    invoice_discount_reject,
    invoice_discount_submit,
)
from frontoffice.billing.services.invoicing import (
    invoice_draft_create,
    invoice_draft_update,
    invoice_issue,
    invoice_line_add,
    invoice_line_preview,
    invoice_line_remove,
    invoice_line_update,
    invoices_issue_batch,
)
from frontoffice.core.selectors import audit_trail_for
from frontoffice.finance.forms import add_service_errors
from frontoffice.finance.services.standards import PostingRejected

VIEW = "billing.view_invoice"
ADD = "billing.add_invoice"
CHANGE = "billing.change_invoice"
ISSUE = "billing.issue_invoice"
EXPORT_FORMATS = ("csv", "xlsx")


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------- list and export


def _filtered(request: HttpRequest) -> tuple[InvoiceFilterForm, Any]:
    customers = selectors.invoice_customer_choices(user=request.user)
    form = InvoiceFilterForm(request.GET, customers=customers)
    return form, selectors.invoice_list(user=request.user, **form.filters())


@_permission(VIEW)
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    form, invoices = _filtered(request)
    page_obj = Paginator(invoices, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "statuses": Invoice.Status,
        "status": form.filters()["status"],
        "can_issue": request.user.has_perm(ISSUE),
        "export_query": request.GET.urlencode(),
    }
    if _fragment(request):
        return render(request, "billing/invoices/invoice_list.html#invoice-results", context)
    return render(request, "billing/invoices/invoice_list.html", context)


# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _export_rows(invoices: Iterable[Invoice]) -> Iterable[list[Any]]:
    for invoice in invoices:
        yield [
            invoice.reference or _("Draft %(id)s") % {"id": invoice.pk},
            invoice.get_kind_display(),
            invoice.get_status_display(),
            invoice.buyer_name or invoice.party.display_name,
            invoice.buyer_organisation_number,
            invoice.issue_on,
            invoice.due_on,
            invoice.net_amount,
            invoice.vat_amount,
            invoice.rounding_amount,
            invoice.total_amount,
            invoice.open_amount,
            invoice.currency,
            invoice.payment_reference,
            invoice.credits.reference if invoice.credits_id else "",
        ]


def _export_header() -> list[str]:
    return [
        _("Number"),
        _("Document"),
        _("Status"),
        _("Customer"),
        _("Organisation number"),
        _("Invoice date"),
        _("Due date"),
        _("Net"),
        _("VAT"),
        _("Rounding"),
        _("Total"),
        _("Open amount"),
        _("Currency"),
        _("OCR reference"),
        _("Credits invoice"),
    ]


def _to_csv(rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with BOM, semicolons, decimal comma in Swedish, no digit grouping; dates ISO."""
    comma = (get_language() or "").startswith("sv")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_export_header())
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                text = f"{value:.2f}"
                cells.append(text.replace(".", ",") if comma else text)
            elif hasattr(value, "isoformat"):
                cells.append(value.isoformat())
            else:
                cells.append(_text(value))
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _to_xlsx(rows: Iterable[list[Any]]) -> bytes:
    """One sheet: a bold header, amounts as numbers with two decimals, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Invoices"))
    sheet.append(_export_header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                value if isinstance(value, Decimal) or hasattr(value, "isoformat") else _text(value)
                for value in row
            ]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif hasattr(cell.value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
    for letter, width in zip(
        "ABCDEFGHIJKLMNO", (16, 14, 12, 36, 16, 12, 12, 14, 14, 10, 14, 14, 9, 22, 16), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@_permission(VIEW)
@require_GET
def invoice_export(request: HttpRequest) -> HttpResponse:
    """The filtered list (every page, only what the user may see) as CSV or XLSX."""
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    _form, invoices = _filtered(request)
    rows = _export_rows(selectors.invoice_export_rows(invoices))
    content = _to_csv(rows) if fmt == "csv" else _to_xlsx(rows)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="invoices-{timezone.localdate().isoformat()}.{fmt}"'
    )
    return response


@_permission(ISSUE)
@require_POST
def invoice_issue_batch(request: HttpRequest) -> HttpResponse:
    """Issue the drafts ticked on the list, all or nothing."""
    ids = [value for value in request.POST.getlist("invoice") if value.isdigit()]
    drafts = list(selectors.invoice_list(user=request.user, status=Invoice.Status.DRAFT).filter(pk__in=ids))
    if not ids or len(drafts) != len(set(ids)):
        messages.error(request, _("Choose drafts you can see to issue."))
        return redirect("billing:invoice-list")
    by_id = {d.pk: d for d in drafts}
    try:
        issued = invoices_issue_batch(
            actor=request.user, invoices=[by_id[int(i)] for i in dict.fromkeys(ids)]
        )
    except ValidationError as exc:
        messages.error(
            request, _("Nothing was issued. %(problems)s") % {"problems": _batch_problems(exc, by_id)}
        )
        return redirect("billing:invoice-list")
    messages.success(
        request,
        _("%(n)s invoices issued: %(first)s to %(last)s.")
        % {"n": len(issued), "first": issued[0].reference, "last": issued[-1].reference},
    )
    return redirect("billing:invoice-list")


def _batch_problems(exc: ValidationError, by_id: dict[int, Invoice]) -> str:
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for key, errors in exc.error_dict.items():
        text = " ".join(message for error in errors for message in error.messages)
        pk = key.rsplit(".", 1)[-1]
        draft = by_id.get(int(pk)) if pk.isdigit() else None
        parts.append(
            _("Draft for %(customer)s: %(problem)s") % {"customer": draft.buyer_name, "problem": text}
            if draft
            else text
        )
    return " ".join(parts)


# ---------------------------------------------------------------- drafts


@_permission(ADD)
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest) -> HttpResponse:
    customers = selectors.invoice_customer_choices(user=request.user)
    initial = {"customer": request.GET.get("customer", "")}
    form = InvoiceDraftForm(request.POST or None, customers=customers, initial=initial)
    del form.fields["payment_terms_days"]
    if request.method == "POST" and form.is_valid():
        profile = next((p for p in customers if str(p.party_id) == form.cleaned_data["customer"]), None)
        if profile is None:
            raise Http404
        try:
            invoice = invoice_draft_create(
                actor=request.user,
                legal_entity=profile.legal_entity_id,
                **form.service_fields(for_create=True),
            )
        except ValidationError as exc:
            add_service_errors(form, _renamed(exc, {"party": "customer"}))
        else:
            messages.success(request, _("Draft created. Add its lines, then issue it."))
            return redirect("billing:invoice-detail", pk=invoice.pk)
    return render(request, "billing/invoices/invoice_form.html", {"form": form})


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})


def _round_to_whole_krona(invoice: Invoice) -> bool:
    return bool(
        BillingSettings.objects.filter(legal_entity_id=invoice.legal_entity_id)
        .values_list("round_to_whole_krona", flat=True)
        .first()
    )


def _line_form(request: HttpRequest, invoice: Invoice, data: Any = None, line: Any = None) -> InvoiceLineForm:
    return InvoiceLineForm(
        data,
        products=selectors.invoice_product_choices(legal_entity=invoice.legal_entity_id)
        if line is None
        else (),
        vat_codes=selectors.invoice_vat_code_choices(legal_entity=invoice.legal_entity_id),
        line=line,
        prefix="line" if line is None else f"line-{line.pk}",
    )


def _context(request: HttpRequest, invoice: Invoice, **extra: Any) -> dict[str, Any]:
    user = request.user
    is_draft = invoice.status == Invoice.Status.DRAFT
    can_edit = is_draft and user.has_perm(CHANGE)
    can_credit = (
        invoice.kind == Invoice.Kind.INVOICE
        and invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PAID)
        and user.has_perm(ISSUE)
    )
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "totals": selectors.invoice_document_totals(
            invoice, round_to_whole_krona=_round_to_whole_krona(invoice) if is_draft else False
        ),
        "currency": invoice.currency,
        "credit_notes": list(invoice.credit_notes.all()) if invoice.kind == Invoice.Kind.INVOICE else [],
        "entries": audit_trail_for(user=user, obj=invoice),
        "can_edit": can_edit,
        "can_issue": is_draft and user.has_perm(ISSUE),
        "can_credit": can_credit,
        "can_view_voucher": invoice.voucher_id is not None and user.has_perm("finance.view_journalentry"),
        "violations": [],
        "discount": invoice_discount_state(invoice=invoice, user=user) if is_draft else None,
        **extra,
    }
    if can_edit:
        context.setdefault("line_form", _line_form(request, invoice))
        customers = selectors.invoice_customer_choices(user=user, legal_entity=invoice.legal_entity_id)
        context.setdefault(
            "draft_form", InvoiceDraftForm(customers=customers, initial=InvoiceDraftForm.initial_for(invoice))
        )
    return context


def _detail(request: HttpRequest, invoice: Invoice, status: int = 200, **extra: Any) -> HttpResponse:
    return render(
        request, "billing/invoices/invoice_detail.html", _context(request, invoice, **extra), status=status
    )


def _lines_fragment(request: HttpRequest, invoice: Invoice, **extra: Any) -> HttpResponse:
    return render(
        request, "billing/invoices/invoice_detail.html#invoice-lines", _context(request, invoice, **extra)
    )


@_permission(VIEW)
@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.invoice_get(user=request.user, pk=pk))


@_permission(CHANGE)
@require_POST
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the draft's header (customer, dates, terms, references, notes)."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    customers = selectors.invoice_customer_choices(user=request.user, legal_entity=invoice.legal_entity_id)
    form = InvoiceDraftForm(request.POST, customers=customers)
    if form.is_valid():
        try:
            invoice_draft_update(actor=request.user, invoice=invoice, **form.service_fields(for_create=False))
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect("billing:invoice-detail", pk=pk)
            add_service_errors(form, _renamed(exc, {"party": "customer"}))
        else:
            messages.success(request, _("Draft saved."))
            return redirect("billing:invoice-detail", pk=pk)
    return _detail(request, selectors.invoice_get(user=request.user, pk=pk), status=200, draft_form=form)


@_permission(CHANGE)
@require_POST
def invoice_line_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a line. HTMX: the lines region comes back (with the form's errors, if any)."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    form = _line_form(request, invoice, request.POST)
    if form.is_valid():
        try:
            invoice_line_add(actor=request.user, invoice=invoice, **form.service_fields())
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect("billing:invoice-detail", pk=pk)
            add_service_errors(form, exc)
        else:
            invoice = selectors.invoice_get(user=request.user, pk=pk)
            if _fragment(request):
                return _lines_fragment(request, invoice)
            return redirect("billing:invoice-detail", pk=pk)
    if _fragment(request):
        return _lines_fragment(request, invoice, line_form=form)
    return _detail(request, invoice, line_form=form)


@_permission(CHANGE)
@require_POST
def invoice_line_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Live totals while a line is typed: the line's amount and the draft's totals with it,
    nothing saved. ``line`` in the query: the line being changed."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    line = (
        selectors.invoice_line_get(invoice=invoice, pk=request.GET["line"])
        if request.GET.get("line")
        else None
    )
    form = _line_form(request, invoice, request.POST, line=line)
    context: dict[str, Any] = {"invoice": invoice, "currency": invoice.currency, "preview_errors": []}
    if form.is_valid():
        try:
            values, totals = invoice_line_preview(invoice=invoice, line=line, **form.service_fields())
        except ValidationError as exc:
            context["preview_errors"] = exc.messages
        else:
            context.update(preview=values, preview_totals=totals)
    else:
        context["preview_errors"] = [e for errors in form.errors.values() for e in errors]
    return render(request, "billing/invoices/invoice_detail.html#line-preview", context)


@_permission(CHANGE)
@require_http_methods(["GET", "POST"])
def invoice_line_edit(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """GET: the line as an editable row (``?cancel=1``: as a plain row again). POST: save it;
    HTMX gets the lines region back."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    line = selectors.invoice_line_get(invoice=invoice, pk=line_pk)
    context = _context(request, invoice)
    if request.method == "GET":
        if request.GET.get("cancel"):
            return render(request, "billing/invoices/invoice_detail.html#line-row", {**context, "line": line})
        form = _line_form(request, invoice, line=line)
        return render(
            request,
            "billing/invoices/invoice_detail.html#line-edit-row",
            {**context, "line": line, "form": form},
        )
    form = _line_form(request, invoice, request.POST, line=line)
    if form.is_valid():
        try:
            invoice_line_update(actor=request.user, line=line, **form.service_fields())
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect("billing:invoice-detail", pk=pk)
            add_service_errors(form, exc)
        else:
            if _fragment(request):
                return _lines_fragment(request, selectors.invoice_get(user=request.user, pk=pk))
            return redirect("billing:invoice-detail", pk=pk)
    return render(
        request, "billing/invoices/invoice_detail.html#line-edit-row", {**context, "line": line, "form": form}
    )


@_permission(CHANGE)
@require_POST
def invoice_line_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    line = selectors.invoice_line_get(invoice=invoice, pk=line_pk)
    try:
        invoice_line_remove(actor=request.user, line=line)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("billing:invoice-detail", pk=pk)
    if _fragment(request):
        return _lines_fragment(request, selectors.invoice_get(user=request.user, pk=pk))
    return redirect("billing:invoice-detail", pk=pk)


# ---------------------------------------------------------------- issue and credit


@_permission(ISSUE)
@require_POST
def invoice_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    try:
        issued = invoice_issue(actor=request.user, invoice=invoice)
    except PostingRejected as exc:
        return _detail(request, invoice, violations=exc.violations)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("billing:invoice-detail", pk=pk)
    messages.success(
        request,
        _("Invoice %(ref)s issued and posted as voucher %(voucher)s.")
        % {"ref": issued.reference, "voucher": issued.voucher.reference},
    )
    return redirect("billing:invoice-detail", pk=issued.pk)


# ---------------------------------------------------------------- discount approval


@_permission(CHANGE)
@require_POST
def invoice_discount_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask approval of the draft's manual discount (routed to someone whose authority covers it)."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    try:
        invoice_discount_submit(actor=request.user, invoice=invoice)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        invoice.refresh_from_db()
        if invoice.needs_discount_approval:
            messages.success(request, _("Submitted for approval."))
        else:
            messages.success(request, _("Approved: the discount is within your own authority."))
    return redirect("billing:invoice-detail", pk=pk)


@_permission("pricing.approve_priceprofile")
@require_POST
def invoice_discount_decide_view(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve or reject the draft's pending discount (a rejection needs a comment)."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    comment = request.POST.get("comment", "")
    try:
        if decision == "approve":
            invoice_discount_approve(actor=request.user, invoice=invoice, comment=comment)
        else:
            invoice_discount_reject(actor=request.user, invoice=invoice, comment=comment)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, _("Discount approved.") if decision == "approve" else _("Discount rejected.")
        )
    return redirect("billing:invoice-detail", pk=pk)


@_permission(ISSUE)
@require_http_methods(["GET", "POST"])
def invoice_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """Credit the whole invoice or chosen lines (quantities prefilled with what is left)."""
    invoice = selectors.invoice_get(user=request.user, pk=pk)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status == Invoice.Status.DRAFT:
        raise Http404
    form = CreditNoteForm(request.POST or None, choices=selectors.invoice_credit_choices(invoice))
    violations: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            note = credit_note_create(
                actor=request.user,
                invoice=invoice,
                lines=form.service_lines(),
                reason=form.cleaned_data["reason"],
                issue_on=form.service_issue_on(),
            )
        except PostingRejected as exc:
            violations = exc.violations
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                renamed = {
                    (f"line_{key.split('.')[1]}" if key.startswith("lines.") else key): errors
                    for key, errors in exc.error_dict.items()
                }
                add_service_errors(form, ValidationError(renamed))
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Credit note %(ref)s issued for invoice %(invoice)s.")
                % {"ref": note.reference, "invoice": invoice.reference},
            )
            return redirect("billing:invoice-detail", pk=note.pk)
    return render(
        request,
        "billing/invoices/invoice_credit.html",
        {"invoice": invoice, "form": form, "violations": violations, "currency": invoice.currency},
    )


urlpatterns = [
    path("invoices/", invoice_list, name="invoice-list"),
    path("invoices/export/", invoice_export, name="invoice-export"),
    path("invoices/issue/", invoice_issue_batch, name="invoice-issue-batch"),
    path("invoices/new/", invoice_create, name="invoice-create"),
    path("invoices/<int:pk>/", invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/edit/", invoice_edit, name="invoice-edit"),
    path("invoices/<int:pk>/lines/", invoice_line_create, name="invoice-line-add"),
    path("invoices/<int:pk>/lines/preview/", invoice_line_preview_view, name="invoice-line-preview"),
    path("invoices/<int:pk>/lines/<int:line_pk>/", invoice_line_edit, name="invoice-line-edit"),
    path("invoices/<int:pk>/lines/<int:line_pk>/delete/", invoice_line_delete, name="invoice-line-delete"),
    path("invoices/<int:pk>/issue/", invoice_issue_view, name="invoice-issue"),
    path("invoices/<int:pk>/credit/", invoice_credit, name="invoice-credit"),
    path("invoices/<int:pk>/discount/submit/", invoice_discount_submit_view, name="invoice-discount-submit"),
    path(
        "invoices/<int:pk>/discount/approve/",
        invoice_discount_decide_view,
        {"decision": "approve"},
        name="invoice-discount-approve",
    ),
    path(
        "invoices/<int:pk>/discount/reject/",
        invoice_discount_decide_view,
        {"decision": "reject"},
        name="invoice-discount-reject",
    ),
]
