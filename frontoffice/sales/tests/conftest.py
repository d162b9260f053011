"""Sales fixtures: a customer in the north (owned by rep_north) and one in the south."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from frontoffice.billing.tests.conftest import billing  # noqa: F401 - shared fixture
from frontoffice.finance.tests.conftest import ledger  # noqa: F401 - shared fixture
from frontoffice.sales.tests.factories import make_party


@dataclass
class SalesWorld:
    north_party: Any
    south_party: Any


@pytest.fixture
def sales(org: Any) -> SalesWorld:
    return SalesWorld(
        north_party=make_party(org, "Norrsken Bygg AB", region=org.north, owner=org.user("rep_north")),
        south_party=make_party(org, "Söderberg Tand AB", region=org.south, owner=org.user("rep_south")),
    )
