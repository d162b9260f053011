"""Settings pages for administrators (organisation tree, staff, roles, invitations) and the
personal API token pages every signed-in user has.

Every settings page needs ``org.manage_settings`` (403 otherwise) and reads through scoped
selectors, so units outside the administrator's scope are 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from frontoffice.core.selectors import audit_trail_for
from frontoffice.org import selectors, services
from frontoffice.org.forms import (
    ApiTokenForm,
    InvitationAcceptForm,
    InvitationForm,
    LegalEntityForm,
    LocationForm,
    RegionForm,
    RoleForm,
    StaffForm,
    TeamForm,
    apply_errors,
)
from frontoffice.org.models import Role

View = Callable[..., HttpResponse]


def settings_required(view: View) -> View:
    """Signed in (else the login page) and holding ``org.manage_settings`` (else 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(services.MANAGE_SETTINGS):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _require_organisation_admin(request: HttpRequest) -> None:
    if not services.is_organisation_admin(request.user):
        raise PermissionDenied


def _form_page(
    request: HttpRequest,
    *,
    form: Any,
    save: Callable[[dict[str, Any]], Any],
    done_message: str,
    success_url: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Validate ``form`` on POST and hand its data to ``save`` (a service call); errors stay inline."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done_message)
            return redirect(success_url)
    return render(request, template, {"form": form, **context})


def _pick(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: data[name] for name in names if name in data}


# --- organisation tree ---------------------------------------------------------------------------


@settings_required
def tree(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "org/tree.html",
        {
            "nodes": selectors.org_tree(user=request.user),
            "can_add_legal_entity": services.is_organisation_admin(request.user),
        },
    )


LEGAL_ENTITY_INPUT = (
    "name",
    "organisation_number",
    "vat_number",
    "base_currency",
    "country",
    "default_language",
)


@settings_required
def legal_entity_create(request: HttpRequest) -> HttpResponse:
    _require_organisation_admin(request)
    return _form_page(
        request,
        form=LegalEntityForm(request.POST or None),
        save=lambda data: services.legal_entity_create(
            actor=request.user, **_pick(data, *LEGAL_ENTITY_INPUT)
        ),
        done_message=_("Legal entity created."),
        success_url=reverse("org:tree"),
        template="org/unit_form.html",
        context={"title": _("New legal entity")},
    )


@settings_required
def legal_entity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entity = selectors.legal_entity_get(user=request.user, pk=pk)
    initial = {name: getattr(entity, name) for name in LEGAL_ENTITY_INPUT}
    return _form_page(
        request,
        form=LegalEntityForm(request.POST or None, initial=initial),
        save=lambda data: services.legal_entity_update(
            actor=request.user, legal_entity=entity, data=_pick(data, *LEGAL_ENTITY_INPUT)
        ),
        done_message=_("Legal entity saved."),
        success_url=reverse("org:tree"),
        template="org/unit_form.html",
        context={
            "title": entity.name,
            "object": entity,
            "audit": audit_trail_for(user=request.user, obj=entity),
        },
    )


@settings_required
def region_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=RegionForm(request.POST or None, user=request.user, initial=request.GET.dict()),
        save=lambda data: services.region_create(
            actor=request.user, **_pick(data, "legal_entity", "name", "code")
        ),
        done_message=_("Region created."),
        success_url=reverse("org:tree"),
        template="org/unit_form.html",
        context={"title": _("New region")},
    )


@settings_required
def region_edit(request: HttpRequest, pk: int) -> HttpResponse:
    region = selectors.region_get(user=request.user, pk=pk)
    return _form_page(
        request,
        form=RegionForm(
            request.POST or None,
            user=request.user,
            editing=True,
            initial={"name": region.name, "code": region.code},
        ),
        save=lambda data: services.region_update(
            actor=request.user, region=region, data=_pick(data, "name", "code")
        ),
        done_message=_("Region saved."),
        success_url=reverse("org:tree"),
        template="org/unit_form.html",
        context={
            "title": region.name,
            "subtitle": region.legal_entity.name,
            "object": region,
            "audit": audit_trail_for(user=request.user, obj=region),
        },
    )


LOCATION_INPUT = (
    "region",
    "name",
    "kind",
    "street",
    "postal_code",
    "city",
    "country",
    "time_zone",
    "opening_hours",
)


@settings_required
def location_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=LocationForm(request.POST or None, user=request.user, initial=request.GET.dict()),
        save=lambda data: services.location_create(actor=request.user, **_pick(data, *LOCATION_INPUT)),
        done_message=_("Location created."),
        success_url=reverse("org:tree"),
        template="org/location_form.html",
        context={"title": _("New location")},
    )


