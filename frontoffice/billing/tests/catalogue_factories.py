"""Catalogue and profile test helpers: rows built through the services, personas of other companies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from frontoffice.billing.models import BillingProfile, Product, ProductGroup, VatCode
from frontoffice.billing.services.catalogue import product_create, product_group_create
from frontoffice.org.models import Role, Staff, User


def vat(legal_entity: Any, code: str = "SE25") -> VatCode:
    return VatCode.objects.get(legal_entity=legal_entity, code=code)


def make_group(actor: Any, legal_entity: Any, code: str = "TAND", name: str = "Tandvård") -> ProductGroup:
    return product_group_create(actor=actor, legal_entity=legal_entity, code=code, name=name)


def make_product(actor: Any, legal_entity: Any, **fields: Any) -> Product:
    fields.setdefault("code", "UND-01")
    fields.setdefault("name", "Undersökning")
    fields.setdefault("unit_price_amount", Decimal("850.00"))
    fields.setdefault("vat_code", vat(legal_entity, "SE25"))
    return product_create(actor=actor, legal_entity=legal_entity, **fields)


def make_profile(actor: Any, party: Any, **fields: Any) -> BillingProfile:
    from frontoffice.billing.services.profiles import billing_profile_create

    fields.setdefault("legal_name", "Norrsken Bygg AB")
    fields.setdefault("organisation_number", "556036-0793")
    fields.setdefault("street", "Storgatan 1")
    fields.setdefault("postal_code", "903 26")
    fields.setdefault("city", "Umeå")
    fields.setdefault("billing_email", "faktura@norrsken.example")
    return billing_profile_create(actor=actor, party=party, **fields)


def other_company_manager(org: Any) -> User:
    """A finance manager of the other legal entity: every billing permission, none of its rows."""
    user = User.objects.create_user(username="other_manager", email="om@example.com", password="x")
    Staff.objects.create(
        user=user,
        legal_entity=org.other_company,
        role=Role.objects.get(code="finance_manager"),
        home_region=org.other_region,
    )
    org.people["other_manager"] = user
    return org.user("other_manager")
