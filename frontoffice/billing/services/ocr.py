"""Swedish OCR payment references, as Bankgirot checks them.

A reference is 2-25 digits. The last digit is a Luhn (mod 10) check digit computed over
every digit before it; with a length digit, the digit before the check digit is the
reference's full length (length and check digit included) modulo 10. Bankgirot's "variable
length" OCR control needs both, so invoices carry both.

Invoices get ``invoice_payment_reference``: the series id, the year's last two digits and
the number padded to seven digits, then the length and check digits. The fixed-width tail
(year and number) makes the reference unique per series, year and number, and so per legal
entity, for up to 9,999,999 invoices per series and year; payment matching finds the
invoice by the reference alone.
"""

from __future__ import annotations

MIN_LENGTH, MAX_LENGTH = 2, 25
NUMBER_WIDTH = 7


def _digits(value: str) -> str:
    return "".join(str(value).split())


def ocr_check_digit(digits: str) -> str:
    """The Luhn check digit for ``digits``: from the right, weights 2, 1, 2, ...; digit sums."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return str((10 - total % 10) % 10)


def ocr_generate(base: str | int, *, length_digit: bool = True) -> str:
    """``base`` followed by the length digit (unless ``length_digit=False``) and the check digit."""
    digits = _digits(str(base))
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("An OCR reference is built from digits only.")
    length = len(digits) + (2 if length_digit else 1)
    if length > MAX_LENGTH:
        raise ValueError(f"An OCR reference has at most {MAX_LENGTH} digits.")
    if length_digit:
        digits += str(length % 10)
    return digits + ocr_check_digit(digits)


def ocr_is_valid(reference: str, *, length_digit: bool = False) -> bool:
    """Whether ``reference`` (spaces allowed) is 2-25 digits with a correct check digit and,
    with ``length_digit=True``, a correct length digit."""
    digits = _digits(reference or "")
    if not (digits.isdigit() and digits.isascii() and MIN_LENGTH <= len(digits) <= MAX_LENGTH):
        return False
    if ocr_check_digit(digits[:-1]) != digits[-1]:
        return False
    return not length_digit or digits[-2] == str(len(digits) % 10)


def invoice_payment_reference(*, series_id: int, year: int, number: int) -> str:
    """The OCR reference of invoice ``number`` of ``year`` in series ``series_id``."""
    if not 0 < number < 10**NUMBER_WIDTH:
        raise ValueError("Invoice numbers for OCR references have at most seven digits.")
    return ocr_generate(f"{series_id}{year % 100:02d}{number:0{NUMBER_WIDTH}d}")