@settings_required
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = selectors.location_get(user=request.user, pk=pk)
    initial = {name: getattr(location, name) for name in LOCATION_INPUT if name != "opening_hours"}
    return _form_page(
        request,
        form=LocationForm(
            request.POST or None, user=request.user, initial=initial, opening_hours=location.opening_hours
        ),
        save=lambda data: services.location_update(
            actor=request.user, location=location, data=_pick(data, *LOCATION_INPUT)
        ),
        done_message=_("Location saved."),
        success_url=reverse("org:tree"),
        template="org/location_form.html",
        context={
            "title": location.name,
            "subtitle": location.legal_entity.name,
            "object": location,
            "audit": audit_trail_for(user=request.user, obj=location),
        },
    )


@settings_required
def team_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=TeamForm(request.POST or None, user=request.user, initial=request.GET.dict()),
        save=lambda data: services.team_create(actor=request.user, **_pick(data, "location", "name", "lead")),
        done_message=_("Team created."),
        success_url=reverse("org:tree"),
        template="org/unit_form.html",
        context={"title": _("New team")},
    )


@settings_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, pk=pk)
    initial = {"location": team.location_id, "name": team.name, "lead": team.lead_id}
    return _form_page(
        request,
        form=TeamForm(request.POST or None, user=request.user, initial=initial),
        save=lambda data: services.team_update(
            actor=request.user, team=team, data=_pick(data, "location", "name", "lead")
        ),
        done_message=_("Team saved."),
        success_url=reverse("org:tree"),
        template="org/unit_form.html",
        context={
            "title": team.name,
            "subtitle": team.location.name,
            "object": team,
            "audit": audit_trail_for(user=request.user, obj=team),
        },
    )


# --- staff ---------------------------------------------------------------------------------------


STAFF_EDIT_INPUT = (
    "role",
    "title",
    "supervisor",
    "home_region",
    "home_location",
    "team",
    "regions",
    "locations",
    "phone",
    "active",
)
STAFF_CREATE_INPUT = (
    "email",
    "username",
    "first_name",
    "last_name",
    "legal_entity",
    *(name for name in STAFF_EDIT_INPUT if name != "active"),
)


@settings_required
def staff_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "query": request.GET.get("q", "").strip(),
        "role": request.GET.get("role", ""),
        "location": request.GET.get("location", ""),
        "active": request.GET.get("active", ""),
    }
    rows = selectors.staff_list(user=request.user, **filters)
    page = Paginator(rows, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "filters": filters,
        "roles": Role.objects.order_by("name"),
        "locations": selectors.location_list(user=request.user),
    }
    if request.htmx:
        return render(request, "org/staff_list.html#staff-results", context)
    return render(request, "org/staff_list.html", context)


@settings_required
def staff_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=StaffForm(request.POST or None, user=request.user),
        save=lambda data: services.staff_create(actor=request.user, **_pick(data, *STAFF_CREATE_INPUT)),
        done_message=_("Staff member created. They can set a password through “Forgot password”."),
        success_url=reverse("org:staff-list"),
        template="org/staff_form.html",
        context={"title": _("New staff member")},
    )


@settings_required
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = selectors.staff_get(user=request.user, pk=pk)
    initial = {
        name: getattr(staff, name) for name in STAFF_EDIT_INPUT if name not in ("regions", "locations")
    }
    initial["regions"] = list(staff.regions.all())
    initial["locations"] = list(staff.locations.all())
    return _form_page(
        request,
        form=StaffForm(request.POST or None, user=request.user, staff=staff, initial=initial),
        save=lambda data: services.staff_update(
            actor=request.user, staff=staff, data=_pick(data, *STAFF_EDIT_INPUT)
        ),
        done_message=_("Staff member saved."),
        success_url=reverse("org:staff-list"),
        template="org/staff_form.html",
        context={
            "title": str(staff),
            "staff": staff,
            "audit": audit_trail_for(user=request.user, obj=staff),
        },
    )


