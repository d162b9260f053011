"""Opportunity views: list (filters, search, export), detail with history and panels, create
and edit, the kanban board, moving a card, winning and losing.

Permission first (403), then the scoped selector (404 outside the user's scope), then one
service; a refused service call re-renders the form with every message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.core.http import safe_next_url
from frontoffice.core.scoping import visible_to
from frontoffice.sales import exports, selectors, services
from frontoffice.sales.forms import CloseForm, OpportunityFilterForm, OpportunityForm
from frontoffice.sales.models import Stage

VIEW = "sales.view_opportunity"


def permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for errors in exc.error_dict.values() for e in errors for m in e.messages]
    return list(exc.messages)


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(key if key in form.fields else None, error.messages[0])
    else:
        for message in exc.messages:
            form.add_error(None, message)


_next_url = safe_next_url


@permission(VIEW)
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    """Every opportunity within reach, filtered and searched; ``?format=csv|xlsx`` exports."""
    form = OpportunityFilterForm(request.GET, user=request.user)
    opportunities = selectors.opportunity_list(user=request.user, **form.filters())
    fmt = request.GET.get("format")
    if fmt in exports.FORMATS:
        headers, rows = exports.opportunity_rows(opportunities.iterator(chunk_size=500))
        return exports.response(fmt, _("opportunities"), _("Opportunities"), headers, rows)
    page_obj = Paginator(opportunities, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter_form": form, "page_obj": page_obj, "is_filtered": form.is_filtered}
    if request.htmx and not request.htmx.boosted:
        return render(request, "sales/opportunity_list.html#opportunity-results", context)
    return render(request, "sales/opportunity_list.html", context)


@permission(VIEW)
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(user=request.user, pk=pk)
    context = {
        "opportunity": opportunity,
        "events": selectors.opportunity_history(opportunity=opportunity),
        "lines": opportunity.lines.select_related("product"),
        "stages": selectors.stages_for(request.user),
        "can_change": request.user.has_perm("sales.change_opportunity"),
    }
    return render(request, "sales/opportunity_detail.html", context)


def _party_for(request: HttpRequest, raw: Any) -> Any:
    from frontoffice.parties.models import Party

    if not raw or not str(raw).isdigit():
        return None
    return visible_to(Party.objects.all(), request.user).filter(pk=int(raw), erased_at__isnull=True).first()


@permission("sales.add_opportunity")
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    """A new opportunity for a customer (``?party=<id>``; the customer page links here)."""
    party = _party_for(request, request.GET.get("party") or request.POST.get("party"))
    form = OpportunityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        if party is None:
            form.add_error(None, _("Choose a customer."))
        else:
            data = form.cleaned_data
            try:
                opportunity = services.opportunity_create(
                    actor=request.user,
                    party=party,
                    name=data["name"],
                    amount=data["amount"],
                    expected_close_on=data["expected_close_on"],
                    owner=data["owner"],
                    stage=data["stage"],
                    source=data["source"],
                    competitors=data["competitors"],
                    description=data["description"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Opportunity created."))
                return redirect("sales:opportunity-detail", opportunity.pk)
    parties = None
    if party is None:
        from frontoffice.parties.models import Party

        q = (request.GET.get("party_q") or "").strip()
        parties = visible_to(
            Party.objects.filter(erased_at__isnull=True, merged_into__isnull=True), request.user
        )
        if q:
            parties = parties.filter(display_name__icontains=q)
        parties = list(parties.order_by("display_name", "id")[:50])
    return render(
        request,
        "sales/opportunity_form.html",
        {"form": form, "party": party, "parties": parties, "editing": False},
    )


@permission("sales.change_opportunity")
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(user=request.user, pk=pk)
    initial = {
        "name": opportunity.name,
        "amount": f"{opportunity.amount:.2f}",
        "expected_close_on": opportunity.expected_close_on,
        "competitors": opportunity.competitors,
        "source": opportunity.source,
        "description": opportunity.description,
    }
    form = OpportunityForm(request.POST or None, initial=initial, user=request.user, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(actor=request.user, opportunity=opportunity, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("sales:opportunity-detail", opportunity.pk)
    context = {"form": form, "party": opportunity.party, "opportunity": opportunity, "editing": True}
    return render(request, "sales/opportunity_form.html", context)


def _board_context(request: HttpRequest, params: Any) -> dict[str, Any]:
    form = OpportunityFilterForm(params, user=request.user, fields=("q", "owner", "region"))
    filters = form.filters()
    columns = selectors.board(user=request.user, **filters)
    closing = [s for s in selectors.stages_for(request.user) if s.kind != Stage.Kind.OPEN]
    all_stages = [c.stage for c in columns] + closing
    # Rendered once per column, not per card (the board has up to 150 cards): the "Move to"
    # options with the column's stage selected, and the cards' URLs.
    prefix = reverse("sales:opportunity-list")
    for col in columns:
        col.options = format_html_join(
            "",
            '<option value="{}" data-kind="{}"{}>{}</option>',
            (
                (s.pk, s.kind, mark_safe(" selected") if s.pk == col.stage.pk else "", s.name)
                for s in all_stages
            ),
        )
        for card in col.cards:
            card.detail_url = f"{prefix}{card.pk}/"
            card.move_url = f"{prefix}{card.pk}/move/"
    board_query = params.urlencode() if hasattr(params, "urlencode") else ""
    return {
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
        "hidden_inputs": format_html(
            '<input type="hidden" name="from" value="board"><input type="hidden" name="board_query" value="{}">'
            '<input type="hidden" name="next" value="{}"><input type="hidden" name="reason" value="">',
            board_query,
            f"{reverse('sales:board')}?{board_query}" if board_query else reverse("sales:board"),
        ),
        "filter_form": form,
        "columns": columns,
        "closing_stages": closing,
        "all_stages": all_stages,
        "filters": filters,
        "can_change": request.user.has_perm("sales.change_opportunity"),
    }


@permission(VIEW)
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The kanban board: a column per open stage; drag a card, or use its "Move to" control."""
    context = _board_context(request, request.GET)
    if request.htmx and not request.htmx.boosted:
        return render(request, "sales/board.html#board", context)
    return render(request, "sales/board.html", context)


