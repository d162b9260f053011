"""``/api/v1/pricing/``: price profiles and the line price lookup, per persona."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontoffice.pricing.models import PriceProfile, PriceRule
from frontoffice.pricing.tests.test_line_price import approved

pytestmark = pytest.mark.django_db

PROFILES = reverse("api:pricing-profile-list")
LINE_PRICE = reverse("api:pricing-line-price")


def detail(name, profile):
    return reverse(f"api:pricing-{name}", args=[profile["id"] if isinstance(profile, dict) else profile.pk])


def body(customers, catalogue, **extra):
    data = {
        "party": customers.north.pk,
        "name": "Volume 2026",
        "valid_from": "2026-01-01",
        "rules": [
            {"product_group": catalogue.dental.pk, "discount_percent": "12.00"},
            {
                "kind": "fixed_price",
                "product": catalogue.soft.pk,
                "unit_price_amount": "270.00",
                "min_quantity": "10",
            },
        ],
    }
    data.update(extra)
    return data


def test_a_rep_creates_and_submits_a_profile_routed_to_the_regional_manager(
    org, catalogue, customers, client_for
):
    response = client_for("rep_north").post(
        PROFILES, body(customers, catalogue, submit=True), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "pending_approval"
    assert data["max_discount_percent"] == "12.00"
    assert data["awaiting"]["id"] == org.user("rsm_north").pk
    assert [
        (r["kind"], r["discount_percent"], r["unit_price_amount"], r["min_quantity"]) for r in data["rules"]
    ] == [
        ("percent", "12.00", None, "0.000"),
        ("fixed_price", None, "270.00", "10.000"),
    ]
    assert [d["action"] for d in data["decisions"]] == ["submitted"]


def test_a_bad_rule_names_its_index_and_field_and_nothing_is_written(org, catalogue, customers, client_for):
    data = body(customers, catalogue)
    data["rules"][1] = {"product_group": catalogue.hygiene.pk, "discount_percent": "150"}
    response = client_for("rep_north").post(PROFILES, data, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "rules.1.discount_percent": ["Enter a discount between 0 and 100 %."]
    }
    assert not PriceProfile.objects.exists() and not PriceRule.objects.exists()


def test_numbers_for_amounts_and_invisible_customers_are_refused(org, catalogue, customers, client_for):
    data = body(customers, catalogue)
    data["rules"][0]["discount_percent"] = 12
    response = client_for("rep_north").post(PROFILES, data, content_type="application/json")
    assert response.status_code == 400 and "rules.0.discount_percent" in response.json()["errors"]
    response = client_for("rep_north").post(
        PROFILES, body(customers, catalogue, party=customers.south.pk), content_type="application/json"
    )
    assert response.status_code == 400 and "party" in response.json()["errors"]
    assert not PriceProfile.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("clerk", 403), ("auditor", 403), ("receptionist", 403), ("nobody", 403)]
)
def test_only_sales_and_finance_create(org, catalogue, customers, client_for, persona, status):
    response = client_for(persona).post(PROFILES, body(customers, catalogue), content_type="application/json")
    assert response.status_code == status
    assert not PriceProfile.objects.exists()


def test_lists_and_details_follow_the_customers_scope(org, catalogue, customers, client_for):
    north = approved(
        org, customers.north, [{"product_group": catalogue.dental, "discount_percent": "5"}], name="N"
    )
    south = approved(
        org, customers.south, [{"product_group": catalogue.dental, "discount_percent": "5"}], name="S"
    )
    names = {
        persona: sorted(p["name"] for p in client_for(persona).get(PROFILES).json()["results"])
        for persona in ("rep_north", "rep_south", "rsm_north", "clerk", "other_clerk")
    }
    assert names == {
        "rep_north": ["N"],
        "rep_south": ["S"],
        "rsm_north": ["N"],
        "clerk": ["N", "S"],
        "other_clerk": [],
    }
    assert client_for("rep_south").get(detail("profile-detail", north)).status_code == 404
    assert client_for("other_clerk").get(detail("profile-detail", south)).status_code == 404
    assert client_for("receptionist").get(PROFILES).status_code == 403
    response = client_for("clerk").get(PROFILES, {"status": "approved", "party": customers.south.pk})
    assert [p["name"] for p in response.json()["results"]] == ["S"]


def test_approve_and_reject_through_the_api(org, catalogue, customers, client_for):
    created = (
        client_for("rep_north")
        .post(PROFILES, body(customers, catalogue, submit=True), content_type="application/json")
        .json()
    )
    assert (
        client_for("rep_north")
        .post(detail("profile-approve", created), content_type="application/json")
        .status_code
        == 403
    )
    response = client_for("rsm_north").post(
        detail("profile-reject", created), {}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "comment_required")
    response = client_for("rsm_north").post(
        detail("profile-approve", created), {"comment": "Good customer."}, content_type="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["approved_by"]["id"]) == ("approved", org.user("rsm_north").pk)
    assert [(d["action"], d["comment"]) for d in data["decisions"]] == [
        ("submitted", ""),
        ("approved", "Good customer."),
    ]
    again = client_for("finance_manager").post(
        detail("profile-approve", created), content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (400, "not_pending")


def test_the_author_cannot_approve_and_authority_must_cover(org, catalogue, customers, client_for):
    data = body(customers, catalogue, submit=True)
    data["rules"][0]["discount_percent"] = "30.00"
    created = client_for("rsm_north").post(PROFILES, data, content_type="application/json").json()
    response = client_for("rsm_north").post(
        detail("profile-approve", created), content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "self_approval")
    created = client_for("rep_north").post(PROFILES, data, content_type="application/json").json()
    response = client_for("rsm_north").post(
        detail("profile-approve", created), content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "above_authority")
    assert (
        client_for("nsm")
        .post(detail("profile-approve", created), content_type="application/json")
        .json()["status"]
        == "approved"
    )


def test_submit_without_rules_is_refused(org, catalogue, customers, client_for):
    created = (
        client_for("rep_north")
        .post(PROFILES, body(customers, catalogue, rules=[]), content_type="application/json")
        .json()
    )
    response = client_for("rep_north").post(
        detail("profile-submit", created), content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "no_rules")


def test_line_price(org, catalogue, customers, client_for):
    profile = approved(
        org, customers.north, [{"product_group": catalogue.dental, "discount_percent": "12.5"}]
    )
    query = {"party": customers.north.pk, "product": catalogue.xray.pk, "quantity": "3", "on": "2026-04-15"}
    response = client_for("clerk").get(LINE_PRICE, query)
    assert response.status_code == 200
    assert response.json() == {
        "unit_price_amount": "200.00",
        "discount_percent": "12.50",
        "net_unit_price_amount": "175.00",
        "list_price_amount": "200.00",
        "currency": "SEK",
        "source": "Price profile “Volume 2026” (approved by Finance_Manager Test)",
        "price_profile": profile.pk,
    }
    listed = client_for("clerk").get(LINE_PRICE, {**query, "on": "2025-12-31"}).json()
    assert (listed["source"], listed["price_profile"]) == ("List price", None)
    assert client_for("rep_south").get(LINE_PRICE, query).status_code == 400
    assert client_for("other_clerk").get(LINE_PRICE, query).status_code == 400
    assert client_for("receptionist").get(LINE_PRICE, query).status_code == 403
