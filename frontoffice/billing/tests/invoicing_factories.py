"""Invoice test helpers: customers with billing profiles, products, drafts with lines.

Customers and products are written with the ORM here (the smallest valid rows, fixed values);
invoices and credit notes always go through the invoicing services.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from frontoffice.billing.models import BillingProfile, Invoice, Product, VatCode
from frontoffice.billing.services.invoicing import invoice_draft_create, invoice_line_add
from frontoffice.parties.models import Party

# The fixtures, for ``from frontoffice.billing.tests.invoicing_factories import *`` in test modules.
__all__ = ["customer", "products", "south_customer", "without_pricing_app"]

ISSUE_DAY = datetime.date(2026, 3, 16)


def vat(legal_entity: Any, code: str = "SE25") -> VatCode:
    return VatCode.objects.get(legal_entity=legal_entity, code=code)


def make_customer(
    legal_entity: Any,
    *,
    name: str = "Norrsken Bygg AB",
    owner: Any = None,
    region: Any = None,
    **profile: Any,
) -> BillingProfile:
    """A customer (organisation) with an active billing profile in ``legal_entity``."""
    party = Party.objects.create(
        kind=Party.Kind.ORGANISATION,
        organisation_name=name,
        display_name=name,
        legal_entity=legal_entity,
        region=region,
        owner=owner,
    )
    profile.setdefault("legal_name", name)
    profile.setdefault("organisation_number", "556036-0793")
    profile.setdefault("vat_number", "SE556036079301")
    profile.setdefault("street", "Storgatan 1")
    profile.setdefault("postal_code", "903 26")
    profile.setdefault("city", "Umeå")
    profile.setdefault("billing_email", "faktura@norrsken.example")
    return BillingProfile.objects.create(legal_entity=legal_entity, party=party, **profile)


def make_product(
    legal_entity: Any,
    code: str = "UND-01",
    *,
    name: str = "Undersökning",
    price: str = "850.00",
    vat_code: str = "SE25",
    **fields: Any,
) -> Product:
    return Product.objects.create(
        legal_entity=legal_entity,
        code=code,
        name=name,
        unit_price_amount=Decimal(price),
        vat_code=vat(legal_entity, vat_code),
        **fields,
    )


def make_draft(actor: Any, profile: BillingProfile, *lines: tuple[Product, str], **fields: Any) -> Invoice:
    """A draft for ``profile``'s customer with ``(product, quantity)`` lines, dated ISSUE_DAY."""
    fields.setdefault("issue_on", ISSUE_DAY)
    invoice = invoice_draft_create(
        actor=actor, legal_entity=profile.legal_entity, party=profile.party, **fields
    )
    for product, quantity in lines:
        invoice_line_add(actor=actor, invoice=invoice, product=product, quantity=quantity)
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def without_pricing_app(monkeypatch: Any) -> None:
    """Product lines take the list price, whether or not the pricing app is installed."""
    from frontoffice.billing.services import invoicing

    monkeypatch.setattr(invoicing, "_pricing_line_price", lambda: None)


@pytest.fixture
def customer(billing, org) -> BillingProfile:
    """Rep North's customer in region North."""
    return make_customer(billing, owner=org.user("rep_north"), region=org.north)


@pytest.fixture
def south_customer(billing, org) -> BillingProfile:
    """Rep South's customer in region South."""
    return make_customer(
        billing,
        name="Söderbergs Tandlab AB",
        owner=org.user("rep_south"),
        region=org.south,
        organisation_number="556677-0001",
        vat_number="",
    )


@pytest.fixture
def products(billing) -> dict[str, Product]:
    """A check-up (25 %), a book (6 %) and a food item (12 %)."""
    return {
        "checkup": make_product(billing, "UND-01", name="Undersökning", price="850.00", vat_code="SE25"),
        "book": make_product(billing, "BOK-01", name="Tandvårdsboken", price="199.00", vat_code="SE06"),
        "lunch": make_product(billing, "LUN-01", name="Lunch", price="95.50", vat_code="SE12"),
    }
