"""Facts upkeep: dirty days coalesce the refreshes of busy days; changes of related rows
(organiser, stage, staff profile) reach the facts; facts always end equal to a rebuild."""

from __future__ import annotations

import datetime
import itertools
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from frontoffice.insights import facts
from frontoffice.insights.facts import mark_dirty, rebuild, refresh_dirty_days
from frontoffice.insights.measures import OrgUnit, get_measure
from frontoffice.insights.models import DailyFact, DirtyDay, FactsRefreshState
from frontoffice.insights.tests.conftest import add_deal, add_visit, at

D = datetime.date
DAY = D(2026, 3, 4)
VISIT_KEYS = {"visits_handled", "waiting_time"}
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
_tickets = itertools.count(1000)


def snapshot() -> list[tuple]:
    return sorted(
        DailyFact.objects.values_list(
            "day", "measure", "unit_type", "unit_id", "numerator", "denominator", "total"
        )
    )


def assert_facts_equal_a_rebuild() -> None:
    incremental = snapshot()
    rebuild()
    assert incremental == snapshot()


def dirty() -> set[tuple[datetime.date, str]]:
    return set(DirtyDay.objects.values_list("day", "measure"))


def pending() -> bool:
    state = FactsRefreshState.objects.filter(pk=1).first()
    return bool(state and state.pending)


@pytest.fixture(autouse=True)
def no_marks_left(request: Any) -> None:
    """Marks of the world's rows (made inside the test transaction, never committed) would
    otherwise ride along with the first commit a test runs."""
    from frontoffice.insights import signals

    if "world" in request.fixturenames:
        request.getfixturevalue("world")
    signals._state.pending = {}


@pytest.fixture
def queued():
    """Tasks are recorded, not run (as with the database queue before a worker takes them)."""
    from django_tasks import task_backends

    with override_settings(TASKS=DUMMY_TASKS):
        backend = task_backends["default"]
        backend.clear()
        yield backend.results


def refreshes(results: list[Any]) -> int:
    return sum(1 for r in results if r.task.name == "refresh_dirty_facts")


def check_in(org: Any, day: D = DAY, hour: int = 8, user: Any = None) -> Any:
    return add_visit(
        org, user or org.user("receptionist"), at(day.day, hour), at(day.day, hour, 6), next(_tickets)
    )


# ---------------------------------------------------------------------------------------------
# Coalescing


@pytest.mark.django_db
def test_a_burst_of_commits_on_one_day_queues_one_refresh_and_one_statement_each(
    world, queued, django_capture_on_commit_callbacks
):
    DailyFact.objects.all().delete()
    rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        check_in(world.org)
    assert dirty() == {(DAY, key) for key in VISIT_KEYS}
    assert refreshes(queued) == 1
    assert pending() is True
    for hour in range(9, 18):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            check_in(world.org, hour=hour)
        assert len(callbacks) == 1
        with CaptureQueriesContext(connection) as queries:
            callbacks[0]()
        # The day already waits: one INSERT ... ON CONFLICT DO NOTHING, no task, no flag.
        assert len(queries) == 1
        assert "ON CONFLICT DO NOTHING" in queries[0]["sql"]
    assert refreshes(queued) == 1
    assert DirtyDay.objects.count() == 2

    assert refresh_dirty_days() > 0
    assert DirtyDay.objects.count() == 0
    assert pending() is False
    receptionist = world.org.user("receptionist").pk
    fact = DailyFact.objects.get(day=DAY, measure="visits_handled", unit_id=receptionist)
    assert fact.denominator == 11  # the world's visit of the 4th and ten check-ins
    assert_facts_equal_a_rebuild()


@pytest.mark.django_db
def test_facts_follow_the_commit_on_the_immediate_backend(world, django_capture_on_commit_callbacks):
    receptionist = world.org.user("receptionist").pk
    DailyFact.objects.all().delete()
    rebuild()
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            check_in(world.org, hour=10 + n)
        fact = DailyFact.objects.get(day=DAY, measure="visits_handled", unit_id=receptionist)
        assert fact.denominator == 2 + n
        assert DirtyDay.objects.count() == 0
        assert pending() is False
    assert_facts_equal_a_rebuild()


