"""Prospective patients become customers with consent and leads for the sales desk."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from frontoffice.appointments.tests.factories import NOW
from frontoffice.core.models import AuditEntry
from frontoffice.parties.models import Party
from frontoffice.reception import services

pytestmark = pytest.mark.django_db


def test_prospect_with_consent_becomes_a_customer_and_a_reception_lead(org, setup, now):
    from frontoffice.leads.models import Lead

    result = services.prospect_register(
        actor=org.user("receptionist"),
        location=setup.location,
        first_name="Maja",
        last_name="Nyström",
        email="maja@example.com",
        phone="",
        language="sv",
        consent=True,
        interest="Wants a new dentist for the family",
    )
    party = result.party
    assert party.consent_data_processing and party.location == setup.location and party.source == "walk_in"
    lead = Lead.objects.get()
    assert result.lead == lead
    assert lead.party_id == party.pk  # linked by e-mail, no second customer
    assert lead.source.name == "Reception" and lead.created_by == org.user("receptionist")
    assert lead.region == setup.location.region
    assert Party.objects.filter(email="maja@example.com").count() == 1
    # Consent is recorded on the customer with its time, and in the prospect's audit entry.
    assert party.consent_data_processing_at == NOW
    entry = AuditEntry.objects.get(action="reception.prospect.registered", object_id=str(party.pk))
    assert entry.actor == org.user("receptionist")
    assert entry.changes["consent_data_processing"] == [None, True] and entry.changes["lead"] == [
        None,
        lead.pk,
    ]
    # The "Reception" source is the leads app's (lead_source_get_or_create): created once,
    # audited with the receptionist as its author, and reused by the next prospect.
    created = AuditEntry.objects.get(action="leads.source.created")
    assert created.actor == org.user("receptionist") and created.object_id == str(lead.source_id)
    second = services.prospect_register(
        actor=org.user("receptionist"),
        location=setup.location,
        first_name="Ture",
        last_name="Berg",
        email="ture@example.com",
        consent=True,
        channel="phone",
    )
    assert second.lead.source_id == lead.source_id and second.party.source == "phone"
    assert AuditEntry.objects.filter(action="leads.source.created").count() == 1


def test_prospect_without_consent_is_refused_and_nothing_is_written(org, setup, now):
    from frontoffice.leads.models import Lead

    with pytest.raises(ValidationError) as exc:
        services.prospect_register(
            actor=org.user("receptionist"),
            location=setup.location,
            first_name="Maja",
            last_name="Nyström",
            email="maja@example.com",
            consent=False,
        )
    assert exc.value.error_dict["consent"][0].code == "consent_required"
    assert not Party.objects.filter(email="maja@example.com").exists() and not Lead.objects.exists()


def test_prospect_form_requires_the_consent_box(org, setup, now, client_for):
    client = client_for("receptionist")
    response = client.post(
        "/reception/prospect/",
        {
            "first_name": "Maja",
            "last_name": "N",
            "email": "maja@example.com",
            "language": "sv",
            "channel": "in_person",
        },
    )
    assert response.status_code == 200 and "must consent" in response.content.decode()
    assert not Party.objects.filter(email="maja@example.com").exists()
    response = client.post(
        "/reception/prospect/",
        {
            "first_name": "Maja",
            "last_name": "N",
            "email": "maja@example.com",
            "language": "sv",
            "channel": "in_person",
            "consent": "on",
        },
    )
    assert response.status_code == 302 and Party.objects.filter(email="maja@example.com").exists()


def test_prospect_who_is_here_now_goes_to_the_waiting_room(org, setup, now, client_for):
    from frontoffice.reception.models import Visit

    response = client_for("receptionist").post(
        "/reception/prospect/",
        {
            "first_name": "Ture",
            "last_name": "Berg",
            "email": "ture@example.com",
            "language": "sv",
            "channel": "in_person",
            "consent": "on",
            "arrived": "on",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.party.display_name == "Ture Berg" and visit.status == "waiting" and visit.kind == "patient"


def test_prospect_without_email_is_refused_so_no_second_customer_is_made(org, setup, now):
    from frontoffice.leads.models import Lead

    with pytest.raises(ValidationError) as exc:
        services.prospect_register(
            actor=org.user("receptionist"),
            location=setup.location,
            first_name="Ture",
            last_name="Berg",
            phone="070-123 45 67",
            consent=True,
        )
    assert exc.value.error_dict["email"][0].code == "email_required"
    assert not Party.objects.filter(first_name="Ture").exists() and not Lead.objects.exists()
