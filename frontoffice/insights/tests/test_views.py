"""Scorecard, dashboard, drill-down, exports and API: scoping, denials, query counts."""

from __future__ import annotations

import datetime

import pytest

from frontoffice.insights.facts import rebuild

pytestmark = pytest.mark.django_db

MARCH = datetime.datetime(2026, 3, 10, 12, 0)


@pytest.fixture
def facts(world, time_machine):
    time_machine.move_to(MARCH)
    rebuild()
    return world


def test_rep_sees_own_scorecard_with_figures_and_drilldown(facts, client_for):
    org = facts.org
    rep = org.user("rep_north")
    client = client_for("rep_north")
    response = client.get(f"/insights/people/{rep.pk}/?period=month")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="measure-win_rate"' in body and "<svg" in body
    # March: won 2 of 3 closed deals.
    rows = {r.measure.key: r for r in response.context["card"].rows}
    assert str(rows["win_rate"].value) == "66.7"
    assert str(rows["revenue"].value) == "3000.75"
    assert str(rows["lead_response_time"].value) == "20.0"  # live median of 1, 10, 30, 50 (March)
    drill = client.get(f"/insights/people/{rep.pk}/activities_per_day/?start=2026-03-01&end=2026-04-01")
    assert drill.status_code == 200
    assert len(drill.context["rows"]) == 6


def test_receptionist_sees_only_own_scorecard(facts, client_for):
    org = facts.org
    client = client_for("receptionist")
    assert client.get(f"/insights/people/{org.user('receptionist').pk}/").status_code == 200
    assert client.get(f"/insights/people/{org.user('office_manager').pk}/").status_code == 404
    assert client.get(f"/insights/people/{org.user('office_manager').pk}/?format=csv").status_code == 404
    assert client.get(f"/insights/people/{org.user('office_manager').pk}/visits_handled/").status_code == 404
    assert client.get("/insights/people/").status_code == 403
    assert client.get("/insights/people/?format=xlsx").status_code == 403
    api = client.get(f"/api/v1/insights/people/{org.user('office_manager').pk}/scorecard/")
    assert api.status_code == 404
    assert client.get("/api/v1/insights/people/").status_code == 403


def test_regional_manager_sees_only_region(facts, client_for):
    org = facts.org
    client = client_for("rsm_north")
    assert client.get(f"/insights/people/{org.user('rep_north').pk}/").status_code == 200
    assert client.get(f"/insights/people/{org.user('rep_south').pk}/").status_code == 404
    assert client.get(f"/api/v1/insights/people/{org.user('rep_south').pk}/scorecard/").status_code == 404
    response = client.get("/insights/people/")
    assert response.status_code == 200
    labels = [r.label for r in response.context["board"].rows]
    assert "Rep_North Test" in labels and "Rep_South Test" not in labels
    csv = client.get("/insights/people/?format=csv").content.decode("utf-8-sig")
    assert "Rep_North" in csv and "Rep_South" not in csv
    api = client.get("/api/v1/insights/people/").json()
    assert {r["label"] for r in api["rows"]} == set(labels)


def test_national_manager_sees_regions_side_by_side(facts, client_for):
    response = client_for("nsm").get("/insights/people/?desk=sales")
    board = response.context["board"]
    assert board.grouping == "regions"
    by_region = {r.label: r.figures for r in board.rows}
    assert str(by_region["North"]["win_rate"]) == "66.7"
    assert str(by_region["South"]["win_rate"]) == "100.0"


def test_nobody_and_anonymous_are_denied(facts, client_for, client):
    assert client.get("/insights/people/").status_code in (302, 403)
    nobody = client_for("nobody")
    assert nobody.get("/insights/").status_code == 403
    assert nobody.get("/api/v1/insights/measures/").status_code == 403


def test_exports_are_formula_safe_and_xlsx(facts, client_for):
    org = facts.org
    user = org.user("rep_north")
    user.first_name = "=HYPERLINK(1)"
    user.save()
    client = client_for("rsm_north")
    csv = client.get("/insights/people/?format=csv").content.decode("utf-8-sig")
    assert "=HYPERLINK" not in csv.replace("'=HYPERLINK", "")
    xlsx = client.get(f"/insights/people/{user.pk}/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_api_measures_and_scorecard(facts, client_for):
    client = client_for("rep_north")
    measures = client.get("/api/v1/insights/measures/").json()
    assert len(measures) == 19
    card = client.get(
        f"/api/v1/insights/people/{facts.org.user('rep_north').pk}/scorecard/?period=week"
    ).json()
    rows = {r["key"]: r for r in card["rows"]}
    assert card["period"] == "week" and len(rows["win_rate"]["trend"]) == 6
    assert (
        client.get(
            f"/api/v1/insights/people/{facts.org.user('rep_north').pk}/scorecard/?period=year"
        ).status_code
        == 400
    )


def test_query_counts_are_constant(facts, client_for, django_assert_max_num_queries):
    from frontoffice.org.models import Role, Staff, User

    org = facts.org
    client = client_for("nsm")
    with django_assert_max_num_queries(40) as few:
        client.get("/insights/people/?desk=sales")
    role = Role.objects.get(code="sales_rep")
    for i in range(8):
        u = User.objects.create_user(username=f"r{i}", email=f"r{i}@example.com", password="x")
        Staff.objects.create(user=u, legal_entity=org.company, role=role, home_region=org.north)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/insights/people/?desk=sales")
    rep = org.user("rep_north")
    with django_assert_max_num_queries(40):
        assert client.get(f"/insights/people/{rep.pk}/").status_code == 200


def test_scorecard_reads_the_facts_once_whatever_the_periods_and_peers(
    facts, client_for, django_assert_num_queries
):
    """Session, user, permissions (3), the viewer's reach (3), the person, the daily facts
    (the trend, the team and its size in one query) and the lead response time's medians
    (person and team in one query on PostgreSQL, one each on SQLite): 11, for 6 months or 6
    weeks, 2 or 10 peers."""
    from django.db import connection

    from frontoffice.org.models import Role, Staff, User

    medians = 1 if connection.vendor == "postgresql" else 2
    org = facts.org
    rep = org.user("rep_north")
    client = client_for("rsm_north")
    for period in ("month", "week"):
        with django_assert_num_queries(10 + medians):
            assert client.get(f"/insights/people/{rep.pk}/?period={period}").status_code == 200
    role = Role.objects.get(code="sales_rep")
    for i in range(8):
        u = User.objects.create_user(username=f"peer{i}", email=f"peer{i}@example.com", password="x")
        Staff.objects.create(
            user=u, legal_entity=org.company, role=role, home_region=org.north, team=facts.team
        )
    with django_assert_num_queries(10 + medians):
        page = client.get(f"/insights/people/{rep.pk}/")
    # 6 activities of rep_north in March, none of the 8 new peers: the team has 10 members.
    rows = {r.measure.key: r for r in page.context["card"].rows}
    assert rows["activities_per_day"].records == 6
    # The receptionist's desk has no median: one query less.
    with django_assert_num_queries(10):
        assert client.get(f"/insights/people/{org.user('receptionist').pk}/").status_code == 200
