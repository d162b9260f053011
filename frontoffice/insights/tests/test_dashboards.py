"""Role dashboards: this period against the previous one, units side by side, the finance
desk's company figures, exports with the comparison, print styles. History as in
``test_digests``: the week of 2 March 2026 against the week of 23 February."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from frontoffice.insights.selectors import dashboard
from frontoffice.insights.tests.test_digests import history  # noqa: F401 - the shared history fixture

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime.datetime(2026, 3, 4, 12, 0)


def test_regional_manager_compares_reps_with_the_previous_week(history):  # noqa: F811
    board = dashboard(viewer=history.org.user("rsm_north"), period="week", today=datetime.date(2026, 3, 4))
    assert (board.start, board.end, board.previous_start, board.previous_end) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 9),
        datetime.date(2026, 2, 23),
        datetime.date(2026, 3, 2),
    )
    assert [r.label for r in board.rows] == ["Rep_North Test"]
    cells = {c.measure.key: c for c in board.rows[0].comparisons}
    assert (cells["activities_per_day"].previous, cells["activities_per_day"].value) == (
        Decimal("0.6"),
        Decimal("1.2"),
    )
    assert (
        cells["activities_per_day"].change == Decimal("0.6") and cells["activities_per_day"].improved is True
    )
    assert (cells["win_rate"].previous, cells["win_rate"].value, cells["win_rate"].change) == (
        Decimal("0.0"),
        Decimal("66.7"),
        Decimal("66.7"),
    )
    assert cells["sales_cycle_length"].change is None  # nothing won the week before
    assert board.total is None  # one row: no total


def test_units_side_by_side_with_a_total(history):  # noqa: F811
    org = history.org
    nsm = dashboard(viewer=org.user("nsm"), period="week", today=datetime.date(2026, 3, 4), desk="sales")
    assert nsm.grouping == "regions"
    by_region = {r.label: r for r in nsm.rows}
    assert sorted(by_region) == ["North", "South"]
    assert by_region["North"].figures["win_rate"] == Decimal("66.7")
    assert by_region["South"].figures["win_rate"] == Decimal("100.0")
    assert nsm.total.label == "All" and nsm.total.figures["win_rate"] == Decimal("75.0")
    assert nsm.total.previous["win_rate"] == Decimal("0.0")
    teams = dashboard(
        viewer=org.user("rsm_north"), period="week", today=datetime.date(2026, 3, 4), by="teams"
    )
    assert [(r.label, r.figures["win_rate"]) for r in teams.rows] == [("North team", Decimal("66.7"))]


def test_office_and_finance_managers_get_their_desks(history):  # noqa: F811
    org = history.org
    office = dashboard(viewer=org.user("office_manager"), period="week", today=datetime.date(2026, 3, 4))
    assert office.desk == "reception" and [r.label for r in office.rows] == ["Receptionist Test"]
    assert office.rows[0].figures["visits_handled"] == Decimal("3")
    assert office.rows[0].figures["waiting_time"] == Decimal("10.0")
    finance = dashboard(viewer=org.user("finance_manager"), period="week", today=datetime.date(2026, 3, 4))
    assert finance.desk == "finance"
    assert "posting_compliance" in [m.key for m in finance.measures]
    assert [c.measure.key for c in finance.company] == ["question_resolution_time", "dso"]
    # An office manager's reach is one clinic: no company figures on their board.
    office_finance = dashboard(
        viewer=org.user("office_manager"), desk="finance", today=datetime.date(2026, 3, 4)
    )
    assert office_finance.company == []


def test_dashboard_page_shows_charts_tables_changes_and_exports(history, client_for, time_machine):  # noqa: F811
    time_machine.move_to(WEDNESDAY, tick=False)
    client = client_for("rsm_north")
    response = client.get("/insights/people/?period=week")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="chart chart--paired"') == len(response.context["board"].measures)
    assert "insights/insights.css" in body and 'class="chart-with-table"' in body
    assert "(+66.7 ▲)" in body  # the win rate's change, the better way
    csv = client.get("/insights/people/?period=week&format=csv").content.decode("utf-8-sig")
    header, row = csv.splitlines()[:2]
    assert "Win rate, previous period" in header and "Win rate, change" in header
    assert row.startswith("Rep_North Test;")
    assert ";66.70;0.00;66.70;" in row  # win rate now, before, change
    xlsx = client.get("/insights/people/?period=week&by=teams&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    css = (Path(__file__).resolve().parents[1] / "static" / "insights" / "insights.css").read_text()
    assert "@media print" in css


def test_a_regional_manager_cannot_group_their_way_out_of_their_reach(history, client_for, time_machine):  # noqa: F811
    time_machine.move_to(WEDNESDAY, tick=False)
    client = client_for("rsm_north")
    board = client.get("/insights/people/?period=week&by=regions&desk=sales").context["board"]
    assert [r.label for r in board.rows] == ["North"]
    assert client_for("receptionist").get("/insights/people/?by=regions").status_code == 403
