"""Courses: curriculum loader, versions, quiz validation, scoring, completion, uploads,
Markdown sanitising."""

from __future__ import annotations

import datetime
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from frontoffice.core.models import AuditEntry
from frontoffice.org.models import Role
from frontoffice.training import services
from frontoffice.training.models import (
    Assignment,
    Attachment,
    Certificate,
    Course,
    CourseVersion,
    QuizAttempt,
    RoleCurriculum,
)
from frontoffice.training.rendering import render_markdown
from frontoffice.training.services import AnswerInput
from frontoffice.training.starter import CurriculumError, install_curriculum, load_course
from frontoffice.training.tests.conftest import FIXTURE_CURRICULUM, complete

pytestmark = pytest.mark.django_db


def _assign(training, org, who="receptionist", manager="office_manager"):
    return services.course_assign(
        actor=org.user(manager), course=training.course, people=[training.staff[who]], due_on=None
    )[0]


# --- curriculum loader ---------------------------------------------------------------------


def test_loader_installs_course_in_both_languages(training):
    course = training.course
    version = course.current_version
    assert course.source == "shipped" and course.shipped_version == 1
    assert course.measures == ["csat", "waiting_time"] and course.certificate_months == 12
    assert version.status == "published" and version.number == 1
    assert (version.title_en, version.title_sv) == ("Desk basics", "Grunderna i receptionen")
    assert [m.title_sv for m in version.modules.all()] == ["Att öppna receptionen", "Den första hälsningen"]
    assert version.questions.count() == 2 and version.pass_percent == 50 and version.max_attempts == 2
    assert RoleCurriculum.objects.filter(course=course, role__code="receptionist").exists()


def test_loader_is_idempotent_and_a_higher_version_makes_a_new_version(training, tmp_path):
    assert install_curriculum(root=FIXTURE_CURRICULUM) == {"desk-basics": "unchanged"}
    assert CourseVersion.objects.filter(course=training.course).count() == 1
    root = tmp_path / "curriculum"
    shutil.copytree(FIXTURE_CURRICULUM, root)
    toml = root / "desk-basics" / "course.toml"
    toml.write_text(
        toml.read_text()
        .replace("version = 1", "version = 2")
        .replace('title = "Desk basics"', 'title = "Desk basics, revised"')
    )
    assert install_curriculum(root=root) == {"desk-basics": "updated"}
    course = Course.objects.get(slug="desk-basics")
    assert course.current_version.number == 2 and course.current_version.title_en == "Desk basics, revised"
    assert CourseVersion.objects.get(course=course, number=1).status == "retired"
    assert install_curriculum(root=root) == {"desk-basics": "unchanged"}


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda s: s.replace("correct = true", "correct = false"), "quiz.questions[0].answers"),
        (lambda s: s.replace('sv = "Att öppna receptionen"\n', ""), "modules[0].sv"),
        (lambda s: s.replace('"csat"', '"happiness"'), "measures"),
        (lambda s: s.replace('kind = "single"', 'kind = "essay"'), "quiz.questions[0].kind"),
        (lambda s: s.replace('slug = "desk-basics"', 'slug = "other"'), "slug"),
    ],
)
def test_loader_errors_name_file_and_field(tmp_path, edit, field):
    folder = tmp_path / "desk-basics"
    shutil.copytree(FIXTURE_CURRICULUM / "desk-basics", folder)
    toml = folder / "course.toml"
    toml.write_text(edit(toml.read_text()))
    with pytest.raises(CurriculumError) as exc:
        load_course(folder)
    assert exc.value.field == field
    assert exc.value.path.endswith("course.toml")


def test_loader_missing_module_file_names_the_file(tmp_path, db):
    folder = tmp_path / "desk-basics"
    shutil.copytree(FIXTURE_CURRICULUM / "desk-basics", folder)
    (folder / "02-greeting.sv.md").unlink()
    with pytest.raises(CurriculumError) as exc:
        install_curriculum(root=tmp_path)
    assert exc.value.path.endswith("02-greeting.sv.md")
    assert not Course.objects.exists()


def test_shipped_curriculum_validates():
    """Every course the product ships parses and validates (the folder may still be empty)."""
    from frontoffice.training.starter import course_folders

    for folder in course_folders():
        load_course(folder)


def test_install_command(org, capsys):
    from django.core.management import call_command

    call_command("training_install_curriculum")
    out = capsys.readouterr().out
    assert "rubrics created" in out
    from frontoffice.training.models import Rubric

    assert Rubric.objects.count() == 4
    assert set(Rubric.objects.values_list("code", flat=True)) == {
        "greeting-at-the-desk",
        "discovery-call",
        "face-to-face-meeting",
        "invoice-question-call",
    }