@permission("sales.change_opportunity")
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move to a stage (board card, detail page). A won or lost stage needs a reason: without
    one, the close form asks for it. HTMX requests from the board get the board back."""
    opportunity = selectors.opportunity_get(user=request.user, pk=pk)
    stage_id = request.POST.get("stage", "")
    reason = (request.POST.get("reason") or "").strip()
    from_board = request.POST.get("from") == "board"
    stage = Stage.objects.filter(pk=stage_id if stage_id.isdigit() else None).first()
    if stage is not None and stage.kind != Stage.Kind.OPEN and not reason and not request.htmx:
        outcome = "win" if stage.kind == Stage.Kind.WON else "lose"
        url = f"{_close_url(opportunity.pk, outcome)}?next={_next_url(request, '')}"
        return redirect(url)
    error = ""
    try:
        services.opportunity_move(actor=request.user, opportunity=opportunity, stage=stage_id, reason=reason)
    except ValidationError as exc:
        error = " ".join(error_messages(exc))
    except PermissionDenied:
        raise Http404 from None
    if request.htmx and from_board:
        from django.http import QueryDict

        context = _board_context(request, QueryDict(request.POST.get("board_query", "")))
        context["board_error"] = error
        context["moved_id"] = opportunity.pk
        response = render(request, "sales/board.html#board", context)
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": stage.name if stage else ""})
    return redirect(_next_url(request, reverse("sales:opportunity-detail", args=[opportunity.pk])))


def _close_url(pk: int, outcome: str) -> str:
    from django.urls import reverse

    return reverse("sales:opportunity-win" if outcome == "win" else "sales:opportunity-lose", args=[pk])


def _close(request: HttpRequest, pk: int, outcome: str) -> HttpResponse:
    opportunity = selectors.opportunity_get(user=request.user, pk=pk)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = services.opportunity_win if outcome == "win" else services.opportunity_lose
        try:
            service(actor=request.user, opportunity=opportunity, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in error_messages(exc):
                form.add_error("reason", message)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Marked as won.") if outcome == "win" else _("Marked as lost."))
            return redirect(_next_url(request, reverse("sales:opportunity-detail", args=[opportunity.pk])))
    context = {"opportunity": opportunity, "form": form, "outcome": outcome, "next": _next_url(request, "")}
    return render(request, "sales/opportunity_close.html", context)


@permission("sales.change_opportunity")
@require_http_methods(["GET", "POST"])
def opportunity_win(request: HttpRequest, pk: int) -> HttpResponse:
    return _close(request, pk, "win")


@permission("sales.change_opportunity")
@require_http_methods(["GET", "POST"])
def opportunity_lose(request: HttpRequest, pk: int) -> HttpResponse:
    return _close(request, pk, "lose")


urlpatterns = [
    path("", opportunity_list, name="opportunity-list"),
    path("board/", board, name="board"),
    path("new/", opportunity_create, name="opportunity-create"),
    path("<int:pk>/", opportunity_detail, name="opportunity-detail"),
    path("<int:pk>/edit/", opportunity_edit, name="opportunity-edit"),
    path("<int:pk>/move/", opportunity_move, name="opportunity-move"),
    path("<int:pk>/win/", opportunity_win, name="opportunity-win"),
    path("<int:pk>/lose/", opportunity_lose, name="opportunity-lose"),
]
