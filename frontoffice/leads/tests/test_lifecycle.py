"""After intake: reassignment, first contact, checklist, disqualify, convert, overdue alerts."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from frontoffice.leads.models import Lead, LeadEvent, QualificationQuestion
from frontoffice.leads.services import (
    lead_assign,
    lead_contact_recorded,
    lead_convert,
    lead_create,
    lead_disqualify,
    lead_link_party,
    lead_overdue_alerts,
    lead_qualify,
)
from frontoffice.leads.tests.conftest import WEB_DATA

pytestmark = pytest.mark.django_db
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def lead(org, leads):
    return lead_create(actor=None, data=dict(WEB_DATA), channel="web_form", source=leads.source)


def test_reassignment_needs_a_reason_and_goes_on_the_history(org, leads, lead):
    rsm = org.user("rsm_north")
    with pytest.raises(ValidationError) as exc:
        lead_assign(actor=rsm, lead=lead, owner=leads.rep_north2, reason=" ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        lead_assign(actor=org.user("rep_north"), lead=lead, owner=leads.rep_north2, reason="holiday")
    lead = lead_assign(actor=rsm, lead=lead, owner=leads.rep_north2, reason="Anna is on holiday")
    assert lead.owner == leads.rep_north2
    lead.party.refresh_from_db()
    assert lead.party.owner == leads.rep_north2  # the prospect follows its lead
    last = lead.events.order_by("-id").first()
    assert (last.kind, last.reason, last.actor) == (LeadEvent.Kind.REASSIGNED, "Anna is on holiday", rsm)


def test_a_rep_may_take_an_unassigned_lead_of_their_region(org, leads):
    lead = lead_create(actor=org.user("rsm_north"), data=dict(WEB_DATA), region=org.north, owner=None)
    Lead.objects.filter(pk=lead.pk).update(owner=None)
    lead.refresh_from_db()
    rep = org.user("rep_north")
    assert lead_assign(actor=rep, lead=lead, owner=rep, reason="I know them").owner == rep
    with pytest.raises(Lead.DoesNotExist):  # out of scope is simply absent
        lead_assign(actor=org.user("rep_south"), lead=lead, owner=org.user("rep_south"), reason="mine")


def test_contact_stops_the_clock_and_moves_to_contacted(org, lead):
    at = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=STOCKHOLM)
    lead = lead_contact_recorded(
        actor=org.user("rep_north"),
        lead=lead,
        interaction=SimpleNamespace(pk=1, started_at=at, subject="Call"),
    )
    assert lead.stage == Lead.Stage.CONTACTED and lead.first_contact_at == at
    later = lead_contact_recorded(
        actor=org.user("rep_north"),
        lead=lead,
        interaction=SimpleNamespace(pk=2, started_at=at + datetime.timedelta(days=1), subject="x"),
    )
    assert later.first_contact_at == at


def test_checklist_score_and_qualification(org, lead):
    rep = org.user("rep_north")
    lead = lead_qualify(actor=rep, lead=lead, answers={"budget": True, "need": True})
    assert lead.checklist_score == 50 and lead.score == 50 and lead.score_source == "checklist"
    assert lead.stage == Lead.Stage.NEW
    # Without a trained model the stored factors start with why (the "fallback" note), then the
    # checklist items, whose contributions add up to the checklist score.
    note, *items = lead.score_factors
    assert note["key"] == "fallback"
    assert sum(f["contribution"] for f in items) == lead.score
    QualificationQuestion.objects.filter(key="budget").update(weight=50)  # 50 of 125
    lead = lead_qualify(
        actor=rep,
        lead=lead,
        answers={"budget": True, "authority": True, "need": True, "timeline": True},
        qualified=True,
    )
    assert lead.checklist_score == 100 and lead.stage == Lead.Stage.QUALIFIED
    with pytest.raises(ValidationError):
        lead_qualify(actor=rep, lead=lead, answers={"colour": True})
    with pytest.raises(PermissionDenied):
        lead_qualify(actor=org.user("auditor"), lead=lead, answers={})


def test_disqualify_needs_a_reason(org, lead):
    rep = org.user("rep_north")
    with pytest.raises(ValidationError):
        lead_disqualify(actor=rep, lead=lead, reason="")
    lead = lead_disqualify(actor=rep, lead=lead, reason="No budget this year")
    assert lead.stage == Lead.Stage.DISQUALIFIED and lead.disqualify_reason == "No budget this year"
    with pytest.raises(ValidationError):
        lead_convert(actor=rep, lead=lead)


def test_convert_creates_the_opportunity(org, lead):
    rep = org.user("rep_north")
    with pytest.raises(ValidationError) as exc:
        lead_convert(actor=rep, lead=lead)
    assert exc.value.message_dict["stage"]
    lead_qualify(actor=rep, lead=lead, answers={"budget": True}, qualified=True)
    opportunity = lead_convert(
        actor=rep, lead=lead, name="Chairs", amount="12000.00", expected_close_on="2026-06-30"
    )
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.CONVERTED and lead.opportunity == opportunity
    assert opportunity.party == lead.party and opportunity.owner == rep
    assert str(opportunity.amount) == "12000.00"
    with pytest.raises(ValidationError):
        lead_convert(actor=rep, lead=lead)


def test_link_to_another_customer(org, lead):
    from frontoffice.parties.services import party_create

    rep = org.user("rep_north")
    other = party_create(actor=rep, kind="organisation", organisation_name="Twin AB")
    lead = lead_link_party(actor=rep, lead=lead, party=other)
    assert lead.party == other
    assert lead.events.filter(kind=LeadEvent.Kind.LINKED).exists()


def test_overdue_alert_goes_to_rep_and_manager_once(org, leads, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM), tick=False):
        lead = lead_create(actor=None, data=dict(WEB_DATA), channel="web_form", source=leads.source)
        contacted = lead_create(
            actor=None,
            data={**WEB_DATA, "email": "b@x.example", "company": "B"},
            channel="web_form",
            source=leads.source,
        )
        lead_contact_recorded(
            actor=None, lead=contacted, interaction=SimpleNamespace(pk=1, started_at=None, subject="Call")
        )
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 59, tzinfo=STOCKHOLM), tick=False):
        assert lead_overdue_alerts() == 0
    with time_machine.travel(datetime.datetime(2026, 3, 2, 11, 1, tzinfo=STOCKHOLM), tick=False):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert lead_overdue_alerts() == 1
            assert lead_overdue_alerts() == 0
            call_command("leads_overdue", stdout=io.StringIO())
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["rep_north@example.com", "rsm_north@example.com"]
    assert str(lead.pk) in mail.outbox[0].body
    assert Lead.objects.get(pk=lead.pk).events.filter(kind=LeadEvent.Kind.OVERDUE).count() == 1


def test_demo_seed_takes_in_leads_once(org):
    from frontoffice.leads.demo import seed_leads

    assert seed_leads(org.company, org.people) == 5
    assert seed_leads(org.company, org.people) == 0
    assert Lead.objects.filter(legal_entity=org.company).count() == 5
