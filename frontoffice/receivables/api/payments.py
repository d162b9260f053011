"""``/api/v1/receivables/``: payments (list, register with allocations, read), allocate and undo
allocations, and the receivables aging.

The views call the same selectors and services as the payment desk. Amounts travel as strings
with at most two decimals (``"1250.00"``), never JSON numbers, next to their currency. Money-
moving POSTs honour an ``Idempotency-Key`` header: a repeated call returns the first call's
result (status 200) instead of registering or allocating twice. Errors use the one API error
shape; the ``code`` is the service's (``wrong_currency``, ``over_allocation``,
``not_settleable``, ``posting_rejected``, ...).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField, RefSerializer
from frontoffice.finance.api.vouchers import AmountField, PostingRejectedErrorSerializer, posting_rejected
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.receivables.models import Payment, PaymentAllocation
from frontoffice.receivables.selectors import payments as selectors
from frontoffice.receivables.selectors.aging import BUCKET_KEYS, receivables_aging
from frontoffice.receivables.services.common import first_code
from frontoffice.receivables.services.payments import (
    AllocationInput,
    payment_allocate,
    payment_register,
    payment_unallocate,
)

VIEW = "receivables.view_payment"
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Payment id.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 100 characters. A repeated call with the same key returns the first call's "
    "payment (status 200) instead of registering or allocating again.",
)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _required_amount(**kwargs: Any) -> AmountField:
    return AmountField(required=True, allow_null=False, allow_blank=False, **kwargs)


# ---------------------------------------------------------------- input


class AllocationInputSerializer(serializers.Serializer):
    invoice = IdField(help_text="Id of an issued invoice with money open.")
    amount = _required_amount(help_text="Part of the payment for this invoice, e.g. `1250.00`.")

    class Meta:
        ref_name = "PaymentAllocationInput"


class PaymentInputSerializer(serializers.Serializer):
    legal_entity = IdField(
        required=False,
        help_text="Legal entity id; only organisation-wide users pick one (default: your own).",
    )
    paid_on = serializers.DateField(help_text="The date the bank credited the payment.")
    amount = _required_amount(help_text="The amount received, e.g. `1875.00`.")
    currency = serializers.CharField(
        required=False, max_length=3, help_text="Must be the legal entity's currency (default)."
    )
    payer_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text="The payment's reference; a valid OCR number allocates it automatically when no "
        "allocations are given.",
    )
    party = IdField(required=False, allow_null=True, help_text="Customer id, when known.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    allocations = AllocationInputSerializer(many=True, required=False, max_length=200)
    auto_match = serializers.BooleanField(required=False, default=True)

    class Meta:
        ref_name = "PaymentInput"


class AllocateInputSerializer(serializers.Serializer):
    allocations = AllocationInputSerializer(many=True, min_length=1, max_length=200)
    date = serializers.DateField(required=False, help_text="Date of the ledger voucher (default: today).")

    class Meta:
        ref_name = "PaymentAllocateInput"


class PaymentFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False)
    q = serializers.CharField(required=False, max_length=100, help_text="Payer, reference, note or customer.")
    state = serializers.ChoiceField(choices=selectors.ALLOCATION_STATES, required=False)
    source = serializers.ChoiceField(choices=Payment.Source.choices, required=False)
    party = IdField(required=False)
    date_from = serializers.DateField(required=False, help_text="ISO 8601; inclusive.")
    date_to = serializers.DateField(required=False, help_text="ISO 8601; inclusive.")

    class Meta:
        ref_name = "PaymentFilter"


class AgingFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False)
    as_of = serializers.DateField(required=False, help_text="ISO 8601; default today.")

    class Meta:
        ref_name = "AgingFilter"


# ---------------------------------------------------------------- output


class AllocationOutputSerializer(serializers.ModelSerializer):
    invoice = serializers.IntegerField(source="invoice_id")
    invoice_reference = serializers.CharField(source="invoice.reference")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    voucher = serializers.CharField(source="voucher.reference", allow_null=True, default=None)
    reversal_voucher = serializers.CharField(
        source="reversal_voucher.reference", allow_null=True, default=None
    )

    class Meta:
        model = PaymentAllocation
        ref_name = "PaymentAllocation"
        fields = [
            "id",
            "invoice",
            "invoice_reference",
            "amount",
            "voucher",
            "created_at",
            "reversed_at",
            "reversal_voucher",
        ]
        read_only_fields = fields


class PaymentOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id")
    party = RefSerializer(allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    unallocated_amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    bank_account = serializers.CharField(source="bank_account.number")
    voucher = serializers.CharField(
        source="voucher.reference", allow_null=True, default=None, help_text="Series and number, e.g. `B12`."
    )
    voucher_id = serializers.IntegerField(allow_null=True)
    allocations = AllocationOutputSerializer(many=True)

    class Meta:
        model = Payment
        ref_name = "Payment"
        fields = [
            "id",
            "legal_entity",
            "party",
            "paid_on",
            "amount",
            "currency",
            "unallocated_amount",
            "payer_name",
            "reference",
            "source",
            "bank_import",
            "bank_import_line",
            "bank_account",
            "voucher",
            "voucher_id",
            "note",
            "allocations",
            "created_at",
        ]
        read_only_fields = fields


class AgingRowSerializer(serializers.Serializer):
    party = serializers.IntegerField(source="party_id", allow_null=True)
    party_name = serializers.CharField()
    not_due = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    days_1_30 = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    days_31_60 = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    days_61_90 = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    over_90 = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    count = serializers.IntegerField(help_text="Open invoices and credit notes.")

    class Meta:
        ref_name = "AgingRow"


class AgingOutputSerializer(serializers.Serializer):
    legal_entity = serializers.IntegerField()
    currency = serializers.CharField()
    as_of = serializers.DateField()
    buckets = serializers.ListField(child=serializers.CharField())
    rows = AgingRowSerializer(many=True)
    totals = AgingRowSerializer()

    class Meta:
        ref_name = "Aging"


# ---------------------------------------------------------------- helpers


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _key(request: Request) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key is not None and len(key) > 100:
        raise exceptions.ValidationError(
            {"Idempotency-Key": [gettext("The idempotency key has at most 100 characters.")]}
        )
    return key


def service_error(exc: DjangoValidationError) -> exceptions.APIException:
    """A service's ValidationError → the API error, keeping its first code (also for field errors)."""
    if isinstance(exc, PostingRejected):
        return posting_rejected(exc)
    drf_exc = django_validation_error_to_drf(exc)
    drf_exc.domain_code = first_code(exc) or "invalid"  # type: ignore[attr-defined]
    return drf_exc


