"""RFP desk views: list, register, detail with the requirements table (HTMX inline answers and
a library search panel), review and outcome actions, documents, PDF export, answer library,
approval queue.

Thin views: permission first (403), scoped selectors (404 outside the scope), one service per
POST; a refused service call shows its messages.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.core.scoping import user_scope
from frontoffice.rfps import forms, selectors, services
from frontoffice.rfps.models import AnswerLibraryEntry, RfpStatus
from frontoffice.rfps.pdf import rfp_pdf

VIEW = "rfps.view_rfp"


def permission(perm: str):
    def decorator(view):
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for errors in exc.error_dict.values() for e in errors for m in e.messages]
    return list(exc.messages)


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in error_messages(exc):
        messages.error(request, message)


# ------------------------------------------------------------------ list and register


@permission(VIEW)
@require_GET
def rfp_list(request: HttpRequest) -> HttpResponse:
    form = forms.RfpFilterForm(request.GET, user=request.user)
    filters = form.filters()
    rfps = selectors.rfp_list(user=request.user, **filters)
    page_obj = Paginator(rfps, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter_form": form, "page_obj": page_obj, "is_filtered": bool(filters), "now": timezone.now()}
    if request.htmx and not request.htmx.boosted:
        return render(request, "rfps/rfp_list.html#rfp-results", context)
    return render(request, "rfps/rfp_list.html", context)


@permission("rfps.add_rfp")
@require_http_methods(["GET", "POST"])
def rfp_create(request: HttpRequest) -> HttpResponse:
    initial = {"received_on": timezone.localdate(), "language": "sv"}
    if request.GET.get("party", "").isdigit():
        initial["party"] = int(request.GET["party"])
    # From the opportunity page: the RFP is linked to that opportunity (404 outside the scope).
    opportunity = _opportunity(request, request.POST.get("opportunity") or request.GET.get("opportunity"))
    if opportunity is not None:
        initial.update(party=opportunity.party_id, opportunity=opportunity.pk)
    form = forms.RfpForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rfp = services.rfp_create(
                actor=request.user,
                opportunity=opportunity,
                party=data["party"],
                title=data["title"],
                reference=data["reference"],
                received_on=data["received_on"],
                due_at=data["due_at"],
                owner=data["owner"],
                contributors=data["contributors"],
                language=data["language"],
                description=data["description"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("RFP registered. Add its requirements."))
            return redirect("rfps:rfp-detail", pk=rfp.pk)
    return render(request, "rfps/rfp_form.html", {"form": form, "rfp": None, "opportunity": opportunity})


def _opportunity(request: HttpRequest, raw: Any) -> Any:
    """The opportunity of ``?opportunity=<id>`` within the user's scope, or None if not given."""
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise Http404
    from frontoffice.sales.selectors import opportunity_get

    return opportunity_get(user=request.user, pk=int(raw))


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            # Errors of hidden fields (the linked opportunity) show above the form.
            target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@permission("rfps.change_rfp")
