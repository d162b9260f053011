"""Survey settings per legal entity: which completed contacts trigger which survey, the fatigue
window, link lifetime and the one reminder.

Invariants: a trigger names a registered touchpoint kind and a survey kind (CSAT or NPS); the
reminder goes out before the link expires; only holders of ``surveys.manage_surveys`` who work
in the legal entity change its settings, and every change is audited.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.core.registry import TouchpointKind, registry
from frontoffice.surveys.models import SurveyKind, SurveySettings

FIELDS = ["triggers", "fatigue_days", "link_days", "reminder_days"]


def touchpoint_kinds() -> list[TouchpointKind]:
    """The completed contacts the installed desks announce, in a stable order."""
    return sorted(registry.touchpoint_kinds, key=lambda k: (k.desk, k.key))


def survey_settings_for(legal_entity_id: int) -> SurveySettings:
    """The settings of the legal entity; unsaved defaults (no triggers) when never set."""
    found = SurveySettings.objects.filter(legal_entity_id=legal_entity_id).first()
    return found or SurveySettings(legal_entity_id=legal_entity_id)


@transaction.atomic
def survey_settings_update(
    *,
    actor: Any,
    legal_entity: Any,
    triggers: dict[str, str],
    fatigue_days: int,
    link_days: int,
    reminder_days: int,
) -> SurveySettings:
    """Save the survey settings of ``legal_entity``. Needs ``surveys.manage_surveys`` and work
    in that legal entity. Raises ValidationError ``unknown_trigger``, ``unknown_survey``,
    ``reminder_after_expiry`` and the field range errors."""
    require_perm(actor, "surveys.manage_surveys")
    require_legal_entity(actor, legal_entity.pk)
    known = {k.key for k in touchpoint_kinds()}
    errors: dict[str, list[ValidationError]] = {}
    clean: dict[str, str] = {}
    for key, kind in (triggers or {}).items():
        if not kind:
            continue
        if key not in known:
            errors.setdefault("triggers", []).append(
                ValidationError(
                    _("Unknown contact kind %(key)s."), code="unknown_trigger", params={"key": key}
                )
            )
        elif kind not in SurveyKind.values:
            errors.setdefault("triggers", []).append(
                ValidationError(_("Choose CSAT or NPS."), code="unknown_survey")
            )
        else:
            clean[key] = kind
    if reminder_days is not None and link_days is not None and reminder_days >= link_days:
        errors.setdefault("reminder_days", []).append(
            ValidationError(
                _("The reminder must go out before the link expires."), code="reminder_after_expiry"
            )
        )
    if errors:
        raise ValidationError(errors)
    row = SurveySettings.objects.select_for_update().filter(legal_entity=legal_entity).first()
    before = {f: getattr(row, f) for f in FIELDS} if row else dict.fromkeys(FIELDS)
    row = row or SurveySettings(legal_entity=legal_entity)
    row.triggers = dict(sorted(clean.items()))
    row.fatigue_days = fatigue_days
    row.link_days = link_days
    row.reminder_days = reminder_days
    row.updated_by = actor
    row.full_clean(exclude=["legal_entity", "updated_by"], validate_unique=False)
    row.save()
    after = {f: getattr(row, f) for f in FIELDS}
    audit_record(
        actor=actor,
        action="surveys.settings.changed",
        obj=row,
        changes={f: [before[f], after[f]] for f in FIELDS if before[f] != after[f]},
    )
    return row
