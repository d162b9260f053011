"""``/api/v1/billing/invoices/``: list and read invoices and credit notes, create drafts (with
lines), add, change and remove lines, issue, and credit.

Small APIViews over the same selectors and services as the invoice pages: a missing permission
is a 403 before any row is looked up, a row outside the user's scope (another legal entity, a
colleague's customer) a 404, and a service's ``ValidationError`` the one error shape naming each
field (``lines.<index>.<field>`` for the lines of a new draft). Amounts and quantities travel as
strings (``"125.00"``, ``"1.5"``), never JSON numbers, with the document's ``currency``.

Money-moving calls (issue, credit) honour an ``Idempotency-Key`` header: a repeated call with
the same key returns the document of the first call with status 200. A posting the ledger
rejects answers 400 with code ``posting_rejected`` and every violation in ``violations``.
"""

from __future__ import annotations

import re
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

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField
from frontoffice.billing.api import recurring as recurring_api
from frontoffice.billing.models import Invoice, Unit
from frontoffice.billing.selectors import invoices as selectors
from frontoffice.billing.selectors.discounts import invoice_discount_state
from frontoffice.billing.services.crediting import credit_note_create
from frontoffice.billing.services.discounts import (
    invoice_discount_approve,
    invoice_discount_reject,
    invoice_discount_submit,
)
from frontoffice.billing.services.invoicing import (
    MAX_KEY_LENGTH,
    invoice_draft_create,
    invoice_issue,
    invoice_line_add,
    invoice_line_remove,
    invoice_line_update,
)
from frontoffice.finance.api.vouchers import AmountField, PostingRejectedErrorSerializer, posting_rejected
from frontoffice.finance.services.standards import PostingRejected

VIEW = "billing.view_invoice"
INVOICE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Invoice or credit note id.")
LINE_ID = OpenApiParameter("line_id", int, OpenApiParameter.PATH, description="Line id.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 100 characters. A repeated call with the same key returns the document of the "
    "first call (status 200) instead of issuing again.",
)
MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True, "read_only": True}
_NUMBER = re.compile(r"^[0-9]{1,12}([.,][0-9]+)?$")