# --- building and versions -----------------------------------------------------------------


def test_build_a_course_and_quiz_without_correct_answer_is_refused(org):
    manager = org.user("office_manager")
    course = services.course_create(actor=manager, slug="phones", title_en="Phones", title_sv="Telefon")
    draft = course.versions.get()
    services.module_save(
        actor=manager, version=draft, data={"title_en": "Pick up", "body_en": "Within three rings."}
    )
    with pytest.raises(ValidationError) as exc:
        services.question_save(
            actor=manager,
            version=draft,
            kind="single",
            text_en="When?",
            answers=[AnswerInput("Three rings"), AnswerInput("Ten rings")],
        )
    assert exc.value.error_dict["answers"][0].code == "no_correct_answer"
    with pytest.raises(ValidationError) as exc:
        services.question_save(
            actor=manager,
            version=draft,
            kind="single",
            text_en="When?",
            answers=[AnswerInput("Three", correct=True), AnswerInput("Ten", correct=True)],
        )
    assert exc.value.error_dict["answers"][0].code == "several_correct"
    assert draft.questions.count() == 0
    services.question_save(
        actor=manager,
        version=draft,
        kind="multiple",
        text_en="Which?",
        answers=[AnswerInput("A", correct=True), AnswerInput("B")],
    )
    services.version_publish(actor=manager, version=draft)
    course.refresh_from_db()
    assert course.current_version_id == draft.pk


def test_publish_needs_modules(org):
    manager = org.user("office_manager")
    course = services.course_create(actor=manager, slug="empty", title_en="Empty")
    with pytest.raises(ValidationError) as exc:
        services.version_publish(actor=manager, version=course.versions.get())
    assert exc.value.error_list[0].code == "no_modules"


def test_receptionist_cannot_build(org):
    with pytest.raises(PermissionDenied):
        services.course_create(actor=org.user("receptionist"), slug="x", title_en="X")


def test_editing_published_course_makes_new_version_and_keeps_old_completions(training, org):
    manager, learner = org.user("office_manager"), org.user("receptionist")
    old_version = training.course.current_version
    assignment = _assign(training, org)
    complete(training.course, learner, assignment)
    assignment.refresh_from_db()
    assert assignment.completed_at is not None

    with pytest.raises(ValidationError):  # a published version is never edited in place
        services.module_save(actor=manager, version=old_version, data={"title_en": "X", "body_en": "Y"})
    services.course_update(actor=manager, course=training.course, data={"title_en": "Desk basics 2"})
    draft = training.course.versions.get(status="draft")
    assert draft.number == 2 and draft.modules.count() == 2 and draft.questions.count() == 2
    module = draft.modules.first()
    services.module_save(actor=manager, version=draft, module=module, data={"body_en": "New text"})
    services.version_publish(actor=manager, version=draft)
    training.course.refresh_from_db()
    assert training.course.current_version.number == 2
    old_version.refresh_from_db()
    assert old_version.status == "retired"
    assert old_version.modules.first().body_en.startswith("# Opening")

    assignment.refresh_from_db()
    certificate = Certificate.objects.get(assignment=assignment)
    assert assignment.version_id == old_version.pk and certificate.version_id == old_version.pk
    assert QuizAttempt.objects.get(assignment=assignment).version_id == old_version.pk
    # The next assignment is on the new version.
    again = _assign(training, org)
    assert again.version_id == draft.pk


# --- quiz scoring --------------------------------------------------------------------------


def test_quiz_scoring_pass_fail_and_attempt_limit(training, org):
    learner = org.user("receptionist")
    assignment = _assign(training, org)
    version = assignment.version
    single, multiple = list(version.questions.prefetch_related("answers"))
    right_single = [a.pk for a in single.answers.all() if a.correct]
    wrong_single = [a.pk for a in single.answers.all() if not a.correct]
    multiple_correct = [a.pk for a in multiple.answers.all() if a.correct]

    # Multiple choice counts only with exactly the right set: one of two right answers is wrong.
    result = services.quiz_submit(
        actor=learner,
        assignment=assignment,
        answers={single.pk: wrong_single, multiple.pk: multiple_correct[:1]},
    )
    assert result.attempt.score_percent == Decimal("0.00") and not result.attempt.passed
    assert result.attempts_left == 1
    assert result.feedback[single.pk][0][0].feedback_en == "The visitor feels ignored."

    result = services.quiz_submit(
        actor=learner,
        assignment=assignment,
        answers={single.pk: right_single, multiple.pk: multiple_correct[:1]},
    )
    assert result.attempt.score_percent == Decimal("50.00") and result.attempt.passed  # pass mark 50 %
    assignment.refresh_from_db()
    assert assignment.completed_at is None  # modules not read yet


