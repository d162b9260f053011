"""``lead_source_get_or_create``: other desks hand leads over under a fixed source, which the
leads app creates once per legal entity (audited) and finds again by name."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from frontoffice.core.models import AuditEntry
from frontoffice.leads.models import LeadSource
from frontoffice.leads.services import lead_source_get_or_create

pytestmark = pytest.mark.django_db


def test_source_is_created_once_audited_and_found_again_by_name(org):
    receptionist = org.user("receptionist")
    source = lead_source_get_or_create(actor=receptionist, legal_entity=org.company, name="Reception")
    assert (source.name, source.legal_entity_id, source.active) == ("Reception", org.company.pk, True)
    assert source.first_contact_target == 4 and source.first_contact_unit == "working_hours"
    entry = AuditEntry.objects.get(action="leads.source.created", object_id=str(source.pk))
    assert entry.actor == receptionist and entry.changes["name"] == [None, "Reception"]
    again = lead_source_get_or_create(
        actor=org.user("rep_north"), legal_entity=org.company, name=" reception "
    )
    assert again.pk == source.pk
    assert LeadSource.objects.filter(legal_entity=org.company).count() == 1
    assert AuditEntry.objects.filter(action="leads.source.created").count() == 1


def test_source_needs_the_add_lead_permission_and_the_actors_legal_entity(org):
    with pytest.raises(PermissionDenied):
        lead_source_get_or_create(actor=org.user("nobody"), legal_entity=org.company, name="Reception")
    with pytest.raises(PermissionDenied):
        lead_source_get_or_create(
            actor=org.user("receptionist"), legal_entity=org.other_company, name="Reception"
        )
    assert not LeadSource.objects.filter(name="Reception").exists()
    # The system (no actor) may, e.g. from a task.
    assert lead_source_get_or_create(actor=None, legal_entity=org.other_company, name="Reception").pk
