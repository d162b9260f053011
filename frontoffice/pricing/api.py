"""``/api/v1/pricing/``: price profiles (list, create with rules, submit, approve, reject) and
the line price lookup.

The views call the same services and selectors as the pages. Amounts and percentages travel
as strings (``"12.50"``), never JSON numbers. A profile outside your scope is 404; a missing
permission 403; domain refusals are 400 with the service's code (``no_rules``,
``no_approver``, ``self_approval``, ``above_authority``, ``comment_required``, ...).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField, RefSerializer, ScopedPrimaryKeyRelatedField
from frontoffice.billing.models import BillingProfile, Product, ProductGroup
from frontoffice.core.scoping import visible_to
from frontoffice.parties.models import Party
from frontoffice.pricing import selectors
from frontoffice.pricing.models import PriceProfile, PriceRule
from frontoffice.pricing.services.profiles import (
    price_profile_approve,
    price_profile_create,
    price_profile_reject,
    price_profile_submit,
    price_rule_add,
)

VIEW = "pricing.view_priceprofile"
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Price profile id.")
_DECIMAL = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,3})?$")


class DecimalStringField(serializers.CharField):
    """A non-negative decimal as a JSON string (``"12.50"``); numbers are refused."""

    default_error_messages = {
        "not_string": _("Send amounts and percentages as strings such as “12.50”; numbers are refused."),
        "invalid_decimal": _("Enter a non-negative number such as “12.50”."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_string")
        text = data.strip()
        if not _DECIMAL.match(text):
            self.fail("invalid_decimal")
        return text


def _visible_products(queryset: Any, user: Any) -> Any:
    return visible_to(queryset, user).filter(active=True)


# ---------------------------------------------------------------- input


class PriceRuleInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PriceRule.Kind.choices, default=PriceRule.Kind.PERCENT)
    product_group = ScopedPrimaryKeyRelatedField(
        queryset=ProductGroup.objects.all(), scope=_visible_products, required=False, allow_null=True
    )
    product = ScopedPrimaryKeyRelatedField(
        queryset=Product.objects.all(), scope=_visible_products, required=False, allow_null=True
    )
    discount_percent = DecimalStringField(help_text="Percent rules: 0 to 100, e.g. `12.50`.")
    unit_price_amount = DecimalStringField(help_text="Fixed-price rules (a product only): e.g. `850.00`.")
    min_quantity = DecimalStringField(help_text="The rule applies from this quantity on (default 0: any).")

    class Meta:
        ref_name = "PriceRuleInput"


class PriceProfileInputSerializer(serializers.Serializer):
    party = ScopedPrimaryKeyRelatedField(
        queryset=Party.objects.all(),
        scope=lambda qs, user: visible_to(qs, user).active(),
        help_text="Customer id.",
    )
    name = serializers.CharField(max_length=100)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)
    billing_profile = ScopedPrimaryKeyRelatedField(
        queryset=BillingProfile.objects.all(), required=False, allow_null=True, default=None
    )
    rules = PriceRuleInputSerializer(many=True, required=False, max_length=200, default=list)
    submit = serializers.BooleanField(
        default=False, help_text="Submit at once (approved at once within your discount authority)."
    )

    class Meta:
        ref_name = "PriceProfileInput"


class DecisionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    class Meta:
        ref_name = "PriceProfileDecisionInput"


class PriceProfileFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PriceProfile.Status.choices, required=False)
    party = IdField(required=False, help_text="Customer id.")

    class Meta:
        ref_name = "PriceProfileFilter"


class LinePriceQuerySerializer(serializers.Serializer):
    party = ScopedPrimaryKeyRelatedField(queryset=Party.objects.all(), help_text="Customer id.")
    product = ScopedPrimaryKeyRelatedField(
        queryset=Product.objects.all(), scope=_visible_products, help_text="Product id."
    )
    quantity = DecimalStringField(required=False, default="1", help_text="Default `1`.")
    on = serializers.DateField(required=False, help_text="Document date, ISO 8601 (default: today).")

    class Meta:
        ref_name = "LinePriceQuery"


# ---------------------------------------------------------------- output


def _money(max_digits: int = 14) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=max_digits, decimal_places=2, coerce_to_string=True)


class PriceRuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    product_group = RefSerializer(allow_null=True)
    product = RefSerializer(allow_null=True)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    unit_price_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    min_quantity = serializers.DecimalField(max_digits=12, decimal_places=3)

    class Meta:
        ref_name = "PriceRule"


class DecisionOutputSerializer(serializers.Serializer):
    action = serializers.CharField()
    actor = RefSerializer()
    comment = serializers.CharField()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    authority_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    routed_to = RefSerializer(allow_null=True)
    at = serializers.DateTimeField()

    class Meta:
        ref_name = "ApprovalDecision"


class PriceProfileOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    legal_entity = serializers.IntegerField(source="legal_entity_id")
    party = RefSerializer()
    billing_profile = serializers.IntegerField(source="billing_profile_id", allow_null=True)
    name = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=PriceProfile.Status.choices)
    max_discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="Largest discount of the rules when last submitted."
    )
    created_by = RefSerializer(allow_null=True)
    approved_by = RefSerializer(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    superseded_by = serializers.IntegerField(source="superseded_by_id", allow_null=True)
    superseded_from = serializers.DateField(allow_null=True)
    awaiting = serializers.SerializerMethodField(help_text="Who the pending approval is routed to, if any.")
    rules = serializers.SerializerMethodField()
    decisions = serializers.SerializerMethodField(help_text="The approval history, oldest first.")

    class Meta:
        ref_name = "PriceProfile"

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_awaiting(self, profile: PriceProfile) -> dict[str, Any] | None:
        if not self.context.get("detail") or profile.status != PriceProfile.Status.PENDING_APPROVAL:
            return None
        pending = selectors.pending_request(profile)
        return RefSerializer(pending.assigned_to).data if pending and pending.assigned_to else None

    @extend_schema_field(PriceRuleOutputSerializer(many=True))
    def get_rules(self, profile: PriceProfile) -> list[dict[str, Any]]:
        rules = selectors.profile_rules(profile) if self.context.get("detail") else profile.rules.all()
        return PriceRuleOutputSerializer(rules, many=True).data

    @extend_schema_field(DecisionOutputSerializer(many=True))
    def get_decisions(self, profile: PriceProfile) -> list[dict[str, Any]]:
        if not self.context.get("detail"):
            return []
        return DecisionOutputSerializer(selectors.approval_history(profile), many=True).data


class LinePriceOutputSerializer(serializers.Serializer):
    unit_price_amount = _money()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    net_unit_price_amount = _money()
    list_price_amount = _money()
    currency = serializers.CharField()
    source = serializers.CharField(
        help_text="Where the price comes from: a price profile, or the list price."
    )
    price_profile = serializers.IntegerField(source="profile_id", allow_null=True)

    class Meta:
        ref_name = "LinePrice"


# ---------------------------------------------------------------- helpers


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _detail(request: Request, profile: PriceProfile, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.profile_get(user=request.user, pk=profile.pk)
    return Response(PriceProfileOutputSerializer(fresh, context={"detail": True}).data, status=code)


def service_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """The one error shape, keeping the service's code also for field errors
    (``comment_required``, ``duplicate_rule``, ...)."""
    drf_exc = django_validation_error_to_drf(exc)
    if hasattr(exc, "error_dict") and not getattr(drf_exc, "domain_code", None):
        codes = [e.code for errors in exc.error_dict.values() for e in errors if getattr(e, "code", None)]
        if codes:
            drf_exc.domain_code = codes[0]  # type: ignore[attr-defined]
    return drf_exc


def _rule_errors(exc: DjangoValidationError, index: int) -> DjangoValidationError:
    """Name a rule's field errors ``rules.<index>.<field>``, as the input counts rules."""
    if not hasattr(exc, "error_dict"):
        return DjangoValidationError({f"rules.{index}": exc.error_list})
    return DjangoValidationError(
        {f"rules.{index}.{field}": errors for field, errors in exc.error_dict.items()}
    )


