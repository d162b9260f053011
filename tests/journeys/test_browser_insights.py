"""Insights end to end in headless Chromium: the office manager opens "My people", sees that the
receptionist's waiting time lags its target, opens her scorecard, follows the lagging figure and
finds exactly the visits behind it.

The visits are written directly (this month's first day, so the test does not depend on the day
or hour it runs at) and the daily facts rebuilt; everything else goes through the pages.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.journeys.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def first_of_month(day_offset: int, hour: int, minute: int = 0) -> datetime.datetime:
    first = timezone.localdate().replace(day=1) + datetime.timedelta(days=day_offset)
    return timezone.make_aware(datetime.datetime.combine(first, datetime.time(hour, minute)))


@pytest.fixture
def visits(org):
    """The receptionist's visits: this month 3 called in after 20, 25 and 30 minutes (mean 25,
    target 10) and 1 not called in; last month 1; and 1 of the office manager this month."""
    from frontoffice.insights.facts import rebuild
    from frontoffice.reception.models import Visit

    def visit(who, arrived, wait, ticket):
        return Visit.objects.create(
            location=org.clinic,
            visitor_name="Besökare",
            visit_date=timezone.localdate(arrived),
            ticket_number=ticket,
            arrived_at=arrived,
            called_in_at=arrived + datetime.timedelta(minutes=wait) if wait is not None else None,
            receptionist=who,
        )

    rec, manager = org.user("receptionist"), org.user("office_manager")
    behind = [
        visit(rec, first_of_month(0, 8), 20, 1),
        visit(rec, first_of_month(0, 9), 25, 2),
        visit(rec, first_of_month(0, 10), 30, 3),
    ]
    visit(rec, first_of_month(0, 11), None, 4)  # still waiting: no waiting time yet
    visit(rec, first_of_month(-1, 9), 90, 1)  # last month
    visit(manager, first_of_month(0, 12), 45, 5)  # someone else's
    rebuild()
    return behind


def test_manager_drills_down_from_a_lagging_measure_to_its_records(page, live_server, org, visits):
    login(page, live_server, "office_manager")
    page.goto(f"{live_server.url}/insights/people/?desk=reception")
    people = page.get_by_test_id("people")
    row = people.get_by_role("row").filter(has_text="Receptionist Test")
    expect(row).to_contain_text("25.0")  # mean waiting time, target 10: lagging
    expect(people).not_to_contain_text("Rep_North")  # not in the office manager's reach
    row.get_by_role("link", name="Receptionist Test").click()

    measure = page.get_by_test_id("measure-waiting_time")
    expect(measure).to_contain_text("below target")
    expect(measure.get_by_test_id("value")).to_have_text("25.0")
    measure.get_by_test_id("value").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting time")
    listed = page.get_by_test_id("rows").locator("tbody tr td:first-child").all_inner_texts()
    assert sorted(listed) == sorted(str(v) for v in visits)
    assert re.search(r"/insights/people/\d+/waiting_time/\?start=", page.url)
