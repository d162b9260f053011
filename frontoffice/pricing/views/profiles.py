"""Pricing views: customers' price profiles (list, create and edit with rules, submit), the
approval queue, and approve, reject or withdraw with a comment.

Views are thin: permission first (403), then the scoped selector (404 outside the user's
scope), then one service. Rule editing is HTMX: each action answers with the rules table
(``pricing/profile_detail.html#rules``); without JavaScript it redirects to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontoffice.core.selectors import audit_trail_for
from frontoffice.parties.selectors import party_get
from frontoffice.pricing import selectors
from frontoffice.pricing.forms import (
    DecisionForm,
    ProfileFilterForm,
    ProfileForm,
    RuleForm,
    WithdrawForm,
    add_service_errors,
)
from frontoffice.pricing.models import PriceProfile, PriceRule
from frontoffice.pricing.services.profiles import (
    APPROVE_PERM,
    price_profile_approve,
    price_profile_create,
    price_profile_reject,
    price_profile_submit,
    price_profile_update,
    price_profile_withdraw,
    price_rule_add,
    price_rule_remove,
    price_rule_update,
)

VIEW = "pricing.view_priceprofile"
CHANGE = "pricing.change_priceprofile"


def _permission(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in (else the login page) and holding ``perm`` (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorator


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


# ---------------------------------------------------------------- list


@_permission(VIEW)
@require_GET
def profile_list(request: HttpRequest) -> HttpResponse:
    form = ProfileFilterForm(request.GET)
    filters = form.filters()
    party = party_get(user=request.user, pk=filters["party"]) if filters["party"] else None
    profiles = selectors.profile_list(user=request.user, **filters)
    page_obj = Paginator(profiles, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "is_filtered": form.is_filtered,
        "party": party,
        "status": filters["status"],
        "statuses": PriceProfile.Status,
    }
    if _fragment(request):
        return render(request, "pricing/profile_list.html#profile-results", context)
    return render(request, "pricing/profile_list.html", context)


# ---------------------------------------------------------------- create and edit


@_permission("pricing.add_priceprofile")
@require_http_methods(["GET", "POST"])
def profile_create(request: HttpRequest) -> HttpResponse:
    party_id = request.POST.get("party_fixed") or request.GET.get("party")
    party = party_get(user=request.user, pk=party_id) if party_id else None
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, user=request.user, party=party, initial={"valid_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        customer = party or fields.pop("party")
        fields.pop("party", None)
        try:
            profile = price_profile_create(actor=request.user, party=customer, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Price profile created. Add its price rules, then submit it."))
            return redirect("pricing:profile-detail", pk=profile.pk)
    return render(request, "pricing/profile_form.html", {"form": form, "party": party, "profile": None})


@_permission(CHANGE)
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.profile_get(user=request.user, pk=pk)
    if not profile.is_editable:
        messages.error(request, _("Only draft or rejected price profiles can be changed."))
        return redirect("pricing:profile-detail", pk=pk)
    initial = {
        "name": profile.name,
        "valid_from": profile.valid_from,
        "valid_to": profile.valid_to,
        "billing_profile": profile.billing_profile_id,
    }
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, user=request.user, party=profile.party, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            price_profile_update(actor=request.user, profile=profile, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Price profile saved."))
            return redirect("pricing:profile-detail", pk=pk)
    return render(
        request, "pricing/profile_form.html", {"form": form, "party": profile.party, "profile": profile}
    )


# ---------------------------------------------------------------- detail, rules


def _detail_context(request: HttpRequest, profile: PriceProfile, **extra: Any) -> dict[str, Any]:
    user = request.user
    pending = selectors.pending_request(profile)
    is_author = user.pk in (profile.created_by_id, profile.submitted_by_id)
    can_edit = profile.is_editable and user.has_perm(CHANGE)
    return {
        "profile": profile,
        "rules": selectors.profile_rules(profile),
        "currency": profile.legal_entity.base_currency,
        "pending": pending,
        "history": selectors.approval_history(profile),
        "entries": audit_trail_for(user=user, obj=profile),
        "can_edit": can_edit,
        "can_submit": profile.status == PriceProfile.Status.DRAFT and user.has_perm(CHANGE),
        "can_decide": not is_author and selectors.can_decide(user=user, request=pending, perm=APPROVE_PERM),
        "can_withdraw": profile.status not in (PriceProfile.Status.WITHDRAWN, PriceProfile.Status.SUPERSEDED)
        and user.has_perm(CHANGE),
        "rule_form": RuleForm(profile=profile) if can_edit else None,
        "decision_form": DecisionForm(),
        "withdraw_form": WithdrawForm(),
        "editing_rule": None,
        **extra,
    }


@_permission(VIEW)
@require_GET
def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.profile_get(user=request.user, pk=pk)
    return render(request, "pricing/profile_detail.html", _detail_context(request, profile))


def _rules_response(request: HttpRequest, profile: PriceProfile, **extra: Any) -> HttpResponse:
    profile = selectors.profile_get(user=request.user, pk=profile.pk)
    context = _detail_context(request, profile, **extra)
    if _fragment(request):
        return render(request, "pricing/profile_detail.html#rules", context)
    if "rule_form" in extra or "edit_form" in extra:
        return render(request, "pricing/profile_detail.html", context)
    return redirect("pricing:profile-detail", pk=profile.pk)


def _rule_of(request: HttpRequest, pk: int, rule_pk: int) -> tuple[PriceProfile, PriceRule]:
    profile = selectors.profile_get(user=request.user, pk=pk)
    return profile, get_object_or_404(
        PriceRule.objects.select_related("profile"), pk=rule_pk, profile=profile
    )


@_permission(CHANGE)
@require_POST
def rule_add(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.profile_get(user=request.user, pk=pk)
    form = RuleForm(request.POST, profile=profile)
    if form.is_valid():
        try:
            price_rule_add(actor=request.user, profile=profile, **form.service_fields())
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return _rules_response(request, profile)
            add_service_errors(form, exc)
        else:
            return _rules_response(request, profile)
    return _rules_response(request, profile, rule_form=form)


@_permission(CHANGE)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    profile, rule = _rule_of(request, pk, rule_pk)
    if request.method == "GET":
        form = RuleForm(initial=RuleForm.initial_for(rule), profile=profile, prefix=f"rule{rule.pk}")
        return _rules_response(request, profile, editing_rule=rule.pk, edit_form=form)
    form = RuleForm(request.POST, profile=profile, prefix=f"rule{rule.pk}")
    if form.is_valid():
        try:
            price_rule_update(actor=request.user, rule=rule, **form.service_fields())
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                messages.error(request, _error_text(exc))
                return _rules_response(request, profile)
            add_service_errors(form, exc)
        else:
            return _rules_response(request, profile)
    return _rules_response(request, profile, editing_rule=rule.pk, edit_form=form)


@_permission(CHANGE)
@require_POST
def rule_remove(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    profile, rule = _rule_of(request, pk, rule_pk)
    try:
        price_rule_remove(actor=request.user, rule=rule)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return _rules_response(request, profile)


# ---------------------------------------------------------------- submit and decide


@_permission(CHANGE)
@require_POST
def profile_submit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.profile_get(user=request.user, pk=pk)
    try:
        profile = price_profile_submit(actor=request.user, profile=profile)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("pricing:profile-detail", pk=pk)
    if profile.status == PriceProfile.Status.APPROVED:
        messages.success(
            request,
            _("Approved: the largest discount (%(discount)s %%) is within your own authority.")
            % {"discount": profile.max_discount_percent},
        )
    else:
        pending = selectors.pending_request(profile)
        messages.info(
            request,
            _(
                "The largest discount (%(discount)s %%) is above your authority; %(approver)s has been asked to approve it."
            )
            % {"discount": profile.max_discount_percent, "approver": pending.assigned_to if pending else "—"},
        )
    return redirect("pricing:profile-detail", pk=pk)


def _decide(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    profile = selectors.profile_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return render(
            request, "pricing/profile_detail.html", _detail_context(request, profile, decision_form=form)
        )
    comment = form.cleaned_data["comment"]
    try:
        if approve:
            price_profile_approve(actor=request.user, profile=profile, comment=comment)
        else:
            price_profile_reject(actor=request.user, profile=profile, comment=comment)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            add_service_errors(form, exc)
            context = _detail_context(request, profile, decision_form=form)
            return render(request, "pricing/profile_detail.html", context, status=200)
        messages.error(request, _error_text(exc))
        return redirect("pricing:profile-detail", pk=pk)
    if approve:
        messages.success(request, _("Price profile “%(name)s” approved.") % {"name": profile.name})
    else:
        messages.info(request, _("Price profile “%(name)s” rejected.") % {"name": profile.name})
    return redirect("pricing:approval-list")


@_permission(APPROVE_PERM)
@require_POST
def profile_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@_permission(APPROVE_PERM)
@require_POST
def profile_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@_permission(CHANGE)
@require_POST
def profile_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.profile_get(user=request.user, pk=pk)
    form = WithdrawForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        price_profile_withdraw(actor=request.user, profile=profile, comment=comment)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.info(request, _("Price profile withdrawn: it no longer prices documents."))
    return redirect("pricing:profile-detail", pk=pk)


# ---------------------------------------------------------------- approval queue


@_permission(APPROVE_PERM)
@require_GET
def approval_list(request: HttpRequest) -> HttpResponse:
    show = "all" if request.GET.get("show") == "all" else "mine"
    queue = selectors.approval_queue(user=request.user, show=show)
    page_obj = Paginator(queue, settings.FRONTOFFICE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page_obj, "requests": selectors.with_targets(page_obj), "show": show}
    if _fragment(request):
        return render(request, "pricing/approval_list.html#approval-results", context)
    return render(request, "pricing/approval_list.html", context)


urlpatterns = [
    path("profiles/", profile_list, name="profile-list"),
    path("profiles/new/", profile_create, name="profile-create"),
    path("profiles/<int:pk>/", profile_detail, name="profile-detail"),
    path("profiles/<int:pk>/edit/", profile_edit, name="profile-edit"),
    path("profiles/<int:pk>/rules/", rule_add, name="rule-add"),
    path("profiles/<int:pk>/rules/<int:rule_pk>/", rule_edit, name="rule-edit"),
    path("profiles/<int:pk>/rules/<int:rule_pk>/remove/", rule_remove, name="rule-remove"),
    path("profiles/<int:pk>/submit/", profile_submit, name="profile-submit"),
    path("profiles/<int:pk>/approve/", profile_approve, name="profile-approve"),
    path("profiles/<int:pk>/reject/", profile_reject, name="profile-reject"),
    path("profiles/<int:pk>/withdraw/", profile_withdraw, name="profile-withdraw"),
    path("approvals/", approval_list, name="approval-list"),
]
