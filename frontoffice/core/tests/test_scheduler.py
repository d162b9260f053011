"""The scheduler: slots across daylight saving time, one run per slot however many schedulers
run, one catch-up run after downtime, the job list, and a clean stop on SIGTERM."""

from __future__ import annotations

import datetime
import io
import os
import re
import signal
import threading
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command, get_commands
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from frontoffice.core.models import ScheduledRun
from frontoffice.core.recurrence import DailyAt, EveryMinutes, WeeklyAt
from frontoffice.core.registry import PeriodicJob, registry
from frontoffice.core.scheduler import (
    scheduled_run_claim,
    scheduled_run_execute,
    scheduler_status,
    scheduler_tick,
)

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
UTC = datetime.UTC
# Daylight saving time in Stockholm, 2025: 02:00 CET becomes 03:00 CEST on 30 March, and
# 03:00 CEST becomes 02:00 CET on 26 October.


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def local(*args: int, fold: int = 0) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=STOCKHOLM, fold=fold)


def quiet_job(key: str, schedule: object) -> PeriodicJob:
    """A job whose command reads settings only (cheap, and independent of the domain apps)."""
    return PeriodicJob(key=key, command="diffsettings", schedule=schedule)


def slots(schedule: object, start: datetime.datetime, end: datetime.datetime) -> list[datetime.datetime]:
    found, now = [], start
    while (nxt := schedule.following(now, STOCKHOLM)) <= end:
        found.append(nxt)
        now = nxt
    return found


# ---- due computation (no database)


def test_a_daily_time_keeps_its_wall_clock_hour_across_both_dst_changes() -> None:
    """07:00 Stockholm is 06:00 UTC in winter and 05:00 UTC in summer; the day of the change is
    23 (spring) or 25 (autumn) hours long."""
    seven = DailyAt("07:00")
    assert slots(seven, local(2025, 3, 28, 12), local(2025, 4, 1, 12)) == [
        utc(2025, 3, 29, 6),
        utc(2025, 3, 30, 5),
        utc(2025, 3, 31, 5),
        utc(2025, 4, 1, 5),
    ]
    assert slots(seven, local(2025, 10, 24, 12), local(2025, 10, 28, 12)) == [
        utc(2025, 10, 25, 5),
        utc(2025, 10, 26, 6),
        utc(2025, 10, 27, 6),
        utc(2025, 10, 28, 6),
    ]
    assert seven.latest(local(2025, 3, 30, 6, 59), STOCKHOLM) == utc(2025, 3, 29, 6)
    assert seven.latest(local(2025, 3, 30, 7, 0), STOCKHOLM) == utc(2025, 3, 30, 5)


def test_a_time_in_the_spring_gap_runs_once_as_far_after_the_gap() -> None:
    """02:30 does not exist on 30 March 2025; that day the slot is 03:30 CEST (01:30 UTC)."""
    half_past_two = DailyAt("02:30")
    assert slots(half_past_two, local(2025, 3, 29, 12), local(2025, 3, 31, 12)) == [
        utc(2025, 3, 30, 1, 30),
        utc(2025, 3, 31, 0, 30),
    ]
    assert half_past_two.latest(local(2025, 3, 30, 3, 15), STOCKHOLM) == utc(2025, 3, 29, 1, 30)
    assert half_past_two.latest(local(2025, 3, 30, 3, 30), STOCKHOLM) == utc(2025, 3, 30, 1, 30)


def test_a_time_repeated_in_the_autumn_runs_once_at_its_first_occurrence() -> None:
    """02:30 happens twice on 26 October 2025 (CEST, then CET); the date has one slot, the first."""
    half_past_two = DailyAt("02:30")
    assert slots(half_past_two, local(2025, 10, 25, 12), local(2025, 10, 27, 12)) == [
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 27, 1, 30),
    ]
    second_occurrence = local(2025, 10, 26, 2, 45, fold=1)
    assert second_occurrence.astimezone(UTC) == utc(2025, 10, 26, 1, 45)
    assert half_past_two.latest(second_occurrence, STOCKHOLM) == utc(2025, 10, 26, 0, 30)
    assert half_past_two.following(second_occurrence, STOCKHOLM) == utc(2025, 10, 27, 1, 30)


def test_a_weekly_time_falls_on_its_weekday_in_local_time_across_the_change() -> None:
    sunday_three = WeeklyAt("sun", "03:00")
    assert slots(sunday_three, local(2025, 3, 20), local(2025, 4, 7)) == [
        utc(2025, 3, 23, 2),  # CET
        utc(2025, 3, 30, 1),  # CEST, the first hour after the gap
        utc(2025, 4, 6, 1),
    ]
    # Sunday night 23:30 UTC is already Monday in Stockholm: the latest slot is that Sunday's.
    assert sunday_three.latest(utc(2025, 3, 30, 23, 30), STOCKHOLM) == utc(2025, 3, 30, 1)
    assert sunday_three.latest(local(2025, 3, 30, 1, 59), STOCKHOLM) == utc(2025, 3, 23, 2)


