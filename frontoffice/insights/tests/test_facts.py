"""Daily facts: incremental upkeep (signals + task) equals a full rebuild; the commands."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontoffice.insights.docs import DOC_PATH, render
from frontoffice.insights.facts import rebuild
from frontoffice.insights.models import DailyFact
from frontoffice.insights.tests.conftest import add_activity, add_lead, add_visit, at

pytestmark = pytest.mark.django_db(transaction=False)


def snapshot() -> list[tuple]:
    return sorted(
        DailyFact.objects.values_list(
            "day", "measure", "unit_type", "unit_id", "numerator", "denominator", "total"
        )
    )


EVENT = st.tuples(
    st.sampled_from(["lead", "activity", "visit", "move", "delete", "contact"]),
    st.integers(min_value=2, max_value=8),  # day in March 2026
    st.sampled_from(["rep_north", "rsm_north", "rep_south", "receptionist"]),
    st.sampled_from(["new", "qualified"]),
)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(events=st.lists(EVENT, min_size=1, max_size=12))
def test_incremental_facts_equal_a_rebuild(world, django_capture_on_commit_callbacks, events):
    from frontoffice.activities.models import Activity
    from frontoffice.leads.models import Lead
    from frontoffice.reception.models import Visit

    org, party = world.org, world.party
    DailyFact.objects.all().delete()
    rebuild()  # start from the world's rows
    made: list = []
    for n, (kind, day, who, stage) in enumerate(events):
        user = org.user(who)
        with django_capture_on_commit_callbacks(execute=True):
            if kind == "lead":
                lead = add_lead(org, party, user, at(day, 9), at(day, 11), stage)
                # add_lead back-dates created_at with update(), which no signal sees (only the
                # periodic refresh would); saving the row again is what a service would do.
                lead = Lead.objects.get(pk=lead.pk)
                lead.save()
                made.append(lead)
            elif kind == "activity":
                made.append(add_activity(org, party, user, at(day, 10)))
            elif kind == "visit":
                made.append(add_visit(org, user, at(day, 8), at(day, 8, 7), 100 + n))
            elif made and kind == "move":  # change a row: new day, new owner or stage
                obj = type(made[-1]).objects.get(pk=made[-1].pk)
                if isinstance(obj, Activity):
                    obj.done_at, obj.owner = at(day, 12), user
                elif isinstance(obj, Visit):
                    obj.arrived_at, obj.called_in_at = at(day, 9), at(day, 9, 12)
                else:
                    obj.stage, obj.owner = stage, user
                obj.save()
            elif made and kind == "delete":
                obj = made.pop()
                type(obj).objects.filter(pk=obj.pk).first().delete()
            elif made and kind == "contact":
                lead = Lead.objects.filter(pk__in=[m.pk for m in made if isinstance(m, Lead)]).first()
                if lead:
                    lead.first_contact_at = lead.created_at + datetime.timedelta(minutes=7 * day)
                    lead.save()
    incremental = snapshot()
    rebuild()
    assert incremental == snapshot()
    # Leave the world as it was for the next example.
    for obj in made:
        type(obj).objects.filter(pk=obj.pk).delete()


def test_rebuild_command_and_from_date(world):
    call_command("insights_rebuild_facts")
    full = snapshot()
    assert full
    call_command("insights_rebuild_facts", "--from", "2026-03-05")
    assert snapshot() == full
    assert DailyFact.objects.filter(day__lt=datetime.date(2026, 3, 5)).exists()


def test_refresh_task_for_yesterday_and_today(world, time_machine):
    from frontoffice.insights.tasks import refresh_facts

    time_machine.move_to(datetime.datetime(2026, 3, 3, 12, 0))
    refresh_facts.call()
    assert {f.day for f in DailyFact.objects.all()} == {datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)}


def test_committed_measures_doc_is_generated():
    assert DOC_PATH.read_text(encoding="utf-8") == render()
