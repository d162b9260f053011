"""``/api/v1/finance/accounts/``: the chart of accounts, read only and scoped by legal entity."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, error_responses
from frontoffice.api.serializers import IdField
from frontoffice.finance.models import AccountType, LedgerAccount
from frontoffice.finance.selectors.vouchers import account_get, account_list

VIEW_ACCOUNT = "finance.view_ledgeraccount"
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Ledger account id.")


class AccountOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id", read_only=True)
    name = serializers.CharField(read_only=True, help_text="In the request's language (Swedish or English).")

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
        ]
        read_only_fields = fields


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
    required_perms = {"read": [VIEW_ACCOUNT]}

    @extend_schema(
        operation_id="finance_accounts_retrieve",
        summary="Get one ledger account",
        parameters=[ID_PATH_PARAM],
        responses={200: AccountOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(AccountOutputSerializer(account_get(user=request.user, pk=id)).data)


urlpatterns = [
    path("accounts/", AccountListApi.as_view(), name="finance-account-list"),
    path("accounts/<int:id>/", AccountDetailApi.as_view(), name="finance-account-detail"),
]
