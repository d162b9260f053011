"""Reception desk views (signed in): the desk (today's arrivals, search, one-click check-in), the
live waiting room, visits, walk-ins, prospective patients, feedback, the office
manager's desk report, the host's visitors and the kiosk set-up.

Views are thin: permission first (403), then scoped selectors (404 outside the user's scope),
then one service; a refused service call re-renders with its messages. HTMX requests get named
partials of the same templates; the waiting room and the host badge are polled.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.core.scoping import get_visible_or_404
from frontoffice.reception import exports, forms, selectors, services
from frontoffice.reception.models import Visit

POLL_SECONDS = 5


def permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for errors in exc.error_dict.values() for e in errors for m in e.messages]
    return list(exc.messages)


def _location(request: HttpRequest):
    return selectors.working_location(
        request.user, request.GET.get("location") or request.POST.get("location")
    )


def _day(request: HttpRequest, location) -> datetime.date:
    return parse_date(request.GET.get("day") or "") or selectors.today(location)


def _url(name: str, **kwargs: Any) -> str:
    """The URL of another app's page, or "" while that page does not exist."""
    from django.urls import NoReverseMatch

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _back(request: HttpRequest, fallback: str, location) -> HttpResponse:
    return redirect(f"{reverse(fallback)}?location={location.pk}")


# ---------------------------------------------------------------- desk and check-in


@permission("reception.view_visit")
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """Today's arrivals at the location: search and check in with one click."""
    location = _location(request)
    q = request.GET.get("q", "").strip()
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "arrivals": list(selectors.arrivals_today(user=request.user, location=location, q=q)[:100]),
        "q": q,
    }
    if _partial(request):
        return render(request, "reception/desk.html#arrival-rows", context)
    context["room"] = selectors.waiting_room(user=request.user, location=location)
    context["book_url"] = _url("appointments:appointment-create")
    return render(request, "reception/desk.html", context)


@permission("reception.add_visit")
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    from frontoffice.appointments.selectors import appointments_for

    appointment = get_visible_or_404(appointments_for(request.user), request.user, pk=pk)
    location = appointment.location
    try:
        visit = services.visit_check_in(actor=request.user, appointment=appointment)
    except ValidationError as exc:
        for message in _messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s is checked in: ticket %(ticket)s.")
            % {"name": visit.name, "ticket": visit.ticket_number},
        )
    if _partial(request):
        context = {
            "location": location,
            "arrivals": list(selectors.arrivals_today(user=request.user, location=location)[:100]),
            "q": "",
        }
        return render(request, "reception/desk.html#arrival-rows", context)
    return _back(request, "reception:desk", location)


# ---------------------------------------------------------------- waiting room


@permission("reception.view_visit")
@require_GET
def waiting_room(request: HttpRequest) -> HttpResponse:
    """The live waiting room; the rows re-render every few seconds (HTMX polling)."""
    location = _location(request)
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "room": selectors.waiting_room(user=request.user, location=location),
        "poll_seconds": POLL_SECONDS,
    }
    if _partial(request):
        return render(request, "reception/waiting_room.html#waiting-rows", context)
    return render(request, "reception/waiting_room.html", context)


