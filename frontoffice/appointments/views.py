"""Appointments pages: day and week calendars, today's list, booking (also from an empty calendar
slot with HTMX), detail with move / cancel / no-show / follow-up, free slots, and the settings
pages for resources, working hours, absences and appointment types.

Views are thin: permission first (403), then scoped selectors (404 outside the user's scope),
then one service; a refused service call re-renders the form with the messages.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.appointments import rules, selectors, services
from frontoffice.appointments.forms import (
    AbsenceForm,
    AppointmentForm,
    AppointmentTypeForm,
    CancelForm,
    FollowUpForm,
    MoveForm,
    ResourceForm,
    WorkingHoursFormSet,
)
from frontoffice.appointments.models import Absence, Appointment, AppointmentType, Resource
from frontoffice.core.scoping import get_visible_or_404, visible_to

VIEW = "appointments.view_appointment"
ADD = "appointments.add_appointment"
CHANGE = "appointments.change_appointment"
MANAGE = "appointments.manage_resources"


def permission(perm: str):
    def decorator(view):
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for errors in exc.error_dict.values() for e in errors for m in e.messages]
    return list(exc.messages)


def _apply_errors(form, exc: ValidationError) -> None:
    """Attach service errors to the form field they name (start_at → the time field)."""
    mapping = {"start_at": "time", "reason": "reason"}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = mapping.get(field, field)
        form.add_error(target if target in form.fields else None, errors)


def _location(request: HttpRequest):
    """The location the user works on: ``?location=`` (404 outside scope) or their first one."""
    locations = selectors.locations_for(request.user)
    raw = request.GET.get("location") or request.POST.get("location")
    if raw:
        if not str(raw).isdigit():
            raise Http404
        return get_visible_or_404(locations, request.user, pk=int(raw))
    staff = getattr(request.user, "staff", None)
    home = getattr(staff, "home_location_id", None)
    location = (locations.filter(pk=home).first() if home else None) or locations.first()
    if location is None:
        raise Http404
    return location


def _day(request: HttpRequest, location) -> datetime.date:
    raw = request.GET.get("date")
    day = parse_date(raw) if raw else None
    return day or timezone.localtime(timezone.now(), rules.location_zone(location)).date()


# ---------------------------------------------------------------- calendars


def _columns_html(request: HttpRequest, grid, location):
    from frontoffice.appointments.calendar_html import render_columns

    return render_columns(
        grid,
        location_id=location.pk,
        create_url=reverse("appointments:appointment-create"),
        can_book=request.user.has_perm(ADD),
    )


@permission(VIEW)
@require_GET
def calendar_day(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    day = _day(request, location)
    resource_ids = [int(r) for r in request.GET.getlist("resource") if r.isdigit()]
    grid = selectors.day_calendar(
        user=request.user, location=location, day=day, resources=resource_ids or None
    )
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "day": day,
        "grid": grid,
        "prev": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1),
        "holiday": rules.public_holiday(location, day),
        "view": "day",
        "columns_html": _columns_html(request, grid, location),
    }
    return render(request, "appointments/calendar.html", context)


@permission(VIEW)
@require_GET
def calendar_week(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    day = _day(request, location)
    resources = selectors.resources_for(request.user, location)
    raw = request.GET.get("resource")
    # Without a resource: the location's week as a list per day; with one: its week grid.
    resource = get_visible_or_404(resources, request.user, pk=int(raw)) if raw and raw.isdigit() else None
    grid = (
        selectors.week_calendar(user=request.user, location=location, week_start=day, resource=resource)
        if resource
        else None
    )
    overview = (
        None if resource else selectors.week_overview(user=request.user, location=location, week_start=day)
    )
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "day": day,
        "grid": grid,
        "resource": resource,
        "resources": resources,
        "prev": day - datetime.timedelta(days=7),
        "next": day + datetime.timedelta(days=7),
        "view": "week",
        "overview": overview,
        "columns_html": _columns_html(request, grid, location) if grid else "",
    }
    return render(request, "appointments/calendar.html", context)


@permission(VIEW)
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    day = _day(request, location)
    appointments = selectors.appointments_today(user=request.user, location=location, day=day)
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "day": day,
        "appointments": appointments,
    }
    return render(request, "appointments/today.html", context)


# ---------------------------------------------------------------- booking


@permission(ADD)
@require_http_methods(["GET", "POST"])
def appointment_create(request: HttpRequest) -> HttpResponse:
    """Book. GET ``party=``, ``resource=``, ``start=`` (ISO local time), ``type=`` prefill the form;
    an HTMX request (from an empty calendar slot) gets the form alone."""
    location = _location(request)
    initial: dict[str, Any] = {"location": location.pk}
    party = None
    if request.method == "GET":
        start = parse_datetime(request.GET.get("start", "")) if request.GET.get("start") else None
        if start is not None:
            if timezone.is_aware(start):
                start = start.astimezone(rules.location_zone(location))
            initial.update(day=start.date(), time=start.time().replace(second=0, microsecond=0))
        for key, field in (("resource", "resource"), ("type", "appointment_type"), ("party", "party")):
            value = request.GET.get(key, "")
            if value.isdigit():
                initial[field] = int(value)
    form = AppointmentForm(request.POST or None, initial=initial, user=request.user, location=location)
    party_id = request.POST.get("party") or initial.get("party")
    if party_id and str(party_id).isdigit():
        party = form.fields["party"].queryset.filter(pk=int(party_id)).first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                actor=request.user,
                location=location,
                resource=data["resource"],
                room=data["room"],
                appointment_type=data["appointment_type"],
                party=data["party"],
                start_at=form.start_at(),
                notes=data["notes"],
                health_notes=data["health_notes"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Appointment booked. Booking code %(code)s.") % {"code": appointment.booking_code_display},
            )
            url = reverse("appointments:appointment-detail", args=[appointment.pk])
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    context = {"form": form, "location": location, "party": party}
    if request.htmx and not request.htmx.boosted:
        return render(request, "appointments/appointment_form.html#booking-form", context)
    return render(request, "appointments/appointment_form.html", context)


@permission(ADD)
@require_GET
def party_search(request: HttpRequest) -> HttpResponse:
    """HTMX: up to 10 visible customers matching ``party_q`` to pick for a booking."""
    from frontoffice.parties.selectors import party_list

    query = request.GET.get("party_q", "").strip()
    parties = party_list(user=request.user, query=query)[:10] if len(query) >= 2 else []
    return render(
        request, "appointments/appointment_form.html#party-results", {"parties": parties, "query": query}
    )


@permission(VIEW)
@require_GET
def free_slots(request: HttpRequest) -> HttpResponse:
    """HTMX: the next free slots for ``resource`` and ``type`` (links that prefill the booking form)."""
    location = _location(request)
    resource_id = request.GET.get("resource", "")
    type_id = request.GET.get("type") or request.GET.get("appointment_type") or ""
    slots: list[datetime.datetime] = []
    resource = appointment_type = None
    if resource_id.isdigit() and type_id.isdigit():
        resource = get_visible_or_404(
            selectors.resources_for(request.user, location), request.user, pk=int(resource_id)
        )
        appointment_type = selectors.types_for(request.user, location).filter(pk=int(type_id)).first()
        if appointment_type is None:
            raise Http404
        slots = selectors.free_slots(resource=resource, appointment_type=appointment_type, count=8)
    zone = rules.location_zone(location)
    context = {
        "slots": [s.astimezone(zone) for s in slots],
        "resource": resource,
        "appointment_type": appointment_type,
        "location": location,
        "party": request.GET.get("party", ""),
        "target": request.GET.get("target", "create"),
    }
    return render(request, "appointments/partials/free_slots.html", context)


# ---------------------------------------------------------------- one appointment


@permission(VIEW)
@require_GET
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_detail(request.user, pk)
    zone = rules.location_zone(appointment.location)
    local = appointment.start_at.astimezone(zone)
    context = {
        "appointment": appointment,
        "local_start": local,
        "local_end": appointment.end_at.astimezone(zone),
        "events": appointment.events.select_related("actor"),
        "move_form": MoveForm(
            initial={"resource": appointment.resource_id, "day": local.date(), "time": local.time()},
            user=request.user,
            location=appointment.location,
        ),
        "cancel_form": CancelForm(),
        "can_no_show": appointment.status == Appointment.Status.BOOKED
        and appointment.start_at <= timezone.now(),
        "can_follow_up": appointment.status
        in (Appointment.Status.DONE, Appointment.Status.IN_TREATMENT, Appointment.Status.CALLED_IN),
        "follow_ups": appointment.follow_ups.exclude(status=Appointment.Status.CANCELLED).defer(
            "health_notes"
        ),
    }
    return render(request, "appointments/appointment_detail.html", context)


@permission(CHANGE)
@require_http_methods(["GET", "POST"])
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_detail(request.user, pk)
    form = MoveForm(request.POST or None, user=request.user, location=appointment.location)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_move(
                actor=request.user,
                appointment=appointment,
                start_at=form.start_at(),
                resource=form.cleaned_data["resource"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Appointment moved; the patient gets the new time by e-mail."))
            return redirect("appointments:appointment-detail", pk=appointment.pk)
    return render(request, "appointments/appointment_move.html", {"appointment": appointment, "form": form})


@permission(CHANGE)
@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_detail(request.user, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_cancel(
                actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Appointment cancelled."))
    else:
        messages.error(request, _("Give a reason for the cancellation."))
    return redirect("appointments:appointment-detail", pk=appointment.pk)


@permission(CHANGE)
@require_POST
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_detail(request.user, pk)
    try:
        services.appointment_mark_no_show(actor=request.user, appointment=appointment)
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Marked as a no-show."))
    return redirect("appointments:appointment-detail", pk=appointment.pk)


@permission(ADD)
@require_http_methods(["GET", "POST"])
def appointment_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """Book the next visit from a finished one: type and practitioner pre-filled, next free slots offered."""
    appointment = selectors.appointment_detail(request.user, pk)
    location = appointment.location
    initial: dict[str, Any] = {
        "appointment_type": appointment.appointment_type_id,
        "resource": appointment.resource_id,
    }
    suggestions: list[datetime.datetime] = []
    if request.method == "GET":
        try:
            suggestions = selectors.free_slots(
                resource=appointment.resource,
                appointment_type=appointment.appointment_type,
                after=timezone.now() + datetime.timedelta(days=1),
                count=5,
            )
        except Exception:
            suggestions = []
        if suggestions:
            first = suggestions[0].astimezone(rules.location_zone(location))
            initial.update(day=first.date(), time=first.time())
    form = FollowUpForm(request.POST or None, initial=initial, user=request.user, location=location)
    if request.method == "POST" and form.is_valid():
        try:
            follow = services.appointment_follow_up(
                actor=request.user,
                appointment=appointment,
                appointment_type=form.cleaned_data["appointment_type"],
                resource=form.cleaned_data["resource"],
                start_at=form.start_at(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Follow-up booked."))
            return redirect("appointments:appointment-detail", pk=follow.pk)
    zone = rules.location_zone(location)
    context = {
        "appointment": appointment,
        "form": form,
        "suggestions": [s.astimezone(zone) for s in suggestions],
    }
    return render(request, "appointments/appointment_follow_up.html", context)


# ---------------------------------------------------------------- settings


@permission(MANAGE)
@require_http_methods(["GET", "POST"])
def resource_list(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        resource = form.save(commit=False)
        resource.location = location
        try:
            services.resource_save(actor=request.user, resource=resource)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Resource added. Set its working hours."))
            return redirect("appointments:resource-edit", pk=resource.pk)
    resources = selectors.resources_for(request.user, location, active_only=False)
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "resources": resources,
        "form": form,
    }
    return render(request, "appointments/settings/resource_list.html", context)


@permission(MANAGE)
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_visible_or_404(Resource.objects.select_related("location"), request.user, pk=pk)
    form = ResourceForm(
        request.POST if request.POST.get("section") == "resource" else None, instance=resource
    )
    hours_initial = [
        {
            "weekday": wh.weekday,
            "start_time": wh.start_time,
            "end_time": wh.end_time,
            "valid_from": wh.valid_from,
            "valid_until": wh.valid_until,
        }
        for wh in resource.working_hours.all()
    ]
    hours = WorkingHoursFormSet(
        request.POST if request.POST.get("section") == "hours" else None,
        initial=hours_initial,
        prefix="hours",
    )
    absence_form = AbsenceForm(request.POST if request.POST.get("section") == "absence" else None)
    errors: list[str] = []
    if request.method == "POST":
        section = request.POST.get("section")
        try:
            if section == "resource" and form.is_valid():
                services.resource_save(actor=request.user, resource=form.save(commit=False))
                messages.success(request, _("Resource saved."))
                return redirect("appointments:resource-edit", pk=resource.pk)
            if section == "hours" and hours.is_valid():
                intervals = [
                    {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
                    for f in hours.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")
                ]
                services.working_hours_set(actor=request.user, resource=resource, intervals=intervals)
                messages.success(request, _("Working hours saved."))
                return redirect("appointments:resource-edit", pk=resource.pk)
            if section == "absence" and absence_form.is_valid():
                start, end = absence_form.times(resource.location)
                services.absence_add(
                    actor=request.user,
                    resource=resource,
                    start_at=start,
                    end_at=end,
                    reason=absence_form.cleaned_data["reason"],
                )
                messages.success(request, _("Absence added."))
                return redirect("appointments:resource-edit", pk=resource.pk)
            if section == "absence-delete":
                absence = get_visible_or_404(
                    Absence.objects.filter(resource=resource),
                    request.user,
                    pk=request.POST.get("absence") or 0,
                )
                services.absence_delete(actor=request.user, absence=absence)
                messages.success(request, _("Absence removed."))
                return redirect("appointments:resource-edit", pk=resource.pk)
        except ValidationError as exc:
            errors = error_messages(exc)
    context = {
        "resource": resource,
        "form": form,
        "hours": hours,
        "absence_form": absence_form,
        "absences": resource.absences.filter(end_at__gte=timezone.now()).order_by("start_at"),
        "errors": errors,
    }
    return render(request, "appointments/settings/resource_edit.html", context)


@permission(MANAGE)
@require_http_methods(["GET", "POST"])
def type_list(request: HttpRequest) -> HttpResponse:
    types = visible_to(AppointmentType.objects.select_related("location"), request.user).order_by("name")
    form = AppointmentTypeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        appointment_type = form.save(commit=False)
        location = form.cleaned_data.get("location")
        staff = getattr(request.user, "staff", None)
        appointment_type.legal_entity_id = (
            location.legal_entity_id if location else getattr(staff, "legal_entity_id", None)
        )
        if appointment_type.legal_entity_id is None:
            form.add_error("location", _("Choose the location the type is offered at."))
        else:
            try:
                services.appointment_type_save(actor=request.user, appointment_type=appointment_type)
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
            else:
                messages.success(request, _("Appointment type saved."))
                return redirect("appointments:type-list")
    return render(request, "appointments/settings/type_list.html", {"types": types, "form": form})


@permission(MANAGE)
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    appointment_type = get_visible_or_404(AppointmentType.objects.all(), request.user, pk=pk)
    form = AppointmentTypeForm(request.POST or None, instance=appointment_type, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_type_save(actor=request.user, appointment_type=form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Appointment type saved."))
            return redirect("appointments:type-list")
    return render(
        request, "appointments/settings/type_edit.html", {"form": form, "appointment_type": appointment_type}
    )


@permission(VIEW)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return redirect("appointments:calendar-day")
