"""Staff pages: survey requests with their response rate, survey settings, complaints.

Thin: check the permission, parse a form, call one selector or service, render. Lists are
scoped by ``visible_to`` in the selectors and paginated; HTMX gets the results partial.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from frontoffice.core.scoping import user_scope, visible_to
from frontoffice.surveys import exports, forms, selectors, services


def permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@permission("surveys.view_surveyrequest")
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    form = forms.RequestFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    requests = selectors.survey_request_list(
        user=request.user, kind=data.get("kind", ""), status=data.get("status", ""), q=data.get("q", "")
    )
    page_obj = Paginator(requests, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = {k.key: k.label for k in services.touchpoint_kinds()}
    for row in page_obj:
        row.trigger_label = labels.get(row.trigger, row.trigger)
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "summary": selectors.survey_summary(requests),
        "is_filtered": any(request.GET.get(k) for k in ("kind", "status", "q")),
    }
    if _partial(request):
        return render(request, "surveys/request_list.html#request-results", context)
    return render(request, "surveys/request_list.html", context)


@permission("surveys.manage_surveys")
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    entities = list(selectors.manageable_legal_entities(request.user))
    if not entities:
        raise PermissionDenied
    wanted = _int(request.POST.get("legal_entity") or request.GET.get("legal_entity"))
    entity = next((e for e in entities if e.pk == wanted), None)
    if wanted and entity is None:
        raise Http404
    entity = entity or next(
        (e for e in entities if e.pk == user_scope(request.user).legal_entity_id), entities[0]
    )
    current = services.survey_settings_for(entity.pk)
    kinds = services.touchpoint_kinds()
    initial = {
        "fatigue_days": current.fatigue_days,
        "link_days": current.link_days,
        "reminder_days": current.reminder_days,
        **{forms.SettingsForm.field_name(k.key): (current.triggers or {}).get(k.key, "") for k in kinds},
    }
    form = forms.SettingsForm(request.POST or None, initial=initial, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_settings_update(
                actor=request.user,
                legal_entity=entity,
                triggers=form.triggers(),
                fatigue_days=form.cleaned_data["fatigue_days"],
                link_days=form.cleaned_data["link_days"],
                reminder_days=form.cleaned_data["reminder_days"],
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, _("The survey settings are saved."))
            return redirect(f"{request.path}?legal_entity={entity.pk}")
    return render(
        request,
        "surveys/settings.html",
        {"form": form, "entity": entity, "entities": entities, "saved": current.pk},
    )


def _locations(request: HttpRequest):
    from frontoffice.org.models import Location

    return visible_to(Location.objects.all(), request.user).order_by("name")


@permission("surveys.view_complaint")
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    """Complaints in scope, filtered; ``?format=csv|xlsx`` exports the filtered rows. A location
    outside the user's scope is 404 (as the desks' location pages)."""
    form = forms.ComplaintFilterForm(request.GET, locations=_locations(request))
    valid = form.is_valid()
    if not valid and "location" in form.errors:
        raise Http404
    data = form.cleaned_data if valid else {}
    complaints = selectors.complaint_list(
        user=request.user,
        status=data.get("status", ""),
        desk=data.get("desk", ""),
        owner_id=_int(request.GET.get("owner")),
        location_id=data["location"].pk if data.get("location") else None,
        overdue=bool(data.get("overdue")),
        q=data.get("q", ""),
    )
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers, rows = exports.complaint_rows(complaints.iterator(chunk_size=500))
        return exports.response(fmt, _("complaints"), _("Complaints"), headers, rows)
    page_obj = Paginator(complaints, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "export_query": request.GET.urlencode(),
        "is_filtered": any(
            request.GET.get(k) for k in ("status", "desk", "overdue", "q", "owner", "location")
        ),
        "today": timezone.localdate(),
    }
    if _partial(request):
        return render(request, "surveys/complaint_list.html#complaint-results", context)
    return render(request, "surveys/complaint_list.html", context)


@permission("surveys.add_complaint")
@require_http_methods(["GET", "POST"])
def complaint_create(request: HttpRequest) -> HttpResponse:
    from frontoffice.parties.models import Party
    from frontoffice.surveys.models import SurveyRequest

    keys = ("party", "survey_request", "desk", "channel", "location", "about")
    initial = {k: request.GET.get(k) for k in keys if request.GET.get(k)}
    if "survey_request" in initial:
        initial["channel"] = "survey"
    owners = selectors.complaint_owners(legal_entity_id=user_scope(request.user).legal_entity_id)
    form = forms.ComplaintForm(
        request.POST or None, initial=initial, owners=owners, locations=_locations(request)
    )
    # The record it is about (a desk's link, e.g. "reception.visit:12"), shown above the form.
    about_key = (request.POST.get("about") if request.method == "POST" else initial.get("about")) or ""
    about = selectors.complaint_about_record(user=request.user, key=about_key) if about_key else None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if about_key and about is None:
            form.add_error(None, _("Choose a record you can see."))
            return render(request, "surveys/complaint_form.html", {"form": form, "about": None})
        try:
            complaint = services.complaint_create(
                actor=request.user,
                desk=data["desk"],
                channel=data["channel"],
                subject=data["subject"],
                description=data["description"],
                location=data.get("location"),
                party=Party.objects.filter(pk=data["party"]).first() if data.get("party") else None,
                survey_request=(
                    SurveyRequest.objects.filter(pk=data["survey_request"]).first()
                    if data.get("survey_request")
                    else None
                ),
                about=about,
                owner=data.get("owner"),
                deadline=data.get("deadline"),
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The complaint is registered."))
            return redirect(complaint)
    return render(request, "surveys/complaint_form.html", {"form": form, "about": about})


@permission("surveys.view_complaint")
@require_http_methods(["GET", "POST"])
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_get(user=request.user, pk=pk)
    owners = selectors.complaint_owners(legal_entity_id=complaint.legal_entity_id)
    action = request.POST.get("action")
    update_form = forms.ComplaintUpdateForm(
        request.POST if action == "update" else None,
        initial={"owner": complaint.owner_id, "deadline": complaint.deadline, "status": complaint.status},
        owners=owners,
    )
    resolve_form = forms.ComplaintResolveForm(request.POST if action == "resolve" else None)
    if request.method == "POST":
        if not request.user.has_perm("surveys.change_complaint"):
            raise PermissionDenied
        form = update_form if action == "update" else resolve_form
        if form.is_valid():
            try:
                if form is update_form:
                    services.complaint_update(actor=request.user, complaint=complaint, **form.cleaned_data)
                    messages.success(request, _("The complaint is updated."))
                else:
                    services.complaint_resolve(
                        actor=request.user, complaint=complaint, resolution=form.cleaned_data["resolution"]
                    )
                    messages.success(request, _("The complaint is resolved."))
            except ValidationError as exc:
                forms.apply_errors(form, exc)
            else:
                return redirect(complaint)
    # The record it is about links to its own page, which checks the scope itself.
    about = complaint.about if complaint.about_type_id else None
    about_url = about.get_absolute_url() if hasattr(about, "get_absolute_url") else ""
    return render(
        request,
        "surveys/complaint_detail.html",
        {
            "complaint": complaint,
            "update_form": update_form,
            "resolve_form": resolve_form,
            "about_url": about_url,
        },
    )