def _allocations(data: dict[str, Any]) -> list[AllocationInput]:
    return [AllocationInput(a["invoice"], a["amount"]) for a in data.get("allocations") or []]


def _detail(request: Request, payment: Payment, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.payment_get(user=request.user, pk=payment.pk)
    return Response(PaymentOutputSerializer(fresh).data, status=code)


WRITE_RESPONSES = error_responses(*WRITE_ERRORS, 404, bad_request=PostingRejectedErrorSerializer)


# ---------------------------------------------------------------- views


class PaymentListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, "receivables.add_payment"]}

    @extend_schema(
        operation_id="receivables_payments_list",
        summary="List payments",
        description="Payments of your legal entity, newest first.",
        parameters=[PaymentFilterSerializer],
        responses={200: PaymentOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(PaymentFilterSerializer, request.query_params, request)
        qs = (
            selectors.payment_list(user=request.user, **filters)
            .prefetch_related(
                "allocations__invoice__series",
                "allocations__voucher__series",
                "allocations__reversal_voucher__series",
            )
            .select_related("bank_account")
        )
        return paginated_response(
            queryset=qs, serializer_class=PaymentOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="receivables_payments_create",
        summary="Register a payment",
        description="Registers a payment received, allocates it to the given invoices (or, without "
        "allocations, to the invoice its OCR reference names) and posts its voucher (201). An "
        "overpayment stays unallocated on the payment. With an `Idempotency-Key` header, a "
        "repeated call returns the first call's payment with status 200.",
        parameters=[IDEMPOTENCY_HEADER],
        request=PaymentInputSerializer,
        responses={200: PaymentOutputSerializer, 201: PaymentOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        key = _key(request)
        data = _parse(PaymentInputSerializer, request.data, request)
        legal_entity = selectors.working_legal_entity(
            user=request.user, legal_entity=data.get("legal_entity")
        )
        if key is not None:
            existing = selectors.payment_by_idempotency_key(
                user=request.user, legal_entity=legal_entity, key=key
            )
            if existing is not None:
                return _detail(request, existing)
        try:
            payment = payment_register(
                actor=request.user,
                legal_entity=legal_entity,
                paid_on=data["paid_on"],
                amount=data["amount"],
                currency=data.get("currency"),
                payer_name=data.get("payer_name", ""),
                reference=data.get("reference", ""),
                party=data.get("party"),
                allocations=_allocations(data),
                auto_match=data.get("auto_match", True),
                note=data.get("note", ""),
                idempotency_key=key,
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, payment, status.HTTP_201_CREATED)


class PaymentDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="receivables_payments_retrieve",
        summary="Get one payment",
        parameters=[ID_PATH_PARAM],
        responses={200: PaymentOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(PaymentOutputSerializer(selectors.payment_get(user=request.user, pk=id)).data)


class PaymentAllocateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "receivables.change_payment"]}

    @extend_schema(
        operation_id="receivables_payments_allocate",
        summary="Allocate a payment to invoices",
        description="Allocates the unallocated part of a payment (`over_allocation` when the amounts "
        "exceed it or an invoice's open amount) and posts the voucher moving it from customer "
        "prepayments to receivables. With an `Idempotency-Key` header, a repeated call changes nothing.",
        parameters=[ID_PATH_PARAM, IDEMPOTENCY_HEADER],
        request=AllocateInputSerializer,
        responses={200: PaymentOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        key = _key(request)
        payment = selectors.payment_get(user=request.user, pk=id)
        data = _parse(AllocateInputSerializer, request.data, request)
        try:
            payment = payment_allocate(
                actor=request.user,
                payment=payment,
                allocations=_allocations(data),
                on=data.get("date") or timezone.localdate(),
                idempotency_key=key,
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, payment)


class AllocationUndoApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "receivables.change_payment"]}

    @extend_schema(
        operation_id="receivables_allocations_undo",
        summary="Undo an allocation",
        description="The invoice is open again and the money unallocated on the payment "
        "(`already_reversed` when undone before). Returns the payment.",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Allocation id.")],
        request=None,
        responses={200: PaymentOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        from frontoffice.core.scoping import get_visible_or_404

        allocation = get_visible_or_404(PaymentAllocation.objects.all(), request.user, pk=id)
        selectors.payment_get(user=request.user, pk=allocation.payment_id)  # 404 outside the payment's scope
        try:
            payment = payment_unallocate(actor=request.user, allocation=allocation)
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, payment)


class AgingApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["receivables.view_receivables"]}

    @extend_schema(
        operation_id="receivables_aging",
        summary="Receivables aging",
        description="Open amounts of issued invoices and credit notes (negative) per customer in the "
        "buckets not due, 1-30, 31-60, 61-90 and over 90 days past due on `as_of`, and totals. "
        "Sales reps get their own customers only.",
        parameters=[AgingFilterSerializer],
        responses={200: AgingOutputSerializer, **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(AgingFilterSerializer, request.query_params, request)
        legal_entity = selectors.working_legal_entity(
            user=request.user, legal_entity=filters.get("legal_entity")
        )
        as_of: datetime.date = filters.get("as_of") or timezone.localdate()
        report = receivables_aging(user=request.user, legal_entity=legal_entity, as_of=as_of)
        data = {
            "legal_entity": legal_entity.pk,
            "currency": legal_entity.base_currency,
            "as_of": as_of,
            "buckets": BUCKET_KEYS,
            "rows": report.rows,
            "totals": report.totals,
        }
        return Response(AgingOutputSerializer(data).data)


urlpatterns = [
    path("payments/", PaymentListCreateApi.as_view(), name="receivables-payment-list"),
    path("payments/<int:id>/", PaymentDetailApi.as_view(), name="receivables-payment-detail"),
    path("payments/<int:id>/allocate/", PaymentAllocateApi.as_view(), name="receivables-payment-allocate"),
    path("allocations/<int:id>/undo/", AllocationUndoApi.as_view(), name="receivables-allocation-undo"),
    path("aging/", AgingApi.as_view(), name="receivables-aging"),
]
