"""``/api/v1/activities/``: activities (list, create, read, complete), meetings (list, book,
read, change, cancel, record the outcome) and the caller's personal calendar feed URL.

The views call the same selectors and services as the pages; errors use the one API error
shape with the service's code (``conflict``, ``not_planned``, ``party_not_visible``, ...).
Times are ISO 8601; a time without an offset is read in the meeting's time zone.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.activities import selectors
from frontoffice.activities.models import Activity, Meeting
from frontoffice.activities.services import activities as activity_services
from frontoffice.activities.services import links, meetings
from frontoffice.api.errors import django_validation_error_to_drf
from frontoffice.api.pagination import paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses
from frontoffice.api.serializers import IdField, RefSerializer, ScopedPrimaryKeyRelatedField
from frontoffice.core.scoping import get_visible_or_404
from frontoffice.org.models import Location, User
from frontoffice.parties.models import Party

ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH)


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _first_code(exc: DjangoValidationError) -> str:
    for error in (
        exc.error_list
        if not hasattr(exc, "error_dict")
        else [e for es in exc.error_dict.values() for e in es]
    ):
        if getattr(error, "code", None):
            return error.code
    return getattr(exc, "code", None) or "invalid"


def _service(fn: Any, **kwargs: Any) -> Any:
    """Call a service; its ValidationError becomes the API error with the service's first code
    (also for field errors, e.g. ``conflict`` on ``starts_at``)."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        drf_exc = django_validation_error_to_drf(exc)
        drf_exc.domain_code = _first_code(exc)  # type: ignore[attr-defined]
        raise drf_exc from exc


def _optional(request: Request, label: str, pk: Any) -> Any:
    if pk in (None, ""):
        return None
    return get_visible_or_404(apps.get_model(label).objects.all(), request.user, pk=pk)


# ---------------------------------------------------------------- serializers


class ActivityFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=selectors.ACTIVITY_STATUSES, required=False, default="open")
    owner = serializers.CharField(required=False, max_length=20, help_text="`me` or a user id.")
    party = IdField(required=False)
    q = serializers.CharField(
        required=False, max_length=100, help_text="Words of the subject, the notes or the customer's name."
    )
    due_from = serializers.DateField(required=False)
    due_to = serializers.DateField(required=False)
    date_from = serializers.DateField(
        required=False, help_text="The activity's date (done, else due) on or after this day."
    )
    date_to = serializers.DateField(
        required=False, help_text="The activity's date (done, else due) on or before this day."
    )

    class Meta:
        ref_name = "ActivityFilter"


class ActivityInputSerializer(serializers.Serializer):
    party = ScopedPrimaryKeyRelatedField(queryset=Party.objects.all())
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    direction = serializers.ChoiceField(choices=Activity.Direction.choices, default="outbound")
    subject = serializers.CharField(max_length=200)
    done = serializers.BooleanField(default=False, help_text="Log it as done now (records an interaction).")
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    duration_minutes = serializers.IntegerField(required=False, min_value=0, max_value=1440, default=0)
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    next_step_on = serializers.DateField(required=False, allow_null=True)
    owner = IdField(required=False, help_text="Default: you. Managers may plan work for their reps.")
    lead = IdField(required=False, allow_null=True)
    opportunity = IdField(required=False, allow_null=True)

    class Meta:
        ref_name = "ActivityInput"


class CompleteInputSerializer(serializers.Serializer):
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    next_step_on = serializers.DateField(required=False, allow_null=True)

    class Meta:
        ref_name = "ActivityCompleteInput"


class ActivityOutputSerializer(serializers.ModelSerializer):
    party = RefSerializer()
    owner = RefSerializer()
    interaction = serializers.IntegerField(source="interaction_id", allow_null=True)
    lead = serializers.IntegerField(source="lead_id", allow_null=True)
    opportunity = serializers.IntegerField(source="opportunity_id", allow_null=True)
    meeting = serializers.IntegerField(source="meeting_id", allow_null=True)

    class Meta:
        model = Activity
        ref_name = "Activity"
        fields = [
            "id",
            "kind",
            "direction",
            "subject",
            "party",
            "owner",
            "due_at",
            "duration_minutes",
            "done_at",
            "outcome",
            "notes",
            "next_step",
            "next_step_on",
            "interaction",
            "lead",
            "opportunity",
            "meeting",
            "created_at",
        ]
        read_only_fields = fields


class MeetingFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Meeting.Status.choices, required=False)
    organiser = serializers.CharField(required=False, max_length=20, help_text="`me` or a user id.")
    party = IdField(required=False)
    starts_from = serializers.DateTimeField(required=False)
    starts_before = serializers.DateTimeField(required=False)
    q = serializers.CharField(required=False, max_length=100)

    class Meta:
        ref_name = "MeetingFilter"