def test_attempts_run_out(training, org):
    learner = org.user("receptionist")
    assignment = _assign(training, org)
    wrong = training.answers(correct=False)
    services.quiz_submit(actor=learner, assignment=assignment, answers=wrong)
    services.quiz_submit(actor=learner, assignment=assignment, answers=wrong)
    with pytest.raises(ValidationError) as exc:
        services.quiz_submit(actor=learner, assignment=assignment, answers=training.answers())
    assert exc.value.code == "no_attempts_left"
    assert QuizAttempt.objects.filter(assignment=assignment).count() == 2


def test_unanswered_question_is_refused_and_nothing_saved(training, org):
    learner = org.user("receptionist")
    assignment = _assign(training, org)
    answers = training.answers()
    answers.pop(next(iter(answers)))
    with pytest.raises(ValidationError) as exc:
        services.quiz_submit(actor=learner, assignment=assignment, answers=answers)
    assert next(iter(exc.value.error_dict.values()))[0].code == "unanswered"
    assert not QuizAttempt.objects.exists()


def test_only_the_learner_works_on_an_assignment(training, org):
    assignment = _assign(training, org)
    with pytest.raises(PermissionDenied):
        services.quiz_submit(
            actor=org.user("office_manager"), assignment=assignment, answers=training.answers()
        )


def test_completion_score_time_and_certificate(training, org):
    learner = org.user("receptionist")
    assignment = _assign(training, org)
    modules = list(assignment.version.modules.all())
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        services.module_view(actor=learner, assignment=assignment, module=modules[0])
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 10, tzinfo=datetime.UTC), tick=False):
        services.module_complete(actor=learner, assignment=assignment, module=modules[0])
        services.module_view(actor=learner, assignment=assignment, module=modules[1])
    with time_machine.travel(datetime.datetime(2026, 3, 2, 14, 0, tzinfo=datetime.UTC), tick=False):
        services.module_complete(actor=learner, assignment=assignment, module=modules[1])  # capped at 2 h
        services.quiz_submit(actor=learner, assignment=assignment, answers=training.answers())
    assignment.refresh_from_db()
    assert assignment.completed_at is not None
    assert assignment.score_percent == Decimal("100.00")
    assert assignment.time_spent_seconds == 10 * 60 + 2 * 3600
    cert = Certificate.objects.get(assignment=assignment)
    assert cert.issued_on == datetime.date(2026, 3, 2) and cert.expires_on == datetime.date(2027, 3, 2)
    assert AuditEntry.objects.filter(action="training.assignment.completed").count() == 1


# --- uploads and Markdown ------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def draft_module(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = org.user("office_manager")
    course = services.course_create(actor=manager, slug="media", title_en="Media")
    return services.module_save(
        actor=manager, version=course.versions.get(), data={"title_en": "M", "body_en": "B"}
    )


def test_upload_image_and_file(org, draft_module):
    manager = org.user("office_manager")
    att = services.attachment_add(
        actor=manager, module=draft_module, upload=SimpleUploadedFile("desk.png", PNG), kind="image"
    )
    assert att.content_type == "image/png" and Path(att.file.path).exists()
    doc = services.attachment_add(
        actor=manager, module=draft_module, upload=SimpleUploadedFile("guide.pdf", b"%PDF-1.7 x")
    )
    assert doc.kind == "file"


@pytest.mark.parametrize(
    ("name", "content", "kind", "code"),
    [
        ("run.exe", b"MZ....", "file", "file_type"),
        ("photo.pdf", b"%PDF-1", "image", "file_type"),
        ("fake.png", b"<html>", "image", "file_content"),
        ("empty.txt", b"", "file", "file_empty"),
    ],
)
def test_bad_uploads_are_refused(org, draft_module, name, content, kind, code, settings):
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(
            actor=org.user("office_manager"),
            module=draft_module,
            upload=SimpleUploadedFile(name, content),
            kind=kind,
        )
    assert exc.value.error_dict["file"][0].code == code
    assert not Attachment.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []  # no file left behind


def test_oversized_upload_is_refused(org, draft_module, settings):
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * (services.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ValidationError) as exc:
        services.attachment_add(actor=org.user("office_manager"), module=draft_module, upload=big)
    assert exc.value.error_dict["file"][0].code == "file_too_large"
    assert not Attachment.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []


