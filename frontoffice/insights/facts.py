"""Daily facts: write them (rebuild, refresh days) and fold them into figures.

``rebuild(start=None)`` recomputes every additive measure from the source rows;
``refresh_days(days, measures)`` recomputes the given days (the periodic task calls it for
yesterday and today). Both write the same rows from the same grouped queries, so an
incremental run equals a rebuild.

Days whose source rows changed are coalesced (``mark_dirty``, ``refresh_dirty_days``):

- after a commit, the changed (day, measure) pairs are upserted into ``DirtyDay`` with one
  ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` statement. When every pair was already
  waiting, that statement is all the commit pays: a refresh is queued already;
- a pair that is new asks for a refresh: ``FactsRefreshState.pending`` is turned from false to
  true by one upsert, and only the commit that turned it enqueues ``refresh_dirty_facts``, in
  the same transaction (so there is at most one queued, not yet started refresh);
- the refresh first turns ``pending`` false, then claims the waiting rows (``SKIP LOCKED`` on
  PostgreSQL) in a short transaction of its own, recomputes their days and deletes the claimed
  rows with the new facts. A day marked after the claim is a new unclaimed row (the unique
  constraint covers unclaimed rows only) whose commit finds ``pending`` false and queues the
  next refresh, so no change is lost and no writer waits for a recompute;
- rows claimed by a refresh that died are claimed again after ``CLAIM_STALE``; a ``pending``
  flag whose task never ran is overridden after ``PENDING_STALE``; the periodic
  ``insights_refresh_facts`` also drains.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from frontoffice.insights.measures import (
    MEASURES,
    Figure,
    Measure,
    OrgUnit,
    compute,
    daily_parts,
    fold,
    working_days,
)
from frontoffice.insights.models import DailyFact, DirtyDay, FactsRefreshState

PERSON = DailyFact.UnitType.PERSON


def additive_measures(keys: Iterable[str] | None = None) -> list[Measure]:
    wanted = set(keys) if keys is not None else None
    return [m for m in MEASURES if m.from_facts and m.available() and (wanted is None or m.key in wanted)]


def _rows(measure: Measure, parts: dict[tuple[datetime.date, int], dict[str, Any]]) -> list[tuple]:
    """The fact rows of ``parts`` as (day, measure, unit type, unit id, numerator, rows, sum)."""
    return [
        (day, measure.key, PERSON, user_id, p["numerator"], p["denominator"], p["total"])
        for (day, user_id), p in sorted(parts.items())
        if p["denominator"]
    ]


FACT_COLUMNS = ("day", "measure", "unit_type", "unit_id", "numerator", "denominator", "total", "computed_at")


def _write(rows: list[tuple]) -> int:
    """Insert fact rows: COPY on PostgreSQL (a full rebuild writes hundreds of thousands; model
    instances and INSERT batches took most of its time), ``bulk_create`` elsewhere."""
    if not rows:
        return 0
    now = timezone.now()
    if connection.vendor == "postgresql":
        q = connection.ops.quote_name
        sql = f"COPY {q(DailyFact._meta.db_table)} ({', '.join(q(c) for c in FACT_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row, now))
        return len(rows)
    DailyFact.objects.bulk_create(
        [DailyFact(**dict(zip(FACT_COLUMNS, (*row, now), strict=True))) for row in rows], batch_size=2000
    )
    return len(rows)


# Any constant shared by the writers of facts: two refreshes of one day at once would each
# delete the other's uncommitted rows' predecessors and then collide on insights_fact_unique.
_FACTS_LOCK = 7_301_964_002


def _serialise_fact_writers() -> None:
    """Make concurrent rebuilds and refreshes take turns (PostgreSQL; SQLite's IMMEDIATE
    transactions already serialise writers). Held until the surrounding transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_FACTS_LOCK])


def rebuild(*, start: datetime.date | None = None) -> int:
    """Recompute all facts (from ``start`` on, if given); returns the number of fact rows."""
    written = 0
    with transaction.atomic():
        _serialise_fact_writers()
        old = DailyFact.objects.all()
        if start:
            old = old.filter(day__gte=start)
        old.delete()
        for measure in additive_measures():
            written += _write(_rows(measure, daily_parts(measure, start=start)))
    return written