@pytest.mark.django_db
def test_a_day_marked_during_a_refresh_is_refreshed_by_the_next_one(
    world, queued, django_capture_on_commit_callbacks, monkeypatch
):
    DailyFact.objects.all().delete()
    rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        check_in(world.org, hour=9)
    assert refreshes(queued) == 1
    recompute = facts._refresh

    def recompute_then_a_check_in(days_by_measure: Any) -> int:
        written = recompute(days_by_measure)
        # Committed after the recompute read the day's visits, before the claim is cleared.
        with django_capture_on_commit_callbacks(execute=True):
            check_in(world.org, hour=11)
        return written

    monkeypatch.setattr(facts, "_refresh", recompute_then_a_check_in)
    refresh_dirty_days()
    monkeypatch.setattr(facts, "_refresh", recompute)

    # The claimed rows are gone, the day is waiting again and a second refresh is queued.
    assert dirty() == {(DAY, key) for key in VISIT_KEYS}
    assert DirtyDay.objects.filter(claimed_by__isnull=False).count() == 0
    assert pending() is True
    assert refreshes(queued) == 2
    receptionist = world.org.user("receptionist").pk
    fact = DailyFact.objects.get(day=DAY, measure="visits_handled", unit_id=receptionist)
    assert fact.denominator == 2  # not yet the second check-in

    refresh_dirty_days()
    fact = DailyFact.objects.get(day=DAY, measure="visits_handled", unit_id=receptionist)
    assert fact.denominator == 3
    assert dirty() == set()
    assert_facts_equal_a_rebuild()


@pytest.mark.django_db
def test_rows_claimed_by_a_refresh_that_died_are_claimed_again_later(world, queued, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC))
    DailyFact.objects.all().delete()
    mark_dirty({DAY: {"visits_handled"}})
    assert facts._claim(facts.uuid.uuid4())[0] == 1  # ... and the process died
    assert refresh_dirty_days() == 0  # a live claim is left alone
    assert DirtyDay.objects.count() == 1

    time_machine.move_to(datetime.datetime(2026, 3, 4, 12, 16, tzinfo=datetime.UTC))
    assert refresh_dirty_days() == 1
    assert DirtyDay.objects.count() == 0
    assert DailyFact.objects.filter(day=DAY, measure="visits_handled").count() == 1


@pytest.mark.django_db
def test_a_queued_refresh_that_never_ran_is_queued_again_after_a_while(queued, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC))
    assert mark_dirty({DAY: {"visits_handled"}}) is True
    assert mark_dirty({D(2026, 3, 5): {"visits_handled"}}) is False  # a refresh is queued
    assert refreshes(queued) == 1

    time_machine.move_to(datetime.datetime(2026, 3, 4, 12, 11, tzinfo=datetime.UTC))
    assert mark_dirty({D(2026, 3, 6): {"visits_handled"}}) is True
    assert refreshes(queued) == 2


@pytest.mark.django_db
def test_the_periodic_refresh_also_drains_the_dirty_days(world, queued, time_machine):
    from frontoffice.insights.tasks import refresh_facts

    time_machine.move_to(datetime.datetime(2026, 3, 10, 12, 0))
    DailyFact.objects.all().delete()
    mark_dirty({DAY: {"visits_handled"}})
    refresh_facts.call()
    assert DirtyDay.objects.count() == 0
    assert pending() is False
    assert DailyFact.objects.filter(day=DAY, measure="visits_handled").count() == 1
    assert set(DailyFact.objects.values_list("measure", flat=True).filter(day=DAY)) == {"visits_handled"}


# ---------------------------------------------------------------------------------------------
# Related rows


def make_meeting_feedback(world: Any, organiser: Any, rating: int, answered: datetime.datetime) -> Any:
    from frontoffice.activities.models import Meeting, MeetingFeedback

    meeting = Meeting.objects.create(
        legal_entity=world.org.company,
        party=world.party,
        organiser=organiser,
        title="Demo",
        starts_at=answered - datetime.timedelta(days=1),
        ends_at=answered - datetime.timedelta(days=1) + datetime.timedelta(hours=1),
        status="held",
    )
    MeetingFeedback.objects.create(
        meeting=meeting,
        recipient="c@example.com",
        token_hash=f"m{next(_tickets):063d}",
        expires_at=at(20),
        answered_at=answered,
        rating=rating,
    )
    return meeting


