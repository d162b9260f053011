"""Receivables views: the accounts payments post to and the reminder interval."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontoffice.finance.models import LedgerAccount
from frontoffice.receivables.forms import SettingsForm
from frontoffice.receivables.services.common import receivables_settings_for, receivables_settings_update
from frontoffice.receivables.views.common import legal_entity_for, permission


@permission("receivables.manage_receivables")
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    legal_entity = legal_entity_for(request)
    try:
        current = receivables_settings_for(legal_entity)
    except ValidationError as exc:
        return render(
            request, "receivables/settings.html", {"legal_entity": legal_entity, "problem": exc.messages[0]}
        )
    accounts = list(LedgerAccount.objects.filter(legal_entity=legal_entity, active=True).order_by("number"))
    initial = {
        "bank_account": current.bank_account.number,
        "prepayment_account": current.prepayment_account.number if current.prepayment_account else "",
        "reminder_interval_days": current.reminder_interval_days,
    }
    form = SettingsForm(request.POST or None, initial=initial, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        try:
            receivables_settings_update(actor=request.user, legal_entity=legal_entity, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Receivables settings saved."))
            return redirect(f"{request.path}?legal_entity={legal_entity.pk}")
    return render(
        request,
        "receivables/settings.html",
        {"legal_entity": legal_entity, "form": form},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [path("settings/", settings_edit, name="settings")]