def test_minute_intervals_stay_on_the_hour_and_ignore_dst() -> None:
    """An hourly job has 25 slots on the autumn change day (local time) and 23 in spring."""
    hourly = EveryMinutes(60)
    assert len(slots(hourly, local(2025, 10, 26, 0), local(2025, 10, 27, 0))) == 25
    assert len(slots(hourly, local(2025, 3, 30, 0), local(2025, 3, 31, 0))) == 23
    assert EveryMinutes(15).latest(utc(2025, 1, 1, 10, 44, 59), STOCKHOLM) == utc(2025, 1, 1, 10, 30)
    assert EveryMinutes(15).following(utc(2025, 1, 1, 10, 45), STOCKHOLM) == utc(2025, 1, 1, 11, 0)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: DailyAt("24:00"), "not a time of day"),
        (lambda: DailyAt("7:00"), "not a time of day"),
        (lambda: WeeklyAt("sunday", "03:00"), "not a weekday"),
        (lambda: EveryMinutes(0), "1 to 1440"),
    ],
)
def test_a_malformed_schedule_is_refused_when_declared(build, message) -> None:
    with pytest.raises(ValueError, match=message):
        build()


# ---- running slots


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Stockholm")
def test_a_slot_runs_once_and_records_the_commands_outcome() -> None:
    """The first scheduler to insert the slot's row runs it; a second one, or a second tick,
    finds the slot taken."""
    job = quiet_job("test.settings", EveryMinutes(5))
    now = utc(2025, 5, 6, 8, 7, 30)

    claimed = scheduler_tick(now=now, jobs=[job], worker="a")
    assert [(run.job, run.slot) for run in claimed] == [("test.settings", utc(2025, 5, 6, 8, 5))]
    assert scheduler_tick(now=now, jobs=[job], worker="b") == []
    assert scheduler_tick(now=now + datetime.timedelta(minutes=2), jobs=[job], worker="b") == []
    assert scheduled_run_claim(job=job, slot=utc(2025, 5, 6, 8, 5), worker="b") is None

    run = ScheduledRun.objects.get()
    assert run.claimed_by == "a"
    assert run.command == "diffsettings"
    assert run.status == ScheduledRun.Status.SUCCEEDED
    assert run.task_id != ""
    assert run.started_at is not None and run.finished_at is not None
    assert "TIME_ZONE = 'Europe/Stockholm'" in run.output

    # A task delivered twice does not run the command twice.
    assert scheduled_run_execute(run_id=run.pk) == ""
    assert ScheduledRun.objects.get().finished_at == run.finished_at


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Stockholm")
def test_a_failing_command_is_recorded_and_does_not_stop_the_other_jobs() -> None:
    broken = PeriodicJob(key="test.broken", command="no_such_command", schedule=EveryMinutes(5))
    fine = quiet_job("test.settings", EveryMinutes(5))

    claimed = scheduler_tick(now=utc(2025, 5, 6, 8, 7), jobs=[broken, fine], worker="a")

    assert [run.job for run in claimed] == ["test.broken", "test.settings"]
    runs = {run.job: run for run in ScheduledRun.objects.all()}
    assert runs["test.broken"].status == ScheduledRun.Status.FAILED
    assert "Unknown command: 'no_such_command'" in runs["test.broken"].output
    assert runs["test.settings"].status == ScheduledRun.Status.SUCCEEDED


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Stockholm")
def test_after_downtime_each_job_runs_once_for_its_latest_slot() -> None:
    """Five days down (across the spring change) means one run per job, not one per missed slot."""
    daily = quiet_job("test.daily", DailyAt("06:00"))
    often = quiet_job("test.often", EveryMinutes(5))
    jobs = [daily, often]

    assert len(scheduler_tick(now=local(2025, 3, 27, 6, 0, 10), jobs=jobs)) == 2
    assert scheduler_tick(now=local(2025, 3, 27, 6, 1), jobs=jobs) == []

    back = local(2025, 4, 1, 9, 2)
    claimed = scheduler_tick(now=back, jobs=jobs)
    assert sorted((run.job, run.slot) for run in claimed) == [
        ("test.daily", local(2025, 4, 1, 6, 0)),
        ("test.often", local(2025, 4, 1, 9, 0)),
    ]
    assert scheduler_tick(now=back + datetime.timedelta(seconds=30), jobs=jobs) == []
    assert Counter(ScheduledRun.objects.values_list("job", flat=True)) == {"test.daily": 2, "test.often": 2}


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Stockholm")
@pytest.mark.parametrize(
    ("night_start", "expected_slot"),
    [
        (local(2025, 3, 29, 23, 0), utc(2025, 3, 30, 1, 30)),  # spring: 03:30 CEST
        (local(2025, 10, 25, 23, 0), utc(2025, 10, 26, 0, 30)),  # autumn: the first 02:30
    ],
)
def test_a_scheduler_ticking_through_a_dst_night_runs_a_night_job_once(night_start, expected_slot) -> None:
    job = quiet_job("test.night", DailyAt("02:30"))
    first = job.schedule.latest(night_start, STOCKHOLM)
    now, claimed = night_start, []
    while now < night_start + datetime.timedelta(hours=7):
        claimed += scheduler_tick(now=now, jobs=[job])
        now += datetime.timedelta(minutes=5)
    # The first tick catches up the previous night's slot; the night itself has exactly one.
    assert [run.slot for run in claimed] == [first, expected_slot]


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Stockholm")
def test_a_schedule_moved_earlier_does_not_run_the_day_again() -> None:
    assert (
        len(scheduler_tick(now=local(2025, 5, 6, 7, 1), jobs=[quiet_job("test.daily", DailyAt("07:00"))]))
        == 1
    )
    moved = quiet_job("test.daily", DailyAt("06:00"))
    assert scheduler_tick(now=local(2025, 5, 6, 8, 0), jobs=[moved]) == []
    assert [run.slot for run in scheduler_tick(now=local(2025, 5, 7, 6, 0), jobs=[moved])] == [
        local(2025, 5, 7, 6, 0)
    ]


