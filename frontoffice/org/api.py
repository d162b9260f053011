"""REST API for the organisation tree, staff and the signed-in user (``/api/v1/org/``, ``/me/``).

Organisation units and staff are uniform read-only resources, so they are ViewSets; every
queryset is narrowed with ``visible_to`` (an id outside the user's scope is a 404) and each
resource needs its view permission (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.pagination import PageNumberPagination
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, error_responses
from frontoffice.api.serializers import IdField, RefSerializer
from frontoffice.core.scoping import user_scope
from frontoffice.org.models import LegalEntity, Location, Region, Staff, Team
from frontoffice.org.selectors import legal_entity_list, location_list, region_list, staff_list, team_list

# ---------------------------------------------------------------- reads


def _staff_api_list(
    *,
    user: Any,
    role: str = "",
    location: int | None = None,
    region: int | None = None,
    active: bool | None = None,
    query: str = "",
) -> QuerySet[Staff]:
    """``staff_list`` plus the API's extra filters (role code, home region) and nested rows."""
    qs = staff_list(
        user=user,
        query=query,
        location=str(location or ""),
        active="" if active is None else ("yes" if active else "no"),
    )
    if role:
        qs = qs.filter(role__code=role)
    if region is not None:
        qs = qs.filter(home_region_id=region)
    return qs.select_related("supervisor__user").prefetch_related("regions", "locations")


# ---------------------------------------------------------------- serializers


class LegalEntityOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalEntity
        ref_name = "LegalEntity"
        fields = [
            "id",
            "name",
            "organisation_number",
            "vat_number",
            "base_currency",
            "country",
            "default_language",
            "created_at",
            "updated_at",
        ]


class RegionOutputSerializer(serializers.ModelSerializer):
    legal_entity = RefSerializer()

    class Meta:
        model = Region
        ref_name = "Region"
        fields = ["id", "name", "code", "legal_entity", "created_at", "updated_at"]


class LocationOutputSerializer(serializers.ModelSerializer):
    legal_entity = RefSerializer()
    region = RefSerializer()
    opening_hours = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
        help_text='Open intervals per weekday: `{"mon": [["08:00", "17:00"]], "sun": []}`.',
    )

    class Meta:
        model = Location
        ref_name = "Location"
        fields = [
            "id",
            "name",
            "kind",
            "legal_entity",
            "region",
            "street",
            "postal_code",
            "city",
            "country",
            "time_zone",
            "opening_hours",
            "created_at",
            "updated_at",
        ]


class TeamOutputSerializer(serializers.ModelSerializer):
    location = RefSerializer()
    lead = RefSerializer(allow_null=True)

    class Meta:
        model = Team
        ref_name = "Team"
        fields = ["id", "name", "location", "lead", "created_at", "updated_at"]


class RoleRefSerializer(serializers.Serializer):
    code = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "RoleRef"


class StaffOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    role = RoleRefSerializer()
    legal_entity = RefSerializer()
    home_region = RefSerializer(allow_null=True)
    home_location = RefSerializer(allow_null=True)
    team = RefSerializer(allow_null=True)
    supervisor = RefSerializer(allow_null=True)
    region_ids = serializers.PrimaryKeyRelatedField(
        source="regions", many=True, read_only=True, help_text="Regions managed."
    )
    location_ids = serializers.PrimaryKeyRelatedField(
        source="locations", many=True, read_only=True, help_text="Locations managed."
    )

    class Meta:
        model = Staff
        ref_name = "Staff"
        fields = [
            "id",
            "user_id",
            "name",
            "username",
            "email",
            "title",
            "phone",
            "active",
            "role",
            "legal_entity",
            "home_region",
            "home_location",
            "team",
            "supervisor",
            "region_ids",
            "location_ids",
            "created_at",
            "updated_at",
        ]


class StaffFilterSerializer(serializers.Serializer):
    role = serializers.SlugField(required=False, help_text="Role code, e.g. `sales_rep`.")
    location = IdField(required=False, help_text="Home location id.")
    region = IdField(required=False, help_text="Home region id.")
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, max_length=100, help_text="Name, e-mail or job title.")

    class Meta:
        ref_name = "StaffFilter"


# ---------------------------------------------------------------- views


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """List and detail of one scoped resource; needs ``view_perm`` to read."""

    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    lookup_value_regex = r"[0-9]+"
    view_perm = ""

    @property
    def required_perms(self) -> dict[str, list[str]]:
        return {"read": [self.view_perm]}


