"""``/api/v1/rfps/``: RFPs (list, register, read, change), requirements (list, add, answer), the
review flow (submit for review, approve, reject), outcome, and the answer library search.

An RFP may be linked to a sales opportunity (``opportunity``, on create and change) as the
opportunity page's "Register RFP" does: the opportunity must be in the caller's scope and of the
RFP's customer. An id outside the scope gets the same 400 as an id that does not exist.

The views call the same selectors and services as the desk; errors use the one API error shape
with the service's code (``missing_answers``, ``own_rfp``, ``wrong_status``, ...).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.serializers import IdField, RefSerializer
from frontoffice.rfps import selectors, services
from frontoffice.rfps.models import OUTCOME_CHOICES, AnswerLibraryEntry, Requirement, Rfp, RfpStatus

VIEW = "rfps.view_rfp"
CHANGE = "rfps.change_rfp"
APPROVE = "rfps.approve_rfp"


class RequirementSerializer(serializers.ModelSerializer):
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    source_entry = serializers.IntegerField(source="source_entry_id", allow_null=True)

    class Meta:
        model = Requirement
        ref_name = "RfpRequirement"
        fields = [
            "id",
            "number",
            "text",
            "mandatory",
            "owner",
            "status",
            "answer",
            "source_entry",
            "answered_at",
        ]
        read_only_fields = fields


class RfpSerializer(serializers.ModelSerializer):
    party = RefSerializer()
    owner = serializers.IntegerField(source="owner_id")
    region = serializers.IntegerField(source="region_id", allow_null=True)
    opportunity = serializers.IntegerField(source="opportunity_id", allow_null=True)
    status = serializers.CharField(
        help_text="draft, in_progress, in_review, approved, submitted, won, lost, withdrawn"
    )

    class Meta:
        model = Rfp
        ref_name = "Rfp"
        fields = [
            "id",
            "legal_entity",
            "party",
            "reference",
            "title",
            "description",
            "received_on",
            "due_at",
            "owner",
            "region",
            "opportunity",
            "language",
            "status",
            "outcome_reason",
            "submitted_at",
            "approved_by",
            "approved_at",
            "created_at",
        ]
        read_only_fields = fields


class RfpDetailSerializer(RfpSerializer):
    requirements = RequirementSerializer(many=True, source="requirements_list")
    contributors = serializers.SerializerMethodField()

    class Meta(RfpSerializer.Meta):
        ref_name = "RfpDetail"
        fields = [*RfpSerializer.Meta.fields, "contributors", "requirements"]
        read_only_fields = fields

    def get_contributors(self, obj: Rfp) -> list[int]:
        return [u.pk for u in obj.contributors.all()]


class RfpInputSerializer(serializers.Serializer):
    party = IdField(help_text="Issuer (customer) id.")
    title = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    received_on = serializers.DateField(required=False)
    due_at = serializers.DateTimeField()
    owner = IdField(required=False, allow_null=True)
    contributors = serializers.ListField(child=IdField(), required=False, default=list)
    language = serializers.ChoiceField(choices=["sv", "en"], default="sv")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    opportunity = IdField(
        required=False,
        allow_null=True,
        help_text="Sales opportunity to link the RFP to: one you can see, of the same customer "
        "(`party`). Unknown or outside your scope → 400 on `opportunity`.",
    )

    class Meta:
        ref_name = "RfpInput"


class RfpUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    received_on = serializers.DateField(required=False)
    due_at = serializers.DateTimeField(required=False)
    owner = IdField(required=False, help_text="Hand the RFP over (the owner or a manager).")
    contributors = serializers.ListField(
        child=IdField(), required=False, help_text="Replaces the contributors."
    )
    language = serializers.ChoiceField(choices=["sv", "en"], required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    opportunity = IdField(
        required=False,
        allow_null=True,
        help_text="Link to this sales opportunity (one you can see, of the RFP's customer), or null "
        "to unlink. Unknown or outside your scope → 400 on `opportunity`.",
    )

    class Meta:
        ref_name = "RfpUpdateInput"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [gettext("This field cannot be changed here.")] for name in unknown}
            )
        return attrs


class RfpFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100)
    status = serializers.ChoiceField(choices=["open", *RfpStatus.values], required=False)
    owner = IdField(required=False)
    due_from = serializers.DateField(required=False)
    due_to = serializers.DateField(required=False)
    overdue = serializers.BooleanField(required=False, default=False)

    class Meta:
        ref_name = "RfpFilter"


class RequirementInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    text = serializers.CharField()
    mandatory = serializers.BooleanField(default=True)

    class Meta:
        ref_name = "RfpRequirementInput"


class AnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(required=False, allow_blank=True)
    library_entry = IdField(required=False, allow_null=True, help_text="Reuse this approved library answer.")
    not_applicable = serializers.BooleanField(default=False)

    class Meta:
        ref_name = "RfpAnswerInput"


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "RfpCommentInput"


class OutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[c[0] for c in OUTCOME_CHOICES])
    reason = serializers.CharField()

    class Meta:
        ref_name = "RfpOutcomeInput"


class LibraryEntrySerializer(serializers.ModelSerializer):
    approved = serializers.BooleanField(source="is_approved")

    class Meta:
        model = AnswerLibraryEntry
        ref_name = "RfpLibraryEntry"
        fields = [
            "id",
            "question",
            "answer",
            "tags",
            "language",
            "approved",
            "approved_at",
            "usage_count",
            "last_used_at",
        ]
        read_only_fields = fields


class LibraryFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    language = serializers.ChoiceField(choices=["sv", "en"], required=False)
    approved = serializers.BooleanField(required=False, default=False)

    class Meta:
        ref_name = "RfpLibraryFilter"


def _parse(cls: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = cls(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _opportunity(user: Any, pk: int | None, *, current: Any = None) -> Any:
    """The opportunity ``pk`` if the user may see it (``current``, the RFP's linked one, is
    kept as it is); else a 400 on ``opportunity`` that is the same for an id outside the
    user's scope and an id that does not exist."""
    if pk is None:
        return None
    if current is not None and current.pk == pk:
        return current
    from frontoffice.core.scoping import visible_to
    from frontoffice.sales.models import Opportunity

    opportunity = visible_to(Opportunity.objects.all(), user).filter(pk=pk).first()
    if opportunity is None:
        raise serializers.ValidationError({"opportunity": [gettext("Unknown opportunity.")]})
    return opportunity


