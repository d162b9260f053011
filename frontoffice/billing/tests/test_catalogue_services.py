"""Catalogue services: VAT codes, product groups, products and billing settings.

Every rule is shown by a refused input that names the field and writes nothing, and every
change leaves one audit entry with a dotted code.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontoffice.billing.models import BillingSettings, Product, ProductGroup, VatCode
from frontoffice.billing.services.billing_settings import billing_settings_update
from frontoffice.billing.services.catalogue import (
    product_create,
    product_deactivate,
    product_group_create,
    product_group_update,
    product_update,
    vat_code_create,
    vat_code_update,
)
from frontoffice.billing.tests.catalogue_factories import (
    make_group,
    make_product,
    other_company_manager,
    vat,
)
from frontoffice.core.models import AuditEntry
from frontoffice.finance.models import LedgerAccount

pytestmark = pytest.mark.django_db


def _acc(org, number):
    return LedgerAccount.objects.get(legal_entity=org.company, number=number)


def _fields(error: ValidationError) -> set[str]:
    return set(error.message_dict)


# ---------------------------------------------------------------------------------- VAT codes


def _vat_input(org, **overrides):
    data = {
        "code": "SE25B",
        "name_sv": "Moms 25 % tjänster",
        "name_en": "VAT 25 % services",
        "category": "S",
        "rate": Decimal("25.00"),
        "revenue_account": _acc(org, "3590"),
        "vat_account": _acc(org, "2611"),
    }
    data.update(overrides)
    return data


def test_finance_manager_creates_a_vat_code_with_its_accounts(billing, org):
    fm = org.user("finance_manager")
    code = vat_code_create(actor=fm, legal_entity=org.company, **_vat_input(org, code=" se25b "))
    code.refresh_from_db()
    assert (code.code, code.rate, code.revenue_account.number, code.vat_account.number) == (
        "SE25B",
        Decimal("25.00"),
        "3590",
        "2611",
    )
    assert code.active is True
    entry = AuditEntry.objects.for_object(code).get()
    assert entry.action == "billing.vat_code.created"
    assert entry.actor_id == fm.pk


def test_vat_code_accounts_may_be_given_by_number(billing, org):
    code = vat_code_create(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        **_vat_input(org, revenue_account="3590", vat_account="2611"),
    )
    assert (code.revenue_account.number, code.vat_account.number) == ("3590", "2611")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"revenue_account": "1930"}, "revenue_account"),  # an asset, not income
        ({"revenue_account": "9999"}, "revenue_account"),  # no such account
        ({"vat_account": None}, "vat_account"),  # required when the rate is above 0
        ({"vat_account": "3001"}, "vat_account"),  # not a VAT control account
        ({"vat_account": "1510"}, "vat_account"),  # a control account, but receivables
        ({"rate": Decimal("100.01")}, "rate"),
        ({"rate": Decimal("-1")}, "rate"),
        ({"rate": Decimal("25.001")}, "rate"),
        ({"rate": "abc"}, "rate"),
        ({"category": "S", "rate": Decimal("0"), "vat_account": None}, "rate"),  # standard needs a rate
        ({"category": "XX"}, "category"),
        ({"code": ""}, "code"),
        ({"code": "SE25"}, "code"),  # taken
        ({"code": "SE 25"}, "code"),
        ({"name_sv": ""}, "name_sv"),
    ],
)
def test_invalid_vat_code_is_refused_naming_the_field(billing, org, overrides, field):
    before = VatCode.objects.count()
    with pytest.raises(ValidationError) as error:
        vat_code_create(
            actor=org.user("finance_manager"), legal_entity=org.company, **_vat_input(org, **overrides)
        )
    assert field in _fields(error.value)
    assert VatCode.objects.count() == before
    assert not AuditEntry.objects.filter(action="billing.vat_code.created").exists()


def test_inactive_revenue_account_is_refused(billing, org):
    LedgerAccount.objects.filter(legal_entity=org.company, number="3590").update(active=False)
    with pytest.raises(ValidationError) as error:
        vat_code_create(actor=org.user("finance_manager"), legal_entity=org.company, **_vat_input(org))
    assert "revenue_account" in _fields(error.value)


def test_zero_rate_vat_code_has_no_vat_account(billing, org):
    with pytest.raises(ValidationError) as error:
        vat_code_create(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            **_vat_input(org, category="Z", rate=Decimal("0"), revenue_account="3004"),
        )
    assert _fields(error.value) == {"vat_account"}
    code = vat_code_create(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        **_vat_input(org, category="Z", rate=Decimal("0"), revenue_account="3004", vat_account=None),
    )
    assert code.vat_account is None and code.rate == Decimal("0.00")


@pytest.mark.parametrize("category", ["E", "AE", "K", "G", "O"])
def test_exempt_reverse_charge_and_export_need_an_exemption_reason(billing, org, category):
    data = _vat_input(org, category=category, rate=Decimal("0"), vat_account=None, revenue_account="3108")
    with pytest.raises(ValidationError) as error:
        vat_code_create(actor=org.user("finance_manager"), legal_entity=org.company, **data)
    assert _fields(error.value) == {"exemption_reason"}
    data["exemption_reason"] = "Omvänd betalningsskyldighet"
    code = vat_code_create(actor=org.user("finance_manager"), legal_entity=org.company, **data)
    assert code.exemption_reason == "Omvänd betalningsskyldighet"


@pytest.mark.parametrize("category", ["E", "AE", "K", "G", "O", "Z"])
def test_categories_other_than_standard_carry_rate_zero(billing, org, category):
    data = _vat_input(org, category=category, exemption_reason="Reason")
    with pytest.raises(ValidationError) as error:
        vat_code_create(actor=org.user("finance_manager"), legal_entity=org.company, **data)
    assert "rate" in _fields(error.value)


def test_vat_code_rate_is_never_a_float(billing, org):
    with pytest.raises(TypeError, match="rate"):
        vat_code_create(
            actor=org.user("finance_manager"), legal_entity=org.company, **_vat_input(org, rate=25.0)
        )


def test_accounts_of_another_legal_entity_are_refused(billing, org):
    from frontoffice.finance.services.chart import account_create

    foreign = account_create(
        actor=None, legal_entity=org.other_company, number="3001", name_sv="Försäljning", type="income"
    )
    with pytest.raises(ValidationError) as error:
        vat_code_create(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            **_vat_input(org, revenue_account=foreign),
        )
    assert "revenue_account" in _fields(error.value)


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "nobody", "admin"])
def test_only_holders_of_add_vatcode_create_vat_codes(billing, org, persona):
    with pytest.raises(PermissionDenied):
        vat_code_create(actor=org.user(persona), legal_entity=org.company, **_vat_input(org))
    assert not VatCode.objects.filter(code="SE25B").exists()


def test_a_finance_manager_of_another_company_may_not_create_vat_codes_here(billing, org):
    with pytest.raises(PermissionDenied):
        vat_code_create(actor=other_company_manager(org), legal_entity=org.company, **_vat_input(org))
    assert not VatCode.objects.filter(code="SE25B").exists()


def test_vat_code_update_records_what_changed(billing, org):
    code = vat(org.company, "SE25")
    updated = vat_code_update(
        actor=org.user("finance_manager"), vat_code=code, name_en="Swedish VAT 25 %", revenue_account="3590"
    )
    updated.refresh_from_db()
    assert (updated.name_en, updated.revenue_account.number) == ("Swedish VAT 25 %", "3590")
    entry = AuditEntry.objects.for_object(code).get(action="billing.vat_code.updated")
    assert set(entry.changes) == {"name_en", "revenue_account"}


def test_vat_code_update_without_changes_writes_nothing(billing, org):
    code = vat(org.company, "SE25")
    vat_code_update(actor=org.user("finance_manager"), vat_code=code, name_sv=code.name_sv)
    assert not AuditEntry.objects.filter(action="billing.vat_code.updated").exists()


def test_vat_code_update_checks_the_same_rules(billing, org):
    code = vat(org.company, "SE25")
    with pytest.raises(ValidationError) as error:
        vat_code_update(actor=org.user("finance_manager"), vat_code=code, vat_account=None)
    assert _fields(error.value) == {"vat_account"}
    code.refresh_from_db()
    assert code.vat_account.number == "2611"


def test_vat_code_update_needs_change_vatcode_and_the_legal_entity(billing, org):
    code = vat(org.company, "SE25")
    for actor in (org.user("clerk"), other_company_manager(org)):
        with pytest.raises(PermissionDenied):
            vat_code_update(actor=actor, vat_code=code, name_en="Hacked")
    code.refresh_from_db()
    assert code.name_en == "VAT 25 %"


def test_vat_code_used_by_an_active_product_stays_active(billing, org):
    fm = org.user("finance_manager")
    make_product(fm, org.company, vat_code=vat(org.company, "SE12"))
    with pytest.raises(ValidationError) as error:
        vat_code_update(actor=fm, vat_code=vat(org.company, "SE12"), active=False)
    assert _fields(error.value) == {"active"}
    assert vat(org.company, "SE12").active is True
    vat_code_update(actor=fm, vat_code=vat(org.company, "SE06"), active=False)
    assert vat(org.company, "SE06").active is False


# ---------------------------------------------------------------------------- product groups


def test_product_group_create_and_update(billing, org):
    fm = org.user("finance_manager")
    group = product_group_create(actor=fm, legal_entity=org.company, code=" tand ", name=" Tandvård ")
    assert (group.code, group.name, group.active) == ("TAND", "Tandvård", True)
    product_group_update(actor=fm, group=group, name="Allmän tandvård", active=False)
    group.refresh_from_db()
    assert (group.name, group.active) == ("Allmän tandvård", False)
    assert [e.action for e in AuditEntry.objects.for_object(group).order_by("id")] == [
        "billing.product_group.created",
        "billing.product_group.updated",
    ]


def test_product_group_code_is_unique_per_legal_entity(billing, org):
    fm = org.user("finance_manager")
    make_group(fm, org.company, code="TAND")
    with pytest.raises(ValidationError) as error:
        product_group_create(actor=fm, legal_entity=org.company, code="tand", name="Igen")
    assert _fields(error.value) == {"code"}
    assert ProductGroup.objects.count() == 1
    # The other company may use the same code.
    product_group_create(actor=None, legal_entity=org.other_company, code="TAND", name="Tand")


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "nobody"])
def test_product_groups_need_add_productgroup(billing, org, persona):
    with pytest.raises(PermissionDenied):
        product_group_create(actor=org.user(persona), legal_entity=org.company, code="X", name="X")
    assert not ProductGroup.objects.exists()


def test_product_group_update_is_refused_outside_the_legal_entity(billing, org):
    group = make_group(org.user("finance_manager"), org.company)
    with pytest.raises(PermissionDenied):
        product_group_update(actor=other_company_manager(org), group=group, name="Hacked")
    group.refresh_from_db()
    assert group.name == "Tandvård"


# ---------------------------------------------------------------------------------- products


def test_finance_manager_creates_a_product(billing, org):
    fm = org.user("finance_manager")
    group = make_group(fm, org.company)
    product = product_create(
        actor=fm,
        legal_entity=org.company,
        code=" und-01 ",
        name=" Undersökning ",
        description="Basundersökning med röntgen",
        kind="service",
        group=group,
        unit="HUR",
        unit_price_amount=Decimal("850.5"),
        vat_code=vat(org.company, "SE00"),
    )
    product.refresh_from_db()
    assert (product.code, product.name, product.unit_price_amount, product.vat_code.code) == (
        "UND-01",
        "Undersökning",
        Decimal("850.50"),
        "SE00",
    )
    assert product.group == group and product.revenue_account is None and product.active is True
    entry = AuditEntry.objects.for_object(product).get()
    assert entry.action == "billing.product.created"
    assert entry.changes["unit_price_amount"] == [None, "850.50"]


def test_product_accepts_prices_as_strings_and_references_by_code(billing, org):
    fm = org.user("finance_manager")
    make_group(fm, org.company, code="TAND")
    product = make_product(fm, org.company, unit_price_amount="1200", vat_code="se12", group="tand")
    assert (product.unit_price_amount, product.vat_code.code, product.group.code) == (
        Decimal("1200.00"),
        "SE12",
        "TAND",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "x" * 41}, "code"),
        ({"name": ""}, "name"),
        ({"unit_price_amount": Decimal("-0.01")}, "unit_price_amount"),
        ({"unit_price_amount": Decimal("10.005")}, "unit_price_amount"),
        ({"unit_price_amount": "12,50 kr"}, "unit_price_amount"),
        ({"unit_price_amount": None}, "unit_price_amount"),
        ({"unit_price_amount": Decimal("1000000000000")}, "unit_price_amount"),
        ({"unit_price_amount": Decimal("NaN")}, "unit_price_amount"),
        ({"vat_code": "NOPE"}, "vat_code"),
        ({"vat_code": None}, "vat_code"),
        ({"unit": "XYZ"}, "unit"),
        ({"kind": "gift"}, "kind"),
        ({"group": "NOPE"}, "group"),
        ({"revenue_account": "1930"}, "revenue_account"),  # not income
        ({"revenue_account": "2611"}, "revenue_account"),
    ],
)
def test_invalid_product_is_refused_naming_the_field(billing, org, overrides, field):
    with pytest.raises(ValidationError) as error:
        make_product(org.user("finance_manager"), org.company, **overrides)
    assert field in _fields(error.value)
    assert not Product.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="billing.product").exists()


def test_product_price_is_never_a_float(billing, org):
    with pytest.raises(TypeError, match="unit_price_amount"):
        make_product(org.user("finance_manager"), org.company, unit_price_amount=850.0)
    assert not Product.objects.exists()


def test_product_code_is_unique_per_legal_entity(billing, org):
    fm = org.user("finance_manager")
    make_product(fm, org.company, code="UND-01")
    with pytest.raises(ValidationError) as error:
        make_product(fm, org.company, code="und-01")
    assert _fields(error.value) == {"code"}
    assert Product.objects.count() == 1


def test_product_needs_an_active_vat_code_of_its_legal_entity(billing, org):
    fm = org.user("finance_manager")
    vat_code_update(actor=fm, vat_code=vat(org.company, "SE06"), active=False)
    with pytest.raises(ValidationError) as error:
        make_product(fm, org.company, vat_code=vat(org.company, "SE06"))
    assert _fields(error.value) == {"vat_code"}
    foreign = VatCode.objects.create(
        legal_entity=org.other_company,
        code="SE25",
        name_sv="Moms",
        name_en="VAT",
        category="S",
        rate=Decimal("25"),
        revenue_account=_acc(org, "3001"),  # never looked at: the legal entity is wrong already
    )
    with pytest.raises(ValidationError) as error:
        make_product(fm, org.company, vat_code=foreign)
    assert _fields(error.value) == {"vat_code"}
    assert not Product.objects.exists()


def test_product_revenue_account_override_must_be_income(billing, org):
    product = make_product(org.user("finance_manager"), org.company, revenue_account="3590")
    assert product.revenue_account.number == "3590"


def test_product_group_of_another_legal_entity_is_refused(billing, org):
    foreign = product_group_create(actor=None, legal_entity=org.other_company, code="TAND", name="Tand")
    with pytest.raises(ValidationError) as error:
        make_product(org.user("finance_manager"), org.company, group=foreign)
    assert _fields(error.value) == {"group"}


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "nobody", "admin"])
def test_products_need_add_product(billing, org, persona):
    with pytest.raises(PermissionDenied):
        make_product(org.user(persona), org.company)
    assert not Product.objects.exists()


def test_other_company_manager_may_not_create_products_here(billing, org):
    with pytest.raises(PermissionDenied):
        make_product(other_company_manager(org), org.company)
    assert not Product.objects.exists()


def test_product_update_changes_only_what_is_given(billing, org):
    fm = org.user("finance_manager")
    product = make_product(fm, org.company)
    product_update(actor=fm, product=product, unit_price_amount="900", name="Undersökning, vuxen")
    product.refresh_from_db()
    assert (product.unit_price_amount, product.name, product.code) == (
        Decimal("900.00"),
        "Undersökning, vuxen",
        "UND-01",
    )
    entry = AuditEntry.objects.for_object(product).get(action="billing.product.updated")
    assert entry.changes == {
        "name": ["Undersökning", "Undersökning, vuxen"],
        "unit_price_amount": ["850.00", "900.00"],
    }


def test_product_update_refuses_bad_input_and_keeps_the_row(billing, org):
    fm = org.user("finance_manager")
    product = make_product(fm, org.company)
    make_product(fm, org.company, code="UND-02")
    with pytest.raises(ValidationError) as error:
        product_update(actor=fm, product=product, code="UND-02", unit_price_amount="-5")
    assert _fields(error.value) == {"code", "unit_price_amount"}
    product.refresh_from_db()
    assert (product.code, product.unit_price_amount) == ("UND-01", Decimal("850.00"))


def test_product_update_needs_change_product_and_the_legal_entity(billing, org):
    product = make_product(org.user("finance_manager"), org.company)
    for actor in (org.user("clerk"), other_company_manager(org)):
        with pytest.raises(PermissionDenied):
            product_update(actor=actor, product=product, unit_price_amount="1")
    product.refresh_from_db()
    assert product.unit_price_amount == Decimal("850.00")


def test_product_deactivate(billing, org):
    fm = org.user("finance_manager")
    product = make_product(fm, org.company)
    product_deactivate(actor=fm, product=product)
    product.refresh_from_db()
    assert product.active is False
    assert AuditEntry.objects.for_object(product).filter(action="billing.product.deactivated").count() == 1
    product_deactivate(actor=fm, product=product)  # already inactive: nothing more happens
    assert AuditEntry.objects.for_object(product).filter(action="billing.product.deactivated").count() == 1


def test_product_deactivate_needs_change_product(billing, org):
    product = make_product(org.user("finance_manager"), org.company)
    with pytest.raises(PermissionDenied):
        product_deactivate(actor=org.user("clerk"), product=product)
    product.refresh_from_db()
    assert product.active is True


# ---------------------------------------------------------------------------- billing settings


def _settings(org) -> BillingSettings:
    return BillingSettings.objects.get(legal_entity=org.company)


def test_billing_settings_update_normalises_payment_details(billing, org):
    fm = org.user("finance_manager")
    billing_settings_update(
        actor=fm,
        legal_entity=org.company,
        street="Storgatan 1",
        postal_code="90326",
        city="Umeå",
        email="faktura@tandhalsan.example",
        bankgiro="5050 1055",
        plusgiro="4 43 43-2",
        iban="se45 5000 0000 0583 9825 7466",
        bic="esse se ss",
        f_tax_registered=True,
        default_payment_terms_days=20,
        round_to_whole_krona=True,
        late_interest_text="Dröjsmålsränta enligt räntelagen.",
    )
    s = _settings(org)
    assert (s.bankgiro, s.plusgiro, s.iban, s.bic, s.postal_code) == (
        "5050-1055",
        "44343-2",
        "SE4550000000058398257466",
        "ESSESESS",
        "903 26",
    )
    assert s.default_payment_terms_days == 20 and s.round_to_whole_krona is True
    entry = AuditEntry.objects.for_object(s).get(action="billing.settings.updated")
    assert {"bankgiro", "plusgiro", "iban", "bic", "default_payment_terms_days"} <= set(entry.changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bankgiro", "5050-1056"),  # wrong check digit
        ("bankgiro", "123"),
        ("bankgiro", "5050-10555"),
        ("plusgiro", "4 43 43-1"),
        ("plusgiro", "1"),
        ("plusgiro", "123456789"),
        ("iban", "SE4550000000058398257467"),  # checksum
        ("iban", "SE45 5000"),  # wrong length for Sweden
        ("iban", "XX"),
        ("bic", "ESSE"),
        ("bic", "ESSE1ESS"),
        ("bic", "ESSESESSX"),
        ("email", "not an address"),
        ("default_payment_terms_days", 366),
        ("default_payment_terms_days", -1),
        ("receivables_account", "1930"),  # not a receivables control account
        ("receivables_account", "2611"),
        ("rounding_account", "1510"),
        ("invoice_voucher_series", "Z"),
        ("payment_voucher_series", ""),
    ],
)
def test_invalid_billing_settings_are_refused_naming_the_field(billing, org, field, value):
    before = BillingSettings.objects.values().get(legal_entity=org.company)
    with pytest.raises(ValidationError) as error:
        billing_settings_update(actor=org.user("finance_manager"), legal_entity=org.company, **{field: value})
    assert _fields(error.value) == {field}
    assert BillingSettings.objects.values().get(legal_entity=org.company) == before
    assert not AuditEntry.objects.filter(action="billing.settings.updated").exists()


def test_rounding_to_whole_kronor_needs_a_rounding_account(billing, org):
    with pytest.raises(ValidationError) as error:
        billing_settings_update(
            actor=org.user("finance_manager"),
            legal_entity=org.company,
            rounding_account=None,
            round_to_whole_krona=True,
        )
    assert _fields(error.value) == {"rounding_account"}


def test_billing_settings_accounts_by_number(billing, org):
    billing_settings_update(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        receivables_account="1510",
        rounding_account="3740",
    )
    assert _settings(org).receivables_account.number == "1510"


def test_billing_settings_without_payment_details_are_fine(billing, org):
    billing_settings_update(
        actor=org.user("finance_manager"), legal_entity=org.company, bankgiro="", plusgiro="", iban=""
    )
    assert _settings(org).bankgiro == ""


@pytest.mark.parametrize("persona", ["clerk", "auditor", "rep_north", "nobody"])
def test_billing_settings_need_manage_billing(billing, org, persona):
    with pytest.raises(PermissionDenied):
        billing_settings_update(actor=org.user(persona), legal_entity=org.company, city="Hacked")
    assert _settings(org).city == ""


def test_administrator_manages_billing_settings(billing, org):
    billing_settings_update(actor=org.user("admin"), legal_entity=org.company, city="Umeå")
    assert _settings(org).city == "Umeå"


def test_billing_settings_of_another_company_are_out_of_reach(billing, org):
    with pytest.raises(PermissionDenied):
        billing_settings_update(actor=other_company_manager(org), legal_entity=org.company, city="Hacked")
    assert _settings(org).city == ""


def test_billing_settings_need_billing_set_up(ledger, org):
    with pytest.raises(ValidationError) as error:
        billing_settings_update(actor=org.user("finance_manager"), legal_entity=org.company, city="Umeå")
    assert error.value.code == "not_set_up"


def test_billing_settings_refuse_unknown_fields(billing, org):
    with pytest.raises(TypeError):
        billing_settings_update(
            actor=org.user("finance_manager"), legal_entity=org.company, legal_entity_id=2
        )


def test_updates_naming_unknown_references_are_refused(billing, org):
    fm = org.user("finance_manager")
    product = make_product(fm, org.company)
    with pytest.raises(ValidationError) as error:
        product_update(actor=fm, product=product, vat_code="NOPE", group="NOPE")
    assert _fields(error.value) == {"vat_code", "group"}
    product.refresh_from_db()
    assert product.vat_code.code == "SE25"
    code = vat(org.company, "SE25")
    with pytest.raises(ValidationError) as error:
        vat_code_update(actor=fm, vat_code=code, revenue_account="9999")
    assert _fields(error.value) == {"revenue_account"}
    with pytest.raises(ValidationError) as error:
        billing_settings_update(actor=fm, legal_entity=org.company, receivables_account="9999")
    assert _fields(error.value) == {"receivables_account"}
    assert not AuditEntry.objects.filter(action__endswith=".updated").exists()


def test_vat_code_on_an_issued_invoice_keeps_its_rate_and_category(billing, org):
    import datetime

    from frontoffice.billing.models import Invoice, InvoiceLine, InvoiceSeries
    from frontoffice.parties.tests.factories import make_party

    fm = org.user("finance_manager")
    code = vat(org.company, "SE12")
    party = make_party(fm, organisation_name="Kund AB", kind="organisation")
    profile_like = {"legal_entity": org.company, "party": party}
    from frontoffice.billing.models import BillingProfile

    profile = BillingProfile.objects.create(
        **profile_like, legal_name="Kund AB", street="Gatan 1", postal_code="111 11", city="Stockholm"
    )
    invoice = Invoice.objects.create(
        legal_entity=org.company,
        party=party,
        profile=profile,
        series=InvoiceSeries.objects.get(legal_entity=org.company, code="F"),
        status="issued",
        year=2026,
        number=1,
        issue_on=datetime.date(2026, 3, 1),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        line_no=1,
        description="Bok",
        quantity=Decimal("1"),
        unit_price_amount=Decimal("100"),
        vat_code=code,
        vat_rate=code.rate,
        revenue_account=code.revenue_account,
        net_amount=Decimal("100"),
    )
    with pytest.raises(ValidationError) as error:
        vat_code_update(actor=fm, vat_code=code, rate=Decimal("15"))
    assert _fields(error.value) == {"rate"}
    assert error.value.error_dict["rate"][0].code == "vat_code_in_use"
    vat_code_update(actor=fm, vat_code=code, name_en="VAT 12 % (food, hotels)")
    assert vat(org.company, "SE12").rate == Decimal("12.00")
