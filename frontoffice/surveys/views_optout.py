"""Staff pages for survey opt-outs: the opted-out customers (search, pagination, HTMX results),
the card on the customer page, and the one POST that records or withdraws an opt-out.

Seeing needs ``parties.view_party``, changing ``parties.change_party``; both only for customers
in the user's scope (a customer outside it is a 404, as on the customer pages).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from frontoffice.core.scoping import get_visible_or_404
from frontoffice.surveys.selectors_optout import survey_opt_out_for, survey_opt_out_list
from frontoffice.surveys.services.optout import survey_opt_out_set

PANEL = "surveys/partials/party_opt_out.html"


class OptOutFilterForm(forms.Form):
    q = forms.CharField(label=_lazy("Search"), required=False, max_length=100)


class OptOutSetForm(forms.Form):
    opted_out = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", empty_value=None
    )


@login_required
@permission_required("parties.view_party", raise_exception=True)
@require_GET
def opt_out_list(request: HttpRequest) -> HttpResponse:
    form = OptOutFilterForm(request.GET)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page_obj = Paginator(
        survey_opt_out_list(user=request.user, q=q), settings.FRONTOFFICE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {"filter_form": form, "page_obj": page_obj, "is_filtered": bool(q)}
    if request.htmx and not request.htmx.boosted:
        return render(request, "surveys/optout_list.html#opt-out-results", context)
    return render(request, "surveys/optout_list.html", context)


def panel_context(request: HttpRequest, party: Any, **extra: Any) -> dict[str, Any] | None:
    """The customer page's card (one query): whether the customer opted out, how and when, and
    the button for those who may change it. ``None`` (no card) without ``parties.view_party``."""
    user = request.user
    if not user.has_perm("parties.view_party"):
        return None
    return {
        "party": party,
        "opt_out": survey_opt_out_for(party=party),
        "can_change": user.has_perm("parties.change_party") and not party.is_erased and not party.is_merged,
        **extra,
    }


@login_required
@permission_required("parties.change_party", raise_exception=True)
@require_POST
def party_opt_out(request: HttpRequest, party_id: int) -> HttpResponse:
    """Record (``opted_out=1``) or withdraw (``opted_out=0``) the customer's opt-out. HTMX gets
    the card back; a plain form post returns to the customer page."""
    from frontoffice.parties.models import Party

    party = get_visible_or_404(Party.objects.all(), request.user, pk=party_id)
    form = OptOutSetForm(request.POST)
    error = ""
    status = 200
    if not form.is_valid():
        error, status = _("Choose whether the customer receives surveys."), 400
    else:
        try:
            survey_opt_out_set(actor=request.user, party=party, opted_out=form.cleaned_data["opted_out"])
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
    if request.htmx:
        return render(request, PANEL, panel_context(request, party, error=error), status=status)
    if error:
        messages.error(request, error)
    elif form.cleaned_data["opted_out"]:
        messages.success(request, _("The customer will receive no more surveys."))
    else:
        messages.success(request, _("The customer will receive surveys again."))
    return redirect(party.get_absolute_url())
