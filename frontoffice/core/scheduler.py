"""The scheduler behind ``frontoffice scheduler``: runs each periodic job once per slot.

Apps declare jobs with ``core.registry.register_periodic_job`` in their ``schedules`` module;
a job is a management command and a schedule from ``core.recurrence``. Invariants:

- A job's slot runs at most once, however many scheduler processes run: the process whose
  INSERT of the ``ScheduledRun`` row (unique on job and slot) succeeds enqueues the job; the
  others hit the constraint and skip the slot. This holds on PostgreSQL and on SQLite.
- Only a job's latest slot is ever claimed, and never one older than a slot already claimed.
  After downtime a job therefore runs once, not once per missed slot; the commands catch up by
  date themselves (due recurring invoices, expired quotes, unsent reminders).
- A claimed slot runs as the task ``core.tasks.scheduled_job_run``: on the database backend a
  ``db_worker`` runs it, on the immediate backend (SQLite default) the scheduler itself. The
  task records the command's output and outcome on the row.
- Daily and weekly times are in the organisation's time zone (``settings.TIME_ZONE``), read at
  each tick.
"""

from __future__ import annotations

import datetime
import io
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.db.models import Max
from django.utils import timezone

from frontoffice.core.models import ScheduledRun
from frontoffice.core.registry import PeriodicJob, registry

logger = logging.getLogger(__name__)

# Rows of a job older than this before its newest slot are deleted when a slot is claimed,
# so a five-minute job keeps about 8,600 rows rather than growing for ever.
KEEP_RUNS_FOR = datetime.timedelta(days=30)
OUTPUT_LIMIT = 10_000  # characters of a command's output kept on its row


@dataclass(frozen=True)
class JobStatus:
    job: PeriodicJob
    last: ScheduledRun | None  # the newest claimed slot
    due: bool  # the latest slot is not claimed yet: the next tick runs it
    next_at: datetime.datetime  # when it runs next (now when due)


def scheduler_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[:100]


def periodic_jobs() -> list[PeriodicJob]:
    return list(registry.periodic_jobs)


def scheduler_status(
    *, now: datetime.datetime | None = None, jobs: Sequence[PeriodicJob] | None = None
) -> list[JobStatus]:
    """Each job with its newest claimed run, whether it is due and when it runs next (2 queries)."""
    now = now or timezone.now()
    jobs = periodic_jobs() if jobs is None else list(jobs)
    tz = timezone.get_default_timezone()
    keys = [job.key for job in jobs]
    newest = dict(
        ScheduledRun.objects.filter(job__in=keys)
        .values("job")
        .annotate(slot=Max("slot"))
        .values_list("job", "slot")
    )
    last_runs = {
        run.job: run
        for run in ScheduledRun.objects.filter(job__in=keys, slot__in=set(newest.values()))
        if newest.get(run.job) == run.slot
    }
    statuses = []
    for job in jobs:
        last = last_runs.get(job.key)
        latest = job.schedule.latest(now, tz)
        due = last is None or last.slot < latest
        statuses.append(
            JobStatus(job=job, last=last, due=due, next_at=now if due else job.schedule.following(now, tz))
        )
    return statuses


def scheduled_run_claim(*, job: PeriodicJob, slot: datetime.datetime, worker: str) -> ScheduledRun | None:
    """Insert the row of ``job``'s ``slot``; None when another scheduler inserted it first."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(
                job=job.key,
                slot=slot,
                command=job.command,
                args=list(job.args),
                claimed_by=worker,
            )
    except IntegrityError:
        return None


def scheduler_tick(
    *,
    now: datetime.datetime | None = None,
    jobs: Sequence[PeriodicJob] | None = None,
    worker: str | None = None,
) -> list[ScheduledRun]:
    """Claim and enqueue the latest slot of every job whose slot is unclaimed; return the runs
    this process claimed. A job whose enqueueing fails is marked failed; the others still run."""
    from frontoffice.core.tasks import scheduled_job_run

    now = now or timezone.now()
    jobs = periodic_jobs() if jobs is None else list(jobs)
    worker = worker or scheduler_worker_name()
    tz = timezone.get_default_timezone()
    claimed = []
    for job in jobs:
        slot = job.schedule.latest(now, tz)
        # Also skips a slot older than one already run (a schedule moved to an earlier time).
        if ScheduledRun.objects.filter(job=job.key, slot__gte=slot).exists():
            continue
        run = scheduled_run_claim(job=job, slot=slot, worker=worker)
        if run is None:
            continue
        claimed.append(run)
        ScheduledRun.objects.filter(job=job.key, slot__lt=slot - KEEP_RUNS_FOR).delete()
        try:
            result = scheduled_job_run.enqueue(run_id=run.pk)
        except Exception as exc:
            logger.exception("scheduler: could not enqueue %s for %s", job.key, slot.isoformat())
            _finish(run.pk, ScheduledRun.Status.FAILED, f"not enqueued: {exc!r}")
            continue
        ScheduledRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])
        run.task_id = str(result.id)[:64]
        logger.info("scheduler: %s enqueued for %s (task %s)", job.key, slot.isoformat(), result.id)
    return claimed


def _finish(run_id: int, status: str, output: str) -> None:
    ScheduledRun.objects.filter(pk=run_id).update(
        status=status, finished_at=timezone.now(), output=output[-OUTPUT_LIMIT:]
    )


def scheduled_run_execute(*, run_id: int) -> str:
    """Run the command of a claimed slot and record its output and outcome on the row; returns
    the output. A run already finished is not run again (a task delivered twice). A failing
    command is recorded as failed and its exception re-raised, so the task fails too."""
    updated = ScheduledRun.objects.filter(
        pk=run_id, status__in=[ScheduledRun.Status.CLAIMED, ScheduledRun.Status.RUNNING]
    ).update(status=ScheduledRun.Status.RUNNING, started_at=timezone.now())
    if not updated:
        return ""
    run = ScheduledRun.objects.get(pk=run_id)
    out = io.StringIO()
    try:
        call_command(run.command, *run.args, stdout=out, stderr=out)
    except BaseException as exc:
        _finish(run_id, ScheduledRun.Status.FAILED, out.getvalue() + "".join(traceback.format_exception(exc)))
        raise
    _finish(run_id, ScheduledRun.Status.SUCCEEDED, out.getvalue())
    return out.getvalue()[-OUTPUT_LIMIT:]


def scheduler_loop(
    *,
    stop: threading.Event,
    interval: float = 30.0,
    jobs: Sequence[PeriodicJob] | None = None,
    on_tick: Callable[[list[ScheduledRun]], None] | None = None,
) -> None:
    """Tick every ``interval`` seconds until ``stop`` is set (SIGTERM sets it in the command).
    A database error is logged and the next tick tries again; the current tick always finishes."""
    worker = scheduler_worker_name()
    while not stop.is_set():
        close_old_connections()  # honour CONN_MAX_AGE and drop broken connections between ticks
        try:
            claimed = scheduler_tick(jobs=jobs, worker=worker)
        except DatabaseError:
            logger.exception("scheduler: tick failed; trying again in %s s", interval)
        else:
            if on_tick is not None:
                on_tick(claimed)
        stop.wait(interval)
