"""Invoice arithmetic: exact amounts in Decimal, with the rounding rules of docs/billing.md.

Invariants protected here:

- a line's net amount is quantity * unit price * (1 - discount / 100), computed exactly and
  rounded ONCE, to öre, half up (``line_net``); nothing is rounded before that;
- VAT is computed per VAT group (a rate, kept apart by VAT treatment: reverse charge and
  export are both 0 % but separate rows) on the SUM of that group's line nets, rounded to öre,
  half up, as Swedish invoices state it; never per line and then summed;
- total = net + VAT + rounding; the rounding is zero unless the legal entity rounds totals to
  whole kronor, and then it is at most 0.50 either way (``krona_rounding``);
- floats are refused everywhere (``TypeError`` in the arithmetic, a field error in
  ``line_clean``); line input errors name their field, all at once.

The functions here touch no database: services pass the numbers in.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
KRONA = Decimal("1")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# core.fields.MoneyField: 14 digits, 2 decimals; InvoiceLine.quantity: 12 digits, 3 decimals.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("999999999.999")
# Exact products of a 12-digit quantity, a 14-digit price and a percentage need ~32 digits.
_EXACT = Context(prec=60)

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def _require_decimal(*values: Any) -> None:
    for value in values:
        if isinstance(value, float):
            raise TypeError("Invoice amounts must not be floats; pass a Decimal, int or str.")


def line_net(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = ZERO) -> Decimal:
    """quantity * unit price * (1 - discount / 100), exact, then rounded to öre half up."""
    _require_decimal(quantity, unit_price, discount_percent)
    with localcontext(_EXACT):
        exact = Decimal(quantity) * Decimal(unit_price) * (HUNDRED - Decimal(discount_percent)) / HUNDRED
        return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_amount(net_amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT on ``net_amount`` at ``rate`` percent, rounded to öre half up."""
    _require_decimal(net_amount, rate)
    with localcontext(_EXACT):
        return (Decimal(net_amount) * Decimal(rate) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def krona_rounding(amount: Decimal) -> Decimal:
    """What to add to ``amount`` to reach whole kronor (half up): between -0.49 and +0.50."""
    _require_decimal(amount)
    return Decimal(amount).quantize(KRONA, rounding=ROUND_HALF_UP).quantize(CENT) - Decimal(amount)


# ---------------------------------------------------------------- totals


@dataclass(frozen=True)
class TotalsLine:
    """One line as the totals see it. ``vat_group`` keeps lines of one rate apart when their
    VAT treatment differs (services pass the VAT category and account); default: the rate."""

    net_amount: Decimal
    vat_rate: Decimal
    vat_group: Hashable = None


@dataclass(frozen=True)
class VatAmount:
    """One row of the VAT breakdown: the net of the group's lines and the VAT on that sum."""

    group: Hashable
    rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal


@dataclass(frozen=True)
class Totals:
    net_amount: Decimal
    vat_amount: Decimal
    rounding_amount: Decimal
    total_amount: Decimal
    vat: tuple[VatAmount, ...]


def group_nets(lines: Iterable[TotalsLine]) -> dict[tuple[Decimal, Hashable], Decimal]:
    """The sum of line nets per (rate, group), in the order groups first appear."""
    nets: dict[tuple[Decimal, Hashable], Decimal] = {}
    for line in lines:
        _require_decimal(line.net_amount, line.vat_rate)
        rate = Decimal(line.vat_rate).quantize(CENT)
        key = (rate, rate if line.vat_group is None else line.vat_group)
        nets[key] = nets.get(key, ZERO) + Decimal(line.net_amount)
    return nets


def _sorted_groups(items: Iterable[VatAmount]) -> tuple[VatAmount, ...]:
    # Highest rate first, as invoices print them; groups of one rate in a stable order.
    return tuple(sorted(items, key=lambda v: (-v.rate, str(v.group))))


def totals_from_groups(
    vat: Iterable[VatAmount], *, round_to_whole_krona: bool = False, rounding_amount: Decimal | None = None
) -> Totals:
    """Totals from a VAT breakdown. ``rounding_amount`` given: used as it is (credit notes);
    otherwise whole-krona rounding when asked for, else none."""
    rows = _sorted_groups(vat)
    net = sum((row.net_amount for row in rows), ZERO)
    tax = sum((row.vat_amount for row in rows), ZERO)
    if rounding_amount is None:
        rounding_amount = krona_rounding(net + tax) if round_to_whole_krona else ZERO
    return Totals(
        net_amount=net,
        vat_amount=tax,
        rounding_amount=rounding_amount,
        total_amount=net + tax + rounding_amount,
        vat=rows,
    )


def invoice_totals(lines: Iterable[TotalsLine], *, round_to_whole_krona: bool = False) -> Totals:
    """Net, VAT per group (on the group's sum), rounding and total of a document's lines.

    Line nets must already be rounded to öre (``line_net``); each VAT group is rounded once,
    then summed; with ``round_to_whole_krona`` the total is rounded to whole kronor (half up)
    and the difference is ``rounding_amount``.
    """
    return totals_from_groups(
        (
            VatAmount(group=group, rate=rate, net_amount=net, vat_amount=vat_amount(net, rate))
            for (rate, group), net in group_nets(lines).items()
        ),
        round_to_whole_krona=round_to_whole_krona,
    )


# ---------------------------------------------------------------- input


@dataclass(frozen=True)
class CleanLine:
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net_amount: Decimal


class _Invalid(Exception):
    def __init__(self, code: str):
        self.code = code


def _parse_number(value: Any, places: int) -> Decimal:
    """A number typed in Swedish or English style (``1 250,50``, ``1250.50``, ``1,250.50``),
    a Decimal or an int; never a float. At most ``places`` decimals."""
    if isinstance(value, float):
        raise _Invalid("float_refused")
    if isinstance(value, bool) or value is None:
        raise _Invalid("invalid")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    else:
        text = _SPACES.sub("", str(value))
        if "," in text and "." in text:
            # The later sign is the decimal one; the other groups thousands.
            text = (
                text.replace(".", "").replace(",", ".")
                if text.rfind(",") > text.rfind(".")
                else text.replace(",", "")
            )
        elif "," in text:
            text = text.replace(",", ".")
        if not _NUMBER.match(text):
            raise _Invalid("invalid")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise _Invalid("invalid") from exc
    if not number.is_finite():
        raise _Invalid("invalid")
    exp = Decimal(1).scaleb(-places)
    with localcontext(_EXACT):
        if number != number.quantize(exp):
            raise _Invalid("too_many_decimals")
    return number


_MISSING: Any = object()


def _float_message() -> str:
    return _("Enter the number as text or a decimal, such as “12.50”; floating-point numbers are refused.")


def line_clean(
    *,
    quantity: Any,
    unit_price: Any,
    discount_percent: Any = "0",
    vat_code: Any = _MISSING,
    vat_code_text: str = "",
    prefix: str = "",
) -> CleanLine:
    """Check one invoice line's numbers (and its VAT code, when given) and compute its net.

    ``vat_code`` is the VAT code looked up by the caller (``None``: not found, then
    ``vat_code_text`` names what was asked for). Raises ``ValidationError`` with an error per
    field (``prefix`` + field name, e.g. ``lines.2.quantity``), every bad field at once:
    quantity > 0 with at most 3 decimals (negative quantities belong on credit notes), unit
    price ≥ 0 with at most 2 decimals, discount 0-100 %, an existing active VAT code.
    """
    errors: dict[str, list[ValidationError]] = {}

    def error(field: str, message: str, code: str, params: dict[str, Any] | None = None) -> None:
        errors.setdefault(prefix + field, []).append(ValidationError(message, code=code, params=params))

    qty = price = discount = None
    try:
        qty = _parse_number(quantity, 3)
    except _Invalid as exc:
        if exc.code == "float_refused":
            error("quantity", _float_message(), "float_refused")
        else:
            error(
                "quantity",
                _("Enter a quantity such as 2 or 1.5 (at most three decimals)."),
                "invalid_quantity",
            )
    if qty is not None:
        if qty <= 0:
            error(
                "quantity",
                _("The quantity must be more than zero. To take something back, issue a credit note."),
                "quantity_not_positive",
            )
            qty = None
        elif qty > MAX_QUANTITY:
            error("quantity", _("The quantity is too large."), "invalid_quantity")
            qty = None
    try:
        price = _parse_number(unit_price, 2)
    except _Invalid as exc:
        if exc.code == "float_refused":
            error("unit_price", _float_message(), "float_refused")
        else:
            error("unit_price", _("Enter a price such as 1 250,50 (at most two decimals)."), "invalid_price")
    if price is not None:
        if price < 0:
            error(
                "unit_price",
                _("The unit price cannot be negative. To take something back, issue a credit note."),
                "negative_price",
            )
            price = None
        elif price > MAX_AMOUNT:
            error("unit_price", _("The unit price is too large."), "invalid_price")
            price = None
    try:
        discount = _parse_number("0" if discount_percent in (None, "") else discount_percent, 2)
    except _Invalid as exc:
        if exc.code == "float_refused":
            error("discount_percent", _float_message(), "float_refused")
        else:
            error(
                "discount_percent",
                _("Enter a discount between 0 and 100 % (at most two decimals)."),
                "invalid_discount",
            )
    if discount is not None and not (0 <= discount <= HUNDRED):
        error("discount_percent", _("Enter a discount between 0 and 100 %."), "invalid_discount")
        discount = None
    if vat_code is not _MISSING:
        if vat_code is None:
            error(
                "vat_code",
                _("There is no VAT code “%(code)s”."),
                "unknown_vat_code",
                {"code": vat_code_text or "—"},
            )
        elif not vat_code.active:
            error(
                "vat_code",
                _("The VAT code %(code)s is no longer in use."),
                "inactive_vat_code",
                {"code": vat_code.code},
            )
    if errors:
        raise ValidationError(errors)
    assert qty is not None and price is not None and discount is not None
    net = line_net(qty, price, discount)
    if net > MAX_AMOUNT:
        raise ValidationError(
            {
                prefix.rstrip(".") or NON_FIELD_ERRORS: [
                    ValidationError(_("The line amount is too large."), code="amount_too_large")
                ]
            }
        )
    return CleanLine(quantity=qty, unit_price=price, discount_percent=discount, net_amount=net)