def _detail(request: Request, rfp: Rfp, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.rfp_get(user=request.user, pk=rfp.pk)
    fresh.requirements_list = list(selectors.rfp_requirements(rfp=fresh))
    return Response(RfpDetailSerializer(fresh).data, status=code)


class RfpListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW], "POST": [VIEW, "rfps.add_rfp"]}

    @extend_schema(
        operation_id="rfps_list",
        summary="List RFPs",
        parameters=[RfpFilterSerializer],
        responses=RfpSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = {
            k: v
            for k, v in _parse(RfpFilterSerializer, request.query_params).items()
            if v not in ("", None, False)
        }
        return paginated_response(
            queryset=selectors.rfp_list(user=request.user, **filters),
            serializer_class=RfpSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="rfps_create",
        summary="Register an RFP",
        request=RfpInputSerializer,
        responses={201: RfpDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        from frontoffice.parties.models import Party
        from frontoffice.rfps.forms import colleagues

        data = _parse(RfpInputSerializer, request.data)
        party = selectors.get_visible_party_or_404(request.user, data["party"], Party)
        people = colleagues(request.user, party.legal_entity_id)
        owner = people.filter(pk=data["owner"]).first() if data.get("owner") else None
        if data.get("owner") and owner is None:
            raise serializers.ValidationError({"owner": ["Unknown user."]})
        contributors = list(people.filter(pk__in=data.get("contributors") or []))
        opportunity = _opportunity(request.user, data.get("opportunity"))
        rfp = services.rfp_create(
            actor=request.user,
            party=party,
            title=data["title"],
            reference=data.get("reference", ""),
            received_on=data.get("received_on"),
            due_at=data["due_at"],
            owner=owner,
            contributors=contributors,
            language=data["language"],
            description=data.get("description", ""),
            opportunity=opportunity,
        )
        return _detail(request, rfp, status.HTTP_201_CREATED)


class RfpDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW], "PATCH": [VIEW, CHANGE]}

    @extend_schema(
        operation_id="rfps_retrieve",
        summary="Read an RFP with its requirements",
        responses=RfpDetailSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, selectors.rfp_get(user=request.user, pk=pk))

    @extend_schema(
        operation_id="rfps_partial_update",
        summary="Change an RFP",
        description="Changes the given fields, as the RFP's edit page does, and links or unlinks "
        "the opportunity (`opportunity`: an id you can see of the RFP's customer, or null). A "
        "closed RFP cannot change (`closed`); handing it over needs the owner or a manager.",
        request=RfpUpdateInputSerializer,
        responses=RfpDetailSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        from frontoffice.rfps.forms import colleagues

        rfp = selectors.rfp_get(user=request.user, pk=pk)
        data = _parse(RfpUpdateInputSerializer, request.data)
        people = colleagues(request.user, rfp.legal_entity_id)
        if "owner" in data:
            owner = people.filter(pk=data["owner"]).first()
            if owner is None:
                raise serializers.ValidationError({"owner": [gettext("Unknown user.")]})
            data["owner"] = owner
        contributors = None
        if "contributors" in data:
            contributors = list(people.filter(pk__in=data.pop("contributors")))
        if "opportunity" in data:
            data["opportunity"] = _opportunity(request.user, data["opportunity"], current=rfp.opportunity)
        services.rfp_update(actor=request.user, rfp=rfp, contributors=contributors, **data)
        return _detail(request, rfp)


class RequirementListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW], "POST": [VIEW, CHANGE]}

    @extend_schema(
        operation_id="rfps_requirements_list",
        summary="Requirements of an RFP",
        responses=RequirementSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        rfp = selectors.rfp_get(user=request.user, pk=pk)
        return Response(RequirementSerializer(selectors.rfp_requirements(rfp=rfp), many=True).data)

    @extend_schema(
        operation_id="rfps_requirements_create",
        summary="Add a requirement",
        request=RequirementInputSerializer,
        responses={201: RequirementSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        rfp = selectors.rfp_get(user=request.user, pk=pk)
        data = _parse(RequirementInputSerializer, request.data)
        requirement = services.requirement_add(actor=request.user, rfp=rfp, **data)
        return Response(RequirementSerializer(requirement).data, status=status.HTTP_201_CREATED)


class RequirementAnswerApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"POST": [VIEW, CHANGE]}

    @extend_schema(
        operation_id="rfps_requirements_answer",
        summary="Answer a requirement",
        request=AnswerInputSerializer,
        responses=RequirementSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        requirement = selectors.requirement_get(user=request.user, pk=pk)
        data = _parse(AnswerInputSerializer, request.data)
        entry = (
            selectors.library_get(user=request.user, pk=data["library_entry"])
            if data.get("library_entry")
            else None
        )
        requirement = services.requirement_answer(
            actor=request.user,
            requirement=requirement,
            answer=data.get("answer"),
            library_entry=entry,
            not_applicable=data["not_applicable"],
        )
        return Response(RequirementSerializer(requirement).data)


def _action_view(
    operation: str, summary: str, perms: list[str], call, input_serializer=CommentInputSerializer
):
    class ActionApi(APIView):
        permission_classes = [IsAuthenticated, HasPerms]
        required_perms = {"POST": perms}

        @extend_schema(
            operation_id=operation, summary=summary, request=input_serializer, responses=RfpDetailSerializer
        )
        def post(self, request: Request, pk: int) -> Response:
            rfp = selectors.rfp_get(user=request.user, pk=pk)
            data = _parse(input_serializer, request.data)
            call(request.user, rfp, data)
            return _detail(request, rfp)

    ActionApi.__name__ = f"{operation.title().replace('_', '')}Api"
    return ActionApi


SubmitForReviewApi = _action_view(
    "rfps_submit_for_review",
    "Send the response for review",
    [VIEW, CHANGE],
    lambda user, rfp, d: services.rfp_submit_for_review(actor=user, rfp=rfp, comment=d.get("comment", "")),
)
ApproveApi = _action_view(
    "rfps_approve",
    "Approve the response (manager; not the owner; mandatory requirements answered)",
    [VIEW, APPROVE],
    lambda user, rfp, d: services.rfp_approve(actor=user, rfp=rfp, comment=d.get("comment", "")),
)
RejectApi = _action_view(
    "rfps_reject",
    "Send the response back to the owner with a comment",
    [VIEW, APPROVE],
    lambda user, rfp, d: services.rfp_reject(actor=user, rfp=rfp, comment=d.get("comment", "")),
)
MarkSubmittedApi = _action_view(
    "rfps_mark_submitted",
    "Mark the approved response submitted to the issuer",
    [VIEW, CHANGE],
    lambda user, rfp, d: services.rfp_mark_submitted(actor=user, rfp=rfp),
)
OutcomeApi = _action_view(
    "rfps_outcome",
    "Record the outcome (won, lost, withdrawn) with a reason",
    [VIEW, CHANGE],
    lambda user, rfp, d: services.rfp_set_outcome(
        actor=user, rfp=rfp, outcome=d["outcome"], reason=d["reason"]
    ),
    OutcomeInputSerializer,
)


class LibrarySearchApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW]}

    @extend_schema(
        operation_id="rfps_library_search",
        summary="Search the answer library",
        parameters=[LibraryFilterSerializer],
        responses=LibraryEntrySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        data = _parse(LibraryFilterSerializer, request.query_params)
        qs = selectors.library_search(
            user=request.user,
            q=data.get("q", ""),
            language=data.get("language", ""),
            approved_only=data["approved"],
        )
        return paginated_response(
            queryset=qs, serializer_class=LibraryEntrySerializer, request=request, view=self
        )


urlpatterns = [
    path("", RfpListCreateApi.as_view(), name="api-rfps"),
    path("library/", LibrarySearchApi.as_view(), name="api-rfps-library"),
    path("<int:pk>/", RfpDetailApi.as_view(), name="api-rfp"),
    path("<int:pk>/requirements/", RequirementListApi.as_view(), name="api-rfp-requirements"),
    path("<int:pk>/submit-for-review/", SubmitForReviewApi.as_view(), name="api-rfp-submit-for-review"),
    path("<int:pk>/approve/", ApproveApi.as_view(), name="api-rfp-approve"),
    path("<int:pk>/reject/", RejectApi.as_view(), name="api-rfp-reject"),
    path("<int:pk>/submitted/", MarkSubmittedApi.as_view(), name="api-rfp-mark-submitted"),
    path("<int:pk>/outcome/", OutcomeApi.as_view(), name="api-rfp-outcome"),
    path("requirements/<int:pk>/answer/", RequirementAnswerApi.as_view(), name="api-rfp-requirement-answer"),
]
