"""Price profiles: drafting, rules, submission against discount authority, routing, approval,
rejection, withdrawal and supersession; every decision kept and audited."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from frontoffice.core.models import AuditEntry
from frontoffice.org.models import Role
from frontoffice.pricing.models import (
    ApprovalDecision,
    ApprovalRequest,
    DiscountAuthority,
    PriceProfile,
    PriceRule,
)
from frontoffice.pricing.selectors import approval_history, profile_max_discount, user_authority
from frontoffice.pricing.services.authority import discount_authority_set, discount_authority_setup
from frontoffice.pricing.services.profiles import (
    price_profile_approve,
    price_profile_create,
    price_profile_reject,
    price_profile_submit,
    price_profile_update,
    price_profile_withdraw,
    price_rule_add,
    price_rule_remove,
    price_rule_update,
)

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
MAR = datetime.date(2026, 3, 1)


def draft(org, party, actor="rep_north", name="Volume 2026", valid_from=JAN, **kw):
    return price_profile_create(actor=org.user(actor), party=party, name=name, valid_from=valid_from, **kw)


def group_discount(org, profile, group, percent, actor="rep_north", **kw):
    return price_rule_add(
        actor=org.user(actor), profile=profile, product_group=group, discount_percent=percent, **kw
    )


def actions(profile):
    return [(d.action, d.actor.username, d.comment) for d in approval_history(profile)]


# ---------------------------------------------------------------- drafting


def test_a_rep_drafts_a_profile_for_an_own_customer(org, catalogue, customers):
    profile = draft(org, customers.north)
    assert profile.status == PriceProfile.Status.DRAFT
    assert (profile.legal_entity, profile.party, profile.created_by) == (
        org.company,
        customers.north,
        org.user("rep_north"),
    )
    entry = AuditEntry.objects.for_object(profile).get()
    assert entry.action == "pricing.price_profile.created"
    assert entry.changes["name"] == [None, "Volume 2026"]


def test_a_rep_cannot_price_another_reps_customer(org, catalogue, customers):
    with pytest.raises(PermissionDenied):
        draft(org, customers.south, actor="rep_north")
    assert PriceProfile.objects.count() == 0


@pytest.mark.parametrize("persona", ["other_clerk", "clerk", "auditor", "receptionist", "nobody"])
def test_roles_without_the_permission_cannot_draft(org, catalogue, customers, persona):
    with pytest.raises(PermissionDenied):
        draft(org, customers.north, actor=persona)


def test_end_date_before_start_is_refused(org, catalogue, customers):
    with pytest.raises(ValidationError) as error:
        draft(org, customers.north, valid_to=datetime.date(2025, 12, 31))
    assert error.value.error_dict["valid_to"][0].code == "dates_reversed"
    assert PriceProfile.objects.count() == 0


def test_rules_name_the_bad_field_and_write_nothing(org, catalogue, customers):
    profile = draft(org, customers.north)
    cases = [
        (
            {"product_group": catalogue.dental, "discount_percent": "100.01"},
            "discount_percent",
            "discount_range",
        ),
        ({"product_group": catalogue.dental, "discount_percent": "-1"}, "discount_percent", "discount_range"),
        ({"product_group": catalogue.dental}, "discount_percent", "required"),
        ({"discount_percent": "5"}, "product", "one_target"),
        (
            {"product": catalogue.exam, "product_group": catalogue.dental, "discount_percent": "5"},
            "product",
            "one_target",
        ),
        (
            {"kind": "fixed_price", "product_group": catalogue.dental, "unit_price_amount": "10"},
            "product_group",
            "fixed_price_needs_product",
        ),
        (
            {"kind": "fixed_price", "product": catalogue.exam, "unit_price_amount": "-1"},
            "unit_price_amount",
            "negative_price",
        ),
        ({"kind": "fixed_price", "product": catalogue.exam}, "unit_price_amount", "required"),
        ({"product": catalogue.exam, "discount_percent": "5", "min_quantity": "-2"}, "min_quantity", None),
    ]
    for fields, field, code in cases:
        with pytest.raises(ValidationError) as error:
            price_rule_add(actor=org.user("rep_north"), profile=profile, **fields)
        assert field in error.value.error_dict, (fields, error.value)
        if code:
            assert code in [e.code for e in error.value.error_dict[field]], (fields, error.value)
    assert PriceRule.objects.count() == 0


def test_a_rule_must_not_repeat_a_tier(org, catalogue, customers):
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "5")
    with pytest.raises(ValidationError) as error:
        group_discount(org, profile, catalogue.dental, "7")
    assert error.value.error_dict["min_quantity"][0].code == "duplicate_rule"
    group_discount(org, profile, catalogue.dental, "7", min_quantity="10")
    assert profile.rules.count() == 2


def test_rules_change_and_go_and_each_change_is_audited(org, catalogue, customers):
    profile = draft(org, customers.north)
    rule = group_discount(org, profile, catalogue.dental, "5")
    price_rule_update(actor=org.user("rep_north"), rule=rule, discount_percent="7,5")
    rule.refresh_from_db()
    assert rule.discount_percent == Decimal("7.50")
    price_rule_remove(actor=org.user("rep_north"), rule=rule)
    assert profile.rules.count() == 0
    assert [e.action for e in AuditEntry.objects.for_object(profile).order_by("at", "id")] == [
        "pricing.price_profile.created",
        "pricing.price_rule.added",
        "pricing.price_rule.changed",
        "pricing.price_rule.removed",
    ]


def test_largest_discount_counts_fixed_prices_against_the_list_price(org, catalogue, customers):
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "12")
    price_rule_add(
        actor=org.user("rep_north"),
        profile=profile,
        kind="fixed_price",
        product=catalogue.exam,
        unit_price_amount="850.00",
    )
    assert profile_max_discount(profile) == Decimal("15.00")
    # A fixed price above the list price is no discount; a third off rounds up.
    price_rule_add(
        actor=org.user("rep_north"),
        profile=profile,
        kind="fixed_price",
        product=catalogue.soft,
        unit_price_amount="200.00",
    )
    assert profile_max_discount(profile) == Decimal("33.34")


# ---------------------------------------------------------------- submission and authority


def test_within_authority_a_profile_is_approved_at_once(
    org, catalogue, customers, django_capture_on_commit_callbacks
):
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "8")
    with django_capture_on_commit_callbacks(execute=True):
        profile = price_profile_submit(actor=org.user("rep_north"), profile=profile)
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.APPROVED
    assert profile.approved_by == org.user("rep_north")
    assert profile.max_discount_percent == Decimal("8.00")
    request = ApprovalRequest.objects.get()
    assert (request.status, request.assigned_to, request.decided_by) == (
        ApprovalRequest.Status.APPROVED,
        None,
        org.user("rep_north"),
    )
    decision = ApprovalDecision.objects.get()
    assert (decision.action, decision.authority_percent, decision.discount_percent) == (
        ApprovalDecision.Action.SELF_APPROVED,
        Decimal("10.00"),
        Decimal("8.00"),
    )
    assert mail.outbox == []
    assert {"pricing.price_profile.submitted", "pricing.price_profile.approved"} <= set(
        AuditEntry.objects.for_object(profile).values_list("action", flat=True)
    )


def test_above_authority_a_profile_goes_to_the_regional_manager(
    org, catalogue, customers, django_capture_on_commit_callbacks
):
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "12")
    with django_capture_on_commit_callbacks(execute=True):
        price_profile_submit(actor=org.user("rep_north"), profile=profile)
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.PENDING_APPROVAL
    request = ApprovalRequest.objects.get()
    assert (request.status, request.assigned_to, request.discount_percent) == (
        ApprovalRequest.Status.PENDING,
        org.user("rsm_north"),
        Decimal("12.00"),
    )
    assert actions(profile) == [("submitted", "rep_north", "")]
    assert ApprovalDecision.objects.get().routed_to == org.user("rsm_north")
    assert [m.to for m in mail.outbox] == [["rsm_north@example.com"]]
    assert "12 %" in mail.outbox[0].subject
    assert profile.get_absolute_url() in mail.outbox[0].body


@pytest.mark.parametrize(
    ("percent", "approver"),
    [
        ("20", "rsm_north"),
        ("20.01", "nsm"),
        ("35", "nsm"),
        ("35.5", "finance_manager"),
        ("100", "finance_manager"),
    ],
)
def test_routing_goes_to_the_nearest_person_whose_authority_covers_it(
    org, catalogue, customers, percent, approver
):
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, percent)
    price_profile_submit(actor=org.user("rep_north"), profile=profile)
    assert ApprovalRequest.objects.get().assigned_to == org.user(approver)


def test_a_region_without_a_regional_manager_routes_to_the_national_manager(org, catalogue, customers):
    profile = draft(org, customers.south, actor="rep_south")
    group_discount(org, profile, catalogue.dental, "12", actor="rep_south")
    price_profile_submit(actor=org.user("rep_south"), profile=profile)
    assert ApprovalRequest.objects.get().assigned_to == org.user("nsm")


def test_a_managers_own_profile_skips_them(org, catalogue, customers):
    profile = draft(org, customers.north, actor="rsm_north")
    group_discount(org, profile, catalogue.dental, "25", actor="rsm_north")
    price_profile_submit(actor=org.user("rsm_north"), profile=profile)
    assert ApprovalRequest.objects.get().assigned_to == org.user("nsm")


def test_submitting_needs_rules_and_a_draft(org, catalogue, customers):
    profile = draft(org, customers.north)
    with pytest.raises(ValidationError) as error:
        price_profile_submit(actor=org.user("rep_north"), profile=profile)
    assert error.value.code == "no_rules"
    group_discount(org, profile, catalogue.dental, "12")
    price_profile_submit(actor=org.user("rep_north"), profile=profile)
    with pytest.raises(ValidationError) as error:
        price_profile_submit(actor=org.user("rep_north"), profile=profile)
    assert error.value.code == "not_editable"
    with pytest.raises(ValidationError) as error:
        group_discount(org, profile, catalogue.hygiene, "1")
    assert error.value.code == "not_editable"


def test_nobody_covering_the_discount_leaves_the_draft_as_it_was(org, catalogue, customers):
    discount_authority_set(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        role=Role.objects.get(code="finance_manager"),
        max_discount_percent="50",
    )
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "60")
    with pytest.raises(ValidationError) as error:
        price_profile_submit(actor=org.user("rep_north"), profile=profile)
    assert error.value.code == "no_approver"
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.DRAFT
    assert not ApprovalRequest.objects.exists()


# ---------------------------------------------------------------- deciding


@pytest.fixture
def pending(org, catalogue, customers):
    """rep_north's 12 % profile for the North customer, routed to rsm_north."""
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "12")
    return price_profile_submit(actor=org.user("rep_north"), profile=profile)


