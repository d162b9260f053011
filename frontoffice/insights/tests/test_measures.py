"""Each measure against a hand-computed fixture at person, team, location, region and company level."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontoffice.insights.facts import figure_from_facts, rebuild
from frontoffice.insights.measures import MEASURE_KEYS, MEASURES, OrgUnit, compute, get_measure, working_days
from frontoffice.insights.tests.conftest import END, START

pytestmark = pytest.mark.django_db


def units(world):
    org = world.org
    return {
        "person": OrgUnit("person", org.user("rep_north")),
        "team": OrgUnit("team", world.team),
        "location": OrgUnit("location", org.sales_office),
        "region": OrgUnit("region", org.north),
        "company": OrgUnit("company", org.company),
    }


# measure -> unit -> expected value (None: no rows)
EXPECTED = {
    "lead_response_time": {
        "person": "30.0",
        "team": "25.0",
        "location": "25.0",
        "region": "25.0",
        "company": "30.0",
    },
    # rep: 2 of 4 leads qualified (50.0); + rsm 1 of 1 -> 3/5; + south 0/1 -> 3/6.
    "qualification_rate": {
        "person": "50.0",
        "team": "60.0",
        "location": "60.0",
        "region": "60.0",
        "company": "50.0",
    },
    # rep 6 activities / 5 days / 1 person = 1.2; company 10 / (5 x 2) = 1.0
    "activities_per_day": {
        "person": "1.2",
        "team": "1.2",
        "location": "1.2",
        "region": "1.2",
        "company": "1.0",
    },
    "win_rate": {"person": "66.7", "team": "66.7", "location": "66.7", "region": "66.7", "company": "75.0"},
    "sales_cycle_length": {
        "person": "15.0",
        "team": "15.0",
        "location": "15.0",
        "region": "15.0",
        "company": "23.3",
    },
    "revenue": {
        "person": "3000.75",
        "team": "3000.75",
        "location": "3000.75",
        "region": "3000.75",
        "company": "3500.75",
    },
    "visits_handled": {"person": "0", "team": "0", "location": "0", "region": "3", "company": "3"},
    "waiting_time": {"person": None, "team": None, "location": None, "region": "10.0", "company": "10.0"},
}


def test_every_key_is_defined_once():
    assert len(MEASURE_KEYS) == len(set(MEASURE_KEYS)) == 19
    assert set(MEASURE_KEYS) == {
        "lead_response_time",
        "activities_per_day",
        "qualification_rate",
        "win_rate",
        "sales_cycle_length",
        "revenue",
        "visits_handled",
        "waiting_time",
        "no_show_rate",
        "invoices_issued",
        "questions_resolved",
        "question_resolution_time",
        "dso",
        "csat",
        "nps",
        "complaints",
        "observation_score",
        "posting_compliance",
        "training_on_time",
    }
    for m in MEASURES:
        assert m.direction in ("higher", "lower") and m.unit and m.name and m.description


def test_working_days():
    assert working_days(START, END) == 5
    assert working_days(START, START) == 0


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_measure_at_every_level(world, key):
    measure = get_measure(key)
    rebuild()
    for level, unit in units(world).items():
        expected = EXPECTED[key][level]
        live = compute(measure, unit, START, END).value
        assert live == (None if expected is None else Decimal(expected)), (key, level, live)
        # Facts fold to the same figure (medians stay live).
        assert figure_from_facts(measure, unit, START, END).value == live, (key, level)


def test_every_measure_computes_without_rows(org):
    unit = OrgUnit("company", org.company)
    for m in MEASURES:
        figure = compute(m, unit, START, END, user=org.user("admin"))
        assert figure.value in (None, Decimal(0)), m.key


def test_dso_is_company_level_only(org):
    figure = compute(get_measure("dso"), OrgUnit("person", org.user("clerk")), START, END)
    assert figure.applicable is False and figure.value is None
