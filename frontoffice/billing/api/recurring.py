"""``/api/v1/billing/recurring-invoices/``: list, create, read and change recurring invoices,
pause and resume them; the detail carries the run history (the invoices issued per period).

Same services and selectors as the pages: 403 without the permission before any look-up, 404
outside the user's scope, errors in the one error shape naming ``lines.<index>.<field>``.
Quantities and prices in the template lines are strings."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField
from frontoffice.billing.models import RecurringInvoice
from frontoffice.billing.selectors import recurring as selectors
from frontoffice.billing.services.recurring import (
    recurring_invoice_create,
    recurring_invoice_pause,
    recurring_invoice_resume,
    recurring_invoice_update,
)

VIEW = "billing.view_invoice"
RECURRING_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Recurring invoice id.")


class TemplateLineSerializer(serializers.Serializer):
    product = serializers.CharField(required=False, help_text="Product id.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    quantity = serializers.CharField(required=False, max_length=20)
    unit = serializers.CharField(required=False, max_length=3)
    unit_price = serializers.CharField(required=False, max_length=20, help_text="Empty: the product's price.")
    discount_percent = serializers.CharField(required=False, max_length=10)
    vat_code = serializers.CharField(required=False, max_length=20)

    class Meta:
        ref_name = "BillingRecurringLine"


class RunSerializer(serializers.Serializer):
    period_key = serializers.CharField()
    invoice = serializers.IntegerField(source="invoice_id")
    invoice_reference = serializers.CharField(source="invoice.reference")
    total_amount = serializers.DecimalField(
        source="invoice.total_amount", max_digits=14, decimal_places=2, coerce_to_string=True
    )
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "BillingRecurringRun"


class RecurringSummarySerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="party_id")
    customer_name = serializers.CharField(source="party.display_name")
    state = serializers.SerializerMethodField(help_text="`active`, `paused` or `ended`.")
    lines = TemplateLineSerializer(many=True)

    class Meta:
        model = RecurringInvoice
        ref_name = "BillingRecurringInvoiceSummary"
        fields = [
            "id",
            "customer",
            "customer_name",
            "description",
            "interval_months",
            "next_run_on",
            "end_on",
            "active",
            "state",
            "lines",
        ]
        read_only_fields = fields

    def get_state(self, recurring: RecurringInvoice) -> str:
        return selectors.recurring_state(recurring)


class RecurringOutputSerializer(RecurringSummarySerializer):
    runs = RunSerializer(many=True)

    class Meta(RecurringSummarySerializer.Meta):
        ref_name = "BillingRecurringInvoice"
        fields = [*RecurringSummarySerializer.Meta.fields, "runs"]
        read_only_fields = fields


class RecurringFilterSerializer(serializers.Serializer):
    # A plain string (not an enum): drf-spectacular's enum names collide across apps.
    state = serializers.CharField(required=False, max_length=10, help_text="`active`, `paused` or `ended`.")

    def validate_state(self, value: str) -> str:
        if value not in selectors.STATES:
            raise serializers.ValidationError("Choose active, paused or ended.")
        return value

    customer = IdField(required=False, help_text="Customer id.")
    q = serializers.CharField(required=False, max_length=100, help_text="Customer or description.")


class RecurringInputSerializer(serializers.Serializer):
    customer = IdField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    lines = TemplateLineSerializer(many=True)
    interval_months = serializers.IntegerField(required=False, default=1)
    next_run_on = serializers.DateField()
    end_on = serializers.DateField(required=False, allow_null=True, default=None)


class RecurringUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    lines = TemplateLineSerializer(many=True, required=False)
    interval_months = serializers.IntegerField(required=False)
    next_run_on = serializers.DateField(required=False)
    end_on = serializers.DateField(required=False, allow_null=True)


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _lines(lines: list[Any]) -> list[dict[str, Any]]:
    return [dict(line) for line in lines]


def _detail(request: Request, recurring: RecurringInvoice, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.recurring_get(user=request.user, pk=recurring.pk)
    return Response(RecurringOutputSerializer(fresh).data, status=code)


WRITE_RESPONSES = error_responses(*WRITE_ERRORS, 404)


class RecurringListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, "billing.add_invoice"]}

    @extend_schema(
        operation_id="billing_recurring_list",
        summary="List recurring invoices",
        parameters=[RecurringFilterSerializer],
        responses={200: RecurringSummarySerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(RecurringFilterSerializer, request.query_params, request)
        qs = selectors.recurring_list(
            user=request.user,
            state=filters.get("state", ""),
            query=filters.get("q", ""),
            party=filters.get("customer"),
        )
        return paginated_response(
            queryset=qs, serializer_class=RecurringSummarySerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="billing_recurring_create",
        summary="Set up a recurring invoice",
        description="For a customer with an active billing profile; template lines are checked like "
        "draft lines (errors name `lines.<index>.<field>`). `dates_reversed` when the last "
        "invoice date is before the next one.",
        request=RecurringInputSerializer,
        responses={201: RecurringOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        data = _parse(RecurringInputSerializer, request.data, request)
        recurring = recurring_invoice_create(
            actor=request.user,
            party=data["customer"],
            lines=_lines(data["lines"]),
            next_run_on=data["next_run_on"],
            interval_months=data["interval_months"],
            end_on=data["end_on"],
            description=data["description"],
        )
        return _detail(request, recurring, status.HTTP_201_CREATED)


class RecurringDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW], "PATCH": [VIEW, "billing.change_invoice"]}

    @extend_schema(
        operation_id="billing_recurring_retrieve",
        summary="A recurring invoice with its run history",
        parameters=[RECURRING_ID],
        responses={200: RecurringOutputSerializer, **error_responses(*READ_ERRORS, 404)},
    )
    def get(self, request: Request, id: int) -> Response:
        return _detail(request, selectors.recurring_get(user=request.user, pk=id))

    @extend_schema(
        operation_id="billing_recurring_update",
        summary="Change a recurring invoice",
        parameters=[RECURRING_ID],
        request=RecurringUpdateSerializer,
        responses={200: RecurringOutputSerializer, **WRITE_RESPONSES},
    )
    def patch(self, request: Request, id: int) -> Response:
        recurring = selectors.recurring_get(user=request.user, pk=id)
        data = _parse(RecurringUpdateSerializer, request.data, request)
        if "lines" in data:
            data["lines"] = _lines(data["lines"])
        recurring_invoice_update(actor=request.user, recurring=recurring, **data)
        return _detail(request, recurring)


class _RecurringToggleApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "billing.change_invoice"]}

    def _toggle(self, request: Request, id: int, service: Any) -> Response:
        recurring = selectors.recurring_get(user=request.user, pk=id)
        service(actor=request.user, recurring=recurring)
        return _detail(request, recurring)


class RecurringPauseApi(_RecurringToggleApi):
    @extend_schema(
        operation_id="billing_recurring_pause",
        summary="Pause a recurring invoice",
        description="Nothing is invoiced until it is resumed. Code `already_paused`.",
        parameters=[RECURRING_ID],
        request=None,
        responses={200: RecurringOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        return self._toggle(request, id, recurring_invoice_pause)


class RecurringResumeApi(_RecurringToggleApi):
    @extend_schema(
        operation_id="billing_recurring_resume",
        summary="Resume a recurring invoice",
        description="Invoices again from the first period on or after today; the periods it was "
        "paused for are not invoiced. Code `not_paused`.",
        parameters=[RECURRING_ID],
        request=None,
        responses={200: RecurringOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        return self._toggle(request, id, recurring_invoice_resume)


urlpatterns = [
    path("recurring-invoices/", RecurringListCreateApi.as_view(), name="billing-recurring-list"),
    path("recurring-invoices/<int:id>/", RecurringDetailApi.as_view(), name="billing-recurring-detail"),
    path(
        "recurring-invoices/<int:id>/pause/",
        RecurringPauseApi.as_view(),
        name="billing-recurring-pause",
    ),
    path(
        "recurring-invoices/<int:id>/resume/",
        RecurringResumeApi.as_view(),
        name="billing-recurring-resume",
    ),
]
