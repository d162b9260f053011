"""REST API for customers (parties) and interactions (``/api/v1/parties/``, ``/interactions/``).

Small APIViews: a nested ``InputSerializer`` parses the body, the view calls the same
selector or service as the HTML views, an ``OutputSerializer`` renders the result. Scope,
permissions and domain rules live in the services and selectors; errors they raise become
the one API error shape in ``frontoffice.api.errors``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.errors import django_validation_error_to_drf, with_extra
from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import (
    READ_ERRORS,
    WRITE_ERRORS,
    DuplicateErrorSerializer,
    error_responses,
)
from frontoffice.api.serializers import IdField, RefSerializer, ScopedPrimaryKeyRelatedField
from frontoffice.core.scoping import visible_to
from frontoffice.org.models import LegalEntity, Location, Region, Staff, User
from frontoffice.parties.models import Interaction, Party
from frontoffice.parties.selectors import (
    PARTY_ORDERINGS,
    interaction_get,
    interaction_list,
    party_get,
    party_list,
    party_timeline,
)
from frontoffice.parties.services import interaction_record, party_create, party_merge, party_update

VIEW_PARTY = "parties.view_party"
VIEW_INTERACTION = "parties.view_interaction"
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Customer id.")


def _assignable_owners(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Users whose staff profile the actor can see (a sales rep: only themselves)."""
    return queryset.filter(staff__in=visible_to(Staff.objects.all(), user), is_active=True)


def _active_parties(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    return visible_to(queryset.filter(merged_into__isnull=True), user)


# ---------------------------------------------------------------- serializers


class PartyOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    phone = serializers.CharField(read_only=True, help_text="E.164, e.g. `+46701234567`; empty if unknown.")
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    owner = RefSerializer(allow_null=True)
    legal_entity = RefSerializer()
    region = RefSerializer(allow_null=True)
    location = RefSerializer(allow_null=True)
    merged_into_id = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="Set when merged into another customer."
    )

    class Meta:
        model = Party
        ref_name = "Party"
        fields = [
            "id",
            "kind",
            "name",
            "first_name",
            "last_name",
            "organisation_name",
            "email",
            "phone",
            "organisation_number",
            "street",
            "postal_code",
            "city",
            "country",
            "language",
            "source",
            "tags",
            "owner",
            "legal_entity",
            "region",
            "location",
            "consent_data_processing",
            "consent_data_processing_at",
            "consent_marketing",
            "consent_marketing_at",
            "notes",
            "merged_into_id",
            "erased_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PartyInputSerializer(serializers.ModelSerializer):
    """Fields a client may set. Services normalise e-mail, phone (to E.164) and numbers."""

    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Any common format (`070-123 45 67`, `+46 70 123 45 67`); stored as E.164.",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, help_text="Tag names (replaces all)."
    )
    owner = ScopedPrimaryKeyRelatedField(
        queryset=User.objects.all(), scope=_assignable_owners, required=False, allow_null=True
    )
    legal_entity = ScopedPrimaryKeyRelatedField(queryset=LegalEntity.objects.all(), required=False)
    region = ScopedPrimaryKeyRelatedField(queryset=Region.objects.all(), required=False, allow_null=True)
    location = ScopedPrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="The region and legal entity follow from the location.",
    )

    class Meta:
        model = Party
        fields = [
            "kind",
            "first_name",
            "last_name",
            "organisation_name",
            "email",
            "phone",
            "organisation_number",
            "street",
            "postal_code",
            "city",
            "country",
            "language",
            "source",
            "tags",
            "owner",
            "legal_entity",
            "region",
            "location",
            "consent_data_processing",
            "consent_marketing",
            "notes",
        ]
        # Length and choice rules come from the model; everything else from the service.
        validators: list[Any] = []


class PartyCreateInputSerializer(PartyInputSerializer):
    source = serializers.ChoiceField(choices=Party.Source.choices, default=Party.Source.API)
    allow_duplicate = serializers.BooleanField(
        default=False,
        help_text="Create even if a customer with the same e-mail, phone or organisation number exists.",
    )

    class Meta(PartyInputSerializer.Meta):
        ref_name = "PartyCreate"
        fields = [*PartyInputSerializer.Meta.fields, "allow_duplicate"]


class PartyUpdateInputSerializer(PartyInputSerializer):
    class Meta(PartyInputSerializer.Meta):
        ref_name = "PartyUpdate"


class PartyFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, max_length=200, help_text="Name, e-mail, phone, number or city."
    )
    kind = serializers.ChoiceField(choices=Party.Kind.choices, required=False)
    source = serializers.ChoiceField(choices=Party.Source.choices, required=False)
    tag = serializers.CharField(required=False, max_length=50)
    owner = serializers.RegexField(
        r"^(me|none|[0-9]{1,18})$",
        required=False,
        help_text="`me`, `none` (unassigned) or a user id.",
    )
    region = IdField(required=False)
    location = IdField(required=False)
    ordering = serializers.ChoiceField(choices=list(PARTY_ORDERINGS), required=False, default="name")

    class Meta:
        ref_name = "PartyFilter"


class ConcernsSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`app_label.model` of the record.")
    id = serializers.CharField()

    class Meta:
        ref_name = "InteractionConcerns"


class InteractionOutputSerializer(serializers.ModelSerializer):
    party = RefSerializer()
    staff = RefSerializer(allow_null=True)
    location = RefSerializer(allow_null=True)
    duration_minutes = serializers.IntegerField(allow_null=True, read_only=True)
    concerns = serializers.SerializerMethodField(help_text="The record this interaction is about.")

    class Meta:
        model = Interaction
        ref_name = "Interaction"
        fields = [
            "id",
            "party",
            "staff",
            "kind",
            "channel",
            "direction",
            "subject",
            "outcome",
            "started_at",
            "ended_at",
            "duration_minutes",
            "location",
            "concerns",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ConcernsSerializer(allow_null=True))
    def get_concerns(self, obj: Interaction) -> dict[str, str] | None:
        if obj.concerns_type_id is None:
            return None
        ct = obj.concerns_type
        return {"type": f"{ct.app_label}.{ct.model}", "id": obj.concerns_id}


class InteractionFilterSerializer(serializers.Serializer):
    party = IdField(required=False, help_text="Customer id.")
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices, required=False)
    channel = serializers.ChoiceField(choices=Interaction.Channel.choices, required=False)
    staff = IdField(required=False, help_text="Staff member id.")
    started_after = serializers.DateTimeField(required=False, help_text="ISO 8601; inclusive.")
    started_before = serializers.DateTimeField(required=False, help_text="ISO 8601; exclusive.")

    class Meta:
        ref_name = "InteractionFilter"


def _parse(
    serializer_class: type[serializers.Serializer], data: Any, request: Request, *, partial: bool = False
) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request}, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _party_page_queryset(qs: QuerySet[Party]) -> QuerySet[Party]:
    # The HTML list does not show tags or the legal entity; the API does, so it loads them
    # here in constant queries (move into ``party_list`` if the HTML list starts showing them).
    return qs.select_related("legal_entity").prefetch_related("tags")


# ---------------------------------------------------------------- parties


class PartyListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination  # read by the schema generator
    required_perms = {"read": [VIEW_PARTY], "POST": [VIEW_PARTY, "parties.add_party"]}

    @extend_schema(
        operation_id="parties_list",
        summary="List customers",
        description="Active customers in your scope (merged ones are left out).",
        parameters=[PartyFilterSerializer],
        responses={200: PartyOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(PartyFilterSerializer, request.query_params, request)
        qs = party_list(
            user=request.user,
            query=filters.get("q", ""),
            kind=filters.get("kind", ""),
            source=filters.get("source", ""),
            tag=filters.get("tag", ""),
            owner=filters.get("owner", ""),
            region=str(filters.get("region", "")),
            location=str(filters.get("location", "")),
            ordering=filters["ordering"],
        )
        return paginated_response(
            queryset=_party_page_queryset(qs),
            serializer_class=PartyOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="parties_create",
        summary="Create a customer",
        description="Refused with code `duplicate` (and the matching ids in `duplicates`) when a "
        "customer you can see shares the e-mail, phone or organisation number, unless "
        "`allow_duplicate` is true.",
        request=PartyCreateInputSerializer,
        responses={
            201: PartyOutputSerializer,
            **error_responses(*WRITE_ERRORS, bad_request=DuplicateErrorSerializer),
        },
    )
    def post(self, request: Request) -> Response:
        data = _parse(PartyCreateInputSerializer, request.data, request)
        try:
            party = party_create(actor=request.user, **data)
        except DjangoValidationError as exc:
            drf_exc = django_validation_error_to_drf(exc)
            if getattr(drf_exc, "domain_code", None) == "duplicate":
                raise with_extra(drf_exc, duplicates=list((exc.params or {}).get("ids", []))) from exc
            raise drf_exc from exc
        return Response(PartyOutputSerializer(party).data, status=status.HTTP_201_CREATED)


class PartyDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW_PARTY], "PATCH": [VIEW_PARTY, "parties.change_party"]}

    @extend_schema(
        operation_id="parties_retrieve",
        summary="Get one customer",
        description="Merged and erased customers are returned too (see `merged_into_id`, `erased_at`).",
        parameters=[ID_PATH_PARAM],
        responses={200: PartyOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        party = party_get(user=request.user, pk=id)
        return Response(PartyOutputSerializer(party).data)

    @extend_schema(
        operation_id="parties_partial_update",
        summary="Change a customer",
        description="Only the fields sent change. `tags` replaces all tags. Sending `location` "
        "without `region` moves the customer to that location's region.",
        parameters=[ID_PATH_PARAM],
        request=PartyUpdateInputSerializer,
        responses={200: PartyOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def patch(self, request: Request, id: int) -> Response:
        party = party_get(user=request.user, pk=id)
        data = _parse(PartyUpdateInputSerializer, request.data, request, partial=True)
        if data.get("location") is not None and "region" not in data:
            data["region"] = None  # derived from the location by the service
        party = party_update(actor=request.user, party=party, **data)
        return Response(PartyOutputSerializer(party).data)


class PartyMergeApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW_PARTY, "parties.merge_party"]}

    class InputSerializer(serializers.Serializer):
        into = ScopedPrimaryKeyRelatedField(
            queryset=Party.objects.all(),
            scope=_active_parties,
            help_text="The customer that survives; everything moves to it.",
        )

        class Meta:
            ref_name = "PartyMerge"

    @extend_schema(
        operation_id="parties_merge",
        summary="Merge a duplicate customer into another",
        description="Moves every related record from this customer to `into`; this customer "
        "stays, hidden, pointing at it. Returns the surviving customer.",
        parameters=[ID_PATH_PARAM],
        request=InputSerializer,
        responses={200: PartyOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request, id: int) -> Response:
        source = party_get(user=request.user, pk=id)
        data = _parse(self.InputSerializer, request.data, request)
        target = party_merge(actor=request.user, source=source, target=data["into"])
        return Response(PartyOutputSerializer(target).data)


class PartyInteractionListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW_PARTY, VIEW_INTERACTION]}

    @extend_schema(
        operation_id="parties_interactions_list",
        summary="A customer's timeline",
        description="Every interaction with the customer, newest first, whoever recorded it.",
        parameters=[ID_PATH_PARAM],
        responses={200: InteractionOutputSerializer(many=True), **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        party = party_get(user=request.user, pk=id)
        return paginated_response(
            queryset=party_timeline(user=request.user, party=party).select_related("party"),
            serializer_class=InteractionOutputSerializer,
            request=request,
            view=self,
        )


# ---------------------------------------------------------------- interactions


class InteractionListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW_INTERACTION], "POST": [VIEW_INTERACTION, "parties.add_interaction"]}

    class InputSerializer(serializers.Serializer):
        party = ScopedPrimaryKeyRelatedField(queryset=Party.objects.all(), help_text="Customer id.")
        kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
        channel = serializers.ChoiceField(choices=Interaction.Channel.choices)
        direction = serializers.ChoiceField(
            choices=Interaction.Direction.choices, default=Interaction.Direction.INBOUND
        )
        subject = serializers.CharField(max_length=200)
        outcome = serializers.CharField(required=False, allow_blank=True, default="")
        started_at = serializers.DateTimeField(required=False, help_text="ISO 8601; default now.")
        ended_at = serializers.DateTimeField(required=False, allow_null=True, help_text="ISO 8601.")
        staff = ScopedPrimaryKeyRelatedField(
            queryset=Staff.objects.all(),
            required=False,
            allow_null=True,
            help_text="Staff member id; defaults to you.",
        )

        class Meta:
            ref_name = "InteractionCreate"

    @extend_schema(
        operation_id="interactions_list",
        summary="List interactions",
        description="Interactions in your scope, newest first.",
        parameters=[InteractionFilterSerializer],
        responses={200: InteractionOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(InteractionFilterSerializer, request.query_params, request)
        qs = interaction_list(user=request.user, kind=filters.get("kind", "")).select_related("concerns_type")
        # Filters the shared selector does not offer yet (it serves the HTML list).
        if "party" in filters:
            qs = qs.filter(party_id=filters["party"])
        if "channel" in filters:
            qs = qs.filter(channel=filters["channel"])
        if "staff" in filters:
            qs = qs.filter(staff_id=filters["staff"])
        if "started_after" in filters:
            qs = qs.filter(started_at__gte=filters["started_after"])
        if "started_before" in filters:
            qs = qs.filter(started_at__lt=filters["started_before"])
        return paginated_response(
            queryset=qs, serializer_class=InteractionOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="interactions_create",
        summary="Record an interaction",
        request=InputSerializer,
        responses={201: InteractionOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(self.InputSerializer, request.data, request)
        interaction = interaction_record(actor=request.user, **data)
        return Response(InteractionOutputSerializer(interaction).data, status=status.HTTP_201_CREATED)


class InteractionDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW_INTERACTION]}

    @extend_schema(
        operation_id="interactions_retrieve",
        summary="Get one interaction",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Interaction id.")],
        responses={200: InteractionOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        interaction = interaction_get(user=request.user, pk=id)
        return Response(InteractionOutputSerializer(interaction).data)
