"""Ledger fixtures: the personas' company gets the BAS chart and the fiscal year 2026."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from frontoffice.finance.services.chart import ledger_setup
from frontoffice.finance.services.posting import EntryInput, LineInput


@pytest.fixture
def ledger(org):
    ledger_setup(
        actor=org.user("finance_manager"),
        legal_entity=org.company,
        first_year_start=datetime.date(2026, 1, 1),
    )
    return org.company


def voucher(
    *lines: tuple[str, str | None, str | None],
    series: str = "A",
    date=datetime.date(2026, 3, 15),
    text="Test",
    **kw,
):
    """``voucher(("1930", "100.00", None), ("3001", None, "100.00"))``: account, debit, credit."""
    return EntryInput(
        series=series,
        date=date,
        text=text,
        lines=[LineInput(account=a, debit=d, credit=c) for a, d, c in lines],
        **kw,
    )


def sale(amount: str = "125.00", **kw) -> EntryInput:
    net = (Decimal(amount) / Decimal("1.25")).quantize(Decimal("0.01"))
    vat = Decimal(amount) - net
    return voucher(
        ("1930", amount, None),
        ("3001", None, str(net)),
        ("2611", None, str(vat)),
        series=kw.pop("series", "F"),
        **kw,
    )