def test_the_regional_manager_approves_with_a_comment(org, pending, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        price_profile_approve(actor=org.user("rsm_north"), profile=pending, comment="Fine for 2026.")
    pending.refresh_from_db()
    assert pending.status == PriceProfile.Status.APPROVED
    assert pending.approved_by == org.user("rsm_north")
    assert actions(pending) == [("submitted", "rep_north", ""), ("approved", "rsm_north", "Fine for 2026.")]
    decision = approval_history(pending)[-1]
    assert decision.authority_percent == Decimal("20.00")
    request = ApprovalRequest.objects.get()
    assert (request.status, request.decided_by) == (ApprovalRequest.Status.APPROVED, org.user("rsm_north"))
    assert [m.to for m in mail.outbox] == [["rep_north@example.com"]]
    assert "Fine for 2026." in mail.outbox[0].body
    assert "pricing.price_profile.approved" in AuditEntry.objects.for_object(pending).values_list(
        "action", flat=True
    )


def test_someone_above_the_routed_approver_may_decide_too(org, pending):
    price_profile_approve(actor=org.user("finance_manager"), profile=pending)
    pending.refresh_from_db()
    assert pending.approved_by == org.user("finance_manager")


def test_a_rep_cannot_approve(org, pending):
    with pytest.raises(PermissionDenied):
        price_profile_approve(actor=org.user("rep_north"), profile=pending)
    with pytest.raises(PermissionDenied):
        price_profile_approve(actor=org.user("rep_south"), profile=pending)
    pending.refresh_from_db()
    assert pending.status == PriceProfile.Status.PENDING_APPROVAL


def test_the_author_cannot_approve_their_own_profile(org, catalogue, customers):
    profile = draft(org, customers.north, actor="rsm_north")
    group_discount(org, profile, catalogue.dental, "25", actor="rsm_north")
    price_profile_submit(actor=org.user("rsm_north"), profile=profile)
    with pytest.raises(ValidationError) as error:
        price_profile_approve(actor=org.user("rsm_north"), profile=profile)
    assert error.value.code == "self_approval"
    profile = draft(org, customers.north, actor="finance_manager", name="Finance's own")
    group_discount(org, profile, catalogue.dental, "12", actor="finance_manager")
    # Within the finance manager's authority: approved at once, recorded as such.
    price_profile_submit(actor=org.user("finance_manager"), profile=profile)
    assert actions(profile) == [("self_approved", "finance_manager", "")]


def test_an_approver_needs_authority_covering_the_discount(org, catalogue, customers):
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "30")
    price_profile_submit(actor=org.user("rep_north"), profile=profile)
    with pytest.raises(ValidationError) as error:
        price_profile_approve(actor=org.user("rsm_north"), profile=profile)
    assert error.value.code == "above_authority"
    price_profile_approve(actor=org.user("nsm"), profile=profile)
    profile.refresh_from_db()
    assert profile.status == PriceProfile.Status.APPROVED


