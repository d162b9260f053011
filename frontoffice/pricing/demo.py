"""Demo price profiles for the demo company (``seed_pricing``), written through the services.

Journey 6 in the demo: the north rep's customer has an approved profile (12 % on a product
group, above the rep's 10 %, approved by the regional manager with a comment); the south rep's
customer has a profile waiting for the finance manager (a fixed price 40 % under list, above
the national manager's 35 %).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from frontoffice.billing.models import Product, ProductGroup, VatCode
from frontoffice.parties.models import Party
from frontoffice.pricing.models import PriceProfile
from frontoffice.pricing.services.authority import discount_authority_setup
from frontoffice.pricing.services.profiles import (
    price_profile_approve,
    price_profile_create,
    price_profile_submit,
    price_rule_add,
)

# Used only when the company has no product group yet (the catalogue demo normally adds them).
FALLBACK_GROUP = ("TAND", "Tandvård")
FALLBACK_PRODUCTS = [("UND-01", "Undersökning", "850.00"), ("RTG-01", "Röntgen", "450.00")]


def _catalogue(company: Any, actor: Any) -> tuple[ProductGroup, Product] | None:
    """A product group and a product of it, the catalogue's own or a small fallback."""
    group = (
        ProductGroup.objects.filter(legal_entity=company, active=True, products__active=True)
        .order_by("code")
        .first()
    )
    if group is None:
        vat = VatCode.objects.filter(legal_entity=company, code="SE25").first()
        if vat is None:
            return None  # billing is not set up: nothing to price
        from frontoffice.billing.services.catalogue import product_create, product_group_create

        code, name = FALLBACK_GROUP
        group = ProductGroup.objects.filter(legal_entity=company, code=code).first() or product_group_create(
            actor=actor, legal_entity=company, code=code, name=name
        )
        for product_code, product_name, price in FALLBACK_PRODUCTS:
            if not Product.objects.filter(legal_entity=company, code=product_code).exists():
                product_create(
                    actor=actor,
                    legal_entity=company,
                    code=product_code,
                    name=product_name,
                    unit_price_amount=Decimal(price),
                    vat_code=vat,
                    group=group,
                )
    product = group.products.filter(active=True, unit_price_amount__gt=0).order_by("code").first()
    return (group, product) if product else None


def _customer(company: Any, owner: Any) -> Party | None:
    owned = Party.objects.active().filter(legal_entity=company, owner=owner)
    return owned.filter(kind=Party.Kind.ORGANISATION).order_by("pk").first() or owned.order_by("pk").first()


@transaction.atomic
def seed_pricing(company: Any, users: dict[str, Any]) -> int:
    """Create the demo's approved and pending price profiles once; return how many were created.

    ``users`` are the demo's users by username (``rep``, ``rep2``, ``rsm``, ``cfo``). Run it
    after the customers and billing set-up; without a catalogue it adds a product group with two
    products. Safe to run twice.
    """
    discount_authority_setup(actor=None, legal_entity=company)
    catalogue = _catalogue(company, users["cfo"])
    if catalogue is None:
        return 0
    group, product = catalogue
    year_start = datetime.date(timezone.localdate().year, 1, 1)
    created = 0

    north = _customer(company, users["rep"])
    name = f"Volymrabatt {year_start.year}"
    if north is not None and not PriceProfile.objects.filter(party=north, name=name).exists():
        profile = price_profile_create(actor=users["rep"], party=north, name=name, valid_from=year_start)
        price_rule_add(
            actor=users["rep"], profile=profile, product_group=group, discount_percent=Decimal("12")
        )
        price_profile_submit(actor=users["rep"], profile=profile)  # 12 % > the rep's 10 %: to the RSM
        price_profile_approve(
            actor=users["rsm"], profile=profile, comment="OK, i linje med årsavtalet och volymen."
        )
        created += 1

    south = _customer(company, users["rep2"])
    name = f"Ramavtal {year_start.year}"
    if south is not None and not PriceProfile.objects.filter(party=south, name=name).exists():
        profile = price_profile_create(actor=users["rep2"], party=south, name=name, valid_from=year_start)
        fixed = (product.unit_price_amount * Decimal("0.60")).quantize(Decimal("0.01"))
        price_rule_add(
            actor=users["rep2"], profile=profile, kind="fixed_price", product=product, unit_price_amount=fixed
        )
        price_rule_add(
            actor=users["rep2"],
            profile=profile,
            product_group=group,
            discount_percent=Decimal("15"),
            min_quantity=Decimal("10"),
        )
        price_profile_submit(actor=users["rep2"], profile=profile)  # 40 % off list: to the CFO
        created += 1
    return created
