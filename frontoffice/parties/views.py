"""Customers desk: thin views over the parties selectors and services.

Every view checks its permission (403 when missing) and reads through the scoped selectors
(404 for anything outside the user's scope). HTMX requests get the named partial of the same
page template instead of the whole page.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from frontoffice.core.contact import format_phone
from frontoffice.core.selectors import audit_trail_for
from frontoffice.parties import selectors, services
from frontoffice.parties.forms import (
    EraseForm,
    InteractionFilterForm,
    InteractionForm,
    MergeSearchForm,
    PartyFilterForm,
    PartyForm,
)
from frontoffice.parties.models import Party

TIMELINE_PAGE_SIZE = 20
SORTABLE_COLUMNS = [
    ("name", gettext_lazy("Name")),
    ("city", gettext_lazy("City")),
    ("created", gettext_lazy("Created")),
]


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _page(request: HttpRequest, items: Any, per_page: int) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _with_phone_display(parties: Iterable[Party]) -> None:
    for party in parties:
        party.phone_display = format_phone(party.phone)


def _sort_columns(ordering: str) -> list[dict[str, Any]]:
    """Header links: the sorted column says so (aria-sort) and its link flips the direction."""
    columns = []
    for key, label in SORTABLE_COLUMNS:
        if ordering == key:
            aria, next_sort = "ascending", f"-{key}"
        elif ordering == f"-{key}":
            aria, next_sort = "descending", key
        else:
            aria, next_sort = "none", key
        columns.append({"key": key, "label": label, "aria_sort": aria, "next_sort": next_sort})
    return columns


def _wants_fragment(request: HttpRequest, target: str) -> bool:
    """HTMX asks for the ``target`` region (boosted links elsewhere still get the whole page)."""
    if not request.htmx:
        return False
    return not request.htmx.boosted or request.htmx.target == target


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form fields it names (others: non-field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# ---------------------------------------------------------------- customers


@_permission("parties.view_party")
@require_GET
def party_list(request: HttpRequest) -> HttpResponse:
    form = PartyFilterForm(request.GET, user=request.user)
    filters = form.filters()
    parties = selectors.party_list(user=request.user, **filters).prefetch_related("tags")
    page_obj = _page(request, parties, settings.FRONTOFFICE_PAGE_SIZE)
    _with_phone_display(page_obj)
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "sort": filters["ordering"],
        "columns": _sort_columns(filters["ordering"]),
        "is_filtered": form.is_filtered,
    }
    if _wants_fragment(request, "party-results"):
        return render(request, "parties/party_list.html#party-results", context)
    return render(request, "parties/party_list.html", context)


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming csv rows."""

    def write(self, value: str) -> str:
        return value


# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