class DecimalTextField(serializers.CharField):
    """A quantity or percentage as a JSON string (``"1.5"``); JSON numbers other than whole
    ones are refused, so nothing passes through a float. The service checks the range."""

    default_error_messages = {
        "not_string": _("Send numbers as strings, such as “1.5”; decimal JSON numbers are refused."),
        "invalid_number": _("Enter a number such as “1.5”."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("not_string")
        text = str(data).strip()
        if not _NUMBER.match(text.lstrip("-")):
            self.fail("invalid_number")
        return text


# ---------------------------------------------------------------- output


class InvoiceLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line_no = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id", allow_null=True)
    product_code = serializers.CharField(source="product.code", allow_null=True, default=None)
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, coerce_to_string=True)
    unit = serializers.CharField(help_text="UN/ECE Rec 20 code, e.g. `C62` (piece), `HUR` (hour).")
    unit_price_amount = serializers.DecimalField(**MONEY)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    vat_code = serializers.CharField(source="vat_code.code")
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    net_amount = serializers.DecimalField(help_text="Quantity x price less discount, in öre.", **MONEY)
    revenue_account = serializers.CharField(source="revenue_account.number")
    price_source = serializers.CharField(help_text="`list`, `manual` or the price profile that priced it.")
    credits_line = serializers.IntegerField(
        source="credits_line_id", allow_null=True, help_text="On a credit note: the invoice line it credits."
    )

    class Meta:
        ref_name = "BillingInvoiceLine"


class VatRowSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    net_amount = serializers.DecimalField(**MONEY)
    vat_amount = serializers.DecimalField(**MONEY)

    class Meta:
        ref_name = "BillingVatRow"


class BuyerSerializer(serializers.Serializer):
    name = serializers.CharField(source="buyer_name")
    organisation_number = serializers.CharField(source="buyer_organisation_number")
    vat_number = serializers.CharField(source="buyer_vat_number")
    street = serializers.CharField(source="buyer_street")
    postal_code = serializers.CharField(source="buyer_postal_code")
    city = serializers.CharField(source="buyer_city")
    country = serializers.CharField(source="buyer_country")
    email = serializers.CharField(source="buyer_email")

    class Meta:
        ref_name = "BillingBuyer"


class InvoiceSummarySerializer(serializers.ModelSerializer):
    """A row of the list: no lines."""

    legal_entity = serializers.IntegerField(source="legal_entity_id")
    # Plain strings, not enums: drf-spectacular would name both enums after their field and
    # collide with the other apps' `kind` and `status` enums (a schema warning).
    kind = serializers.CharField(help_text="`invoice` or `credit_note`.")
    status = serializers.CharField(help_text="`draft`, `issued`, `paid` or `credited`.")
    customer = serializers.IntegerField(source="party_id", help_text="The customer's id.")
    customer_name = serializers.SerializerMethodField()
    series = serializers.CharField(source="series.code")
    reference = serializers.CharField(help_text="The printed number, e.g. `F2026-00042`; empty for drafts.")
    credits = serializers.IntegerField(
        source="credits_id", allow_null=True, help_text="On a credit note: the invoice it credits."
    )
    net_amount = serializers.DecimalField(**MONEY)
    vat_amount = serializers.DecimalField(**MONEY)
    rounding_amount = serializers.DecimalField(help_text="Whole-krona rounding.", **MONEY)
    total_amount = serializers.DecimalField(**MONEY)
    open_amount = serializers.DecimalField(
        help_text="Still owed by the customer (> 0), or still owed back on a credit note (< 0).", **MONEY
    )
    voucher = serializers.IntegerField(source="voucher_id", allow_null=True)

    class Meta:
        model = Invoice
        ref_name = "BillingInvoiceSummary"
        fields = [
            "id",
            "legal_entity",
            "kind",
            "status",
            "series",
            "year",
            "number",
            "reference",
            "customer",
            "customer_name",
            "credits",
            "issue_on",
            "due_on",
            "currency",
            "net_amount",
            "vat_amount",
            "rounding_amount",
            "total_amount",
            "open_amount",
            "payment_reference",
            "voucher",
            "created_at",
            "issued_at",
        ]
        read_only_fields = fields

    def get_customer_name(self, invoice: Invoice) -> str:
        return invoice.buyer_name or invoice.party.display_name


class DiscountDecisionSerializer(serializers.Serializer):
    action = serializers.CharField(
        help_text="`submitted`, `self_approved`, `approved`, `rejected`, `withdrawn`."
    )
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    routed_to = serializers.CharField(source="routed_to.username", allow_null=True, default=None)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    comment = serializers.CharField()
    at = serializers.DateTimeField()

    class Meta:
        ref_name = "BillingDiscountDecision"


class DiscountApprovalSerializer(serializers.Serializer):
    status = serializers.CharField(
        help_text="`none` (no manual discount above its author's authority), `needs_approval` "
        "(submit it), `pending` (routed to `routed_to`), `approved`."
    )
    discount_to_approve_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=True,
        help_text="The largest typed discount against the list price its author had no authority for.",
    )
    discount_approved_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=True
    )
    routed_to = serializers.CharField(source="routed_to.username", allow_null=True, default=None)
    history = DiscountDecisionSerializer(many=True)

    class Meta:
        ref_name = "BillingDiscountApproval"


