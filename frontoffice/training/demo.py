"""Demo training data: the starter curriculum and rubrics, a few assignments, one completed
course, an observation and a one-to-one, created through the services (idempotent)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from frontoffice.org.models import Staff
from frontoffice.training import services
from frontoffice.training.default_rubrics import install_default_rubrics
from frontoffice.training.models import Assignment, CoachingNote, Course, Observation, Rubric
from frontoffice.training.starter import install_curriculum

ASSIGNMENTS = [
    # (manager, learner, course slug, due in days)
    ("office", "reception", "greeting-visitors", 21),
    ("office", "reception", "waiting-room", 30),
    ("rsm", "rep", "qualifying-prospects", 14),
    ("rsm", "rep", "first-contact", 30),
    ("cfo", "clerk", "posting-to-standards", 21),
    ("cfo", "clerk", "invoice-line-questions", 30),
]


def _complete(user: Any, assignment: Assignment) -> None:
    for module in assignment.version.modules.all():
        services.module_complete(actor=user, assignment=assignment, module=module)
    answers = {
        q.pk: [a.pk for a in q.answers.all() if a.correct]
        for q in assignment.version.questions.prefetch_related("answers")
    }
    services.quiz_submit(actor=user, assignment=assignment, answers=answers)


def seed_training(company: Any, users: dict[str, Any]) -> dict[str, int]:
    outcomes = install_curriculum()
    rubrics = install_default_rubrics()
    staff = {s.user.username: s for s in Staff.objects.filter(user__in=users.values()).select_related("user")}
    today = timezone.localdate()
    assigned = 0
    for manager, learner, slug, days in ASSIGNMENTS:
        course = Course.objects.filter(slug=slug, current_version__isnull=False).first()
        if course is None or manager not in users or learner not in staff:
            continue
        if Assignment.objects.filter(course=course, person=staff[learner]).exists():
            continue
        assigned += len(
            services.course_assign(
                actor=users[manager],
                course=course,
                people=[staff[learner]],
                due_on=today + datetime.timedelta(days=days),
            )
        )
    first = (
        Assignment.objects.filter(person=staff.get("reception"), completed_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if (
        first is not None
        and not Assignment.objects.filter(person=staff["reception"], completed_at__isnull=False).exists()
    ):
        _complete(users["reception"], first)
    rubric = Rubric.objects.filter(code="greeting-at-the-desk").first()
    if (
        rubric
        and "office" in users
        and "reception" in staff
        and not Observation.objects.filter(person=staff["reception"]).exists()
    ):
        criteria = list(rubric.criteria.order_by("position"))
        services.observation_record(
            actor=users["office"],
            person=staff["reception"],
            rubric=rubric,
            scores={c.pk: score for c, score in zip(criteria, [4, 3, 3, 2], strict=False)},
            comments="Varmt bemötande. Berätta tydligare hur lång väntetiden blir.",
        )
    if "rsm" in users and "rep" in staff and not CoachingNote.objects.filter(person=staff["rep"]).exists():
        services.coaching_note_create(
            actor=users["rsm"],
            person=staff["rep"],
            held_on=today,
            notes="Gick igenom veckans samtal. Bra öppningar; fler frågor om beslutsprocessen behövs.",
            actions=[
                ("Ställ frågan om beslutsfattare i varje behovsanalys", today + datetime.timedelta(days=14))
            ],
        )
    return {"courses": len(outcomes), "rubrics": rubrics, "assignments": assigned}