# ---- two schedulers on PostgreSQL

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ROUNDS = 25


def _schedule(
    name: str, jobs: list[PeriodicJob], start: threading.Barrier, errors: list[BaseException]
) -> None:
    """One scheduler process on its own database connection, ticking through ROUNDS minutes
    in step with the other (the barrier lines the two ticks up on every minute)."""
    try:
        for minute in range(ROUNDS):
            start.wait(timeout=30)
            scheduler_tick(now=utc(2025, 5, 6, 8, minute, 1), jobs=jobs, worker=name)
    except BaseException as exc:  # reported to the test thread
        errors.append(exc)
        start.abort()
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_running_at_once_enqueue_each_slot_once() -> None:
    jobs = [quiet_job(f"test.job{n}", EveryMinutes(1)) for n in range(4)]
    with override_settings(TASKS=DATABASE_TASKS, TIME_ZONE="Europe/Stockholm"):
        start = threading.Barrier(2)
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_schedule, args=(name, jobs, start, errors)) for name in ("s1", "s2")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert not any(thread.is_alive() for thread in threads)

        runs = list(ScheduledRun.objects.all())
        assert len(runs) == len(jobs) * ROUNDS
        assert Counter((run.job, run.slot) for run in runs) == {
            (job.key, utc(2025, 5, 6, 8, minute)): 1 for job in jobs for minute in range(ROUNDS)
        }
        tasks = DBTaskResult.objects.filter(task_path="frontoffice.core.tasks.scheduled_job_run")
        assert sorted(task.args_kwargs["kwargs"]["run_id"] for task in tasks) == sorted(
            run.pk for run in runs
        )
        assert {run.task_id for run in runs} == {str(task.id) for task in tasks}
        assert {run.status for run in runs} == {ScheduledRun.Status.CLAIMED}  # waiting for a worker


# ---- the command


REGISTERED = {
    "appointments.reminders": ("appointments_send_reminders", "daily at 10:00"),
    "billing.recurring": ("billing_recurring", "daily at 06:00"),
    "insights.check_alerts": ("insights_check_alerts", "daily at 06:30"),
    "insights.refresh_facts": ("insights_refresh_facts", "every 60 minutes"),
    "insights.send_digests": ("insights_send_digests", "daily at 07:00"),
    "leads.overdue": ("leads_overdue", "every 5 minutes"),
    "leads.train_scoring": ("leads_train_scoring", "weekly on Sunday at 03:00"),
    "quotes.expire": ("quotes_expire", "daily at 00:15"),
    "rfps.deadline_alerts": ("rfps_deadline_alerts", "every 60 minutes"),
    "surveys.reminders": ("surveys_send_reminders", "every 60 minutes"),
    "training.daily": ("training_daily", "daily at 07:00"),
}


