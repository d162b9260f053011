"""Pages of the activities app.

- ``worklist``: the signed-in rep's today (overdue and due-today calls and tasks, today's
  meetings, overdue first contacts) with one-click "done" + outcome (HTMX);
- activity list with filters, log-a-call/plan form (from the customer page), detail, complete;
- e-mail to a customer from a template; templates (managers);
- meetings: week list, book, detail (outcome, cancel), edit, printable brief, invitation .ics;
- calendar feed settings, the feed itself (``/activities/calendar/<token>.ics``, no sign-in),
  and the customer's feedback page (``/activities/feedback/<token>/``, no sign-in).

Views are thin: permission first (403), then a scoped selector (404 outside the scope), then
one service; a refused call re-renders the form with the service's messages on their fields.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.activities import exports, forms, ics, selectors
from frontoffice.activities.models import Meeting
from frontoffice.activities.services import activities as activity_services
from frontoffice.activities.services import links, meetings
from frontoffice.core.http import safe_next_url
from frontoffice.core.scoping import get_visible_or_404, user_scope, visible_to
from frontoffice.core.throttle import client_address
from frontoffice.org.models import Location, User
from frontoffice.parties.models import Party

PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store, private, max-age=0",
}


def permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def apply_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's errors on the form's fields (others on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)


def _party(request: HttpRequest, raw: Any) -> Party:
    if not str(raw or "").isdigit():
        raise Http404
    return get_visible_or_404(Party.objects.active(), request.user, pk=int(raw))


def _optional(request: HttpRequest, app_model: str, raw: Any) -> Any:
    """A lead or opportunity by id, within the user's scope (404 otherwise); None if not given."""
    if raw in (None, ""):
        return None
    from django.apps import apps

    model = apps.get_model(app_model)
    return get_visible_or_404(model.objects.all(), request.user, pk=raw)


# ---------------------------------------------------------------- worklist


@permission("activities.view_activity")
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """The rep's today."""
    return render(
        request,
        "activities/worklist.html",
        {"worklist": selectors.worklist(user=request.user), "complete_form": forms.CompleteForm()},
    )


# ---------------------------------------------------------------- activities


@permission("activities.view_activity")
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    """Activities in scope, searched and filtered; ``?format=csv|xlsx`` exports the same rows
    (formula-safe cells, see ``activities.exports``)."""
    form = forms.ActivityFilterForm(request.GET, user=request.user)
    filters = form.filters()
    activities = selectors.activity_list(user=request.user, **filters)
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers, rows = exports.activity_rows(activities.iterator(chunk_size=500))
        return exports.response(fmt, _("activities"), _("Activities"), headers, rows)
    # The customer's name as the visible activities show it (the customer page links here).
    party_name = (
        activities.values_list("party__display_name", flat=True).first() if filters["party"] else None
    )
    page_obj = Paginator(activities, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "party_name": party_name,
        "now": timezone.now(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "activities/activity_list.html#activity-results", context)
    return render(request, "activities/activity_list.html", context)


@permission("activities.add_activity")
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    """Log a call (or plan a call or task) with a customer: ``?party=<id>&kind=call``."""
    party = _party(request, request.GET.get("party") or request.POST.get("party"))
    lead = _optional(request, "leads.Lead", request.GET.get("lead") or request.POST.get("lead"))
    opportunity = _optional(
        request, "sales.Opportunity", request.GET.get("opportunity") or request.POST.get("opportunity")
    )
    initial = {"kind": request.GET.get("kind") or "call"}
    form = forms.ActivityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = activity_services.activity_create(
                actor=request.user,
                party=party,
                kind=data["kind"],
                direction=data["direction"],
                subject=data["subject"],
                done=data["done"],
                due_at=data["due_at"],
                duration_minutes=data["duration_minutes"] or 0,
                outcome=data["outcome"],
                notes=data["notes"],
                next_step=data["next_step"],
                next_step_on=data["next_step_on"],
                lead=lead,
                opportunity=opportunity,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(activity)s") % {"activity": activity})
            return redirect(_back(party, lead, opportunity))
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "party": party, "lead": lead, "opportunity": opportunity},
    )