class InvoiceOutputSerializer(InvoiceSummarySerializer):
    """One document with its lines, VAT per rate, buyer as billed and credit notes."""

    profile = serializers.IntegerField(source="profile_id", help_text="The billing profile it bills.")
    buyer = BuyerSerializer(source="*")
    lines = InvoiceLineOutputSerializer(many=True)
    vat = serializers.SerializerMethodField(help_text="VAT per rate, on the sum of that rate's lines.")
    credit_notes = serializers.SerializerMethodField(help_text="Ids of the credit notes crediting it.")
    voucher_reference = serializers.CharField(source="voucher.reference", allow_null=True, default=None)
    discount_approval = serializers.SerializerMethodField(
        help_text="Typed prices below the customer's own price above their author's discount "
        "authority: a draft is issued only once they are approved."
    )

    class Meta(InvoiceSummarySerializer.Meta):
        ref_name = "BillingInvoice"
        fields = [
            *InvoiceSummarySerializer.Meta.fields,
            "profile",
            "delivery_on",
            "payment_terms_days",
            "language",
            "buyer",
            "buyer_reference",
            "seller_reference",
            "notes",
            "lines",
            "vat",
            "credit_notes",
            "voucher_reference",
            "discount_approval",
        ]
        read_only_fields = fields

    @extend_schema_field(DiscountApprovalSerializer)
    def get_discount_approval(self, invoice: Invoice) -> dict[str, Any]:
        request = self.context.get("request")
        state = invoice_discount_state(invoice=invoice, user=getattr(request, "user", None))
        return DiscountApprovalSerializer(state).data

    @extend_schema_field(VatRowSerializer(many=True))
    def get_vat(self, invoice: Invoice) -> list[dict[str, Any]]:
        totals = selectors.invoice_document_totals(
            invoice, round_to_whole_krona=self.context.get("round", False)
        )
        return VatRowSerializer(totals.vat, many=True).data

    def get_credit_notes(self, invoice: Invoice) -> list[int]:
        return [note.pk for note in invoice.credit_notes.all()]


# ---------------------------------------------------------------- input


class InvoiceFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False)
    status = serializers.ChoiceField(choices=Invoice.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Invoice.Kind.choices, required=False)
    customer = IdField(required=False, help_text="Customer id.")
    date_from = serializers.DateField(required=False, help_text="Invoice date, ISO 8601; inclusive.")
    date_to = serializers.DateField(required=False, help_text="Invoice date, ISO 8601; inclusive.")
    q = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Invoice number (`F2026-00042` or `42`), OCR reference or customer.",
    )

    class Meta:
        ref_name = "BillingInvoiceFilter"


class LineInputSerializer(serializers.Serializer):
    product = IdField(
        required=False, allow_null=True, help_text="Product id: brings name, unit, price and VAT."
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    quantity = DecimalTextField(required=False, help_text="More than zero, at most 3 decimals, e.g. `1.5`.")
    unit = serializers.ChoiceField(choices=Unit.choices, required=False)
    unit_price = AmountField(help_text="Excluding VAT, e.g. `850.00`; leave out for the product's price.")
    discount_percent = DecimalTextField(required=False, allow_blank=True, help_text="0 to 100, e.g. `12.5`.")
    vat_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="VAT code, e.g. `SE25`; a product's by default.",
    )

    class Meta:
        ref_name = "BillingInvoiceLineInput"


def _line_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if v not in (None, "") or k == "description"}
    if not partial:
        fields.setdefault("quantity", "1")
    return fields


class InvoiceCreateSerializer(serializers.Serializer):
    legal_entity = IdField(required=False, help_text="Needed only when the customer is billed by several.")
    customer = IdField(help_text="Customer id; the customer needs an active billing profile.")
    series = serializers.CharField(
        required=False, max_length=10, help_text="Invoice series code, default `F`."
    )
    issue_on = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the day it is issued."
    )
    delivery_on = serializers.DateField(required=False, allow_null=True)
    buyer_reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    seller_reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True, required=False, max_length=500)

    class Meta:
        ref_name = "BillingInvoiceCreate"


class CreditLineSerializer(serializers.Serializer):
    line = IdField(help_text="Id of the invoice line to credit.")
    quantity = DecimalTextField(required=False, allow_null=True, help_text="Default: all that is left.")

    class Meta:
        ref_name = "BillingCreditLine"


class CreditInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Printed on the credit note.")
    issue_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")
    lines = CreditLineSerializer(
        many=True,
        required=False,
        allow_null=True,
        help_text="Leave out to credit everything not yet credited.",
    )

    class Meta:
        ref_name = "BillingCreditInput"


# ---------------------------------------------------------------- helpers


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _idempotency_key(request: Request) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError(
            {"Idempotency-Key": [gettext("The idempotency key has at most 100 characters.")]}
        )
    return key


