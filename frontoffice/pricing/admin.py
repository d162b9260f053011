"""Django admin for superusers: read-only, since every change goes through the services (they
check authority, route approvals and write the audit trail)."""

from typing import Any

from django.contrib import admin

from frontoffice.pricing.models import (
    ApprovalDecision,
    ApprovalRequest,
    DiscountAuthority,
    PriceProfile,
    PriceRule,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class PriceRuleInline(admin.TabularInline):
    model = PriceRule
    extra = 0
    can_delete = False
    readonly_fields = [
        "product_group",
        "product",
        "kind",
        "discount_percent",
        "unit_price_amount",
        "min_quantity",
    ]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(PriceProfile)
class PriceProfileAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "party",
        "status",
        "valid_from",
        "valid_to",
        "max_discount_percent",
        "approved_by",
    ]
    list_filter = ["status", "legal_entity"]
    list_select_related = ["party", "approved_by"]
    search_fields = ["name", "party__display_name"]
    inlines = [PriceRuleInline]


@admin.register(DiscountAuthority)
class DiscountAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["legal_entity", "role", "max_discount_percent", "updated_by", "updated_at"]
    list_select_related = ["legal_entity", "role", "updated_by"]


class ApprovalDecisionInline(admin.TabularInline):
    model = ApprovalDecision
    extra = 0
    can_delete = False
    readonly_fields = [
        "action",
        "actor",
        "comment",
        "discount_percent",
        "authority_percent",
        "routed_to",
        "at",
    ]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "party",
        "discount_percent",
        "status",
        "requested_by",
        "assigned_to",
        "requested_at",
    ]
    list_filter = ["status"]
    list_select_related = ["party", "requested_by", "assigned_to"]
    inlines = [ApprovalDecisionInline]
