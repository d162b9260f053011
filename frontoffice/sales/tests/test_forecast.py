"""Forecast and managers' numbers against hand-computed values."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from frontoffice.sales import selectors
from frontoffice.sales.services import opportunity_lose, opportunity_move, opportunity_win
from frontoffice.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db
D = Decimal


@time_machine.travel("2026-03-01 09:00 +01:00", tick=False)
def test_weighted_forecast_per_month_rep_region_and_company(org, sales):
    rn, rs = org.user("rep_north"), org.user("rep_south")
    le = org.company
    # rep_north: 10 000 Proposal (60 %) in March, 3 333.33 Prospecting (10 %) in March,
    #            5 000 Negotiation (80 %) in April; one expected in February (overdue) 1 000 at 20 %
    make_opportunity(
        rn,
        sales.north_party,
        amount=D("10000.00"),
        expected_close_on=datetime.date(2026, 3, 20),
        stage=stage(le, "Proposal"),
    )
    make_opportunity(rn, sales.north_party, amount=D("3333.33"), expected_close_on=datetime.date(2026, 3, 31))
    make_opportunity(
        rn,
        sales.north_party,
        amount=D("5000.00"),
        expected_close_on=datetime.date(2026, 4, 1),
        stage=stage(le, "Negotiation"),
    )
    make_opportunity(
        rn,
        sales.north_party,
        amount=D("1000.00"),
        expected_close_on=datetime.date(2026, 2, 10),
        stage=stage(le, "Qualification"),
    )
    # rep_south: 7 777.77 Needs analysis (40 %) in April; 2 000 in May (after the 2-month window)
    make_opportunity(
        rs,
        sales.south_party,
        amount=D("7777.77"),
        expected_close_on=datetime.date(2026, 4, 30),
        stage=stage(le, "Needs analysis"),
    )
    make_opportunity(rs, sales.south_party, amount=D("2000.00"), expected_close_on=datetime.date(2026, 5, 2))
    # won and lost ones are not pipeline
    won = make_opportunity(
        rs, sales.south_party, amount=D("4000.00"), expected_close_on=datetime.date(2026, 3, 5)
    )
    opportunity_win(actor=rs, opportunity=won, reason="Price")
    lost = make_opportunity(
        rn, sales.north_party, amount=D("9000.00"), expected_close_on=datetime.date(2026, 3, 5)
    )
    opportunity_lose(actor=rn, opportunity=lost, reason="Timing")

    fc = selectors.forecast(user=org.user("nsm"), start=datetime.date(2026, 3, 1), months=2)
    march, april = datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)
    assert fc.months == [march, april]
    # March: 6000 + 333.333 + 200 (overdue, first month) = 6533.333 -> 6533.33
    # April: 4000 + 3111.108 = 7111.108 -> 7111.11
    assert fc.company.months == {march: D("6533.33"), april: D("7111.11")}
    assert fc.company.total == D("13644.44")  # 13644.441
    by_rep = {r.label: r for r in fc.reps}
    assert by_rep["Rep_North Test"].months == {march: D("6533.33"), april: D("4000.00")}
    assert by_rep["Rep_South Test"].months == {march: D("0.00"), april: D("3111.11")}
    by_region = {r.label: r.months for r in fc.regions}
    assert by_region == {
        "North": {march: D("6533.33"), april: D("4000.00")},
        "South": {march: D("0.00"), april: D("3111.11")},
    }
    assert fc.won == {march: D("4000.00"), april: D("0.00")}
    # a rep's forecast is only their own
    own = selectors.forecast(user=rn, start=march, months=2)
    assert [r.label for r in own.reps] == ["Rep_North Test"]
    assert own.company.total == D("10533.33")


def test_conversion_win_rate_and_cycle(org, sales):
    rn = org.user("rep_north")
    le = org.company
    with time_machine.travel("2026-01-10 09:00 +01:00", tick=False):
        a = make_opportunity(rn, sales.north_party, name="A")
        b = make_opportunity(rn, sales.north_party, name="B")
        c = make_opportunity(rn, sales.north_party, name="C")
        d = make_opportunity(rn, sales.north_party, name="D", stage=stage(le, "Proposal"))
    with time_machine.travel("2026-01-20 09:00 +01:00", tick=False):
        opportunity_move(actor=rn, opportunity=a, stage=stage(le, "Qualification"))
        opportunity_move(actor=rn, opportunity=b, stage=stage(le, "Proposal"))
    with time_machine.travel("2026-01-30 09:00 +01:00", tick=False):
        opportunity_win(actor=rn, opportunity=b, reason="Fit")  # cycle 20 days
        opportunity_lose(actor=rn, opportunity=c, reason="Price")
    with time_machine.travel("2026-02-09 09:00 +01:00", tick=False):
        opportunity_win(actor=rn, opportunity=d, reason="Fit")  # cycle 30 days
    report = selectors.pipeline_report(
        user=org.user("rsm_north"),
        closed_from=datetime.date(2026, 1, 1),
        closed_to=datetime.date(2026, 2, 28),
    )
    by = {n.stage.name: n for n in report.stages}
    # Reached (max order among open/won stages ever entered): A Qualification, B Won, C Prospecting, D Won
    assert (by["Prospecting"].reached, by["Prospecting"].advanced) == (4, 3)
    assert by["Prospecting"].conversion == D("75.0")
    assert (by["Qualification"].reached, by["Qualification"].advanced) == (3, 2)
    assert (by["Proposal"].reached, by["Proposal"].advanced) == (2, 2)
    assert (by["Negotiation"].reached, by["Negotiation"].advanced) == (2, 2)
    assert by["Qualification"].count == 1 and by["Qualification"].total == D("10000.00")
    assert (report.won_count, report.lost_count) == (2, 1)
    assert report.win_rate == D("66.7")
    assert report.avg_cycle_days == D("25.0")
    assert report.open_count == 1 and report.weighted == D("2000.00")
    # the south rep's view has none of it
    south = selectors.pipeline_report(
        user=org.user("rep_south"),
        closed_from=datetime.date(2026, 1, 1),
        closed_to=datetime.date(2026, 2, 28),
    )
    assert (south.won_count, south.open_count, south.win_rate) == (0, 0, None)
