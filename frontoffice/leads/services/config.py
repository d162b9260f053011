"""Settings of the leads desk: lead sources, routing rules, the qualification checklist."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import user_scope

AUDIT_NAMES = {"leadsource": "source", "routingrule": "routing_rule", "qualificationquestion": "question"}


@transaction.atomic
def lead_setting_save(*, actor: Any, instance: Any, legal_entity: Any) -> Any:
    """Create or change a lead source, routing rule or checklist question of ``legal_entity``.
    Needs ``leads.manage_leads`` and the legal entity in the actor's scope."""
    require_perm(actor, "leads.manage_leads")
    scope = user_scope(actor)
    le_id = getattr(legal_entity, "pk", legal_entity)
    if not scope.everything and scope.legal_entity_id != le_id:
        raise PermissionDenied(_("You can only work in your own legal entity."))
    creating = instance.pk is None
    before = {} if creating else model_to_dict(type(instance).objects.get(pk=instance.pk))
    instance.legal_entity_id = le_id
    instance.full_clean()
    instance.save()
    after = model_to_dict(instance)
    name = AUDIT_NAMES.get(instance._meta.model_name, instance._meta.model_name)
    audit_record(
        actor=actor,
        action=f"leads.{name}.{'created' if creating else 'changed'}",
        obj=instance,
        changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
    )
    return instance


def lead_source_get_or_create(*, actor: Any, legal_entity: Any, name: str) -> Any:
    """The lead source ``name`` of ``legal_entity`` (matched case-insensitively), created with the
    default first-contact target when missing. For other desks that hand leads over under a
    fixed source (reception's "Reception"); sources are otherwise set up in the settings.

    Needs ``leads.add_lead`` and the legal entity in the actor's scope (``actor`` None: the
    system). A new source is audited (``leads.source.created``) with the actor as its author;
    two callers racing to create it get the same row (the name is unique per legal entity).
    """
    from frontoffice.leads.models import LeadSource

    require_perm(actor, "leads.add_lead", system=True)
    le_id = getattr(legal_entity, "pk", legal_entity)
    if actor is not None:
        scope = user_scope(actor)
        if not scope.everything and scope.legal_entity_id != le_id:
            raise PermissionDenied(_("You can only work in your own legal entity."))
    name = " ".join((name or "").split())[:100]
    found = LeadSource.objects.filter(legal_entity_id=le_id, name__iexact=name).first()
    if found is not None:
        return found
    source = LeadSource(legal_entity_id=le_id, name=name)
    source.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            source.save()
            audit_record(
                actor=actor,
                action="leads.source.created",
                obj=source,
                changes={
                    "name": [None, source.name],
                    "first_contact_target": [None, source.first_contact_target],
                },
            )
    except IntegrityError:  # created meanwhile by a concurrent caller
        return LeadSource.objects.get(legal_entity_id=le_id, name__iexact=name)
    return source
