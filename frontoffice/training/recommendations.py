"""Training where it matters: measures, recommendations and effectiveness.

Measures are supplied by other apps (the oversight app registers the real ones):
``register_measure_provider(key, fn)`` where ``fn(person_user, start, end)`` returns
``(value, target, direction)`` for the half-open period ``[start, end)``; ``direction`` is
``"higher"`` (bigger is better) or ``"lower"``; ``value`` or ``target`` may be ``None`` (no
data / no target).

- A person **lags** on a measure when the value is on the wrong side of its target over the
  period. Each active course linked to that measure is then **recommended** to the manager,
  unless the person already has it open or holds a valid certificate of it.
- **Effectiveness** of a course: for each person who completed it, the measure over ``days``
  before the completion versus ``days`` after; against the people in the manager's reach who
  did not complete it, over the same two windows around the completers' median completion
  date. Means and sample sizes (people with a value in both windows).
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Min, Q
from django.utils import timezone

MEASURE_KEYS = (
    "lead_response_time",
    "activities_per_day",
    "qualification_rate",
    "win_rate",
    "sales_cycle_length",
    "revenue",
    "visits_handled",
    "waiting_time",
    "no_show_rate",
    "invoices_issued",
    "questions_resolved",
    "question_resolution_time",
    "dso",
    "csat",
    "nps",
    "complaints",
    "observation_score",
    "posting_compliance",
    "training_on_time",
)

MeasureFn = Callable[[Any, datetime.date, datetime.date], "tuple[Any, Any, str]"]
_providers: dict[str, MeasureFn] = {}


def register_measure_provider(key: str, fn: MeasureFn) -> None:
    if key not in MEASURE_KEYS:
        raise ValueError(f"unknown measure key {key!r}")
    _providers[key] = fn


def unregister_measure_provider(key: str) -> None:
    _providers.pop(key, None)


def measure_provider(key: str) -> MeasureFn | None:
    return _providers.get(key)


def lags(value: Any, target: Any, direction: str) -> bool:
    if value is None or target is None:
        return False
    return value < target if direction == "higher" else value > target


@dataclass(frozen=True)
class Recommendation:
    person: Any
    course: Any
    measure: str
    value: Any
    target: Any
    direction: str


def recommendations_for(
    *, user: Any, start: datetime.date, end: datetime.date, people: Any = None
) -> list[Recommendation]:
    """Courses to recommend for the people in ``user``'s reach (or ``people``) over the period."""
    from frontoffice.core.scoping import visible_to
    from frontoffice.org.models import Staff
    from frontoffice.training.models import Assignment, Certificate, Course

    courses = [
        c
        for c in Course.objects.filter(active=True, current_version__isnull=False).select_related(
            "current_version"
        )
        if any(m in _providers for m in c.measures)
    ]
    if not courses:
        return []
    if people is None:
        people = visible_to(Staff.objects.filter(active=True), user).exclude(user_id=user.pk)
    people = list(people.select_related("user"))
    ids = [p.pk for p in people]
    today = timezone.localdate()
    open_pairs = set(
        Assignment.objects.filter(
            person_id__in=ids, completed_at__isnull=True, cancelled_at__isnull=True
        ).values_list("person_id", "course_id")
    )
    cert_pairs = set(
        Certificate.objects.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today), person_id__in=ids
        ).values_list("person_id", "course_id")
    )
    result = []
    cache: dict[tuple[int, str], tuple[Any, Any, str]] = {}
    for person in people:
        for course in courses:
            if (person.pk, course.pk) in open_pairs or (person.pk, course.pk) in cert_pairs:
                continue
            for key in course.measures:
                fn = _providers.get(key)
                if fn is None:
                    continue
                if (person.pk, key) not in cache:
                    cache[(person.pk, key)] = fn(person.user, start, end)
                value, target, direction = cache[(person.pk, key)]
                if lags(value, target, direction):
                    result.append(Recommendation(person, course, key, value, target, direction))
                    break
    return result


@dataclass(frozen=True)
class Group:
    n: int
    before: Decimal | None
    after: Decimal | None

    @property
    def change(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class Effect:
    measure: str
    direction: str | None
    completed: Group
    not_completed: Group


def _mean(values: list[Any]) -> Decimal | None:
    if not values:
        return None
    return (sum(Decimal(str(v)) for v in values) / len(values)).quantize(Decimal("0.01"))


def effectiveness(*, user: Any, course: Any, days: int = 90, people: Any = None) -> list[Effect]:
    """Per linked measure: completers before vs after completion, against non-completers."""
    from frontoffice.core.scoping import visible_to
    from frontoffice.org.models import Staff
    from frontoffice.training.models import Assignment

    if people is None:
        people = visible_to(Staff.objects.all(), user)
    people = {p.pk: p for p in people.select_related("user")}
    firsts = dict(
        Assignment.objects.filter(course=course, completed_at__isnull=False, person_id__in=list(people))
        .values("person_id")
        .annotate(first=Min("completed_at"))
        .values_list("person_id", "first")
    )
    window = datetime.timedelta(days=days)
    completion_days = {pid: timezone.localtime(at).date() for pid, at in firsts.items()}
    if completion_days:
        anchor = sorted(completion_days.values())[(len(completion_days) - 1) // 2]  # lower median
    else:
        anchor = timezone.localdate() - window
    effects = []
    for key in course.measures:
        fn = _providers.get(key)
        if fn is None:
            continue
        direction = None
        groups = []
        for members in (
            [(people[pid], day) for pid, day in completion_days.items()],
            [(p, anchor) for pid, p in people.items() if pid not in completion_days],
        ):
            before, after = [], []
            for person, day in members:
                b = fn(person.user, day - window, day)
                a = fn(person.user, day, day + window)
                direction = direction or b[2] or a[2]
                if b[0] is not None and a[0] is not None:
                    before.append(b[0])
                    after.append(a[0])
            groups.append(Group(len(before), _mean(before), _mean(after)))
        effects.append(Effect(key, direction, groups[0], groups[1]))
    return effects


def median(values: list[Any]) -> Any:
    return statistics.median(values) if values else None
