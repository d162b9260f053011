"""``/api/v1/surveys/opt-outs/`` and ``/api/v1/surveys/parties/<id>/opt-out/``: the customers
who opted out of surveys, and one customer's opt-out (read, record, withdraw).

Same selectors and service as the pages: reading needs ``parties.view_party``, changing
``parties.change_party``; a customer outside the caller's scope is 404; an erased or merged
customer's opt-out is refused with ``locked``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import RefSerializer
from frontoffice.core.scoping import get_visible_or_404
from frontoffice.surveys.models import SurveyOptOut
from frontoffice.surveys.selectors_optout import survey_opt_out_for, survey_opt_out_list
from frontoffice.surveys.services.optout import survey_opt_out_set


class SurveyOptOutOutputSerializer(serializers.ModelSerializer):
    party = RefSerializer()
    recorded_by = serializers.IntegerField(source="recorded_by_id", allow_null=True)
    opted_out_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = SurveyOptOut
        ref_name = "SurveyOptOut"
        fields = ["party", "via", "opted_out_at", "recorded_by"]
        read_only_fields = fields


class PartyOptOutSerializer(serializers.Serializer):
    """One customer's state: ``opted_out`` and, when true, how, when and by whom."""

    party = RefSerializer(read_only=True)
    opted_out = serializers.BooleanField()
    via = serializers.ChoiceField(choices=SurveyOptOut.Via.choices, read_only=True, allow_null=True)
    opted_out_at = serializers.DateTimeField(read_only=True, allow_null=True)
    recorded_by = serializers.IntegerField(read_only=True, allow_null=True, help_text="User id.")

    class Meta:
        ref_name = "PartySurveyOptOut"


class SurveyOptOutFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100, help_text="Customer name, e-mail, phone, city.")

    class Meta:
        ref_name = "SurveyOptOutFilter"


def _state(party: Any, opt_out: SurveyOptOut | None) -> dict[str, Any]:
    return {
        "party": party,
        "opted_out": opt_out is not None,
        "via": opt_out.via if opt_out else None,
        "opted_out_at": opt_out.created_at if opt_out else None,
        "recorded_by": opt_out.recorded_by_id if opt_out else None,
    }


class SurveyOptOutListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": ["parties.view_party"]}

    @extend_schema(
        operation_id="surveys_opt_outs_list",
        summary="List the customers who opted out of surveys",
        description="Opt-outs of the customers in your scope, newest first.",
        parameters=[SurveyOptOutFilterSerializer],
        responses={200: SurveyOptOutOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        serializer = SurveyOptOutFilterSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        qs = survey_opt_out_list(user=request.user, q=serializer.validated_data.get("q", "").strip())
        return paginated_response(
            queryset=qs, serializer_class=SurveyOptOutOutputSerializer, request=request, view=self
        )


class PartyOptOutApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["parties.view_party"], "PUT": ["parties.view_party", "parties.change_party"]}

    def _party(self, request: Request, party_id: int) -> Any:
        from frontoffice.parties.models import Party

        return get_visible_or_404(Party.objects.all(), request.user, pk=party_id)

    @extend_schema(
        operation_id="surveys_party_opt_out_read",
        summary="Whether a customer opted out of surveys",
        responses={200: PartyOptOutSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, party_id: int) -> Response:
        party = self._party(request, party_id)
        return Response(PartyOptOutSerializer(_state(party, survey_opt_out_for(party=party))).data)

    @extend_schema(
        operation_id="surveys_party_opt_out_set",
        summary="Record or withdraw a customer's survey opt-out",
        request=PartyOptOutSerializer,
        responses={200: PartyOptOutSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def put(self, request: Request, party_id: int) -> Response:
        party = self._party(request, party_id)
        serializer = PartyOptOutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            opt_out = survey_opt_out_set(
                actor=request.user, party=party, opted_out=serializer.validated_data["opted_out"]
            )
        except DjangoValidationError as exc:
            raise django_validation_error_to_drf(exc) from exc
        return Response(PartyOptOutSerializer(_state(party, opt_out)).data)


urlpatterns = [
    path("opt-outs/", SurveyOptOutListApi.as_view(), name="surveys-opt-outs"),
    path("parties/<int:party_id>/opt-out/", PartyOptOutApi.as_view(), name="surveys-party-opt-out"),
]
