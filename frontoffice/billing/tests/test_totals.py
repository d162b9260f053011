"""Invoice arithmetic (``billing.services.totals``): exact Decimal amounts, öre rounding half
up per line, VAT per rate on the sum of that rate's line nets, whole-krona rounding, and
input validation with errors naming the field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from frontoffice.billing.services.totals import (
    TotalsLine,
    invoice_totals,
    krona_rounding,
    line_clean,
    line_net,
    vat_amount,
)

D = Decimal


class FakeVatCode:
    def __init__(self, *, code: str = "SE25", rate: str = "25.00", active: bool = True):
        self.code, self.rate, self.active = code, D(rate), active


# ---------------------------------------------------------------- line net


def test_line_net_is_quantity_times_price_rounded_once_to_ore_half_up():
    assert line_net(D("3"), D("33.33")) == D("99.99")
    # 0.125 rounds half up to 0.13 (not banker's rounding to 0.12)
    assert line_net(D("0.5"), D("0.25")) == D("0.13")
    assert line_net(D("1.333"), D("10.00")) == D("13.33")


def test_line_net_applies_the_discount_before_the_only_rounding():
    # 3 * 9.99 = 29.97; less 12.5 % = 26.22375 → 26.22
    assert line_net(D("3"), D("9.99"), D("12.5")) == D("26.22")
    # 1 * 0.05 less 50 % = 0.025 → 0.03 (half up)
    assert line_net(D("1"), D("0.05"), D("50")) == D("0.03")
    assert line_net(D("2"), D("100.00"), D("100")) == D("0.00")


def test_line_net_refuses_floats():
    with pytest.raises(TypeError):
        line_net(1.5, D("10.00"))  # type: ignore[arg-type]


# ---------------------------------------------------------------- VAT and totals


def test_vat_is_computed_per_rate_on_the_sum_of_that_rates_nets_not_per_line():
    # Three lines of 0.10 at 25 %: per line 0.025 → 0.03 each (0.09); on the sum 0.30 → 0.08 (0.075 half up)
    lines = [TotalsLine(net_amount=D("0.10"), vat_rate=D("25"))] * 3
    totals = invoice_totals(lines)
    assert totals.net_amount == D("0.30")
    assert totals.vat_amount == D("0.08")
    assert totals.total_amount == D("0.38")
    assert totals.rounding_amount == D("0.00")


def test_totals_break_vat_down_per_rate_highest_rate_first():
    totals = invoice_totals(
        [
            TotalsLine(net_amount=D("100.00"), vat_rate=D("6")),
            TotalsLine(net_amount=D("1000.00"), vat_rate=D("25")),
            TotalsLine(net_amount=D("250.50"), vat_rate=D("25")),
            TotalsLine(net_amount=D("80.00"), vat_rate=D("0")),
            TotalsLine(net_amount=D("33.33"), vat_rate=D("12")),
        ]
    )
    assert [(v.rate, v.net_amount, v.vat_amount) for v in totals.vat] == [
        (D("25.00"), D("1250.50"), D("312.63")),  # 312.625 half up
        (D("12.00"), D("33.33"), D("4.00")),  # 3.9996
        (D("6.00"), D("100.00"), D("6.00")),
        (D("0.00"), D("80.00"), D("0.00")),
    ]
    assert totals.net_amount == D("1463.83")
    assert totals.vat_amount == D("322.63")
    assert totals.total_amount == D("1786.46")


def test_lines_of_one_rate_with_different_vat_treatment_stay_apart():
    """Reverse charge and export are both 0 %, but each is its own row on the invoice."""
    totals = invoice_totals(
        [
            TotalsLine(net_amount=D("100.00"), vat_rate=D("0"), vat_group="OMV"),
            TotalsLine(net_amount=D("50.00"), vat_rate=D("0"), vat_group="EXP"),
            TotalsLine(net_amount=D("25.00"), vat_rate=D("0"), vat_group="OMV"),
        ]
    )
    assert sorted((v.group, v.net_amount) for v in totals.vat) == [
        ("EXP", D("50.00")),
        ("OMV", D("125.00")),
    ]


def test_whole_krona_rounding_rounds_the_total_half_up_and_reports_the_difference():
    totals = invoice_totals([TotalsLine(net_amount=D("99.60"), vat_rate=D("25"))], round_to_whole_krona=True)
    # 99.60 + 24.90 = 124.50 → 125
    assert (totals.vat_amount, totals.rounding_amount, totals.total_amount) == (
        D("24.90"),
        D("0.50"),
        D("125.00"),
    )
    totals = invoice_totals([TotalsLine(net_amount=D("99.50"), vat_rate=D("25"))], round_to_whole_krona=True)
    # 99.50 + 24.88 = 124.38 → 124
    assert (totals.rounding_amount, totals.total_amount) == (D("-0.38"), D("124.00"))


def test_without_whole_krona_rounding_the_total_keeps_its_ore():
    totals = invoice_totals([TotalsLine(net_amount=D("99.50"), vat_rate=D("25"))])
    assert (totals.rounding_amount, totals.total_amount) == (D("0.00"), D("124.38"))


def test_krona_rounding():
    assert krona_rounding(D("10.49")) == D("-0.49")
    assert krona_rounding(D("10.50")) == D("0.50")
    assert krona_rounding(D("10.00")) == D("0.00")


def test_no_lines_total_zero():
    totals = invoice_totals([])
    assert (totals.net_amount, totals.vat_amount, totals.total_amount, totals.vat) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        (),
    )


# ---------------------------------------------------------------- validation


def errors_of(excinfo) -> dict[str, list[str]]:
    return {field: [e.code for e in errs] for field, errs in excinfo.value.error_dict.items()}


def test_a_valid_line_is_parsed_exactly_from_strings():
    line = line_clean(quantity="2,5", unit_price="1 250,50", discount_percent="10", vat_code=FakeVatCode())
    assert (line.quantity, line.unit_price, line.discount_percent) == (D("2.5"), D("1250.50"), D("10"))
    assert line.net_amount == D("2813.63")  # 2.5 * 1250.50 * 0.9 = 2813.625


def test_negative_and_zero_quantities_are_refused_naming_the_field():
    """Invoices take no negative quantities: a correction is a credit note."""
    for quantity in ("-1", "0", D("-0.001")):
        with pytest.raises(ValidationError) as excinfo:
            line_clean(quantity=quantity, unit_price="10.00", vat_code=FakeVatCode())
        assert errors_of(excinfo) == {"quantity": ["quantity_not_positive"]}
        assert "credit note" in excinfo.value.message_dict["quantity"][0]


def test_unit_price_must_be_non_negative_with_at_most_two_decimals():
    for price, code in (("-1.00", "negative_price"), ("10.005", "invalid_price"), ("abc", "invalid_price")):
        with pytest.raises(ValidationError) as excinfo:
            line_clean(quantity="1", unit_price=price, vat_code=FakeVatCode())
        assert errors_of(excinfo) == {"unit_price": [code]}
    assert line_clean(quantity="1", unit_price="0", vat_code=FakeVatCode()).net_amount == D("0.00")


def test_discount_is_between_0_and_100_percent():
    for discount in ("-5", "100.01", "150"):
        with pytest.raises(ValidationError) as excinfo:
            line_clean(quantity="1", unit_price="10.00", discount_percent=discount, vat_code=FakeVatCode())
        assert errors_of(excinfo) == {"discount_percent": ["invalid_discount"]}
    assert line_clean(
        quantity="1", unit_price="10.00", discount_percent="100", vat_code=FakeVatCode()
    ).net_amount == D("0.00")


def test_unknown_and_inactive_vat_codes_are_refused_naming_the_code():
    with pytest.raises(ValidationError) as excinfo:
        line_clean(quantity="1", unit_price="10.00", vat_code=None, vat_code_text="SE99")
    assert errors_of(excinfo) == {"vat_code": ["unknown_vat_code"]}
    assert "SE99" in excinfo.value.message_dict["vat_code"][0]
    with pytest.raises(ValidationError) as excinfo:
        line_clean(quantity="1", unit_price="10.00", vat_code=FakeVatCode(active=False))
    assert errors_of(excinfo) == {"vat_code": ["inactive_vat_code"]}


def test_floats_are_refused_for_every_number():
    with pytest.raises(ValidationError) as excinfo:
        line_clean(quantity=1.0, unit_price=9.99, discount_percent=0.5, vat_code=FakeVatCode())
    assert errors_of(excinfo) == {
        "quantity": ["float_refused"],
        "unit_price": ["float_refused"],
        "discount_percent": ["float_refused"],
    }


def test_every_bad_field_is_reported_at_once_with_a_prefix():
    with pytest.raises(ValidationError) as excinfo:
        line_clean(
            quantity="-2",
            unit_price="-1",
            discount_percent="101",
            vat_code=None,
            vat_code_text="X",
            prefix="lines.2.",
        )
    assert set(errors_of(excinfo)) == {
        "lines.2.quantity",
        "lines.2.unit_price",
        "lines.2.discount_percent",
        "lines.2.vat_code",
    }


def test_quantities_have_at_most_three_decimals_and_amounts_fit_the_money_field():
    with pytest.raises(ValidationError) as excinfo:
        line_clean(quantity="1.0001", unit_price="1.00", vat_code=FakeVatCode())
    assert errors_of(excinfo) == {"quantity": ["invalid_quantity"]}
    with pytest.raises(ValidationError) as excinfo:
        line_clean(quantity="999999", unit_price="99999999999.00", vat_code=FakeVatCode())
    assert errors_of(excinfo) == {"__all__": ["amount_too_large"]}


# ---------------------------------------------------------------- properties

quantities = st.decimals(min_value=D("0.001"), max_value=D("10000"), places=3)
prices = st.decimals(min_value=D("0"), max_value=D("100000"), places=2)
discounts = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
rates = st.sampled_from([D("25"), D("12"), D("6"), D("0")])
lines_strategy = st.lists(st.tuples(quantities, prices, discounts, rates), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, whole_krona=st.booleans())
def test_total_is_the_sum_of_line_nets_plus_vat_per_rate(lines, whole_krona):
    totals_lines = [TotalsLine(net_amount=line_net(q, p, d), vat_rate=r) for q, p, d, r in lines]
    totals = invoice_totals(totals_lines, round_to_whole_krona=whole_krona)
    net = sum((line.net_amount for line in totals_lines), D("0.00"))
    per_rate: dict[Decimal, Decimal] = {}
    for line in totals_lines:
        per_rate[line.vat_rate] = per_rate.get(line.vat_rate, D("0.00")) + line.net_amount
    vat = sum(
        ((n * r / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP) for r, n in per_rate.items()), D("0.00")
    )
    assert totals.net_amount == net
    assert totals.vat_amount == vat == sum((v.vat_amount for v in totals.vat), D("0.00"))
    assert sum((v.net_amount for v in totals.vat), D("0.00")) == net
    assert totals.total_amount == net + vat + totals.rounding_amount
    for amount in (totals.net_amount, totals.vat_amount, totals.total_amount, totals.rounding_amount):
        assert amount == amount.quantize(D("0.01"))
    if whole_krona:
        assert totals.total_amount == totals.total_amount.to_integral_value()
    else:
        assert totals.rounding_amount == D("0.00")


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy)
def test_whole_krona_rounding_never_exceeds_fifty_ore(lines):
    totals = invoice_totals(
        [TotalsLine(net_amount=line_net(q, p, d), vat_rate=r) for q, p, d, r in lines],
        round_to_whole_krona=True,
    )
    assert abs(totals.rounding_amount) <= D("0.50")


@settings(max_examples=300, deadline=None)
@given(quantity=quantities, price=prices, discount=discounts)
def test_a_line_net_is_within_half_an_ore_of_the_exact_product(quantity, price, discount):
    exact = quantity * price * (100 - discount) / 100
    net = line_net(quantity, price, discount)
    assert abs(net - exact) <= D("0.005")
    assert D("0.00") <= net


@settings(max_examples=200, deadline=None)
@given(net=st.decimals(min_value=D("0"), max_value=D("1000000000"), places=2), rate=rates)
def test_vat_amount_is_the_rate_of_the_net_rounded_half_up(net, rate):
    assert vat_amount(net, rate) == (net * rate / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
