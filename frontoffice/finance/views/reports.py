"""Finance views: ledger reports, the VAT return and settlement, the year-end close.

Every report page takes the same range parameters (``start`` and ``end`` dates, or a fiscal
``year`` with ``period_from``/``period_to``; default: the current fiscal year to date) and,
for organisation-scope users, ``legal_entity``. ``?format=csv|xlsx|pdf`` downloads the
report. Every figure links to the general ledger of its account for the same range.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.finance import exports
from frontoffice.finance.selectors import reports as selectors
from frontoffice.finance.selectors.reports import DateRange, month_end
from frontoffice.finance.services.closing import fiscal_year_close as close_service
from frontoffice.finance.services.closing import vat_settlement_post

VIEW = "finance.view_ledger_reports"
MANAGE = "finance.manage_ledger"


def _view(perm: str = VIEW) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


class RangeForm(forms.Form):
    """The period picker: dates win over a fiscal year's period numbers."""

    legal_entity = forms.IntegerField(label=gettext_lazy("Legal entity"), required=False, min_value=1)
    year = forms.IntegerField(label=gettext_lazy("Fiscal year"), required=False, min_value=1)
    period_from = forms.IntegerField(
        label=gettext_lazy("From period"), required=False, min_value=1, max_value=18
    )
    period_to = forms.IntegerField(label=gettext_lazy("To period"), required=False, min_value=1, max_value=18)
    start = forms.DateField(
        label=gettext_lazy("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


class ReportContext:
    """The legal entity, range and link parameters of one report request."""

    def __init__(self, request: HttpRequest):
        self.request = request
        self.form = RangeForm(request.GET or None)
        data = self.form.cleaned_data if self.form.is_valid() else {}
        user = request.user
        self.chooser = user_scope(user).everything
        self.entity = selectors.legal_entity_for(
            user=user, legal_entity=data.get("legal_entity") if self.chooser else None
        )
        self.years = selectors.fiscal_year_list(user=user, legal_entity=self.entity)
        self.range: DateRange | None = None
        self.year = None
        if data.get("start") and data.get("end"):
            self.range = DateRange(data["start"], data["end"])
        elif data.get("year"):
            self.year = next((y for y in self.years if y.pk == data["year"]), None)
            if self.year is not None:
                first = _add_months(self.year.start_on, (data.get("period_from") or 1) - 1)
                last = data.get("period_to")
                end = month_end(_add_months(self.year.start_on, last - 1)) if last else self.year.end_on
                self.range = DateRange(first, min(end, self.year.end_on))
        if self.range is None:
            self.range = selectors.default_range(user=user, legal_entity=self.entity)
        if self.range is not None and self.year is None:
            self.year = next((y for y in self.years if y.start_on <= self.range.start <= y.end_on), None)

    def query(self, rng: DateRange | None = None, **extra: Any) -> str:
        """Query string carrying the legal entity (if chosen) and the range."""
        rng = rng or self.range
        params: dict[str, Any] = {}
        if self.chooser:
            params["legal_entity"] = self.entity.pk
        if rng is not None:
            params["start"] = rng.start.isoformat()
            params["end"] = rng.end.isoformat()
        params.update(extra)
        return urlencode(params)

    def context(self, **extra: Any) -> dict[str, Any]:
        entity_choices = None
        if self.chooser:
            from frontoffice.org.models import LegalEntity

            entity_choices = list(visible_to(LegalEntity.objects.all(), self.request.user).order_by("name"))
        return {
            "form": self.form,
            "legal_entity": self.entity,
            "entity_choices": entity_choices,
            "years": self.years,
            "current_year": self.year,
            "range": self.range,
            "q": self.query(),
            "formats": exports.FORMATS,
            **extra,
        }


def _render_report(
    request: HttpRequest,
    template: str,
    build: Callable[[ReportContext, DateRange], Any],
    table: Callable[[Any], exports.Table],
    name: str,
    **extra: Any,
) -> HttpResponse:
    ctx = ReportContext(request)
    errors: list[str] = []
    report = None
    if ctx.range is None:
        errors.append(_("The company has no fiscal year yet."))
    else:
        try:
            report = build(ctx, ctx.range)
        except ValidationError as exc:
            errors = list(exc.messages)
    fmt = request.GET.get("format", "")
    if report is not None and fmt in exports.FORMATS:
        assert ctx.range is not None
        return exports.export_response(table(report), fmt, name=name, rng=ctx.range)
    comparison = getattr(report, "comparison_range", None)
    return render(
        request,
        template,
        ctx.context(
            report=report,
            errors=errors,
            q_comparison=ctx.query(comparison) if comparison else "",
            **extra,
        ),
        status=400 if errors and ctx.range is not None else 200,
    )


@_view()
def report_index(request: HttpRequest) -> HttpResponse:
    """The period picker and the list of reports (and, for finance managers, the years to close)."""
    ctx = ReportContext(request)
    return render(request, "finance/report_index.html", ctx.context())


@_view()
def report_trial_balance(request: HttpRequest) -> HttpResponse:
    return _render_report(
        request,
        "finance/report_trial_balance.html",
        lambda ctx, rng: selectors.trial_balance(
            user=request.user, legal_entity=ctx.entity, start=rng.start, end=rng.end
        ),
        exports.trial_balance_table,
        "trial-balance",
    )


@_view()
def report_income_statement(request: HttpRequest) -> HttpResponse:
    return _render_report(
        request,
        "finance/report_income_statement.html",
        lambda ctx, rng: selectors.income_statement(
            user=request.user, legal_entity=ctx.entity, start=rng.start, end=rng.end
        ),
        exports.income_statement_table,
        "income-statement",
    )


@_view()
def report_balance_sheet(request: HttpRequest) -> HttpResponse:
    return _render_report(
        request,
        "finance/report_balance_sheet.html",
        lambda ctx, rng: selectors.balance_sheet(
            user=request.user, legal_entity=ctx.entity, start=rng.start, end=rng.end
        ),
        exports.balance_sheet_table,
        "balance-sheet",
    )


@_view()
def report_general_ledger(request: HttpRequest) -> HttpResponse:
    account = request.GET.get("account", "").strip()
    fmt = request.GET.get("format", "")
    return _render_report(
        request,
        "finance/report_general_ledger.html",
        lambda ctx, rng: (
            selectors.general_ledger(
                user=request.user,
                legal_entity=ctx.entity,
                account=account,
                start=rng.start,
                end=rng.end,
                page=request.GET.get("page", 1),
                # Exports hold every line of the range (one page of up to 100,000 lines).
                per_page=100_000 if fmt in exports.FORMATS else 100,
            )
            if account
            else None
        ),
        exports.general_ledger_table,
        f"general-ledger-{account}",
        account=account,
    )


@_view()
@require_http_methods(["GET", "POST"])
def report_vat(request: HttpRequest) -> HttpResponse:
    """The VAT return; finance managers post the settlement voucher from here (POST)."""
    if request.method == "POST":
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied
        ctx = ReportContext(request)
        form = RangeForm(request.POST)
        back = f"{reverse('finance:report-vat')}?{ctx.query()}"
        if not form.is_valid() or not form.cleaned_data.get("start") or not form.cleaned_data.get("end"):
            messages.error(request, _("Choose the VAT period to settle."))
            return redirect(back)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        try:
            entry = vat_settlement_post(actor=request.user, legal_entity=ctx.entity, start=start, end=end)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(f"{reverse('finance:report-vat')}?{ctx.query(DateRange(start, end))}")
        messages.success(request, _("VAT settlement voucher %(ref)s posted.") % {"ref": entry.reference})
        return redirect(f"{reverse('finance:report-vat')}?{ctx.query(DateRange(start, end))}")
    return _render_report(
        request,
        "finance/report_vat.html",
        lambda ctx, rng: selectors.vat_return(
            user=request.user, legal_entity=ctx.entity, start=rng.start, end=rng.end
        ),
        exports.vat_return_table,
        "vat-return",
    )


@_view(MANAGE)
@require_http_methods(["GET", "POST"])
def fiscal_year_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirmation page with the result to be booked; POST closes the year."""
    year = selectors.fiscal_year_get(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            close_service(actor=request.user, fiscal_year=year)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("finance:fiscal-year-close", pk=year.pk)
        messages.success(request, _("The fiscal year %(year)s is closed.") % {"year": year})
        query = (
            urlencode({"legal_entity": year.legal_entity_id}) if user_scope(request.user).everything else ""
        )
        return redirect(
            f"{reverse('finance:report-index')}?{query}" if query else reverse("finance:report-index")
        )
    plan = selectors.fiscal_year_close_preview(user=request.user, fiscal_year=year)
    return render(request, "finance/report_year_close.html", {"plan": plan, "year": year})


@_view("finance.view_postingrejection")
def report_compliance(request: HttpRequest) -> HttpResponse:
    """Posting compliance per employee: accepted first time, rejections and corrections."""
    from frontoffice.finance.selectors.compliance import posting_compliance_by_employee

    ctx = ReportContext(request)
    rows = []
    if ctx.range is not None:
        rows = posting_compliance_by_employee(
            user=request.user, legal_entity=ctx.entity, start=ctx.range.start, end=ctx.range.end
        )
    return render(request, "finance/report_compliance.html", ctx.context(rows=rows))


urlpatterns = [
    path("reports/", report_index, name="report-index"),
    path("reports/posting-compliance/", report_compliance, name="report-compliance"),
    path("reports/trial-balance/", report_trial_balance, name="report-trial-balance"),
    path("reports/general-ledger/", report_general_ledger, name="report-general-ledger"),
    path("reports/income-statement/", report_income_statement, name="report-income-statement"),
    path("reports/balance-sheet/", report_balance_sheet, name="report-balance-sheet"),
    path("reports/vat/", report_vat, name="report-vat"),
    path("reports/year-end/<int:pk>/", fiscal_year_close, name="fiscal-year-close"),
]
