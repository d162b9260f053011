"""``seed_billing``: demo billing set-up, catalogue and customer profiles, safe to run twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontoffice.billing.demo import PRODUCTS, seed_billing
from frontoffice.billing.models import BillingProfile, BillingSettings, Product, ProductGroup
from frontoffice.core.models import AuditEntry
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(org):
    return {
        "cfo": org.user("finance_manager"),
        "clerk": org.user("clerk"),
        "rep": org.user("rep_north"),
        "rep2": org.user("rep_south"),
    }


@pytest.fixture
def customers(ledger, org):
    rep = org.user("rep_north")
    made = [
        make_party(
            rep,
            kind="organisation",
            organisation_name=f"Kund {i} AB",
            organisation_number=number,
            email=f"info{i}@kund.example",
            street=f"Storgatan {i}",
            postal_code="903 26",
            city="Umeå",
        )
        for i, number in enumerate(["556036-0793", "559218-3411", "556677-8899"])
    ]
    made.append(
        make_party(
            org.user("admin"),
            kind="organisation",
            organisation_name="Fri AB",
            region=org.north,
            street="Kungsgatan 2",
            postal_code="972 31",
            city="Luleå",
        )
    )
    made.append(
        make_party(
            rep,
            first_name="Anna",
            last_name="Berg",
            email="anna@example.com",
            street="Ekv 1",
            postal_code="90326",
            city="Umeå",
        )
    )
    return made


def test_seed_billing_sets_up_billing_catalogue_and_profiles(org, users, customers):
    created = seed_billing(org.company, users)
    assert created == {"groups": 3, "products": len(PRODUCTS), "profiles": 5}
    settings = BillingSettings.objects.get(legal_entity=org.company)
    assert (settings.bankgiro, settings.iban, settings.postal_code) == (
        "5050-1055",
        "SE4550000000058398257466",
        "903 26",
    )
    products = {p.code: p for p in Product.objects.select_related("vat_code")}
    assert len(products) >= 12
    assert products["TV-UND"].vat_code.code == "SE00"  # dental care is exempt
    assert products["TV-BLEK"].vat_code.code == "SE25"  # cosmetic whitening is not
    assert products["KO-LUNCH"].vat_code.code == "SE12" and products["KO-BROS"].vat_code.code == "SE06"
    assert products["HY-TKR"].unit_price_amount == Decimal("49.00")
    profiles = {p.legal_name: p for p in BillingProfile.objects.select_related("created_by")}
    assert profiles["Kund 0 AB"].created_by == org.user("rep_north")  # the rep drafts it (journey 6)
    assert profiles["Fri AB"].created_by == org.user("clerk")  # unassigned: finance sets it up
    assert profiles["Kund 1 AB"].delivery == "peppol" and profiles["Kund 1 AB"].peppol_id == "0007:5592183411"
    assert profiles["Kund 0 AB"].vat_number == "SE556036079301"
    assert (
        profiles["Anna Berg"].vat_number == "" and profiles["Anna Berg"].billing_email == "anna@example.com"
    )
    assert AuditEntry.objects.filter(action="billing.profile.created").count() == 5


def test_seed_billing_twice_creates_nothing_new(org, users, customers):
    for i in range(8):  # more customers than the demo gives profiles to
        make_party(
            org.user("rep_north"),
            kind="organisation",
            organisation_name=f"Extra {i} AB",
            street="Väg 1",
            postal_code="903 26",
            city="Umeå",
            email=f"extra{i}@kund.example",
        )
    seed_billing(org.company, users)
    counts = (ProductGroup.objects.count(), Product.objects.count(), BillingProfile.objects.count())
    assert seed_billing(org.company, users) == {"groups": 0, "products": 0, "profiles": 0}
    assert (ProductGroup.objects.count(), Product.objects.count(), BillingProfile.objects.count()) == counts


def test_seed_billing_without_a_chart_does_nothing(org, users):
    assert seed_billing(org.company, users) == {"groups": 0, "products": 0, "profiles": 0}
    assert not BillingSettings.objects.exists()