def test_markdown_is_rendered_harmless():
    html = render_markdown(
        "# Title\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n\n"
        '<a href="#" onclick="alert(1)">x</a>\n\n<img src=x onerror="alert(1)">\n\n**bold** [ok](https://example.com)'
    )
    import re

    assert "<script" not in html  # shown as text, never as a tag
    assert not re.search(r"href=\"\s*javascript:", html)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html)  # no event-handler attribute on any tag
    assert "<img src=x" not in html
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_markdown_raw_html_link_attributes_are_dropped_by_the_sanitiser():
    """Even if an author's HTML reached the sanitiser, nh3 strips handlers and scripts."""
    import nh3

    from frontoffice.training.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES

    dirty = '<p onclick="x()">a</p><script>x()</script><a href="javascript:x()">b</a><img src="a.png" onerror="x()">'
    clean = nh3.clean(dirty, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES)
    assert (
        "onclick" not in clean
        and "script" not in clean
        and "javascript" not in clean
        and "onerror" not in clean
    )


# --- role curriculum -----------------------------------------------------------------------


def test_new_staff_in_a_role_get_the_role_curriculum(training, org):
    from frontoffice.org.services import staff_create

    staff = staff_create(
        actor=org.user("admin"),
        email="new.receptionist@example.com",
        username="newrec",
        first_name="New",
        last_name="Receptionist",
        legal_entity=org.company,
        role=Role.objects.get(code="receptionist"),
        home_region=org.north,
        home_location=org.clinic,
    )
    assignment = Assignment.objects.get(person=staff)
    assert assignment.course == training.course and assignment.source == "role"
    assert assignment.due_on is not None
    rep = staff_create(
        actor=org.user("admin"),
        email="new.rep@example.com",
        username="newrep",
        first_name="New",
        last_name="Rep",
        legal_entity=org.company,
        role=Role.objects.get(code="sales_rep"),
        home_region=org.north,
    )
    assert not Assignment.objects.filter(person=rep).exists()


def test_a_role_change_assigns_the_new_roles_curriculum_once(training, org):
    from frontoffice.org.services import staff_update

    receptionist_role = Role.objects.get(code="receptionist")
    sales_rep_role = Role.objects.get(code="sales_rep")
    rep = training.staff["rep_north"]
    assert not Assignment.objects.filter(person=rep).exists()

    staff_update(
        actor=org.user("admin"), staff=rep, data={"role": receptionist_role, "home_location": org.clinic}
    )
    [assignment] = Assignment.objects.filter(person=rep)
    assert (assignment.course, assignment.source) == (training.course, "role")
    assert assignment.due_on is not None

    # Back and forth: the open assignment is kept, not duplicated.
    staff_update(actor=org.user("admin"), staff=rep, data={"role": sales_rep_role})
    staff_update(actor=org.user("admin"), staff=rep, data={"role": receptionist_role})
    assert Assignment.objects.filter(person=rep).count() == 1

    # Other changes (not the role) assign nothing; nor does a role change once certified.
    complete(training.course, rep.user, assignment)
    staff_update(actor=org.user("admin"), staff=rep, data={"title": "Front desk"})
    staff_update(actor=org.user("admin"), staff=rep, data={"role": sales_rep_role})
    staff_update(actor=org.user("admin"), staff=rep, data={"role": receptionist_role})
    assert Assignment.objects.filter(person=rep).count() == 1


def test_starter_courses_install_on_their_own_and_all_twelve_with_the_demo_in_both_languages(org):
    """Each shipped course installs alone (``--slug``); the demo seed installs all twelve, each
    published with modules and a quiz in English and Swedish."""
    from django.core.management import call_command

    from frontoffice.training.demo import seed_training
    from frontoffice.training.tests.test_curriculum_files import EXPECTED_SLUGS

    call_command("training_install_curriculum", "--slug", "waiting-room")
    assert list(Course.objects.values_list("slug", flat=True)) == ["waiting-room"]

    seed_training(org.company, {})
    courses = {c.slug: c for c in Course.objects.select_related("current_version")}
    assert set(courses) >= EXPECTED_SLUGS
    for slug in EXPECTED_SLUGS:
        version = courses[slug].current_version
        assert version.status == "published" and version.title_en and version.title_sv, slug
        modules = list(version.modules.all())
        assert modules and all(m.body_en and m.body_sv and m.title_en and m.title_sv for m in modules), slug
        questions = list(version.questions.prefetch_related("answers"))
        assert questions, slug
        for question in questions:
            answers = list(question.answers.all())
            assert question.text_en and question.text_sv, slug
            assert any(a.correct for a in answers) and all(a.text_en and a.text_sv for a in answers), slug