@require_http_methods(["GET", "POST"])
def rfp_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rfp = selectors.rfp_get(user=request.user, pk=pk)
    initial = {
        "title": rfp.title,
        "reference": rfp.reference,
        "received_on": rfp.received_on,
        "due_at": timezone.localtime(rfp.due_at),
        "owner": rfp.owner_id,
        "contributors": list(rfp.contributors.values_list("pk", flat=True)),
        "language": rfp.language,
        "description": rfp.description,
        "opportunity": rfp.opportunity_id,
    }
    form = forms.RfpForm(request.POST or None, user=request.user, editing=True, rfp=rfp, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        contributors = data.pop("contributors")
        # The due field shows minutes: an unchanged field keeps the stored seconds, so saving
        # another change (the opportunity) does not record a due date change too.
        if data["due_at"] == timezone.localtime(rfp.due_at).replace(second=0, microsecond=0):
            data["due_at"] = rfp.due_at
        try:
            services.rfp_update(actor=request.user, rfp=rfp, contributors=contributors, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("RFP saved."))
            return redirect("rfps:rfp-detail", pk=rfp.pk)
    return render(request, "rfps/rfp_form.html", {"form": form, "rfp": rfp})


# ------------------------------------------------------------------ detail


def _detail_context(request: HttpRequest, rfp: Any) -> dict[str, Any]:
    context = selectors.rfp_detail_prefetch(rfp)
    user = request.user
    can_change = user.has_perm("rfps.change_rfp")
    context.update(
        {
            "rfp": rfp,
            "can_edit": can_change and rfp.is_editable,
            "can_change": can_change,
            "can_approve": user.has_perm("rfps.approve_rfp")
            and rfp.status == RfpStatus.IN_REVIEW
            and rfp.owner_id != user.pk,
            "can_promote": user.has_perm("rfps.approve_rfp"),
            "missing": [r for r in context["requirements"] if r.mandatory and not r.is_done],
            "comment_form": forms.CommentForm(),
            "outcome_form": forms.OutcomeForm(status=rfp.status),
            "requirement_form": forms.RequirementForm(),
            "import_form": forms.RequirementImportForm(),
            "document_form": forms.DocumentForm(),
            "max_upload_mb": round(services.max_upload_bytes() / 1024 / 1024, 1),
            "people": list(forms.colleagues(user, rfp.legal_entity_id)),
        }
    )
    return context


@permission(VIEW)
@require_GET
def rfp_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rfp = selectors.rfp_get(user=request.user, pk=pk)
    return render(request, "rfps/rfp_detail.html", _detail_context(request, rfp))


def _action(request: HttpRequest, pk: int, call, success: str) -> HttpResponse:
    rfp = selectors.rfp_get(user=request.user, pk=pk)
    try:
        call(rfp)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, success)
    return redirect("rfps:rfp-detail", pk=rfp.pk)


