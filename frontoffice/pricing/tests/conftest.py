"""Pricing fixtures: the billing-ready company with a small catalogue and three customers.

Catalogue (written with the ORM, the smallest rows the price rules need):
- group TAND "Dental care": EXAM (1 000.00), XRAY (200.00)
- group HYG "Hygiene": CLEAN (500.00)
- SOFT (no group): 300.00

Customers:
- north: organisation owned by rep_north in North (seen by rep_north, rsm_north, nsm,
  finance_manager, clerk, auditor; not by rep_south or other_clerk)
- south: organisation owned by rep_south in South (not seen by rep_north or rsm_north)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from frontoffice.billing.models import Product, ProductGroup, VatCode
from frontoffice.billing.tests.conftest import billing, ledger  # noqa: F401 - shared fixtures
from frontoffice.parties.tests.factories import make_party


@dataclass
class Catalogue:
    dental: ProductGroup
    hygiene: ProductGroup
    exam: Product
    xray: Product
    clean: Product
    soft: Product


@pytest.fixture
def catalogue(billing) -> Catalogue:  # noqa: F811 - uses the imported billing fixture
    vat = VatCode.objects.get(legal_entity=billing, code="SE25")
    dental = ProductGroup.objects.create(legal_entity=billing, code="TAND", name="Dental care")
    hygiene = ProductGroup.objects.create(legal_entity=billing, code="HYG", name="Hygiene")

    def product(code: str, price: str, group: ProductGroup | None) -> Product:
        return Product.objects.create(
            legal_entity=billing,
            code=code,
            name=code.title(),
            group=group,
            unit_price_amount=Decimal(price),
            vat_code=vat,
        )

    return Catalogue(
        dental=dental,
        hygiene=hygiene,
        exam=product("EXAM", "1000.00", dental),
        xray=product("XRAY", "200.00", dental),
        clean=product("CLEAN", "500.00", hygiene),
        soft=product("SOFT", "300.00", None),
    )


@dataclass
class Customers:
    north: Any
    south: Any


@pytest.fixture
def customers(org) -> Customers:
    return Customers(
        north=make_party(
            org.user("rep_north"), kind="organisation", organisation_name="Norrsken Bygg AB", first_name=""
        ),
        south=make_party(
            org.user("rep_south"), kind="organisation", organisation_name="Söderljus AB", first_name=""
        ),
    )
