"""Django admin for superusers; the customers desk is the everyday interface."""

from django.contrib import admin

from frontoffice.parties.models import Interaction, Party, Tag


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["display_name", "kind", "email", "phone", "city", "owner", "legal_entity"]
    list_filter = ["kind", "source"]
    list_select_related = ["owner", "legal_entity"]
    search_fields = ["display_name", "email", "phone", "organisation_number"]
    readonly_fields = ["display_name", "search_text", "merged_into", "erased_at"]
    raw_id_fields = ["owner", "created_by"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["started_at", "kind", "party", "staff", "subject"]
    list_filter = ["kind", "channel"]
    list_select_related = ["party", "staff__user"]
    raw_id_fields = ["party", "staff", "owner", "created_by"]


admin.site.register(Tag)