def test_an_approver_outside_the_customers_scope_is_refused(org, catalogue, customers):
    profile = draft(org, customers.south, actor="rep_south")
    group_discount(org, profile, catalogue.dental, "12", actor="rep_south")
    price_profile_submit(actor=org.user("rep_south"), profile=profile)
    with pytest.raises(PermissionDenied):
        price_profile_approve(actor=org.user("rsm_north"), profile=profile)
    with pytest.raises(PermissionDenied):
        price_profile_approve(actor=org.user("other_clerk"), profile=profile)


def test_rejection_needs_a_comment_then_the_author_revises_and_resubmits(org, pending, catalogue):
    with pytest.raises(ValidationError) as error:
        price_profile_reject(actor=org.user("rsm_north"), profile=pending, comment="  ")
    assert error.value.error_dict["comment"][0].code == "comment_required"
    price_profile_reject(actor=org.user("rsm_north"), profile=pending, comment="Too generous on X-rays.")
    pending.refresh_from_db()
    assert pending.status == PriceProfile.Status.REJECTED
    rule = pending.rules.get()
    price_rule_update(actor=org.user("rep_north"), rule=rule, discount_percent="9")
    pending.refresh_from_db()
    assert pending.status == PriceProfile.Status.DRAFT
    price_profile_submit(actor=org.user("rep_north"), profile=pending)
    pending.refresh_from_db()
    assert pending.status == PriceProfile.Status.APPROVED
    assert actions(pending) == [
        ("submitted", "rep_north", ""),
        ("rejected", "rsm_north", "Too generous on X-rays."),
        ("self_approved", "rep_north", ""),
    ]


