"""Pipeline stage settings: the stages of the user's legal entity, add one, change one.

Holders of ``sales.manage_stages`` (the national sales manager, the administrator) manage the
stages of their own legal entity; an organisation-wide user picks the legal entity. The rules
(won and lost stages stay as they are, a stage with open opportunities stays active, ...) live
in ``sales.services.stage_save``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from frontoffice.core.scoping import get_visible_or_404, user_scope, visible_to
from frontoffice.org.models import LegalEntity
from frontoffice.sales import services
from frontoffice.sales.models import Stage
from frontoffice.sales.views.opportunities import _apply_errors, permission

MANAGE = "sales.manage_stages"


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "order", "probability", "active"]
        help_texts = {"order": gettext_lazy("Columns on the board are sorted by this number.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.kind != Stage.Kind.OPEN:
            for name in ("probability", "active"):
                self.fields[name].disabled = True

    def validate_unique(self) -> None:
        """The service checks uniqueness (with the legal entity), once."""


def _entity(request: HttpRequest) -> LegalEntity:
    """The chosen legal entity (visible, else 404), else the user's own, else the first visible."""
    entities = LegalEntity.objects.all()
    chosen = request.GET.get("legal_entity")
    if chosen:
        return get_visible_or_404(entities, request.user, pk=chosen)
    own = user_scope(request.user).legal_entity_id
    if own is not None:
        return get_visible_or_404(entities, request.user, pk=own)
    entity = visible_to(entities, request.user).order_by("name").first()
    if entity is None:
        raise Http404
    return entity


def _back(entity: LegalEntity, request: HttpRequest) -> str:
    url = reverse("sales:stage-list")
    if request.GET.get("legal_entity"):
        url += "?" + urlencode({"legal_entity": entity.pk})
    return url


@permission(MANAGE)
def stage_list(request: HttpRequest) -> HttpResponse:
    entity = _entity(request)
    stages = (
        Stage.objects.filter(legal_entity=entity)
        .annotate(open_count=Count("opportunities", filter=Q(opportunities__closed_on__isnull=True)))
        .order_by("order", "pk")
    )
    context = {
        "legal_entity": entity,
        "stages": stages,
        "entity_choices": visible_to(LegalEntity.objects.all(), request.user).order_by("name")
        if user_scope(request.user).everything
        else None,
    }
    return render(request, "sales/stage_list.html", context)


@permission(MANAGE)
@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    entity = _entity(request)
    stage = None
    if pk is not None:
        stage = Stage.objects.filter(legal_entity=entity, pk=pk).first()
        if stage is None:
            raise Http404
    form = StageForm(request.POST or None, instance=stage or Stage(legal_entity=entity))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.stage_save(
                actor=request.user, legal_entity=entity, stage=stage, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Stage “%(name)s” saved.") % {"name": saved.name})
            return redirect(_back(entity, request))
    return render(
        request,
        "sales/stage_form.html",
        {"form": form, "stage": stage, "legal_entity": entity, "back_url": _back(entity, request)},
    )


urlpatterns = [
    path("stages/", stage_list, name="stage-list"),
    path("stages/new/", stage_edit, name="stage-create"),
    path("stages/<int:pk>/", stage_edit, name="stage-edit"),
]