def refresh_days(days: Sequence[datetime.date], measures: Iterable[str] | None = None) -> int:
    """Recompute the facts of ``days`` for ``measures`` (all additive ones by default)."""
    days = sorted(set(days))
    if not days:
        return 0
    return _refresh({m.key: days for m in additive_measures(measures)})


def _refresh(days_by_measure: Mapping[str, Iterable[datetime.date]]) -> int:
    """Recompute, per measure key, the facts of its days (unknown or live measures are skipped)."""
    written = 0
    with transaction.atomic():
        _serialise_fact_writers()
        for measure in additive_measures(days_by_measure):
            days = sorted(set(days_by_measure[measure.key]))
            if not days:
                continue
            DailyFact.objects.filter(measure=measure.key, day__in=days).delete()
            written += _write(_rows(measure, daily_parts(measure, days)))
    return written


# ---------------------------------------------------------------------------------------------
# Dirty days: coalesced upkeep after commits

CLAIM_STALE = datetime.timedelta(minutes=15)  # a claim older than this belongs to a dead refresh
PENDING_STALE = datetime.timedelta(minutes=10)  # a queued refresh this old is taken as lost
CLAIM_BATCH = 5000  # (day, measure) rows per claim; a refresh takes batches until none is left


def mark_dirty(marks: Mapping[datetime.date, Iterable[str]]) -> bool:
    """Queue the facts of ``marks`` (day -> measure keys) for a refresh; call it after a commit.

    One statement when every pair already waits; otherwise one more upsert and, if no refresh
    is queued yet, the enqueue of ``refresh_dirty_facts`` (with the immediate backend: the
    refresh itself). Returns whether this call enqueued a refresh.
    """
    rows = sorted({(day, key) for day, keys in marks.items() for key in keys})
    if not rows:
        return False
    now = timezone.now()
    ops, q = connection.ops, connection.ops.quote_name
    stamp = ops.adapt_datetimefield_value(now)
    params: list[Any] = []
    for day, key in rows:  # sorted: concurrent writers take the unique index entries in one order
        params += [ops.adapt_datefield_value(day), key, stamp]
    sql = (
        f"INSERT INTO {q(DirtyDay._meta.db_table)} ({q('day')}, {q('measure')}, {q('created_at')}) "  # noqa: S608 - names from model meta
        f"VALUES {', '.join(['(%s, %s, %s)'] * len(rows))} ON CONFLICT DO NOTHING RETURNING {q('id')}"
    )
    # Autocommit, not a transaction: the common case stays one round trip. A crash before the
    # flag is set leaves the rows for the next refresh anybody queues (or the periodic one).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not cursor.fetchall():
            return False
    with transaction.atomic():
        return _request_refresh(now)


def _request_refresh(now: datetime.datetime) -> bool:
    """Turn ``pending`` on and enqueue a refresh, unless one is queued already (in the caller's
    transaction, so a flag set is never left without its task)."""
    ops, q = connection.ops, connection.ops.quote_name
    table = q(FactsRefreshState._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({q('id')}, {q('pending')}, {q('requested_at')}) VALUES (1, %s, %s) "  # noqa: S608 - names from model meta
        f"ON CONFLICT ({q('id')}) DO UPDATE SET {q('pending')} = %s, {q('requested_at')} = %s "
        f"WHERE {table}.{q('pending')} = %s OR {table}.{q('requested_at')} < %s RETURNING {q('id')}"
    )
    stamp = ops.adapt_datetimefield_value(now)
    stale = ops.adapt_datetimefield_value(now - PENDING_STALE)
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, stamp, True, stamp, False, stale])
        turned = bool(cursor.fetchall())
    if turned:
        from frontoffice.insights.tasks import refresh_dirty_facts

        refresh_dirty_facts.enqueue()
    return turned