@pytest.mark.django_db
def test_a_meetings_new_organiser_gets_its_ratings(world, django_capture_on_commit_callbacks):
    rep, rsm = world.org.user("rep_north"), world.org.user("rsm_north")
    meeting = make_meeting_feedback(world, rep, 4, at(3, 15))
    make_meeting_feedback(world, rep, 2, at(5, 15))
    DailyFact.objects.all().delete()
    rebuild()
    assert DailyFact.objects.get(measure="csat", unit_id=rep.pk, day=D(2026, 3, 3)).total == 4

    with django_capture_on_commit_callbacks(execute=True):
        meeting.organiser = rsm
        meeting.save()

    assert not DailyFact.objects.filter(measure="csat", unit_id=rep.pk, day=D(2026, 3, 3)).exists()
    assert DailyFact.objects.get(measure="csat", unit_id=rsm.pk, day=D(2026, 3, 3)).total == 4
    assert DailyFact.objects.get(measure="csat", unit_id=rep.pk, day=D(2026, 3, 5)).total == 2
    assert_facts_equal_a_rebuild()


@pytest.mark.django_db
def test_saving_a_meeting_without_its_organiser_costs_no_upkeep_query(
    world, django_assert_num_queries, django_capture_on_commit_callbacks
):
    meeting = make_meeting_feedback(world, world.org.user("rep_north"), 4, at(3, 15))
    meeting.title = "Renamed"
    with django_capture_on_commit_callbacks(execute=True) as callbacks, django_assert_num_queries(1):
        meeting.save(update_fields=["title"])
    assert callbacks == []


@pytest.mark.django_db
def test_a_stage_that_changes_kind_reclassifies_its_deals(world, django_capture_on_commit_callbacks):
    from frontoffice.sales.models import Stage

    rep = world.org.user("rep_north")
    won = Stage.objects.get(
        pk=add_deal(world.org, world.party, rep, "won", D(2026, 2, 1), D(2026, 3, 3), "10").stage_id
    )
    DailyFact.objects.all().delete()
    rebuild()
    revenue = DailyFact.objects.get(measure="revenue", unit_id=rep.pk, day=D(2026, 3, 3))
    assert revenue.total == Decimal("1000")  # 10.00 in öre
    assert DailyFact.objects.get(measure="win_rate", unit_id=rep.pk, day=D(2026, 3, 5)).numerator == 1

    with django_capture_on_commit_callbacks(execute=True):
        won.kind = Stage.Kind.LOST
        won.save()

    assert not DailyFact.objects.filter(measure="revenue", unit_id=rep.pk).exists()
    assert DailyFact.objects.get(measure="win_rate", unit_id=rep.pk, day=D(2026, 3, 5)).numerator == 0
    assert_facts_equal_a_rebuild()


@pytest.mark.django_db
def test_a_staff_profile_given_to_another_user_moves_its_training_facts(
    world, django_capture_on_commit_callbacks
):
    from frontoffice.org.models import Staff, User
    from frontoffice.training.models import Observation, Rubric

    staff = Staff.objects.get(user=world.org.user("receptionist"))
    rubric = Rubric.objects.create(code="desk-manner", name_en="Desk manner")
    for day, score in ((3, "80"), (5, "60")):
        Observation.objects.create(
            person=staff,
            observer=world.org.user("office_manager"),
            rubric=rubric,
            observed_at=at(day, 10),
            score_percent=Decimal(score),
        )
    DailyFact.objects.all().delete()
    rebuild()
    newcomer = User.objects.create_user(username="newcomer", email="n@example.com", password="x")
    old_user = staff.user_id

    with django_capture_on_commit_callbacks(execute=True):
        staff.user = newcomer
        staff.save()

    moved = DailyFact.objects.filter(measure="observation_score", unit_id=newcomer.pk)
    assert sorted(moved.values_list("day", "total")) == [(D(2026, 3, 3), 80), (D(2026, 3, 5), 60)]
    assert not DailyFact.objects.filter(measure="observation_score", unit_id=old_user).exists()
    assert_facts_equal_a_rebuild()


