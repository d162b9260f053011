"""Billing views of the catalogue (products, product groups, VAT codes), the billing settings
and customers' billing profiles.

Viewing needs the model's ``view_`` permission, changing its ``add_``/``change_`` one (403
otherwise); the settings need ``billing.manage_billing``. A user works in their own legal
entity; organisation-wide users pick one with the ``legal_entity`` query parameter (validated
like the ledger's), and rows of a legal entity outside the user's scope are 404. Profiles
follow their customer's scope: a sales rep reaches the profiles of their own customers only.
"""

from __future__ import annotations

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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.billing.forms_catalogue import (
    BillingProfileForm,
    BillingSettingsForm,
    ProductFilterForm,
    ProductForm,
    ProductGroupForm,
    ProductImportForm,
    VatCodeForm,
    add_service_errors,
)
from frontoffice.billing.selectors import catalogue as selectors
from frontoffice.billing.selectors import profiles as profile_selectors
from frontoffice.billing.services import catalogue as services
from frontoffice.billing.services.billing_settings import billing_settings_update
from frontoffice.billing.services.catalogue_import import products_import_csv
from frontoffice.billing.services.profiles import (
    billing_profile_create,
    billing_profile_in_reach,
    billing_profile_update,
)
from frontoffice.billing.services.setup import billing_setup
from frontoffice.core.scoping import get_visible_or_404
from frontoffice.core.selectors import audit_trail_for
from frontoffice.org.models import LegalEntity
from frontoffice.parties.models import Party

VIEW_PRODUCT = "billing.view_product"
VIEW_GROUP = "billing.view_productgroup"
VIEW_VAT = "billing.view_vatcode"
VIEW_PROFILE = "billing.view_billingprofile"
MANAGE = "billing.manage_billing"


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _require(request: HttpRequest, *perms: str) -> None:
    """Checked after the object lookup, so another legal entity's ids stay 404, not 403."""
    if not request.user.has_perms(perms):
        raise PermissionDenied


def _entity(request: HttpRequest) -> LegalEntity:
    """The legal entity the page is about (404 when none is visible)."""
    entity = selectors.billing_entity_for(user=request.user, legal_entity=request.GET.get("legal_entity"))
    if entity is None:
        raise Http404
    return entity


def _entity_query(request: HttpRequest, entity: LegalEntity) -> str:
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
        "is_set_up": selectors.billing_is_set_up(legal_entity=entity),
        **extra,
    }


def _wants_fragment(request: HttpRequest, target: str) -> bool:
    if not request.htmx:
        return False
    return not request.htmx.boosted or request.htmx.target == target


def _product_form(request: HttpRequest, entity: LegalEntity, **kwargs: Any) -> ProductForm:
    return ProductForm(
        request.POST or None,
        groups=selectors.product_group_list(user=request.user, legal_entity=entity, active=True),
        vat_codes=selectors.vat_code_list(user=request.user, legal_entity=entity, active=True),
        revenue_accounts=selectors.income_accounts(legal_entity=entity),
        **kwargs,
    )


# ---------------------------------------------------------------------------------- products


