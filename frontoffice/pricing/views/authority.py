"""Discount authority settings: the largest discount each role grants on its own.

Viewing needs ``pricing.view_discountauthority``; saving ``pricing.change_discountauthority``
(the finance manager). Organisation-wide users pick the legal entity with ``?legal_entity=``;
a legal entity outside the user's scope is 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.org.models import LegalEntity
from frontoffice.pricing import selectors
from frontoffice.pricing.forms import AuthorityForm, add_service_errors
from frontoffice.pricing.services.authority import discount_authority_set

CHANGE = "pricing.change_discountauthority"


@login_required
@permission_required("pricing.view_discountauthority", raise_exception=True)
@require_http_methods(["GET", "POST"])
def authority_settings(request: HttpRequest) -> HttpResponse:
    chosen = request.GET.get("legal_entity") or None
    entity = selectors.authority_entity_for(user=request.user, legal_entity=chosen)
    if entity is None:
        raise Http404
    can_change = request.user.has_perm(CHANGE)
    rows = selectors.authority_rows(legal_entity=entity)
    form = AuthorityForm(request.POST if request.method == "POST" else None, rows=rows)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                with transaction.atomic():
                    for role, value in form.changed_roles():
                        discount_authority_set(
                            actor=request.user, legal_entity=entity, role=role, max_discount_percent=value
                        )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Discount authorities saved."))
                url = reverse("pricing:authority-settings")
                if chosen:
                    url += "?" + urlencode({"legal_entity": entity.pk})
                return redirect(url)
    chooser = user_scope(request.user).everything
    context = {
        "form": form,
        "legal_entity": entity,
        "can_change": can_change,
        "entity_choices": visible_to(LegalEntity.objects.all(), request.user).order_by("name")
        if chooser
        else None,
    }
    return render(request, "pricing/authority_settings.html", context)


urlpatterns = [path("authority/", authority_settings, name="authority-settings")]
