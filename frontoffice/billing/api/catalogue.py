"""``/api/v1/billing/``: products, VAT codes and customers' billing profiles.

Small APIViews over the same selectors and services as the pages: a missing permission is a
403 before any row is looked up, a row outside the user's scope a 404, and a service's
``ValidationError`` the one error shape naming each field. Amounts are decimal strings in the
legal entity's currency (``currency``); VAT codes, product groups and accounts are named by
their code or number, looked up in the row's legal entity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from frontoffice.api.pagination import PageNumberPagination, paginated_response
from frontoffice.api.permissions import HasPerms
from frontoffice.api.schema import READ_ERRORS, WRITE_ERRORS, error_responses, language_choices
from frontoffice.api.serializers import IdField, RefSerializer, ScopedPrimaryKeyRelatedField
from frontoffice.billing.models import BillingProfile, DeliveryMethod, Product, Unit, VatCategory, VatCode
from frontoffice.billing.selectors import catalogue as selectors
from frontoffice.billing.selectors import profiles as profile_selectors
from frontoffice.billing.services import catalogue as services
from frontoffice.billing.services.profiles import billing_profile_create, billing_profile_update
from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.parties.models import Party

VIEW_PRODUCT = "billing.view_product"
VIEW_VAT = "billing.view_vatcode"
VIEW_PROFILE = "billing.view_billingprofile"
PRODUCT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Product id.")
PROFILE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Billing profile id.")
PARTY_ID = OpenApiParameter("party_id", int, OpenApiParameter.PATH, description="Customer id.")
MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


def _parse(
    serializer_class: type[serializers.Serializer], data: Any, request: Request, *, partial: bool = False
) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request}, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _entity(request: Request, legal_entity: Any) -> Any:
    entity = selectors.billing_entity_for(user=request.user, legal_entity=legal_entity)
    if entity is None:
        raise Http404
    return entity


# ------------------------------------------------------------------------------------ products


class ProductOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id", read_only=True)
    group = serializers.CharField(
        source="group.code", allow_null=True, read_only=True, help_text="Group code."
    )
    unit_price_amount = serializers.DecimalField(read_only=True, help_text="Excluding VAT.", **MONEY)
    currency = serializers.CharField(source="legal_entity.base_currency", read_only=True)
    vat_code = serializers.CharField(source="vat_code.code", read_only=True)
    vat_rate = serializers.DecimalField(
        source="vat_code.rate", max_digits=5, decimal_places=2, read_only=True
    )
    revenue_account = serializers.CharField(
        source="revenue_account.number",
        allow_null=True,
        read_only=True,
        help_text="Account number overriding the VAT code's; null: the VAT code's account.",
    )

    class Meta:
        model = Product
        ref_name = "BillingProduct"
        fields = [
            "id",
            "legal_entity",
            "code",
            "name",
            "description",
            "kind",
            "group",
            "unit",
            "unit_price_amount",
            "currency",
            "vat_code",
            "vat_rate",
            "revenue_account",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProductInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Product.Kind.choices, default=Product.Kind.SERVICE)
    group = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, help_text="Product group code."
    )
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.PIECE, help_text="UN/ECE Rec 20 code.")
    unit_price_amount = serializers.DecimalField(
        min_value=Decimal("0"), help_text="Excluding VAT, e.g. `850.00`.", **MONEY
    )
    vat_code = serializers.CharField(max_length=20, help_text="Code of an active VAT code, e.g. `SE25`.")
    revenue_account = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Income account number overriding the VAT code's.",
    )
    active = serializers.BooleanField(default=True)

    class Meta:
        ref_name = "BillingProductInput"


class ProductCreateSerializer(ProductInputSerializer):
    legal_entity = IdField(
        required=False, help_text="Legal entity id; default your own (organisation-wide users may pick)."
    )

    class Meta:
        ref_name = "BillingProductCreate"


class ProductFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False, help_text="Legal entity id (organisation-wide users).")
    q = serializers.CharField(required=False, max_length=100, help_text="Code prefix or part of the name.")
    group = IdField(required=False, help_text="Product group id.")
    active = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="`true` or `false`; both when absent."
    )

    class Meta:
        ref_name = "BillingProductFilter"


def _product_page(qs: Any) -> Any:
    return qs.select_related("legal_entity")


class ProductListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW_PRODUCT], "POST": [VIEW_PRODUCT, "billing.add_product"]}

    @extend_schema(
        operation_id="billing_products_list",
        summary="List products",
        description="The products of your legal entity, by code.",
        parameters=[ProductFilterSerializer],
        responses={200: ProductOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(ProductFilterSerializer, request.query_params, request)
        qs = selectors.product_list(
            user=request.user,
            legal_entity=_entity(request, filters.get("legal_entity")),
            query=filters.get("q", ""),
            group=filters.get("group"),
            active=None if "active" not in filters else filters["active"] == "true",
        )
        return paginated_response(
            queryset=_product_page(qs), serializer_class=ProductOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="billing_products_create",
        summary="Create a product",
        description="Codes are unique per legal entity (stored upper-case). The VAT code must be "
        "active; `revenue_account` must be an income account.",
        request=ProductCreateSerializer,
        responses={201: ProductOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(ProductCreateSerializer, request.data, request)
        entity = _entity(request, data.pop("legal_entity", None))
        product = services.product_create(actor=request.user, legal_entity=entity, **data)
        product = selectors.product_get(user=request.user, pk=product.pk)
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW_PRODUCT], "PATCH": [VIEW_PRODUCT, "billing.change_product"]}

    @extend_schema(
        operation_id="billing_products_retrieve",
        summary="Get one product",
        parameters=[PRODUCT_ID],
        responses={200: ProductOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(ProductOutputSerializer(selectors.product_get(user=request.user, pk=id)).data)

    @extend_schema(
        operation_id="billing_products_partial_update",
        summary="Change a product",
        description="Only the fields sent change; `active: false` takes the product out of use. "
        "Invoices already issued keep what they were issued with.",
        parameters=[PRODUCT_ID],
        request=ProductInputSerializer,
        responses={200: ProductOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def patch(self, request: Request, id: int) -> Response:
        product = selectors.product_get(user=request.user, pk=id)
        data = _parse(ProductInputSerializer, request.data, request, partial=True)
        services.product_update(actor=request.user, product=product, **data)
        return Response(ProductOutputSerializer(selectors.product_get(user=request.user, pk=id)).data)


# ----------------------------------------------------------------------------------- VAT codes


class VatCodeOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id", read_only=True)
    category = serializers.ChoiceField(
        choices=VatCategory.choices, read_only=True, help_text="UNCL 5305, as Peppol BIS 3 uses it."
    )
    revenue_account = serializers.CharField(source="revenue_account.number", read_only=True)
    vat_account = serializers.CharField(source="vat_account.number", allow_null=True, read_only=True)

    class Meta:
        model = VatCode
        ref_name = "BillingVatCode"
        fields = [
            "id",
            "legal_entity",
            "code",
            "name_sv",
            "name_en",
            "category",
            "rate",
            "revenue_account",
            "vat_account",
            "exemption_reason",
            "active",
        ]
        read_only_fields = fields


class VatCodeFilterSerializer(serializers.Serializer):
    legal_entity = IdField(required=False, help_text="Legal entity id (organisation-wide users).")
    active = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="`true` or `false`; both when absent."
    )

    class Meta:
        ref_name = "BillingVatCodeFilter"


class VatCodeListApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW_VAT]}

    @extend_schema(
        operation_id="billing_vat_codes_list",
        summary="List VAT codes",
        description="The VAT codes of your legal entity with the accounts they post to.",
        parameters=[VatCodeFilterSerializer],
        responses={200: VatCodeOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(VatCodeFilterSerializer, request.query_params, request)
        qs = selectors.vat_code_list(
            user=request.user,
            legal_entity=_entity(request, filters.get("legal_entity")),
            active=None if "active" not in filters else filters["active"] == "true",
        )
        return paginated_response(
            queryset=qs, serializer_class=VatCodeOutputSerializer, request=request, view=self
        )


# ---------------------------------------------------------------------------- billing profiles


class ProfileOutputSerializer(serializers.ModelSerializer):
    legal_entity = serializers.IntegerField(source="legal_entity_id", read_only=True)
    party = RefSerializer(help_text="The customer.")
    credit_limit_amount = serializers.DecimalField(
        allow_null=True, read_only=True, help_text="Null: no limit.", **MONEY
    )
    default_vat_code = serializers.CharField(
        source="default_vat_code.code", allow_null=True, read_only=True, help_text="VAT code override."
    )

    class Meta:
        model = BillingProfile
        ref_name = "BillingProfile"
        fields = [
            "id",
            "legal_entity",
            "party",
            "legal_name",
            "organisation_number",
            "vat_number",
            "street",
            "postal_code",
            "city",
            "country",
            "billing_email",
            "payment_terms_days",
            "credit_limit_amount",
            "currency",
            "delivery",
            "peppol_id",
            "buyer_reference",
            "language",
            "default_vat_code",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProfileInputSerializer(serializers.Serializer):
    legal_name = serializers.CharField(max_length=200)
    organisation_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="Swedish: NNNNNN-NNNN."
    )
    vat_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="E.g. `SE556036079301`."
    )
    street = serializers.CharField(max_length=200)
    postal_code = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, default="SE", help_text="ISO 3166 alpha-2.")
    billing_email = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for e-mail delivery.",
    )
    payment_terms_days = serializers.IntegerField(
        required=False, help_text="0 to 365; default the legal entity's terms."
    )
    credit_limit_amount = serializers.DecimalField(
        required=False,
        allow_null=True,
        default=None,
        min_value=Decimal("0"),
        help_text="Null: no limit.",
        **MONEY,
    )
    currency = serializers.CharField(max_length=3, default="SEK", help_text="Only `SEK` for now.")
    delivery = serializers.ChoiceField(choices=DeliveryMethod.choices, default=DeliveryMethod.EMAIL)
    peppol_id = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="`scheme:identifier`, e.g. `0007:5560360793`; required for Peppol delivery.",
    )
    buyer_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(
        choices=language_choices(), default="sv", help_text="Invoice language."
    )
    default_vat_code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, allow_null=True, default=None, help_text="VAT code."
    )
    active = serializers.BooleanField(default=True)

    class Meta:
        ref_name = "BillingProfileInput"


def _visible_parties(queryset: Any, user: Any) -> Any:
    return visible_to(queryset.filter(merged_into__isnull=True), user)


class ProfileCreateSerializer(ProfileInputSerializer):
    party = ScopedPrimaryKeyRelatedField(
        queryset=Party.objects.all(), scope=_visible_parties, help_text="Customer id."
    )

    class Meta:
        ref_name = "BillingProfileCreate"


class ProfileFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100, help_text="Name, organisation or VAT number.")
    party = IdField(required=False, help_text="Customer id.")

    class Meta:
        ref_name = "BillingProfileFilter"


def _profile_out(request: Request, pk: int) -> dict[str, Any]:
    return ProfileOutputSerializer(profile_selectors.billing_profile_get(user=request.user, pk=pk)).data


class ProfileListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    pagination_class = PageNumberPagination
    required_perms = {"read": [VIEW_PROFILE], "POST": [VIEW_PROFILE, "billing.add_billingprofile"]}

    @extend_schema(
        operation_id="billing_profiles_list",
        summary="List billing profiles",
        description="Profiles of the customers in your scope (a sales rep: own customers), by name.",
        parameters=[ProfileFilterSerializer],
        responses={200: ProfileOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        filters = _parse(ProfileFilterSerializer, request.query_params, request)
        qs = profile_selectors.billing_profile_list(
            user=request.user, query=filters.get("q", ""), party=filters.get("party")
        )
        return paginated_response(
            queryset=qs, serializer_class=ProfileOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="billing_profiles_create",
        summary="Create a customer's billing profile",
        description="One profile per customer (code `invalid` with `party` named when it exists). "
        "A sales rep sets up billing for their own customers only (403 otherwise).",
        request=ProfileCreateSerializer,
        responses={201: ProfileOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = _parse(ProfileCreateSerializer, request.data, request)
        profile = billing_profile_create(actor=request.user, **data)
        return Response(_profile_out(request, profile.pk), status=status.HTTP_201_CREATED)


class ProfileDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW_PROFILE], "PATCH": [VIEW_PROFILE, "billing.change_billingprofile"]}

    @extend_schema(
        operation_id="billing_profiles_retrieve",
        summary="Get one billing profile",
        parameters=[PROFILE_ID],
        responses={200: ProfileOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(_profile_out(request, id))

    @extend_schema(
        operation_id="billing_profiles_partial_update",
        summary="Change a billing profile",
        description="Only the fields sent change; the customer never does. Issued invoices keep "
        "the buyer details they were issued with.",
        parameters=[PROFILE_ID],
        request=ProfileInputSerializer,
        responses={200: ProfileOutputSerializer, **error_responses(*WRITE_ERRORS, 404)},
    )
    def patch(self, request: Request, id: int) -> Response:
        profile = profile_selectors.billing_profile_get(user=request.user, pk=id)
        data = _parse(ProfileInputSerializer, request.data, request, partial=True)
        billing_profile_update(actor=request.user, profile=profile, **data)
        return Response(_profile_out(request, id))


class PartyProfileApi(APIView):
    permission_classes = [IsAuthenticated, HasPerms]
    required_perms = {"read": [VIEW_PROFILE, "parties.view_party"]}

    @extend_schema(
        operation_id="billing_party_profile_retrieve",
        summary="Get a customer's billing profile",
        description="404 when the customer is outside your scope or has no profile yet.",
        parameters=[PARTY_ID],
        responses={200: ProfileOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, party_id: int) -> Response:
        party = get_visible_or_404(Party.objects.all(), request.user, pk=party_id)
        profile = profile_selectors.billing_profile_for_party(user=request.user, party=party)
        if profile is None:
            raise Http404
        return Response(_profile_out(request, profile.pk))


urlpatterns = [
    path("products/", ProductListCreateApi.as_view(), name="billing-product-list"),
    path("products/<int:id>/", ProductDetailApi.as_view(), name="billing-product-detail"),
    path("vat-codes/", VatCodeListApi.as_view(), name="billing-vat-code-list"),
    path("profiles/", ProfileListCreateApi.as_view(), name="billing-profile-list"),
    path("profiles/<int:id>/", ProfileDetailApi.as_view(), name="billing-profile-detail"),
    path("customers/<int:party_id>/profile/", PartyProfileApi.as_view(), name="billing-party-profile"),
]
