"""Read path of the training app. Rows about people start from ``visible_to``; coaching notes
are narrowed further to the person and their line of managers (supervisor chain)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from frontoffice.core.scoping import get_visible_or_404, visible_to
from frontoffice.training.models import (
    Assignment,
    Certificate,
    CoachingAction,
    CoachingNote,
    Course,
    CourseVersion,
    Module,
    ModuleProgress,
    Observation,
    ObservationScore,
    Question,
    Rubric,
)

STATUSES = ("open", "due", "overdue", "completed")
DUE_SOON_DAYS = 14


def staff_of(user: Any) -> Any:
    from frontoffice.org.models import Staff

    return (
        Staff.objects.select_related("user", "role", "home_location", "home_region")
        .filter(user_id=getattr(user, "pk", None), active=True)
        .first()
    )


# --- courses -------------------------------------------------------------------------------


def course_list(
    *, user: Any, q: str = "", source: str = "", measure: str = "", include_drafts: bool = False
) -> QuerySet[Course]:
    qs = Course.objects.select_related("current_version").annotate(
        assigned=Count("assignments", filter=Q(assignments__cancelled_at__isnull=True), distinct=True),
        completed=Count("assignments", filter=Q(assignments__completed_at__isnull=False), distinct=True),
    )
    if not (include_drafts and user.has_perm("training.change_course")):
        qs = qs.filter(current_version__isnull=False, active=True)
    if q:
        qs = qs.filter(
            Q(slug__icontains=q) | Q(versions__title_en__icontains=q) | Q(versions__title_sv__icontains=q)
        ).distinct()
    if source:
        qs = qs.filter(source=source)
    if measure:
        qs = (
            qs.filter(measures__contains=[measure])
            if _json_contains()
            else qs.filter(measures__icontains=f'"{measure}"')
        )
    return qs.order_by("slug")


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def course_get(*, user: Any, pk: int) -> Course:
    course = Course.objects.select_related("current_version").filter(pk=pk).first()
    if course is None:
        raise Http404
    if course.current_version_id is None and not user.has_perm("training.change_course"):
        raise Http404
    return course


def version_detail(version: CourseVersion) -> CourseVersion:
    return (
        CourseVersion.objects.select_related("course")
        .prefetch_related(
            Prefetch("modules", queryset=Module.objects.prefetch_related("attachments")),
            Prefetch("questions", queryset=Question.objects.prefetch_related("answers")),
        )
        .get(pk=version.pk)
    )


def draft_of(course: Course) -> CourseVersion | None:
    return course.versions.filter(status=CourseVersion.Status.DRAFT).first()


def may_see_course_files(user: Any, course: Course) -> bool:
    """Course staff (view permission) and learners with an assignment of it."""
    if user.has_perm("training.view_course"):
        return True
    return Assignment.objects.filter(course=course, person__user_id=user.pk).exists()


# --- a learner's own training --------------------------------------------------------------


@dataclass
class MyTraining:
    open: list[Assignment]
    completed: list[Assignment]
    certificates: list[Certificate]
    observations: list[Observation]
    actions: list[CoachingAction]
    today: datetime.date


def my_training(*, user: Any) -> MyTraining:
    today = timezone.localdate()
    mine = Assignment.objects.filter(person__user_id=user.pk, cancelled_at__isnull=True).select_related(
        "course", "version", "person__user"
    )
    open_rows = list(mine.filter(completed_at__isnull=True).order_by(F("due_on").asc(nulls_last=True), "pk"))
    completed = list(mine.filter(completed_at__isnull=False).order_by("-completed_at")[:50])
    certificates = list(
        Certificate.objects.filter(person__user_id=user.pk)
        .select_related("course", "version")
        .order_by("-issued_on")[:50]
    )
    observations = list(
        Observation.objects.filter(person__user_id=user.pk)
        .select_related("rubric", "observer")
        .order_by("-observed_at")[:20]
    )
    actions = list(
        CoachingAction.objects.filter(person__user_id=user.pk, done_at__isnull=True).order_by(
            F("due_on").asc(nulls_last=True)
        )
    )
    return MyTraining(open_rows, completed, certificates, observations, actions, today)


def own_assignment(*, user: Any, pk: int) -> Assignment:
    a = (
        Assignment.objects.select_related("course", "version", "person__user")
        .filter(pk=pk, person__user_id=user.pk)
        .first()
    )
    if a is None:
        raise Http404
    return a


def assignment_state(assignment: Assignment) -> dict[str, Any]:
    """Modules with their progress, attempts used and whether the quiz is passed."""
    version = version_detail(assignment.version)
    progress = {p.module_id: p for p in ModuleProgress.objects.filter(assignment=assignment)}
    attempts = list(assignment.attempts.order_by("number"))
    modules = [(m, progress.get(m.pk)) for m in version.modules.all()]
    return {
        "version": version,
        "modules": modules,
        "modules_done": sum(1 for _, p in modules if p and p.completed_at),
        "attempts": attempts,
        "passed": any(a.passed for a in attempts),
        "attempts_left": None if not version.max_attempts else max(version.max_attempts - len(attempts), 0),
    }


# --- managers ------------------------------------------------------------------------------


def people_in_reach(*, user: Any) -> QuerySet[Any]:
    from frontoffice.org.models import Staff

    return visible_to(Staff.objects.filter(active=True), user).exclude(user_id=user.pk)


def _count_annotations(prefix: str, course: int | None, today: datetime.date) -> dict[str, Count]:
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    a_filter = Q(**{f"{prefix}cancelled_at__isnull": True})
    if course:
        a_filter &= Q(**{f"{prefix}course_id": course})
    open_f = a_filter & Q(**{f"{prefix}completed_at__isnull": True})
    rel = prefix.rstrip("_") or "pk"
    return {
        "n_open": Count(rel, filter=open_f),
        "n_overdue": Count(rel, filter=open_f & Q(**{f"{prefix}due_on__lt": today})),
        "n_due": Count(
            rel, filter=open_f & Q(**{f"{prefix}due_on__gte": today, f"{prefix}due_on__lte": soon})
        ),
        "n_completed": Count(rel, filter=a_filter & Q(**{f"{prefix}completed_at__isnull": False})),
    }


def team_overview(
    *, user: Any, q: str = "", status: str = "", course: int | None = None, location: int | None = None
) -> QuerySet[Any]:
    """The people in the manager's reach, ordered by name. With a status filter the counts are
    aggregated in SQL to filter on; otherwise ``team_counts`` adds them for one page only."""
    today = timezone.localdate()
    people = people_in_reach(user=user).select_related("user", "role", "home_location")
    if q:
        people = people.filter(
            Q(user__first_name__icontains=q) | Q(user__last_name__icontains=q) | Q(user__email__icontains=q)
        )
    if location:
        people = people.filter(home_location_id=location)
    if status:
        people = people.annotate(**_count_annotations("training_assignments__", course, today))
    if status == "overdue":
        people = people.filter(n_overdue__gt=0)
    elif status == "due":
        people = people.filter(n_due__gt=0)
    elif status == "open":
        people = people.filter(n_open__gt=0)
    elif status == "completed":
        people = people.filter(n_completed__gt=0, n_open=0)
    return people.order_by("user__first_name", "user__last_name", "pk")


def team_counts(people: list[Any], *, course: int | None = None) -> list[Any]:
    """Set ``n_open``, ``n_due``, ``n_overdue`` and ``n_completed`` on ``people`` (one page) with
    one aggregate query."""
    if not people or hasattr(people[0], "n_open"):
        return people
    today = timezone.localdate()
    rows = (
        Assignment.objects.filter(person_id__in=[p.pk for p in people])
        .values("person_id")
        .annotate(**_count_annotations("", course, today))
    )
    by_person = {r["person_id"]: r for r in rows}
    for p in people:
        r = by_person.get(p.pk, {})
        for key in ("n_open", "n_due", "n_overdue", "n_completed"):
            setattr(p, key, r.get(key, 0))
    return people


def team_totals(*, user: Any, course: int | None = None) -> dict[str, int]:
    today = timezone.localdate()
    qs = visible_to(Assignment.objects.filter(cancelled_at__isnull=True, person__active=True), user).exclude(
        person__user_id=user.pk
    )
    if course:
        qs = qs.filter(course_id=course)
    return qs.aggregate(
        open=Count("pk", filter=Q(completed_at__isnull=True)),
        overdue=Count("pk", filter=Q(completed_at__isnull=True, due_on__lt=today)),
        completed=Count("pk", filter=Q(completed_at__isnull=False)),
    )


def person_get(*, user: Any, pk: int) -> Any:
    from frontoffice.org.models import Staff

    return get_visible_or_404(Staff.objects.select_related("user", "role", "supervisor__user"), user, pk=pk)


def person_assignments(*, user: Any, person: Any) -> QuerySet[Assignment]:
    return (
        visible_to(Assignment.objects.filter(person=person), user)
        .select_related("course", "version")
        .order_by(F("completed_at").desc(nulls_first=True), "due_on")
    )


def assignment_list(
    *, user: Any, course: Course | None = None, status: str = "", q: str = ""
) -> QuerySet[Assignment]:
    today = timezone.localdate()
    qs = visible_to(Assignment.objects.filter(cancelled_at__isnull=True), user).select_related(
        "course__current_version", "version", "person__user"
    )
    if course is not None:
        qs = qs.filter(course=course)
    if status == "open":
        qs = qs.filter(completed_at__isnull=True)
    elif status == "overdue":
        qs = qs.filter(completed_at__isnull=True, due_on__lt=today)
    elif status == "completed":
        qs = qs.filter(completed_at__isnull=False)
    if q:
        qs = qs.filter(Q(person__user__first_name__icontains=q) | Q(person__user__last_name__icontains=q))
    return qs.order_by("-created_at", "-pk")


# --- observations --------------------------------------------------------------------------


def observation_list(*, user: Any, person: Any = None, rubric: int | None = None) -> QuerySet[Observation]:
    """A manager's view (``training.view_observation``, their reach) plus the user's own."""
    own = Q(person__user_id=user.pk)
    if user.has_perm("training.view_observation"):
        qs = Observation.objects.filter(
            Q(pk__in=visible_to(Observation.objects.all(), user).values("pk")) | own
        )
    else:
        qs = Observation.objects.filter(own)
    if person is not None:
        qs = qs.filter(person=person)
    if rubric:
        qs = qs.filter(rubric_id=rubric)
    return qs.select_related("person__user", "rubric", "observer").order_by("-observed_at", "-pk")


def observation_get(*, user: Any, pk: int) -> Observation:
    obs = observation_list(user=user).filter(pk=pk).first()
    if obs is None:
        raise Http404
    return obs


def observation_scores(observation: Observation) -> list[ObservationScore]:
    return list(observation.scores.select_related("criterion").order_by("criterion__position"))


def criterion_trends(*, person: Any, rubric: Rubric, limit: int = 12) -> dict[str, Any]:
    """Scores per criterion over the person's last ``limit`` observations with this rubric."""
    observations = list(
        Observation.objects.filter(person=person, rubric=rubric).order_by("-observed_at")[:limit]
    )[::-1]
    scores = ObservationScore.objects.filter(observation__in=observations).select_related("criterion")
    table: dict[int, dict[int, int]] = {}
    for s in scores:
        table.setdefault(s.criterion_id, {})[s.observation_id] = s.score
    criteria = list(rubric.criteria.all())
    rows = []
    for c in criteria:
        values = [table.get(c.pk, {}).get(o.pk) for o in observations]
        present = [v for v in values if v is not None]
        first, last = (present[0], present[-1]) if present else (None, None)
        rows.append({"criterion": c, "values": values, "change": (last - first) if present else None})
    return {"observations": observations, "rows": rows}


