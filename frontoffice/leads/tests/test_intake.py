"""Intake: cleaning, routing (rules and round-robin), customer matching, first-contact clock."""

from __future__ import annotations

import datetime
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.audit import AuditEntry
from frontoffice.leads.models import Lead, LeadEvent, RoutingRule
from frontoffice.leads.services import lead_create
from frontoffice.leads.services.routing import CompiledRule, compile_rules, match_region
from frontoffice.leads.tests.conftest import WEB_DATA
from frontoffice.parties.models import Party

pytestmark = pytest.mark.django_db
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def data(**over):
    return {**WEB_DATA, **over}


def test_web_form_lead_is_routed_by_postcode_then_round_robin(org, leads):
    first = lead_create(actor=None, data=data(), channel="web_form", source=leads.source)
    assert first.region == org.north
    assert first.owner == org.people["rep_north"]
    assert first.party.display_name == "Umeå Tandvård AB"
    assert first.party.region == org.north and first.party.owner == org.people["rep_north"]
    assert first.created_party
    assert first.phone == "+46701234567"
    kinds = list(first.events.values_list("kind", flat=True))
    assert kinds == [LeadEvent.Kind.CREATED, LeadEvent.Kind.ASSIGNED]
    assert AuditEntry.objects.filter(action="leads.lead.created", object_id=str(first.pk)).exists()
    second = lead_create(
        actor=None,
        data=data(email="b@x.example", message="x", company="B AB"),
        channel="web_form",
        source=leads.source,
    )
    third = lead_create(
        actor=None,
        data=data(email="c@x.example", message="y", company="C AB"),
        channel="web_form",
        source=leads.source,
    )
    assert [second.owner, third.owner] == [leads.rep_north2, org.people["rep_north"]]
    south = lead_create(
        actor=None,
        data=data(email="s@x.example", postal_code="211 22", company="S AB"),
        channel="web_form",
        source=leads.source,
    )
    assert south.region == org.south and south.owner == org.people["rep_south"]


def test_no_matching_rule_leaves_the_lead_unrouted_for_a_manager(org, leads):
    lead = lead_create(actor=None, data=data(postal_code="50000"), channel="web_form", source=leads.source)
    assert lead.region is None and lead.owner is None


def test_rules_go_by_priority_and_every_set_condition_must_match(org, leads):
    RoutingRule.objects.create(
        legal_entity=org.company, priority=5, industry="veterinary", postcode_prefix="9", region=org.south
    )
    rules = compile_rules(RoutingRule.objects.filter(legal_entity=org.company).order_by("priority", "id"))
    assert match_region(rules, postal_code="90326", country="SE", industry="Veterinary") == org.south.pk
    assert match_region(rules, postal_code="90326", country="SE", industry="Dental") == org.north.pk
    assert match_region(rules, postal_code="25000", country="SE", industry="") == org.south.pk
    assert match_region(rules, postal_code="31000", country="SE", industry="") is None
    rule = CompiledRule(1, 7, "", "", "", "NO", "")
    assert rule.matches(postal_code="0150", country="no", industry="") and not rule.matches(
        postal_code="0150", country="SE", industry=""
    )


def test_round_robin_counts_stay_within_one(org, leads):
    for n in range(9):
        lead_create(
            actor=None,
            data=data(email=f"p{n}@x.example", company=f"P{n}", phone=""),
            channel="web_form",
            source=leads.source,
        )
    counts = Counter(Lead.objects.values_list("owner_id", flat=True))
    assert set(counts) == {org.people["rep_north"].pk, leads.rep_north2.pk}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_lead_matching_an_existing_customer_by_email_links_to_it(org, leads):
    rep = org.user("rep_north")
    from frontoffice.parties.services import party_create

    existing = party_create(
        actor=rep,
        kind="organisation",
        organisation_name="Umeå Tandvård AB",
        email="anna@umeatandvard.example",
    )
    phone_twin = party_create(
        actor=rep, kind="person", first_name="Bo", last_name="B", phone="070-123 45 67", allow_duplicate=True
    )
    lead = lead_create(actor=None, data=data(), channel="web_form", source=leads.source)
    assert lead.party == existing and not lead.created_party
    assert lead.possible_duplicates == [phone_twin.pk]
    assert Party.objects.count() == 2


