from __future__ import annotations

from typing import Any

import pytest
import time_machine

from frontoffice.appointments.tests.factories import NOW, Clinic, clinic_setup


@pytest.fixture
def now() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def setup(org: Any, now: Any) -> Clinic:
    return clinic_setup(org)