def _detail(request: Request, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.invoice_get(user=request.user, pk=invoice.pk)
    context = {"request": request, "round": _rounds(fresh)}
    return Response(InvoiceOutputSerializer(fresh, context=context).data, status=code)


def _rounds(invoice: Invoice) -> bool:
    from frontoffice.billing.models import BillingSettings

    if invoice.status != Invoice.Status.DRAFT:
        return False
    return bool(
        BillingSettings.objects.filter(legal_entity_id=invoice.legal_entity_id)
        .values_list("round_to_whole_krona", flat=True)
        .first()
    )


def _renamed(exc: DjangoValidationError, names: dict[str, str]) -> Exception:
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = DjangoValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})
    drf_exc = django_validation_error_to_drf(renamed)
    drf_exc.domain_code = "invalid"  # type: ignore[attr-defined]
    return drf_exc


WRITE_RESPONSES = error_responses(*WRITE_ERRORS, 404, bad_request=PostingRejectedErrorSerializer)


# ---------------------------------------------------------------- views


class InvoiceListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, "billing.add_invoice", "billing.change_invoice"]}

    @extend_schema(
        operation_id="billing_invoices_list",
        summary="List invoices and credit notes",
        description="Drafts first, then newest first; scoped like the invoice list (a sales rep sees "
        "their own customers' documents).",
        parameters=[InvoiceFilterSerializer],
        responses={200: InvoiceSummarySerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(InvoiceFilterSerializer, request.query_params, request)
        qs = selectors.invoice_list(
            user=request.user,
            legal_entity=filters.get("legal_entity"),
            status=filters.get("status", ""),
            kind=filters.get("kind", ""),
            party=filters.get("customer"),
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
            query=filters.get("q", ""),
        )
        return paginated_response(
            queryset=qs, serializer_class=InvoiceSummarySerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="billing_invoices_create",
        summary="Create a draft invoice",
        description="A draft (no number yet) for a customer with an active billing profile, with its "
        "lines if given (all or nothing; errors name `lines.<index>.<field>`). Payment terms, "
        "language and VAT treatment come from the profile; product lines are priced by the "
        "customer's approved price profile, else the list price.",
        request=InvoiceCreateSerializer,
        responses={201: InvoiceOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(InvoiceCreateSerializer, request.data, request)
        profiles = selectors.invoice_customer_choices(
            user=request.user, legal_entity=data.get("legal_entity")
        )
        matches = list(profiles.filter(party_id=data["customer"]))
        if len(matches) != 1:
            message = (
                gettext("Name the legal entity: this customer is billed by several.")
                if matches
                else gettext("This customer has no active billing profile you can bill.")
            )
            raise exceptions.ValidationError({"customer" if not matches else "legal_entity": [message]})
        profile = matches[0]
        lines = [_line_fields(dict(line)) for line in data.get("lines") or []]
        try:
            invoice = invoice_draft_create(
                actor=request.user,
                legal_entity=profile.legal_entity_id,
                party=profile.party_id,
                series=data.get("series"),
                issue_on=data.get("issue_on"),
                delivery_on=data.get("delivery_on"),
                buyer_reference=data["buyer_reference"],
                seller_reference=data["seller_reference"],
                notes=data["notes"],
                lines=lines,
            )
        except DjangoValidationError as exc:
            raise _renamed(exc, {"party": "customer"}) from exc
        return _detail(request, invoice, status.HTTP_201_CREATED)


class InvoiceDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="billing_invoices_retrieve",
        summary="Get one invoice or credit note",
        parameters=[INVOICE_ID],
        responses={200: InvoiceOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return _detail(request, selectors.invoice_get(user=request.user, pk=id))


class InvoiceLineCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "billing.change_invoice"]}

    @extend_schema(
        operation_id="billing_invoices_lines_create",
        summary="Add a line to a draft",
        description="Returns the draft with its new totals. `not_draft` for an issued document.",
        parameters=[INVOICE_ID],
        request=LineInputSerializer,
        responses={201: InvoiceOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        invoice = selectors.invoice_get(user=request.user, pk=id)
        data = _parse(LineInputSerializer, request.data, request)
        invoice_line_add(actor=request.user, invoice=invoice, **_line_fields(data))
        return _detail(request, invoice, status.HTTP_201_CREATED)


class InvoiceLineDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"PATCH": [VIEW, "billing.change_invoice"], "DELETE": [VIEW, "billing.change_invoice"]}

    @extend_schema(
        operation_id="billing_invoices_lines_update",
        summary="Change a draft's line",
        description="Only the fields sent change. A product line priced by the list or a price "
        "profile is repriced for a new quantity; a `unit_price` or `discount_percent` sent makes "
        "the price manual. Returns the draft.",
        parameters=[INVOICE_ID, LINE_ID],
        request=LineInputSerializer,
        responses={200: InvoiceOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def patch(self, request: Request, id: int, line_id: int) -> Response:
        invoice = selectors.invoice_get(user=request.user, pk=id)
        line = selectors.invoice_line_get(invoice=invoice, pk=line_id)
        serializer = LineInputSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        fields = _line_fields(dict(serializer.validated_data), partial=True)
        fields.pop("product", None)
        if "description" in fields and not fields["description"]:
            fields.pop("description")
        invoice_line_update(actor=request.user, line=line, **fields)
        return _detail(request, invoice)

    @extend_schema(
        operation_id="billing_invoices_lines_destroy",
        summary="Remove a draft's line",
        description="The lines after it move up one number. Returns the draft.",
        parameters=[INVOICE_ID, LINE_ID],
        request=None,
        responses={200: InvoiceOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def delete(self, request: Request, id: int, line_id: int) -> Response:
        invoice = selectors.invoice_get(user=request.user, pk=id)
        line = selectors.invoice_line_get(invoice=invoice, pk=line_id)
        invoice_line_remove(actor=request.user, line=line)
        return _detail(request, invoice)


class InvoiceIssueApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "billing.issue_invoice"]}

    @extend_schema(
        operation_id="billing_invoices_issue",
        summary="Issue a draft",
        description="Takes the next number of the series and year, copies the buyer from the "
        "profile, sets the due date and OCR reference, and posts one voucher (receivables debit, "
        "revenue and VAT credits), all at once. `posting_rejected` with the ledger's violations "
        "if the voucher breaks a posting standard (nothing is written); `not_draft`, `no_lines`, "
        "`zero_total`, `invalid_lines`, `discount_not_approved` (a typed price needs approval). With an `Idempotency-Key`, a repeated call returns the "
        "invoice issued the first time.",
        parameters=[INVOICE_ID, IDEMPOTENCY_HEADER],
        request=None,
        responses={200: InvoiceOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        key = _idempotency_key(request)
        invoice = selectors.invoice_get(user=request.user, pk=id)
        try:
            issued = invoice_issue(actor=request.user, invoice=invoice, idempotency_key=key)
        except PostingRejected as exc:
            raise posting_rejected(exc) from exc
        return _detail(request, issued)


class InvoiceCreditApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "billing.issue_invoice"]}

    @extend_schema(
        operation_id="billing_invoices_credit",
        summary="Credit an invoice",
        description="Issues a credit note (series K) for the whole invoice (everything not yet "
        "credited) or chosen lines and quantities, posted as the reversal of those lines; returns "
        "it (201). Errors name `lines.<line id>` (`over_credit`, `unknown_line`) or carry "
        "`already_credited`, `not_creditable`, `zero_total`, `posting_rejected`. With an "
        "`Idempotency-Key`, a repeated call returns the first call's credit note with status 200.",
        parameters=[INVOICE_ID, IDEMPOTENCY_HEADER],
        request=CreditInputSerializer,
        responses={200: InvoiceOutputSerializer, 201: InvoiceOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        key = _idempotency_key(request)
        invoice = selectors.invoice_get(user=request.user, pk=id)
        if key is not None:
            existing = selectors.invoice_by_idempotency_key(
                user=request.user, legal_entity=invoice.legal_entity_id, key=key
            )
            if existing is not None and existing.credits_id == invoice.pk:
                return _detail(request, existing)
        data = _parse(CreditInputSerializer, request.data, request)
        lines = data.get("lines")
        try:
            note = credit_note_create(
                actor=request.user,
                invoice=invoice,
                reason=data["reason"],
                lines=None if lines is None else {line["line"]: line.get("quantity") for line in lines},
                issue_on=data.get("issue_on"),
                idempotency_key=key,
            )
        except PostingRejected as exc:
            raise posting_rejected(exc) from exc
        return _detail(request, note, status.HTTP_201_CREATED)


class DiscountCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class InvoiceDiscountSubmitApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "billing.change_invoice"]}

    @extend_schema(
        operation_id="billing_invoices_discount_submit",
        summary="Submit a draft's typed discount for approval",
        description="Within the caller's own discount authority it is approved at once; above "
        "it, it is routed to the nearest manager whose authority covers it. Codes: "
        "`nothing_to_approve`, `already_pending`, `no_approver`, `not_draft`.",
        parameters=[INVOICE_ID],
        request=None,
        responses={200: InvoiceOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        invoice = selectors.invoice_get(user=request.user, pk=id)
        invoice_discount_submit(actor=request.user, invoice=invoice)
        return _detail(request, invoice)


class _InvoiceDiscountDecideApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "pricing.approve_priceprofile"]}
    decision = "approve"

    def _decide(self, request: Request, id: int) -> Response:
        invoice = selectors.invoice_get(user=request.user, pk=id)
        comment = _parse(DiscountCommentSerializer, request.data, request)["comment"]
        if self.decision == "approve":
            invoice_discount_approve(actor=request.user, invoice=invoice, comment=comment)
        else:
            invoice_discount_reject(actor=request.user, invoice=invoice, comment=comment)
        return _detail(request, invoice)


class InvoiceDiscountApproveApi(_InvoiceDiscountDecideApi):
    decision = "approve"

    @extend_schema(
        operation_id="billing_invoices_discount_approve",
        summary="Approve a draft's typed discount",
        description="For someone other than the one who submitted it, holding "
        "`pricing.approve_priceprofile`, whose discount authority covers it. Codes: "
        "`not_pending`, `self_approval`, `above_authority`.",
        parameters=[INVOICE_ID],
        request=DiscountCommentSerializer,
        responses={200: InvoiceOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        return self._decide(request, id)


class InvoiceDiscountRejectApi(_InvoiceDiscountDecideApi):
    decision = "reject"

    @extend_schema(
        operation_id="billing_invoices_discount_reject",
        summary="Reject a draft's typed discount",
        description="Same rules as approving; the `comment` is required (`comment_required`).",
        parameters=[INVOICE_ID],
        request=DiscountCommentSerializer,
        responses={200: InvoiceOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        return self._decide(request, id)


urlpatterns = [
    path("invoices/", InvoiceListCreateApi.as_view(), name="billing-invoice-list"),
    path("invoices/<int:id>/", InvoiceDetailApi.as_view(), name="billing-invoice-detail"),
    path("invoices/<int:id>/lines/", InvoiceLineCreateApi.as_view(), name="billing-invoice-line-list"),
    path(
        "invoices/<int:id>/lines/<int:line_id>/",
        InvoiceLineDetailApi.as_view(),
        name="billing-invoice-line-detail",
    ),
    path("invoices/<int:id>/issue/", InvoiceIssueApi.as_view(), name="billing-invoice-issue"),
    path("invoices/<int:id>/credit/", InvoiceCreditApi.as_view(), name="billing-invoice-credit"),
    path(
        "invoices/<int:id>/discount/submit/",
        InvoiceDiscountSubmitApi.as_view(),
        name="billing-invoice-discount-submit",
    ),
    path(
        "invoices/<int:id>/discount/approve/",
        InvoiceDiscountApproveApi.as_view(),
        name="billing-invoice-discount-approve",
    ),
    path(
        "invoices/<int:id>/discount/reject/",
        InvoiceDiscountRejectApi.as_view(),
        name="billing-invoice-discount-reject",
    ),
]

# Recurring invoices live next to invoices under /api/v1/billing/ (mounted with these routes).
urlpatterns += recurring_api.urlpatterns
