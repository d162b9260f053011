"""``/api/v1/finance/accounts/``: the chart of accounts, scoped by legal entity.

Read with ``finance.view_ledgeraccount``. The one change made here is the account's
``manual_voucher_restricted`` flag (``PATCH``), which needs ``finance.manage_ledger`` like the
account form of the chart page; everything else about an account changes on that page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField
from frontoffice.finance.models import AccountType, LedgerAccount
from frontoffice.finance.selectors.vouchers import account_get, account_list
from frontoffice.finance.services.chart import account_update

VIEW_ACCOUNT = "finance.view_ledgeraccount"
MANAGE_LEDGER = "finance.manage_ledger"
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Ledger account id.")


class AccountOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id", read_only=True)
    name = serializers.CharField(read_only=True, help_text="In the request's language (Swedish or English).")
    manual_voucher_restricted = serializers.BooleanField(
        read_only=True,
        help_text="Manual vouchers with a line on this account need a valid certificate of the course "
        "the administrator requires for `finance.manual_voucher` (no requirement: no check). Set by "
        "holders of `finance.manage_ledger` (the account form, or `PATCH` here).",
    )

    class Meta:
        model = LedgerAccount
        ref_name = "LedgerAccount"
        fields = [
            "id",
            "legal_entity",
            "number",
            "name",
            "name_sv",
            "name_en",
            "type",
            "control",
            "active",
            "default_vat_code",
            "required_dimension",
            "manual_voucher_restricted",
        ]
        read_only_fields = fields


class AccountUpdateInputSerializer(serializers.Serializer):
    manual_voucher_restricted = serializers.BooleanField(
        required=False, help_text="Restrict (true) or open (false) the account for manual vouchers."
    )

    class Meta:
        ref_name = "LedgerAccountUpdateInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [gettext("This field cannot be changed here.")] for name in unknown}
            )
        return attrs


class AccountFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False, help_text="Legal entity id (organisation-wide users).")
    type = serializers.ChoiceField(choices=AccountType.choices, required=False)
    # A ChoiceField, not a BooleanField: a missing boolean query parameter would read as false.
    active = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="`true` or `false`; both when absent."
    )
    q = serializers.CharField(required=False, max_length=100, help_text="Number prefix or part of a name.")

    class Meta:
        ref_name = "LedgerAccountFilter"


def _filters(request: Request) -> dict[str, Any]:
    serializer = AccountFilterSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return {
        "legal_entity": data.get("legal_entity"),
        "type": data.get("type", ""),
        "active": None if "active" not in data else data["active"] == "true",
        "query": data.get("q", ""),
    }


class AccountListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW_ACCOUNT]}

    @extend_schema(
        operation_id="finance_accounts_list",
        summary="List ledger accounts",
        description="The chart of accounts of your legal entity (every visible one for "
        "organisation-wide users), by number.",
        parameters=[AccountFilterSerializer],
        responses={200: AccountOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        qs = account_list(user=request.user, **_filters(request))
        return paginated_response(
            queryset=qs, serializer_class=AccountOutputSerializer, request=request, view=self
        )


class AccountDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW_ACCOUNT], "PATCH": [VIEW_ACCOUNT, MANAGE_LEDGER]}

    @extend_schema(
        operation_id="finance_accounts_retrieve",
        summary="Get one ledger account",
        parameters=[ID_PATH_PARAM],
        responses={200: AccountOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(AccountOutputSerializer(account_get(user=request.user, pk=id)).data)

    @extend_schema(
        operation_id="finance_accounts_partial_update",
        summary="Restrict a ledger account for manual vouchers",
        description="Sets `manual_voucher_restricted` (the only field that changes here; any other "
        "field is refused with 400). Needs `finance.manage_ledger`, as on the account form; an "
        "account of another legal entity is 404. The change is audited "
        "(`finance.account.updated`).",
        parameters=[ID_PATH_PARAM],
        request=AccountUpdateInputSerializer,
        responses={200: AccountOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def patch(self, request: Request, id: int) -> Response:
        account = account_get(user=request.user, pk=id)
        serializer = AccountUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            account = account_update(actor=request.user, account=account, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from exc
        return Response(AccountOutputSerializer(account_get(user=request.user, pk=account.pk)).data)


urlpatterns = [
    path("accounts/", AccountListApi.as_view(), name="finance-account-list"),
    path("accounts/<int:id>/", AccountDetailApi.as_view(), name="finance-account-detail"),
]
