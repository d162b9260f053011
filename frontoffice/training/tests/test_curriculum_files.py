"""The shipped starter curriculum files follow the format of docs/training.md.

Plain file checks, no database: every ``course.toml`` parses with ``tomllib``; every text has
English and Swedish; every module file exists in both languages and has real content; every quiz
question has a correct answer (single choice: exactly one) and feedback for every answer; roles
are shipped role codes and measures are known measure keys; all twelve courses are present.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from frontoffice.org.roles import DEFAULT_ROLES

CURRICULUM = Path(__file__).resolve().parents[1] / "curriculum"

EXPECTED_SLUGS = {
    "greeting-visitors",
    "waiting-room",
    "qualifying-prospects",
    "first-contact",
    "creating-interest-and-closing",
    "repeat-customers",
    "answering-rfps",
    "face-to-face-meetings",
    "posting-to-standards",
    "invoice-line-questions",
    "discounted-customer-profiles",
    "professional-communication",
}

MEASURES = {
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
}

LANGS = ("en", "sv")
MIN_MODULE_WORDS = 250  # the modules are written to 300-600 words; Swedish runs a little shorter
MAX_MODULE_WORDS = 700
RAW_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(\s[^>]*)?>")
MODULE_FILE = re.compile(r"^\d{2}-[a-z0-9]+(-[a-z0-9]+)*$")


def course_folders() -> list[Path]:
    return sorted(p for p in CURRICULUM.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def load(folder: Path) -> dict[str, Any]:
    return tomllib.loads((folder / "course.toml").read_text(encoding="utf-8"))


def has_text(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    return isinstance(value, str) and bool(value.strip())


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def test_all_twelve_courses_are_shipped() -> None:
    slugs = {p.name for p in course_folders()}
    assert slugs >= EXPECTED_SLUGS, f"missing courses: {sorted(EXPECTED_SLUGS - slugs)}"


@pytest.fixture(params=sorted(EXPECTED_SLUGS))
def course(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    folder = CURRICULUM / request.param
    if not (folder / "course.toml").exists():
        pytest.fail(f"{folder}/course.toml not found")
    return folder, load(folder)


def test_course_header(course: tuple[Path, dict[str, Any]]) -> None:
    folder, data = course
    assert data.get("slug") == folder.name
    assert isinstance(data.get("version"), int) and data["version"] >= 1
    roles = data.get("roles")
    assert isinstance(roles, list) and roles, "roles must be a non-empty list"
    assert set(roles) <= set(DEFAULT_ROLES), f"unknown roles {set(roles) - set(DEFAULT_ROLES)}"
    assert len(roles) == len(set(roles))
    measures = data.get("measures")
    assert isinstance(measures, list) and measures, "measures must be a non-empty list"
    assert set(measures) <= MEASURES, f"unknown measures {set(measures) - MEASURES}"
    minutes = data.get("estimated_minutes")
    assert isinstance(minutes, int) and 5 <= minutes <= 240
    months = data.get("certificate_months")
    assert isinstance(months, int) and 0 <= months <= 120
    for lang in LANGS:
        section = data.get(lang)
        assert isinstance(section, dict), f"[{lang}] missing"
        assert has_text(section, "title"), f"[{lang}].title"
        assert has_text(section, "summary"), f"[{lang}].summary"
    assert data["en"]["title"] != data["sv"]["title"]


def test_modules_exist_in_both_languages(course: tuple[Path, dict[str, Any]]) -> None:
    folder, data = course
    modules = data.get("modules")
    assert isinstance(modules, list) and 3 <= len(modules) <= 4, "a course has 3-4 modules"
    names = [m.get("file") for m in modules]
    assert len(names) == len(set(names)), "module files must be unique"
    for i, m in enumerate(modules, start=1):
        name = m.get("file")
        assert isinstance(name, str) and MODULE_FILE.match(name), f"bad module file name {name!r}"
        assert name.startswith(f"{i:02d}-"), f"{name}: modules are numbered in order"
        for lang in LANGS:
            assert has_text(m, lang), f"module {name}: title {lang} missing"
            path = folder / f"{name}.{lang}.md"
            assert path.exists(), f"{path} not found"
            body = path.read_text(encoding="utf-8")
            n = words(body)
            assert MIN_MODULE_WORDS <= n <= MAX_MODULE_WORDS, f"{path}: {n} words"
            assert body.lstrip().startswith("#"), f"{path}: starts with a heading"
            assert not RAW_HTML.search(body), f"{path}: raw HTML is not allowed"
            assert "![" not in body, f"{path}: no images"
        assert m["en"] != m["sv"], f"module {name}: the Swedish title is a copy of the English"


def test_no_stray_module_files(course: tuple[Path, dict[str, Any]]) -> None:
    folder, data = course
    declared = {f"{m['file']}.{lang}.md" for m in data["modules"] for lang in LANGS}
    on_disk = {p.name for p in folder.glob("*.md")}
    assert on_disk == declared, f"undeclared files {sorted(on_disk - declared)}"


def test_quiz(course: tuple[Path, dict[str, Any]]) -> None:
    folder, data = course
    quiz = data.get("quiz")
    assert isinstance(quiz, dict), "[quiz] missing"
    assert isinstance(quiz.get("pass_percent"), int) and 1 <= quiz["pass_percent"] <= 100
    assert isinstance(quiz.get("max_attempts"), int) and quiz["max_attempts"] >= 0
    questions = quiz.get("questions")
    assert isinstance(questions, list) and 5 <= len(questions) <= 6, "a quiz has 5-6 questions"
    kinds = {q.get("kind") for q in questions}
    assert kinds == {"single", "multiple"}, "mix single and multiple choice"
    for i, q in enumerate(questions):
        where = f"{folder.name} question {i + 1}"
        assert q.get("kind") in ("single", "multiple"), where
        for lang in LANGS:
            assert has_text(q, lang), f"{where}: text {lang}"
        answers = q.get("answers")
        assert isinstance(answers, list) and len(answers) >= 2, f"{where}: at least two answers"
        correct = 0
        for j, a in enumerate(answers):
            awhere = f"{where} answer {j + 1}"
            assert isinstance(a.get("correct"), bool), f"{awhere}: correct must be true/false"
            correct += a["correct"]
            for key in ("en", "sv", "feedback_en", "feedback_sv"):
                assert has_text(a, key), f"{awhere}: {key} missing"
        assert correct >= 1, f"{where}: no correct answer"
        if q["kind"] == "single":
            assert correct == 1, f"{where}: single choice needs exactly one correct answer"
        else:
            assert correct < len(answers), f"{where}: not every answer may be correct"