@pytest.mark.django_db
def test_moving_a_person_to_another_team_needs_no_refresh(world, django_capture_on_commit_callbacks):
    """Facts are per person; a team's figure resolves its people when it is read."""
    from frontoffice.insights.facts import figure_from_facts
    from frontoffice.org.models import Staff

    DailyFact.objects.all().delete()
    rebuild()
    before = snapshot()
    measure = get_measure("visits_handled")
    team = OrgUnit("team", world.team)
    start, end = D(2026, 3, 2), D(2026, 3, 9)
    assert figure_from_facts(measure, team, start, end).value == Decimal(0)

    staff = Staff.objects.get(user=world.org.user("receptionist"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        staff.team = world.team
        staff.save()

    assert callbacks == []  # nothing marked
    assert snapshot() == before
    assert figure_from_facts(measure, team, start, end).value == Decimal(3)
    assert_facts_equal_a_rebuild()


# ---------------------------------------------------------------------------------------------
# PostgreSQL: real parallel writers

WRITERS = 6
PER_WRITER = 8


def _write_visits(org: Any, n: int, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    from frontoffice.org.models import User
    from frontoffice.reception.models import Visit

    try:
        user = User.objects.get(pk=org.user("receptionist").pk)
        barrier.wait(timeout=30)
        for i in range(PER_WRITER):
            day = 2 + (n + i) % 3  # three days, every writer on each
            with transaction.atomic():
                visit = add_visit(org, user, at(day, 8 + i), at(day, 8 + i, n + 1), 10_000 + n * 100 + i)
                if i % 4 == 3:  # a change: the visit moves to another day
                    visit.arrived_at, visit.called_in_at = at(day + 3, 9), at(day + 3, 9, 5)
                    visit.save()
                if i % 5 == 4:
                    Visit.objects.filter(pk=visit.pk).first().delete()
    except BaseException as exc:
        errors.append(exc)
    finally:
        connections.close_all()


def _queued_refreshes() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path__endswith="refresh_dirty_facts").count()


def _run_queue() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="facts",
        excluded_queue_names=[],
    ).run()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_queue_one_refresh_and_lose_no_day(world):
    with override_settings(TASKS=DATABASE_TASKS):
        rebuild()
        barrier = threading.Barrier(WRITERS)
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_write_visits, args=(world.org, n, barrier, errors))
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        # 48 commits on six days, no worker running: one queued refresh, each pair once.
        assert _queued_refreshes() == 1
        assert len(dirty()) == DirtyDay.objects.count() == 12
        _run_queue()
        assert DirtyDay.objects.count() == 0
        assert pending() is False
        assert_facts_equal_a_rebuild()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_and_a_refresh_running_meanwhile_lose_no_day(world):
    with override_settings(TASKS=DATABASE_TASKS):
        rebuild()
        barrier = threading.Barrier(WRITERS + 1)
        errors: list[BaseException] = []
        done = threading.Event()
        drains = [0]

        def drainer() -> None:
            try:
                barrier.wait(timeout=30)
                while not done.is_set():
                    refresh_dirty_days()  # a worker that keeps finding work
                    drains[0] += 1
                    time.sleep(0.005)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=_write_visits, args=(world.org, n, barrier, errors))
            for n in range(WRITERS)
        ]
        drain_thread = threading.Thread(target=drainer)
        drain_thread.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        done.set()
        drain_thread.join(timeout=120)
        assert errors == []
        assert drains[0] > 0
        # A refresh is queued only when none is: at most one per refresh started, plus one.
        assert 1 <= _queued_refreshes() <= drains[0] + 1
        if DirtyDay.objects.exists():  # waiting days always have a queued refresh
            assert pending() is True
        _run_queue()  # the queued refreshes, as a worker would run them
        assert DirtyDay.objects.count() == 0
        assert_facts_equal_a_rebuild()
