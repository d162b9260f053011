"""``/api/v1/finance/vouchers/``: list and read vouchers, create drafts, post, approve, reverse,
and post directly with an idempotency key.

The views call the same selectors and posting services as the voucher desk. Amounts travel
as strings with at most two decimals (``"125.00"``), never JSON numbers, with the currency of
the legal entity. A voucher breaking posting standards answers 400 with code
``posting_rejected`` and every violation in ``violations``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import NON_FIELD_ERRORS, django_validation_error_to_drf, with_extra
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, ErrorSerializer, error_responses
from frontoffice.api.serializers import IdField
from frontoffice.finance.models import JournalEntry
from frontoffice.finance.selectors import vouchers as selectors
from frontoffice.finance.services.posting import (
    EntryInput,
    LineInput,
    journal_entry_approve,
    journal_entry_draft_save,
    journal_entry_post,
    journal_entry_reverse,
    journal_entry_submit,
)
from frontoffice.finance.services.standards import PostingRejected

VIEW = "finance.view_journalentry"
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Voucher id.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 100 characters. A repeated call with the same key returns the voucher of the "
    "first call (status 200) instead of posting again.",
)
_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]+)?$")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# ---------------------------------------------------------------- input


class AmountField(serializers.CharField):
    """A money amount as a JSON string: ``"125.00"``, at most two decimals, no sign."""

    default_error_messages = {
        "not_string": _(
            "Amounts must be strings with at most two decimals, such as “125.00”; numbers are refused."
        ),
        "too_many_decimals": _("Amounts must be strings with at most two decimals, such as “125.00”."),
        "invalid_amount": _("Enter a positive amount such as “125.00”."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "help_text", "A string such as `125.00`, at most two decimals; JSON numbers are refused."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_string")
        text = data.strip()
        if not _AMOUNT.match(text):
            self.fail("invalid_amount")
        if "." in text and len(text.split(".")[1]) > 2:
            self.fail("too_many_decimals")
        return text


class VoucherLineInputSerializer(serializers.Serializer):
    account = serializers.CharField(max_length=10, help_text="Account number, e.g. `1930`.")
    debit = AmountField()
    credit = AmountField()
    text = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    cost_centre = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    project = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)
    region = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=40)

    class Meta:
        ref_name = "VoucherLineInput"


class VoucherInputSerializer(serializers.Serializer):
    legal_entity = IdField(
        required=False,
        help_text="Legal entity id; only organisation-wide users pick one (default: your own).",
    )
    series = serializers.CharField(max_length=10, help_text="Voucher series code, e.g. `A`.")
    date = serializers.DateField()
    text = serializers.CharField(max_length=200)
    lines = VoucherLineInputSerializer(many=True, max_length=200)

    class Meta:
        ref_name = "VoucherInput"


class VoucherReverseInputSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, allow_null=True, help_text="Default: the original's date.")
    text = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    class Meta:
        ref_name = "VoucherReverseInput"


class VoucherFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False)
    series = serializers.CharField(required=False, max_length=10)
    status = serializers.ChoiceField(choices=JournalEntry.Status.choices, required=False)
    number = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    date_from = serializers.DateField(required=False, help_text="ISO 8601; inclusive.")
    date_to = serializers.DateField(required=False, help_text="ISO 8601; inclusive.")
    account = serializers.RegexField(r"^[0-9]{1,10}$", required=False, help_text="Account number.")
    text = serializers.CharField(required=False, max_length=200)
    amount_min = AmountField(help_text="Total at least, e.g. `100.00`.")
    amount_max = AmountField(help_text="Total at most, e.g. `5000.00`.")

    class Meta:
        ref_name = "VoucherFilter"


# ---------------------------------------------------------------- output


class VoucherLineOutputSerializer(serializers.Serializer):
    line_no = serializers.IntegerField()
    account = serializers.CharField(source="account.number")
    account_name = serializers.CharField(source="account.name")
    debit = serializers.SerializerMethodField()
    credit = serializers.SerializerMethodField()
    text = serializers.CharField()
    cost_centre = serializers.CharField(source="cost_centre.code", allow_null=True)
    project = serializers.CharField(source="project.code", allow_null=True)
    region = serializers.CharField(source="region.code", allow_null=True)

    class Meta:
        ref_name = "VoucherLine"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_debit(self, line: Any) -> str | None:
        return _money(line.amount) if line.side == "D" else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_credit(self, line: Any) -> str | None:
        return _money(line.amount) if line.side == "C" else None


class VoucherAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()

    class Meta:
        ref_name = "VoucherAttachment"


class VoucherOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id")
    series = serializers.CharField(source="series.code")
    reference = serializers.CharField(help_text="Series and number, e.g. `A12`; empty until posted.")
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField(source="legal_entity.base_currency")
    reverses = serializers.IntegerField(
        source="reverses_id", allow_null=True, help_text="The voucher this reverses."
    )
    reversed_by = serializers.SerializerMethodField(help_text="Ids of vouchers reversing this one.")
    lines = VoucherLineOutputSerializer(many=True)
    attachments = VoucherAttachmentSerializer(many=True)

    class Meta:
        model = JournalEntry
        ref_name = "Voucher"
        fields = [
            "id",
            "legal_entity",
            "series",
            "number",
            "reference",
            "date",
            "text",
            "status",
            "total_amount",
            "currency",
            "reverses",
            "reversed_by",
            "lines",
            "attachments",
            "hash",
            "previous_hash",
            "created_at",
            "posted_at",
        ]
        read_only_fields = fields

    def get_reversed_by(self, entry: JournalEntry) -> list[int]:
        return [r.pk for r in entry.reversals.all()]


class ViolationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code of the posting standard, e.g. `unbalanced`.")
    title = serializers.CharField()
    message = serializers.CharField()
    line = serializers.IntegerField(
        allow_null=True, help_text="Line number counted from 1, when about a line."
    )
    help_url = serializers.CharField(help_text="Where the standard is explained.")

    class Meta:
        ref_name = "PostingViolation"


class PostingRejectedErrorSerializer(ErrorSerializer):
    """Code ``posting_rejected``: every posting standard the voucher breaks."""

    violations = ViolationSerializer(many=True, required=False)

    class Meta:
        ref_name = "PostingRejectedError"


# ---------------------------------------------------------------- helpers


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _entry_input(data: dict[str, Any], *, idempotency_key: str | None = None) -> EntryInput:
    return EntryInput(
        series=data["series"],
        date=data["date"],
        text=data["text"],
        lines=[
            LineInput(
                account=line["account"].strip(),
                debit=line.get("debit") or None,
                credit=line.get("credit") or None,
                text=line.get("text") or "",
                cost_centre=line.get("cost_centre") or None,
                project=line.get("project") or None,
                region=line.get("region") or None,
            )
            for line in data["lines"]
        ],
        idempotency_key=idempotency_key,
    )


def posting_rejected(exc: PostingRejected) -> exceptions.APIException:
    """400 ``posting_rejected``: messages per line in ``errors``, the full list in ``violations``."""
    errors: dict[str, list[str]] = {}
    for violation in exc.violations:
        key = f"lines.{violation.line - 1}" if violation.line else NON_FIELD_ERRORS
        errors.setdefault(key, []).append(violation.message)
    drf_exc = exceptions.ValidationError(errors)
    drf_exc.domain_code = "posting_rejected"  # type: ignore[attr-defined]
    return with_extra(
        drf_exc,
        message=gettext("The voucher breaks %(n)s posting standard(s); see violations.")
        % {"n": len(exc.violations)},
        violations=[violation.as_dict() for violation in exc.violations],
    )


def _draft_error(exc: DjangoValidationError) -> exceptions.APIException:
    """The draft service counts lines from 1 (``lines.1``); the API counts from 0 like its input."""
    if hasattr(exc, "error_dict"):
        renamed = {}
        for key, errors in exc.error_dict.items():
            if key.startswith("lines.") and key.split(".")[1].isdigit():
                key = f"lines.{int(key.split('.')[1]) - 1}"
            renamed[key] = errors
        exc = DjangoValidationError(renamed)
    drf_exc = django_validation_error_to_drf(exc)
    drf_exc.domain_code = "invalid"  # type: ignore[attr-defined]
    return drf_exc


def _detail(request: Request, entry: JournalEntry, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.voucher_get(user=request.user, pk=entry.pk)
    return Response(VoucherOutputSerializer(fresh).data, status=code)


WRITE_RESPONSES = error_responses(*WRITE_ERRORS, 404, bad_request=PostingRejectedErrorSerializer)


# ---------------------------------------------------------------- views


class VoucherListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, "finance.add_journalentry"]}

    @extend_schema(
        operation_id="finance_vouchers_list",
        summary="List vouchers",
        description="Vouchers of your legal entity, newest first.",
        parameters=[VoucherFilterSerializer],
        responses={200: VoucherOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(VoucherFilterSerializer, request.query_params, request)
        for key in ("amount_min", "amount_max"):
            filters[key] = Decimal(filters[key]) if filters.get(key) else None
        qs = selectors.voucher_list(user=request.user, **filters).prefetch_related(
            *selectors.voucher_prefetches()
        )
        return paginated_response(
            queryset=qs, serializer_class=VoucherOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="finance_vouchers_create",
        summary="Create a draft voucher",
        description="Stores a draft (no number). Accounts and amounts are checked now; the posting "
        "standards apply when the draft is posted (`POST /finance/vouchers/{id}/post/`).",
        request=VoucherInputSerializer,
        responses={201: VoucherOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(VoucherInputSerializer, request.data, request)
        legal_entity = selectors.entry_legal_entity(user=request.user, legal_entity=data.get("legal_entity"))
        try:
            draft = journal_entry_draft_save(
                actor=request.user, legal_entity=legal_entity, entry=_entry_input(data)
            )
        except DjangoValidationError as exc:
            raise _draft_error(exc) from exc
        return _detail(request, draft, status.HTTP_201_CREATED)


class VoucherDirectPostApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "finance.post_journalentry"]}

    @extend_schema(
        operation_id="finance_vouchers_post_direct",
        summary="Post a voucher directly",
        description="Checks the voucher against every posting standard and posts it (201). Above "
        "the four-eyes limit it is stored as awaiting approval instead. With an `Idempotency-Key` "
        "header, a repeated call returns the first call's voucher with status 200.",
        parameters=[IDEMPOTENCY_HEADER],
        request=VoucherInputSerializer,
        responses={
            200: VoucherOutputSerializer,
            201: VoucherOutputSerializer,
            **WRITE_RESPONSES,
        },
    )
    def post(self, request: Request) -> Response:
        key = (request.headers.get("Idempotency-Key") or "").strip() or None
        if key is not None and len(key) > 100:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [gettext("The idempotency key has at most 100 characters.")]}
            )
        data = _parse(VoucherInputSerializer, request.data, request)
        legal_entity = selectors.entry_legal_entity(user=request.user, legal_entity=data.get("legal_entity"))
        if key is not None:
            existing = selectors.voucher_by_idempotency_key(
                user=request.user, legal_entity=legal_entity, key=key
            )
            if existing is not None:
                return _detail(request, existing)
        try:
            entry = journal_entry_post(
                actor=request.user, legal_entity=legal_entity, entry=_entry_input(data, idempotency_key=key)
            )
        except PostingRejected as exc:
            raise posting_rejected(exc) from exc
        return _detail(request, entry, status.HTTP_201_CREATED)


class VoucherDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="finance_vouchers_retrieve",
        summary="Get one voucher",
        parameters=[ID_PATH_PARAM],
        responses={200: VoucherOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(VoucherOutputSerializer(selectors.voucher_get(user=request.user, pk=id)).data)


class VoucherSubmitApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "finance.post_journalentry"]}

    @extend_schema(
        operation_id="finance_vouchers_post",
        summary="Post a draft voucher",
        description="Checks the draft against every posting standard and posts it, or, above the "
        "four-eyes limit, marks it as awaiting approval. `not_draft` when it is not a draft.",
        parameters=[ID_PATH_PARAM],
        request=None,
        responses={200: VoucherOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        draft = selectors.voucher_get(user=request.user, pk=id)
        try:
            entry = journal_entry_submit(actor=request.user, draft=draft)
        except PostingRejected as exc:
            raise posting_rejected(exc) from exc
        return _detail(request, entry)


class VoucherApproveApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "finance.approve_journalentry"]}

    @extend_schema(
        operation_id="finance_vouchers_approve",
        summary="Approve and post a voucher awaiting approval",
        description="By someone other than the person who entered it (`posting_rejected` with "
        "`self_approval` otherwise).",
        parameters=[ID_PATH_PARAM],
        request=None,
        responses={200: VoucherOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        entry = selectors.voucher_get(user=request.user, pk=id)
        try:
            posted = journal_entry_approve(actor=request.user, entry=entry)
        except PostingRejected as exc:
            raise posting_rejected(exc) from exc
        return _detail(request, posted)


class VoucherReverseApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "finance.reverse_journalentry"]}

    @extend_schema(
        operation_id="finance_vouchers_reverse",
        summary="Reverse a posted voucher",
        description="Posts a new voucher with the same lines, debit and credit swapped, linked to "
        "the original. Returns the reversal (201). `already_reversed` or `not_posted` otherwise.",
        parameters=[ID_PATH_PARAM],
        request=VoucherReverseInputSerializer,
        responses={201: VoucherOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        entry = selectors.voucher_get(user=request.user, pk=id)
        data = _parse(VoucherReverseInputSerializer, request.data, request)
        try:
            reversal = journal_entry_reverse(
                actor=request.user, entry=entry, date=data.get("date"), text=data.get("text") or ""
            )
        except PostingRejected as exc:
            raise posting_rejected(exc) from exc
        return _detail(request, reversal, status.HTTP_201_CREATED)


urlpatterns = [
    path("vouchers/", VoucherListCreateApi.as_view(), name="finance-voucher-list"),
    path("vouchers/post/", VoucherDirectPostApi.as_view(), name="finance-voucher-post-direct"),
    path("vouchers/<int:id>/", VoucherDetailApi.as_view(), name="finance-voucher-detail"),
    path("vouchers/<int:id>/post/", VoucherSubmitApi.as_view(), name="finance-voucher-post"),
    path("vouchers/<int:id>/approve/", VoucherApproveApi.as_view(), name="finance-voucher-approve"),
    path("vouchers/<int:id>/reverse/", VoucherReverseApi.as_view(), name="finance-voucher-reverse"),
]
