"""Training fixtures: the personas' supervisor lines and the small fixture course
``desk-basics`` (two modules, a two-question quiz) installed through the curriculum loader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from frontoffice.pricing.tests.conftest import billing, catalogue, customers, ledger  # noqa: F401 - gate tests

FIXTURE_CURRICULUM = Path(__file__).resolve().parent / "fixtures" / "curriculum"


@dataclass
class Training:
    course: Any
    staff: dict[str, Any]

    def answers(self, *, correct: bool = True) -> dict[int, list[int]]:
        """Quiz answers for the current version: all right, or all wrong."""
        result = {}
        for q in self.course.current_version.questions.prefetch_related("answers"):
            result[q.pk] = [a.pk for a in q.answers.all() if a.correct == correct][
                : 1 if q.kind == "single" else None
            ]
        return result


def set_lines(org: Any) -> dict[str, Any]:
    """receptionist → office_manager; rep_north → rsm_north → nsm; rep_south → nsm."""
    from frontoffice.org.models import Staff

    staff = {name: Staff.objects.get(user=user) for name, user in org.people.items() if name != "nobody"}
    for person, supervisor in (
        ("receptionist", "office_manager"),
        ("rep_north", "rsm_north"),
        ("rsm_north", "nsm"),
        ("rep_south", "nsm"),
        ("clerk", "finance_manager"),
    ):
        staff[person].supervisor = staff[supervisor]
        staff[person].save(update_fields=["supervisor"])
    return staff


@pytest.fixture
def training(org: Any) -> Training:
    from frontoffice.training.models import Course
    from frontoffice.training.starter import install_curriculum

    staff = set_lines(org)
    install_curriculum(root=FIXTURE_CURRICULUM)
    course = Course.objects.select_related("current_version").get(slug="desk-basics")
    return Training(course, staff)


def complete(course: Any, user: Any, assignment: Any, *, correct: bool = True) -> Any:
    """Complete every module and submit the quiz as ``user``."""
    from frontoffice.training import services

    for module in assignment.version.modules.all():
        services.module_complete(actor=user, assignment=assignment, module=module)
    answers = {}
    for q in assignment.version.questions.prefetch_related("answers"):
        answers[q.pk] = [a.pk for a in q.answers.all() if a.correct == correct][
            : 1 if q.kind == "single" else None
        ]
    return services.quiz_submit(actor=user, assignment=assignment, answers=answers)