def test_decisions_are_append_only(org, pending):
    decision = ApprovalDecision.objects.get()
    decision.comment = "changed"
    with pytest.raises(RuntimeError):
        decision.save()
    with pytest.raises(RuntimeError):
        decision.delete()


def test_only_one_pending_request_per_target(org, pending):
    request = ApprovalRequest.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.create(
            legal_entity=request.legal_entity,
            party=request.party,
            target_type=request.target_type,
            target_id=request.target_id,
            title="again",
            discount_percent=Decimal("1"),
            requested_by=request.requested_by,
        )


def test_approved_profiles_cannot_be_edited(org, pending):
    price_profile_approve(actor=org.user("rsm_north"), profile=pending)
    with pytest.raises(ValidationError) as error:
        price_profile_update(actor=org.user("rep_north"), profile=pending, name="Bigger")
    assert error.value.code == "not_editable"


def test_withdrawing_a_pending_profile_closes_its_request(org, pending):
    price_profile_withdraw(actor=org.user("rep_north"), profile=pending, comment="Customer went elsewhere.")
    pending.refresh_from_db()
    assert pending.status == PriceProfile.Status.WITHDRAWN
    assert ApprovalRequest.objects.get().status == ApprovalRequest.Status.WITHDRAWN
    assert actions(pending)[-1] == ("withdrawn", "rep_north", "Customer went elsewhere.")
    with pytest.raises(ValidationError) as error:
        price_profile_approve(actor=org.user("rsm_north"), profile=pending)
    assert error.value.code == "not_pending"


