"""Finance views: chart of accounts, dimensions, ledger settings and the posting standards page.

Viewing needs ``finance.view_ledgeraccount``; every change needs ``finance.manage_ledger``
(403 otherwise). A user works on their own legal entity's ledger; organisation-scope users
pick one with the ``legal_entity`` query parameter (validated by ``ledger_entity_for``), and
objects of a legal entity outside the user's scope are 404.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from frontoffice.core.selectors import audit_trail_for
from frontoffice.finance.forms import (
    AccountFilterForm,
    AccountForm,
    ChartImportForm,
    DimensionObjectForm,
    FiscalYearForm,
    LedgerSetupForm,
    LockDatesForm,
    SeriesForm,
    StandardsForm,
    add_service_errors,
)
from frontoffice.finance.models import DimensionKind
from frontoffice.finance.selectors import chart as selectors
from frontoffice.finance.services import chart as services
from frontoffice.finance.services.periods import fiscal_year_create, lock_date_set, posting_standards_set
from frontoffice.finance.services.standards import STANDARDS
from frontoffice.org.models import LegalEntity

VIEW = "finance.view_ledgeraccount"
MANAGE = "finance.manage_ledger"


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _entity(request: HttpRequest) -> LegalEntity:
    """The legal entity the page is about (404 when none is visible)."""
    entity = selectors.ledger_entity_for(user=request.user, legal_entity=request.GET.get("legal_entity"))
    if entity is None:
        raise Http404
    return entity


def _entity_query(request: HttpRequest, entity: LegalEntity) -> str:
    """``?legal_entity=n`` for users who choose the legal entity, so links keep the choice."""
    if selectors.can_choose_legal_entity(user=request.user):
        return "?" + urlencode({"legal_entity": entity.pk})
    return ""


def _url(request: HttpRequest, entity: LegalEntity, name: str, *args: Any) -> str:
    return reverse(name, args=args) + _entity_query(request, entity)


def _context(request: HttpRequest, entity: LegalEntity, **extra: Any) -> dict[str, Any]:
    chooser = selectors.can_choose_legal_entity(user=request.user)
    return {
        "legal_entity": entity,
        "entity_query": _entity_query(request, entity),
        "entity_choices": selectors.legal_entity_choices(user=request.user) if chooser else None,
        **extra,
    }


def _require_manage(request: HttpRequest) -> None:
    """Checked after the object lookup, so another legal entity's ids stay 404, not 403."""
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied


def _wants_fragment(request: HttpRequest, target: str) -> bool:
    if not request.htmx:
        return False
    return not request.htmx.boosted or request.htmx.target == target


# ------------------------------------------------------------------------ posting standards


@login_required
@require_GET
def standards(request: HttpRequest) -> HttpResponse:
    """Every posting standard explained; rejected postings link to its anchors."""
    rows = [
        {"code": code, "title": title, "explanation": explanation, "number": i}
        for i, (code, (title, explanation)) in enumerate(STANDARDS.items(), start=1)
    ]
    return render(request, "finance/standards.html", {"standards": rows})


# ---------------------------------------------------------------------------------- accounts