def _read_only_schema(
    noun: str,
    plural: str,
    serializer: type[serializers.Serializer],
    filters: type[serializers.Serializer] | None = None,
) -> Any:
    """Operation ids, summaries and error responses for a ``ScopedReadOnlyViewSet``."""
    label = plural.replace("_", " ")
    return extend_schema_view(
        list=extend_schema(
            operation_id=f"org_{plural}_list",
            summary=f"List {label}",
            description=f"The {label} visible to you (your scope).",
            parameters=[filters] if filters else None,
            responses={
                200: serializer(many=True),
                **error_responses(*((400,) if filters else ()), *READ_ERRORS),
            },
        ),
        retrieve=extend_schema(
            operation_id=f"org_{noun}_retrieve",
            summary=f"Get one {noun.replace('_', ' ')}",
            responses={200: serializer, **error_responses(*READ_ERRORS)},
        ),
    )


@_read_only_schema("legal_entity", "legal_entities", LegalEntityOutputSerializer)
class LegalEntityViewSet(ScopedReadOnlyViewSet):
    serializer_class = LegalEntityOutputSerializer
    view_perm = "org.view_legalentity"

    def get_queryset(self) -> QuerySet[LegalEntity]:
        return legal_entity_list(user=self.request.user)


@_read_only_schema("region", "regions", RegionOutputSerializer)
class RegionViewSet(ScopedReadOnlyViewSet):
    serializer_class = RegionOutputSerializer
    view_perm = "org.view_region"

    def get_queryset(self) -> QuerySet[Region]:
        return region_list(user=self.request.user)


@_read_only_schema("location", "locations", LocationOutputSerializer)
class LocationViewSet(ScopedReadOnlyViewSet):
    serializer_class = LocationOutputSerializer
    view_perm = "org.view_location"

    def get_queryset(self) -> QuerySet[Location]:
        return location_list(user=self.request.user)


@_read_only_schema("team", "teams", TeamOutputSerializer)
class TeamViewSet(ScopedReadOnlyViewSet):
    serializer_class = TeamOutputSerializer
    view_perm = "org.view_team"

    def get_queryset(self) -> QuerySet[Team]:
        # The API shows the team lead, which the settings list does not.
        return team_list(user=self.request.user).select_related("lead__user")


@_read_only_schema(
    "staff_member",
    "staff",
    StaffOutputSerializer,
    filters=StaffFilterSerializer,
)
class StaffViewSet(ScopedReadOnlyViewSet):
    serializer_class = StaffOutputSerializer
    view_perm = "org.view_staff"

    def get_queryset(self) -> QuerySet[Staff]:
        if self.action != "list":
            return _staff_api_list(user=self.request.user)
        filters = StaffFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return _staff_api_list(
            user=self.request.user,
            role=data.get("role", ""),
            location=data.get("location"),
            region=data.get("region"),
            active=data.get("active"),
            query=data.get("q", ""),
        )


class MeApi(APIView):
    """The authenticated user: role, scope level, legal entity and permissions."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        name = serializers.CharField()
        email = serializers.EmailField()
        language = serializers.CharField()
        staff_id = serializers.IntegerField(allow_null=True)
        role = RoleRefSerializer(allow_null=True)
        scope = serializers.CharField(
            allow_null=True,
            help_text="How far you see: organisation, legal_entity, region, location, own; "
            "null when you have no active staff profile (you see nothing).",
        )
        legal_entity = RefSerializer(allow_null=True)
        permissions = serializers.ListField(child=serializers.CharField())

        class Meta:
            ref_name = "Me"

    @extend_schema(
        operation_id="me_retrieve",
        summary="Who am I",
        responses={200: OutputSerializer, **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        user = request.user
        staff = (
            Staff.objects.select_related("role", "legal_entity").filter(user_id=user.pk, active=True).first()
        )
        scope = user_scope(user)
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "name": str(user),
            "email": user.email,
            "language": user.language,
            "staff_id": staff.pk if staff else None,
            "role": staff.role if staff else None,
            "scope": str(scope.level) if scope.level else None,
            "legal_entity": staff.legal_entity if staff else None,
            "permissions": sorted(user.get_all_permissions()),
        }
        return Response(self.OutputSerializer(data).data)
