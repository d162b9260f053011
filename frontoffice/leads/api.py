"""``/api/v1/leads/``: leads (list, create, read, update), assign, qualify, disqualify, convert.

The views call the same selectors and services as the lead desk; a rep sees only their own
leads and the unassigned ones of their region (others are 404). ``POST /leads/`` honours an
``Idempotency-Key`` header: a repeated call returns the first call's lead (status 200).
Stage, channel and score source travel as documented strings (not schema enums, whose names
would collide with other apps' ``stage`` fields).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
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
from frontoffice.leads import selectors
from frontoffice.leads.models import Lead, LeadSource
from frontoffice.leads.services import (
    lead_assign,
    lead_convert,
    lead_create,
    lead_disqualify,
    lead_qualify,
    lead_update,
)

VIEW = "leads.view_lead"
ID_PATH_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Lead id.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 100 characters. A repeated call with the same key returns the first call's "
    "lead (status 200) instead of creating another.",
)
STAGES = ", ".join(f"`{s}`" for s in Lead.Stage.values)


class LeadInputSerializer(serializers.Serializer):
    legal_entity = IdField(
        required=False, help_text="Only organisation-wide users pick one (default: your own)."
    )
    source = IdField(required=False, allow_null=True, help_text="Lead source id.")
    region = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Region code; default: by the routing rules.",
    )
    owner = IdField(required=False, allow_null=True, help_text="User id; default: round-robin in the region.")
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    company = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    organisation_number = serializers.CharField(required=False, allow_blank=True, max_length=11, default="")
    email = serializers.CharField(required=False, allow_blank=True, max_length=254, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    postal_code = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")
    country = serializers.CharField(required=False, allow_blank=True, max_length=2, default="")
    industry = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    company_size = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    estimated_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="What the lead may be worth, in the legal entity's currency. Above the high-value "
        "threshold only reps with the required certificate may own it.",
    )

    class Meta:
        ref_name = "LeadInput"


class LeadUpdateInputSerializer(serializers.Serializer):
    estimated_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="What the lead may be worth, in the legal entity's currency (a string such as "
        '`"125000.00"`; null clears it). Raising it above the high-value threshold is refused '
        "(`certificate_required`) while the lead's owner lacks the required certificate.",
    )

    class Meta:
        ref_name = "LeadUpdateInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [gettext("This field cannot be changed here.")] for name in unknown}
            )
        return attrs


class LeadFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100, help_text="Name, company, e-mail or phone.")
    stage = serializers.CharField(required=False, max_length=20, help_text=f"`open` or one of {STAGES}.")
    source = IdField(required=False)
    owner = IdField(required=False)
    region = IdField(required=False)
    overdue = serializers.BooleanField(required=False, default=False)

    class Meta:
        ref_name = "LeadFilter"


class AssignInputSerializer(serializers.Serializer):
    owner = IdField(allow_null=True, help_text="User id, or null to put the lead back in the region's pool.")
    reason = serializers.CharField(max_length=500)

    class Meta:
        ref_name = "LeadAssignInput"


class QualifyInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.BooleanField(), help_text='Checklist key → yes/no, e.g. `{"budget": true}`.'
    )
    qualified = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    class Meta:
        ref_name = "LeadQualifyInput"


class DisqualifyInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)

    class Meta:
        ref_name = "LeadDisqualifyInput"


class ConvertInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, coerce_to_string=True
    )
    expected_close_on = serializers.DateField(required=False)

    class Meta:
        ref_name = "LeadConvertInput"


class LeadOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id")
    party = RefSerializer()
    region = RefSerializer(allow_null=True)
    owner = RefSerializer(allow_null=True)
    source = RefSerializer(allow_null=True)
    stage = serializers.CharField(help_text=f"One of {STAGES}.")
    channel = serializers.CharField(help_text="`ui`, `web_form`, `api` or `import`.")
    score_source = serializers.CharField(help_text="`checklist` or `model`.")
    opportunity = serializers.IntegerField(source="opportunity_id", allow_null=True)
    possible_duplicates = serializers.ListField(child=serializers.IntegerField(), help_text="Customer ids.")
    qualification = serializers.DictField(child=serializers.BooleanField())
    score_factors = serializers.JSONField()

    class Meta:
        model = Lead
        ref_name = "Lead"
        fields = [
            "id",
            "legal_entity",
            "party",
            "region",
            "owner",
            "source",
            "channel",
            "stage",
            "created_at",
            "first_contact_due_at",
            "first_contact_at",
            "estimated_amount",
            "qualification",
            "checklist_score",
            "score",
            "score_source",
            "score_factors",
            "disqualify_reason",
            "opportunity",
            "converted_at",
            "possible_duplicates",
            "contact_name",
            "company",
            "organisation_number",
            "email",
            "phone",
            "postal_code",
            "country",
            "industry",
            "company_size",
            "message",
        ]
        read_only_fields = fields


def _parse(serializer_class: type[serializers.Serializer], data: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _key(request: Request) -> str:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > 100:
        raise exceptions.ValidationError(
            {"Idempotency-Key": [gettext("The idempotency key has at most 100 characters.")]}
        )
    return key


def service_error(exc: DjangoValidationError) -> exceptions.APIException:
    return django_validation_error_to_drf(exc)


def _detail(request: Request, lead: Lead, code: int = status.HTTP_200_OK) -> Response:
    return Response(LeadOutputSerializer(selectors.lead_get(user=request.user, pk=lead.pk)).data, status=code)


def _field_error(field: str, message: str, code: str = "invalid") -> exceptions.ValidationError:
    exc = exceptions.ValidationError({field: [message]})
    exc.domain_code = code  # type: ignore[attr-defined]
    return exc


WRITE_RESPONSES = error_responses(*WRITE_ERRORS, 404)


class LeadListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, "leads.add_lead"]}

    @extend_schema(
        operation_id="leads_list",
        summary="List leads",
        description="Visible leads, newest first (a rep: own leads and the unassigned ones of their region).",
        parameters=[LeadFilterSerializer],
        responses={200: LeadOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(LeadFilterSerializer, request.query_params, request)
        qs = selectors.lead_list(user=request.user, **filters)
        return paginated_response(
            queryset=qs, serializer_class=LeadOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="leads_create",
        summary="Create a lead",
        description="Creates a lead (201): routed by the rules and round-robin unless a region or owner "
        "is given, linked to a matching customer or with a new prospect. With an `Idempotency-Key` "
        "header, a repeated call returns the first call's lead with status 200.",
        parameters=[IDEMPOTENCY_HEADER],
        request=LeadInputSerializer,
        responses={200: LeadOutputSerializer, 201: LeadOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        from frontoffice.core.scoping import visible_to
        from frontoffice.org.models import Region, User
        from frontoffice.receivables.selectors.payments import working_legal_entity

        key = _key(request)
        data = _parse(LeadInputSerializer, request.data, request)
        if key:
            previous = Lead.objects.filter(created_by=request.user, idempotency_key=key).first()
            if previous is not None:
                return _detail(request, previous)
        source = None
        if data.get("source"):
            source = visible_to(LeadSource.objects.all(), request.user).filter(pk=data["source"]).first()
            if source is None:
                raise _field_error("source", gettext("Unknown lead source."), "unknown_source")
        legal_entity = (
            source.legal_entity
            if source
            else working_legal_entity(user=request.user, legal_entity=data.get("legal_entity"))
        )
        region = None
        if data.get("region"):
            region = Region.objects.filter(legal_entity=legal_entity, code__iexact=data["region"]).first()
            if region is None:
                raise _field_error(
                    "region",
                    gettext("Unknown region “%(code)s”.") % {"code": data["region"]},
                    "unknown_region",
                )
        owner = None
        if data.get("owner"):
            owner = User.objects.filter(pk=data["owner"], is_active=True).first()
            if owner is None:
                raise _field_error("owner", gettext("Unknown user."), "unknown_owner")
        contact = {
            k: v
            for k, v in data.items()
            if k not in ("legal_entity", "source", "region", "owner", "estimated_amount")
        }
        try:
            lead = lead_create(
                actor=request.user,
                data=contact,
                channel=Lead.Channel.API,
                source=source,
                legal_entity=legal_entity,
                region=region,
                owner=owner,
                idempotency_key=key,
                estimated_amount=data.get("estimated_amount"),
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, lead, status.HTTP_201_CREATED)


class LeadDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW], "PATCH": [VIEW, "leads.change_lead"]}

    @extend_schema(
        operation_id="leads_retrieve",
        summary="Get one lead",
        parameters=[ID_PATH_PARAM],
        responses={200: LeadOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(LeadOutputSerializer(selectors.lead_get(user=request.user, pk=id)).data)

    @extend_schema(
        operation_id="leads_partial_update",
        summary="Change a lead",
        description="Changes the lead's `estimated_amount` (the only field that can change here; "
        "others are refused with 400). Open leads only. Raising the value of an owned lead above "
        "the high-value threshold is refused with `certificate_required` while the owner lacks "
        "the required certificate; lowering it is never refused.",
        parameters=[ID_PATH_PARAM],
        request=LeadUpdateInputSerializer,
        responses={200: LeadOutputSerializer, **WRITE_RESPONSES},
    )
    def patch(self, request: Request, id: int) -> Response:
        lead = selectors.lead_get(user=request.user, pk=id)
        data = _parse(LeadUpdateInputSerializer, request.data, request)
        try:
            lead = lead_update(actor=request.user, lead=lead, **data)
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, lead)


class LeadAssignApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "leads.change_lead"]}

    @extend_schema(
        operation_id="leads_assign",
        summary="Reassign a lead",
        description="Gives the lead to another rep (needs `leads.assign_lead`; a rep may take an "
        "unassigned lead of their region). The reason goes on the lead's history.",
        parameters=[ID_PATH_PARAM],
        request=AssignInputSerializer,
        responses={200: LeadOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        from frontoffice.org.models import User

        lead = selectors.lead_get(user=request.user, pk=id)
        data = _parse(AssignInputSerializer, request.data, request)
        owner = None
        if data.get("owner"):
            owner = User.objects.filter(pk=data["owner"], is_active=True).first()
            if owner is None:
                raise _field_error("owner", gettext("Unknown user."), "unknown_owner")
        try:
            lead = lead_assign(actor=request.user, lead=lead, owner=owner, reason=data["reason"])
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, lead)


class LeadQualifyApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "leads.qualify_lead"]}

    @extend_schema(
        operation_id="leads_qualify",
        summary="Save the checklist (and qualify)",
        description="Saves the qualification checklist answers (the checklist score follows); with "
        "`qualified: true` the lead moves to qualified.",
        parameters=[ID_PATH_PARAM],
        request=QualifyInputSerializer,
        responses={200: LeadOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        lead = selectors.lead_get(user=request.user, pk=id)
        data = _parse(QualifyInputSerializer, request.data, request)
        try:
            lead = lead_qualify(
                actor=request.user,
                lead=lead,
                answers=data["answers"],
                qualified=data["qualified"],
                note=data["note"],
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, lead)


class LeadDisqualifyApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "leads.qualify_lead"]}

    @extend_schema(
        operation_id="leads_disqualify",
        summary="Disqualify a lead",
        parameters=[ID_PATH_PARAM],
        request=DisqualifyInputSerializer,
        responses={200: LeadOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        lead = selectors.lead_get(user=request.user, pk=id)
        data = _parse(DisqualifyInputSerializer, request.data, request)
        try:
            lead = lead_disqualify(actor=request.user, lead=lead, reason=data["reason"])
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, lead)


class LeadConvertApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, "leads.convert_lead"]}

    @extend_schema(
        operation_id="leads_convert",
        summary="Convert a qualified lead to an opportunity",
        description="Creates the sales opportunity for the lead's customer (`not_qualified` unless the "
        "lead is qualified). Returns the lead with its `opportunity` id.",
        parameters=[ID_PATH_PARAM],
        request=ConvertInputSerializer,
        responses={200: LeadOutputSerializer, **WRITE_RESPONSES},
    )
    def post(self, request: Request, id: int) -> Response:
        lead = selectors.lead_get(user=request.user, pk=id)
        data = _parse(ConvertInputSerializer, request.data, request)
        try:
            lead_convert(
                actor=request.user,
                lead=lead,
                name=data.get("name", ""),
                amount=data.get("amount"),
                expected_close_on=data.get("expected_close_on"),
            )
        except DjangoValidationError as exc:
            raise service_error(exc) from exc
        return _detail(request, lead)


urlpatterns = [
    path("", LeadListCreateApi.as_view(), name="api-leads"),
    path("<int:id>/", LeadDetailApi.as_view(), name="api-lead-detail"),
    path("<int:id>/assign/", LeadAssignApi.as_view(), name="api-lead-assign"),
    path("<int:id>/qualify/", LeadQualifyApi.as_view(), name="api-lead-qualify"),
    path("<int:id>/disqualify/", LeadDisqualifyApi.as_view(), name="api-lead-disqualify"),
    path("<int:id>/convert/", LeadConvertApi.as_view(), name="api-lead-convert"),
]