@_permission(VIEW)
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    form = AccountFilterForm(request.GET)
    accounts = selectors.account_list(user=request.user, legal_entity=entity, **form.filters())
    page_obj = Paginator(accounts, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = _context(
        request,
        entity,
        filter_form=form,
        page_obj=page_obj,
        is_filtered=form.is_filtered,
        is_set_up=page_obj.paginator.count > 0 or selectors.ledger_is_set_up(legal_entity=entity),
    )
    if _wants_fragment(request, "account-results"):
        return render(request, "finance/account_list.html#account-results", context)
    return render(request, "finance/account_list.html", context)


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    form = AccountForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(actor=request.user, legal_entity=entity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Account %(account)s created.") % {"account": account})
            return redirect(_url(request, entity, "finance:account-list"))
    return render(request, "finance/account_form.html", _context(request, entity, form=form, account=None))


@_permission(VIEW)
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get(user=request.user, pk=pk)
    _require_manage(request)
    entity = account.legal_entity
    form = AccountForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_update(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Account %(account)s saved.") % {"account": account})
            return redirect(_url(request, entity, "finance:account-list"))
    context = _context(
        request,
        entity,
        form=form,
        account=account,
        audit_entries=audit_trail_for(user=request.user, obj=account),
    )
    return render(request, "finance/account_form.html", context)


@_permission(VIEW)
@require_GET
def account_export(request: HttpRequest) -> HttpResponse:
    """The chart as CSV in the import format; UTF-8 with BOM so spreadsheets read å, ä, ö."""
    entity = _entity(request)
    content = selectors.chart_export_csv(user=request.user, legal_entity=entity)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"chart-of-accounts-{entity.organisation_number}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def account_import(request: HttpRequest) -> HttpResponse:
    """Upload a chart CSV; on any problem every line-numbered problem is shown, nothing saved."""
    entity = _entity(request)
    form = ChartImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.chart_import_csv(
                actor=request.user, legal_entity=entity, file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            problems = list(exc.messages)
        else:
            messages.success(
                request,
                _(
                    "Chart imported: %(created)s accounts created, %(updated)s updated, %(unchanged)s unchanged."
                )
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
            return redirect(_url(request, entity, "finance:account-list"))
    status = 400 if problems else 200
    context = _context(request, entity, form=form, problems=problems)
    return render(request, "finance/account_import.html", context, status=status)


# -------------------------------------------------------------------------------- dimensions


@_permission(VIEW)
@require_GET
def dimension_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    kind = request.GET.get("kind", "")
    if kind not in DimensionKind.values:
        kind = ""
    objects = selectors.dimension_object_list(user=request.user, legal_entity=entity, kind=kind)
    page_obj = Paginator(objects, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = _context(request, entity, page_obj=page_obj, kind=kind, kinds=DimensionKind.choices)
    return render(request, "finance/dimension_list.html", context)


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def dimension_create(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    form = DimensionObjectForm(
        request.POST or None, initial={"kind": request.GET.get("kind"), "active": True}
    )
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.dimension_object_create(
                actor=request.user, legal_entity=entity, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“%(object)s” created.") % {"object": obj})
            return redirect(_url(request, entity, "finance:dimension-list"))
    context = _context(request, entity, form=form, dimension_object=None)
    return render(request, "finance/dimension_form.html", context)


@_permission(VIEW)
@require_http_methods(["GET", "POST"])
def dimension_edit(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.dimension_object_get(user=request.user, pk=pk)
    _require_manage(request)
    entity = LegalEntity.objects.get(pk=obj.legal_entity_id)
    form = DimensionObjectForm(request.POST or None, dimension_object=obj)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            obj = services.dimension_object_update(
                actor=request.user,
                dimension_object=obj,
                code=data["code"],
                name=data["name"],
                active=data["active"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“%(object)s” saved.") % {"object": obj})
            return redirect(_url(request, entity, "finance:dimension-list"))
    context = _context(request, entity, form=form, dimension_object=obj)
    return render(request, "finance/dimension_form.html", context)


# ---------------------------------------------------------------------------------- settings


@_permission(VIEW)
@require_GET
def settings_index(request: HttpRequest) -> HttpResponse:
    """The ledger settings at a glance, with links to each settings page."""
    entity = _entity(request)
    years = list(selectors.fiscal_year_list(user=request.user, legal_entity=entity))
    context = _context(
        request,
        entity,
        is_set_up=selectors.ledger_is_set_up(legal_entity=entity),
        years=years,
        open_years=[y for y in years if y.is_open],
        series=list(selectors.series_list(user=request.user, legal_entity=entity)),
        lock_dates=sorted(
            selectors.lock_dates(user=request.user, legal_entity=entity).values(),
            key=lambda d: (d.role_id is not None, str(d.role or "")),
        ),
        posting_standards=selectors.posting_standards_get(user=request.user, legal_entity=entity),
    )
    return render(request, "finance/settings_index.html", context)


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def ledger_setup(request: HttpRequest) -> HttpResponse:
    """Give a legal entity without a chart its chart, series, standards and first fiscal year."""
    entity = _entity(request)
    if selectors.ledger_is_set_up(legal_entity=entity):
        messages.info(request, _("The ledger of %(entity)s is already set up.") % {"entity": entity})
        return redirect(_url(request, entity, "finance:settings"))
    today = timezone.localdate()
    form = LedgerSetupForm(
        request.POST or None, initial={"template": "bas", "first_year_start": today.replace(month=1, day=1)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.ledger_setup(
                actor=request.user,
                legal_entity=entity,
                template=data["template"],
                first_year_start=data["first_year_start"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "start_on" in exc.error_dict:
                form.add_error("first_year_start", exc.error_dict["start_on"])
            else:
                add_service_errors(form, exc)
        else:
            messages.success(request, _("The ledger of %(entity)s is set up.") % {"entity": entity})
            return redirect(_url(request, entity, "finance:settings"))
    return render(request, "finance/settings_ledger_setup.html", _context(request, entity, form=form))


@_permission(VIEW)
@require_GET
def fiscal_year_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    years = selectors.fiscal_year_list(user=request.user, legal_entity=entity)
    return render(request, "finance/fiscal_year_list.html", _context(request, entity, years=years))


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def fiscal_year_create_view(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    latest = selectors.fiscal_year_list(user=request.user, legal_entity=entity).first()
    initial = {}
    if latest is not None:
        start = latest.end_on + datetime.timedelta(days=1)
        initial = {
            "start_on": start,
            "end_on": start.replace(year=start.year + 1) - datetime.timedelta(days=1),
        }
    form = FiscalYearForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            year = fiscal_year_create(actor=request.user, legal_entity=entity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Fiscal year %(year)s created.") % {"year": year})
            return redirect(_url(request, entity, "finance:fiscal-year-list"))
    return render(request, "finance/fiscal_year_form.html", _context(request, entity, form=form))


@_permission(VIEW)
@require_GET
def series_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    series = selectors.series_list(user=request.user, legal_entity=entity)
    return render(request, "finance/series_list.html", _context(request, entity, series_list=series))


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    form = SeriesForm(request.POST or None, roles=selectors.ledger_roles())
    if request.method == "POST" and form.is_valid():
        try:
            series = services.voucher_series_save(
                actor=request.user, legal_entity=entity, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Series %(series)s created.") % {"series": series})
            return redirect(_url(request, entity, "finance:series-list"))
    return render(request, "finance/series_form.html", _context(request, entity, form=form, series=None))


@_permission(VIEW)
@require_http_methods(["GET", "POST"])
def series_edit(request: HttpRequest, pk: int) -> HttpResponse:
    series = selectors.series_get(user=request.user, pk=pk)
    _require_manage(request)
    entity = LegalEntity.objects.get(pk=series.legal_entity_id)
    form = SeriesForm(request.POST or None, roles=selectors.ledger_roles(), series=series)
    if request.method == "POST" and form.is_valid():
        try:
            series = services.voucher_series_save(
                actor=request.user, legal_entity=entity, series=series, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Series %(series)s saved.") % {"series": series})
            return redirect(_url(request, entity, "finance:series-list"))
    context = _context(
        request,
        entity,
        form=form,
        series=series,
        audit_entries=audit_trail_for(user=request.user, obj=series),
    )
    return render(request, "finance/series_form.html", context)


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def lock_dates(request: HttpRequest) -> HttpResponse:
    """One lock date for everyone plus one per role; clerks are usually locked earlier."""
    entity = _entity(request)
    current = selectors.lock_dates(user=request.user, legal_entity=entity)
    form = LockDatesForm(request.POST or None, roles=selectors.ledger_roles(), current=current)
    if request.method == "POST" and form.is_valid():
        for role, date in form.dates():
            stored = current.get(role.pk if role is not None else None)
            if (stored.locked_through if stored else None) != date:
                lock_date_set(actor=request.user, legal_entity=entity, locked_through=date, role=role)
        messages.success(request, _("Lock dates saved."))
        return redirect(_url(request, entity, "finance:settings"))
    return render(request, "finance/lock_dates.html", _context(request, entity, form=form))


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def standards_edit(request: HttpRequest) -> HttpResponse:
    """The finance manager's amount limits: four eyes and supporting documents."""
    entity = _entity(request)
    current = selectors.posting_standards_get(user=request.user, legal_entity=entity)
    initial = {}
    if current is not None:
        initial = {
            "four_eyes_threshold_amount": current.four_eyes_threshold_amount,
            "attachment_threshold_amount": current.attachment_threshold_amount,
        }
    form = StandardsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            posting_standards_set(actor=request.user, legal_entity=entity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Posting standards saved."))
            return redirect(_url(request, entity, "finance:settings"))
    context = _context(request, entity, form=form, standards=STANDARDS)
    return render(request, "finance/standards_edit.html", context)


urlpatterns = [
    path("standards/", standards, name="standards"),
    path("accounts/", account_list, name="account-list"),
    path("accounts/new/", account_create, name="account-create"),
    path("accounts/<int:pk>/edit/", account_edit, name="account-edit"),
    path("accounts/export/", account_export, name="account-export"),
    path("accounts/import/", account_import, name="account-import"),
    path("dimensions/", dimension_list, name="dimension-list"),
    path("dimensions/new/", dimension_create, name="dimension-create"),
    path("dimensions/<int:pk>/edit/", dimension_edit, name="dimension-edit"),
    path("settings/", settings_index, name="settings"),
    path("settings/setup/", ledger_setup, name="ledger-setup"),
    path("settings/fiscal-years/", fiscal_year_list, name="fiscal-year-list"),
    path("settings/fiscal-years/new/", fiscal_year_create_view, name="fiscal-year-create"),
    path("settings/series/", series_list, name="series-list"),
    path("settings/series/new/", series_create, name="series-create"),
    path("settings/series/<int:pk>/edit/", series_edit, name="series-edit"),
    path("settings/lock-dates/", lock_dates, name="lock-dates"),
    path("settings/standards/", standards_edit, name="standards-edit"),
]