@permission("rfps.change_rfp")
@require_POST
def rfp_submit_review(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _action(
        request,
        pk,
        lambda rfp: services.rfp_submit_for_review(actor=request.user, rfp=rfp, comment=comment),
        _("Sent for review."),
    )


@permission("rfps.approve_rfp")
@require_POST
def rfp_approve(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _action(
        request,
        pk,
        lambda rfp: services.rfp_approve(actor=request.user, rfp=rfp, comment=comment),
        _("Approved."),
    )


@permission("rfps.approve_rfp")
@require_POST
def rfp_reject(request: HttpRequest, pk: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _action(
        request,
        pk,
        lambda rfp: services.rfp_reject(actor=request.user, rfp=rfp, comment=comment),
        _("Sent back to the owner."),
    )


@permission("rfps.change_rfp")
@require_POST
def rfp_mark_submitted(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda rfp: services.rfp_mark_submitted(actor=request.user, rfp=rfp),
        _("Marked as submitted."),
    )


@permission("rfps.change_rfp")
@require_POST
def rfp_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    outcome, reason = request.POST.get("outcome", ""), request.POST.get("reason", "")
    return _action(
        request,
        pk,
        lambda rfp: services.rfp_set_outcome(actor=request.user, rfp=rfp, outcome=outcome, reason=reason),
        _("Outcome recorded."),
    )


# ------------------------------------------------------------------ requirements


@permission("rfps.change_rfp")
@require_POST
def requirement_add(request: HttpRequest, pk: int) -> HttpResponse:
    rfp = selectors.rfp_get(user=request.user, pk=pk)
    form = forms.RequirementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.requirement_add(
                actor=request.user,
                rfp=rfp,
                number=data["number"],
                text=data["text"],
                mandatory=data["mandatory"],
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
    else:
        messages.error(request, _("Write the requirement."))
    return redirect("rfps:rfp-detail", pk=rfp.pk)


@permission("rfps.change_rfp")
@require_POST
def requirement_import(request: HttpRequest, pk: int) -> HttpResponse:
    rfp = selectors.rfp_get(user=request.user, pk=pk)
    try:
        made = services.requirements_import(
            actor=request.user, rfp=rfp, text=request.POST.get("requirements", "")
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("%(count)d requirements added.") % {"count": len(made)})
    return redirect("rfps:rfp-detail", pk=rfp.pk)


def _requirement_row(
    request: HttpRequest, requirement: Any, error: list[str] | None = None, editing: bool = False
):
    rfp = requirement.rfp
    user = request.user
    context = {
        "rfp": rfp,
        "requirement": requirement,
        "can_edit": user.has_perm("rfps.change_rfp") and rfp.is_editable,
        "can_promote": user.has_perm("rfps.approve_rfp"),
        "row_errors": error or [],
        "editing": editing,
        "people": list(forms.colleagues(user, rfp.legal_entity_id)),
    }
    return render(request, "rfps/rfp_detail.html#requirement-row", context)


@permission("rfps.change_rfp")
@require_http_methods(["GET", "POST"])
def requirement_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the row in edit mode (HTMX); POST: save an answer, reuse a library answer
    (``library_entry``), or mark not applicable (``not_applicable``)."""
    requirement = selectors.requirement_get(user=request.user, pk=pk)
    if request.method == "GET":
        return _requirement_row(request, requirement, editing=True)
    entry = None
    if request.POST.get("library_entry", "").isdigit():
        entry = selectors.library_get(user=request.user, pk=request.POST["library_entry"])
    errors: list[str] = []
    try:
        if request.POST.get("reopen"):
            services.requirement_reopen(actor=request.user, requirement=requirement)
        else:
            services.requirement_answer(
                actor=request.user,
                requirement=requirement,
                answer=request.POST.get("answer"),
                library_entry=entry,
                not_applicable=bool(request.POST.get("not_applicable")),
            )
    except ValidationError as exc:
        errors = error_messages(exc)
    requirement = selectors.requirement_get(user=request.user, pk=pk)
    if request.htmx:
        return _requirement_row(request, requirement, errors, editing=bool(errors))
    for message in errors:
        messages.error(request, message)
    return redirect("rfps:rfp-detail", pk=requirement.rfp_id)


@permission("rfps.change_rfp")
@require_POST
def requirement_assign(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = selectors.requirement_get(user=request.user, pk=pk)
    owner = None
    raw = request.POST.get("owner", "")
    if raw.isdigit():
        owner = forms.colleagues(request.user, requirement.rfp.legal_entity_id).filter(pk=raw).first()
        if owner is None:
            raise Http404
    errors: list[str] = []
    try:
        services.requirement_assign(actor=request.user, requirement=requirement, owner=owner)
    except ValidationError as exc:
        errors = error_messages(exc)
    requirement = selectors.requirement_get(user=request.user, pk=pk)
    if request.htmx:
        return _requirement_row(request, requirement, errors)
    return redirect("rfps:rfp-detail", pk=requirement.rfp_id)


@permission("rfps.approve_rfp")
@require_POST
def requirement_promote(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = selectors.requirement_get(user=request.user, pk=pk)
    try:
        services.library_promote(
            actor=request.user, requirement=requirement, tags=request.POST.get("tags", "")
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("The answer is in the library."))
    return redirect("rfps:rfp-detail", pk=requirement.rfp_id)


# ------------------------------------------------------------------ documents and export


@permission("rfps.change_rfp")
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    rfp = selectors.rfp_get(user=request.user, pk=pk)
    form = forms.DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            services.document_upload(actor=request.user, rfp=rfp, uploaded_file=form.cleaned_data["file"])
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("Document uploaded."))
    return redirect("rfps:rfp-detail", pk=rfp.pk)


@permission(VIEW)
@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.document_get(user=request.user, pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type="application/octet-stream",
    )


@permission(VIEW)
@require_GET
def rfp_export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    rfp = selectors.rfp_get(user=request.user, pk=pk)
    language = request.GET.get("language") or rfp.language
    pdf = rfp_pdf(rfp, list(selectors.rfp_requirements(rfp=rfp)), language=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = "".join(ch for ch in (rfp.reference or f"rfp-{rfp.pk}") if ch.isalnum() or ch in "-_") or "rfp"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


# ------------------------------------------------------------------ approval queue


@permission("rfps.approve_rfp")
@require_GET
def approval_queue(request: HttpRequest) -> HttpResponse:
    rfps = selectors.approval_queue(user=request.user)
    page_obj = Paginator(rfps, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "rfps/approval_queue.html", {"page_obj": page_obj})


# ------------------------------------------------------------------ answer library


def _library_entity(request: HttpRequest) -> Any:
    from frontoffice.org.models import LegalEntity

    entity_id = user_scope(request.user).legal_entity_id
    if entity_id is None:
        raise PermissionDenied(_("You do not work in a legal entity."))
    return LegalEntity.objects.get(pk=entity_id)


@permission(VIEW)
@require_GET
def library_list(request: HttpRequest) -> HttpResponse:
    form = forms.LibrarySearchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    entries = selectors.library_search(
        user=request.user,
        q=data.get("q", ""),
        language=data.get("language", ""),
        approved_only=bool(data.get("approved")),
    )
    page_obj = Paginator(entries, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page_obj, "is_filtered": any(data.values()) if data else False}
    if request.htmx and not request.htmx.boosted:
        return render(request, "rfps/library_list.html#library-results", context)
    return render(request, "rfps/library_list.html", context)


@permission(VIEW)
@require_GET
def library_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The side panel on a requirement: approved answers matching ``q`` (default: its text)."""
    requirement = selectors.requirement_get(user=request.user, pk=pk)
    q = request.GET.get("q")
    if q is None:
        q = " ".join(requirement.text.split()[:6])
    entries = list(
        selectors.library_search(
            user=request.user, q=q, approved_only=True, legal_entity=requirement.rfp.legal_entity_id
        )[:10]
    )
    if not entries and request.GET.get("q") is None:
        entries = list(
            selectors.library_search(
                user=request.user, approved_only=True, legal_entity=requirement.rfp.legal_entity_id
            )[:10]
        )
    context = {
        "requirement": requirement,
        "entries": entries,
        "q": q,
        "can_edit": request.user.has_perm("rfps.change_rfp") and requirement.rfp.is_editable,
    }
    return render(request, "rfps/library_panel.html", context)


@permission("rfps.manage_library")
@require_http_methods(["GET", "POST"])
def library_create(request: HttpRequest) -> HttpResponse:
    form = forms.LibraryEntryForm(request.POST or None, initial={"language": "sv"})
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.library_entry_create(
                actor=request.user, legal_entity=_library_entity(request), **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Answer added to the library."))
            return redirect("rfps:library-edit", pk=entry.pk)
    return render(request, "rfps/library_form.html", {"form": form, "entry": None})


@permission("rfps.manage_library")
@require_http_methods(["GET", "POST"])
def library_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.library_get(user=request.user, pk=pk)
    form = forms.LibraryEntryForm(request.POST or None, instance=AnswerLibraryEntry.objects.get(pk=entry.pk))
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.library_entry_update(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Library answer saved."))
            return redirect("rfps:library-edit", pk=entry.pk)
    return render(request, "rfps/library_form.html", {"form": form, "entry": entry})


@permission("rfps.approve_rfp")
@require_POST
def library_approve(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.library_get(user=request.user, pk=pk)
    services.library_entry_approve(actor=request.user, entry=entry)
    messages.success(request, _("Library answer approved."))
    return redirect("rfps:library-edit", pk=entry.pk)
