"""``seed_pricing``: the demo's approved and pending price profiles, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontoffice.billing.models import Product, ProductGroup
from frontoffice.pricing.demo import seed_pricing
from frontoffice.pricing.models import ApprovalRequest, DiscountAuthority, PriceProfile

pytestmark = pytest.mark.django_db


def demo_users(org):
    return {
        "rep": org.user("rep_north"),
        "rep2": org.user("rep_south"),
        "rsm": org.user("rsm_north"),
        "nsm": org.user("nsm"),
        "cfo": org.user("finance_manager"),
    }


def test_seeding_creates_one_approved_and_one_pending_profile_once(org, catalogue, customers):
    assert seed_pricing(org.company, demo_users(org)) == 2
    approved = PriceProfile.objects.get(party=customers.north)
    assert (approved.status, approved.approved_by, approved.max_discount_percent) == (
        PriceProfile.Status.APPROVED,
        org.user("rsm_north"),
        Decimal("12.00"),
    )
    pending = PriceProfile.objects.get(party=customers.south)
    assert (pending.status, pending.max_discount_percent) == (
        PriceProfile.Status.PENDING_APPROVAL,
        Decimal("40.00"),
    )
    assert ApprovalRequest.objects.get(status="pending").assigned_to == org.user("finance_manager")
    assert DiscountAuthority.objects.filter(legal_entity=org.company).count() == 4
    assert seed_pricing(org.company, demo_users(org)) == 0
    assert PriceProfile.objects.count() == 2


def test_without_a_catalogue_it_adds_a_small_one(org, billing, customers):
    assert seed_pricing(org.company, demo_users(org)) == 2
    assert ProductGroup.objects.filter(legal_entity=org.company, code="TAND").count() == 1
    assert Product.objects.filter(legal_entity=org.company, group__code="TAND").count() == 2


def test_without_billing_it_creates_nothing(org, customers):
    assert seed_pricing(org.company, demo_users(org)) == 0
    assert not PriceProfile.objects.exists()
