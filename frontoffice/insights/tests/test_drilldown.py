"""A figure and its drill-down agree for the same viewer: the figure is what the drill-down lists.

A figure counts every row attributed to the person (the daily facts are per person, not per
viewer, so the person's own scorecard, their manager's and the dashboards show one number).
The drill-down lists exactly those rows to anyone who may see the person's scorecard; the
details of a row the viewer could not open in its own app (an activity without a region, a
lead in another region) are withheld, but the row is listed, so the list is as long as the
figure. A deactivated person keeps their history: the drill-down still lists only their rows.
"""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest

from frontoffice.insights.facts import rebuild
from frontoffice.insights.measures import OrgUnit, compute, get_measure
from frontoffice.insights.tests.conftest import add_activity, add_deal, add_lead, at

pytestmark = pytest.mark.django_db

MARCH = datetime.datetime(2026, 3, 10, 12, 0)
D = datetime.date
LINK = re.compile(r'href="(/insights/people/(\d+)/([a-z_]+)/\?start=[0-9-]+&(?:amp;)?end=[0-9-]+)"')


@pytest.fixture
def facts(world, time_machine):
    """The shared world plus rows of rep_north that rsm_north cannot open in their apps."""
    from frontoffice.parties.tests.factories import make_party

    org = world.org
    rep = org.user("rep_north")
    south_customer = make_party(org.user("admin"), first_name="Sören", last_name="Söder", region=org.south)
    lead = add_lead(org, south_customer, rep, at(5, 11), at(5, 11, 40), "qualified")
    lead.__class__.objects.filter(pk=lead.pk).update(region=org.south)
    deal = add_deal(org, south_customer, rep, "won", D(2026, 2, 1), D(2026, 3, 4), "100")
    deal.__class__.objects.filter(pk=deal.pk).update(region=org.south)
    south_call = add_activity(org, south_customer, rep, at(4, 15))
    south_call.__class__.objects.filter(pk=south_call.pk).update(region=org.south, subject="Söderkund call")
    time_machine.move_to(MARCH)
    rebuild()
    return world


def _links(body: str) -> list[tuple[str, int, str]]:
    return [(html.unescape(url), int(uid), key) for url, uid, key in LINK.findall(body)]


@pytest.mark.parametrize("period", ["month", "week"])
def test_every_scorecard_figure_lists_exactly_its_records_for_a_regional_manager(facts, client_for, period):
    org = facts.org
    client = client_for("rsm_north")
    followed = 0
    for name in ("rep_north", "receptionist"):
        person = org.user(name)
        page = client.get(f"/insights/people/{person.pk}/?period={period}")
        assert page.status_code == 200
        card = page.context["card"]
        rows = {r.measure.key: r for r in card.rows}
        links = _links(page.content.decode())
        shown = [r for r in card.rows if r.available and r.applicable]
        assert sorted(key for _u, _p, key in links) == sorted(r.measure.key for r in shown)
        for url, uid, key in links:
            assert uid == person.pk
            listed = client.get(url).context["rows"]
            row = rows[key]
            # The figure's own count of records, the live computation's and the list agree.
            live = compute(
                get_measure(key), OrgUnit("person", person), card.start, card.end, user=org.user("rsm_north")
            )
            assert len(listed) == row.records == live.denominator, (name, key)
            if row.measure.kind == "count":
                assert row.value == Decimal(len(listed)), (name, key)
            followed += 1
    assert followed >= 12


def test_rows_outside_the_viewers_reach_are_listed_without_their_details(facts, client_for):
    org = facts.org
    rep = org.user("rep_north")
    url = f"/insights/people/{rep.pk}/activities_per_day/?start=2026-03-02&end=2026-03-09"
    manager = client_for("rsm_north").get(url)
    # 6 calls without a region (world) and one in the south: none of them in rsm_north's reach.
    assert len(manager.context["rows"]) == 7
    assert all(r["hidden"] for r in manager.context["rows"])
    assert "Söderkund call" not in manager.content.decode()
    assert "Details outside your reach" in manager.content.decode()
    # The rep owns them all, so sees every detail of the same seven rows.
    own = client_for("rep_north").get(url)
    assert [r["id"] for r in own.context["rows"]] == [r["id"] for r in manager.context["rows"]]
    assert not any(r["hidden"] for r in own.context["rows"])
    assert "Söderkund call" in own.content.decode()


def test_the_national_manager_sees_the_same_figure_with_every_detail(facts, client_for):
    rep = facts.org.user("rep_north")
    url = f"/insights/people/{rep.pk}/win_rate/?start=2026-03-01&end=2026-04-01"
    regional = client_for("rsm_north").get(url).context["rows"]
    national = client_for("nsm").get(url).context["rows"]
    # 2 won and 1 lost in the north, 1 won in the south: 4 deals for both viewers.
    assert len(regional) == len(national) == 4
    assert [r["hidden"] for r in regional].count(True) == 1
    assert not any(r["hidden"] for r in national)


def test_dashboard_counts_link_to_lists_of_the_same_size(facts, client_for):
    client = client_for("rsm_north")
    page = client.get("/insights/people/?desk=sales")
    board = page.context["board"]
    figures = {(r.user_id, m.key): r.figures.get(m.key) for r in board.rows for m in board.measures}
    links = _links(page.content.decode())
    assert links
    for url, uid, key in links:
        listed = client.get(url).context["rows"]
        if get_measure(key).kind == "count":
            assert figures[(uid, key)] == Decimal(len(listed)), key
        else:
            assert listed, key


def test_a_deactivated_owners_drilldown_lists_only_their_rows(facts, client_for):
    from frontoffice.activities.models import Activity
    from frontoffice.org.models import Staff
    from frontoffice.org.services import staff_update

    org = facts.org
    rep, south = org.user("rep_north"), org.user("rep_south")
    staff_update(actor=org.user("admin"), staff=Staff.objects.get(user=rep), data={"active": False})
    url = f"/insights/people/{rep.pk}/activities_per_day/?start=2026-03-02&end=2026-03-09"
    for viewer in ("rsm_north", "nsm", "admin"):
        response = client_for(viewer).get(url)
        assert response.status_code == 200, viewer
        ids = {r["id"] for r in response.context["rows"]}
        assert ids == set(
            Activity.objects.filter(owner=rep, done_at__isnull=False).values_list("pk", flat=True)
        )
        assert not ids & set(Activity.objects.filter(owner=south).values_list("pk", flat=True)), viewer
    # Their scorecard keeps its history too, and the figure still matches the list.
    card = client_for("rsm_north").get(f"/insights/people/{rep.pk}/").context["card"]
    assert {r.measure.key: r for r in card.rows}["activities_per_day"].records == 7
    # Out of reach stays out of reach, deactivated or not; a deactivated person is no viewer.
    assert client_for("rep_south").get(url).status_code == 404
    assert client_for("rsm_north").get(f"/insights/people/{south.pk}/activities_per_day/").status_code == 404