def test_the_apps_register_their_periodic_commands() -> None:
    jobs = {job.key: (job.command, str(job.schedule)) for job in registry.periodic_jobs}
    assert jobs == REGISTERED
    commands = get_commands()
    assert all(command in commands for command, _schedule in jobs.values())


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Stockholm")
def test_list_shows_each_job_with_its_last_and_next_run_and_changes_nothing() -> None:
    ScheduledRun.objects.create(
        job="leads.overdue",
        slot=local(2025, 3, 30, 8, 0),
        command="leads_overdue",
        status=ScheduledRun.Status.SUCCEEDED,
    )
    ScheduledRun.objects.create(
        job="quotes.expire", slot=local(2025, 3, 29, 0, 15), command="quotes_expire", status="failed"
    )
    ScheduledRun.objects.create(
        job="quotes.expire", slot=local(2025, 3, 30, 0, 15), command="quotes_expire", status="succeeded"
    )
    out = io.StringIO()
    with time_machine.travel(local(2025, 3, 30, 8, 2), tick=False):
        call_command("scheduler", "--list", stdout=out)

    lines = out.getvalue().splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["job", "command", "schedule", "last run", "status", "next run"]
    rows = {re.split(r"\s{2,}", line)[0]: re.split(r"\s{2,}", line)[1:] for line in lines[1:-1]}
    assert set(rows) == set(REGISTERED)
    assert rows["leads.overdue"] == [
        "leads_overdue",
        "every 5 minutes",
        "2025-03-30 08:00 CEST",
        "succeeded",
        "2025-03-30 08:05 CEST",
    ]
    assert rows["quotes.expire"] == [
        "quotes_expire",
        "daily at 00:15",
        "2025-03-30 00:15 CET",  # before the clocks changed at 02:00
        "succeeded",
        "2025-03-31 00:15 CEST",
    ]
    assert rows["leads.train_scoring"] == [
        "leads_train_scoring",
        "weekly on Sunday at 03:00",
        "never",
        "-",
        "due now",
    ]
    assert lines[-1] == "11 job(s); times in Europe/Stockholm"
    assert ScheduledRun.objects.count() == 3


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Stockholm")
def test_status_reads_every_job_in_two_queries(django_assert_num_queries) -> None:
    jobs = [quiet_job(f"test.job{n}", EveryMinutes(5)) for n in range(6)]
    scheduler_tick(now=utc(2025, 5, 6, 8, 0), jobs=jobs)
    with django_assert_num_queries(2):
        statuses = scheduler_status(now=utc(2025, 5, 6, 8, 6), jobs=jobs)
    assert [status.due for status in statuses] == [True] * 6
    assert {status.last.slot for status in statuses} == {utc(2025, 5, 6, 8, 0)}


@pytest.mark.django_db
def test_once_runs_what_is_due_and_exits(monkeypatch) -> None:
    monkeypatch.setattr(registry, "periodic_jobs", [quiet_job("test.settings", EveryMinutes(5))])
    first, second = io.StringIO(), io.StringIO()
    with time_machine.travel(utc(2025, 5, 6, 8, 7), tick=False):
        call_command("scheduler", "--once", stdout=first)
        call_command("scheduler", "--once", stdout=second)
    assert first.getvalue() == "1 job(s) run: test.settings\n"
    assert second.getvalue() == "0 job(s) run\n"
    assert ScheduledRun.objects.get().status == ScheduledRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)  # the loop closes stale connections between ticks
def test_the_loop_stops_cleanly_on_sigterm(monkeypatch) -> None:
    """SIGTERM lets the current tick finish, ends the sleep at once and restores the handler."""
    monkeypatch.setattr(registry, "periodic_jobs", [quiet_job("test.settings", EveryMinutes(5))])
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(1.5, os.kill, args=(os.getpid(), signal.SIGTERM))
    out = io.StringIO()
    timer.start()
    try:
        call_command("scheduler", "--interval", "300", stdout=out)
    finally:
        timer.cancel()
    assert out.getvalue().splitlines() == [
        "scheduler started (every 300 s)",
        "1 job(s) run: test.settings",
        "SIGTERM: stopping after the current tick",
        "scheduler stopped",
    ]
    assert signal.getsignal(signal.SIGTERM) is before
    assert ScheduledRun.objects.count() == 1


def _claim(name: str, job: PeriodicJob, start: threading.Barrier, wins: list, errors: list) -> None:
    try:
        for minute in range(ROUNDS):
            start.wait(timeout=30)
            run = scheduled_run_claim(job=job, slot=utc(2025, 5, 6, 8, minute), worker=name)
            wins.append((name, minute, run is not None))
    except BaseException as exc:  # reported to the test thread
        errors.append(exc)
        start.abort()
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_when_two_schedulers_insert_the_same_slot_at_once_exactly_one_wins() -> None:
    """The unique constraint, not the look before the insert, decides a true race."""
    job = quiet_job("test.race", EveryMinutes(1))
    start = threading.Barrier(2)
    wins: list = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_claim, args=(name, job, start, wins, errors)) for name in ("s1", "s2")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(wins) == 2 * ROUNDS
    assert Counter(minute for _name, minute, won in wins if won) == dict.fromkeys(range(ROUNDS), 1)
    assert ScheduledRun.objects.filter(job="test.race").count() == ROUNDS
