"""Money helpers. Amounts are Decimal, never float; round once, with ROUND_HALF_UP."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def quantize(value: Decimal | int | str | None, exp: Decimal = CENT) -> Decimal:
    """Round to two decimals (half up). ``None`` becomes 0.00; floats are refused."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal, int or str.")
    return Decimal(value).quantize(exp, rounding=ROUND_HALF_UP)
