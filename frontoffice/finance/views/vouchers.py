"""Finance views: the voucher desk (list, detail, entry and draft edit, posting, approval,
reversal, attachments).

Views are thin: permission first (403), then the scoped selector (404 outside the user's
legal entity), then one service. A rejected posting re-renders the page with every violated
standard, each linked to its explanation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.core.selectors import audit_trail_for
from frontoffice.finance.forms_vouchers import (
    MAX_LINES,
    AttachmentForm,
    VoucherFilterForm,
    VoucherForm,
    VoucherLineForm,
    VoucherLineFormSet,
    VoucherReverseForm,
    parse_amount_input,
)
from frontoffice.finance.models import JournalEntry
from frontoffice.finance.selectors import vouchers as selectors
from frontoffice.finance.services.attachments import attachment_add
from frontoffice.finance.services.posting import (
    EntryInput,
    LineInput,
    journal_entry_approve,
    journal_entry_draft_save,
    journal_entry_reverse,
    journal_entry_submit,
)
from frontoffice.finance.services.standards import PostingRejected

LINES_PREFIX = "lines"
BLANK_LINES = 4


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------- list


@_permission("finance.view_journalentry")
@require_GET
def voucher_list(request: HttpRequest) -> HttpResponse:
    legal_entity = request.GET.get("legal_entity") or None
    if legal_entity is not None and not legal_entity.isdigit():
        legal_entity = None
    series = selectors.voucher_series_choices(user=request.user, legal_entity=legal_entity)
    codes = {s.code: str(s) for s in series}
    form = VoucherFilterForm(request.GET, series_codes=sorted(codes.items()))
    filters = form.filters()
    vouchers = selectors.voucher_list(user=request.user, legal_entity=legal_entity, **filters)
    page_obj = Paginator(vouchers, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "status": filters["status"],
        "statuses": JournalEntry.Status,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "finance/voucher_list.html#voucher-results", context)
    return render(request, "finance/voucher_list.html", context)


# ---------------------------------------------------------------- detail and actions


def _detail(request: HttpRequest, entry: JournalEntry, **extra: Any) -> HttpResponse:
    user = request.user
    reversals = list(entry.reversals.all())
    is_open = entry.status in (JournalEntry.Status.DRAFT, JournalEntry.Status.AWAITING_APPROVAL)
    context = {
        "entry": entry,
        "lines": list(entry.lines.all()),
        "totals": selectors.voucher_totals(entry),
        "currency": entry.legal_entity.base_currency,
        "attachments": list(entry.attachments.all()),
        "reversals": reversals,
        "rejections": list(entry.rejections.all()) if user.has_perm("finance.view_postingrejection") else [],
        "entries": audit_trail_for(user=user, obj=entry),
        "can_edit": entry.status == JournalEntry.Status.DRAFT and user.has_perm("finance.add_journalentry"),
        "can_submit": entry.status == JournalEntry.Status.DRAFT
        and user.has_perm("finance.post_journalentry"),
        "can_approve": entry.status == JournalEntry.Status.AWAITING_APPROVAL
        and user.has_perm("finance.approve_journalentry"),
        "can_reverse": entry.is_posted and not reversals and user.has_perm("finance.reverse_journalentry"),
        "can_attach": is_open and user.has_perm("finance.add_journalentry"),
        "reverse_form": VoucherReverseForm(),
        "attachment_form": AttachmentForm(),
        "violations": [],
        **extra,
    }
    return render(request, "finance/voucher_detail.html", context)


@_permission("finance.view_journalentry")
@require_GET
def voucher_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.voucher_get(user=request.user, pk=pk))


def _posted_message(request: HttpRequest, entry: JournalEntry) -> None:
    if entry.is_posted:
        messages.success(request, _("Voucher %(ref)s posted.") % {"ref": entry.reference})
    else:
        messages.info(
            request,
            _("The voucher is above the approval limit and now waits for a second person's approval."),
        )


@_permission("finance.post_journalentry")
@require_POST
def voucher_submit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.voucher_get(user=request.user, pk=pk)
    try:
        posted = journal_entry_submit(actor=request.user, draft=entry)
    except PostingRejected as exc:
        return _detail(request, selectors.voucher_get(user=request.user, pk=pk), violations=exc.violations)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("finance:voucher-detail", pk=pk)
    _posted_message(request, posted)
    return redirect("finance:voucher-detail", pk=posted.pk)


@_permission("finance.approve_journalentry")
@require_POST
def voucher_approve(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.voucher_get(user=request.user, pk=pk)
    try:
        posted = journal_entry_approve(actor=request.user, entry=entry)
    except PostingRejected as exc:
        return _detail(request, entry, violations=exc.violations)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("finance:voucher-detail", pk=pk)
    messages.success(request, _("Voucher %(ref)s approved and posted.") % {"ref": posted.reference})
    return redirect("finance:voucher-detail", pk=posted.pk)


@_permission("finance.reverse_journalentry")
@require_POST
def voucher_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.voucher_get(user=request.user, pk=pk)
    form = VoucherReverseForm(request.POST)
    if not form.is_valid():
        return _detail(request, entry, reverse_form=form)
    try:
        reversal = journal_entry_reverse(
            actor=request.user,
            entry=entry,
            date=form.cleaned_data["date"],
            text=form.cleaned_data["text"],
        )
    except PostingRejected as exc:
        return _detail(request, entry, violations=exc.violations, reverse_form=form)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("finance:voucher-detail", pk=pk)
    messages.success(
        request,
        _("Voucher %(ref)s reversed by %(reversal)s.")
        % {"ref": entry.reference, "reversal": reversal.reference},
    )
    return redirect("finance:voucher-detail", pk=reversal.pk)


@_permission("finance.add_journalentry")
@require_POST
def voucher_attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.voucher_get(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = attachment_add(actor=request.user, entry=entry, file=form.cleaned_data["file"])
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return redirect("finance:voucher-detail", pk=pk)
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("%(name)s attached.") % {"name": attachment.name})
            return redirect("finance:voucher-detail", pk=pk)
    return _detail(request, selectors.voucher_get(user=request.user, pk=pk), attachment_form=form)


# ---------------------------------------------------------------- entry and draft edit


def _line_initial(entry: JournalEntry) -> list[dict[str, Any]]:
    rows = []
    for line in entry.lines.all():
        amount = str(line.amount)
        rows.append(
            {
                "account": line.account.number,
                "debit": amount if line.side == "D" else "",
                "credit": amount if line.side == "C" else "",
                "text": line.text,
                "cost_centre": line.cost_centre.code if line.cost_centre else "",
                "project": line.project.code if line.project else "",
                "region": line.region.code if line.region else "",
            }
        )
    return rows


def _blank_lines_data(initial: list[dict[str, Any]], minimum: int = BLANK_LINES) -> list[dict[str, Any]]:
    return initial + [{} for _ in range(max(minimum - len(initial), 1))]


def _entry_input(form: VoucherForm, lines: Any) -> EntryInput:
    data = form.cleaned_data
    return EntryInput(
        series=data["series"],
        date=data["date"],
        text=data["text"],
        lines=[
            LineInput(
                account=(f.cleaned_data.get("account") or "").strip(),
                debit=f.cleaned_data.get("debit"),
                credit=f.cleaned_data.get("credit"),
                text=f.cleaned_data.get("text") or "",
                cost_centre=(f.cleaned_data.get("cost_centre") or "").strip() or None,
                project=(f.cleaned_data.get("project") or "").strip() or None,
                region=(f.cleaned_data.get("region") or "").strip() or None,
            )
            for f in lines.filled_forms()
        ],
    )


def _add_draft_errors(form: VoucherForm, lines: Any, exc: ValidationError) -> None:
    """Service errors (``series``, ``lines.N`` with N counted from 1 over filled lines)."""
    filled = lines.filled_forms()
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        if key.startswith("lines."):
            idx = int(key.split(".")[1]) - 1
            if 0 <= idx < len(filled):
                for error in errors:
                    filled[idx].add_error(None, error)
                continue
        form.add_error(key if key in form.fields else None, errors)


def _rows_from_data(data: QueryDict) -> list[dict[str, str]]:
    try:
        total = min(int(data.get(f"{LINES_PREFIX}-TOTAL_FORMS") or 0), MAX_LINES)
    except ValueError:
        total = 0
    fields = list(VoucherLineForm.base_fields)
    return [{name: data.get(f"{LINES_PREFIX}-{i}-{name}", "") for name in fields} for i in range(total)]


def _totals(data: QueryDict) -> dict[str, Decimal]:
    """Debit and credit sums of the lines as typed (unreadable amounts count as zero)."""
    sums = {"debit": Decimal("0.00"), "credit": Decimal("0.00")}
    for row in _rows_from_data(data):
        for side in sums:
            with contextlib.suppress(ValidationError):
                sums[side] += parse_amount_input(row[side]) or Decimal("0.00")
    return {**sums, "difference": sums["debit"] - sums["credit"]}


def _initial_totals(lines: Any) -> dict[str, Decimal]:
    sums = {"debit": Decimal("0.00"), "credit": Decimal("0.00")}
    for row in lines.initial or []:
        for side in sums:
            sums[side] += Decimal(row.get(side) or "0.00")
    return {**sums, "difference": sums["debit"] - sums["credit"]}


def _render_entry(
    request: HttpRequest,
    *,
    legal_entity: Any,
    form: VoucherForm,
    lines: Any,
    draft: JournalEntry | None,
    violations: list[Any] | None = None,
) -> HttpResponse:
    totals = _totals(request.POST) if request.method == "POST" else _initial_totals(lines)
    context = {
        "form": form,
        "lines": lines,
        "draft": draft,
        "legal_entity": legal_entity,
        "currency": legal_entity.base_currency,
        "accounts": selectors.active_accounts(user=request.user, legal_entity=legal_entity),
        "dimensions": selectors.dimension_codes(user=request.user, legal_entity=legal_entity),
        "violations": violations or [],
        "totals": totals,
        "can_post": request.user.has_perm("finance.post_journalentry"),
        "decimal_separator": get_format("DECIMAL_SEPARATOR"),
        "thousand_separator": get_format("THOUSAND_SEPARATOR"),
    }
    return render(request, "finance/voucher_form.html", context)


def _entry_view(request: HttpRequest, *, draft: JournalEntry | None) -> HttpResponse:
    user = request.user
    if draft is not None:
        legal_entity = draft.legal_entity
    else:
        legal_entity = selectors.entry_legal_entity(
            user=user, legal_entity=request.POST.get("legal_entity") or request.GET.get("legal_entity")
        )
    series = selectors.voucher_series_choices(user=user, legal_entity=legal_entity)
    if request.method != "POST":
        if draft is not None:
            initial = {"series": draft.series.code, "date": draft.date, "text": draft.text}
            line_rows = _blank_lines_data(_line_initial(draft), minimum=len(draft.lines.all()) + 1)
        elif request.GET.get("correct"):
            # The corrected voucher after a reversal starts as a copy of the original.
            original = selectors.voucher_get(user=user, pk=request.GET["correct"])
            legal_entity = original.legal_entity
            series = selectors.voucher_series_choices(user=user, legal_entity=legal_entity)
            initial = {
                "series": original.series.code,
                "date": timezone.localdate(),
                "text": _("Correction of %(ref)s: %(text)s")
                % {"ref": original.reference, "text": original.text},
            }
            line_rows = _blank_lines_data(_line_initial(original), minimum=len(original.lines.all()) + 1)
        else:
            codes = [s.code for s in series]
            initial = {
                "series": "A" if "A" in codes else (codes[0] if codes else ""),
                "date": timezone.localdate(),
            }
            line_rows = _blank_lines_data([])
        form = VoucherForm(initial=initial, series=series)
        lines = VoucherLineFormSet(prefix=LINES_PREFIX, initial=line_rows)
        return _render_entry(request, legal_entity=legal_entity, form=form, lines=lines, draft=draft)

    data: QueryDict = request.POST
    if "add_line" in data:
        # Without JavaScript, "Add line" posts the form back; it returns with one more row.
        form = VoucherForm(initial={k: data.get(k, "") for k in ("series", "date", "text")}, series=series)
        lines = VoucherLineFormSet(prefix=LINES_PREFIX, initial=[*_rows_from_data(data), {}])
        return _render_entry(request, legal_entity=legal_entity, form=form, lines=lines, draft=draft)

    form = VoucherForm(data, series=series)
    lines = VoucherLineFormSet(data, prefix=LINES_PREFIX)
    if not (form.is_valid() and lines.is_valid()):
        return _render_entry(request, legal_entity=legal_entity, form=form, lines=lines, draft=draft)
    try:
        saved = journal_entry_draft_save(
            actor=user, legal_entity=legal_entity, entry=_entry_input(form, lines), draft=draft
        )
    except ValidationError as exc:
        _add_draft_errors(form, lines, exc)
        return _render_entry(request, legal_entity=legal_entity, form=form, lines=lines, draft=draft)
    if data.get("action") != "post":
        messages.success(request, _("Draft saved."))
        return redirect("finance:voucher-detail", pk=saved.pk)
    if not user.has_perm("finance.post_journalentry"):
        messages.error(request, _("You may save drafts but not post them."))
        return redirect("finance:voucher-detail", pk=saved.pk)
    try:
        posted = journal_entry_submit(actor=user, draft=saved)
    except PostingRejected as exc:
        # The draft is kept; the page now edits it, with the input as typed.
        return _render_entry(
            request, legal_entity=legal_entity, form=form, lines=lines, draft=saved, violations=exc.violations
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("finance:voucher-detail", pk=saved.pk)
    _posted_message(request, posted)
    return redirect("finance:voucher-detail", pk=posted.pk)


@_permission("finance.add_journalentry")
@require_http_methods(["GET", "POST"])
def voucher_create(request: HttpRequest) -> HttpResponse:
    return _entry_view(request, draft=None)


@_permission("finance.add_journalentry")
@require_http_methods(["GET", "POST"])
def voucher_edit(request: HttpRequest, pk: int) -> HttpResponse:
    draft = selectors.voucher_get(user=request.user, pk=pk)
    if draft.status != JournalEntry.Status.DRAFT:
        messages.error(request, _("Only drafts can be changed."))
        return redirect("finance:voucher-detail", pk=pk)
    return _entry_view(request, draft=draft)


urlpatterns = [
    path("vouchers/", voucher_list, name="voucher-list"),
    path("vouchers/new/", voucher_create, name="voucher-create"),
    path("vouchers/<int:pk>/", voucher_detail, name="voucher-detail"),
    path("vouchers/<int:pk>/edit/", voucher_edit, name="voucher-edit"),
    path("vouchers/<int:pk>/post/", voucher_submit, name="voucher-submit"),
    path("vouchers/<int:pk>/approve/", voucher_approve, name="voucher-approve"),
    path("vouchers/<int:pk>/reverse/", voucher_reverse, name="voucher-reverse"),
    path("vouchers/<int:pk>/attachments/", voucher_attachment_add, name="voucher-attachment-add"),
]
