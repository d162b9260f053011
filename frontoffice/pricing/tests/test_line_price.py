"""``line_price``: what a customer pays for a product on a date, from the approved profile in
force (precedence: product over group, highest tier reached, fixed over percent) or the list
price; property-based checks that prices stay between zero and the list price."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontoffice.pricing.models import PriceRule
from frontoffice.pricing.selectors import LinePrice, choose_rule, line_price, price_book
from frontoffice.pricing.services.profiles import (
    price_profile_approve,
    price_profile_create,
    price_profile_submit,
    price_profile_withdraw,
    price_rule_add,
)

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
DAY = datetime.date(2026, 4, 15)


def approved(org, party, rules, *, actor="finance_manager", approver=None, name="Volume 2026", **kw):
    """A profile with ``rules`` (dicts for ``price_rule_add``), submitted by ``actor`` (the
    finance manager's authority covers anything), approved by ``approver`` when routed."""
    profile = price_profile_create(
        actor=org.user(actor), party=party, name=name, valid_from=kw.pop("valid_from", JAN), **kw
    )
    for rule in rules:
        price_rule_add(actor=org.user(actor), profile=profile, **rule)
    price_profile_submit(actor=org.user(actor), profile=profile)
    if approver:
        price_profile_approve(actor=org.user(approver), profile=profile)
    profile.refresh_from_db()
    return profile


def price(org, party, product, quantity="1", on=DAY) -> LinePrice:
    return line_price(
        legal_entity=org.company, party=party, product=product, quantity=Decimal(quantity), on=on
    )


def test_without_a_profile_the_list_price_applies(org, catalogue, customers):
    result = price(org, customers.north, catalogue.exam)
    assert result == LinePrice(Decimal("1000.00"), Decimal("0.00"), "List price", Decimal("1000.00"))
    assert result.net_unit_price_amount == Decimal("1000.00")


def test_a_group_discount_keeps_the_list_price_and_carries_the_discount(org, catalogue, customers):
    profile = approved(org, customers.north, [{"product_group": catalogue.dental, "discount_percent": "12"}])
    result = price(org, customers.north, catalogue.xray, "3")
    assert (result.unit_price_amount, result.discount_percent, result.net_unit_price_amount) == (
        Decimal("200.00"),
        Decimal("12.00"),
        Decimal("176.00"),
    )
    assert result.source == "Price profile “Volume 2026” (approved by Finance_Manager Test)"
    assert (result.profile_id, result.list_price_amount) == (profile.pk, Decimal("200.00"))
    # Other groups and products without a group keep their list price.
    assert price(org, customers.north, catalogue.clean).source == "List price"
    assert price(org, customers.north, catalogue.soft).unit_price_amount == Decimal("300.00")
    # Another customer gets nothing of it.
    assert price(org, customers.south, catalogue.xray).discount_percent == Decimal("0.00")


def test_the_source_names_the_approver_when_someone_else_approved(org, catalogue, customers):
    approved(
        org,
        customers.north,
        [{"product_group": catalogue.dental, "discount_percent": "15"}],
        actor="rep_north",
        approver="rsm_north",
    )
    assert (
        price(org, customers.north, catalogue.exam).source
        == "Price profile “Volume 2026” (approved by Rsm_North Test)"
    )


def test_precedence_product_over_group_highest_tier_fixed_over_percent(org, catalogue, customers):
    approved(
        org,
        customers.north,
        [
            {"product_group": catalogue.dental, "discount_percent": "10"},
            {"product_group": catalogue.dental, "discount_percent": "20", "min_quantity": "100"},
            {"product": catalogue.exam, "discount_percent": "5"},
            {"product": catalogue.exam, "discount_percent": "8", "min_quantity": "10"},
            {
                "product": catalogue.exam,
                "kind": "fixed_price",
                "unit_price_amount": "900.00",
                "min_quantity": "10",
            },
        ],
    )
    # The product rule beats the group's, even the group's bigger tier.
    assert price(org, customers.north, catalogue.exam, "1").discount_percent == Decimal("5.00")
    assert price(org, customers.north, catalogue.exam, "500").unit_price_amount == Decimal("900.00")
    # At the 10 tier the fixed price beats the percent rule of the same tier.
    at_ten = price(org, customers.north, catalogue.exam, "10")
    assert (at_ten.unit_price_amount, at_ten.discount_percent) == (Decimal("900.00"), Decimal("0.00"))
    # Tiers of the group for another product of it.
    assert price(org, customers.north, catalogue.xray, "99.999").discount_percent == Decimal("10.00")
    assert price(org, customers.north, catalogue.xray, "100").discount_percent == Decimal("20.00")
    # A negative correction line is priced like the same positive quantity.
    assert price(org, customers.north, catalogue.xray, "-100").discount_percent == Decimal("20.00")


def test_only_approved_profiles_within_their_dates_price(org, catalogue, customers):
    rule = [{"product_group": catalogue.dental, "discount_percent": "15"}]
    # Draft: nothing.
    draft = price_profile_create(
        actor=org.user("rep_north"), party=customers.north, name="Draft", valid_from=JAN
    )
    price_rule_add(actor=org.user("rep_north"), profile=draft, **rule[0])
    assert price(org, customers.north, catalogue.exam).source == "List price"
    # Pending (15 % is above the rep's 10 %): nothing.
    price_profile_submit(actor=org.user("rep_north"), profile=draft)
    assert price(org, customers.north, catalogue.exam).source == "List price"
    # Approved with dates: from its first to its last day.
    price_profile_approve(actor=org.user("rsm_north"), profile=draft)
    draft.refresh_from_db()
    price_profile_withdraw(actor=org.user("rep_north"), profile=draft)
    assert price(org, customers.north, catalogue.exam).source == "List price"
    dated = approved(
        org,
        customers.north,
        rule,
        name="Spring",
        valid_from=datetime.date(2026, 3, 1),
        valid_to=datetime.date(2026, 5, 31),
    )
    assert price(org, customers.north, catalogue.exam, on=datetime.date(2026, 2, 28)).source == "List price"
    assert price(org, customers.north, catalogue.exam, on=datetime.date(2026, 3, 1)).profile_id == dated.pk
    assert price(org, customers.north, catalogue.exam, on=datetime.date(2026, 5, 31)).profile_id == dated.pk
    assert price(org, customers.north, catalogue.exam, on=datetime.date(2026, 6, 1)).source == "List price"


def test_a_superseded_profile_still_prices_the_days_before_its_successor(org, catalogue, customers):
    first = approved(
        org, customers.north, [{"product_group": catalogue.dental, "discount_percent": "5"}], name="Old"
    )
    second = approved(
        org,
        customers.north,
        [{"product_group": catalogue.dental, "discount_percent": "7"}],
        name="New",
        valid_from=datetime.date(2026, 4, 1),
    )
    assert price(org, customers.north, catalogue.exam, on=datetime.date(2026, 3, 31)).profile_id == first.pk
    assert price(org, customers.north, catalogue.exam, on=datetime.date(2026, 4, 1)).profile_id == second.pk


def test_a_price_book_prices_many_lines_with_two_queries(
    org, catalogue, customers, django_assert_num_queries
):
    approved(org, customers.north, [{"product_group": catalogue.dental, "discount_percent": "5"}])
    products = [catalogue.exam, catalogue.xray, catalogue.clean, catalogue.soft]
    with django_assert_num_queries(2):
        book = price_book(legal_entity=org.company, party=customers.north, on=DAY)
        prices = [book.price(p, 2) for p in products * 25]
    assert len(prices) == 100


def test_line_price_takes_ids(org, catalogue, customers):
    approved(
        org, customers.north, [{"product": catalogue.exam, "kind": "fixed_price", "unit_price_amount": "750"}]
    )
    result = line_price(
        legal_entity=org.company.pk, party=customers.north.pk, product=catalogue.exam.pk, quantity=1, on=DAY
    )
    assert result.unit_price_amount == Decimal("750.00")


# ---------------------------------------------------------------- properties

MONEY = st.decimals(min_value=Decimal("0"), max_value=Decimal("999999.99"), places=2)
PERCENT = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
QUANTITY = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3)


