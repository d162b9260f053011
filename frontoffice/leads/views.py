"""Leads views: list and "my leads" (filters, search, export), detail (history, checklist,
duplicates, reassign, disqualify, convert), new lead, the public web form, imports, settings.

Views are thin: permission first (403), then the scoped selector (404 outside the user's
scope), then one service; a refused service call re-renders with every message.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.core.scoping import get_visible_or_404
from frontoffice.core.throttle import client_address
from frontoffice.leads import exports, selectors
from frontoffice.leads.forms import (
    AssignForm,
    ConvertForm,
    DisqualifyForm,
    HighValueThresholdForm,
    ImportUploadForm,
    LeadEditForm,
    LeadFilterForm,
    LeadForm,
    LeadSourceForm,
    QuestionForm,
    RoutingRuleForm,
    WebLeadForm,
    mapping_form,
    qualification_form,
)
from frontoffice.leads.models import Lead, LeadImport, LeadSource, QualificationQuestion, RoutingRule
from frontoffice.leads.services import (
    lead_assign,
    lead_convert,
    lead_create,
    lead_disqualify,
    lead_link_party,
    lead_qualify,
    lead_update,
    questions_for,
)
from frontoffice.leads.services.config import lead_setting_save
from frontoffice.leads.services.high_value import high_value_threshold, lead_high_value_threshold_set
from frontoffice.leads.services.imports import (
    TARGETS,
    lead_import_preview,
    lead_import_start,
    lead_import_upload,
)
from frontoffice.receivables.views.common import error_messages, legal_entity_for, permission

VIEW = "leads.view_lead"


# --- list -----------------------------------------------------------------------------------


def _list(request: HttpRequest, *, mine: bool) -> HttpResponse:
    form = LeadFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    leads = selectors.lead_list(user=request.user, mine=mine, **filters)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        if not request.user.has_perm("leads.export_lead"):
            raise PermissionDenied
        headers, rows = exports.lead_rows(leads.iterator(chunk_size=500))
        return exports.response(fmt, _("leads"), _("Leads"), headers, rows)
    page_obj = Paginator(leads, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "mine": mine,
        "now": timezone.now(),
        "list_url": "leads:my-leads" if mine else "leads:lead-list",
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "leads/lead_list.html#lead-results", context)
    return render(request, "leads/lead_list.html", context)


@permission(VIEW)
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    """Every visible lead, filtered and searched; ``?format=csv|xlsx`` downloads the list."""
    return _list(request, mine=False)


@permission(VIEW)
@require_GET
def my_leads(request: HttpRequest) -> HttpResponse:
    """The leads the user owns."""
    return _list(request, mine=True)


# --- create ---------------------------------------------------------------------------------


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(
                    name if name in form.fields else None, error.messages[0] if error.messages else error
                )
    else:
        for message in exc.messages:
            form.add_error(None, message)


@permission("leads.add_lead")
@require_http_methods(["GET", "POST"])
def lead_create_view(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_create(
                actor=request.user,
                data=form.contact_data(),
                channel=Lead.Channel.UI,
                source=form.cleaned_data.get("source"),
                legal_entity=legal_entity_for(request),
                estimated_amount=form.cleaned_data.get("estimated_amount"),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Lead saved."))
            return redirect("leads:lead-detail", lead.pk)
    return render(request, "leads/lead_form.html", {"form": form})


# --- detail and actions ---------------------------------------------------------------------


def _detail_context(request: HttpRequest, lead: Lead, **forms: Any) -> dict[str, Any]:
    questions = questions_for(lead.legal_entity_id)
    today = timezone.localdate()
    from frontoffice.leads.scoring import score_explanation

    return {
        "lead": lead,
        "score_explanation": score_explanation(lead),
        "events": selectors.lead_events(lead=lead),
        "duplicates": selectors.duplicate_parties(user=request.user, lead=lead),
        "questions": questions,
        "qualify_form": forms.get("qualify_form")
        or qualification_form(questions, initial=lead.qualification),
        "assign_form": forms.get("assign_form") or AssignForm(user=request.user, lead=lead),
        "disqualify_form": forms.get("disqualify_form") or DisqualifyForm(),
        "convert_form": forms.get("convert_form")
        or ConvertForm(
            initial={
                "name": lead.company or lead.contact_name,
                "expected_close_on": today + datetime.timedelta(days=30),
            }
        ),
        "errors": forms.get("errors") or [],
        "overdue": lead.stage == Lead.Stage.NEW
        and lead.first_contact_due_at
        and lead.first_contact_due_at < timezone.now(),
    }


@permission(VIEW)
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, pk=pk)
    return render(request, "leads/lead_detail.html", _detail_context(request, lead))


@permission("leads.change_lead")
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the lead's estimated value (refused with the reason when the owner may not own
    a lead worth that much)."""
    lead = selectors.lead_get(user=request.user, pk=pk)
    if not lead.is_open:
        messages.error(request, _("This lead is closed; its estimated value can no longer change."))
        return redirect("leads:lead-detail", lead.pk)
    form = LeadEditForm(request.POST or None, initial={"estimated_amount": lead.estimated_amount})
    if request.method == "POST" and form.is_valid():
        try:
            lead_update(actor=request.user, lead=lead, estimated_amount=form.cleaned_data["estimated_amount"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Lead saved."))
            return redirect("leads:lead-detail", lead.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "leads/lead_edit.html", {"form": form, "lead": lead}, status=status)


def _action(request: HttpRequest, pk: int, perm: str) -> Lead:
    if not request.user.has_perm(perm):
        raise PermissionDenied
    return selectors.lead_get(user=request.user, pk=pk)


def _refused(request: HttpRequest, lead: Lead, exc: ValidationError, **forms: Any) -> HttpResponse:
    context = _detail_context(request, lead, errors=error_messages(exc), **forms)
    return render(request, "leads/lead_detail.html", context, status=400)


@permission(VIEW)
@require_POST
def lead_qualify_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _action(request, pk, "leads.qualify_lead")
    questions = questions_for(lead.legal_entity_id)
    form = qualification_form(questions, data=request.POST)
    if not form.is_valid():
        return _refused(request, lead, ValidationError(_("Check the checklist.")), qualify_form=form)
    answers = {q.key: bool(form.cleaned_data.get(f"q_{q.key}")) for q in questions}
    try:
        lead_qualify(
            actor=request.user,
            lead=lead,
            answers=answers,
            qualified=bool(form.cleaned_data.get("qualified")),
            note=form.cleaned_data.get("note") or "",
        )
    except ValidationError as exc:
        return _refused(request, lead, exc, qualify_form=form)
    messages.success(request, _("Checklist saved."))
    return redirect("leads:lead-detail", lead.pk)


@permission(VIEW)
@require_POST
def lead_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _action(request, pk, "leads.change_lead")
    form = AssignForm(request.POST, user=request.user, lead=lead)
    if not form.is_valid():
        return _refused(
            request, lead, ValidationError(_("Choose an owner and give a reason.")), assign_form=form
        )
    try:
        lead_assign(
            actor=request.user,
            lead=lead,
            owner=form.cleaned_data["owner"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        return _refused(request, lead, exc, assign_form=form)
    messages.success(request, _("Lead reassigned."))
    return redirect("leads:lead-detail", lead.pk)


@permission(VIEW)
@require_POST
def lead_take_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A rep takes an unassigned lead of their region."""
    lead = _action(request, pk, "leads.change_lead")
    try:
        lead_assign(
            actor=request.user, lead=lead, owner=request.user, reason=_("Taken from the region's pool")
        )
    except ValidationError as exc:
        return _refused(request, lead, exc)
    messages.success(request, _("The lead is yours."))
    return redirect("leads:lead-detail", lead.pk)


@permission(VIEW)
@require_POST
def lead_disqualify_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _action(request, pk, "leads.qualify_lead")
    form = DisqualifyForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, lead, ValidationError(_("Say why the lead is disqualified.")), disqualify_form=form
        )
    try:
        lead_disqualify(actor=request.user, lead=lead, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        return _refused(request, lead, exc, disqualify_form=form)
    messages.success(request, _("Lead disqualified."))
    return redirect("leads:lead-detail", lead.pk)


@permission(VIEW)
@require_POST
def lead_convert_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _action(request, pk, "leads.convert_lead")
    form = ConvertForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, lead, ValidationError(_("Check the opportunity's fields.")), convert_form=form
        )
    data = form.cleaned_data
    try:
        opportunity = lead_convert(
            actor=request.user,
            lead=lead,
            name=data.get("name") or "",
            amount=data.get("amount"),
            expected_close_on=data.get("expected_close_on"),
        )
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied):
            exc = ValidationError(str(exc) or _("You do not have permission to do this."))
        return _refused(request, lead, exc, convert_form=form)
    messages.success(request, _("Lead converted to an opportunity."))
    try:
        return redirect("sales:opportunity-detail", opportunity.pk)
    except NoReverseMatch:  # the sales pages may not exist yet: stay on the lead
        return redirect("leads:lead-detail", lead.pk)


@permission(VIEW)
@require_POST
def lead_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _action(request, pk, "leads.change_lead")
    try:
        lead_link_party(actor=request.user, lead=lead, party=request.POST.get("party") or 0)
    except (ValidationError, ValueError) as exc:
        return _refused(
            request,
            lead,
            exc if isinstance(exc, ValidationError) else ValidationError(_("Unknown customer.")),
        )
    messages.success(request, _("Lead linked to the customer."))
    return redirect("leads:lead-detail", lead.pk)


# --- public web form ------------------------------------------------------------------------

WEB_FORM_LIMIT = 5  # submissions per address per window
WEB_FORM_WINDOW = 600  # seconds


def _rate_limited(request: HttpRequest) -> bool:
    """Fixed-window counter per client address (``cache.add`` starts it, ``incr`` counts),
    the same scheme as ``core.throttle``'s login counters."""
    import hashlib

    limit = int(getattr(settings, "LEADS_WEB_FORM_LIMIT", WEB_FORM_LIMIT))
    window = int(getattr(settings, "LEADS_WEB_FORM_WINDOW", WEB_FORM_WINDOW))
    digest = hashlib.sha256(client_address(request).encode()).hexdigest()
    key = f"frontoffice:leads-web-form:{digest}"
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        return False
    return count > limit


def _web_source(key: str) -> LeadSource:
    source = LeadSource.objects.select_related("legal_entity").filter(web_form_key=key, active=True).first()
    if source is None or not key:
        raise Http404
    return source


# Embeddable on other sites (an iframe or a plain form posting here), so no CSRF token: the
# form is anonymous, carries no session privilege to forge, and third-party iframes do not
# send our SameSite cookies. Spam is held off by the honeypot, the per-address rate limit and
# duplicate detection. Framing is allowed for this view only.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def web_form(request: HttpRequest, key: str) -> HttpResponse:
    source = _web_source(key)
    form = WebLeadForm(request.POST or None)
    context = {"form": form, "source": source, "thanks_url": reverse("leads:web-form-thanks", args=[key])}
    if request.method == "POST":
        if _rate_limited(request):
            context["limited"] = True
            return render(request, "leads/web_form.html", context, status=429)
        if form.is_bot:
            return redirect("leads:web-form-thanks", key)  # the same answer, nothing stored
        if form.is_valid():
            try:
                lead_create(
                    actor=None, data=form.contact_data(), channel=Lead.Channel.WEB_FORM, source=source
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("leads:web-form-thanks", key)
        return render(request, "leads/web_form.html", context, status=400)
    return render(request, "leads/web_form.html", context)


@xframe_options_exempt
@require_GET
def web_form_thanks(request: HttpRequest, key: str) -> HttpResponse:
    return render(request, "leads/web_form_thanks.html", {"source": _web_source(key)})


# --- import ---------------------------------------------------------------------------------


@permission("leads.import_lead")
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            lead_import = lead_import_upload(
                actor=request.user,
                file=form.cleaned_data["file"],
                source=form.cleaned_data.get("source"),
                legal_entity=legal_entity_for(request),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("leads:import-detail", lead_import.pk)
    imports = selectors.imports(user=request.user)[:20]
    return render(request, "leads/import_upload.html", {"form": form, "imports": imports})


@permission("leads.import_lead")
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Column mapping with a preview of the first rows (HTMX refreshes it as the mapping
    changes), then the start button; afterwards the progress and the result."""
    lead_import = get_visible_or_404(LeadImport.objects.select_related("source"), request.user, pk=pk)
    source = request.POST if request.method == "POST" else (request.GET if "preview" in request.GET else None)
    form = mapping_form(lead_import.headers, TARGETS, data=source, initial=lead_import.mapping)
    mapping = lead_import.mapping
    if source is not None and form.is_valid():
        mapping = {k[4:]: v for k, v in form.cleaned_data.items() if v}
    preview, errors = [], []
    editable = lead_import.status in (LeadImport.Status.UPLOADED, LeadImport.Status.INVALID)
    if editable:
        try:
            preview = lead_import_preview(actor=request.user, lead_import=lead_import, mapping=mapping)
        except ValidationError as exc:
            errors = error_messages(exc)
    if request.method == "POST" and editable and not errors:
        try:
            lead_import = lead_import_start(actor=request.user, lead_import=lead_import, mapping=mapping)
        except ValidationError as exc:
            errors = error_messages(exc)
        else:
            return redirect("leads:import-detail", lead_import.pk)
    targets = [(k, TARGETS[k]) for k in TARGETS if k in mapping]
    context = {
        "lead_import": lead_import,
        "form": form,
        "preview": [
            (row.line, [row.values.get(k, "") for k, _label in targets], row.errors) for row in preview
        ],
        "targets": targets,
        "errors": errors,
        "editable": editable,
    }
    if request.htmx and "preview" in request.GET:
        return render(request, "leads/import_detail.html#import-preview", context)
    return render(request, "leads/import_detail.html", context)


@permission("leads.import_lead")
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    lead_import = get_visible_or_404(LeadImport.objects.all(), request.user, pk=pk)
    return render(request, "leads/import_detail.html#import-progress", {"lead_import": lead_import})


# --- settings -------------------------------------------------------------------------------

SETTINGS_FORMS = {
    "source": (LeadSource, LeadSourceForm),
    "rule": (RoutingRule, RoutingRuleForm),
    "question": (QualificationQuestion, QuestionForm),
}


@permission("leads.manage_leads")
@require_GET
def settings_index(request: HttpRequest) -> HttpResponse:
    legal_entity = legal_entity_for(request)
    questions_for(legal_entity.pk)
    from frontoffice.core.scoping import visible_to

    context = {
        "legal_entity": legal_entity,
        "sources": selectors.sources(user=request.user, legal_entity=legal_entity),
        "rules": selectors.routing_rules(user=request.user, legal_entity=legal_entity),
        "questions": visible_to(
            QualificationQuestion.objects.filter(legal_entity=legal_entity), request.user
        ),
        "high_value_form": HighValueThresholdForm(
            initial={"high_value_threshold_amount": high_value_threshold(legal_entity.pk)}
        ),
    }
    return render(request, "leads/settings.html", context)


@permission("leads.manage_leads")
@require_POST
def settings_high_value(request: HttpRequest) -> HttpResponse:
    legal_entity = legal_entity_for(request)
    form = HighValueThresholdForm(request.POST)
    if form.is_valid():
        try:
            lead_high_value_threshold_set(
                actor=request.user,
                legal_entity=legal_entity,
                amount=form.cleaned_data["high_value_threshold_amount"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(f"{reverse('leads:settings')}?legal_entity={legal_entity.pk}")


@permission("leads.manage_leads")
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if kind not in SETTINGS_FORMS:
        raise Http404
    model, form_class = SETTINGS_FORMS[kind]
    legal_entity = legal_entity_for(request)
    instance = (
        get_visible_or_404(model.objects.all(), request.user, pk=pk)
        if pk
        else model(legal_entity=legal_entity)
    )
    if pk:
        legal_entity = instance.legal_entity
    extra = {"user": request.user, "legal_entity": legal_entity} if kind == "rule" else {}
    form = form_class(request.POST or None, instance=instance, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            lead_setting_save(actor=request.user, instance=form.instance, legal_entity=legal_entity)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('leads:settings')}?legal_entity={legal_entity.pk}")
    return render(
        request,
        "leads/settings_form.html",
        {"form": form, "kind": kind, "instance": instance, "title": model._meta.verbose_name},
    )
