"""Swedish OCR payment references (Bankgirot): Luhn (mod 10) check digit, optional length
digit, generated from the invoice's series, year and number."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontoffice.billing.services.ocr import (
    invoice_payment_reference,
    ocr_check_digit,
    ocr_generate,
    ocr_is_valid,
)


@pytest.mark.parametrize(
    ("digits", "check"),
    [
        ("7992739871", "3"),  # the classic Luhn example: 79927398713
        ("1234568", "2"),  # Bankgirot's example with length digit: 1234 5682
        ("811218987", "6"),  # a Swedish personal identity number, 811218-9876
        ("0", "0"),
    ],
)
def test_check_digit_is_luhn_mod_10(digits, check):
    assert ocr_check_digit(digits) == check


@pytest.mark.parametrize("reference", ["79927398713", "12345682", "8112189876", "1234 5682", "00"])
def test_known_valid_references_validate(reference):
    assert ocr_is_valid(reference) is True


@pytest.mark.parametrize(
    "reference",
    [
        "79927398710",  # wrong check digit
        "12345672",  # transposed digits
        "1",  # too short: at least two digits
        "1" * 26,  # too long: at most 25 digits
        "1234A682",  # not digits
        "",
    ],
)
def test_invalid_references_are_refused(reference):
    assert ocr_is_valid(reference) is False


def test_generated_reference_has_length_and_check_digit():
    reference = ocr_generate("123456")
    assert reference == "12345682"
    assert ocr_is_valid(reference, length_digit=True) is True


def test_length_digit_is_the_length_modulo_ten():
    reference = ocr_generate("12345678901")  # 11 digits + length + check = 13
    assert reference[-2] == "3"
    assert len(reference) == 13
    assert ocr_is_valid(reference, length_digit=True) is True
    # Luhn holds but the length digit is wrong
    wrong = "1234567" + ocr_check_digit("1234567")
    assert ocr_is_valid(wrong) is True
    assert ocr_is_valid(wrong, length_digit=True) is False


def test_without_length_digit_only_the_check_digit_is_added():
    assert ocr_generate("7992739871", length_digit=False) == "79927398713"


def test_generating_refuses_non_digits_and_too_long_references():
    with pytest.raises(ValueError, match="digits"):
        ocr_generate("12a")
    with pytest.raises(ValueError, match="25"):
        ocr_generate("1" * 24)


def test_invoice_reference_is_built_from_series_year_and_number():
    reference = invoice_payment_reference(series_id=3, year=2026, number=42)
    # series 3, year 26, number 0000042, length digit 2 (12 digits), check digit
    assert reference.startswith("3260000042")
    assert len(reference) == 12
    assert reference[-2] == "2"
    assert ocr_is_valid(reference, length_digit=True) is True


@settings(max_examples=300, deadline=None)
@given(
    a=st.tuples(st.integers(1, 10**6), st.integers(2000, 2099), st.integers(1, 9_999_999)),
    b=st.tuples(st.integers(1, 10**6), st.integers(2000, 2099), st.integers(1, 9_999_999)),
)
def test_invoice_references_are_unique_and_valid(a, b):
    ref_a = invoice_payment_reference(series_id=a[0], year=a[1], number=a[2])
    ref_b = invoice_payment_reference(series_id=b[0], year=b[1], number=b[2])
    assert ocr_is_valid(ref_a, length_digit=True) is True
    assert (ref_a == ref_b) == (a == b)


@settings(max_examples=300, deadline=None)
@given(base=st.text(alphabet="0123456789", min_size=1, max_size=23), position=st.integers(0, 24))
def test_any_single_digit_change_is_detected(base, position):
    reference = ocr_generate(base)
    position %= len(reference)
    for digit in "0123456789":
        if digit != reference[position]:
            changed = reference[:position] + digit + reference[position + 1 :]
            assert ocr_is_valid(changed) is False