def rubrics() -> QuerySet[Rubric]:
    return Rubric.objects.filter(active=True).prefetch_related("criteria").order_by("code")


# --- coaching (line of managers only) ------------------------------------------------------


def line_people_ids(*, user: Any) -> set[int]:
    """Staff ids whose coaching ``user`` may read: themself and everyone below them in the
    supervisor chain (one query per level)."""
    from frontoffice.org.models import Staff

    me = staff_of(user)
    if me is None:
        return set()
    seen = {me.pk}
    frontier = {me.pk}
    while frontier:
        frontier = set(Staff.objects.filter(supervisor_id__in=frontier).values_list("pk", flat=True)) - seen
        seen |= frontier
    return seen


def coaching_notes(*, user: Any, person: Any) -> list[CoachingNote]:
    if person.pk not in line_people_ids(user=user):
        raise Http404
    return list(
        CoachingNote.objects.filter(person=person)
        .select_related("author")
        .prefetch_related("actions")
        .order_by("-held_on", "-pk")
    )


def coaching_action_get(*, user: Any, pk: int) -> CoachingAction:
    action = CoachingAction.objects.select_related("person", "note").filter(pk=pk).first()
    if action is None or action.person_id not in line_people_ids(user=user):
        raise Http404
    return action


def coaching_actions(*, user: Any) -> QuerySet[CoachingAction]:
    return (
        CoachingAction.objects.filter(person_id__in=line_people_ids(user=user))
        .select_related("person__user")
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )


def has_open_assignment(person: Any, course: Course) -> bool:
    return Assignment.objects.filter(
        person=person, course=course, completed_at__isnull=True, cancelled_at__isnull=True
    ).exists()
