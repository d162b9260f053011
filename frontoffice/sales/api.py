"""``/api/v1/sales/``: opportunities (list, create, read, update), move, win, lose, forecast.

The views call the same selectors and services as the desk. Amounts travel as strings with
two decimals (``"1250.00"``). Out-of-scope opportunities answer 404; errors use the API's one
error shape with the service's ``code`` (``unknown_stage``, ``reason_required``, ``negative``...).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.sales import selectors, services
from frontoffice.sales.models import Opportunity

VIEW = "sales.view_opportunity"
CHANGE = "sales.change_opportunity"


def _run(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        drf_exc = django_validation_error_to_drf(exc)
        drf_exc.domain_code = _code(exc)  # type: ignore[attr-defined]
        raise drf_exc from None
    except DjangoPermissionDenied:
        raise exceptions.NotFound() from None


def _code(exc: DjangoValidationError) -> str:
    """The service's first code, field errors included."""
    if hasattr(exc, "error_dict"):
        for errors in exc.error_dict.values():
            for error in errors:
                if getattr(error, "code", None):
                    return error.code
    return getattr(exc, "code", None) or "invalid"


def _get(request: Request, pk: int) -> Opportunity:
    try:
        return selectors.opportunity_get(user=request.user, pk=pk)
    except Http404:
        raise exceptions.NotFound() from None


class OpportunitySerializer(serializers.ModelSerializer):
    party = serializers.IntegerField(source="party_id")
    party_name = serializers.CharField(source="party.display_name")
    owner = serializers.IntegerField(source="owner_id")
    region = serializers.IntegerField(source="region_id", allow_null=True)
    stage = serializers.IntegerField(source="stage_id")
    stage_name = serializers.CharField(source="stage.name")
    stage_kind = serializers.CharField(source="stage.kind")
    probability = serializers.IntegerField(source="stage.probability")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    weighted_amount = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)

    class Meta:
        model = Opportunity
        ref_name = "Opportunity"
        fields = [
            "id",
            "name",
            "party",
            "party_name",
            "owner",
            "region",
            "stage",
            "stage_name",
            "stage_kind",
            "probability",
            "amount",
            "weighted_amount",
            "currency",
            "opened_on",
            "expected_close_on",
            "closed_on",
            "win_reason",
            "loss_reason",
            "competitors",
            "source",
            "description",
            "created_at",
            "updated_at",
        ]


class ProductLineSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, default=1)
    amount = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "OpportunityProductInput"


class OpportunityInputSerializer(serializers.Serializer):
    party = serializers.IntegerField()
    name = serializers.CharField(max_length=200)
    amount = serializers.CharField(max_length=20, help_text="e.g. `12500.00`; not negative.")
    expected_close_on = serializers.DateField()
    owner = serializers.IntegerField(required=False, help_text="Default: you.")
    stage = serializers.IntegerField(required=False, help_text="An open stage; default: the first one.")
    source = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    competitors = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    products = ProductLineSerializer(many=True, required=False, max_length=200)

    class Meta:
        ref_name = "OpportunityInput"


class OpportunityUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    amount = serializers.CharField(max_length=20, required=False)
    expected_close_on = serializers.DateField(required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=100)
    competitors = serializers.CharField(required=False, allow_blank=True, max_length=500)
    description = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        ref_name = "OpportunityUpdate"


class MoveSerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    class Meta:
        ref_name = "OpportunityMove"


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True)

    class Meta:
        ref_name = "OpportunityReason"


class FilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100)
    owner = serializers.IntegerField(required=False)
    region = serializers.IntegerField(required=False)
    stage = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=selectors.STATUSES, required=False)
    party = serializers.IntegerField(required=False)
    close_from = serializers.DateField(required=False)
    close_to = serializers.DateField(required=False)

    class Meta:
        ref_name = "OpportunityFilter"


class OpportunityListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW], "POST": ["sales.add_opportunity"]}

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OpportunitySerializer(many=True),
        operation_id="sales_opportunity_list",
    )
    def get(self, request: Request) -> Response:
        filters = FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.opportunity_list(user=request.user, **filters.validated_data)
        return paginated_response(
            queryset=qs, serializer_class=OpportunitySerializer, request=request, view=self
        )

    @extend_schema(
        request=OpportunityInputSerializer,
        responses={201: OpportunitySerializer},
        operation_id="sales_opportunity_create",
    )
    def post(self, request: Request) -> Response:
        data = OpportunityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        products = [(p["product"], p["quantity"], p.get("amount") or None) for p in v.pop("products", [])]
        opp = _run(services.opportunity_create, actor=request.user, products=products, **v)
        return Response(
            OpportunitySerializer(selectors.opportunity_get(user=request.user, pk=opp.pk)).data, status=201
        )


class OpportunityDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW], "PATCH": [CHANGE]}

    @extend_schema(responses=OpportunitySerializer, operation_id="sales_opportunity_read")
    def get(self, request: Request, id: int) -> Response:
        return Response(OpportunitySerializer(_get(request, id)).data)

    @extend_schema(
        request=OpportunityUpdateSerializer,
        responses=OpportunitySerializer,
        operation_id="sales_opportunity_update",
    )
    def patch(self, request: Request, id: int) -> Response:
        opp = _get(request, id)
        data = OpportunityUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        _run(services.opportunity_update, actor=request.user, opportunity=opp, **data.validated_data)
        return Response(OpportunitySerializer(_get(request, id)).data)


class OpportunityMoveApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [CHANGE]}

    @extend_schema(
        request=MoveSerializer, responses=OpportunitySerializer, operation_id="sales_opportunity_move"
    )
    def post(self, request: Request, id: int) -> Response:
        opp = _get(request, id)
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _run(services.opportunity_move, actor=request.user, opportunity=opp, **data.validated_data)
        return Response(OpportunitySerializer(_get(request, id)).data)


class _CloseApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [CHANGE]}
    outcome = "win"

    def post(self, request: Request, id: int) -> Response:
        opp = _get(request, id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fn = services.opportunity_win if self.outcome == "win" else services.opportunity_lose
        _run(fn, actor=request.user, opportunity=opp, reason=data.validated_data["reason"])
        return Response(OpportunitySerializer(_get(request, id)).data)


class OpportunityWinApi(_CloseApi):
    outcome = "win"

    @extend_schema(
        request=ReasonSerializer, responses=OpportunitySerializer, operation_id="sales_opportunity_win"
    )
    def post(self, request: Request, id: int) -> Response:
        return super().post(request, id)


class OpportunityLoseApi(_CloseApi):
    outcome = "lose"

    @extend_schema(
        request=ReasonSerializer, responses=OpportunitySerializer, operation_id="sales_opportunity_lose"
    )
    def post(self, request: Request, id: int) -> Response:
        return super().post(request, id)


class ForecastQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First month (any day of it); default this month."
    )
    months = serializers.IntegerField(required=False, min_value=1, max_value=24, default=6)
    owner = serializers.IntegerField(required=False)
    region = serializers.IntegerField(required=False)

    class Meta:
        ref_name = "ForecastQuery"


class ForecastApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["sales.view_forecast"]}

    @extend_schema(parameters=[ForecastQuerySerializer], responses=dict, operation_id="sales_forecast")
    def get(self, request: Request) -> Response:
        q = ForecastQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        v = q.validated_data
        start = (v.get("start") or timezone.localdate()).replace(day=1)
        fc = selectors.forecast(
            user=request.user, start=start, months=v["months"], owner=v.get("owner"), region=v.get("region")
        )

        def row(r: Any, key: str | None) -> dict[str, Any]:
            out: dict[str, Any] = {
                "months": {m.isoformat(): f"{r.months[m]:.2f}" for m in fc.months},
                "total": f"{r.total:.2f}",
                "count": r.count,
            }
            if key:
                out[key] = r.key
                out["name"] = r.label
            return out

        return Response(
            {
                "months": [m.isoformat() for m in fc.months],
                "company": row(fc.company, None),
                "won": {m.isoformat(): f"{fc.won[m]:.2f}" for m in fc.months},
                "reps": [row(r, "owner") for r in fc.reps],
                "regions": [row(r, "region") for r in fc.regions],
            }
        )


urlpatterns = [
    path("opportunities/", OpportunityListCreateApi.as_view(), name="sales-opportunity-list"),
    path("opportunities/<int:id>/", OpportunityDetailApi.as_view(), name="sales-opportunity-detail"),
    path("opportunities/<int:id>/move/", OpportunityMoveApi.as_view(), name="sales-opportunity-move"),
    path("opportunities/<int:id>/win/", OpportunityWinApi.as_view(), name="sales-opportunity-win"),
    path("opportunities/<int:id>/lose/", OpportunityLoseApi.as_view(), name="sales-opportunity-lose"),
    path("forecast/", ForecastApi.as_view(), name="sales-forecast"),
]
