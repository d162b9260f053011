import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.sales.models import Opportunity, OpportunityEvent, Stage
from frontoffice.sales.services import (
    opportunity_lose,
    opportunity_move,
    opportunity_reassign,
    opportunity_update,
    opportunity_win,
)
from frontoffice.sales.tests.factories import make_opportunity, make_party, stage

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict:
    return {k: [e.code for e in v] for k, v in exc.error_dict.items()}


def test_legal_entities_get_the_default_stages(org):
    stages = list(Stage.objects.filter(legal_entity=org.company).order_by("order"))
    assert [(s.name, s.probability, s.kind) for s in stages] == [
        ("Prospecting", 10, "open"),
        ("Qualification", 20, "open"),
        ("Needs analysis", 40, "open"),
        ("Proposal", 60, "open"),
        ("Negotiation", 80, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]
    assert Stage.objects.filter(legal_entity=org.other_company).count() == 7


@time_machine.travel("2026-03-02 09:00 +01:00", tick=False)
def test_create_sets_defaults_history_and_audit(org, sales):
    rep = org.user("rep_north")
    opp = make_opportunity(rep, sales.north_party, source="web")
    assert opp.owner == rep
    assert opp.region == org.north
    assert opp.legal_entity == org.company
    assert opp.stage.name == "Prospecting"
    assert opp.currency == "SEK"
    assert opp.opened_on == datetime.date(2026, 3, 2)
    assert opp.closed_on is None
    event = opp.events.get()
    assert (event.kind, event.to_stage.name, event.new_amount, event.actor) == (
        "created",
        "Prospecting",
        Decimal("10000.00"),
        rep,
    )
    assert AuditEntry.objects.for_object(opp).filter(action="sales.opportunity.created").exists()


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"amount": Decimal("-1.00")}, "amount", "negative"),
        ({"amount": "abc"}, "amount", "invalid"),
        ({"amount": 10.5}, "amount", "invalid"),
        ({"amount": Decimal("1.001")}, "amount", "invalid"),
        ({"expected_close_on": "31/12/2026"}, "expected_close_on", "invalid"),
        ({"name": "  "}, "name", "required"),
        ({"stage": 999999}, "stage", "unknown_stage"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(org, sales, fields, field, code):
    with pytest.raises(ValidationError) as exc:
        make_opportunity(org.user("rep_north"), sales.north_party, **fields)
    assert code in codes(exc.value)[field]
    assert Opportunity.objects.count() == 0
    assert OpportunityEvent.objects.count() == 0


def test_stage_of_another_legal_entity_is_unknown(org, sales):
    foreign = stage(org.other_company, "Proposal")
    with pytest.raises(ValidationError) as exc:
        make_opportunity(org.user("rep_north"), sales.north_party, stage=foreign)
    assert codes(exc.value) == {"stage": ["unknown_stage"]}
    opp = make_opportunity(org.user("rep_north"), sales.north_party)
    with pytest.raises(ValidationError):
        opportunity_move(actor=org.user("rep_north"), opportunity=opp, stage=foreign)
    opp.refresh_from_db()
    assert opp.stage.name == "Prospecting"


def test_new_opportunity_cannot_start_closed(org, sales):
    with pytest.raises(ValidationError) as exc:
        make_opportunity(org.user("rep_north"), sales.north_party, stage=stage(org.company, "Won"))
    assert codes(exc.value) == {"stage": ["closed_stage"]}


def test_rep_cannot_create_for_a_customer_out_of_scope_or_for_another_owner(org, sales):
    with pytest.raises(ValidationError) as exc:
        make_opportunity(org.user("rep_north"), sales.south_party)
    assert codes(exc.value) == {"party": ["unknown_party"]}
    with pytest.raises(ValidationError) as exc:
        make_opportunity(org.user("rep_north"), sales.north_party, owner=org.user("rep_south"))
    assert codes(exc.value) == {"owner": ["invalid_owner"]}
    with pytest.raises(PermissionDenied):
        make_opportunity(org.user("receptionist"), sales.north_party)


def test_rsm_assigns_within_region_and_region_follows_owner(org, sales):
    rsm = org.user("rsm_north")
    opp = make_opportunity(rsm, sales.north_party, owner=org.user("rep_north"))
    assert opp.owner == org.user("rep_north")
    nsm = org.user("nsm")
    opp = opportunity_reassign(actor=nsm, opportunity=opp, owner=org.user("rep_south"), reason="Moved south")
    assert opp.region == org.south
    event = opp.events.get(kind="owner_changed")
    assert (event.from_owner, event.to_owner, event.reason) == (
        org.user("rep_north"),
        org.user("rep_south"),
        "Moved south",
    )
    with pytest.raises(PermissionDenied):
        opportunity_reassign(actor=org.user("rep_north"), opportunity=opp, owner=org.user("rep_north"))


@time_machine.travel("2026-04-10 10:00 +02:00", tick=False)
def test_move_win_and_lose_keep_history_and_close(org, sales):
    rep = org.user("rep_north")
    opp = make_opportunity(rep, sales.north_party)
    opp = opportunity_move(
        actor=rep, opportunity=opp, stage=stage(org.company, "Proposal"), reason="Sent offer"
    )
    assert opp.stage.name == "Proposal" and opp.closed_on is None
    with pytest.raises(ValidationError) as exc:
        opportunity_move(actor=rep, opportunity=opp, stage=stage(org.company, "Lost"))
    assert codes(exc.value) == {"loss_reason": ["reason_required"]}
    with pytest.raises(ValidationError) as exc:
        opportunity_win(actor=rep, opportunity=opp, reason=" ")
    assert codes(exc.value) == {"win_reason": ["reason_required"]}
    opp.refresh_from_db()
    assert opp.stage.name == "Proposal" and opp.closed_on is None
    opp = opportunity_win(actor=rep, opportunity=opp, reason="Best service")
    assert (opp.stage.kind, opp.closed_on, opp.win_reason) == (
        "won",
        datetime.date(2026, 4, 10),
        "Best service",
    )
    opp = opportunity_move(actor=rep, opportunity=opp, stage=stage(org.company, "Negotiation"))
    assert opp.closed_on is None and opp.win_reason == ""
    opp = opportunity_lose(actor=rep, opportunity=opp, reason="Price")
    assert (opp.stage.kind, opp.loss_reason) == ("lost", "Price")
    kinds = list(opp.events.order_by("at", "id").values_list("kind", "from_stage__name", "to_stage__name"))
    assert kinds == [
        ("created", None, "Prospecting"),
        ("stage_changed", "Prospecting", "Proposal"),
        ("won", "Proposal", "Won"),
        ("reopened", "Won", "Negotiation"),
        ("lost", "Negotiation", "Lost"),
    ]
    actions = set(AuditEntry.objects.for_object(opp).values_list("action", flat=True))
    assert {
        "sales.opportunity.moved",
        "sales.opportunity.won",
        "sales.opportunity.reopened",
        "sales.opportunity.lost",
    } <= actions


def test_update_records_amount_change(org, sales):
    rep = org.user("rep_north")
    opp = make_opportunity(rep, sales.north_party)
    opp = opportunity_update(actor=rep, opportunity=opp, amount="12500.50", competitors="Acme")
    assert opp.amount == Decimal("12500.50")
    event = opp.events.get(kind="amount_changed")
    assert (event.old_amount, event.new_amount) == (Decimal("10000.00"), Decimal("12500.50"))
    with pytest.raises(ValidationError):
        opportunity_update(actor=rep, opportunity=opp, amount="-5")
    opp.refresh_from_db()
    assert opp.amount == Decimal("12500.50")


def test_other_rep_cannot_change(org, sales):
    opp = make_opportunity(org.user("rep_north"), sales.north_party)
    with pytest.raises(PermissionDenied):
        opportunity_move(actor=org.user("rep_south"), opportunity=opp, stage=stage(org.company, "Proposal"))
    with pytest.raises(PermissionDenied):
        opportunity_win(actor=org.user("auditor"), opportunity=opp, reason="x")


def test_products_lines(org, sales, billing):
    from frontoffice.billing.tests.catalogue_factories import make_product

    product = make_product(org.user("finance_manager"), org.company)
    opp = make_opportunity(org.user("rep_north"), sales.north_party, products=[(product, Decimal("2"))])
    line = opp.lines.get()
    assert (line.quantity, line.amount) == (Decimal("2.000"), Decimal("1700.00"))
    with pytest.raises(ValidationError) as exc:
        make_opportunity(org.user("rep_north"), sales.north_party, products=[(product, Decimal("0"))])
    assert codes(exc.value) == {"products": ["invalid_quantity"]}


def test_party_in_other_company_is_unknown(org, sales):
    other = make_party(org, "Other AB", region=org.other_region, company=org.other_company)
    with pytest.raises(ValidationError):
        make_opportunity(org.user("rsm_north"), other)