def test_approving_supersedes_the_earlier_profile_from_its_start(org, catalogue, customers):
    first = draft(org, customers.north, name="2026")
    group_discount(org, first, catalogue.dental, "5")
    price_profile_submit(actor=org.user("rep_north"), profile=first)
    second = draft(org, customers.north, name="From March", valid_from=MAR)
    group_discount(org, second, catalogue.dental, "15")
    price_profile_submit(actor=org.user("rep_north"), profile=second)
    first.refresh_from_db()
    assert first.status == PriceProfile.Status.APPROVED  # still in force while the new one waits
    price_profile_approve(actor=org.user("rsm_north"), profile=second)
    first.refresh_from_db()
    assert (first.status, first.superseded_by, first.superseded_from) == (
        PriceProfile.Status.SUPERSEDED,
        second,
        MAR,
    )
    assert AuditEntry.objects.for_object(first).filter(action="pricing.price_profile.superseded").count() == 1
    assert list(PriceProfile.objects.effective_on(datetime.date(2026, 2, 28))) == [first]
    assert list(PriceProfile.objects.effective_on(MAR)) == [second]


def test_profiles_that_do_not_overlap_are_not_superseded(org, catalogue, customers):
    spring = draft(org, customers.north, name="Spring", valid_to=datetime.date(2026, 5, 31))
    group_discount(org, spring, catalogue.dental, "5")
    price_profile_submit(actor=org.user("rep_north"), profile=spring)
    autumn = draft(org, customers.north, name="Autumn", valid_from=datetime.date(2026, 9, 1))
    group_discount(org, autumn, catalogue.dental, "5")
    price_profile_submit(actor=org.user("rep_north"), profile=autumn)
    spring.refresh_from_db()
    assert spring.status == PriceProfile.Status.APPROVED


# ---------------------------------------------------------------- discount authority


def test_shipped_authorities(org):
    expected = {
        "rep_north": "10.00",
        "rsm_north": "20.00",
        "nsm": "35.00",
        "finance_manager": "100.00",
        "clerk": "0.00",
        "other_clerk": "0.00",
        "nobody": "0.00",
    }
    for persona, percent in expected.items():
        assert user_authority(user=org.user(persona), legal_entity=org.company) == Decimal(percent), persona


def test_the_finance_manager_changes_a_roles_authority(org, catalogue, customers):
    rep = Role.objects.get(code="sales_rep")
    discount_authority_set(
        actor=org.user("finance_manager"), legal_entity=org.company, role=rep, max_discount_percent="5"
    )
    assert user_authority(user=org.user("rep_north"), legal_entity=org.company) == Decimal("5.00")
    entry = AuditEntry.objects.get(action="pricing.discount_authority.changed")
    assert entry.changes["max_discount_percent"] == ["10.00", "5.00"]
    profile = draft(org, customers.north)
    group_discount(org, profile, catalogue.dental, "8")
    price_profile_submit(actor=org.user("rep_north"), profile=profile)
    assert ApprovalRequest.objects.get().assigned_to == org.user("rsm_north")


@pytest.mark.parametrize("persona", ["rsm_north", "nsm", "clerk", "auditor", "admin", "other_clerk"])
def test_only_the_finance_manager_changes_authority(org, persona):
    with pytest.raises(PermissionDenied):
        discount_authority_set(
            actor=org.user(persona),
            legal_entity=org.company,
            role=Role.objects.get(code="sales_rep"),
            max_discount_percent="50",
        )
    assert not DiscountAuthority.objects.exists()


@pytest.mark.parametrize("value", ["100.01", "-1", "abc", "NaN"])
def test_authority_outside_0_to_100_is_refused(org, value):
    with pytest.raises(ValidationError) as error:
        discount_authority_set(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            role=Role.objects.get(code="sales_rep"),
            max_discount_percent=value,
        )
    assert error.value.error_dict["max_discount_percent"][0].code == "discount_range"


def test_setup_stores_the_defaults_once(org):
    assert discount_authority_setup(actor=None, legal_entity=org.company) == 4
    assert discount_authority_setup(actor=None, legal_entity=org.company) == 0
    assert dict(
        DiscountAuthority.objects.filter(legal_entity=org.company).values_list(
            "role__code", "max_discount_percent"
        )
    ) == {
        "sales_rep": Decimal("10.00"),
        "regional_sales_manager": Decimal("20.00"),
        "national_sales_manager": Decimal("35.00"),
        "finance_manager": Decimal("100.00"),
    }
