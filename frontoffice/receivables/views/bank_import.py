"""Receivables views: the bank file wizard (upload → map columns → preview → import) and the
list of imported files.

The uploaded file is kept in the session between the steps (like the SIE import), so the
user imports exactly the file whose preview they read.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from frontoffice.core.scoping import get_visible_or_404
from frontoffice.receivables.bankfile import BankFile, Mapping, read_bank_file
from frontoffice.receivables.forms import BankUploadForm, MappingForm, guess_mapping
from frontoffice.receivables.models import BankImport
from frontoffice.receivables.selectors import payments as selectors
from frontoffice.receivables.services.bank_import import (
    bank_file_import,
    bank_file_mapping_suggest,
    bank_file_preview,
)
from frontoffice.receivables.views.common import error_messages, legal_entity_for, permission

SESSION_KEY = "receivables_bank_file"


def _store(request: HttpRequest, data: bytes, name: str, legal_entity_id: int) -> None:
    request.session[SESSION_KEY] = {
        "data": base64.b64encode(data).decode(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "name": name,
        "legal_entity": legal_entity_id,
    }


def _stored(request: HttpRequest, legal_entity_id: int) -> tuple[bytes, str] | None:
    stored = request.session.get(SESSION_KEY)
    if not stored or stored.get("legal_entity") != legal_entity_id:
        return None
    data = base64.b64decode(stored["data"])
    if hashlib.sha256(data).hexdigest() != stored["sha256"]:
        return None
    return data, stored["name"]


def _mapping_step(
    request: HttpRequest,
    legal_entity: Any,
    file: BankFile,
    name: str,
    form: MappingForm | None = None,
    **extra: Any,
) -> HttpResponse:
    if form is None:
        saved = bank_file_mapping_suggest(actor=request.user, legal_entity=legal_entity, header=file.header)
        initial = (
            {
                **Mapping.from_dict(saved.columns).as_dict(),
                "skip_negative": saved.skip_negative,
                "save_as": saved.name,
            }
            if saved
            else guess_mapping(file.header).as_dict()
        )
        form = MappingForm(initial=initial, file=file)
    context = {
        "legal_entity": legal_entity,
        "file": file,
        "file_name": name,
        "mapping_form": form,
        "sample_rows": file.rows[:5],
        **extra,
    }
    return render(
        request, "receivables/bank_import.html", context, status=400 if extra.get("errors") else 200
    )


@permission("receivables.add_bankimport")
@require_http_methods(["GET", "POST"])
def bank_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload. Step 2: map the columns. Step 3: preview (``action=preview``) with every
    problem and the proposed matches. Step 4: import (``action=import``), all or nothing."""
    legal_entity = legal_entity_for(request)
    if not request.user.has_perm("receivables.add_payment"):
        raise PermissionDenied
    upload = BankUploadForm()
    if request.method == "POST" and "file" in request.FILES:
        upload = BankUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            data = upload.cleaned_data["file"]
            try:
                file = read_bank_file(data)
            except ValidationError as exc:
                upload.add_error("file", exc)
            else:
                _store(request, data, request.FILES["file"].name, legal_entity.pk)
                return _mapping_step(request, legal_entity, file, request.FILES["file"].name)
        return render(
            request,
            "receivables/bank_import.html",
            {"legal_entity": legal_entity, "upload": upload},
            status=400,
        )
    if request.method == "POST":
        stored = _stored(request, legal_entity.pk)
        if stored is None:
            messages.error(request, _("Upload the file again: the uploaded file is no longer available."))
            return redirect("receivables:bank-import")
        data, name = stored
        file = read_bank_file(data)
        form = MappingForm(request.POST, file=file)
        if not form.is_valid():
            return _mapping_step(request, legal_entity, file, name, form)
        mapping = form.mapping()
        if request.POST.get("action") == "import":
            try:
                result = bank_file_import(
                    actor=request.user,
                    legal_entity=legal_entity,
                    data=data,
                    file_name=name,
                    mapping=mapping,
                    save_mapping_as=form.cleaned_data["save_as"],
                )
            except ValidationError as exc:
                preview = bank_file_preview(
                    actor=request.user, legal_entity=legal_entity, data=data, mapping=mapping
                )
                return _mapping_step(
                    request, legal_entity, file, name, form, preview=preview, errors=error_messages(exc)
                )
            del request.session[SESSION_KEY]
            messages.success(
                request,
                _("%(n)s payments imported, %(matched)s matched to invoices.")
                % {"n": result.payments.count(), "matched": result.matched_count},
            )
            return redirect("receivables:bank-import-detail", pk=result.pk)
        try:
            preview = bank_file_preview(
                actor=request.user, legal_entity=legal_entity, data=data, mapping=mapping
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "error_dict", {}).items():
                form.add_error(field if field in form.fields else None, errors)
            return _mapping_step(request, legal_entity, file, name, form, errors=error_messages(exc))
        return _mapping_step(request, legal_entity, file, name, form, preview=preview)
    return render(request, "receivables/bank_import.html", {"legal_entity": legal_entity, "upload": upload})


@permission("receivables.view_bankimport")
@require_GET
def bank_import_list(request: HttpRequest) -> HttpResponse:
    legal_entity = legal_entity_for(request)
    imports = selectors.bank_import_list(user=request.user, legal_entity=legal_entity)
    page_obj = Paginator(imports, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "receivables/bank_import_list.html", {"page_obj": page_obj, "legal_entity": legal_entity}
    )


@permission("receivables.view_bankimport")
@require_GET
def bank_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank_file = get_visible_or_404(BankImport.objects.select_related("imported_by"), request.user, pk=pk)
    payments = selectors.payment_list(user=request.user, bank_import=bank_file).order_by("bank_import_line")
    page_obj = Paginator(payments, 100).get_page(request.GET.get("page"))
    return render(
        request, "receivables/bank_import_detail.html", {"bank_file": bank_file, "page_obj": page_obj}
    )


urlpatterns = [
    path("bank-files/", bank_import_list, name="bank-import-list"),
    path("bank-files/import/", bank_import, name="bank-import"),
    path("bank-files/<int:pk>/", bank_import_detail, name="bank-import-detail"),
]