@permission("activities.view_activity")
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get(user=request.user, pk=pk)
    return render(
        request,
        "activities/activity_detail.html",
        {"activity": activity, "complete_form": forms.CompleteForm()},
    )


@permission("activities.change_activity")
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an activity done with its outcome; HTMX gets the updated row back."""
    activity = selectors.activity_get(user=request.user, pk=pk)
    form = forms.CompleteForm(request.POST)
    if form.is_valid():
        try:
            activity = activity_services.activity_complete(
                actor=request.user, activity=activity, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            activity = selectors.activity_get(user=request.user, pk=pk)
    if request.htmx:
        return render(
            request,
            "activities/partials/activity_row.html",
            {"activity": activity, "complete_form": form, "now": timezone.now()},
        )
    if form.errors:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        messages.success(request, _("Done: %(activity)s") % {"activity": activity})
    return redirect(safe_next_url(request, reverse("activities:worklist")))


# ---------------------------------------------------------------- e-mail


def _back(party: Any, lead: Any, opportunity: Any) -> str:
    """Where a contact logged about a lead or opportunity returns to: that record, else the customer."""
    if lead is not None:
        return reverse("leads:lead-detail", args=[lead.pk])
    if opportunity is not None:
        return reverse("sales:opportunity-detail", args=[opportunity.pk])
    return party.get_absolute_url()


@permission("activities.add_activity")
@require_http_methods(["GET", "POST"])
def email_send(request: HttpRequest) -> HttpResponse:
    party = _party(request, request.GET.get("party") or request.POST.get("party"))
    lead = _optional(request, "leads.Lead", request.GET.get("lead") or request.POST.get("lead"))
    templates = selectors.email_template_list(
        user=request.user, legal_entity=party.legal_entity_id, active_only=True
    )
    form = forms.EmailForm(request.POST or None, templates=templates, initial={"to": party.email})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity_services.email_send(
                actor=request.user,
                party=party,
                template=data["template"],
                to=data["to"],
                subject=data["subject"],
                body=data["body"],
                lead=lead,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The e-mail is on its way."))
            return redirect(_back(party, lead, None))
    return render(
        request,
        "activities/email_form.html",
        {"form": form, "party": party, "lead": lead, "placeholders": activity_services.TEMPLATE_PLACEHOLDERS},
    )


@permission("activities.view_emailtemplate")
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "activities/template_list.html",
        {"templates": selectors.email_template_list(user=request.user)},
    )


@permission("activities.view_emailtemplate")
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    template = selectors.email_template_get(user=request.user, pk=pk) if pk else None
    initial = (
        {k: getattr(template, k) for k in ("name", "language", "subject", "body", "active")}
        if template
        else None
    )
    form = forms.EmailTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        staff = getattr(request.user, "staff", None)
        legal_entity = template.legal_entity_id if template else getattr(staff, "legal_entity_id", None)
        try:
            activity_services.email_template_save(
                actor=request.user, legal_entity=legal_entity, template=template, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Template saved."))
            return redirect("activities:template-list")
    return render(
        request,
        "activities/template_form.html",
        {"form": form, "template": template, "placeholders": activity_services.TEMPLATE_PLACEHOLDERS},
    )


# ---------------------------------------------------------------- meetings


def _week(request: HttpRequest) -> datetime.date:
    raw = request.GET.get("week") or ""
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        day = timezone.localdate()
    return day - datetime.timedelta(days=day.weekday())


@permission("activities.view_meeting")
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    """One week of meetings (Monday to Sunday, local time), grouped by day."""
    monday = _week(request)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min), tz)
    end = timezone.make_aware(
        datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time.min), tz
    )
    mine = request.GET.get("mine", "1") != "0"
    status = request.GET.get("status", "")
    rows = selectors.meeting_list(
        user=request.user,
        organiser="me" if mine else None,
        status=status,
        starts_from=start,
        starts_before=end,
        q=request.GET.get("q", ""),
    )
    days = [(monday + datetime.timedelta(days=i), []) for i in range(7)]
    for meeting in rows:
        index = (timezone.localtime(meeting.starts_at, tz).date() - monday).days
        if 0 <= index < 7:
            days[index][1].append(meeting)
    return render(
        request,
        "activities/meeting_list.html",
        {
            "days": days,
            "monday": monday,
            "previous_week": monday - datetime.timedelta(days=7),
            "next_week": monday + datetime.timedelta(days=7),
            "mine": mine,
            "status": status,
            "status_choices": forms.MEETING_STATUS_CHOICES,
            "count": sum(len(d[1]) for d in days),
        },
    )


def _offices(user: Any) -> Any:
    scope = user_scope(user)
    qs = Location.objects.order_by("name")
    return qs if scope.everything else qs.filter(legal_entity_id=scope.legal_entity_id)


def _colleagues(user: Any) -> Any:
    scope = user_scope(user)
    qs = (
        User.objects.filter(is_active=True, staff__active=True)
        .exclude(pk=user.pk)
        .order_by("first_name", "last_name")
    )
    if not scope.everything:
        qs = qs.filter(staff__legal_entity_id=scope.legal_entity_id)
    return qs


def _meeting_form(request: HttpRequest, data: Any = None, **kwargs: Any) -> forms.MeetingForm:
    return forms.MeetingForm(
        data, offices=_offices(request.user), colleagues=_colleagues(request.user), **kwargs
    )


@permission("activities.add_meeting")
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    """Book a face-to-face meeting: ``?party=<id>`` (and ``lead=``/``opportunity=``)."""
    source = request.POST if request.method == "POST" else request.GET
    party = _party(request, source.get("party"))
    lead = _optional(request, "leads.Lead", source.get("lead"))
    opportunity = _optional(request, "sales.Opportunity", source.get("opportunity"))
    initial = {
        "party": party.pk,
        "lead": getattr(lead, "pk", None),
        "opportunity": getattr(opportunity, "pk", None),
        "title": _("Meeting with %(name)s") % {"name": party.display_name},
        "time_zone": "Europe/Stockholm",
    }
    form = _meeting_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = meetings.meeting_schedule(
                actor=request.user,
                party=party,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                time_zone=data["time_zone"],
                office=data["office"],
                place=data["place"],
                attendees=list(data["attendees"]),
                agenda=data["agenda"],
                lead=lead,
                opportunity=opportunity,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Meeting booked; the invitation is on its way."))
            return redirect(meeting.get_absolute_url())
    return render(request, "activities/meeting_form.html", {"form": form, "party": party, "meeting": None})


@permission("activities.view_meeting")
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    return render(
        request,
        "activities/meeting_detail.html",
        {
            "meeting": meeting,
            "outcome_form": forms.OutcomeForm(initial={"notes": meeting.notes}),
            "cancel_form": forms.CancelForm(),
            "can_change": request.user.has_perm("activities.change_meeting")
            and visible_to(Meeting.objects.filter(pk=meeting.pk), request.user).exists(),
        },
    )


def _changeable(request: HttpRequest, pk: int) -> Meeting:
    """A meeting the user may change: in their scope (attending alone is not enough)."""
    return get_visible_or_404(Meeting.objects.select_related("party", "organiser"), request.user, pk=pk)


@permission("activities.change_meeting")
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _changeable(request, pk)
    tz = meeting.time_zone
    import zoneinfo

    zone = zoneinfo.ZoneInfo(tz)
    initial = {
        "party": meeting.party_id,
        "title": meeting.title,
        "starts_at": meeting.starts_at.astimezone(zone).replace(tzinfo=None),
        "ends_at": meeting.ends_at.astimezone(zone).replace(tzinfo=None),
        "time_zone": tz,
        "office": meeting.office_id,
        "place": meeting.place,
        "attendees": list(meeting.attendees.values_list("pk", flat=True)),
        "agenda": meeting.agenda,
    }
    form = _meeting_form(request, request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meetings.meeting_update(
                actor=request.user,
                meeting=meeting,
                attendees=list(data["attendees"]),
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                time_zone=data["time_zone"],
                office=data["office"],
                place=data["place"],
                agenda=data["agenda"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Meeting updated."))
            return redirect(meeting.get_absolute_url())
    return render(
        request, "activities/meeting_form.html", {"form": form, "party": meeting.party, "meeting": meeting}
    )


@permission("activities.change_meeting")
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _changeable(request, pk)
    form = forms.CancelForm(request.POST)
    form.is_valid()
    try:
        meetings.meeting_cancel(
            actor=request.user, meeting=meeting, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Meeting cancelled; the invitees are told."))
    return redirect(meeting.get_absolute_url())


@permission("activities.change_meeting")
@require_POST
def meeting_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _changeable(request, pk)
    form = forms.OutcomeForm(request.POST)
    if form.is_valid():
        try:
            meetings.meeting_record_outcome(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Outcome recorded."))
            return redirect(meeting.get_absolute_url())
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    return render(
        request,
        "activities/meeting_detail.html",
        {"meeting": meeting, "outcome_form": form, "cancel_form": forms.CancelForm(), "can_change": True},
        status=400,
    )


@permission("activities.view_meeting")
@require_GET
def meeting_brief(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable brief: the customer's history in one page."""
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    brief = selectors.meeting_brief(user=request.user, meeting=meeting)
    return render(request, "activities/meeting_brief.html", {"meeting": meeting, "brief": brief})


