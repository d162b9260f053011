"""``/api/v1/appointments/``: appointments (list, book, read, move, cancel), resources,
appointment types and free slots.

The views call the same selectors and services as the desk: a missing permission is 403, a row
outside the user's scope is 404, and a refused booking is a 400 in the one API error shape with
the service's code (``overlap``, ``outside_opening_hours``, ``holiday``, ``in_past``, ...).
Health-related notes appear only when one appointment is read.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.serializers import IdField, RefSerializer
from frontoffice.appointments import selectors, services
from frontoffice.appointments.models import Appointment, AppointmentType, Resource
from frontoffice.core.scoping import get_visible_or_404

VIEW = "appointments.view_appointment"
ADD = "appointments.add_appointment"
CHANGE = "appointments.change_appointment"


class ResourceSerializer(serializers.ModelSerializer):
    location = serializers.IntegerField(source="location_id")
    user = serializers.IntegerField(source="user_id", allow_null=True)

    class Meta:
        model = Resource
        ref_name = "AppointmentResource"
        fields = ["id", "location", "kind", "name", "user", "active", "position"]
        read_only_fields = fields


class AppointmentTypeSerializer(serializers.ModelSerializer):
    location = serializers.IntegerField(source="location_id", allow_null=True)

    class Meta:
        model = AppointmentType
        ref_name = "AppointmentType"
        fields = [
            "id",
            "legal_entity",
            "location",
            "name",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "colour",
            "requires_practitioner",
            "requires_room",
            "active",
        ]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    location = RefSerializer()
    resource = RefSerializer()
    room = RefSerializer(allow_null=True)
    appointment_type = RefSerializer()
    party = serializers.SerializerMethodField()
    status = serializers.CharField(
        help_text="booked, checked_in, called_in, in_treatment, done, no_show, cancelled"
    )
    follow_up_of = serializers.IntegerField(source="follow_up_of_id", allow_null=True)

    class Meta:
        model = Appointment
        ref_name = "Appointment"
        fields = [
            "id",
            "location",
            "resource",
            "room",
            "appointment_type",
            "party",
            "start_at",
            "end_at",
            "status",
            "booking_code",
            "notes",
            "follow_up_of",
            "cancel_reason",
            "checked_in_at",
            "called_in_at",
            "started_at",
            "done_at",
            "no_show_at",
            "cancelled_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_party(self, obj: Appointment) -> dict[str, Any]:
        return {"id": obj.party_id, "name": obj.party.display_name}


class AppointmentDetailSerializer(AppointmentSerializer):
    class Meta(AppointmentSerializer.Meta):
        ref_name = "AppointmentDetail"
        fields = [*AppointmentSerializer.Meta.fields, "health_notes"]
        read_only_fields = fields


class AppointmentFilterSerializer(serializers.Serializer):
    location = IdField(required=False)
    resource = IdField(required=False)
    party = IdField(required=False)
    status = serializers.ChoiceField(choices=Appointment.Status.values, required=False)
    start_from = serializers.DateTimeField(required=False)
    start_to = serializers.DateTimeField(required=False)

    class Meta:
        ref_name = "AppointmentFilter"


class AppointmentInputSerializer(serializers.Serializer):
    location = IdField()
    resource = IdField()
    room = IdField(required=False, allow_null=True)
    appointment_type = IdField()
    party = IdField()
    start_at = serializers.DateTimeField(help_text="ISO 8601 with an offset, e.g. 2026-12-02T09:00:00+01:00.")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    health_notes = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "AppointmentInput"


class MoveInputSerializer(serializers.Serializer):
    start_at = serializers.DateTimeField()
    resource = IdField(required=False)

    class Meta:
        ref_name = "AppointmentMoveInput"


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)

    class Meta:
        ref_name = "AppointmentCancelInput"


class SlotFilterSerializer(serializers.Serializer):
    resource = IdField()
    appointment_type = IdField()
    after = serializers.DateTimeField(required=False)
    count = serializers.IntegerField(min_value=1, max_value=50, default=5)

    class Meta:
        ref_name = "AppointmentSlotFilter"


class LocationFilterSerializer(serializers.Serializer):
    location = IdField(required=False)

    class Meta:
        ref_name = "AppointmentLocationFilter"


def _parse(cls: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = cls(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _unknown(field: str, message: str) -> serializers.ValidationError:
    exc = serializers.ValidationError({field: [serializers.ErrorDetail(message, code="unknown")]})
    exc.domain_code = "unknown"  # type: ignore[attr-defined]
    return exc


def _call(service: Any, **kwargs: Any) -> Any:
    """Run a service; a refused call keeps its first field error's code as the API ``code``."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict") and not getattr(exc, "code", None):
            exc.code = next((e.code for errors in exc.error_dict.values() for e in errors if e.code), None)
        raise


class ResourceListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": ["appointments.view_resource"]}

    @extend_schema(
        operation_id="appointments_resources_list",
        summary="Bookable resources",
        parameters=[LocationFilterSerializer],
        responses=ResourceSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        data = _parse(LocationFilterSerializer, request.query_params)
        qs = selectors.resources_for(request.user, active_only=False)
        if data.get("location"):
            qs = qs.filter(location_id=data["location"])
        return paginated_response(
            queryset=qs, serializer_class=ResourceSerializer, request=request, view=self
        )


class TypeListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": ["appointments.view_appointmenttype"]}

    @extend_schema(
        operation_id="appointments_types_list",
        summary="Appointment types (of a location when given)",
        parameters=[LocationFilterSerializer],
        responses=AppointmentTypeSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        data = _parse(LocationFilterSerializer, request.query_params)
        if data.get("location"):
            location = get_visible_or_404(
                selectors.locations_for(request.user), request.user, pk=data["location"]
            )
            qs = selectors.types_for(request.user, location)
        else:
            from frontoffice.core.scoping import visible_to

            qs = visible_to(AppointmentType.objects.all(), request.user).order_by("name")
        return paginated_response(
            queryset=qs, serializer_class=AppointmentTypeSerializer, request=request, view=self
        )


class AppointmentListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, ADD]}

    @extend_schema(
        operation_id="appointments_list",
        summary="List appointments",
        parameters=[AppointmentFilterSerializer],
        responses=AppointmentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        data = _parse(AppointmentFilterSerializer, request.query_params)
        qs = selectors.appointments_for(request.user).order_by("start_at", "pk")
        for key in ("location", "resource", "party"):
            if data.get(key):
                qs = qs.filter(**{f"{key}_id": data[key]})
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("start_from"):
            qs = qs.filter(start_at__gte=data["start_from"])
        if data.get("start_to"):
            qs = qs.filter(start_at__lt=data["start_to"])
        return paginated_response(
            queryset=qs, serializer_class=AppointmentSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="appointments_create",
        summary="Book an appointment",
        request=AppointmentInputSerializer,
        responses={201: AppointmentDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        from frontoffice.core.scoping import visible_to
        from frontoffice.parties.models import Party

        data = _parse(AppointmentInputSerializer, request.data)
        location = get_visible_or_404(
            selectors.locations_for(request.user), request.user, pk=data["location"]
        )
        resources = selectors.resources_for(request.user, location)
        resource = resources.filter(pk=data["resource"]).first()
        if resource is None:
            raise _unknown("resource", "Unknown resource at this location.")
        room = None
        if data.get("room"):
            room = resources.filter(pk=data["room"], kind=Resource.Kind.ROOM).first()
            if room is None:
                raise _unknown("room", "Unknown room at this location.")
        appointment_type = (
            selectors.types_for(request.user, location).filter(pk=data["appointment_type"]).first()
        )
        if appointment_type is None:
            raise _unknown("appointment_type", "Unknown appointment type at this location.")
        party = visible_to(Party.objects.all(), request.user).filter(pk=data["party"]).first()
        if party is None:
            raise _unknown("party", "Unknown customer.")
        appointment = _call(
            services.appointment_book,
            actor=request.user,
            location=location,
            resource=resource,
            room=room,
            appointment_type=appointment_type,
            party=party,
            start_at=data["start_at"],
            notes=data["notes"],
            health_notes=data["health_notes"],
        )
        fresh = selectors.appointment_detail(request.user, appointment.pk)
        return Response(AppointmentDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)


class AppointmentDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="appointments_retrieve",
        summary="Read an appointment",
        responses=AppointmentDetailSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(AppointmentDetailSerializer(selectors.appointment_detail(request.user, pk)).data)


class AppointmentMoveApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, CHANGE]}

    @extend_schema(
        operation_id="appointments_move",
        summary="Move an appointment",
        request=MoveInputSerializer,
        responses=AppointmentDetailSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        appointment = selectors.appointment_detail(request.user, pk)
        data = _parse(MoveInputSerializer, request.data)
        resource = None
        if data.get("resource"):
            resource = (
                selectors.resources_for(request.user, appointment.location)
                .filter(pk=data["resource"])
                .first()
            )
            if resource is None:
                raise _unknown("resource", "Unknown resource at this location.")
        _call(
            services.appointment_move,
            actor=request.user,
            appointment=appointment,
            start_at=data["start_at"],
            resource=resource,
        )
        return Response(AppointmentDetailSerializer(selectors.appointment_detail(request.user, pk)).data)


class AppointmentCancelApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, CHANGE]}

    @extend_schema(
        operation_id="appointments_cancel",
        summary="Cancel an appointment",
        request=CancelInputSerializer,
        responses=AppointmentDetailSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        appointment = selectors.appointment_detail(request.user, pk)
        data = _parse(CancelInputSerializer, request.data)
        _call(services.appointment_cancel, actor=request.user, appointment=appointment, reason=data["reason"])
        return Response(AppointmentDetailSerializer(selectors.appointment_detail(request.user, pk)).data)


class FreeSlotsApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="appointments_free_slots",
        summary="Next free start times for a type with a resource",
        parameters=[SlotFilterSerializer],
        responses={200: serializers.ListSerializer(child=serializers.DateTimeField())},
    )
    def get(self, request: Request) -> Response:
        data = _parse(SlotFilterSerializer, request.query_params)
        resource = get_visible_or_404(
            Resource.objects.select_related("location").filter(active=True), request.user, pk=data["resource"]
        )
        appointment_type = (
            selectors.types_for(request.user, resource.location).filter(pk=data["appointment_type"]).first()
        )
        if appointment_type is None:
            raise _unknown("appointment_type", "Unknown appointment type at this location.")
        slots = selectors.free_slots(
            resource=resource, appointment_type=appointment_type, after=data.get("after"), count=data["count"]
        )
        return Response([s.isoformat() for s in slots])


urlpatterns = [
    path("", AppointmentListCreateApi.as_view(), name="api-appointments"),
    path("<int:pk>/", AppointmentDetailApi.as_view(), name="api-appointment-detail"),
    path("<int:pk>/move/", AppointmentMoveApi.as_view(), name="api-appointment-move"),
    path("<int:pk>/cancel/", AppointmentCancelApi.as_view(), name="api-appointment-cancel"),
    path("resources/", ResourceListApi.as_view(), name="api-appointment-resources"),
    path("types/", TypeListApi.as_view(), name="api-appointment-types"),
    path("slots/", FreeSlotsApi.as_view(), name="api-appointment-slots"),
]