class MeetingInputSerializer(serializers.Serializer):
    party = ScopedPrimaryKeyRelatedField(queryset=Party.objects.all())
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField(max_length=64, default="Europe/Stockholm")
    office = IdField(required=False, allow_null=True)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    attendees = serializers.ListField(child=IdField(), required=False, default=list, max_length=50)
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    lead = IdField(required=False, allow_null=True)
    opportunity = IdField(required=False, allow_null=True)

    class Meta:
        ref_name = "MeetingInput"


class MeetingUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    office = IdField(required=False, allow_null=True)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    attendees = serializers.ListField(child=IdField(), required=False, max_length=50)
    agenda = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        ref_name = "MeetingUpdate"


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    class Meta:
        ref_name = "MeetingCancelInput"


class OutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    notes = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    next_step_on = serializers.DateField(required=False, allow_null=True)

    class Meta:
        ref_name = "MeetingOutcomeInput"


class MeetingOutputSerializer(serializers.ModelSerializer):
    party = RefSerializer()
    organiser = RefSerializer()
    office = RefSerializer(allow_null=True)
    attendees = serializers.SerializerMethodField()
    lead = serializers.IntegerField(source="lead_id", allow_null=True)
    opportunity = serializers.IntegerField(source="opportunity_id", allow_null=True)

    class Meta:
        model = Meeting
        ref_name = "Meeting"
        fields = [
            "id",
            "uid",
            "sequence",
            "title",
            "status",
            "party",
            "organiser",
            "attendees",
            "office",
            "place",
            "starts_at",
            "ends_at",
            "time_zone",
            "agenda",
            "notes",
            "outcome",
            "next_step",
            "next_step_on",
            "lead",
            "opportunity",
            "held_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_attendees(self, meeting: Meeting) -> list[int]:
        return sorted(u.pk for u in meeting.attendees.all())


class FeedOutputSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Shown once; subscribe to it in a calendar app.")

    class Meta:
        ref_name = "CalendarFeed"


def _attendees(ids: list[int]) -> list[User]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise serializers.ValidationError({"attendees": [f"Unknown user {missing[0]}."]})
    return [found[i] for i in ids]


def _office(pk: Any) -> Location | None:
    if pk in (None, ""):
        return None
    office = Location.objects.filter(pk=pk).first()
    if office is None:
        raise serializers.ValidationError({"office": ["Unknown office."]})
    return office


# ---------------------------------------------------------------- views


class ActivityListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["activities.view_activity"], "POST": ["activities.add_activity"]}

    @extend_schema(
        operation_id="activities_list",
        summary="List activities",
        parameters=[ActivityFilterSerializer],
        responses={200: ActivityOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(ActivityFilterSerializer, request.query_params, request)
        return paginated_response(
            queryset=selectors.activity_list(user=request.user, **filters),
            serializer_class=ActivityOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="activities_create",
        summary="Plan or log an activity",
        request=ActivityInputSerializer,
        responses={201: ActivityOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(ActivityInputSerializer, request.data, request)
        owner_id = data.pop("owner", None)
        owner = User.objects.filter(pk=owner_id).first() if owner_id else None
        if owner_id and owner is None:
            raise serializers.ValidationError({"owner": ["Unknown user."]})
        data["lead"] = _optional(request, "leads.Lead", data.pop("lead", None))
        data["opportunity"] = _optional(request, "sales.Opportunity", data.pop("opportunity", None))
        activity = _service(activity_services.activity_create, actor=request.user, owner=owner, **data)
        fresh = selectors.activity_get(user=request.user, pk=activity.pk)
        return Response(ActivityOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


class ActivityDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["activities.view_activity"]}

    @extend_schema(
        operation_id="activities_read",
        summary="Read an activity",
        parameters=[ID_PATH_PARAM],
        responses={200: ActivityOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ActivityOutputSerializer(selectors.activity_get(user=request.user, pk=pk)).data)


class ActivityCompleteApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["activities.change_activity"]}

    @extend_schema(
        operation_id="activities_complete",
        summary="Mark an activity done",
        parameters=[ID_PATH_PARAM],
        request=CompleteInputSerializer,
        responses={200: ActivityOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        activity = selectors.activity_get(user=request.user, pk=pk)
        data = _parse(CompleteInputSerializer, request.data, request)
        _service(activity_services.activity_complete, actor=request.user, activity=activity, **data)
        return Response(ActivityOutputSerializer(selectors.activity_get(user=request.user, pk=pk)).data)


class MeetingListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["activities.view_meeting"], "POST": ["activities.add_meeting"]}

    @extend_schema(
        operation_id="activities_meetings_list",
        summary="List meetings",
        parameters=[MeetingFilterSerializer],
        responses={200: MeetingOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(MeetingFilterSerializer, request.query_params, request)
        qs = selectors.meeting_list(user=request.user, **filters).prefetch_related("attendees")
        return paginated_response(
            queryset=qs, serializer_class=MeetingOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="activities_meetings_create",
        summary="Book a meeting",
        description="Refused with code `conflict` (on `starts_at`) when it overlaps another meeting "
        "of the organiser or an attendee. Sends the iCalendar invitation.",
        request=MeetingInputSerializer,
        responses={201: MeetingOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(MeetingInputSerializer, request.data, request)
        data["attendees"] = _attendees(data.get("attendees") or [])
        data["office"] = _office(data.get("office"))
        data["lead"] = _optional(request, "leads.Lead", data.pop("lead", None))
        data["opportunity"] = _optional(request, "sales.Opportunity", data.pop("opportunity", None))
        meeting = _service(meetings.meeting_schedule, actor=request.user, **data)
        fresh = selectors.meeting_get(user=request.user, pk=meeting.pk)
        return Response(MeetingOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


class MeetingDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": ["activities.view_meeting"], "PATCH": ["activities.change_meeting"]}

    @extend_schema(
        operation_id="activities_meetings_read",
        summary="Read a meeting",
        parameters=[ID_PATH_PARAM],
        responses={200: MeetingOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(MeetingOutputSerializer(selectors.meeting_get(user=request.user, pk=pk)).data)

    @extend_schema(
        operation_id="activities_meetings_update",
        summary="Change a planned meeting",
        description="Changes the invitees care about are re-sent with the next SEQUENCE.",
        parameters=[ID_PATH_PARAM],
        request=MeetingUpdateSerializer,
        responses={200: MeetingOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        meeting = get_visible_or_404(Meeting.objects.all(), request.user, pk=pk)
        data = _parse(MeetingUpdateSerializer, request.data, request)
        attendees = _attendees(data.pop("attendees")) if "attendees" in data else None
        if "office" in data:
            data["office"] = _office(data["office"])
        _service(meetings.meeting_update, actor=request.user, meeting=meeting, attendees=attendees, **data)
        return Response(MeetingOutputSerializer(selectors.meeting_get(user=request.user, pk=pk)).data)


class MeetingCancelApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["activities.change_meeting"]}

    @extend_schema(
        operation_id="activities_meetings_cancel",
        summary="Cancel a planned meeting",
        parameters=[ID_PATH_PARAM],
        request=CancelInputSerializer,
        responses={200: MeetingOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        meeting = get_visible_or_404(Meeting.objects.all(), request.user, pk=pk)
        data = _parse(CancelInputSerializer, request.data, request)
        _service(meetings.meeting_cancel, actor=request.user, meeting=meeting, **data)
        return Response(MeetingOutputSerializer(selectors.meeting_get(user=request.user, pk=pk)).data)


class MeetingOutcomeApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["activities.change_meeting"]}

    @extend_schema(
        operation_id="activities_meetings_outcome",
        summary="Record a held meeting's outcome and next step",
        parameters=[ID_PATH_PARAM],
        request=OutcomeInputSerializer,
        responses={200: MeetingOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        meeting = get_visible_or_404(Meeting.objects.all(), request.user, pk=pk)
        data = _parse(OutcomeInputSerializer, request.data, request)
        _service(meetings.meeting_record_outcome, actor=request.user, meeting=meeting, **data)
        return Response(MeetingOutputSerializer(selectors.meeting_get(user=request.user, pk=pk)).data)


class CalendarFeedApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["activities.view_meeting"], "DELETE": ["activities.view_meeting"]}

    @extend_schema(
        operation_id="activities_calendar_feed_create",
        summary="Make a new personal calendar feed URL",
        description="The earlier URL stops working. The URL is returned once.",
        request=None,
        responses={201: FeedOutputSerializer, **error_responses(401, 403)},
    )
    def post(self, request: Request) -> Response:
        new = links.calendar_feed_create(actor=request.user)
        url = request.build_absolute_uri(links.calendar_feed_path(new.token))
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="activities_calendar_feed_revoke",
        summary="Stop the personal calendar feed",
        request=None,
        responses={204: None, **error_responses(401, 403)},
    )
    def delete(self, request: Request) -> Response:
        links.calendar_feed_revoke(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("activities/", ActivityListCreateApi.as_view(), name="activities-list"),
    path("activities/<int:pk>/", ActivityDetailApi.as_view(), name="activities-detail"),
    path("activities/<int:pk>/complete/", ActivityCompleteApi.as_view(), name="activities-complete"),
    path("meetings/", MeetingListCreateApi.as_view(), name="activities-meetings-list"),
    path("meetings/<int:pk>/", MeetingDetailApi.as_view(), name="activities-meetings-detail"),
    path("meetings/<int:pk>/cancel/", MeetingCancelApi.as_view(), name="activities-meetings-cancel"),
    path("meetings/<int:pk>/outcome/", MeetingOutcomeApi.as_view(), name="activities-meetings-outcome"),
    path("calendar-feed/", CalendarFeedApi.as_view(), name="activities-calendar-feed"),
]
