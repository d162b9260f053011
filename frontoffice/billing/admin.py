"""Django admin for superusers, read only: billing rows change through the services (rules,
scope and audit trail), and issued invoices never change at all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from frontoffice.billing.models import (
    BillingProfile,
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceSeries,
    Product,
    ProductGroup,
    VatCode,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(VatCode)
class VatCodeAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "name_sv",
        "category",
        "rate",
        "revenue_account",
        "vat_account",
        "active",
        "legal_entity",
    ]
    list_filter = ["category", "active"]
    list_select_related = ["revenue_account", "vat_account", "legal_entity"]


@admin.register(BillingSettings)
class BillingSettingsAdmin(ReadOnlyAdmin):
    list_display = ["legal_entity", "bankgiro", "iban", "default_payment_terms_days"]
    list_select_related = ["legal_entity"]


@admin.register(ProductGroup)
class ProductGroupAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "active", "legal_entity"]
    list_select_related = ["legal_entity"]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "name",
        "group",
        "unit",
        "unit_price_amount",
        "vat_code",
        "active",
        "legal_entity",
    ]
    list_filter = ["kind", "active"]
    list_select_related = ["group", "vat_code", "legal_entity"]
    search_fields = ["code", "name"]


@admin.register(BillingProfile)
class BillingProfileAdmin(ReadOnlyAdmin):
    list_display = ["legal_name", "organisation_number", "party", "delivery", "payment_terms_days", "active"]
    list_filter = ["delivery", "active"]
    list_select_related = ["party"]
    search_fields = ["legal_name", "organisation_number", "vat_number"]


@admin.register(InvoiceSeries)
class InvoiceSeriesAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "prefix", "for_credit_notes", "active", "legal_entity"]
    list_select_related = ["legal_entity"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["line_no", "description", "quantity", "unit", "unit_price_amount", "discount_percent",
              "vat_code", "vat_rate", "net_amount"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "status", "buyer_name", "issue_on", "total_amount", "open_amount"]
    list_filter = ["kind", "status"]
    list_select_related = ["series"]
    search_fields = ["buyer_name", "payment_reference"]
    date_hierarchy = "issue_on"
    inlines = [InvoiceLineInline]
