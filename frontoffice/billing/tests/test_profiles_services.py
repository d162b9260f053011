"""Billing profiles: how a customer is billed, set up by sales and finance together (journey 6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import BillingProfile
from frontoffice.billing.selectors.profiles import billing_profile_initial
from frontoffice.billing.services.catalogue import vat_code_update
from frontoffice.billing.services.profiles import billing_profile_update
from frontoffice.billing.tests.catalogue_factories import make_profile, vat
from frontoffice.core.models import AuditEntry
from frontoffice.parties.tests.factories import make_party

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(billing, org):
    """An organisation owned by rep_north, in North."""
    return make_party(
        org.user("rep_north"),
        kind="organisation",
        first_name="",
        last_name="",
        organisation_name="Norrsken Bygg AB",
        organisation_number="5560360793",
        email="Info@Norrsken.example",
        street="Storgatan 1",
        postal_code="90326",
        city="Umeå",
        language="en",
    )


@pytest.fixture
def south(billing, org):
    return make_party(org.user("rep_south"), organisation_name="Söder Tand AB", kind="organisation")


@pytest.fixture
def unassigned(billing, org):
    """Unassigned, in North: rep_north sees the customer but does not own it."""
    return make_party(org.user("admin"), organisation_name="Fri AB", kind="organisation", region=org.north)


def _fields(error: ValidationError) -> set[str]:
    return set(error.message_dict)


def test_rep_creates_a_profile_for_an_own_customer(org, north):
    rep = org.user("rep_north")
    profile = make_profile(
        rep,
        north,
        vat_number="se 556036-0793 01",
        postal_code="90326",
        billing_email=" Faktura@Norrsken.Example ",
        payment_terms_days=20,
        credit_limit_amount="50000",
        buyer_reference="Anna Berg",
        language="en",
    )
    profile.refresh_from_db()
    assert (profile.legal_entity_id, profile.party_id, profile.created_by_id) == (
        org.company.pk,
        north.pk,
        rep.pk,
    )
    assert (profile.organisation_number, profile.vat_number, profile.postal_code) == (
        "556036-0793",
        "SE556036079301",
        "903 26",
    )
    assert profile.billing_email == "faktura@norrsken.example"
    assert (profile.payment_terms_days, profile.credit_limit_amount) == (20, Decimal("50000.00"))
    assert (profile.currency, profile.delivery, profile.language) == ("SEK", "email", "en")
    entry = AuditEntry.objects.for_object(profile).get()
    assert entry.action == "billing.profile.created" and entry.actor_id == rep.pk


def test_a_personal_identity_number_is_accepted_for_a_private_customer(org, north):
    profile = make_profile(
        org.user("clerk"), north, legal_name="Anna Andersson", organisation_number="19811218-9876"
    )
    assert profile.organisation_number == "811218-9876"


def test_payment_terms_default_to_the_billing_settings(org, north):
    from frontoffice.billing.services.billing_settings import billing_settings_update

    billing_settings_update(
        actor=org.user("finance_manager"), legal_entity=org.company, default_payment_terms_days=15
    )
    assert make_profile(org.user("clerk"), north).payment_terms_days == 15


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"legal_name": " "}, "legal_name"),
        ({"organisation_number": "556036-0794"}, "organisation_number"),  # check digit
        ({"organisation_number": "12345"}, "organisation_number"),
        ({"vat_number": "SE556036079302"}, "vat_number"),
        ({"vat_number": "SE5560360793"}, "vat_number"),
        ({"vat_number": "SE559218341101"}, "vat_number"),  # valid, but another company's number
        ({"street": ""}, "street"),
        ({"postal_code": "9032"}, "postal_code"),
        ({"city": ""}, "city"),
        ({"country": "Sweden"}, "country"),
        ({"billing_email": ""}, "billing_email"),  # delivery by e-mail needs it
        ({"billing_email": "not-an-address"}, "billing_email"),
        ({"payment_terms_days": 366}, "payment_terms_days"),
        ({"payment_terms_days": -1}, "payment_terms_days"),
        ({"credit_limit_amount": "-1"}, "credit_limit_amount"),
        ({"credit_limit_amount": "10.001"}, "credit_limit_amount"),
        ({"delivery": "pigeon"}, "delivery"),
        ({"delivery": "peppol"}, "peppol_id"),  # Peppol needs a participant id
        ({"peppol_id": "5560360793"}, "peppol_id"),  # no scheme
        ({"peppol_id": "0007:5560360794"}, "peppol_id"),  # 0007: organisation number, check digit
        ({"peppol_id": "abc:123"}, "peppol_id"),
        ({"language": "de"}, "language"),
        ({"currency": "EUR"}, "currency"),
        ({"buyer_reference": "x" * 101}, "buyer_reference"),
    ],
)
def test_invalid_profile_is_refused_naming_the_field(org, north, overrides, field):
    with pytest.raises(ValidationError) as error:
        make_profile(org.user("clerk"), north, **overrides)
    assert field in _fields(error.value)
    assert not BillingProfile.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="billing.profile").exists()


def test_other_currencies_get_a_clear_error(org, north):
    with pytest.raises(ValidationError) as error:
        make_profile(org.user("clerk"), north, currency="EUR")
    assert error.value.message_dict["currency"] == ["Only SEK is supported for now."]


def test_credit_limit_is_never_a_float(org, north):
    with pytest.raises(TypeError, match="credit_limit_amount"):
        make_profile(org.user("clerk"), north, credit_limit_amount=100.0)


def test_a_peppol_customer_with_its_participant_id(org, north):
    profile = make_profile(
        org.user("clerk"), north, delivery="peppol", peppol_id=" 0007:556036-0793 ", billing_email=""
    )
    assert (profile.delivery, profile.peppol_id, profile.billing_email) == ("peppol", "0007:5560360793", "")


def test_a_foreign_customer_keeps_its_own_postal_code_and_vat_number(org, north):
    profile = make_profile(
        org.user("clerk"),
        north,
        legal_name="Oslo Tannlege AS",
        organisation_number="",
        vat_number="NO923609016MVA",
        country="no",
        postal_code="0150",
        city="Oslo",
        default_vat_code=vat(org.company, "EXPTJ"),
    )
    assert (profile.country, profile.postal_code, profile.vat_number) == ("NO", "0150", "NO923609016MVA")
    assert profile.default_vat_code.code == "EXPTJ"


def test_vat_code_override_must_be_an_active_code_of_the_legal_entity(org, north):
    fm = org.user("finance_manager")
    vat_code_update(actor=fm, vat_code=vat(org.company, "EXP"), active=False)
    with pytest.raises(ValidationError) as error:
        make_profile(org.user("clerk"), north, default_vat_code=vat(org.company, "EXP"))
    assert _fields(error.value) == {"default_vat_code"}
    with pytest.raises(ValidationError) as error:
        make_profile(org.user("clerk"), north, default_vat_code="NOPE")
    assert _fields(error.value) == {"default_vat_code"}


def test_one_profile_per_customer_and_legal_entity(org, north):
    make_profile(org.user("clerk"), north)
    with pytest.raises(ValidationError) as error:
        make_profile(org.user("finance_manager"), north)
    assert error.value.error_dict["party"][0].code == "profile_exists"
    assert BillingProfile.objects.count() == 1


@pytest.mark.parametrize("persona", ["auditor", "receptionist", "office_manager", "nobody"])
def test_profiles_need_add_billingprofile(org, north, persona):
    with pytest.raises(PermissionDenied):
        make_profile(org.user(persona), north)
    assert not BillingProfile.objects.exists()


@pytest.mark.parametrize("persona", ["rep_south", "other_clerk"])
def test_a_customer_outside_the_actors_scope_is_refused(org, north, persona):
    with pytest.raises(PermissionDenied):
        make_profile(org.user(persona), north)
    assert not BillingProfile.objects.exists()


def test_a_rep_sets_up_billing_only_for_own_customers(org, unassigned):
    with pytest.raises(PermissionDenied, match="own customers"):
        make_profile(org.user("rep_north"), unassigned)
    assert not BillingProfile.objects.exists()
    assert make_profile(org.user("rsm_north"), unassigned).party == unassigned


def test_managers_and_finance_set_up_profiles_in_their_scope(org, north, south):
    assert make_profile(org.user("nsm"), south).party == south
    assert make_profile(org.user("finance_manager"), north).party == north


def test_a_merged_customer_gets_no_profile(org, north, south):
    from frontoffice.parties.services import party_merge

    party_merge(actor=org.user("admin"), source=south, target=north)
    south.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        make_profile(org.user("clerk"), south)
    assert _fields(error.value) == {"party"}


def test_billing_must_be_set_up_first(org, ledger):
    party = make_party(org.user("rep_north"), organisation_name="Tidig AB", kind="organisation")
    with pytest.raises(ValidationError) as error:
        make_profile(org.user("clerk"), party)
    assert error.value.code == "not_set_up"


# -------------------------------------------------------------------------------- update


def test_update_changes_only_what_is_given_and_audits_it(org, north):
    profile = make_profile(org.user("rep_north"), north)
    billing_profile_update(
        actor=org.user("clerk"),
        profile=profile,
        payment_terms_days=10,
        city="Skellefteå",
        postal_code="93131",
    )
    profile.refresh_from_db()
    assert (profile.payment_terms_days, profile.city, profile.postal_code, profile.legal_name) == (
        10,
        "Skellefteå",
        "931 31",
        "Norrsken Bygg AB",
    )
    entry = AuditEntry.objects.for_object(profile).get(action="billing.profile.updated")
    assert set(entry.changes) == {"payment_terms_days", "city", "postal_code"}


def test_update_checks_the_same_rules_and_keeps_the_row(org, north):
    profile = make_profile(org.user("rep_north"), north)
    with pytest.raises(ValidationError) as error:
        billing_profile_update(actor=org.user("clerk"), profile=profile, delivery="peppol", currency="NOK")
    assert _fields(error.value) == {"peppol_id", "currency"}
    profile.refresh_from_db()
    assert (profile.delivery, profile.currency) == ("email", "SEK")


def test_update_refuses_changing_the_customer(org, north, south):
    profile = make_profile(org.user("clerk"), north)
    with pytest.raises(TypeError):
        billing_profile_update(actor=org.user("clerk"), profile=profile, party=south)


@pytest.mark.parametrize("persona", ["rep_south", "other_clerk", "auditor", "nobody"])
def test_update_outside_scope_or_without_permission_is_refused(org, north, persona):
    profile = make_profile(org.user("rep_north"), north)
    with pytest.raises(PermissionDenied):
        billing_profile_update(actor=org.user(persona), profile=profile, city="Hacked")
    profile.refresh_from_db()
    assert profile.city == "Umeå"


# ----------------------------------------------------------------------------- prefill


def test_initial_values_come_from_the_customer(org, north):
    initial = billing_profile_initial(user=org.user("rep_north"), party=north)
    assert initial == {
        "legal_name": "Norrsken Bygg AB",
        "organisation_number": "556036-0793",
        "vat_number": "SE556036079301",
        "street": "Storgatan 1",
        "postal_code": "903 26",
        "city": "Umeå",
        "country": "SE",
        "billing_email": "info@norrsken.example",
        "payment_terms_days": 30,
        "delivery": "email",
        "language": "en",
        "currency": "SEK",
    }


def test_initial_values_of_a_person(org, billing):
    person = make_party(org.user("rep_north"), first_name="Anna", last_name="Berg", email="anna@example.com")
    initial = billing_profile_initial(user=org.user("rep_north"), party=person)
    assert (initial["legal_name"], initial["vat_number"], initial["billing_email"]) == (
        "Anna Berg",
        "",
        "anna@example.com",
    )


def test_a_customer_without_an_e_mail_address_is_billed_by_letter(org, unassigned):
    assert billing_profile_initial(user=org.user("clerk"), party=unassigned)["delivery"] == "letter"


# ------------------------------------------------------------------------------ personal data


def test_personal_data_export_lists_the_billing_profile(org, north):
    from frontoffice.billing.personal_data import BILLING_PROFILES_HANDLER

    make_profile(org.user("rep_north"), north, buyer_reference="Anna Berg")
    assert BILLING_PROFILES_HANDLER.count(north) == 1
    assert BILLING_PROFILES_HANDLER.export(north) == [
        {
            "legal_entity": "Tandhälsan Norden AB",
            "legal_name": "Norrsken Bygg AB",
            "organisation_number": "556036-0793",
            "vat_number": "",
            "street": "Storgatan 1",
            "postal_code": "903 26",
            "city": "Umeå",
            "country": "SE",
            "billing_email": "faktura@norrsken.example",
            "payment_terms_days": 30,
            "credit_limit_amount": None,
            "delivery": "email",
            "peppol_id": "",
            "buyer_reference": "Anna Berg",
            "language": "sv",
            "currency": "SEK",
            "active": True,
        }
    ]


def test_erasure_anonymises_and_deactivates_the_profile(org, north):
    from frontoffice.billing.personal_data import BILLING_PROFILES_HANDLER

    profile = make_profile(org.user("rep_north"), north)
    assert BILLING_PROFILES_HANDLER.erase(north, org.user("admin")) == 1
    profile.refresh_from_db()
    assert (profile.legal_name, profile.organisation_number, profile.street, profile.billing_email) == (
        "—",
        "",
        "",
        "",
    )
    assert profile.active is False
