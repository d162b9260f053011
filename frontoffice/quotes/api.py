"""``/api/v1/quotes/``: quotes (list, create with lines, read), lines (add, change, remove),
send, ask approval, and convert an accepted quote to a draft invoice.

The views call the same selectors and services as the quote pages. Amounts and percentages
travel as strings (``"1250.00"``). Converting honours an ``Idempotency-Key`` header (and is
idempotent anyway: one invoice per quote; a repeated call answers 200 with the same invoice).
Errors use the one API error shape with the service's ``code`` (``approval_required``,
``no_billing_profile``, ``not_accepted``, ...). Missing permission is 403; a quote outside the
user's scope is 404.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses, language_choices
from frontoffice.api.serializers import IdField, RefSerializer
from frontoffice.core.scoping import get_visible_or_404
from frontoffice.parties.models import Party
from frontoffice.quotes import selectors, services
from frontoffice.quotes.models import Quote

VIEW = services.VIEW_PERM
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Quote id.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 100 characters. A repeated call returns the invoice made the first time (status 200).",
)


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


# ---------------------------------------------------------------- serializers


class QuoteLineInputSerializer(serializers.Serializer):
    product = IdField(
        required=False, allow_null=True, help_text="Product id; leave out for a free-text line."
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    quantity = serializers.CharField(required=False, max_length=20, help_text="e.g. `2` or `1.5`; default 1.")
    unit = serializers.CharField(required=False, allow_blank=True, max_length=3)
    unit_price = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Typed price (a manual price); default the profile's.",
    )
    discount_percent = serializers.CharField(required=False, allow_blank=True, max_length=10)
    vat_code = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="VAT code, e.g. `SE25`."
    )

    class Meta:
        ref_name = "QuoteLineInput"


class QuoteLineUpdateSerializer(QuoteLineInputSerializer):
    product = None  # type: ignore[assignment]

    class Meta:
        ref_name = "QuoteLineUpdate"


class QuoteInputSerializer(serializers.Serializer):
    party = IdField(help_text="Customer id.")
    opportunity = IdField(required=False, allow_null=True, help_text="Opportunity id (of the same customer).")
    valid_until = serializers.DateField(required=False)
    language = serializers.ChoiceField(choices=language_choices(), required=False, help_text="sv or en.")
    recipient_email = serializers.EmailField(required=False, allow_blank=True)
    intro = serializers.CharField(required=False, allow_blank=True, default="")
    terms = serializers.CharField(required=False, allow_blank=True, default="")
    lines = QuoteLineInputSerializer(many=True, required=False, max_length=200)

    class Meta:
        ref_name = "QuoteInput"


class QuoteFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100, help_text="Number or customer.")
    status = serializers.ChoiceField(choices=Quote.Status.values, required=False)
    party = IdField(required=False)
    owner = IdField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    class Meta:
        ref_name = "QuoteFilter"


class QuoteLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line_no = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id", allow_null=True)
    description = serializers.CharField()
    quantity = serializers.SerializerMethodField()
    unit = serializers.CharField()
    unit_price = serializers.SerializerMethodField()
    discount_percent = serializers.SerializerMethodField()
    vat_code = serializers.CharField(source="vat_code.code")
    vat_rate = serializers.SerializerMethodField()
    net_amount = serializers.SerializerMethodField()
    price_source = serializers.CharField()

    class Meta:
        ref_name = "QuoteLine"

    def get_quantity(self, line: Any) -> str:
        return format(line.quantity.normalize(), "f")

    def get_unit_price(self, line: Any) -> str:
        return _money(line.unit_price_amount)

    def get_discount_percent(self, line: Any) -> str:
        return f"{line.discount_percent:.2f}"

    def get_vat_rate(self, line: Any) -> str:
        return f"{line.vat_rate:.2f}"

    def get_net_amount(self, line: Any) -> str:
        return _money(line.net_amount)


class QuoteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(source="reference")
    status = serializers.CharField(help_text="draft, sent, accepted, declined or expired.")
    party = RefSerializer()
    owner = RefSerializer(allow_null=True)
    opportunity = serializers.IntegerField(source="opportunity_id", allow_null=True)
    issue_on = serializers.DateField()
    valid_until = serializers.DateField()
    currency = serializers.CharField()
    language = serializers.CharField()
    recipient_email = serializers.CharField()
    net_amount = serializers.SerializerMethodField()
    vat_amount = serializers.SerializerMethodField()
    total_amount = serializers.SerializerMethodField()
    discount_percent = serializers.SerializerMethodField(help_text="The largest manual discount.")
    approval_status = serializers.CharField(help_text="none, pending, approved or rejected.")
    sent_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    accepted_by_name = serializers.CharField()
    decline_reason = serializers.CharField()
    invoice = serializers.IntegerField(source="invoice_id", allow_null=True)

    class Meta:
        ref_name = "Quote"

    def get_net_amount(self, quote: Quote) -> str:
        return _money(quote.net_amount)

    def get_vat_amount(self, quote: Quote) -> str:
        return _money(quote.vat_amount)

    def get_total_amount(self, quote: Quote) -> str:
        return _money(quote.total_amount)

    def get_discount_percent(self, quote: Quote) -> str:
        return f"{quote.discount_percent:.2f}"


class QuoteDetailSerializer(QuoteOutputSerializer):
    intro = serializers.CharField()
    terms = serializers.CharField()
    lines = serializers.SerializerMethodField()

    class Meta:
        ref_name = "QuoteDetail"

    def get_lines(self, quote: Quote) -> list[dict[str, Any]]:
        return QuoteLineOutputSerializer(selectors.quote_lines(quote), many=True).data


class InvoiceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    total_amount = serializers.SerializerMethodField()
    source_type = serializers.CharField()
    source_id = serializers.CharField()

    class Meta:
        ref_name = "QuoteInvoice"

    def get_total_amount(self, invoice: Any) -> str:
        return _money(invoice.total_amount)


# ---------------------------------------------------------------- helpers


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _line_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "") or k == "description"}


def _detail(request: Request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(QuoteDetailSerializer(selectors.quote_get(user=request.user, pk=pk)).data, status=code)


WRITE_RESPONSES = error_responses(*WRITE_ERRORS, 404)


# ---------------------------------------------------------------- views


class QuoteListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, services.ADD_PERM]}

    @extend_schema(
        operation_id="quotes_list",
        summary="List quotes",
        description="Quotes you may see, newest first.",
        parameters=[QuoteFilterSerializer],
        responses={200: QuoteOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(QuoteFilterSerializer, request.query_params, request)
        qs = selectors.quote_list(
            user=request.user,
            status=filters.get("status", ""),
            party=filters.get("party"),
            owner=filters.get("owner"),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            query=filters.get("q", ""),
        )
        return paginated_response(
            queryset=qs, serializer_class=QuoteOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="quotes_create",
        summary="Create a quote",
        description="A draft quote for a customer you see, numbered at once; product lines are priced by "
        "the customer's approved price profile. Line errors are named `lines.<index>.<field>`.",
        request=QuoteInputSerializer,
        responses={201: QuoteDetailSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        data = _parse(QuoteInputSerializer, request.data, request)
        party = get_visible_or_404(Party.objects.all(), request.user, pk=data["party"])
        opportunity = None
        if data.get("opportunity"):
            from frontoffice.sales.models import Opportunity

            opportunity = get_visible_or_404(Opportunity.objects.all(), request.user, pk=data["opportunity"])
        quote = services.quote_create(
            actor=request.user,
            party=party,
            opportunity=opportunity,
            valid_until=data.get("valid_until"),
            language=data.get("language"),
            recipient_email=data.get("recipient_email"),
            intro=data.get("intro", ""),
            terms=data.get("terms", ""),
            lines=[_line_fields(line) for line in data.get("lines") or []],
        )
        return _detail(request, quote.pk, status.HTTP_201_CREATED)


class QuoteDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="quotes_retrieve",
        summary="Read a quote",
        parameters=[ID_PATH_PARAM],
        responses={200: QuoteDetailSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, pk)


class QuoteLineCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, services.CHANGE_PERM]}

    @extend_schema(
        operation_id="quotes_lines_create",
        summary="Add a line to a draft quote",
        parameters=[ID_PATH_PARAM],
        request=QuoteLineInputSerializer,
        responses={201: QuoteDetailSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        quote = selectors.quote_get(user=request.user, pk=pk)
        data = _parse(QuoteLineInputSerializer, request.data, request)
        services.quote_line_add(actor=request.user, quote=quote, **_line_fields(data))
        return _detail(request, pk, status.HTTP_201_CREATED)


class QuoteLineDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"PATCH": [VIEW, services.CHANGE_PERM], "DELETE": [VIEW, services.CHANGE_PERM]}

    @extend_schema(
        operation_id="quotes_lines_update",
        summary="Change a line of a draft quote",
        parameters=[ID_PATH_PARAM, OpenApiParameter("line_id", int, OpenApiParameter.PATH)],
        request=QuoteLineUpdateSerializer,
        responses={200: QuoteDetailSerializer, **WRITE_RESPONSES},
    )
    def patch(self, request: Request, pk: int, line_id: int) -> Response:
        quote = selectors.quote_get(user=request.user, pk=pk)
        line = selectors.quote_line_get(quote=quote, pk=line_id)
        data = _parse(QuoteLineUpdateSerializer, request.data, request)
        services.quote_line_update(
            actor=request.user, line=line, **{k: v for k, v in data.items() if v not in (None, "")}
        )
        return _detail(request, pk)

    @extend_schema(
        operation_id="quotes_lines_destroy",
        summary="Remove a line of a draft quote",
        parameters=[ID_PATH_PARAM, OpenApiParameter("line_id", int, OpenApiParameter.PATH)],
        responses={200: QuoteDetailSerializer, **WRITE_RESPONSES},
    )
    def delete(self, request: Request, pk: int, line_id: int) -> Response:
        quote = selectors.quote_get(user=request.user, pk=pk)
        line = selectors.quote_line_get(quote=quote, pk=line_id)
        services.quote_line_remove(actor=request.user, line=line)
        return _detail(request, pk)


class QuoteSendApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, services.SEND_PERM]}

    @extend_schema(
        operation_id="quotes_send",
        summary="Send a quote",
        description="E-mails the quote (PDF and a private link) to its recipient. Code "
        "`approval_required` when a manual discount above your authority is not approved yet.",
        parameters=[ID_PATH_PARAM],
        request=None,
        responses={200: QuoteDetailSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        quote = selectors.quote_get(user=request.user, pk=pk)
        services.quote_send(actor=request.user, quote=quote)
        return _detail(request, pk)


class QuoteApprovalRequestApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, services.CHANGE_PERM]}

    @extend_schema(
        operation_id="quotes_request_approval",
        summary="Ask approval of a quote's discount",
        parameters=[ID_PATH_PARAM],
        request=None,
        responses={200: QuoteDetailSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        quote = selectors.quote_get(user=request.user, pk=pk)
        services.quote_approval_request(actor=request.user, quote=quote)
        return _detail(request, pk)


class QuoteConvertApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "billing.add_invoice"]}

    @extend_schema(
        operation_id="quotes_convert_to_invoice",
        summary="Make a draft invoice from an accepted quote",
        description="Same lines and prices; one invoice per quote: a repeated call (with or without "
        "the same `Idempotency-Key`) returns the first invoice with status 200. Codes `not_accepted`, "
        "`no_billing_profile`.",
        parameters=[ID_PATH_PARAM, IDEMPOTENCY_HEADER],
        request=None,
        responses={201: InvoiceRefSerializer, 200: InvoiceRefSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(key) > 100:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [gettext("The idempotency key has at most 100 characters.")]}
            )
        quote = selectors.quote_get(user=request.user, pk=pk)
        existed = quote.invoice_id is not None
        invoice = services.quote_to_invoice(actor=request.user, quote=quote)
        return Response(
            InvoiceRefSerializer(invoice).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


urlpatterns = [
    path("", QuoteListCreateApi.as_view(), name="quotes-api-list"),
    path("<int:pk>/", QuoteDetailApi.as_view(), name="quotes-api-detail"),
    path("<int:pk>/lines/", QuoteLineCreateApi.as_view(), name="quotes-api-lines"),
    path("<int:pk>/lines/<int:line_id>/", QuoteLineDetailApi.as_view(), name="quotes-api-line"),
    path("<int:pk>/send/", QuoteSendApi.as_view(), name="quotes-api-send"),
    path("<int:pk>/request-approval/", QuoteApprovalRequestApi.as_view(), name="quotes-api-request-approval"),
    path("<int:pk>/convert-to-invoice/", QuoteConvertApi.as_view(), name="quotes-api-convert"),
]