# ---------------------------------------------------------------- views


class PriceProfileListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {
        "read": [VIEW],
        "POST": [VIEW, "pricing.add_priceprofile", "pricing.change_priceprofile"],
    }

    @extend_schema(
        operation_id="pricing_profiles_list",
        summary="List price profiles",
        description="Price profiles of the customers you can see, newest validity first.",
        parameters=[PriceProfileFilterSerializer],
        responses={200: PriceProfileOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(PriceProfileFilterSerializer, request.query_params, request)
        qs = selectors.profile_list(
            user=request.user, status=filters.get("status") or "", party=filters.get("party")
        ).prefetch_related("rules__product", "rules__product_group")
        return paginated_response(
            queryset=qs, serializer_class=PriceProfileOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="pricing_profiles_create",
        summary="Create a price profile with its rules",
        description="Stores a draft with its rules (all or nothing; rule errors are named "
        "`rules.<n>.<field>`). With `submit: true` it is submitted at once: approved when its "
        "largest discount is within your authority, else routed for approval.",
        request=PriceProfileInputSerializer,
        responses={201: PriceProfileOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(PriceProfileInputSerializer, request.data, request)
        rules = data.pop("rules")
        submit = data.pop("submit")
        try:
            with transaction.atomic():
                profile = price_profile_create(actor=request.user, **data)
                for index, rule in enumerate(rules):
                    try:
                        price_rule_add(actor=request.user, profile=profile, **rule)
                    except DjangoValidationError as exc:
                        raise _rule_errors(exc, index) from exc
                if submit:
                    profile = price_profile_submit(actor=request.user, profile=profile)
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, profile, status.HTTP_201_CREATED)


class PriceProfileDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="pricing_profiles_retrieve",
        summary="Get one price profile with its rules and approval history",
        parameters=[ID_PATH_PARAM],
        responses={200: PriceProfileOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return _detail(request, selectors.profile_get(user=request.user, pk=id))


class PriceProfileSubmitApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "pricing.change_priceprofile"]}

    @extend_schema(
        operation_id="pricing_profiles_submit",
        summary="Submit a draft price profile",
        description="Approved at once when its largest discount is within your authority; "
        "otherwise routed to the nearest person whose authority covers it (status "
        "`pending_approval`, `awaiting` names them). Codes: `not_editable`, `no_rules`, `no_approver`.",
        parameters=[ID_PATH_PARAM],
        request=None,
        responses={200: PriceProfileOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        profile = selectors.profile_get(user=request.user, pk=id)
        return _detail(request, price_profile_submit(actor=request.user, profile=profile))


class PriceProfileApproveApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "pricing.approve_priceprofile"]}

    @extend_schema(
        operation_id="pricing_profiles_approve",
        summary="Approve a price profile awaiting approval",
        description="By someone other than its author (`self_approval`) whose discount "
        "authority covers its largest discount (`above_authority`). Supersedes the customer's "
        "earlier approved profile from this one's start date.",
        parameters=[ID_PATH_PARAM],
        request=DecisionInputSerializer,
        responses={200: PriceProfileOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        profile = selectors.profile_get(user=request.user, pk=id)
        data = _parse(DecisionInputSerializer, request.data, request)
        return _detail(
            request, price_profile_approve(actor=request.user, profile=profile, comment=data["comment"])
        )


class PriceProfileRejectApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "pricing.approve_priceprofile"]}

    @extend_schema(
        operation_id="pricing_profiles_reject",
        summary="Reject a price profile awaiting approval",
        description="Same rules as approving; a `comment` is required (`comment_required`).",
        parameters=[ID_PATH_PARAM],
        request=DecisionInputSerializer,
        responses={200: PriceProfileOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        profile = selectors.profile_get(user=request.user, pk=id)
        data = _parse(DecisionInputSerializer, request.data, request)
        try:
            profile = price_profile_reject(actor=request.user, profile=profile, comment=data["comment"])
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, profile)


class LinePriceApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="pricing_line_price",
        summary="Price of a product for a customer",
        description="What the customer pays per unit for `quantity` of the product on a document "
        "dated `on`: from their approved price profile in force, else the list price.",
        parameters=[LinePriceQuerySerializer],
        responses={200: LinePriceOutputSerializer, **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        data = _parse(LinePriceQuerySerializer, request.query_params, request)
        party, product = data["party"], data["product"]
        if product.legal_entity_id != party.legal_entity_id:
            raise serializers.ValidationError(
                {"product": [_("Choose a product of the customer's legal entity.")]}
            )
        on: datetime.date = data.get("on") or timezone.localdate()
        result = selectors.line_price(
            legal_entity=party.legal_entity_id,
            party=party,
            product=product,
            quantity=Decimal(data.get("quantity") or "1"),
            on=on,
        )
        payload = {
            "unit_price_amount": result.unit_price_amount,
            "discount_percent": result.discount_percent,
            "net_unit_price_amount": result.net_unit_price_amount,
            "list_price_amount": result.list_price_amount,
            "currency": party.legal_entity.base_currency,
            "source": result.source,
            "profile_id": result.profile_id,
        }
        return Response(LinePriceOutputSerializer(payload).data)


urlpatterns = [
    path("profiles/", PriceProfileListCreateApi.as_view(), name="pricing-profile-list"),
    path("profiles/<int:id>/", PriceProfileDetailApi.as_view(), name="pricing-profile-detail"),
    path("profiles/<int:id>/submit/", PriceProfileSubmitApi.as_view(), name="pricing-profile-submit"),
    path("profiles/<int:id>/approve/", PriceProfileApproveApi.as_view(), name="pricing-profile-approve"),
    path("profiles/<int:id>/reject/", PriceProfileRejectApi.as_view(), name="pricing-profile-reject"),
    path("line-price/", LinePriceApi.as_view(), name="pricing-line-price"),
]