@permission("activities.view_meeting")
@require_GET
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    response = HttpResponse(
        ics.invitation_ics(meeting, cancel=meeting.status == Meeting.Status.CANCELLED),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


# ---------------------------------------------------------------- calendar feed


@permission("activities.view_meeting")
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Make (or replace) or revoke the user's personal calendar feed URL; shown once."""
    feed_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            links.calendar_feed_revoke(actor=request.user)
            messages.success(request, _("Your calendar feed URL no longer works."))
            return redirect("activities:calendar-settings")
        new = links.calendar_feed_create(actor=request.user)
        feed_url = request.build_absolute_uri(links.calendar_feed_path(new.token))
    from frontoffice.activities.models import CalendarFeed

    live = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    return render(request, "activities/calendar_settings.html", {"feed_url": feed_url, "live": live})


FEED_FAILURES_PER_ADDRESS = 20
FEED_WINDOW_SECONDS = 600


def _failed_too_often(request: HttpRequest, kind: str) -> bool:
    key = f"frontoffice:activities:{kind}-fail:{client_address(request)}"
    return (cache.get(key) or 0) >= FEED_FAILURES_PER_ADDRESS


def _count_failure(request: HttpRequest, kind: str) -> None:
    key = f"frontoffice:activities:{kind}-fail:{client_address(request)}"
    if not cache.add(key, 1, FEED_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, FEED_WINDOW_SECONDS)


def _private(response: HttpResponse) -> HttpResponse:
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The personal feed (no sign-in): the token's owner's meetings, nothing else."""
    if _failed_too_often(request, "feed"):
        return _private(HttpResponse(_("Too many requests."), status=429, content_type="text/plain"))
    try:
        feed = links.calendar_feed_resolve(token)
    except links.LinkNotFound:
        _count_failure(request, "feed")
        return _private(HttpResponse(_("Not found."), status=404, content_type="text/plain"))
    rows = selectors.feed_meetings(user=feed.user)
    body = ics.feed_ics(rows, name=_("Meetings of %(user)s") % {"user": feed.user})
    return _private(HttpResponse(body, content_type="text/calendar; charset=utf-8"))


@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's feedback page (no sign-in): 1-5 and a comment, once."""
    if _failed_too_often(request, "feedback"):
        return _private(render(request, "activities/feedback.html", {"state": "throttled"}, status=429))
    try:
        request_row = links.feedback_resolve(token)
    except links.LinkNotFound:
        _count_failure(request, "feedback")
        return _private(render(request, "activities/feedback.html", {"state": "not_found"}, status=404))
    except links.FeedbackAnswered:
        return _private(render(request, "activities/feedback.html", {"state": "answered"}, status=410))
    except links.LinkGone:
        return _private(render(request, "activities/feedback.html", {"state": "expired"}, status=410))
    form = forms.FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            links.feedback_submit(token=token, **form.cleaned_data)
        except links.FeedbackAnswered:
            return _private(render(request, "activities/feedback.html", {"state": "answered"}, status=410))
        except links.LinkGone:
            return _private(render(request, "activities/feedback.html", {"state": "expired"}, status=410))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return _private(render(request, "activities/feedback.html", {"state": "thanks"}))
    return _private(
        render(
            request,
            "activities/feedback.html",
            {"state": "ask", "form": form, "meeting": request_row.meeting},
        )
    )
