"""``/api/v1/finance/reports/``: ledger reports as JSON, the same selectors as the HTML pages.

Query parameters: ``legal_entity`` (optional; organisation-wide users pick one, others get
their own), ``start`` and ``end`` (ISO dates inside one fiscal year; default: the current
fiscal year to date). Money is a string with two decimals, in SEK.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, error_responses
from frontoffice.api.serializers import IdField
from frontoffice.finance.selectors import reports as selectors

VIEW_REPORTS = "finance.view_ledger_reports"


def Money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=True, **kwargs)


class ReportFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False, help_text="Legal entity id; default: your own.")
    start = serializers.DateField(
        required=False, help_text="First day (ISO 8601); default: start of the fiscal year."
    )
    end = serializers.DateField(
        required=False, help_text="Last day (ISO 8601), in the same fiscal year; default: today."
    )

    class Meta:
        ref_name = "LedgerReportFilter"


class GeneralLedgerFilterSerializer(ReportFilterSerializer):
    account = serializers.CharField(max_length=10, help_text="Account number, e.g. `1930`.")
    page = serializers.IntegerField(required=False, min_value=1, default=1)

    class Meta:
        ref_name = "GeneralLedgerFilter"


class AccountRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")
    type = serializers.CharField()

    class Meta:
        ref_name = "LedgerAccountRef"


class EntityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()

    class Meta:
        ref_name = "LedgerReportEntity"


class RangeFields(serializers.Serializer):
    legal_entity = EntityRefSerializer()
    start = serializers.DateField(source="range.start")
    end = serializers.DateField(source="range.end")


class TrialBalanceRowSerializer(serializers.Serializer):
    account = AccountRefSerializer()
    opening = Money(help_text="Debit minus credit before `start`.")
    debit = Money()
    credit = Money()
    closing = Money()

    class Meta:
        ref_name = "TrialBalanceRow"


class TrialBalanceSerializer(RangeFields):
    rows = TrialBalanceRowSerializer(many=True)
    opening_total = Money()
    debit_total = Money()
    credit_total = Money()
    closing_total = Money()
    balanced = serializers.BooleanField()

    class Meta:
        ref_name = "TrialBalance"


class ComparisonFields(RangeFields):
    comparison_start = serializers.DateField(
        source="comparison_range.start", allow_null=True, help_text="Same period last year; null without one."
    )
    comparison_end = serializers.DateField(source="comparison_range.end", allow_null=True)


class IncomeRowSerializer(serializers.Serializer):
    account = AccountRefSerializer()
    amount = Money(help_text="Credit minus debit: income positive, costs negative.")
    comparison = Money(allow_null=True)

    class Meta:
        ref_name = "IncomeStatementRow"


class IncomeGroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    rows = IncomeRowSerializer(many=True)
    total = Money()
    comparison_total = Money(allow_null=True)
    subtotal_label = serializers.CharField(allow_null=True)
    subtotal = Money(allow_null=True, help_text="Running result after this group (BAS layout).")
    comparison_subtotal = Money(allow_null=True)

    class Meta:
        ref_name = "IncomeStatementGroup"


class IncomeStatementSerializer(ComparisonFields):
    groups = IncomeGroupSerializer(many=True)
    result = Money()
    comparison_result = Money(allow_null=True)

    class Meta:
        ref_name = "IncomeStatement"


class BalanceRowSerializer(serializers.Serializer):
    account = AccountRefSerializer()
    opening = Money()
    change = Money()
    closing = Money(source="amount")
    comparison = Money(allow_null=True, help_text="Closing balance at the end of the comparison range.")

    class Meta:
        ref_name = "BalanceSheetRow"


class BalanceSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    rows = BalanceRowSerializer(many=True)
    opening_total = Money()
    change_total = Money()
    closing_total = Money()
    comparison_total = Money(allow_null=True)
    result_opening = Money(help_text="Equity only: the result not yet booked to equity.")
    result_change = Money()
    result_closing = Money()
    result_comparison = Money(allow_null=True)

    class Meta:
        ref_name = "BalanceSheetSection"


class BalanceSheetSerializer(ComparisonFields):
    sections = BalanceSectionSerializer(many=True, help_text="Assets (debit positive), equity, liabilities.")
    equity_and_liabilities = Money()
    balanced = serializers.BooleanField()

    class Meta:
        ref_name = "BalanceSheet"


class VatBoxAccountSerializer(serializers.Serializer):
    account = AccountRefSerializer()
    amount = Money()

    class Meta:
        ref_name = "VatBoxAccount"


class VatBoxSerializer(serializers.Serializer):
    box = serializers.CharField(source="number", help_text="Box number of the Swedish VAT return, e.g. `05`.")
    label = serializers.CharField()
    amount = Money()
    accounts = VatBoxAccountSerializer(many=True, source="account_parts")

    class Meta:
        ref_name = "VatBox"


class VatReturnSerializer(RangeFields):
    boxes = VatBoxSerializer(many=True)
    output_vat = Money()
    input_vat = Money()
    payable = Money(help_text="Box 49: VAT to pay; negative: to get back.")

    class Meta:
        ref_name = "VatReturn"


class LedgerLineSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField(help_text="Voucher id.")
    reference = serializers.CharField(help_text="Series and number, e.g. `A12`.")
    date = serializers.DateField()
    text = serializers.CharField()
    debit = Money()
    credit = Money()
    balance = Money(help_text="Running balance, debit minus credit.")

    class Meta:
        ref_name = "GeneralLedgerLine"


class GeneralLedgerSerializer(RangeFields):
    account = AccountRefSerializer()
    opening = Money()
    debit_total = Money()
    credit_total = Money()
    closing = Money()
    lines = LedgerLineSerializer(many=True)
    page = serializers.IntegerField(source="page.number")
    pages = serializers.IntegerField(source="page.paginator.num_pages")
    count = serializers.IntegerField(source="page.paginator.count", help_text="Lines in the range.")

    class Meta:
        ref_name = "GeneralLedger"


def _filters(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    if not data.get("start") or not data.get("end"):
        default = selectors.default_range(user=request.user, legal_entity=data.get("legal_entity"))
        if default is None:
            raise exceptions.ValidationError({"start": [_("The company has no fiscal year yet.")]})
        data["start"] = data.get("start") or default.start
        data["end"] = data.get("end") or default.end
    return data


def _report_view(
    name: str,
    selector: Any,
    output: type[serializers.Serializer],
    summary: str,
    description: str,
) -> type[APIView]:
    class ReportApi(APIView):
        permission_classes = [IsAuthenticated, HasPerms]
        required_perms = {"read": [VIEW_REPORTS]}

        @extend_schema(
            operation_id=f"finance_reports_{name}",
            summary=summary,
            description=description,
            parameters=[ReportFilterSerializer],
            responses={200: output, **error_responses(400, *READ_ERRORS)},
        )
        def get(self, request: Request) -> Response:
            data = _filters(ReportFilterSerializer, request)
            report = selector(
                user=request.user,
                legal_entity=data.get("legal_entity"),
                start=data.get("start"),
                end=data.get("end"),
            )
            return Response(output(report).data)

    ReportApi.__name__ = ReportApi.__qualname__ = "".join(p.title() for p in name.split("_")) + "Api"
    return ReportApi


TrialBalanceApi = _report_view(
    "trial_balance",
    selectors.trial_balance,
    TrialBalanceSerializer,
    "Trial balance",
    "Per account: opening balance, debits, credits and closing balance of the range, from the "
    "per-period account balances (debit minus credit).",
)
IncomeStatementApi = _report_view(
    "income_statement",
    selectors.income_statement,
    IncomeStatementSerializer,
    "Income statement",
    "Income and expense accounts grouped by BAS class (by type for other charts), with the "
    "result and the same period last year.",
)
BalanceSheetApi = _report_view(
    "balance_sheet",
    selectors.balance_sheet,
    BalanceSheetSerializer,
    "Balance sheet",
    "Assets, equity (including the result not yet booked) and liabilities with opening balance, "
    "change and closing balance, and the closing balance one year earlier.",
)
VatReturnApi = _report_view(
    "vat_return",
    selectors.vat_return,
    VatReturnSerializer,
    "VAT return",
    "The Swedish VAT return (momsdeklaration) boxes of the range, each with the accounts it "
    "came from; `payable` is box 49.",
)


class GeneralLedgerApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW_REPORTS]}

    @extend_schema(
        operation_id="finance_reports_general_ledger",
        summary="General ledger of one account",
        description="The account's posted lines of the range with a running balance, 100 per page.",
        parameters=[GeneralLedgerFilterSerializer],
        responses={200: GeneralLedgerSerializer, **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        data = _filters(GeneralLedgerFilterSerializer, request)
        report = selectors.general_ledger(
            user=request.user,
            legal_entity=data.get("legal_entity"),
            account=data["account"],
            start=data.get("start"),
            end=data.get("end"),
            page=data["page"],
        )
        return Response(GeneralLedgerSerializer(report).data)


urlpatterns = [
    path("trial-balance/", TrialBalanceApi.as_view(), name="finance-report-trial-balance"),
    path("income-statement/", IncomeStatementApi.as_view(), name="finance-report-income-statement"),
    path("balance-sheet/", BalanceSheetApi.as_view(), name="finance-report-balance-sheet"),
    path("vat-return/", VatReturnApi.as_view(), name="finance-report-vat-return"),
    path("general-ledger/", GeneralLedgerApi.as_view(), name="finance-report-general-ledger"),
]
