"""Receivables fixtures: the company with its BAS ledger (2026) and billing set up, and
customers of both sales regions with issued invoices posted to the ledger."""

from __future__ import annotations

import pytest

from frontoffice.billing.tests.conftest import billing  # noqa: F401 - the billing fixture, shared
from frontoffice.finance.tests.conftest import ledger  # noqa: F401 - the ledger fixture, shared
from frontoffice.receivables.tests.factories import Customers, make_customers


@pytest.fixture
def customers(billing, org) -> Customers:  # noqa: F811 - uses the imported billing fixture
    """North (owned by rep_north), South (owned by rep_south) and the other company's customer."""
    return make_customers(org)
