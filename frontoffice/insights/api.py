"""``/api/v1/insights/``: the measure definitions, a person's scorecard, the "my people" dashboard."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.schema import READ_ERRORS, error_responses
from frontoffice.insights.measures import MEASURES
from frontoffice.insights.selectors import TEAM, can_view, dashboard, person_visible_or_404, scorecard


class MeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    target = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    desk = serializers.CharField()
    group = serializers.CharField()
    computed = serializers.SerializerMethodField()

    def get_computed(self, obj: Any) -> str:
        return "facts" if obj.from_facts else "live"


class TrendSerializer(serializers.Serializer):
    start = serializers.DateField()
    value = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class ScorecardRowSerializer(serializers.Serializer):
    key = serializers.CharField(source="measure.key")
    value = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    target = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    team_average = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    available = serializers.BooleanField()
    applicable = serializers.BooleanField()
    trend = serializers.SerializerMethodField()

    def get_trend(self, obj: Any) -> list[dict[str, Any]]:
        return TrendSerializer([{"start": s, "value": v} for s, v in obj.trend], many=True).data


class ScorecardSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    rows = ScorecardRowSerializer(many=True)


class DashboardRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)
    figures = serializers.DictField(
        child=serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    )


class DashboardSerializer(serializers.Serializer):
    grouping = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    desk = serializers.CharField(allow_null=True)
    rows = DashboardRowSerializer(many=True)


def _period(request: Request) -> str:
    period = request.query_params.get("period", "month")
    if period not in ("week", "month"):
        raise exceptions.ValidationError({"period": ["week or month"]})
    return period


def _check(request: Request, *, team: bool = False) -> None:
    if not can_view(request.user) or (team and not request.user.has_perm(TEAM)):
        raise exceptions.PermissionDenied


class MeasureListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="insights_measures_list",
        responses={200: MeasureSerializer(many=True), **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        _check(request)
        return Response(MeasureSerializer(MEASURES, many=True).data)


PERIOD = OpenApiParameter("period", str, enum=["week", "month"], required=False)


class ScorecardApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="insights_scorecard_read",
        parameters=[PERIOD],
        responses={200: ScorecardSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, user_id: int) -> Response:
        _check(request)
        person = person_visible_or_404(request.user, user_id)
        card = scorecard(viewer=request.user, person=person, period=_period(request))
        return Response(ScorecardSerializer(card).data)


class DashboardApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="insights_dashboard_read",
        parameters=[PERIOD],
        responses={200: DashboardSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        _check(request, team=True)
        board = dashboard(
            viewer=request.user, period=_period(request), desk=request.query_params.get("desk") or None
        )
        return Response(DashboardSerializer(board).data)


urlpatterns = [
    path("measures/", MeasureListApi.as_view(), name="insights-measures"),
    path("people/", DashboardApi.as_view(), name="insights-dashboard"),
    path("people/<int:user_id>/scorecard/", ScorecardApi.as_view(), name="insights-scorecard"),
]
