"""Calls, e-mails and tasks: planning, logging, completing; interactions; lead contact; templates."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from frontoffice.activities.models import Activity, EmailTemplate
from frontoffice.activities.services.activities import (
    activity_complete,
    activity_create,
    email_send,
    email_template_save,
    template_render,
)
from frontoffice.activities.tests.conftest import at
from frontoffice.core.models import AuditEntry
from frontoffice.parties.models import Interaction

pytestmark = pytest.mark.django_db


def test_logging_a_done_call_records_one_outbound_phone_interaction(org, customer):
    rep = org.user("rep_north")
    call = activity_create(
        actor=rep,
        party=customer,
        kind="call",
        subject="Intro call",
        done=True,
        duration_minutes=15,
        outcome="Keen",
    )
    call.refresh_from_db()
    interaction = call.interaction
    assert interaction is not None
    assert (interaction.kind, interaction.channel, interaction.direction) == ("call", "phone", "outbound")
    assert interaction.subject == "Intro call"
    assert interaction.outcome == "Keen"
    assert interaction.duration_minutes == 15
    assert interaction.concerns == call
    assert interaction.owner_id == rep.pk
    assert call.region_id == org.north.pk and call.location_id == org.sales_office.pk
    assert (
        AuditEntry.objects.filter(action="activities.activity.created", object_id=str(call.pk)).count() == 1
    )


def test_a_planned_task_records_no_interaction_until_done_and_completing_twice_changes_nothing(org, customer):
    rep = org.user("rep_north")
    call = activity_create(
        actor=rep, party=customer, kind="call", subject="Follow up", due_at=at("2026-12-01", "10:00")
    )
    assert call.done_at is None and call.interaction_id is None
    assert Interaction.objects.count() == 0
    activity_complete(
        actor=rep,
        activity=call,
        outcome="Booked a meeting",
        next_step="Meet",
        next_step_on=datetime.date(2026, 12, 8),
    )
    call.refresh_from_db()
    assert call.done_at is not None and call.outcome == "Booked a meeting"
    assert call.next_step == "Meet" and call.next_step_on == datetime.date(2026, 12, 8)
    assert Interaction.objects.count() == 1
    activity_complete(actor=rep, activity=call, outcome="again")
    call.refresh_from_db()
    assert call.outcome == "Booked a meeting"
    assert Interaction.objects.count() == 1

    task = activity_create(
        actor=rep, party=customer, kind="task", subject="Send brochure", due_at=at("2026-12-01", "12:00")
    )
    activity_complete(actor=rep, activity=task, outcome="Sent")
    assert Interaction.objects.count() == 1  # tasks are internal work


def test_an_open_task_needs_a_due_time_and_a_dated_next_step_needs_its_text(org, customer):
    rep = org.user("rep_north")
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=rep, party=customer, kind="task", subject="Something")
    assert exc.value.error_dict["due_at"][0].code == "due_required"
    with pytest.raises(ValidationError) as exc:
        activity_create(
            actor=rep,
            party=customer,
            kind="call",
            subject="x",
            done=True,
            next_step_on=datetime.date(2026, 12, 1),
        )
    assert exc.value.error_dict["next_step"][0].code == "next_step_required"
    assert Activity.objects.count() == 0 and Interaction.objects.count() == 0


def test_a_rep_cannot_log_for_another_regions_customer_or_for_a_colleague(org, customer, south_customer):
    rep = org.user("rep_north")
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=rep, party=south_customer, kind="call", subject="x", done=True)
    assert exc.value.error_dict["party"][0].code == "party_not_visible"
    with pytest.raises(ValidationError) as exc:
        activity_create(
            actor=rep, party=customer, kind="call", subject="x", done=True, owner=org.user("rsm_north")
        )
    assert exc.value.error_dict["owner"][0].code == "owner_not_self"
    # The regional manager may plan a call for the rep of the region.
    call = activity_create(
        actor=org.user("rsm_north"),
        party=customer,
        kind="call",
        subject="Call Karin",
        owner=org.user("rep_north"),
        due_at=at("2026-12-01", "10:00"),
    )
    assert call.owner_id == rep.pk
    assert Activity.objects.count() == 1


def test_people_without_the_permission_are_refused(org, customer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        activity_create(actor=org.user("clerk"), party=customer, kind="call", subject="x", done=True)
    assert Activity.objects.count() == 0


def test_an_outbound_call_about_a_lead_records_its_first_contact(org, customer, lead):
    rep = org.user("rep_north")
    with time_machine.travel(at("2026-12-01", "10:30"), tick=False):
        call = activity_create(
            actor=rep, party=customer, kind="call", subject="First call", done=True, lead=lead
        )
    lead.refresh_from_db()
    assert lead.first_contact_at == at("2026-12-01", "10:30")
    assert lead.stage == "contacted"
    assert call.interaction.concerns == lead


def test_an_inbound_call_about_a_lead_does_not_stop_the_first_contact_clock(org, customer, lead):
    activity_create(
        actor=org.user("rep_north"),
        party=customer,
        kind="call",
        subject="They called",
        done=True,
        direction="inbound",
        lead=lead,
    )
    lead.refresh_from_db()
    assert lead.first_contact_at is None and lead.stage == "new"


def test_templates_refuse_unknown_placeholders_and_render_only_known_ones(org):
    manager = org.user("rsm_north")
    with pytest.raises(ValidationError) as exc:
        email_template_save(
            actor=manager,
            legal_entity=org.company,
            name="Intro",
            language="en",
            subject="Hi {first_name}",
            body="{first_name.__class__} {{ settings.SECRET_KEY }}",
        )
    assert exc.value.error_dict["body"][0].code == "unknown_placeholder"
    assert EmailTemplate.objects.count() == 0
    assert template_render("Hi {first_name}, {unknown}", {"first_name": "Karin"}) == "Hi Karin, {unknown}"


def test_sending_an_email_from_a_template_queues_it_and_logs_an_activity_and_interaction(
    org, customer, django_capture_on_commit_callbacks
):
    template = email_template_save(
        actor=org.user("rsm_north"),
        legal_entity=org.company,
        name="Intro",
        language="en",
        subject="Hello {first_name}",
        body="Dear {customer_name},\n{rep_name} of {company}",
    )
    rep = org.user("rep_north")
    with django_capture_on_commit_callbacks(execute=True):
        activity = email_send(actor=rep, party=customer, template=template)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["karin@example.com"]
    assert message.subject == "Hello Karin"
    assert message.body == "Dear Karin Berg,\nRep_North Test of Tandhälsan Norden AB"
    assert activity.kind == "email" and activity.done_at is not None
    assert activity.interaction.channel == "email" and activity.interaction.subject == "Hello Karin"


def test_an_email_with_bad_input_names_the_fields_and_sends_nothing(org, customer):
    with pytest.raises(ValidationError) as exc:
        email_send(actor=org.user("rep_north"), party=customer, subject="", body="x", to="not-an-address")
    assert set(exc.value.error_dict) == {"to", "subject"}
    assert len(mail.outbox) == 0 and Activity.objects.count() == 0