@_permission(VIEW_PRODUCT)
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    groups = list(selectors.product_group_list(user=request.user, legal_entity=entity))
    form = ProductFilterForm(request.GET, groups=groups)
    products = selectors.product_list(user=request.user, legal_entity=entity, **form.filters())
    page_obj = Paginator(products, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = _context(request, entity, filter_form=form, page_obj=page_obj, is_filtered=form.is_filtered)
    if _wants_fragment(request, "product-results"):
        return render(request, "billing/catalogue/product_list.html#product-results", context)
    return render(request, "billing/catalogue/product_list.html", context)


@_permission("billing.add_product")
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    form = _product_form(request, entity, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=request.user, legal_entity=entity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product %(product)s created.") % {"product": product})
            return redirect(_url(request, entity, "billing:product-list"))
    return render(
        request, "billing/catalogue/product_form.html", _context(request, entity, form=form, product=None)
    )


@_permission(VIEW_PRODUCT)
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk)
    _require(request, "billing.change_product")
    entity = product.legal_entity
    form = _product_form(request, entity, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_update(actor=request.user, product=product, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product %(product)s saved.") % {"product": product})
            return redirect(_url(request, entity, "billing:product-list"))
    context = _context(
        request,
        entity,
        form=form,
        product=product,
        audit_entries=audit_trail_for(user=request.user, obj=product),
    )
    return render(request, "billing/catalogue/product_form.html", context)


@_permission(VIEW_PRODUCT)
@require_POST
def product_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(user=request.user, pk=pk)
    _require(request, "billing.change_product")
    services.product_deactivate(actor=request.user, product=product)
    messages.success(request, _("Product %(product)s deactivated.") % {"product": product})
    return redirect(_url(request, product.legal_entity, "billing:product-list"))


@_permission(VIEW_PRODUCT)
@require_GET
def product_export(request: HttpRequest) -> HttpResponse:
    """The products as CSV in the import format; UTF-8 with BOM so spreadsheets read å, ä, ö."""
    entity = _entity(request)
    content = selectors.products_export_csv(user=request.user, legal_entity=entity)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"products-{entity.organisation_number}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@_permission("billing.add_product")
@require_http_methods(["GET", "POST"])
def product_import(request: HttpRequest) -> HttpResponse:
    """Upload a product CSV; on any problem every line-numbered problem is shown, nothing saved."""
    entity = _entity(request)
    _require(request, "billing.change_product")
    form = ProductImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = products_import_csv(
                actor=request.user, legal_entity=entity, file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            problems = list(exc.messages)
        else:
            messages.success(
                request,
                _("Products imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
            return redirect(_url(request, entity, "billing:product-list"))
    context = _context(request, entity, form=form, problems=problems)
    return render(request, "billing/catalogue/product_import.html", context, status=400 if problems else 200)


# ---------------------------------------------------------------------------- product groups


@_permission(VIEW_GROUP)
@require_GET
def product_group_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    groups = selectors.product_group_list(user=request.user, legal_entity=entity)
    page_obj = Paginator(groups, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "billing/catalogue/group_list.html", _context(request, entity, page_obj=page_obj))


@_permission("billing.add_productgroup")
@require_http_methods(["GET", "POST"])
def product_group_create(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    form = ProductGroupForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            group = services.product_group_create(
                actor=request.user, legal_entity=entity, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product group %(group)s created.") % {"group": group})
            return redirect(_url(request, entity, "billing:product-group-list"))
    return render(
        request, "billing/catalogue/group_form.html", _context(request, entity, form=form, group=None)
    )


@_permission(VIEW_GROUP)
@require_http_methods(["GET", "POST"])
def product_group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.product_group_get(user=request.user, pk=pk)
    _require(request, "billing.change_productgroup")
    entity = group.legal_entity
    form = ProductGroupForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.product_group_update(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product group %(group)s saved.") % {"group": group})
            return redirect(_url(request, entity, "billing:product-group-list"))
    context = _context(
        request, entity, form=form, group=group, audit_entries=audit_trail_for(user=request.user, obj=group)
    )
    return render(request, "billing/catalogue/group_form.html", context)


# --------------------------------------------------------------------------------- VAT codes


def _vat_form(request: HttpRequest, entity: LegalEntity, **kwargs: Any) -> VatCodeForm:
    return VatCodeForm(
        request.POST or None,
        revenue_accounts=selectors.income_accounts(legal_entity=entity),
        vat_accounts=selectors.vat_accounts(legal_entity=entity),
        **kwargs,
    )


@_permission(VIEW_VAT)
@require_GET
def vat_code_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    codes = selectors.vat_code_list(user=request.user, legal_entity=entity)
    return render(request, "billing/catalogue/vat_code_list.html", _context(request, entity, vat_codes=codes))


@_permission("billing.add_vatcode")
@require_http_methods(["GET", "POST"])
def vat_code_create(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    form = _vat_form(request, entity, initial={"active": True, "category": "S"})
    if request.method == "POST" and form.is_valid():
        try:
            code = services.vat_code_create(actor=request.user, legal_entity=entity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("VAT code %(code)s created.") % {"code": code.code})
            return redirect(_url(request, entity, "billing:vat-code-list"))
    context = _context(request, entity, form=form, vat_code=None)
    return render(request, "billing/catalogue/vat_code_form.html", context)


@_permission(VIEW_VAT)
@require_http_methods(["GET", "POST"])
def vat_code_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vat_code = selectors.vat_code_get(user=request.user, pk=pk)
    _require(request, "billing.change_vatcode")
    entity = vat_code.legal_entity
    form = _vat_form(request, entity, vat_code=vat_code)
    if request.method == "POST" and form.is_valid():
        try:
            vat_code = services.vat_code_update(actor=request.user, vat_code=vat_code, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("VAT code %(code)s saved.") % {"code": vat_code.code})
            return redirect(_url(request, entity, "billing:vat-code-list"))
    context = _context(
        request,
        entity,
        form=form,
        vat_code=vat_code,
        audit_entries=audit_trail_for(user=request.user, obj=vat_code),
    )
    return render(request, "billing/catalogue/vat_code_form.html", context)


# ---------------------------------------------------------------------------------- settings


@_permission(MANAGE)
@require_GET
def settings_index(request: HttpRequest) -> HttpResponse:
    """The billing settings at a glance, with links to VAT codes and product groups."""
    entity = _entity(request)
    context = _context(
        request,
        entity,
        billing_settings=selectors.billing_settings_get(user=request.user, legal_entity=entity),
        vat_codes=selectors.vat_code_list(user=request.user, legal_entity=entity, active=True),
        series=selectors.invoice_series_list(user=request.user, legal_entity=entity),
        ledger_is_set_up=selectors.ledger_is_set_up(legal_entity=entity),
    )
    return render(request, "billing/catalogue/settings_index.html", context)


@_permission(MANAGE)
@require_POST
def settings_setup(request: HttpRequest) -> HttpResponse:
    """Create the VAT codes, settings and invoice series from the legal entity's chart."""
    entity = _entity(request)
    try:
        billing_setup(actor=request.user, legal_entity=entity)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Billing is set up for %(entity)s.") % {"entity": entity})
    return redirect(_url(request, entity, "billing:settings"))


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    current = selectors.billing_settings_get(user=request.user, legal_entity=entity)
    if current is None:
        return redirect(_url(request, entity, "billing:settings"))
    form = BillingSettingsForm(
        request.POST or None,
        receivables_accounts=selectors.receivables_accounts(legal_entity=entity),
        rounding_accounts=selectors.rounding_accounts(legal_entity=entity),
        billing_settings=current,
    )
    if request.method == "POST" and form.is_valid():
        try:
            billing_settings_update(actor=request.user, legal_entity=entity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Billing settings saved."))
            return redirect(_url(request, entity, "billing:settings"))
    context = _context(
        request,
        entity,
        form=form,
        audit_entries=audit_trail_for(user=request.user, obj=current),
    )
    return render(request, "billing/catalogue/settings_form.html", context)


# ---------------------------------------------------------------------------- billing profiles


@_permission(VIEW_PROFILE)
@require_GET
def profile_list(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:100]
    profiles = profile_selectors.billing_profile_list(user=request.user, query=query)
    page_obj = Paginator(profiles, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page_obj, "query": query}
    if _wants_fragment(request, "profile-results"):
        return render(request, "billing/profiles/profile_list.html#profile-results", context)
    return render(request, "billing/profiles/profile_list.html", context)


def _vat_codes_for(request: HttpRequest, legal_entity_id: int) -> Any:
    return selectors.vat_code_list(user=request.user, legal_entity=legal_entity_id, active=True)


@_permission("billing.add_billingprofile")
@require_http_methods(["GET", "POST"])
def profile_create(request: HttpRequest, party_pk: int) -> HttpResponse:
    """A new billing profile for a customer, prefilled from the customer."""
    party = get_visible_or_404(Party.objects.select_related("legal_entity"), request.user, pk=party_pk)
    existing = profile_selectors.billing_profile_for_party(user=request.user, party=party)
    if existing is not None:
        return redirect("billing:profile-edit", existing.pk)
    if not billing_profile_in_reach(actor=request.user, party=party):
        raise PermissionDenied
    initial = profile_selectors.billing_profile_initial(user=request.user, party=party)
    form = BillingProfileForm(
        request.POST or None, vat_codes=_vat_codes_for(request, party.legal_entity_id), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile = billing_profile_create(actor=request.user, party=party, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Billing profile for %(name)s created.") % {"name": profile.legal_name}
            )
            return redirect("parties:party-detail", party.pk)
    return render(
        request, "billing/profiles/profile_form.html", {"form": form, "party": party, "profile": None}
    )


@_permission(VIEW_PROFILE)
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = profile_selectors.billing_profile_get(user=request.user, pk=pk)
    _require(request, "billing.change_billingprofile")
    form = BillingProfileForm(
        request.POST or None, vat_codes=_vat_codes_for(request, profile.legal_entity_id), profile=profile
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile = billing_profile_update(actor=request.user, profile=profile, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Billing profile for %(name)s saved.") % {"name": profile.legal_name})
            return redirect("parties:party-detail", profile.party_id)
    context = {
        "form": form,
        "party": profile.party,
        "profile": profile,
        "audit_entries": audit_trail_for(user=request.user, obj=profile),
    }
    return render(request, "billing/profiles/profile_form.html", context)


urlpatterns = [
    path("products/", product_list, name="product-list"),
    path("products/new/", product_create, name="product-create"),
    path("products/<int:pk>/edit/", product_edit, name="product-edit"),
    path("products/<int:pk>/deactivate/", product_deactivate, name="product-deactivate"),
    path("products/export/", product_export, name="product-export"),
    path("products/import/", product_import, name="product-import"),
    path("product-groups/", product_group_list, name="product-group-list"),
    path("product-groups/new/", product_group_create, name="product-group-create"),
    path("product-groups/<int:pk>/edit/", product_group_edit, name="product-group-edit"),
    path("vat-codes/", vat_code_list, name="vat-code-list"),
    path("vat-codes/new/", vat_code_create, name="vat-code-create"),
    path("vat-codes/<int:pk>/edit/", vat_code_edit, name="vat-code-edit"),
    path("settings/", settings_index, name="settings"),
    path("settings/setup/", settings_setup, name="settings-setup"),
    path("settings/edit/", settings_edit, name="settings-edit"),
    path("profiles/", profile_list, name="profile-list"),
    path("customers/<int:party_pk>/profile/new/", profile_create, name="profile-create"),
    path("profiles/<int:pk>/edit/", profile_edit, name="profile-edit"),
]
