"""Daily facts: write them (rebuild, refresh days) and fold them into figures.

``rebuild(start=None)`` recomputes every additive measure from the source rows;
``refresh_days(days, measures)`` recomputes the given days (the background task calls it for
yesterday and today, and for the days whose source rows changed). Both write the same rows
from the same grouped queries, so an incremental run equals a rebuild.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
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
from frontoffice.insights.models import DailyFact

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


def rebuild(*, start: datetime.date | None = None) -> int:
    """Recompute all facts (from ``start`` on, if given); returns the number of fact rows."""
    written = 0
    with transaction.atomic():
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
    written = 0
    with transaction.atomic():
        for measure in additive_measures(measures):
            DailyFact.objects.filter(measure=measure.key, day__in=days).delete()
            written += _write(_rows(measure, daily_parts(measure, days)))
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