def test_bad_input_names_each_field_and_writes_nothing(org, leads):
    with pytest.raises(ValidationError) as exc:
        lead_create(
            actor=None,
            data=data(email="not-an-email", phone="12", country="Sweden", contact_name="", company=""),
            channel="web_form",
            source=leads.source,
        )
    assert set(exc.value.message_dict) == {"email", "country", "contact_name"}
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, data=data(phone="12abc"), channel="web_form", source=leads.source)
    assert "phone" in exc.value.message_dict
    assert Lead.objects.count() == 0 and Party.objects.count() == 0


def test_staff_need_the_permission_and_their_own_legal_entity(org, leads):
    with pytest.raises(PermissionDenied):
        lead_create(actor=org.user("clerk"), data=data())
    with pytest.raises(PermissionDenied):
        lead_create(actor=org.user("nobody"), data=data(), channel="ui")
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=org.user("nsm"), data=data(), legal_entity=org.company, region=org.other_region)
    assert "region" in exc.value.message_dict


def test_a_rep_keeps_the_lead_they_enter(org, leads):
    rep = org.user("rep_south")
    lead = lead_create(actor=rep, data=data())
    assert lead.owner == rep and lead.region == org.south
    assert lead.party.owner == rep


def test_api_idempotency_key_returns_the_first_lead(org, leads):
    nsm = org.user("nsm")
    a = lead_create(actor=nsm, data=data(), channel="api", legal_entity=org.company, idempotency_key="k1")
    b = lead_create(actor=nsm, data=data(), channel="api", legal_entity=org.company, idempotency_key="k1")
    assert a.pk == b.pk and Lead.objects.count() == 1


def test_duplicate_web_submission_within_minutes_is_the_same_lead(org, leads):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=STOCKHOLM), tick=False):
        a = lead_create(actor=None, data=data(), channel="web_form", source=leads.source)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 5, tzinfo=STOCKHOLM), tick=False):
        b = lead_create(
            actor=None, data=data(email="ANNA@umeatandvard.example "), channel="web_form", source=leads.source
        )
    assert a.pk == b.pk
    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=STOCKHOLM), tick=False):
        c = lead_create(actor=None, data=data(), channel="web_form", source=leads.source)
    assert c.pk != a.pk


def test_first_contact_due_counts_working_time(org, leads):
    # Friday 16:00 + 2 working hours = Monday 09:00; + 30 working minutes (fair) = 16:30.
    with time_machine.travel(datetime.datetime(2026, 3, 6, 16, 0, tzinfo=STOCKHOLM), tick=False):
        web = lead_create(actor=None, data=data(), channel="web_form", source=leads.source)
        fair = lead_create(
            actor=None, data=data(email="f@x.example", company="F"), channel="web_form", source=leads.fair
        )
    assert web.first_contact_due_at == datetime.datetime(2026, 3, 9, 9, 0, tzinfo=STOCKHOLM)
    assert fair.first_contact_due_at == datetime.datetime(2026, 3, 6, 16, 30, tzinfo=STOCKHOLM)


def test_first_contact_clock_starts_at_the_lead_s_creation_time(org, leads):
    # The clock ticks during creation (routing, matching, scoring take time under load): the
    # due time is still exactly created_at + the target, as stored.
    with time_machine.travel(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM), tick=True):
        lead = lead_create(actor=None, data=data(), channel="web_form", source=leads.fair)
    stored = Lead.objects.get(pk=lead.pk)
    assert stored.created_at == lead.created_at
    assert stored.first_contact_due_at - stored.created_at == datetime.timedelta(minutes=30)