@login_required
@permission_required("org.view_staff", raise_exception=True)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Read-only profile, the target of staff hits in global search."""
    staff = selectors.staff_get(user=request.user, pk=pk)
    return render(
        request,
        "org/staff_detail.html",
        {"staff": staff, "can_edit": request.user.has_perm(services.MANAGE_SETTINGS)},
    )


# --- roles ---------------------------------------------------------------------------------------


ROLE_INPUT = ("name", "description", "scope", "permissions")


@settings_required
def role_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "org/role_list.html",
        {
            "roles": selectors.role_list(user=request.user),
            "can_edit": services.is_organisation_admin(request.user),
        },
    )


@settings_required
def role_create(request: HttpRequest) -> HttpResponse:
    _require_organisation_admin(request)
    return _form_page(
        request,
        form=RoleForm(request.POST or None),
        save=lambda data: services.role_create(actor=request.user, **_pick(data, *ROLE_INPUT)),
        done_message=_("Role created."),
        success_url=reverse("org:role-list"),
        template="org/role_form.html",
        context={"title": _("New role")},
    )


@settings_required
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_organisation_admin(request)
    role = selectors.role_get(user=request.user, pk=pk)
    initial = {name: getattr(role, name) for name in ROLE_INPUT if name != "permissions"}
    initial["permissions"] = list(role.permissions.all())
    return _form_page(
        request,
        form=RoleForm(request.POST or None, initial=initial),
        save=lambda data: services.role_update(actor=request.user, role=role, data=_pick(data, *ROLE_INPUT)),
        done_message=_("Role saved."),
        success_url=reverse("org:role-list"),
        template="org/role_form.html",
        context={"title": role.name, "role": role, "audit": audit_trail_for(user=request.user, obj=role)},
    )


# --- invitations ---------------------------------------------------------------------------------


@settings_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.invitation_list(user=request.user), settings.FRONTOFFICE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for invitation in page.object_list:
        invitation.state = selectors.invitation_state(invitation)
    return render(request, "org/invitation_list.html", {"page_obj": page})


INVITATION_INPUT = (
    "email",
    "first_name",
    "last_name",
    "legal_entity",
    "role",
    "home_region",
    "home_location",
)


@settings_required
def invitation_create(request: HttpRequest) -> HttpResponse:
    return _form_page(
        request,
        form=InvitationForm(request.POST or None, user=request.user),
        save=lambda data: services.invitation_create(actor=request.user, **_pick(data, *INVITATION_INPUT)),
        done_message=_("Invitation sent."),
        success_url=reverse("org:invitation-list"),
        template="org/invitation_form.html",
        context={"title": _("Invite a person")},
    )


@settings_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get(user=request.user, pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitation withdrawn; its link no longer works."))
    return redirect("org:invitation-list")


@never_cache
@sensitive_post_parameters("password", "password_again")
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public page behind the e-mailed link: choose a username and password, then sign in."""
    invitation = selectors.invitation_for_token(token=token)
    state = selectors.invitation_state(invitation)
    form = InvitationAcceptForm(request.POST or None) if state == "pending" else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            staff = services.invitation_accept(
                token=token, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            login(request, staff.user, backend="frontoffice.org.backends.RoleBackend")
            messages.success(request, _("Welcome to Frontoffice!"))
            return redirect("core:home")
    # Gone for links that worked once (expired, withdrawn, used); not found for unknown ones.
    status = 200 if state == "pending" else 404 if state == "invalid" else 410
    return render(
        request,
        "org/invitation_accept.html",
        {"invitation": invitation if state != "invalid" else None, "state": state, "form": form},
        status=status,
    )


# --- personal API tokens -------------------------------------------------------------------------


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    return render(request, "org/token_list.html", {"tokens": selectors.api_token_list(user=request.user)})


@never_cache
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    """On success the raw token is rendered in this response only; it is not stored anywhere."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.api_token_create(actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return render(request, "org/token_created.html", {"token": token, "raw": raw})
    return render(request, "org/token_form.html", {"form": form})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.api_token_get(user=request.user, pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked; it no longer works.") % {"name": token.name})
    return redirect("org:token-list")
