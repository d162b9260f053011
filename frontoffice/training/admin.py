"""Django admin for the training reference data (rubrics, role curriculum, gates). Courses
are built on the training pages, where versioning is enforced."""

from __future__ import annotations

from django.contrib import admin

from frontoffice.training.models import CapabilityGate, Criterion, RoleCurriculum, Rubric


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_sv", "active"]
    inlines = [CriterionInline]


@admin.register(RoleCurriculum)
class RoleCurriculumAdmin(admin.ModelAdmin):
    list_display = ["role", "course", "due_days"]
    list_select_related = ["role", "course__current_version"]


@admin.register(CapabilityGate)
class CapabilityGateAdmin(admin.ModelAdmin):
    list_display = ["capability", "course"]
    list_select_related = ["course__current_version"]