@dataclass
class Rule:
    pk: int
    product_id: int | None
    product_group_id: int | None
    kind: str
    discount_percent: Decimal | None
    unit_price_amount: Decimal | None
    min_quantity: Decimal


@st.composite
def rules(draw, *, kinds=(PriceRule.Kind.PERCENT, PriceRule.Kind.FIXED_PRICE)):
    out = []
    for pk in range(draw(st.integers(min_value=0, max_value=8))):
        kind = draw(st.sampled_from(kinds))
        on_product = kind == PriceRule.Kind.FIXED_PRICE or draw(st.booleans())
        out.append(
            Rule(
                pk=pk,
                product_id=draw(st.sampled_from([1, 2])) if on_product else None,
                product_group_id=None if on_product else draw(st.sampled_from([10, 11])),
                kind=kind,
                discount_percent=draw(PERCENT) if kind == PriceRule.Kind.PERCENT else None,
                unit_price_amount=draw(MONEY) if kind == PriceRule.Kind.FIXED_PRICE else None,
                min_quantity=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=3)),
            )
        )
    return out


class FakeProduct:
    def __init__(self, pk, group_id, price):
        self.pk, self.group_id, self.unit_price_amount = pk, group_id, price


class FakeProfile:
    pk = 1
    name = "P"
    approved_by = None


