"""Django admin for superusers. Day-to-day administration happens in the settings area."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from frontoffice.org.models import (
    ApiToken,
    Invitation,
    LegalEntity,
    Location,
    Organisation,
    Region,
    Role,
    Staff,
    Team,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Preferences"), {"fields": ("language",)}))


admin.site.register(Organisation)


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation_number", "vat_number", "base_currency", "country"]
    search_fields = ["name", "organisation_number"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "legal_entity"]
    list_select_related = ["legal_entity"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "city"]
    list_select_related = ["region"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "location"]
    list_select_related = ["location"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "scope", "is_default"]
    filter_horizontal = ["permissions"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "legal_entity", "home_region", "home_location", "active"]
    list_filter = ["role", "active"]
    list_select_related = ["user", "role", "legal_entity", "home_region", "home_location"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    filter_horizontal = ["regions", "locations"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "legal_entity", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = ["token_hash"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash", "prefix"]
