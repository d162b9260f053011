"""``/api/v1/billing/questions/``: questions about invoice lines.

Small APIViews over the same selectors and services as the staff pages: ``billing.view_invoice``
to read (a question outside the user's scope is 404), ``billing.change_invoice`` to log and
assign; replying and resolving are also open to the person a question is assigned to (the
service decides, 403 otherwise). A resolution by credit note moves money: it honours an
``Idempotency-Key`` header, and a repeated call returns the question as resolved the first
time. Timestamps are ISO 8601, amounts decimal strings with their currency, durations working
minutes (Monday to Friday, 08:00-17:00 Stockholm time).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField, RefSerializer, ScopedPrimaryKeyRelatedField
from frontoffice.billing.models import Invoice, InvoiceLine, InvoiceQuestion, QuestionMessage
from frontoffice.billing.selectors import questions as selectors
from frontoffice.billing.services import questions as services
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.finance.api.vouchers import posting_rejected
from frontoffice.finance.services.standards import PostingRejected
from frontoffice.org.models import User

VIEW = "billing.view_invoice"
CHANGE = "billing.change_invoice"
QUESTION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Question id.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 100 characters. A repeated resolution by credit note with the same key "
    "returns the question as resolved the first time instead of crediting again.",
)
MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _first_code(exc: DjangoValidationError) -> str | None:
    """The code of the first error, field errors included (``cannot_see_invoice``, ``over_credit``)."""
    if getattr(exc, "code", None):
        return exc.code
    groups = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    for errors in groups:
        for error in errors:
            if getattr(error, "code", None):
                return error.code
    return None


@contextmanager
def _service_errors() -> Iterator[None]:
    """A service's refusal → the one error shape, keeping the service's code."""
    try:
        yield
    except PostingRejected as exc:
        raise posting_rejected(exc) from exc
    except DjangoValidationError as exc:
        drf_exc = django_validation_error_to_drf(exc)
        drf_exc.domain_code = _first_code(exc) or "invalid"  # type: ignore[attr-defined]
        raise drf_exc from exc


def _key(request: Request) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key is not None and len(key) > 100:
        raise exceptions.ValidationError(
            {"Idempotency-Key": [gettext("The idempotency key has at most 100 characters.")]}
        )
    return key


# ---------------------------------------------------------------- serializers


class DocumentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True, help_text="The number as printed, e.g. F2026-00001.")
    total_amount = serializers.DecimalField(read_only=True, coerce_to_string=True, **MONEY)
    currency = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "BillingDocumentRef"


class QuestionLineSerializer(serializers.ModelSerializer):
    quantity = serializers.DecimalField(read_only=True, coerce_to_string=True, **QUANTITY)
    unit_price_amount = serializers.DecimalField(read_only=True, coerce_to_string=True, **MONEY)
    net_amount = serializers.DecimalField(read_only=True, coerce_to_string=True, **MONEY)

    class Meta:
        model = InvoiceLine
        ref_name = "BillingQuestionLine"
        fields = [
            "id",
            "line_no",
            "description",
            "quantity",
            "unit",
            "unit_price_amount",
            "discount_percent",
            "vat_rate",
            "net_amount",
        ]
        read_only_fields = fields


class QuestionMessageSerializer(serializers.ModelSerializer):
    author = RefSerializer(allow_null=True, read_only=True, help_text="Staff who wrote or took it down.")

    class Meta:
        model = QuestionMessage
        ref_name = "BillingQuestionMessage"
        fields = ["id", "sender", "author", "body", "internal", "created_at"]
        read_only_fields = fields


class QuestionOutputSerializer(serializers.ModelSerializer):
    invoice = DocumentRefSerializer(read_only=True)
    line = QuestionLineSerializer(read_only=True)
    party = RefSerializer(read_only=True, help_text="The customer.")
    assigned_to = RefSerializer(allow_null=True, read_only=True)
    credit_note = DocumentRefSerializer(allow_null=True, read_only=True)
    corrected_invoice = DocumentRefSerializer(allow_null=True, read_only=True)
    interaction = serializers.IntegerField(source="interaction_id", read_only=True)

    class Meta:
        model = InvoiceQuestion
        ref_name = "BillingQuestion"
        fields = [
            "id",
            "invoice",
            "line",
            "party",
            "interaction",
            "category",
            "channel",
            "status",
            "customer_name",
            "reply_email",
            "assigned_to",
            "assigned_at",
            "asked_at",
            "first_response_due_at",
            "resolution_due_at",
            "first_response_at",
            "first_response_minutes",
            "resolved_at",
            "resolution_minutes",
            "resolution",
            "credit_note",
            "corrected_invoice",
            "rating",
            "rating_comment",
            "rated_at",
        ]
        read_only_fields = fields


class QuestionDetailSerializer(QuestionOutputSerializer):
    messages = serializers.SerializerMethodField(help_text="The conversation, internal notes included.")

    class Meta(QuestionOutputSerializer.Meta):
        ref_name = "BillingQuestionDetail"
        fields = [*QuestionOutputSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    @extend_schema_field(QuestionMessageSerializer(many=True))
    def get_messages(self, question: InvoiceQuestion) -> list[dict[str, Any]]:
        return QuestionMessageSerializer(selectors.question_messages(question=question), many=True).data


class QuestionFilterSerializer(serializers.Serializer):
    # A plain string, not a choice: "active" and "all" beside the statuses would make a second
    # enum named "status" in the schema.
    status = serializers.CharField(
        required=False,
        default="active",
        help_text="`active` (open, answered, reopened; the default), `all` or one status: "
        + ", ".join(f"`{value}`" for value in InvoiceQuestion.Status.values)
        + ".",
    )
    assignee = serializers.CharField(required=False, help_text="`me`, `none` or a user id.")
    category = serializers.ChoiceField(choices=InvoiceQuestion.Category.values, required=False)
    due = serializers.ChoiceField(
        choices=["at_risk", "overdue"],
        required=False,
        help_text="`at_risk`: a deadline within 2 working hours or passed; `overdue`: passed.",
    )
    invoice = IdField(required=False, help_text="Invoice id.")

    class Meta:
        ref_name = "BillingQuestionFilter"

    def validate_status(self, value: str) -> str:
        if value not in ("active", "all", *InvoiceQuestion.Status.values):
            raise serializers.ValidationError(gettext("Use active, all or a status."))
        return value

    def validate_assignee(self, value: str) -> str:
        if value not in ("me", "none") and not value.isdigit():
            raise serializers.ValidationError(gettext("Use me, none or a user id."))
        return value


def _lines_in_scope(queryset: Any, user: Any) -> Any:
    """Invoice lines of invoices ``user`` may see (an id outside is "does not exist")."""
    return queryset.filter(invoice__in=visible_to(Invoice.objects.all(), user).values("pk")).select_related(
        "invoice"
    )


class QuestionLogSerializer(serializers.Serializer):
    invoice_line = ScopedPrimaryKeyRelatedField(
        queryset=InvoiceLine.objects.all(),
        scope=_lines_in_scope,
        help_text="Id of the line of an issued invoice the question is about.",
    )
    category = serializers.ChoiceField(choices=InvoiceQuestion.Category.choices)
    channel = serializers.ChoiceField(
        choices=InvoiceQuestion.Channel.choices,
        help_text="How the customer asked; `customer_page` is refused (only customers ask there).",
    )
    body = serializers.CharField(
        max_length=services.BODY_MAX, help_text="The question as the customer put it."
    )
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    reply_email = serializers.EmailField(
        required=False, allow_blank=True, default="", help_text="Default: the buyer e-mail on the invoice."
    )

    class Meta:
        ref_name = "BillingQuestionLog"


class QuestionReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.BODY_MAX)

    class Meta:
        ref_name = "BillingQuestionReply"


class QuestionAssignSerializer(serializers.Serializer):
    assignee = IdField(help_text="User id of someone who can see the invoice.")

    class Meta:
        ref_name = "BillingQuestionAssign"


class QuestionResolveSerializer(serializers.Serializer):
    explanation = serializers.CharField(max_length=services.BODY_MAX, help_text="Sent to the customer.")
    credit = serializers.BooleanField(default=False, help_text="Credit the question's line (a credit note).")
    credit_quantity = serializers.DecimalField(
        required=False,
        allow_null=True,
        default=None,
        min_value=Decimal("0.001"),
        help_text="Default: all that is left.",
        **QUANTITY,
    )
    corrected_quantity = serializers.DecimalField(
        required=False, allow_null=True, default=None, min_value=Decimal("0.001"), **QUANTITY
    )
    corrected_unit_price = serializers.DecimalField(
        required=False, allow_null=True, default=None, min_value=Decimal("0"), **MONEY
    )

    class Meta:
        ref_name = "BillingQuestionResolve"


# ---------------------------------------------------------------- views


def _detail(request: Request, question: InvoiceQuestion, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.question_get(user=request.user, pk=question.pk)
    return Response(QuestionDetailSerializer(fresh).data, status=code)


class QuestionListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, CHANGE]}

    @extend_schema(
        operation_id="billing_questions_list",
        summary="List invoice questions",
        description="Questions about invoice lines in your scope, the next deadline first.",
        parameters=[QuestionFilterSerializer],
        responses={200: QuestionOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(QuestionFilterSerializer, request.query_params, request)
        if "invoice" in filters:
            filters["invoice"] = get_visible_or_404(
                Invoice.objects.all(), request.user, pk=filters["invoice"]
            )
        qs = selectors.question_list(user=request.user, **filters).select_related(
            "credit_note__series", "corrected_invoice__series"
        )
        return paginated_response(
            queryset=qs, serializer_class=QuestionOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="billing_questions_create",
        summary="Log a question",
        description="A question the customer asked by phone, e-mail or in person about one line of "
        "an issued invoice. It is assigned (pricing questions to the customer's sales rep, others "
        "to the accounts clerk with the fewest open questions) and gets its deadlines.",
        request=QuestionLogSerializer,
        responses={201: QuestionDetailSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(QuestionLogSerializer, request.data, request)
        with _service_errors():
            question = services.question_log(actor=request.user, line=data.pop("invoice_line"), **data)
        return _detail(request, question, status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="billing_questions_retrieve",
        summary="Get one question",
        description="With its conversation, internal notes included (`internal: true`).",
        parameters=[QUESTION_ID],
        responses={200: QuestionDetailSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return _detail(request, selectors.question_get(user=request.user, pk=id))


class QuestionReplyApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW]}

    @extend_schema(
        operation_id="billing_questions_reply",
        summary="Answer the customer",
        description="Shown on the customer's invoice page and e-mailed with a link to it; the first "
        "answer is the first response. Only on active questions (`not_active`).",
        parameters=[QUESTION_ID],
        request=QuestionReplySerializer,
        responses={200: QuestionDetailSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        question = selectors.question_get(user=request.user, pk=id)
        data = _parse(QuestionReplySerializer, request.data, request)
        with _service_errors():
            services.question_reply(actor=request.user, question=question, body=data["body"])
        return _detail(request, question)


class QuestionAssignApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, CHANGE]}

    @extend_schema(
        operation_id="billing_questions_assign",
        summary="Assign a question",
        description="To someone who can see the invoice (`cannot_see_invoice` otherwise).",
        parameters=[QUESTION_ID],
        request=QuestionAssignSerializer,
        responses={200: QuestionDetailSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        question = selectors.question_get(user=request.user, pk=id)
        data = _parse(QuestionAssignSerializer, request.data, request)
        assignee = User.objects.filter(pk=data["assignee"]).first()
        with _service_errors():
            services.question_assign(actor=request.user, question=question, assignee=assignee)
        return _detail(request, question)


class QuestionResolveApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW]}

    @extend_schema(
        operation_id="billing_questions_resolve",
        summary="Resolve a question",
        description="With an explanation to the customer and, with `credit`, a credit note for the "
        "line (`credit_quantity`, default all that is left; needs `billing.issue_invoice`) and "
        "optionally a corrected invoice for it (`corrected_quantity`, `corrected_unit_price`). The "
        "customer is asked to rate the answer. With an `Idempotency-Key` header, a repeated call "
        "returns the question as resolved the first time.",
        parameters=[QUESTION_ID, IDEMPOTENCY_HEADER],
        request=QuestionResolveSerializer,
        responses={200: QuestionDetailSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        key = _key(request)
        question = selectors.question_get(user=request.user, pk=id)
        data = _parse(QuestionResolveSerializer, request.data, request)
        with _service_errors():
            services.question_resolve(actor=request.user, question=question, idempotency_key=key, **data)
        return _detail(request, question)


urlpatterns = [
    path("questions/", QuestionListCreateApi.as_view(), name="billing-question-list"),
    path("questions/<int:id>/", QuestionDetailApi.as_view(), name="billing-question-detail"),
    path("questions/<int:id>/reply/", QuestionReplyApi.as_view(), name="billing-question-reply"),
    path("questions/<int:id>/assign/", QuestionAssignApi.as_view(), name="billing-question-assign"),
    path("questions/<int:id>/resolve/", QuestionResolveApi.as_view(), name="billing-question-resolve"),
]
