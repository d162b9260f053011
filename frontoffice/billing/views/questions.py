"""Questions about invoice lines: the staff queue, question pages, oversight, and the
customer's side of the invoice page.

Staff (namespace ``billing``; ``billing.view_invoice`` to see, scope like the invoice's
customer, out of scope is 404):

- ``billing:question-list``: the queue, filtered by status, assignee, category and deadline,
  the next deadline first, paginated (HTMX swaps ``#question-results``);
- ``billing:question-detail``: the invoice line, the customer, the conversation with internal
  notes, and the actions (reply, note, assign, resolve, reopen, close); each action POSTs
  to its own URL and, under HTMX, answers with the ``question-main`` fragment;
- ``billing:question-log``: log a question taken by phone, e-mail or in person about one
  invoice line (``billing.change_invoice``);
- ``billing:invoice-questions``: the "Questions" panel of an invoice (for the invoice detail
  page: ``{% include "billing/questions/invoice_panel_loader.html" %}`` with ``invoice``);
- ``billing:question-oversight``: queue size, deadlines at risk, median response and
  resolution times and ratings per assignee, and the deadline targets
  (``billing.manage_billing``).

Customer (namespace ``customer``, behind the private link, rate limited and private like the
invoice page; ``customer_urlpatterns``): ask about a line, write again, rate the answer. Each
POST answers with a redirect back to the invoice page (no script needed), or a small page with
the form's errors. A line or question of another invoice is 404.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.billing.forms_questions import (
    AskForm,
    AssignForm,
    LogForm,
    MessageForm,
    QuestionFilterForm,
    QuestionSettingsForm,
    RateForm,
    ReopenForm,
    ResolveForm,
    add_service_errors,
)
from frontoffice.billing.models import CustomerLink, Invoice, InvoiceLine, InvoiceQuestion
from frontoffice.billing.selectors import questions as selectors
from frontoffice.billing.selectors.catalogue import (
    billing_entity_for,
    can_choose_legal_entity,
    legal_entity_choices,
)
from frontoffice.billing.services import questions as services
from frontoffice.billing.services.links import LinkGone
from frontoffice.billing.views.customer import customer_link_view
from frontoffice.core.scoping import get_visible_or_404, user_scope
from frontoffice.core.selectors import audit_trail_for

VIEW = "billing.view_invoice"
CHANGE = "billing.change_invoice"
ISSUE = "billing.issue_invoice"
MANAGE = "billing.manage_billing"
OVERSIGHT_PERIODS = {"30": 30, "90": 90, "365": 365}


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _people(user: Any) -> list[Any]:
    """Assignees to filter the queue by: the user's legal entity's clerks and managers."""
    entity = user_scope(user).legal_entity_id
    if entity is None:
        return []
    from frontoffice.org.models import Staff

    staff = (
        Staff.objects.filter(
            legal_entity_id=entity,
            active=True,
            role__permissions__codename="change_invoice",
            role__permissions__content_type__app_label="billing",
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name")
    )
    return [member.user for member in staff]


# ---------------------------------------------------------------- the queue


@_permission(VIEW)
@require_GET
def question_list(request: HttpRequest) -> HttpResponse:
    form = QuestionFilterForm(request.GET or None, people=_people(request.user))
    filters = form.filters()
    questions = selectors.question_list(user=request.user, **filters)
    page_obj = Paginator(questions, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "now": timezone.now(),
        "at_risk_until": selectors.at_risk_until(),
    }
    if request.htmx and (not request.htmx.boosted or request.htmx.target == "question-results"):
        return render(request, "billing/questions/question_list.html#question-results", context)
    return render(request, "billing/questions/question_list.html", context)


# ---------------------------------------------------------------- one question


def _question(request: HttpRequest, pk: int) -> InvoiceQuestion:
    return selectors.question_get(user=request.user, pk=pk)


def _detail_context(request: HttpRequest, question: InvoiceQuestion, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_answer = services.can_answer(user, question)
    can_change = user.has_perm(CHANGE)
    context = {
        "question": question,
        "invoice": question.invoice,
        "line": question.line,
        "conversation": list(selectors.question_messages(question=question)),
        "entries": audit_trail_for(user=user, obj=question),
        "can_answer": can_answer,
        "can_assign": can_change and question.is_active,
        "can_credit": user.has_perm(ISSUE) and can_answer,
        "now": timezone.now(),
        "at_risk_until": selectors.at_risk_until(),
        "reply_form": MessageForm(prefix="reply"),
        "note_form": MessageForm(prefix="note"),
        "resolve_form": ResolveForm(prefix="resolve"),
        "reopen_form": ReopenForm(prefix="reopen"),
        "assign_form": None,
        **forms,
    }
    if context["can_assign"] and context["assign_form"] is None:
        people = selectors.assignee_choices(question=question)
        context["assign_form"] = AssignForm(
            people=people, prefix="assign", initial={"assignee": str(question.assigned_to_id or "")}
        )
    return context


def _respond(
    request: HttpRequest, question: InvoiceQuestion, *, status: int = 200, **forms: Any
) -> HttpResponse:
    question = _question(request, question.pk)
    context = _detail_context(request, question, **forms)
    if _fragment(request):
        return render(request, "billing/questions/question_detail.html#question-main", context, status=status)
    if status != 200:
        return render(request, "billing/questions/question_detail.html", context, status=status)
    return redirect("billing:question-detail", pk=question.pk)


@_permission(VIEW)
@require_GET
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    return render(request, "billing/questions/question_detail.html", _detail_context(request, question))


def _act(
    request: HttpRequest,
    pk: int,
    *,
    form: Any,
    form_name: str,
    action: Callable[[InvoiceQuestion, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    question = _question(request, pk)
    if not form.is_valid():
        return _respond(request, question, status=400, **{form_name: form})
    try:
        action(question, form.cleaned_data)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            add_service_errors(form, exc)
            return _respond(request, question, status=400, **{form_name: form})
        messages.error(request, _error_text(exc))
        return _respond(request, question)
    messages.success(request, done)
    return _respond(request, question)


@_permission(VIEW)
@require_POST
def question_reply(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        form=MessageForm(request.POST, prefix="reply"),
        form_name="reply_form",
        action=lambda q, data: services.question_reply(actor=request.user, question=q, body=data["body"]),
        done=_("Answer sent to the customer."),
    )


@_permission(VIEW)
@require_POST
def question_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        form=MessageForm(request.POST, prefix="note"),
        form_name="note_form",
        action=lambda q, data: services.question_note(actor=request.user, question=q, body=data["body"]),
        done=_("Internal note added."),
    )


@_permission(CHANGE)
@require_POST
def question_assign(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question(request, pk)
    form = AssignForm(request.POST, people=selectors.assignee_choices(question=question), prefix="assign")
    return _act(
        request,
        pk,
        form=form,
        form_name="assign_form",
        action=lambda q, data: services.question_assign(
            actor=request.user, question=q, assignee=data["assignee"]
        ),
        done=_("Question assigned."),
    )


@_permission(VIEW)
@require_POST
def question_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    form = ResolveForm(request.POST, prefix="resolve")
    return _act(
        request,
        pk,
        form=form,
        form_name="resolve_form",
        action=lambda q, data: services.question_resolve(
            actor=request.user,
            question=q,
            idempotency_key=request.POST.get("idempotency_key"),
            **form.service_fields(),
        ),
        done=_("Question resolved; the customer has been asked to rate the answer."),
    )


@_permission(VIEW)
@require_POST
def question_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        form=ReopenForm(request.POST, prefix="reopen"),
        form_name="reopen_form",
        action=lambda q, data: services.question_reopen(
            actor=request.user, question=q, reason=data["reason"]
        ),
        done=_("Question reopened."),
    )


@_permission(VIEW)
@require_POST
def question_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        form=ReopenForm({}),
        form_name="reopen_form",
        action=lambda q, data: services.question_close(actor=request.user, question=q),
        done=_("Question closed."),
    )


# ---------------------------------------------------------------- from an invoice


def _issued_invoice(request: HttpRequest, pk: int) -> Invoice:
    return get_visible_or_404(Invoice.objects.issued().select_related("series", "party"), request.user, pk=pk)


@_permission(CHANGE)
@require_http_methods(["GET", "POST"])
def question_log(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    invoice = _issued_invoice(request, pk)
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=invoice)
    form = LogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_log(actor=request.user, line=line, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Question logged and assigned to %(person)s.")
                % {"person": question.assigned_to or _("nobody yet")},
            )
            return redirect("billing:question-detail", pk=question.pk)
    return render(
        request,
        "billing/questions/question_log.html",
        {"invoice": invoice, "line": line, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@_permission(VIEW)
@require_GET
def invoice_questions(request: HttpRequest, pk: int) -> HttpResponse:
    """The questions panel of one invoice (loaded into the invoice detail page)."""
    invoice = _issued_invoice(request, pk)
    context = {
        "invoice": invoice,
        "questions": list(selectors.invoice_question_list(user=request.user, invoice=invoice)),
        "lines": list(invoice.lines.order_by("line_no")) if invoice.kind == Invoice.Kind.INVOICE else [],
        "can_log": request.user.has_perm(CHANGE),
        "now": timezone.now(),
    }
    return render(request, "billing/questions/invoice_panel.html", context)


# ---------------------------------------------------------------- oversight


@_permission(MANAGE)
@require_http_methods(["GET", "POST"])
def question_oversight(request: HttpRequest) -> HttpResponse:
    entity = billing_entity_for(user=request.user, legal_entity=request.GET.get("legal_entity"))
    if entity is None:
        raise Http404
    period = request.GET.get("period") if request.GET.get("period") in OVERSIGHT_PERIODS else "90"
    targets = services.question_settings_for(entity)
    form = QuestionSettingsForm(
        request.POST or None,
        initial={
            "first_response_hours": targets.first_response_hours,
            "resolution_hours": targets.resolution_hours,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.question_settings_update(actor=request.user, legal_entity=entity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Deadline targets saved. They apply to questions asked from now on."))
            return redirect(request.get_full_path())
    since = timezone.now() - datetime.timedelta(days=OVERSIGHT_PERIODS[period])
    chooser = can_choose_legal_entity(user=request.user)
    context = {
        "legal_entity": entity,
        "entity_choices": legal_entity_choices(user=request.user) if chooser else None,
        "entity_query": f"?legal_entity={entity.pk}" if chooser else "",
        "period": period,
        "periods": [("30", _("30 days")), ("90", _("90 days")), ("365", _("12 months"))],
        "oversight": selectors.question_oversight(user=request.user, legal_entity=entity, since=since),
        "settings_form": form,
    }
    return render(
        request,
        "billing/questions/oversight.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


# ---------------------------------------------------------------- the customer's side


def _back_to_page(token: str, anchor: str = "questions", **query: Any) -> HttpResponse:
    url = reverse("customer:invoice", kwargs={"token": token})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return redirect(f"{url}#{anchor}", permanent=False)


def _gone(request: HttpRequest, link: CustomerLink) -> HttpResponse:
    message = _(
        "This link is no longer available: it has expired or been withdrawn. "
        "Contact us and we will send you a new one."
    )
    return render(
        request, "billing/customer/unavailable.html", {"message": message, "status": 410}, status=410
    )


def _customer_form_page(
    request: HttpRequest,
    link: CustomerLink,
    token: str,
    form: Any,
    *,
    title: str,
    action: str,
    question: Any = None,
) -> HttpResponse:
    context = {
        "invoice": link.invoice,
        "token": token,
        "form": form,
        "title": title,
        "action": action,
        "question": question,
    }
    return render(request, "billing/questions/customer_form.html", context, status=400)


def _customer_question(link: CustomerLink, question_pk: int) -> InvoiceQuestion:
    """A question of the link's invoice, else 404 (another invoice's id reveals nothing)."""
    return get_object_or_404(
        InvoiceQuestion.objects.select_related("line"), pk=question_pk, invoice=link.invoice
    )


@require_POST
@customer_link_view
def customer_question_ask(request: HttpRequest, link: CustomerLink) -> HttpResponse:
    token = request.resolver_match.kwargs["token"]
    form = AskForm(request.POST)
    action = reverse("customer:invoice-question-ask", kwargs={"token": token})
    if not form.is_valid():
        return _customer_form_page(request, link, token, form, title=_("Ask about this line"), action=action)
    line = get_object_or_404(InvoiceLine, invoice=link.invoice, line_no=form.cleaned_data["line"])
    data = {k: v for k, v in form.cleaned_data.items() if k != "line"}
    try:
        question = services.question_ask_by_customer(link=link, line=line, **data)
    except LinkGone:
        return _gone(request, link)
    except ValidationError as exc:
        if getattr(exc, "code", None) == "unknown_line":
            raise Http404 from exc
        add_service_errors(form, exc)
        return _customer_form_page(request, link, token, form, title=_("Ask about this line"), action=action)
    return _back_to_page(token, anchor=f"question-{question.pk}", asked=question.pk)


def _through_link(
    request: HttpRequest, token: str, handler: Callable[[HttpRequest, CustomerLink], HttpResponse]
) -> HttpResponse:
    """Run ``handler`` behind the link checks of the invoice page (rate limit, live link,
    the invoice's language, private headers); ``customer_link_view`` takes the token only."""
    return customer_link_view(handler)(request, token)


@require_POST
def customer_question_message(request: HttpRequest, token: str, question_pk: int) -> HttpResponse:
    return _through_link(
        request, token, lambda request, link: _customer_message(request, link, token, question_pk)
    )


def _customer_message(request: HttpRequest, link: CustomerLink, token: str, question_pk: int) -> HttpResponse:
    question = _customer_question(link, question_pk)
    form = MessageForm(request.POST)
    action = reverse("customer:invoice-question-message", kwargs={"token": token, "question_pk": question.pk})
    if form.is_valid():
        try:
            services.question_customer_message(link=link, question=question, body=form.cleaned_data["body"])
        except LinkGone:
            return _gone(request, link)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _back_to_page(token, anchor=f"question-{question.pk}")
    return _customer_form_page(
        request, link, token, form, title=_("Write to us"), action=action, question=question
    )


@require_POST
def customer_question_rate(request: HttpRequest, token: str, question_pk: int) -> HttpResponse:
    return _through_link(
        request, token, lambda request, link: _customer_rate(request, link, token, question_pk)
    )


def _customer_rate(request: HttpRequest, link: CustomerLink, token: str, question_pk: int) -> HttpResponse:
    question = _customer_question(link, question_pk)
    form = RateForm(request.POST)
    action = reverse("customer:invoice-question-rate", kwargs={"token": token, "question_pk": question.pk})
    if form.is_valid():
        try:
            services.question_rate(link=link, question=question, **form.cleaned_data)
        except LinkGone:
            return _gone(request, link)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _back_to_page(token, anchor=f"question-{question.pk}", rated=question.pk)
    return _customer_form_page(
        request, link, token, form, title=_("Rate our answer"), action=action, question=question
    )


urlpatterns = [
    path("questions/", question_list, name="question-list"),
    path("questions/oversight/", question_oversight, name="question-oversight"),
    path("questions/<int:pk>/", question_detail, name="question-detail"),
    path("questions/<int:pk>/reply/", question_reply, name="question-reply"),
    path("questions/<int:pk>/note/", question_note, name="question-note"),
    path("questions/<int:pk>/assign/", question_assign, name="question-assign"),
    path("questions/<int:pk>/resolve/", question_resolve, name="question-resolve"),
    path("questions/<int:pk>/reopen/", question_reopen, name="question-reopen"),
    path("questions/<int:pk>/close/", question_close, name="question-close"),
    path("invoices/<int:pk>/questions/", invoice_questions, name="invoice-questions"),
    path("invoices/<int:pk>/lines/<int:line_pk>/question/", question_log, name="question-log"),
]

# Mounted under /c/ (namespace "customer") next to the invoice page.
customer_urlpatterns = [
    path("<str:token>/questions/", customer_question_ask, name="invoice-question-ask"),
    path(
        "<str:token>/questions/<int:question_pk>/message/",
        customer_question_message,
        name="invoice-question-message",
    ),
    path(
        "<str:token>/questions/<int:question_pk>/rate/", customer_question_rate, name="invoice-question-rate"
    ),
]
