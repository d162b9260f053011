"""``/api/v1/billing/`` products, VAT codes and billing profiles: scoped reads, writes through the
services, and every refusal in the one error shape."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from frontoffice.billing.models import BillingProfile, Product
from frontoffice.billing.tests.catalogue_factories import make_group, make_product, make_profile
from frontoffice.org.services import api_token_create
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/billing/products/"
VAT_CODES = "/api/v1/billing/vat-codes/"
PROFILES = "/api/v1/billing/profiles/"


@pytest.fixture
def api_as(org):
    def _client(name: str) -> APIClient:
        _, raw = api_token_create(actor=org.user(name), name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = response.json()
    assert body["code"] == code and body["message"], body
    return body


@pytest.fixture
def products(billing, org):
    fm = org.user("finance_manager")
    group = make_group(fm, org.company, code="TAND")
    return {
        "und": make_product(fm, org.company, code="UND-01", group=group, vat_code="SE00"),
        "tb": make_product(fm, org.company, code="TB-01", name="Tandborste", unit_price_amount="49.50"),
    }


@pytest.fixture
def north(billing, org):
    return make_party(
        org.user("rep_north"),
        kind="organisation",
        organisation_name="Norrsken Bygg AB",
        email="info@norrsken.example",
    )


# ------------------------------------------------------------------------------------ products


def test_products_list_shows_prices_as_strings_with_the_currency(products, api_as):
    response = api_as("clerk").get(PRODUCTS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["code"] for r in rows] == ["TB-01", "UND-01"]
    assert rows[1] | {"id": 0, "legal_entity": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "legal_entity": 0,
        "code": "UND-01",
        "name": "Undersökning",
        "description": "",
        "kind": "service",
        "group": "TAND",
        "unit": "C62",
        "unit_price_amount": "850.00",
        "currency": "SEK",
        "vat_code": "SE00",
        "vat_rate": "0.00",
        "revenue_account": None,
        "active": True,
        "created_at": "",
        "updated_at": "",
    }


def test_products_list_searches_filters_and_paginates(products, org, api_as):
    client = api_as("rep_north")
    assert [r["code"] for r in client.get(PRODUCTS, {"q": "tandb"}).json()["results"]] == ["TB-01"]
    group = products["und"].group_id
    assert [r["code"] for r in client.get(PRODUCTS, {"group": group}).json()["results"]] == ["UND-01"]
    page = client.get(PRODUCTS, {"page_size": 1}).json()
    assert (page["count"], len(page["results"]), page["next"] is not None) == (2, 1, True)
    assert client.get(PRODUCTS, {"active": "false"}).json()["count"] == 0
    _error(client.get(PRODUCTS, {"active": "maybe"}), 400, "invalid")


def test_finance_manager_creates_a_product(billing, org, api_as):
    response = api_as("finance_manager").post(
        PRODUCTS,
        {
            "code": "kons",
            "name": "Konsulttimme",
            "unit": "HUR",
            "unit_price_amount": "1250.5",
            "vat_code": "SE25",
            "revenue_account": "3590",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["unit_price_amount"], body["revenue_account"]) == ("KONS", "1250.50", "3590")
    assert Product.objects.get(code="KONS").unit_price_amount == Decimal("1250.50")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"unit_price_amount": "-1"}, "unit_price_amount"),
        ({"unit_price_amount": "1.005"}, "unit_price_amount"),
        ({"vat_code": "NOPE"}, "vat_code"),
        ({"code": "UND-01"}, "code"),
        ({"revenue_account": "1930"}, "revenue_account"),
        ({"group": "NOPE"}, "group"),
        ({"unit": "XYZ"}, "unit"),
    ],
)
def test_bad_product_input_names_the_field_and_writes_nothing(products, api_as, payload, field):
    data = {"code": "NEW", "name": "Ny", "unit_price_amount": "10.00", "vat_code": "SE25"} | payload
    body = _error(api_as("finance_manager").post(PRODUCTS, data, format="json"), 400, "invalid")
    assert field in body["errors"]
    assert Product.objects.count() == 2


def test_finance_manager_changes_a_product(products, api_as):
    product = products["tb"]
    response = api_as("finance_manager").patch(
        f"{PRODUCTS}{product.pk}/", {"unit_price_amount": "55.00", "active": False}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["unit_price_amount"], response.json()["active"]) == ("55.00", False)
    product.refresh_from_db()
    assert (product.unit_price_amount, product.active, product.name) == (
        Decimal("55.00"),
        False,
        "Tandborste",
    )


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "admin"])
def test_writing_products_needs_the_permission(products, api_as, persona):
    client = api_as(persona)
    data = {"code": "NEW", "name": "Ny", "unit_price_amount": "10.00", "vat_code": "SE25"}
    _error(client.post(PRODUCTS, data, format="json"), 403, "permission_denied")
    _error(
        client.patch(f"{PRODUCTS}{products['tb'].pk}/", {"name": "Hacked"}, format="json"),
        403,
        "permission_denied",
    )
    assert Product.objects.count() == 2
    assert Product.objects.get(code="TB-01").name == "Tandborste"


@pytest.mark.parametrize("persona", ["receptionist", "nobody"])
def test_reading_products_needs_the_permission(products, api_as, persona):
    _error(api_as(persona).get(PRODUCTS), 403, "permission_denied")
    _error(api_as(persona).get(f"{PRODUCTS}{products['tb'].pk}/"), 403, "permission_denied")


def test_another_company_sees_none_of_the_products(products, org, api_as):
    client = api_as("other_clerk")
    assert client.get(PRODUCTS).json()["count"] == 0
    _error(client.get(f"{PRODUCTS}{products['tb'].pk}/"), 404, "not_found")
    _error(client.get(PRODUCTS, {"legal_entity": org.company.pk}), 404, "not_found")
    assert client.get(VAT_CODES).json()["count"] == 0


def test_a_manager_of_another_company_cannot_create_products_here(products, org, api_as):
    from frontoffice.billing.tests.catalogue_factories import other_company_manager

    other_company_manager(org)
    data = {
        "code": "NEW",
        "name": "Ny",
        "unit_price_amount": "10.00",
        "vat_code": "SE25",
        "legal_entity": org.company.pk,
    }
    _error(api_as("other_manager").post(PRODUCTS, data, format="json"), 404, "not_found")
    assert not Product.objects.filter(code="NEW").exists()


def test_unauthenticated_requests_are_refused(products, client):
    assert client.get(PRODUCTS).status_code in (401, 403)


# ----------------------------------------------------------------------------------- VAT codes


def test_vat_codes_list_with_accounts(billing, api_as):
    rows = api_as("rep_north").get(VAT_CODES, {"active": "true"}).json()["results"]
    se25 = next(r for r in rows if r["code"] == "SE25")
    assert (se25["rate"], se25["category"], se25["revenue_account"], se25["vat_account"]) == (
        "25.00",
        "S",
        "3001",
        "2611",
    )
    omv = next(r for r in rows if r["code"] == "OMV")
    assert omv["vat_account"] is None and omv["exemption_reason"]


# ---------------------------------------------------------------------------- billing profiles


def _profile_body(party, **overrides):
    return {
        "party": party.pk,
        "legal_name": "Norrsken Bygg AB",
        "organisation_number": "5560360793",
        "street": "Storgatan 1",
        "postal_code": "90326",
        "city": "Umeå",
        "billing_email": "faktura@norrsken.example",
        **overrides,
    }


def test_rep_creates_and_reads_an_own_customers_profile(north, api_as):
    client = api_as("rep_north")
    response = client.post(PROFILES, _profile_body(north, credit_limit_amount="10000"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["organisation_number"],
        body["postal_code"],
        body["credit_limit_amount"],
        body["currency"],
    ) == (
        "556036-0793",
        "903 26",
        "10000.00",
        "SEK",
    )
    assert body["party"] == {"id": north.pk, "name": "Norrsken Bygg AB"}
    assert client.get(f"/api/v1/billing/customers/{north.pk}/profile/").json()["id"] == body["id"]
    assert client.get(f"{PROFILES}{body['id']}/").json()["legal_name"] == "Norrsken Bygg AB"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"currency": "EUR"}, "currency"),
        ({"delivery": "peppol"}, "peppol_id"),
        ({"vat_number": "SE556036079302"}, "vat_number"),
        ({"payment_terms_days": 400}, "payment_terms_days"),
        ({"credit_limit_amount": "-5"}, "credit_limit_amount"),
        ({"billing_email": ""}, "billing_email"),
    ],
)
def test_bad_profile_input_names_the_field_and_writes_nothing(north, api_as, payload, field):
    body = _error(
        api_as("clerk").post(PROFILES, _profile_body(north, **payload), format="json"), 400, "invalid"
    )
    assert field in body["errors"], body
    assert not BillingProfile.objects.exists()


def test_a_second_profile_for_the_customer_is_refused(north, org, api_as):
    make_profile(org.user("clerk"), north)
    body = _error(api_as("clerk").post(PROFILES, _profile_body(north), format="json"), 400, "invalid")
    assert "party" in body["errors"]
    assert BillingProfile.objects.count() == 1


@pytest.mark.parametrize("persona", ["rep_south", "other_clerk"])
def test_a_customer_out_of_scope_is_unknown(north, api_as, persona):
    body = _error(api_as(persona).post(PROFILES, _profile_body(north), format="json"), 400, "invalid")
    assert "party" in body["errors"]
    _error(api_as(persona).get(f"/api/v1/billing/customers/{north.pk}/profile/"), 404, "not_found")
    assert not BillingProfile.objects.exists()


def test_a_rep_may_not_set_up_billing_for_an_unassigned_customer(billing, org, api_as):
    free = make_party(org.user("admin"), organisation_name="Fri AB", kind="organisation", region=org.north)
    _error(api_as("rep_north").post(PROFILES, _profile_body(free), format="json"), 403, "permission_denied")
    assert not BillingProfile.objects.exists()


@pytest.mark.parametrize("persona", ["auditor", "receptionist", "nobody"])
def test_creating_profiles_needs_the_permission(north, api_as, persona):
    _error(api_as(persona).post(PROFILES, _profile_body(north), format="json"), 403, "permission_denied")
    assert not BillingProfile.objects.exists()


def test_profiles_list_and_update_follow_the_customer_scope(north, org, api_as):
    profile = make_profile(org.user("rep_north"), north)
    assert api_as("rep_north").get(PROFILES).json()["count"] == 1
    assert api_as("rep_south").get(PROFILES).json()["count"] == 0
    assert api_as("clerk").get(PROFILES, {"party": north.pk}).json()["count"] == 1
    _error(api_as("rep_south").get(f"{PROFILES}{profile.pk}/"), 404, "not_found")
    _error(
        api_as("rep_south").patch(f"{PROFILES}{profile.pk}/", {"city": "X"}, format="json"), 404, "not_found"
    )
    _error(
        api_as("auditor").patch(f"{PROFILES}{profile.pk}/", {"city": "X"}, format="json"),
        403,
        "permission_denied",
    )
    response = api_as("clerk").patch(f"{PROFILES}{profile.pk}/", {"payment_terms_days": 10}, format="json")
    assert response.status_code == 200 and response.json()["payment_terms_days"] == 10
    profile.refresh_from_db()
    assert (profile.payment_terms_days, profile.city) == (10, "Umeå")


def test_a_customer_without_a_profile_is_404(north, api_as):
    _error(api_as("clerk").get(f"/api/v1/billing/customers/{north.pk}/profile/"), 404, "not_found")
