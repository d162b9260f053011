"""Billing profile pages, reached from the customer page: who may see, create and change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontoffice.billing.models import BillingProfile
from frontoffice.billing.tests.catalogue_factories import make_profile
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(billing, org):
    """An organisation owned by rep_north."""
    return make_party(
        org.user("rep_north"),
        kind="organisation",
        organisation_name="Norrsken Bygg AB",
        organisation_number="5560360793",
        email="info@norrsken.example",
        street="Storgatan 1",
        postal_code="90326",
        city="Umeå",
    )


@pytest.fixture
def unassigned(billing, org):
    return make_party(org.user("admin"), organisation_name="Fri AB", kind="organisation", region=org.north)


def _post(**overrides):
    data = {
        "legal_name": "Norrsken Bygg AB",
        "organisation_number": "556036-0793",
        "vat_number": "SE556036079301",
        "street": "Storgatan 1",
        "postal_code": "903 26",
        "city": "Umeå",
        "country": "SE",
        "billing_email": "faktura@norrsken.example",
        "delivery": "email",
        "peppol_id": "",
        "buyer_reference": "",
        "payment_terms_days": "30",
        "credit_limit_amount": "",
        "language": "sv",
        "currency": "SEK",
        "default_vat_code": "",
        "active": "on",
    }
    data.update(overrides)
    return data


def _party_page(client, party):
    return client.get(reverse("parties:party-detail", args=[party.pk])).content.decode()


# ------------------------------------------------------------------------------ customer page


def test_customer_page_offers_to_set_up_billing(north, client_for):
    content = _party_page(client_for("rep_north"), north)
    assert 'data-testid="billing-profile-panel"' in content
    assert reverse("billing:profile-create", args=[north.pk]) in content


def test_customer_page_shows_the_profile_and_a_change_link(north, org, client_for):
    profile = make_profile(org.user("rep_north"), north, payment_terms_days=20)
    content = _party_page(client_for("clerk"), north)
    assert "Norrsken Bygg AB" in content and "20 days" in content
    assert reverse("billing:profile-edit", args=[profile.pk]) in content
    auditor = _party_page(client_for("auditor"), north)
    assert "20 days" in auditor and reverse("billing:profile-edit", args=[profile.pk]) not in auditor


def test_the_billing_card_leads_to_the_customers_price_profiles(north, org, client_for):
    make_profile(org.user("rep_north"), north)
    rep = _party_page(client_for("rep_north"), north)
    assert f"{reverse('pricing:profile-list')}?party={north.pk}" in rep
    assert f"{reverse('pricing:profile-create')}?party={north.pk}" in rep
    auditor = _party_page(client_for("auditor"), north)  # reads price profiles, writes none
    assert org.user("auditor").has_perm("pricing.view_priceprofile")
    assert 'data-testid="billing-price-profiles"' in auditor
    assert 'data-testid="billing-price-profile-new"' not in auditor


def test_a_rep_is_not_offered_billing_for_an_unassigned_customer(unassigned, client_for):
    content = _party_page(client_for("rep_north"), unassigned)
    assert 'data-testid="billing-profile-panel"' in content
    assert reverse("billing:profile-create", args=[unassigned.pk]) not in content


def test_reception_sees_no_billing_card(north, org, client_for):
    make_profile(org.user("rep_north"), north)
    content = _party_page(client_for("receptionist"), north)
    assert 'data-testid="billing-profile-panel"' not in content


# ---------------------------------------------------------------------------------- create


def test_create_form_is_prefilled_from_the_customer(north, client_for):
    response = client_for("rep_north").get(reverse("billing:profile-create", args=[north.pk]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert (initial["legal_name"], initial["vat_number"], initial["postal_code"]) == (
        "Norrsken Bygg AB",
        "SE556036079301",
        "903 26",
    )


def test_rep_creates_the_profile_of_an_own_customer(north, org, client_for):
    response = client_for("rep_north").post(
        reverse("billing:profile-create", args=[north.pk]), _post(credit_limit_amount="25000")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("parties:party-detail", args=[north.pk])
    profile = BillingProfile.objects.get(party=north)
    assert (profile.created_by, str(profile.credit_limit_amount)) == (org.user("rep_north"), "25000.00")


def test_create_errors_name_the_field_and_save_nothing(north, client_for):
    response = client_for("clerk").post(
        reverse("billing:profile-create", args=[north.pk]),
        _post(vat_number="SE556036079302", delivery="peppol", currency="EUR"),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"vat_number", "peppol_id", "currency"}
    assert "Only SEK is supported for now." in response.content.decode()
    assert not BillingProfile.objects.exists()


def test_create_with_an_existing_profile_goes_to_it(north, org, client_for):
    profile = make_profile(org.user("clerk"), north)
    response = client_for("clerk").get(reverse("billing:profile-create", args=[north.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:profile-edit", args=[profile.pk])


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rep_south", 404), ("other_clerk", 404), ("auditor", 403), ("receptionist", 403), ("nobody", 403)],
)
def test_create_is_refused_outside_scope_or_without_permission(north, client_for, persona, status):
    client = client_for(persona)
    url = reverse("billing:profile-create", args=[north.pk])
    assert client.get(url).status_code == status
    assert client.post(url, _post()).status_code == status
    assert not BillingProfile.objects.exists()


def test_a_rep_may_not_create_a_profile_for_an_unassigned_customer(unassigned, client_for):
    client = client_for("rep_north")
    url = reverse("billing:profile-create", args=[unassigned.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _post(legal_name="Fri AB")).status_code == 403
    assert not BillingProfile.objects.exists()


# ------------------------------------------------------------------------------------ edit


def test_clerk_changes_a_profile(north, org, client_for):
    profile = make_profile(org.user("rep_north"), north)
    response = client_for("clerk").post(
        reverse("billing:profile-edit", args=[profile.pk]), _post(payment_terms_days="10", language="en")
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.payment_terms_days, profile.language) == (10, "en")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rep_south", 404), ("other_clerk", 404), ("auditor", 403), ("receptionist", 403), ("nobody", 403)],
)
def test_edit_is_refused_outside_scope_or_without_permission(north, org, client_for, persona, status):
    profile = make_profile(org.user("rep_north"), north)
    client = client_for(persona)
    url = reverse("billing:profile-edit", args=[profile.pk])
    assert client.get(url).status_code == status
    assert client.post(url, _post(city="Hacked")).status_code == status
    profile.refresh_from_db()
    assert profile.city == "Umeå"


# ------------------------------------------------------------------------------------ list


def test_profile_list_shows_only_profiles_in_scope(north, org, client_for):
    south = make_party(org.user("rep_south"), organisation_name="Söder Tand AB", kind="organisation")
    make_profile(org.user("rep_north"), north)
    make_profile(org.user("rep_south"), south, legal_name="Söder Tand AB", organisation_number="")

    def names(persona, **params):
        response = client_for(persona).get(reverse("billing:profile-list"), params)
        assert response.status_code == 200
        return [p.legal_name for p in response.context["page_obj"]]

    assert names("clerk") == ["Norrsken Bygg AB", "Söder Tand AB"]
    assert names("rep_north") == ["Norrsken Bygg AB"]
    assert names("rep_south") == ["Söder Tand AB"]
    assert names("other_clerk") == []
    assert names("clerk", q="söder") == ["Söder Tand AB"]
    assert client_for("receptionist").get(reverse("billing:profile-list")).status_code == 403


def test_profile_list_query_count_does_not_grow(billing, org, client_for, django_assert_max_num_queries):
    for i in range(30):
        party = make_party(org.user("rep_north"), organisation_name=f"Kund {i} AB", kind="organisation")
        make_profile(org.user("rep_north"), party, legal_name=f"Kund {i} AB", organisation_number="")
    client = client_for("clerk")
    with django_assert_max_num_queries(11):
        response = client.get(reverse("billing:profile-list"))
    assert len(response.context["page_obj"].object_list) == 25