@_permission("parties.export_party")
@require_GET
def party_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered customer list as CSV, streamed; UTF-8 with BOM so Excel reads å, ä, ö."""
    form = PartyFilterForm(request.GET, user=request.user)
    parties = selectors.party_list(user=request.user, **form.filters()).prefetch_related("tags")
    header = [
        _("ID"),
        _("Name"),
        _("Kind"),
        _("E-mail"),
        _("Phone"),
        _("Organisation number"),
        _("Street address"),
        _("Postal code"),
        _("City"),
        _("Country"),
        _("Owner"),
        _("Region"),
        _("Location"),
        _("Tags"),
        _("Source"),
        _("Created"),
    ]
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff"
        yield writer.writerow(header)
        for party in parties.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    _cell(v)
                    for v in (
                        party.pk,
                        party.display_name,
                        party.get_kind_display(),
                        party.email,
                        format_phone(party.phone),
                        party.organisation_number,
                        party.street,
                        party.postal_code,
                        party.city,
                        party.country,
                        party.owner or "",
                        party.region or "",
                        party.location or "",
                        ", ".join(tag.name for tag in party.tags.all()),
                        party.get_source_display(),
                        timezone.localtime(party.created_at).strftime("%Y-%m-%d %H:%M"),
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"customers-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _duplicates_from(user: Any, exc: ValidationError) -> list[Party]:
    ids = (getattr(exc, "params", None) or {}).get("ids", [])
    return list(selectors.party_list(user=user).filter(pk__in=ids))


@_permission("parties.add_party")
@require_http_methods(["GET", "POST"])
def party_create(request: HttpRequest) -> HttpResponse:
    form = PartyForm(request.POST or None, user=request.user)
    duplicates: list[Party] = []
    if request.method == "POST" and form.is_valid():
        try:
            party = services.party_create(
                actor=request.user,
                allow_duplicate=form.cleaned_data["allow_duplicate"],
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "duplicate":
                duplicates = _duplicates_from(request.user, exc)
            else:
                _add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer “%(name)s” created.") % {"name": party.display_name})
            return redirect(party)
    return render(request, "parties/party_form.html", {"form": form, "duplicates": duplicates, "party": None})


@_permission("parties.change_party")
@require_http_methods(["GET", "POST"])
def party_edit(request: HttpRequest, pk: int) -> HttpResponse:
    party = selectors.party_get(user=request.user, pk=pk)
    if party.is_merged or party.is_erased:
        messages.error(request, _("This customer was erased or merged and can no longer be changed."))
        return redirect(party)
    form = PartyForm(request.POST or None, user=request.user, initial=PartyForm.initial_for(party))
    if request.method == "POST" and form.is_valid():
        try:
            party = services.party_update(actor=request.user, party=party, **form.service_kwargs())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer “%(name)s” saved.") % {"name": party.display_name})
            return redirect(party)
    return render(request, "parties/party_form.html", {"form": form, "duplicates": [], "party": party})


def _timeline_context(request: HttpRequest, party: Party) -> dict[str, Any]:
    timeline = selectors.party_timeline(user=request.user, party=party)
    return {"party": party, "timeline": _page(request, timeline, TIMELINE_PAGE_SIZE)}


def _detail_context(request: HttpRequest, party: Party, interaction_form: InteractionForm | None) -> dict:
    party.phone_display = format_phone(party.phone)
    return {
        **_timeline_context(request, party),
        "tags": list(party.tags.all()),
        "audit_entries": audit_trail_for(user=request.user, obj=party),
        "interaction_form": interaction_form or InteractionForm(),
    }


@_permission("parties.view_party")
@require_GET
def party_detail(request: HttpRequest, pk: int) -> HttpResponse:
    party = selectors.party_get(user=request.user, pk=pk)
    if _wants_fragment(request, "party-timeline"):
        return render(request, "parties/party_detail.html#party-timeline", _timeline_context(request, party))
    return render(request, "parties/party_detail.html", _detail_context(request, party, None))


@_permission("parties.add_interaction")
@require_POST
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an interaction; HTMX gets the new timeline plus a fresh form (out of band)."""
    party = selectors.party_get(user=request.user, pk=pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.interaction_record(actor=request.user, party=party, **form.cleaned_data)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Interaction logged."))
                return redirect(party)
            timeline = render(
                request, "parties/party_detail.html#party-timeline", _timeline_context(request, party)
            )
            fresh_form = render(
                request,
                "parties/party_detail.html#interaction-form",
                {"party": party, "interaction_form": InteractionForm(), "oob": True},
            )
            return HttpResponse(timeline.content + fresh_form.content)
    if request.htmx:
        response = render(
            request, "parties/party_detail.html#interaction-form", {"party": party, "interaction_form": form}
        )
        return retarget(reswap(response, "outerHTML"), "#interaction-form")
    return render(request, "parties/party_detail.html", _detail_context(request, party, form))


# ---------------------------------------------------------------- interactions


@_permission("parties.view_interaction")
@require_GET
def interaction_list(request: HttpRequest) -> HttpResponse:
    form = InteractionFilterForm(request.GET)
    interactions = form.filter(selectors.interaction_list(user=request.user, kind=form.kind_value))
    context = {
        "filter_form": form,
        "page_obj": _page(request, interactions, settings.FRONTOFFICE_PAGE_SIZE),
        "is_filtered": form.is_filtered,
    }
    if _wants_fragment(request, "interaction-results"):
        return render(request, "parties/interaction_list.html#interaction-results", context)
    return render(request, "parties/interaction_list.html", context)


# ---------------------------------------------------------------- merge


@_permission("parties.merge_party")
@require_http_methods(["GET", "POST"])
def party_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 picks the customer to keep (``?target=`` absent); step 2 confirms and merges."""
    party = selectors.party_get(user=request.user, pk=pk)
    if party.is_merged or party.is_erased:
        messages.error(request, _("This customer was erased or merged and can no longer be merged."))
        return redirect(party)
    target_id = request.POST.get("target") or request.GET.get("target")
    if target_id:
        target = selectors.party_get(user=request.user, pk=target_id)
        if request.method == "POST":
            try:
                survivor = services.party_merge(actor=request.user, source=party, target=target)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("parties:party-merge", pk=party.pk)
            messages.success(
                request,
                _("“%(source)s” was merged into “%(target)s”.")
                % {"source": party.display_name, "target": survivor.display_name},
            )
            return redirect(survivor)
        if target.pk == party.pk or target.is_merged or target.is_erased:
            messages.error(request, _("Choose another customer: this one cannot be kept."))
            return redirect("parties:party-merge", pk=party.pk)
        for p in (party, target):
            p.phone_display = format_phone(p.phone)
        context = {
            "party": party,
            "target": target,
            "moving": selectors.party_timeline(user=request.user, party=party).count(),
            "target_interactions": selectors.party_timeline(user=request.user, party=target).count(),
        }
        return render(request, "parties/party_merge_confirm.html", context)
    if request.method == "POST":
        return redirect("parties:party-merge", pk=party.pk)
    form = MergeSearchForm(request.GET)
    query = form.cleaned_data.get("q", "").strip() if form.is_valid() else ""
    duplicates = list(
        services.party_find_duplicates(
            actor=request.user,
            email=party.email,
            phone=party.phone,
            organisation_number=party.organisation_number,
            exclude_id=party.pk,
        )
    )
    candidates: list[Party] = []
    if query:
        excluded = [party.pk, *(d.pk for d in duplicates)]
        candidates = list(selectors.party_list(user=request.user, query=query).exclude(pk__in=excluded)[:20])
    context = {
        "party": party,
        "form": form,
        "query": query,
        "duplicates": duplicates,
        "candidates": candidates,
    }
    return render(request, "parties/party_merge.html", context)


# ---------------------------------------------------------------- GDPR


@_permission("parties.export_personal_data")
@require_GET
def party_export_personal_data(request: HttpRequest, pk: int) -> JsonResponse:
    party = selectors.party_get(user=request.user, pk=pk)
    data = services.party_export_personal_data(actor=request.user, party=party)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="customer-{party.pk}-personal-data.json"'
    return response


@_permission("parties.erase_party")
@require_http_methods(["GET", "POST"])
def party_erase(request: HttpRequest, pk: int) -> HttpResponse:
    party = selectors.party_get(user=request.user, pk=pk)
    form = EraseForm(request.POST or None, party=party)
    if request.method == "POST" and form.is_valid():
        try:
            party = services.party_erase(actor=request.user, party=party)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The customer's personal data was erased."))
            return redirect(party)
    context = {"party": party, "form": form, "plan": services.party_erasure_plan(party=party)}
    return render(request, "parties/party_erase.html", context)