def _claim(token: uuid.UUID) -> tuple[int, dict[str, set[datetime.date]]]:
    """Claim up to ``CLAIM_BATCH`` waiting rows (and rows of dead refreshes) in a committed
    transaction of its own, so writers never wait behind a recompute."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            DirtyDay.objects.select_for_update(skip_locked=True)
            .filter(Q(claimed_by__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE))
            .order_by("pk")
            .values_list("pk", "day", "measure")[:CLAIM_BATCH]
        )
        if not rows:
            return 0, {}
        DirtyDay.objects.filter(pk__in=[pk for pk, _d, _m in rows]).update(claimed_by=token, claimed_at=now)
    out: dict[str, set[datetime.date]] = {}
    for _pk, day, key in rows:
        out.setdefault(key, set()).add(day)
    return len(rows), out


def refresh_dirty_days() -> int:
    """Recompute the days waiting in ``DirtyDay``; returns the number of fact rows written.

    ``pending`` is turned off before the first claim: a day marked from then on queues the
    next refresh itself (see the module docstring). Safe to run in parallel: claims are
    disjoint and fact writes take turns.
    """
    FactsRefreshState.objects.filter(pk=1, pending=True).update(pending=False)
    written = 0
    # A full batch may have left rows behind; a short one took all that waited at the reset
    # (later marks queued their own refresh), so a steady stream of check-ins cannot keep one
    # refresh running for ever.
    count = CLAIM_BATCH
    while count == CLAIM_BATCH:
        token = uuid.uuid4()
        count, claimed = _claim(token)
        if not count:
            break
        with transaction.atomic():
            written += _refresh(claimed)
            DirtyDay.objects.filter(claimed_by=token).delete()
    return written


def figure_from_facts(
    measure: Measure, unit: OrgUnit, start: datetime.date, end: datetime.date, *, user: Any = None
) -> Figure:
    """The figure of ``unit`` over [start, end): folded facts for additive measures, live otherwise."""
    if not measure.from_facts or not measure.available():
        return compute(measure, unit, start, end, user=user)
    qs = DailyFact.objects.filter(
        measure=measure.key, unit_type=PERSON, unit_id__in=unit.people(), day__gte=start, day__lt=end
    )
    agg = qs.aggregate(
        num=Sum("numerator"),
        den=Sum("denominator"),
        total=Sum("total"),
        people=Count("unit_id", distinct=True),
    )
    num, den, total = agg["num"] or 0, agg["den"] or 0, Decimal(agg["total"] or 0)
    value = fold(
        measure,
        numerator=num,
        denominator=den,
        total=total,
        people=agg["people"] or 0,
        workdays=working_days(start, end),
    )
    return Figure(measure, value, numerator=num, denominator=den, total=total)


def facts_by_person(
    measures: Sequence[Measure], user_ids: Sequence[int], start: datetime.date, end: datetime.date
) -> dict[tuple[str, int], dict[str, Any]]:
    """One grouped query: (measure key, user id) → summed parts over [start, end)."""
    rows = (
        DailyFact.objects.filter(
            measure__in=[m.key for m in measures],
            unit_type=PERSON,
            unit_id__in=list(user_ids),
            day__gte=start,
            day__lt=end,
        )
        .values("measure", "unit_id")
        .annotate(num=Sum("numerator"), den=Sum("denominator"), total=Sum("total"))
        .order_by()
    )
    return {(r["measure"], r["unit_id"]): r for r in rows}


def facts_by_period(
    measures: Sequence[Measure],
    user_ids: Sequence[int],
    bounds: Sequence[tuple[datetime.date, datetime.date]],
) -> dict[tuple[str, int], dict[str, Any]]:
    """One query: (measure key, period index) → summed parts (and people) for the given people."""
    if not bounds:
        return {}
    rows = DailyFact.objects.filter(
        measure__in=[m.key for m in measures],
        unit_type=PERSON,
        unit_id__in=list(user_ids),
        day__gte=bounds[0][0],
        day__lt=bounds[-1][1],
    ).values_list("measure", "day", "unit_id", "numerator", "denominator", "total")
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for key, day, unit_id, num, den, total in rows:
        for i, (s, e) in enumerate(bounds):
            if s <= day < e:
                acc = out.setdefault((key, i), {"num": 0, "den": 0, "total": Decimal(0), "people": set()})
                acc["num"] += num
                acc["den"] += den
                acc["total"] += Decimal(total)
                acc["people"].add(unit_id)
                break
    return out