@settings(max_examples=300, deadline=None)
@given(
    rules=rules(kinds=(PriceRule.Kind.PERCENT,)),
    list_price=MONEY,
    quantity=QUANTITY,
    group=st.sampled_from([10, 11, None]),
)
def test_percent_rules_never_price_above_the_list_price_nor_below_zero(rules, list_price, quantity, group):
    from frontoffice.pricing.selectors import PriceBook

    result = PriceBook(FakeProfile(), rules).price(FakeProduct(1, group, list_price), quantity)
    assert Decimal("0") <= result.net_unit_price_amount <= list_price
    assert result.unit_price_amount == list_price
    assert Decimal("0") <= result.discount_percent <= Decimal("100")


@settings(max_examples=300, deadline=None)
@given(rules=rules(), list_price=MONEY, quantity=QUANTITY, group=st.sampled_from([10, 11, None]))
def test_no_rule_ever_prices_below_zero_and_the_chosen_rule_follows_precedence(
    rules, list_price, quantity, group
):
    from frontoffice.pricing.selectors import PriceBook

    result = PriceBook(FakeProfile(), rules).price(FakeProduct(1, group, list_price), quantity)
    assert result.net_unit_price_amount >= Decimal("0")
    chosen = choose_rule(rules, product_id=1, group_id=group, quantity=quantity)
    applicable = [
        r
        for r in rules
        if (r.product_id == 1 or (r.product_id is None and group is not None and r.product_group_id == group))
        and r.min_quantity <= abs(quantity)
    ]
    if not applicable:
        assert chosen is None and result.source == "List price"
        return
    if any(r.product_id == 1 for r in applicable):
        assert chosen.product_id == 1
    same_target = [r for r in applicable if (r.product_id is not None) == (chosen.product_id is not None)]
    assert chosen.min_quantity == max(r.min_quantity for r in same_target)
    if any(
        r.kind == PriceRule.Kind.FIXED_PRICE and r.min_quantity == chosen.min_quantity for r in same_target
    ):
        assert chosen.kind == PriceRule.Kind.FIXED_PRICE


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(percent=PERCENT, fixed=MONEY, quantity=st.integers(min_value=1, max_value=50))
def test_stored_profiles_price_between_zero_and_list_for_percent_rules(
    org, catalogue, customers, percent, fixed, quantity
):
    """The same properties through the database: each example in a savepoint, rolled back."""
    from django.db import transaction

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            approved(
                org,
                customers.north,
                [
                    {"product_group": catalogue.dental, "discount_percent": percent},
                    {"product": catalogue.soft, "kind": "fixed_price", "unit_price_amount": fixed},
                ],
            )
            on_group = price(org, customers.north, catalogue.xray, str(quantity))
            assert Decimal("0") <= on_group.net_unit_price_amount <= catalogue.xray.unit_price_amount
            assert on_group.discount_percent == percent
            fixed_price = price(org, customers.north, catalogue.soft, str(quantity))
            assert fixed_price.unit_price_amount == fixed >= Decimal("0")
            raise Rollback
    except Rollback:
        pass
