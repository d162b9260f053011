"""RFP services: registration, requirements, the approval flow, outcome and the library."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.core.models import AuditEntry
from frontoffice.parties.models import Interaction
from frontoffice.rfps import services
from frontoffice.rfps.models import AnswerLibraryEntry, Requirement, RequirementStatus, RfpEvent, RfpStatus

pytestmark = pytest.mark.django_db


def _ready_for_review(world, *, answer_all=True):
    rep = world.user("rep_north")
    rfp = world.rfp
    services.requirements_import(
        actor=rep, rfp=rfp, text="number,text,mandatory\n1.1,Quality certification,yes\n1.2,References,no\n"
    )
    req = Requirement.objects.get(rfp=rfp, number="1.1")
    if answer_all:
        services.requirement_answer(actor=rep, requirement=req, answer="ISO 9001")
    return services.rfp_submit_for_review(actor=rep, rfp=rfp)


def test_create_sets_scope_fields_history_audit_and_interaction(world):
    rfp = world.rfp
    assert rfp.legal_entity == world.org.company
    assert rfp.region == world.org.north
    assert rfp.owner == world.org.people["rep_north"]
    assert rfp.status == RfpStatus.DRAFT
    assert RfpEvent.objects.filter(rfp=rfp, action="created").exists()
    assert AuditEntry.objects.filter(action="rfps.rfp.created", object_id=str(rfp.pk)).exists()
    assert Interaction.objects.filter(party=world.north_party, direction="inbound").count() == 1


def test_create_needs_permission_and_visible_customer(world):
    with pytest.raises(PermissionDenied):
        services.rfp_create(
            actor=world.user("clerk"), party=world.north_party, title="x", due_at=world.rfp.due_at
        )
    with pytest.raises(PermissionDenied):  # rep_south cannot see the North customer
        services.rfp_create(
            actor=world.user("rep_south"), party=world.north_party, title="x", due_at=world.rfp.due_at
        )


def test_rep_cannot_register_for_someone_else(world):
    with pytest.raises(ValidationError) as exc:
        services.rfp_create(
            actor=world.user("rep_north"),
            party=world.north_party,
            title="x",
            due_at=world.rfp.due_at,
            owner=world.org.people["rsm_north"],
        )
    assert exc.value.error_dict["owner"]


def test_import_one_per_line_numbers_in_order(world):
    made = services.requirements_import(
        actor=world.user("rep_north"), rfp=world.rfp, text="Delivery in 4 weeks\n\nService in Kiruna\n"
    )
    assert [(r.number, r.text, r.mandatory) for r in made] == [
        ("1", "Delivery in 4 weeks", True),
        ("2", "Service in Kiruna", True),
    ]


def test_import_csv_with_bad_rows_writes_nothing_and_names_rows(world):
    text = "number,text,mandatory\n1,Good row,yes\n2,,yes\n3,Third,maybe\n1,Dup,no\n"
    with pytest.raises(ValidationError) as exc:
        services.requirements_import(actor=world.user("rep_north"), rfp=world.rfp, text=text)
    messages = " ".join(exc.value.messages)
    assert "Row 3" in messages and "Row 4" in messages and "Row 5" in messages
    assert {e.code for e in exc.value.error_list} == {"bad_rows"}
    assert not Requirement.objects.filter(rfp=world.rfp).exists()


def test_import_refuses_existing_numbers(world):
    rep = world.user("rep_north")
    services.requirement_add(actor=rep, rfp=world.rfp, number="A", text="First")
    with pytest.raises(ValidationError):
        services.requirements_import(actor=rep, rfp=world.rfp, text="number,text,mandatory\nA,Again,yes\n")
    assert Requirement.objects.filter(rfp=world.rfp).count() == 1


def test_answer_from_library_copies_links_and_counts(world):
    rep = world.user("rep_north")
    req = services.requirement_add(actor=rep, rfp=world.rfp, text="ISO certification?")
    services.requirement_answer(actor=rep, requirement=req, library_entry=world.entry)
    req.refresh_from_db()
    world.entry.refresh_from_db()
    assert req.answer == world.entry.answer
    assert req.source_entry == world.entry
    assert req.status == RequirementStatus.DRAFTED
    assert world.entry.usage_count == 1 and world.entry.last_used_at is not None
    world.rfp.refresh_from_db()
    assert world.rfp.status == RfpStatus.IN_PROGRESS  # answering starts the work


def test_unapproved_library_answer_cannot_be_reused(world):
    rsm = world.user("rsm_north")
    draft = services.library_entry_create(actor=rsm, legal_entity=world.org.company, question="Q", answer="A")
    req = services.requirement_add(actor=world.user("rep_north"), rfp=world.rfp, text="Q?")
    with pytest.raises(ValidationError) as exc:
        services.requirement_answer(actor=world.user("rep_north"), requirement=req, library_entry=draft)
    assert exc.value.error_dict["library_entry"][0].code == "not_approved"
    draft.refresh_from_db()
    assert draft.usage_count == 0


def test_contributor_can_answer_outsider_cannot(world):
    rep = world.user("rep_north")
    req = services.requirement_add(actor=rep, rfp=world.rfp, text="Q?")
    with pytest.raises(PermissionDenied):
        services.requirement_answer(actor=world.user("rep_south"), requirement=req, answer="x")
    services.rfp_update(actor=rep, rfp=world.rfp, contributors=[world.org.people["rep_south"]])
    services.requirement_answer(actor=world.user("rep_south"), requirement=req, answer="Yes")
    req.refresh_from_db()
    assert req.answer == "Yes"


def test_approval_flow_happy_path(world):
    rfp = _ready_for_review(world)
    assert rfp.status == RfpStatus.IN_REVIEW
    rsm = world.user("rsm_north")
    rfp = services.rfp_approve(actor=rsm, rfp=rfp)
    assert rfp.status == RfpStatus.APPROVED and rfp.approved_by == rsm and rfp.approved_at
    assert Requirement.objects.get(rfp=rfp, number="1.1").status == RequirementStatus.APPROVED
    rfp = services.rfp_mark_submitted(actor=world.user("rep_north"), rfp=rfp)
    assert rfp.status == RfpStatus.SUBMITTED and rfp.submitted_at
    assert Interaction.objects.filter(party=world.north_party, direction="outbound").count() == 1
    rfp = services.rfp_set_outcome(
        actor=world.user("rep_north"), rfp=rfp, outcome="won", reason="Best service"
    )
    assert rfp.status == RfpStatus.WON and rfp.outcome_reason == "Best service"
    actions = set(
        AuditEntry.objects.filter(object_id=str(rfp.pk), action__startswith="rfps.rfp.").values_list(
            "action", flat=True
        )
    )
    assert {"rfps.rfp.review_requested", "rfps.rfp.approved", "rfps.rfp.submitted", "rfps.rfp.won"} <= actions
    history = list(RfpEvent.objects.filter(rfp=rfp).values_list("action", flat=True))
    assert "approved" in history and "won" in history


def test_missing_mandatory_answers_block_approval_and_are_listed(world):
    rfp = _ready_for_review(world, answer_all=False)
    with pytest.raises(ValidationError) as exc:
        services.rfp_approve(actor=world.user("rsm_north"), rfp=rfp)
    assert exc.value.code == "missing_answers"
    assert "1.1" in exc.value.messages[0] and "1.2" not in exc.value.messages[0]
    rfp.refresh_from_db()
    assert rfp.status == RfpStatus.IN_REVIEW


def test_not_applicable_counts_as_done(world):
    rep = world.user("rep_north")
    req = services.requirement_add(actor=rep, rfp=world.rfp, text="Local office in Kiruna")
    services.requirement_answer(actor=rep, requirement=req, not_applicable=True)
    rfp = services.rfp_submit_for_review(actor=rep, rfp=world.rfp)
    assert services.rfp_approve(actor=world.user("rsm_north"), rfp=rfp).status == RfpStatus.APPROVED


def test_owner_cannot_approve_own_rfp(world):
    rsm = world.user("rsm_north")
    rfp = services.rfp_create(
        actor=rsm, party=world.north_party, title="Manager's own", due_at=world.rfp.due_at
    )
    services.requirement_add(actor=rsm, rfp=rfp, text="Q", mandatory=False)
    services.rfp_submit_for_review(actor=rsm, rfp=rfp)
    with pytest.raises(ValidationError) as exc:
        services.rfp_approve(actor=rsm, rfp=rfp)
    assert exc.value.code == "own_rfp"
    assert services.rfp_approve(actor=world.user("nsm"), rfp=rfp).status == RfpStatus.APPROVED


def test_rep_cannot_approve(world):
    rfp = _ready_for_review(world)
    with pytest.raises(PermissionDenied):
        services.rfp_approve(actor=world.user("rep_north"), rfp=rfp)


def test_regional_manager_of_other_region_cannot_approve(world):
    rep = world.user("rep_south")
    services.requirement_add(actor=rep, rfp=world.south_rfp, text="Q", mandatory=False)
    rfp = services.rfp_submit_for_review(actor=rep, rfp=world.south_rfp)
    with pytest.raises(PermissionDenied):
        services.rfp_approve(actor=world.user("rsm_north"), rfp=rfp)


def test_reject_needs_comment_and_goes_back(world):
    rfp = _ready_for_review(world)
    with pytest.raises(ValidationError):
        services.rfp_reject(actor=world.user("rsm_north"), rfp=rfp, comment=" ")
    rfp = services.rfp_reject(actor=world.user("rsm_north"), rfp=rfp, comment="Add references")
    assert rfp.status == RfpStatus.IN_PROGRESS
    assert RfpEvent.objects.filter(rfp=rfp, action="rejected", message="Add references").exists()


def test_wrong_status_transitions_are_refused(world):
    rep = world.user("rep_north")
    with pytest.raises(ValidationError) as exc:
        services.rfp_mark_submitted(actor=rep, rfp=world.rfp)
    assert exc.value.code == "wrong_status"
    with pytest.raises(ValidationError):
        services.rfp_set_outcome(actor=rep, rfp=world.rfp, outcome="won", reason="x")
    rfp = services.rfp_set_outcome(actor=rep, rfp=world.rfp, outcome="withdrawn", reason="No capacity")
    assert rfp.status == RfpStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.rfp_set_outcome(actor=rep, rfp=rfp, outcome="withdrawn", reason="again")


def test_outcome_needs_reason(world):
    rfp = _ready_for_review(world)
    rfp = services.rfp_approve(actor=world.user("rsm_north"), rfp=rfp)
    rfp = services.rfp_mark_submitted(actor=world.user("rep_north"), rfp=rfp)
    with pytest.raises(ValidationError) as exc:
        services.rfp_set_outcome(actor=world.user("rep_north"), rfp=rfp, outcome="lost", reason="")
    assert "reason" in exc.value.error_dict


def test_outcome_wins_linked_opportunity(world):
    sales_services = pytest.importorskip("frontoffice.sales.services")
    if not hasattr(sales_services, "opportunity_win"):
        pytest.skip("sales.services.opportunity_win is not there yet")
    rep = world.user("rep_north")
    import datetime
    from decimal import Decimal

    opportunity = sales_services.opportunity_create(
        actor=rep,
        party=world.north_party,
        name="Chairs",
        amount=Decimal("250000.00"),
        expected_close_on=datetime.date.today() + datetime.timedelta(days=30),
    )
    services.rfp_update(actor=rep, rfp=world.rfp, opportunity=opportunity)
    rfp = _ready_for_review(world)
    rfp = services.rfp_approve(actor=world.user("rsm_north"), rfp=rfp)
    rfp = services.rfp_mark_submitted(actor=rep, rfp=rfp)
    services.rfp_set_outcome(actor=rep, rfp=rfp, outcome="won", reason="Price and service")
    opportunity.refresh_from_db()
    assert opportunity.closed_on is not None
    assert opportunity.stage.kind == "won"


def test_library_edit_clears_approval_and_approve_needs_permission(world):
    rsm = world.user("rsm_north")
    entry = services.library_entry_update(actor=rsm, entry=world.entry, answer="New wording")
    assert entry.approved_at is None
    with pytest.raises(PermissionDenied):
        services.library_entry_approve(actor=world.user("rep_north"), entry=entry)
    with pytest.raises(PermissionDenied):
        services.library_entry_create(
            actor=world.user("rep_north"), legal_entity=world.org.company, question="q", answer="a"
        )
    entry = services.library_entry_approve(actor=rsm, entry=entry)
    assert entry.approved_by == rsm


def test_promote_answer_into_library(world):
    rep = world.user("rep_north")
    req = services.requirement_add(actor=rep, rfp=world.rfp, text="Delivery time?")
    services.requirement_answer(actor=rep, requirement=req, answer="Four weeks from order.")
    with pytest.raises(PermissionDenied):
        services.library_promote(actor=rep, requirement=req)
    entry = services.library_promote(
        actor=world.user("rsm_north"), requirement=req, tags="Delivery, Logistics"
    )
    assert (
        entry.is_approved and entry.answer == "Four weeks from order." and entry.question == "Delivery time?"
    )
    assert entry.tags == "delivery, logistics"
    req.refresh_from_db()
    assert req.source_entry == entry
    assert AnswerLibraryEntry.objects.filter(legal_entity=world.org.company).count() == 2