@permission("reception.change_visit")
@require_POST
def visit_status(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    try:
        services.visit_set_status(actor=request.user, visit=visit, status=request.POST.get("status", ""))
    except ValidationError as exc:
        for message in _messages(exc):
            messages.error(request, message)
    if _partial(request):
        context = {
            "location": visit.location,
            "room": selectors.waiting_room(user=request.user, location=visit.location),
            "poll_seconds": POLL_SECONDS,
        }
        return render(request, "reception/waiting_room.html#waiting-rows", context)
    nxt = request.POST.get("next", "")
    if nxt == "detail":
        return redirect("reception:visit-detail", pk=visit.pk)
    return _back(request, "reception:waiting-room", visit.location)


# ---------------------------------------------------------------- visits


@permission("reception.view_visit")
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    day = _day(request, location)
    status = request.GET.get("status", "")
    if status not in Visit.Status.values:
        status = ""
    receptionist = request.GET.get("receptionist", "")
    visits = selectors.visit_list(
        user=request.user,
        location=location,
        day=day,
        status=status,
        receptionist=int(receptionist) if receptionist.isdigit() else None,
        over_target=request.GET.get("over_target") == "1",
        q=request.GET.get("q", "").strip(),
    )
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers, rows = exports.visit_rows(visits.iterator(chunk_size=500))
        return exports.response(fmt, _("visits"), headers, rows)
    page_obj = Paginator(visits, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    now = selectors.local_now(location)
    rows = [(v, selectors.wait_minutes(v, now)) for v in page_obj]
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "day": day,
        "status": status,
        "statuses": Visit.Status.choices,
        "page_obj": page_obj,
        "rows": rows,
        "target": selectors.target_minutes(location),
    }
    return render(request, "reception/visit_list.html", context)


@permission("reception.view_visit")
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    events = list(visit.events.select_related("actor").order_by("at", "pk"))
    context = {
        "visit": visit,
        "events": events,
        "wait_minutes": selectors.wait_minutes(visit, selectors.local_now(visit.location)),
        "next_statuses": _next_statuses(visit),
        "appointment_url": _url("appointments:appointment-detail", pk=visit.appointment_id)
        if visit.appointment_id
        else "",
    }
    return render(request, "reception/visit_detail.html", context)


def _next_statuses(visit: Visit) -> list[tuple[str, str]]:
    from frontoffice.reception.services.visits import TRANSITIONS

    allowed = TRANSITIONS[visit.status]
    skip = Visit.Status.IN_MEETING if visit.kind == Visit.Kind.PATIENT else Visit.Status.IN_TREATMENT
    return [(s, label) for s, label in Visit.Status.choices if s in allowed and s != skip]


# ---------------------------------------------------------------- walk-ins and prospects


@permission("reception.add_visit")
@require_http_methods(["GET", "POST"])
def walk_in(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    form = forms.WalkInForm(request.POST or None, hosts=selectors.hosts_for(location))
    party = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        from frontoffice.parties.models import Party

        if data.get("party"):
            party = Party.objects.filter(pk=data["party"]).first()  # the service checks the scope
        try:
            visit = services.visit_walk_in(
                actor=request.user,
                location=location,
                kind=data["kind"],
                party=party,
                visitor_name=data.get("visitor_name", ""),
                host=data.get("host"),
                purpose=data.get("purpose", ""),
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is registered: ticket %(ticket)s.")
                % {"name": visit.name, "ticket": visit.ticket_number},
            )
            return _back(request, "reception:waiting-room", location)
    return render(request, "reception/walk_in.html", {"form": form, "location": location})


@permission("parties.view_party")
@require_GET
def party_search(request: HttpRequest) -> HttpResponse:
    """HTMX: customers matching ``q`` to pick for a walk-in (name, e-mail, phone only)."""
    parties = selectors.party_search(user=request.user, q=request.GET.get("q", ""))
    return render(
        request, "reception/walk_in.html#party-hits", {"parties": parties, "q": request.GET.get("q", "")}
    )


@permission("reception.add_visit")
@require_http_methods(["GET", "POST"])
def prospect(request: HttpRequest) -> HttpResponse:
    """Register a prospective patient (consent required); a lead for the sales desk."""
    location = _location(request)
    form = forms.ProspectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        arrived = data.pop("arrived", False)
        try:
            with transaction.atomic():
                result = services.prospect_register(actor=request.user, location=location, **data)
                if arrived:
                    visit = services.visit_walk_in(
                        actor=request.user, location=location, kind="patient", party=result.party
                    )
                    messages.info(request, _("Ticket %(ticket)s.") % {"ticket": visit.ticket_number})
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            if result.lead is not None:
                messages.success(
                    request,
                    _("%(name)s is registered and passed to the sales desk as a new-patient lead.")
                    % {"name": result.party.display_name},
                )
            else:
                messages.success(request, _("%(name)s is registered.") % {"name": result.party.display_name})
            return _back(request, "reception:desk", location)
    return render(request, "reception/prospect.html", {"form": form, "location": location})


# ---------------------------------------------------------------- host


@login_required
@require_GET
def my_visitors(request: HttpRequest) -> HttpResponse:
    """The visitors who came for the signed-in user today."""
    visits = list(selectors.host_visitors(user=request.user))
    return render(request, "reception/my_visitors.html", {"visits": visits, "poll_seconds": 10})


@login_required
@require_GET
def my_visitors_badge(request: HttpRequest) -> HttpResponse:
    """HTMX (polled): how many visitors wait for the signed-in user."""
    count = selectors.host_waiting_count(request.user)
    return render(request, "reception/partials/visitor_badge.html", {"count": count, "poll_seconds": 10})


# ---------------------------------------------------------------- complaints (moved)
# The complaints log moved to surveys (one complaint model for every desk). The old addresses
# answer 301 to the new pages, carrying their query, so bookmarks and e-mailed links still work.


def _moved(url: str, params: dict[str, Any]) -> HttpResponse:
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return redirect(f"{url}?{query}" if query else url, permanent=True)


@login_required
@require_GET
def complaint_list_moved(request: HttpRequest) -> HttpResponse:
    params = {"desk": "reception", **request.GET.dict()}
    return _moved(reverse("surveys:complaint-list"), params)


@login_required
@require_GET
def complaint_create_moved(request: HttpRequest) -> HttpResponse:
    params = {"desk": "reception", "channel": "in_person", **request.GET.dict()}
    visit = params.pop("visit", "")
    if visit.isdigit():
        params["about"] = f"reception.visit:{visit}"
    return _moved(reverse("surveys:complaint-create"), params)


@login_required
@require_GET
def complaint_detail_moved(request: HttpRequest, pk: int) -> HttpResponse:
    """The complaint moved from reception's log; 404 outside the user's scope, as before."""
    from frontoffice.surveys.selectors import complaint_moved_from

    complaint = complaint_moved_from(user=request.user, ref=f"reception.complaint:{pk}")
    return redirect(complaint.get_absolute_url(), permanent=True)


# ---------------------------------------------------------------- manager


@permission("reception.view_desk_report")
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """The office manager's desk view for one location and day."""
    location = _location(request)
    day = _day(request, location)
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "day": day,
        "report": selectors.desk_report(user=request.user, location=location, day=day),
        # The day list shows no-shows (the calendar leaves them out: they free the slot).
        "day_list_url": _url("appointments:today"),
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
    }
    return render(request, "reception/report.html", context)


@permission("reception.view_visitfeedback")
@require_GET
def feedback_list(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    day = parse_date(request.GET.get("day") or "")
    receptionist = request.GET.get("receptionist", "")
    rows = selectors.feedback_list(
        user=request.user,
        location=location,
        day=day,
        receptionist=int(receptionist) if receptionist.isdigit() else None,
    )
    page_obj = Paginator(rows, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reception/feedback_list.html",
        {
            "location": location,
            "locations": selectors.locations_for(request.user),
            "day": day,
            "page_obj": page_obj,
        },
    )


@permission("reception.manage_kiosks")
@require_http_methods(["GET", "POST"])
def desk_settings(request: HttpRequest) -> HttpResponse:
    """Kiosks (set up: the secret URL is shown once; revoke) and the waiting-time target."""
    location = _location(request)
    kiosk_form = forms.KioskForm(request.POST if request.POST.get("action") == "kiosk" else None)
    target_form = forms.TargetForm(
        request.POST if request.POST.get("action") == "target" else None,
        initial={"minutes": selectors.target_minutes(location)},
    )
    new_url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "kiosk" and kiosk_form.is_valid():
            try:
                kiosk, key = services.kiosk_create(
                    actor=request.user, location=location, **kiosk_form.cleaned_data
                )
            except ValidationError as exc:  # e.g. the training certificate the kiosk needs
                forms.apply_errors(kiosk_form, exc)
            else:
                new_url = request.build_absolute_uri(reverse("reception_public:kiosk", kwargs={"key": key}))
                messages.success(
                    request, _("Kiosk “%(name)s” is set up. Copy its address now.") % {"name": kiosk.name}
                )
        elif action == "revoke":
            kiosk = get_visible_or_404(
                selectors.kiosks_for(user=request.user, location=location),
                request.user,
                pk=request.POST.get("kiosk"),
            )
            services.kiosk_revoke(actor=request.user, kiosk=kiosk)
            messages.success(
                request, _("Kiosk “%(name)s” is revoked; its address opens nothing.") % {"name": kiosk.name}
            )
            return _back(request, "reception:settings", location)
        elif action == "target" and target_form.is_valid():
            try:
                services.waiting_target_set(actor=request.user, location=location, **target_form.cleaned_data)
            except ValidationError as exc:
                forms.apply_errors(target_form, exc)
            else:
                messages.success(request, _("The waiting-time target is saved."))
                return _back(request, "reception:settings", location)
    context = {
        "location": location,
        "locations": selectors.locations_for(request.user),
        "kiosks": selectors.kiosks_for(user=request.user, location=location),
        "kiosk_form": kiosk_form,
        "target_form": target_form,
        "new_url": new_url,
    }
    return render(request, "reception/settings.html", context)
