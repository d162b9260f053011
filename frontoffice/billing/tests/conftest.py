"""Billing fixtures: the personas' company with its BAS ledger (2026) and billing set up."""

from __future__ import annotations

import pytest

from frontoffice.billing.services.setup import billing_setup
from frontoffice.finance.tests.conftest import ledger  # noqa: F401 - the ledger fixture, shared


@pytest.fixture
def billing(ledger, org):  # noqa: F811 - uses the imported ledger fixture
    """The company, ready to bill: VAT codes SE25/SE12/SE06/SE00/OMV/EUTJ/EXP/EXPTJ, series F and K."""
    billing_setup(actor=org.user("finance_manager"), legal_entity=org.company)
    return org.company
