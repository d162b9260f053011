"""Repeat-customer views: the rep's worklist (reorders due, then cross-sell candidates; filters,
pagination, CSV/XLSX export) and a customer's purchase history with its rhythm.

Permission first (``sales.view_opportunity``, 403), then the scoped selectors in
``sales.repeat`` (a customer outside the user's scope is 404). Read only: nothing is written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from frontoffice.core.registry import NavItem, PartyPanel, register_nav, register_party_panel
from frontoffice.org.models import Region
from frontoffice.receivables import exports  # the project's formula-safe CSV/XLSX writer
from frontoffice.sales import repeat

VIEW = repeat.PERMISSION


def quote_from_invoice_url(invoice_id: int | None) -> str | None:
    """The quotes app's "new quote from this invoice" URL, or None while it does not exist."""
    if invoice_id is None:
        return None
    try:
        return reverse("quotes:quote-from-invoice", kwargs={"invoice_id": invoice_id})
    except NoReverseMatch:
        return None


class WorklistFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[
            ("", gettext_lazy("Everything")),
            ("overdue", gettext_lazy("Reorder overdue")),
            ("due", gettext_lazy("Reorder due")),
            ("upsell", gettext_lazy("Cross-sell candidates")),
        ],
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Rep"), queryset=get_user_model().objects.none(), required=False
    )
    region = forms.ModelChoiceField(
        label=gettext_lazy("Region"), queryset=Region.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.managers = repeat.can_filter_people(user)
        if self.managers:
            owners, regions = repeat.worklist_filter_choices(user=user)
            self.fields["owner"].queryset = owners
            self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
            self.fields["region"].queryset = regions
        else:  # a rep's worklist is their own customers: nothing to filter by
            del self.fields["owner"]
            del self.fields["region"]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or None,
            "owner": data.get("owner"),
            "region": data.get("region"),
        }

    @property
    def is_filtered(self) -> bool:
        return any(self.filters().values())


def _export_rows(rows: list[repeat.WorklistRow]) -> tuple[list[str], list[list[Any]]]:
    headers = [
        _("Customer"),
        _("Rep"),
        _("Region"),
        _("Status"),
        _("Last purchase"),
        _("Typical interval (days)"),
        _("Next expected"),
        _("Intervals"),
        _("Spread (days)"),
        _("Confidence"),
        _("Suggestions"),
    ]
    out = []
    for row in rows:
        r = row.rhythm
        owner = row.party.owner
        out.append(
            [
                row.party.display_name,
                (owner.get_full_name() or owner.get_username()) if owner else "",
                row.party.region.name if row.party.region else "",
                str(r.status_label) if row.kind == "reorder" else _("Cross-sell"),
                r.last_on,
                r.typical_days,
                r.expected_on,
                r.intervals,
                r.spread_days,
                str(r.confidence_label),
                " | ".join(f"{s.product.name} ({s.reason})" for s in row.suggestions),
            ]
        )
    return headers, out


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """Customers due to reorder (overdue first), then cross-sell candidates, of the user's scope;
    ``?format=csv|xlsx`` downloads the filtered list."""
    today = timezone.localdate()
    form = WorklistFilterForm(request.GET or None, user=request.user)
    rows = repeat.worklist(user=request.user, today=today, **form.filters())
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers, data = _export_rows(list(repeat.attach_parties(rows)))
        return exports.response(fmt, _("repeat customers"), _("Repeat customers"), headers, data)
    page_obj = Paginator(rows, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    repeat.attach_parties(page_obj.object_list)
    for row in page_obj.object_list:
        row.quote_url = quote_from_invoice_url(row.rhythm.last_invoice_id)
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "today": today,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "sales/repeat/worklist.html#repeat-results", context)
    return render(request, "sales/repeat/worklist.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def customer_history(request: HttpRequest, party_id: int) -> HttpResponse:
    """One customer's purchases: invoices (paginated), totals per year, quarter, product group
    and product, the purchase rhythm overall and per group, and cross-sell suggestions."""
    history = repeat.purchase_history(user=request.user, party_id=party_id, today=timezone.localdate())
    page_obj = Paginator(history.invoices, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "history": history,
        "party": history.party,
        "page_obj": page_obj,
        "quote_url": quote_from_invoice_url(history.last_invoice_id),
    }
    return render(request, "sales/repeat/customer_history.html", context)


def party_panel_context(request: HttpRequest, party: Any) -> dict[str, Any] | None:
    """The "Purchase rhythm" card on the customer page (None without the permission, out of
    scope, or when the customer never bought anything)."""
    user = request.user
    if not user.has_perm(VIEW):
        return None
    today = timezone.localdate()
    rhythms = repeat.customer_rhythms(user=user, today=today, parties=[party])
    if not rhythms:
        return None
    rhythm = rhythms[0]
    return {
        "party": party,
        "rhythm": rhythm,
        "suggestions": repeat.suggestions_for(user=user, parties=[party]).get(party.pk, []),
        "quote_url": quote_from_invoice_url(rhythm.last_invoice_id),
    }


urlpatterns = [
    path("repeat/", worklist, name="repeat-worklist"),
    path("repeat/customers/<int:party_id>/", customer_history, name="repeat-customer"),
]


# Imported by ``sales.registrations`` (one line there): the menu item and the customer-page card.
register_nav(
    NavItem("repeat-customers", gettext_lazy("Repeat customers"), "sales:repeat-worklist", VIEW, order=39)
)
register_party_panel(
    PartyPanel("purchase-rhythm", "sales/repeat/party_panel.html", party_panel_context, order=45)
)
