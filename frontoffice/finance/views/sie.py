"""Finance views: SIE 4 export (download a fiscal year) and import (check, then confirm).

The uploaded file is kept in the session between the check and the confirmation, so the user
confirms exactly the file whose report they read.
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from frontoffice.core.scoping import get_visible_or_404
from frontoffice.finance.models import FiscalYear
from frontoffice.finance.services.sie import sie_check, sie_export, sie_import, sie_import_new_entity
from frontoffice.finance.sie.forms import SieConfirmForm, SieExportForm, SieUploadForm

SESSION_KEY = "finance_sie_import"


@login_required
@permission_required("finance.view_ledger_reports", raise_exception=True)
def sie_export_view(request: HttpRequest) -> HttpResponse:
    """Pick a fiscal year; with one chosen, download it as a SIE 4E file."""
    form = SieExportForm(request.GET or None, user=request.user)
    if form.is_valid():
        year = get_visible_or_404(
            FiscalYear.objects.all(), request.user, pk=form.cleaned_data["fiscal_year"].pk
        )
        data = sie_export(actor=request.user, fiscal_year=year)
        response = HttpResponse(data, content_type="text/plain; charset=IBM437")
        name = f"{year.legal_entity.organisation_number}_{year.start_on:%Y%m%d}.se"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "finance/sie_export.html", {"form": form})


def _stored(request: HttpRequest) -> bytes | None:
    stored = request.session.get(SESSION_KEY)
    if not stored:
        return None
    data = base64.b64decode(stored["data"])
    return data if hashlib.sha256(data).hexdigest() == stored["sha256"] else None


@login_required
@permission_required("finance.manage_ledger", raise_exception=True)
def sie_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a file and read its validation report; confirming imports it (all or nothing)."""
    upload = SieUploadForm()
    if request.method == "POST" and "file" in request.FILES:
        upload = SieUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            data = upload.cleaned_data["file"]
            request.session[SESSION_KEY] = {
                "data": base64.b64encode(data).decode(),
                "sha256": hashlib.sha256(data).hexdigest(),
                "name": request.FILES["file"].name,
            }
            report = sie_check(data)
            doc = report.document
            confirm = SieConfirmForm(
                user=request.user,
                initial={"name": doc.company_name, "organisation_number": doc.organisation_number},
            )
            return render(
                request, "finance/sie_import.html", {"report": report, "confirm": confirm, "upload": upload}
            )
    elif request.method == "POST":
        data = _stored(request)
        if data is None:
            messages.error(request, _("Upload the file again: the checked file is no longer available."))
            return redirect("finance:sie-import")
        report = sie_check(data)
        confirm = SieConfirmForm(request.POST, user=request.user)
        import_errors: list[str] = []
        if confirm.is_valid():
            options = {
                "actor": request.user,
                "data": data,
                "accept_inconsistent_balances": confirm.cleaned_data["accept_inconsistent_balances"],
            }
            try:
                if confirm.cleaned_data["target"] == "existing":
                    result = sie_import(legal_entity=confirm.cleaned_data["legal_entity"], **options)
                else:
                    result = sie_import_new_entity(
                        name=confirm.cleaned_data["name"],
                        organisation_number=confirm.cleaned_data["organisation_number"],
                        **options,
                    )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        confirm.add_error(field if field in confirm.fields else None, errors)
                else:
                    import_errors = exc.messages
            else:
                del request.session[SESSION_KEY]
                messages.success(request, result.summary())
                return redirect("finance:voucher-list")
        return render(
            request,
            "finance/sie_import.html",
            {"report": report, "confirm": confirm, "upload": upload, "import_errors": import_errors},
            status=400,
        )
    return render(request, "finance/sie_import.html", {"upload": upload})


urlpatterns = [
    path("sie/export/", sie_export_view, name="sie-export"),
    path("sie/import/", sie_import_view, name="sie-import"),
]
