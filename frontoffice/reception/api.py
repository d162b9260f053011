"""``/api/v1/reception/``: visits (list, check in an appointment, change status), walk-ins and
setting up a self check-in kiosk. (Complaints, the desk's included: ``/api/v1/surveys/complaints/``.)

The views call the same selectors and services as the desk; out-of-scope ids are 404 (a visit
or appointment of another location is indistinguishable from a missing one), a missing
permission is 403. Errors use the one API error shape with the service's ``code``
(``already_checked_in``, ``other_day``, ``invalid_transition``, ``required``, ...). Visits carry
no health-related notes.
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
from frontoffice.core.scoping import get_visible_or_404
from frontoffice.reception import selectors, services
from frontoffice.reception.models import Kiosk, Visit


def first_code(exc: DjangoValidationError) -> str | None:
    """The code of the first error in ``exc`` (field errors included)."""
    if getattr(exc, "code", None):
        return exc.code
    for errors in getattr(exc, "error_dict", {}).values():
        for error in errors:
            if getattr(error, "code", None):
                return error.code
    return next((e.code for e in getattr(exc, "error_list", []) if getattr(e, "code", None)), None)


def service_error(exc: DjangoValidationError) -> exceptions.APIException:
    drf_exc = django_validation_error_to_drf(exc)
    drf_exc.domain_code = first_code(exc) or "invalid"  # type: ignore[attr-defined]
    return drf_exc


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _location(request: Request, raw: Any):
    return selectors.working_location(request.user, raw)


# ---------------------------------------------------------------- serializers


class VisitOutputSerializer(serializers.ModelSerializer):
    location = RefSerializer()
    party = RefSerializer(allow_null=True)
    host = serializers.IntegerField(source="host_id", allow_null=True)
    receptionist = serializers.IntegerField(source="receptionist_id", allow_null=True)
    appointment = serializers.IntegerField(source="appointment_id", allow_null=True)
    name = serializers.CharField(help_text="The patient's or visitor's name.")
    wait_minutes = serializers.SerializerMethodField(
        help_text="Called in minus arrived (still waiting: now minus arrived)."
    )

    class Meta:
        model = Visit
        ref_name = "Visit"
        fields = [
            "id",
            "location",
            "kind",
            "party",
            "name",
            "host",
            "appointment",
            "visit_date",
            "ticket_number",
            "status",
            "via",
            "arrived_at",
            "called_in_at",
            "started_at",
            "done_at",
            "left_at",
            "receptionist",
            "wait_minutes",
        ]
        read_only_fields = fields

    def get_wait_minutes(self, obj: Visit) -> int:
        from django.utils import timezone

        return selectors.wait_minutes(obj, timezone.now())


class VisitFilterSerializer(serializers.Serializer):
    location = IdField(required=False, help_text="Default: your home location.")
    day = serializers.DateField(required=False, help_text="Local day; default today.")
    status = serializers.ChoiceField(choices=Visit.Status.choices, required=False)

    class Meta:
        ref_name = "VisitFilter"


class CheckInInputSerializer(serializers.Serializer):
    appointment = IdField(help_text="Id of today's booked appointment.")

    class Meta:
        ref_name = "VisitCheckInInput"


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c for c in Visit.Status.choices if c[0] != "waiting"])

    class Meta:
        ref_name = "VisitStatusInput"


class WalkInInputSerializer(serializers.Serializer):
    location = IdField(required=False, help_text="Default: your home location.")
    kind = serializers.ChoiceField(choices=Visit.Kind.choices)
    party = IdField(required=False, allow_null=True, help_text="Customer id (required for a patient).")
    visitor_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    host = IdField(required=False, allow_null=True, help_text="User id of the host (required for a visitor).")
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    class Meta:
        ref_name = "WalkInInput"


class KioskInputSerializer(serializers.Serializer):
    location = IdField(required=False, help_text="Default: your home location.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    screen_shows = serializers.ChoiceField(
        choices=Kiosk.ScreenShows.choices, default=Kiosk.ScreenShows.TICKETS
    )

    class Meta:
        ref_name = "KioskInput"


class KioskOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    location = RefSerializer()
    name = serializers.CharField()
    screen_shows = serializers.CharField()
    url = serializers.CharField(help_text="The kiosk's secret address; shown only in this response.")

    class Meta:
        ref_name = "KioskCreated"


def _user(pk: int | None):
    from frontoffice.org.models import User

    if pk is None:
        return None
    found = User.objects.filter(pk=pk).first()
    if found is None:
        raise exceptions.ValidationError({"owner": ["Unknown user."]})
    return found


def _party(request: Request, pk: int | None):
    from frontoffice.parties.models import Party

    if pk is None:
        return None
    return get_visible_or_404(Party.objects.all(), request.user, pk=pk)


# ---------------------------------------------------------------- views


class VisitListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": ["reception.view_visit"]}

    @extend_schema(
        operation_id="reception_visits_list",
        summary="List visits",
        description="Visits of one location and day (default: your home location, today).",
        parameters=[VisitFilterSerializer],
        responses={200: VisitOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        data = _parse(VisitFilterSerializer, request.query_params, request)
        location = _location(request, data.get("location"))
        qs = selectors.visit_list(
            user=request.user,
            location=location,
            day=data.get("day") or selectors.today(location),
            status=data.get("status", ""),
        )
        return paginated_response(
            queryset=qs, serializer_class=VisitOutputSerializer, request=request, view=self
        )


class VisitCheckInApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["reception.view_visit", "reception.add_visit"]}

    @extend_schema(
        operation_id="reception_visits_check_in",
        summary="Check in an appointment",
        description="Creates the waiting visit with the day's next ticket number (201).",
        request=CheckInInputSerializer,
        responses={201: VisitOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        from frontoffice.appointments.selectors import appointments_for

        data = _parse(CheckInInputSerializer, request.data, request)
        appointment = get_visible_or_404(appointments_for(request.user), request.user, pk=data["appointment"])
        try:
            visit = services.visit_check_in(actor=request.user, appointment=appointment)
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        fresh = selectors.visit_get(user=request.user, pk=visit.pk)
        return Response(VisitOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


class VisitStatusApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["reception.view_visit", "reception.change_visit"]}

    @extend_schema(
        operation_id="reception_visits_status",
        summary="Change a visit's status",
        description="called_in, in_treatment, in_meeting, done or left; the appointment follows.",
        request=StatusInputSerializer,
        responses={200: VisitOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = _parse(StatusInputSerializer, request.data, request)
        visit = selectors.visit_get(user=request.user, pk=pk)
        try:
            services.visit_set_status(actor=request.user, visit=visit, status=data["status"])
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return Response(VisitOutputSerializer(selectors.visit_get(user=request.user, pk=pk)).data)


class WalkInApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["reception.view_visit", "reception.add_visit"]}

    @extend_schema(
        operation_id="reception_walk_in",
        summary="Register a walk-in",
        description="A patient without appointment (party required) or a visitor for a host (host "
        "required; the host is notified). Returns the waiting visit (201).",
        request=WalkInInputSerializer,
        responses={201: VisitOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(WalkInInputSerializer, request.data, request)
        location = _location(request, data.get("location"))
        try:
            visit = services.visit_walk_in(
                actor=request.user,
                location=location,
                kind=data["kind"],
                party=_party(request, data.get("party")),
                visitor_name=data.get("visitor_name", ""),
                host=_user(data.get("host")),
                purpose=data.get("purpose", ""),
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        fresh = selectors.visit_get(user=request.user, pk=visit.pk)
        return Response(VisitOutputSerializer(fresh).data, status=status.HTTP_201_CREATED)


class KioskCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": ["reception.view_kiosk", "reception.manage_kiosks"]}

    @extend_schema(
        operation_id="reception_kiosk_create",
        summary="Set up a self check-in kiosk",
        description="Returns the kiosk with its secret address (201), shown only once. Refused "
        "with 400 `certificate_required` (the message links the course) when the capability "
        "`reception.kiosk` is gated by a training course and you hold no valid certificate.",
        request=KioskInputSerializer,
        responses={201: KioskOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        from django.urls import reverse

        data = _parse(KioskInputSerializer, request.data, request)
        location = _location(request, data.get("location"))
        try:
            kiosk, key = services.kiosk_create(
                actor=request.user, location=location, name=data["name"], screen_shows=data["screen_shows"]
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        url = request.build_absolute_uri(reverse("reception_public:kiosk", kwargs={"key": key}))
        body = {
            "id": kiosk.pk,
            "location": kiosk.location,
            "name": kiosk.name,
            "screen_shows": kiosk.screen_shows,
            "url": url,
        }
        return Response(KioskOutputSerializer(body).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("visits/", VisitListApi.as_view(), name="reception-visits"),
    path("visits/check-in/", VisitCheckInApi.as_view(), name="reception-visit-check-in"),
    path("visits/<int:pk>/status/", VisitStatusApi.as_view(), name="reception-visit-status"),
    path("walk-ins/", WalkInApi.as_view(), name="reception-walk-in"),
    path("kiosks/", KioskCreateApi.as_view(), name="reception-kiosk-create"),
]
