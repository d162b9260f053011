"""``/api/v1/surveys/``: survey requests and their summary, complaints (list, create, read,
update, resolve), survey settings of the caller's legal entity.

The views call the same selectors and services as the pages; out-of-scope ids are 404, a
missing permission is 403; errors use the one API error shape with the service's ``code``
(``invalid_owner``, ``resolved``, ``reminder_after_expiry``, ...). Tokens never leave the server.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField, RefSerializer
from frontoffice.core.scoping import get_visible_or_404, user_scope
from frontoffice.surveys import selectors, services
from frontoffice.surveys.models import Complaint, SurveyKind, SurveyRequest


def _service_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """The service's error in the one shape, with the code of its first field error too."""
    drf_exc = django_validation_error_to_drf(exc)
    if getattr(drf_exc, "domain_code", None) is None:
        codes = [e.code for errors in getattr(exc, "error_dict", {}).values() for e in errors if e.code]
        drf_exc.domain_code = codes[0] if codes else None  # type: ignore[attr-defined]
    return drf_exc


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SurveyRequestOutputSerializer(serializers.ModelSerializer):
    party = RefSerializer()
    staff_user = serializers.IntegerField(source="staff_user_id", allow_null=True)
    team = serializers.IntegerField(source="team_id", allow_null=True)
    location = serializers.IntegerField(source="location_id", allow_null=True)
    region = serializers.IntegerField(source="region_id", allow_null=True)
    status = serializers.CharField()

    class Meta:
        model = SurveyRequest
        ref_name = "SurveyRequest"
        fields = [
            "id",
            "kind",
            "trigger",
            "party",
            "staff_user",
            "team",
            "location",
            "region",
            "status",
            "sent_at",
            "expires_at",
            "reminded_at",
            "answered_at",
            "score",
            "comment",
        ]
        read_only_fields = fields


class SurveyRequestFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SurveyKind.choices, required=False)
    status = serializers.ChoiceField(
        choices=[("sent", "sent"), ("answered", "answered"), ("expired", "expired")], required=False
    )
    trigger = serializers.CharField(required=False, max_length=60)

    class Meta:
        ref_name = "SurveyRequestFilter"


class SurveySummarySerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    answered = serializers.IntegerField()
    response_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    csat_answers = serializers.IntegerField()
    csat_mean = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    csat_satisfied = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    nps_answers = serializers.IntegerField()
    nps = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)

    class Meta:
        ref_name = "SurveySummary"


class SurveySettingsSerializer(serializers.Serializer):
    legal_entity = serializers.IntegerField(read_only=True, source="legal_entity_id")
    triggers = serializers.DictField(
        child=serializers.ChoiceField(choices=SurveyKind.choices),
        help_text="Touchpoint kind (e.g. reception.visit_completed) -> csat or nps.",
    )
    fatigue_days = serializers.IntegerField(min_value=0, max_value=365)
    link_days = serializers.IntegerField(min_value=1, max_value=90)
    reminder_days = serializers.IntegerField(min_value=1, max_value=89)

    class Meta:
        ref_name = "SurveySettings"


class ComplaintOutputSerializer(serializers.ModelSerializer):
    party = RefSerializer(allow_null=True)
    location = RefSerializer(allow_null=True)
    region = RefSerializer(allow_null=True)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    survey_request = serializers.IntegerField(source="survey_request_id", allow_null=True)
    about = serializers.CharField(
        source="about_key",
        help_text='The record it is about, "app_label.model:pk" (e.g. "reception.visit:12"), or "".',
    )
    about_label = serializers.CharField(help_text="The record's name when the complaint was registered.")

    class Meta:
        model = Complaint
        ref_name = "SurveysComplaint"
        fields = [
            "id",
            "desk",
            "channel",
            "subject",
            "description",
            "party",
            "location",
            "region",
            "survey_request",
            "about",
            "about_label",
            "owner",
            "deadline",
            "status",
            "resolution",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class ComplaintInputSerializer(serializers.Serializer):
    desk = serializers.ChoiceField(choices=Complaint.Desk.choices)
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices, default=Complaint.Channel.PHONE)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000)
    party = IdField(required=False, allow_null=True)
    location = IdField(required=False, allow_null=True)
    survey_request = IdField(required=False, allow_null=True)
    about = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text='The record it is about, "app_label.model:pk" (e.g. "reception.visit:12"); its '
        "location and customer fill in those left out.",
    )
    owner = IdField(required=False, allow_null=True, help_text="User id.")
    deadline = serializers.DateField(required=False, allow_null=True)

    class Meta:
        ref_name = "SurveysComplaintInput"


class ComplaintUpdateSerializer(serializers.Serializer):
    owner = IdField(required=False, allow_null=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=[("open", "open"), ("in_progress", "in_progress")], required=False
    )
    resolution = serializers.CharField(
        required=False, max_length=5000, help_text="Given: resolves the complaint with this resolution."
    )

    class Meta:
        ref_name = "SurveysComplaintUpdate"


class ComplaintFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("unresolved", "unresolved"), *Complaint.Status.choices], required=False
    )
    desk = serializers.ChoiceField(choices=Complaint.Desk.choices, required=False)
    location = IdField(required=False, source="location_id")
    overdue = serializers.BooleanField(required=False, default=False)
    q = serializers.CharField(required=False, max_length=100)

    class Meta:
        ref_name = "SurveysComplaintFilter"


def _user(pk: int | None) -> Any:
    from frontoffice.org.models import User

    if pk is None:
        return None
    found = User.objects.filter(pk=pk).first()
    if found is None:
        raise exceptions.ValidationError({"owner": ["Unknown user."]})
    return found


# ---------------------------------------------------------------- views


class SurveyRequestListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": ["surveys.view_surveyrequest"]}

    @extend_schema(
        operation_id="surveys_requests_list",
        summary="List survey requests",
        description="Survey requests sent and answered in your scope, newest first.",
        parameters=[SurveyRequestFilterSerializer],
        responses={200: SurveyRequestOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        data = _parse(SurveyRequestFilterSerializer, request.query_params, request)
        qs = selectors.survey_request_list(user=request.user, **data)
        return paginated_response(
            queryset=qs, serializer_class=SurveyRequestOutputSerializer, request=request, view=self
        )


class SurveySummaryApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["surveys.view_surveyrequest"]}

    @extend_schema(
        operation_id="surveys_summary",
        summary="Response rate, CSAT and NPS",
        parameters=[SurveyRequestFilterSerializer],
        responses={200: SurveySummarySerializer, **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        data = _parse(SurveyRequestFilterSerializer, request.query_params, request)
        summary = selectors.survey_summary(selectors.survey_request_list(user=request.user, **data))
        return Response(SurveySummarySerializer(summary).data)


class SurveySettingsApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["surveys.manage_surveys"], "PUT": ["surveys.manage_surveys"]}

    @extend_schema(
        operation_id="surveys_settings_read",
        summary="Survey settings of your legal entity",
        responses={200: SurveySettingsSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        entity_id = user_scope(request.user).legal_entity_id
        return Response(SurveySettingsSerializer(services.survey_settings_for(entity_id)).data)

    @extend_schema(
        operation_id="surveys_settings_update",
        summary="Change the survey settings of your legal entity",
        request=SurveySettingsSerializer,
        responses={200: SurveySettingsSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def put(self, request: Request) -> Response:
        from frontoffice.org.models import LegalEntity

        data = _parse(SurveySettingsSerializer, request.data, request)
        entity = LegalEntity.objects.filter(pk=user_scope(request.user).legal_entity_id).first()
        if entity is None:
            raise exceptions.PermissionDenied
        try:
            row = services.survey_settings_update(actor=request.user, legal_entity=entity, **data)
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(SurveySettingsSerializer(row).data)


class ComplaintListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {
        "read": ["surveys.view_complaint"],
        "POST": ["surveys.view_complaint", "surveys.add_complaint"],
    }

    @extend_schema(
        operation_id="surveys_complaints_list",
        summary="List complaints of every desk",
        parameters=[ComplaintFilterSerializer],
        responses={200: ComplaintOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        data = _parse(ComplaintFilterSerializer, request.query_params, request)
        qs = selectors.complaint_list(user=request.user, **data)
        return paginated_response(
            queryset=qs, serializer_class=ComplaintOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="surveys_complaints_create",
        summary="Register a complaint",
        request=ComplaintInputSerializer,
        responses={201: ComplaintOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        from frontoffice.org.models import Location
        from frontoffice.parties.models import Party

        data = _parse(ComplaintInputSerializer, request.data, request)
        party = (
            get_visible_or_404(Party.objects.all(), request.user, pk=data["party"])
            if data.get("party")
            else None
        )
        location = (
            get_visible_or_404(Location.objects.all(), request.user, pk=data["location"])
            if data.get("location")
            else None
        )
        answer = (
            get_visible_or_404(SurveyRequest.objects.all(), request.user, pk=data["survey_request"])
            if data.get("survey_request")
            else None
        )
        about = None
        if data.get("about"):
            about = selectors.complaint_about_record(user=request.user, key=data["about"])
            if about is None:
                raise exceptions.ValidationError({"about": ["Choose a record you can see."]})
        try:
            complaint = services.complaint_create(
                actor=request.user,
                desk=data["desk"],
                channel=data["channel"],
                subject=data["subject"],
                description=data["description"],
                party=party,
                location=location,
                survey_request=answer,
                about=about,
                owner=_user(data.get("owner")),
                deadline=data.get("deadline"),
            )
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        fresh = selectors.complaint_get(user=request.user, pk=complaint.pk)
        return Response(ComplaintOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


class ComplaintDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {
        "read": ["surveys.view_complaint"],
        "PATCH": ["surveys.view_complaint", "surveys.change_complaint"],
    }

    @extend_schema(
        operation_id="surveys_complaints_read",
        summary="Read a complaint",
        responses={200: ComplaintOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ComplaintOutputSerializer(selectors.complaint_get(user=request.user, pk=pk)).data)

    @extend_schema(
        operation_id="surveys_complaints_update",
        summary="Assign, set the deadline or resolve a complaint",
        request=ComplaintUpdateSerializer,
        responses={200: ComplaintOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = _parse(ComplaintUpdateSerializer, request.data, request)
        complaint = selectors.complaint_get(user=request.user, pk=pk)
        resolution = data.pop("resolution", None)
        if "owner" in data:
            data["owner"] = _user(data["owner"])
        try:
            if data:
                complaint = services.complaint_update(actor=request.user, complaint=complaint, **data)
            if resolution is not None:
                services.complaint_resolve(actor=request.user, complaint=complaint, resolution=resolution)
        except DjangoValidationError as exc:
            raise _service_error(exc) from exc
        return Response(ComplaintOutputSerializer(selectors.complaint_get(user=request.user, pk=pk)).data)


urlpatterns = [
    path("requests/", SurveyRequestListApi.as_view(), name="surveys-requests"),
    path("summary/", SurveySummaryApi.as_view(), name="surveys-summary"),
    path("settings/", SurveySettingsApi.as_view(), name="surveys-settings"),
    path("complaints/", ComplaintListCreateApi.as_view(), name="surveys-complaints"),
    path("complaints/<int:pk>/", ComplaintDetailApi.as_view(), name="surveys-complaint-detail"),
]
