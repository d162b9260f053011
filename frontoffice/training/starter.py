"""The shipped starter curriculum: read, validate and install ``frontoffice/training/curriculum/``.

One folder per course (see ``docs/training.md`` for the format): ``course.toml`` plus one
Markdown file per module and language. ``load_course(folder)`` validates everything and
raises ``CurriculumError`` naming the file and the field; ``install_curriculum()`` creates the
courses that are missing and a new published version of the ones whose ``version`` in
``course.toml`` is higher than the installed one. Installing twice changes nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

CURRICULUM_DIR = Path(__file__).resolve().parent / "curriculum"


class CurriculumError(ValueError):
    """A shipped course is malformed: ``path`` names the file, ``field`` the field."""

    def __init__(self, path: Path | str, field: str, message: str) -> None:
        self.path, self.field = str(path), field
        super().__init__(f"{path}: {field}: {message}")


@dataclass
class ModuleSpec:
    file: str
    title_en: str
    title_sv: str
    body_en: str
    body_sv: str


@dataclass
class AnswerSpec:
    correct: bool
    text_en: str
    text_sv: str
    feedback_en: str = ""
    feedback_sv: str = ""


@dataclass
class QuestionSpec:
    kind: str
    text_en: str
    text_sv: str
    answers: list[AnswerSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    slug: str
    version: int
    roles: list[str]
    measures: list[str]
    estimated_minutes: int
    certificate_months: int
    title_en: str
    title_sv: str
    summary_en: str
    summary_sv: str
    pass_percent: int
    max_attempts: int
    modules: list[ModuleSpec]
    questions: list[QuestionSpec]


def _text(path: Path, data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CurriculumError(path, f"{where}{key}", "missing or empty text")
    return value.strip()


def _int(
    path: Path,
    data: dict[str, Any],
    key: str,
    where: str,
    default: int | None = None,
    low: int = 0,
    high: int = 10_000,
) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise CurriculumError(path, f"{where}{key}", f"must be a whole number from {low} to {high}")
    return value


def load_course(folder: Path) -> CourseSpec:
    """Parse and validate one course folder."""
    from frontoffice.training.recommendations import MEASURE_KEYS

    folder = Path(folder)
    toml_path = folder / "course.toml"
    if not toml_path.exists():
        raise CurriculumError(toml_path, "course.toml", "file not found")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CurriculumError(toml_path, "toml", str(exc)) from exc
    slug = _text(toml_path, data, "slug", "")
    if slug != folder.name:
        raise CurriculumError(toml_path, "slug", f"{slug!r} differs from the folder name {folder.name!r}")
    version = _int(toml_path, data, "version", "", low=1)
    roles = data.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise CurriculumError(toml_path, "roles", "must be a list of role codes")
    measures = data.get("measures", [])
    if not isinstance(measures, list) or any(m not in MEASURE_KEYS for m in measures):
        bad = [m for m in measures if m not in MEASURE_KEYS] if isinstance(measures, list) else measures
        raise CurriculumError(toml_path, "measures", f"unknown measure keys {bad}")
    texts = {}
    for lang in ("en", "sv"):
        section = data.get(lang)
        if not isinstance(section, dict):
            raise CurriculumError(toml_path, f"[{lang}]", "section missing")
        texts[f"title_{lang}"] = _text(toml_path, section, "title", f"{lang}.")
        texts[f"summary_{lang}"] = _text(toml_path, section, "summary", f"{lang}.")
    modules_data = data.get("modules")
    if not isinstance(modules_data, list) or not modules_data:
        raise CurriculumError(toml_path, "modules", "at least one [[modules]] entry is required")
    modules = []
    for i, m in enumerate(modules_data):
        where = f"modules[{i}]."
        name = _text(toml_path, m, "file", where)
        bodies = {}
        for lang in ("en", "sv"):
            md = folder / f"{name}.{lang}.md"
            if not md.exists():
                raise CurriculumError(md, f"{where}file", "module file not found")
            body = md.read_text(encoding="utf-8").strip()
            if not body:
                raise CurriculumError(md, "content", "empty module file")
            bodies[lang] = body
        modules.append(
            ModuleSpec(
                name,
                _text(toml_path, m, "en", where),
                _text(toml_path, m, "sv", where),
                bodies["en"],
                bodies["sv"],
            )
        )
    quiz = data.get("quiz")
    if not isinstance(quiz, dict):
        raise CurriculumError(toml_path, "quiz", "section missing")
    pass_percent = _int(toml_path, quiz, "pass_percent", "quiz.", default=80, low=1, high=100)
    max_attempts = _int(toml_path, quiz, "max_attempts", "quiz.", default=3, low=0, high=100)
    questions_data = quiz.get("questions")
    if not isinstance(questions_data, list) or not questions_data:
        raise CurriculumError(toml_path, "quiz.questions", "at least one question is required")
    questions = []
    for i, q in enumerate(questions_data):
        where = f"quiz.questions[{i}]."
        kind = q.get("kind")
        if kind not in ("single", "multiple"):
            raise CurriculumError(toml_path, f"{where}kind", "must be 'single' or 'multiple'")
        answers = []
        for j, a in enumerate(q.get("answers") or []):
            awhere = f"{where}answers[{j}]."
            if not isinstance(a.get("correct"), bool):
                raise CurriculumError(toml_path, f"{awhere}correct", "must be true or false")
            answers.append(
                AnswerSpec(
                    a["correct"],
                    _text(toml_path, a, "en", awhere),
                    _text(toml_path, a, "sv", awhere),
                    str(a.get("feedback_en", "")).strip(),
                    str(a.get("feedback_sv", "")).strip(),
                )
            )
        if len(answers) < 2:
            raise CurriculumError(toml_path, f"{where}answers", "at least two answers are required")
        correct = sum(a.correct for a in answers)
        if correct == 0:
            raise CurriculumError(toml_path, f"{where}answers", "no answer is marked correct")
        if kind == "single" and correct != 1:
            raise CurriculumError(
                toml_path, f"{where}answers", "a single-choice question needs exactly one correct answer"
            )
        questions.append(
            QuestionSpec(kind, _text(toml_path, q, "en", where), _text(toml_path, q, "sv", where), answers)
        )
    return CourseSpec(
        slug=slug,
        version=version,
        roles=roles,
        measures=measures,
        estimated_minutes=_int(toml_path, data, "estimated_minutes", "", default=30, low=1),
        certificate_months=_int(toml_path, data, "certificate_months", "", default=0, low=0, high=120),
        pass_percent=pass_percent,
        max_attempts=max_attempts,
        modules=modules,
        questions=questions,
        **texts,
    )


def course_folders(root: Path | None = None) -> list[Path]:
    root = Path(root or CURRICULUM_DIR)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "course.toml").exists())


def _fill_version(spec: CourseSpec, version: Any) -> None:
    from frontoffice.training.models import Answer, Module, Question

    for name in ("title_en", "title_sv", "summary_en", "summary_sv", "pass_percent", "max_attempts"):
        setattr(version, name, getattr(spec, name))
    version.save()
    version.modules.all().delete()
    version.questions.all().delete()
    Module.objects.bulk_create(
        Module(
            version=version,
            position=i,
            title_en=m.title_en,
            title_sv=m.title_sv,
            body_en=m.body_en,
            body_sv=m.body_sv,
        )
        for i, m in enumerate(spec.modules, start=1)
    )
    for i, q in enumerate(spec.questions, start=1):
        question = Question.objects.create(
            version=version, position=i, kind=q.kind, text_en=q.text_en, text_sv=q.text_sv
        )
        Answer.objects.bulk_create(
            Answer(
                question=question,
                position=j,
                correct=a.correct,
                text_en=a.text_en,
                text_sv=a.text_sv,
                feedback_en=a.feedback_en,
                feedback_sv=a.feedback_sv,
            )
            for j, a in enumerate(q.answers, start=1)
        )


@transaction.atomic
def install_course(spec: CourseSpec, *, actor: Any = None) -> str:
    """Install one course; returns ``"created"``, ``"updated"`` or ``"unchanged"``."""
    from frontoffice.core.audit import audit_record
    from frontoffice.org.models import Role
    from frontoffice.training import services
    from frontoffice.training.models import Course, CourseVersion, RoleCurriculum

    course = Course.objects.select_for_update().filter(slug=spec.slug).first()
    if course is not None and course.shipped_version >= spec.version:
        return "unchanged"
    if course is None:
        course = services.course_create(
            actor=actor,
            slug=spec.slug,
            title_en=spec.title_en,
            title_sv=spec.title_sv,
            measures=spec.measures,
            estimated_minutes=spec.estimated_minutes,
            certificate_months=spec.certificate_months,
            source=Course.Source.SHIPPED,
            system=True,
        )
        outcome = "created"
    else:
        outcome = "updated"
    draft = services.course_draft(actor=actor, course=course, system=True)
    _fill_version(spec, draft)
    services.version_publish(actor=actor, version=CourseVersion.objects.get(pk=draft.pk), system=True)
    course.refresh_from_db()
    course.shipped_version = spec.version
    course.measures = spec.measures
    course.estimated_minutes = spec.estimated_minutes
    course.certificate_months = spec.certificate_months
    course.save(
        update_fields=["shipped_version", "measures", "estimated_minutes", "certificate_months", "updated_at"]
    )
    for role in Role.objects.filter(code__in=spec.roles):
        RoleCurriculum.objects.get_or_create(role=role, course=course)
    audit_record(
        actor=actor,
        action=f"training.curriculum.{outcome}",
        obj=course,
        changes={"shipped_version": [None, spec.version]},
    )
    return outcome


def install_curriculum(
    *, root: Path | None = None, slug: str | None = None, actor: Any = None
) -> dict[str, str]:
    """Validate every shipped course first (nothing is installed if one is broken), then
    install them. Returns ``{slug: outcome}``."""
    folders = course_folders(root)
    if slug:
        folders = [f for f in folders if f.name == slug]
        if not folders:
            raise CurriculumError(Path(root or CURRICULUM_DIR) / slug, "slug", "no such course folder")
    specs = [load_course(f) for f in folders]
    with transaction.atomic():
        return {spec.slug: install_course(spec, actor=actor) for spec in specs}
