"""Scope of insights across every way in: pages, CSV and XLSX exports, drill-downs and the API.

A regional manager sees only their region's people; a receptionist only their own scorecard.
Out-of-reach people are a 404 everywhere (nobody learns that an id exists); the dashboard is a
403 for those without the team permission.
"""

from __future__ import annotations

import datetime

import pytest

from frontoffice.insights.facts import rebuild

pytestmark = pytest.mark.django_db

MARCH = datetime.datetime(2026, 3, 10, 12, 0)
DESKS = ("", "sales", "reception", "finance")


@pytest.fixture
def facts(world, time_machine):
    time_machine.move_to(MARCH)
    rebuild()
    return world


def scorecard_urls(user_id: int) -> list[str]:
    """Every way to read one person's figures."""
    return [
        f"/insights/people/{user_id}/",
        f"/insights/people/{user_id}/?period=week",
        f"/insights/people/{user_id}/?format=csv",
        f"/insights/people/{user_id}/?format=xlsx",
        f"/insights/people/{user_id}/visits_handled/?start=2026-03-01&end=2026-04-01",
        f"/insights/people/{user_id}/win_rate/",
        f"/api/v1/insights/people/{user_id}/scorecard/",
        f"/api/v1/insights/people/{user_id}/scorecard/?period=week",
    ]


def test_regional_manager_reaches_only_their_region(facts, client_for):
    from frontoffice.org.models import Staff

    org = facts.org
    client = client_for("rsm_north")
    north = set(Staff.objects.filter(home_region=org.north).values_list("user_id", flat=True))
    for name in ("rep_north", "receptionist", "office_manager"):
        for url in scorecard_urls(org.user(name).pk):
            assert client.get(url).status_code == 200, url
    for name in ("rep_south", "clerk", "finance_manager", "nsm", "other_clerk", "nobody"):
        for url in scorecard_urls(org.user(name).pk):
            assert client.get(url).status_code == 404, (name, url)
    for desk in DESKS:
        page = client.get(f"/insights/people/?desk={desk}")
        assert page.status_code == 200
        board = page.context["board"]
        assert board.grouping == "people"  # never regions side by side
        assert {r.user_id for r in board.rows} <= north - {org.user("rsm_north").pk}, desk
        api = client.get(f"/api/v1/insights/people/?desk={desk}").json()
        assert {r["user_id"] for r in api["rows"]} == {r.user_id for r in board.rows}
        for fmt in ("csv", "xlsx"):
            export = client.get(f"/insights/people/?desk={desk}&format={fmt}")
            assert export.status_code == 200
            if fmt == "csv":
                body = export.content.decode("utf-8-sig")
                for outsider in ("Rep_South", "Clerk", "Finance_Manager", "Other_Clerk"):
                    assert outsider not in body, (desk, outsider)
    sales = client.get("/insights/people/?desk=sales").context["board"]
    assert [r.label for r in sales.rows] == ["Rep_North Test"]


def test_regional_manager_drills_down_to_the_records_of_their_region(facts, client_for):
    from frontoffice.reception.models import Visit

    org = facts.org
    client = client_for("rsm_north")
    rec = org.user("receptionist")
    drill = client.get(f"/insights/people/{rec.pk}/visits_handled/?start=2026-03-02&end=2026-03-09")
    expected = set(Visit.objects.filter(receptionist=rec).values_list("pk", flat=True))
    assert {r["id"] for r in drill.context["rows"]} == expected and len(expected) == 3
    # Date-placed sources (closed_on) are listed too (they once failed to render).
    deals = client.get(
        f"/insights/people/{org.user('rep_north').pk}/win_rate/?start=2026-03-02&end=2026-03-09"
    )
    assert deals.status_code == 200 and len(deals.context["rows"]) == 3


def test_receptionist_sees_only_their_own_scorecard(facts, client_for):
    org = facts.org
    me = org.user("receptionist")
    client = client_for("receptionist")
    index = client.get("/insights/")
    assert index.status_code == 302 and index.url == f"/insights/people/{me.pk}/"
    for url in scorecard_urls(me.pk):
        assert client.get(url).status_code == 200, url
    # Their own figures: 3 visits checked in during March (world), in the page, CSV and API.
    page = client.get(f"/insights/people/{me.pk}/")
    rows = {r.measure.key: r for r in page.context["card"].rows}
    assert str(rows["visits_handled"].value) == "3"
    csv = client.get(f"/insights/people/{me.pk}/?format=csv").content.decode("utf-8-sig")
    assert "Visits handled" in csv and "Win rate" not in csv  # the reception desk's measures
    api = client.get(f"/api/v1/insights/people/{me.pk}/scorecard/").json()
    assert {r["key"]: r["value"] for r in api["rows"]}["visits_handled"] == "3.00"
    drill = client.get(f"/insights/people/{me.pk}/visits_handled/?start=2026-03-01&end=2026-04-01")
    assert len(drill.context["rows"]) == 3
    for name in ("office_manager", "rep_north", "rsm_north", "clerk", "admin", "other_clerk"):
        for url in scorecard_urls(org.user(name).pk):
            assert client.get(url).status_code == 404, (name, url)
    for desk in DESKS:
        assert client.get(f"/insights/people/?desk={desk}").status_code == 403
        assert client.get(f"/insights/people/?desk={desk}&format=csv").status_code == 403
        assert client.get(f"/insights/people/?desk={desk}&format=xlsx").status_code == 403
        assert client.get(f"/api/v1/insights/people/?desk={desk}").status_code == 403
    assert client.get(f"/insights/people/{me.pk}/no_such_measure/").status_code == 404


def test_office_manager_reaches_their_location_only(facts, client_for):
    org = facts.org
    client = client_for("office_manager")
    assert client.get(f"/insights/people/{org.user('receptionist').pk}/").status_code == 200
    for name in ("rep_north", "rep_south", "clerk"):
        assert client.get(f"/insights/people/{org.user(name).pk}/").status_code == 404, name
    board = client.get("/insights/people/").context["board"]
    assert [r.label for r in board.rows] == ["Receptionist Test"]
