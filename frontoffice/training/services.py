"""Write path of the training app.

Invariants protected here:
- a published version is never edited: editing a published course copies it into a new draft
  version; publishing the draft makes it current and retires the previous one;
- a version is published only when every question has a correct answer (single choice:
  exactly one) and every text has at least one language;
- assignments, module progress, quiz attempts and certificates keep the version they were
  made on; a person has at most one open assignment per course;
- only active staff inside the actor's scope are assigned; a learner works only on their own
  assignments; quiz attempts stop at the version's maximum;
- completion = every module of the assignment's version completed and the quiz passed; it
  issues a certificate (expiring after the course's ``certificate_months``, if any);
- uploads are images (PNG, JPEG, GIF, WebP) or documents (PDF, plain text, CSV, XLSX, DOCX,
  PPTX) of at most ``MAX_UPLOAD_BYTES``;
- coaching notes are written only by the person's line of managers (supervisor chain);
- every change writes an audit entry.
"""

from __future__ import annotations

import calendar
import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from frontoffice.core.audit import audit_created, audit_record
from frontoffice.core.permissions import require_perm
from frontoffice.core.scoping import visible_to
from frontoffice.core.tasks import email_enqueue
from frontoffice.training.models import (
    Answer,
    Assignment,
    Attachment,
    CapabilityGate,
    Certificate,
    CoachingAction,
    CoachingNote,
    Course,
    CourseVersion,
    Criterion,
    Module,
    ModuleProgress,
    Observation,
    ObservationScore,
    Question,
    QuizAttempt,
    RoleCurriculum,
    Rubric,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# Magic numbers: the first bytes must match the extension, whatever the browser claims.
SIGNATURES = {
    ".png": [b"\x89PNG\r\n\x1a\n"],
    ".jpg": [b"\xff\xd8\xff"],
    ".jpeg": [b"\xff\xd8\xff"],
    ".gif": [b"GIF87a", b"GIF89a"],
    ".webp": [b"RIFF"],
    ".pdf": [b"%PDF-"],
    ".xlsx": [b"PK\x03\x04"],
    ".docx": [b"PK\x03\x04"],
    ".pptx": [b"PK\x03\x04"],
}
MODULE_SECONDS_CAP = 2 * 3600  # a module left open overnight counts two hours at most
REMINDER_DAYS_BEFORE = 7
RENEWAL_DAYS_BEFORE = 60

VIEW = "training.view_course"
ADD = "training.add_course"
CHANGE = "training.change_course"
ASSIGN = "training.assign_course"
MANAGE = "training.manage_training"
OBSERVE = "training.add_observation"
COACH = "training.add_coachingnote"


def add_months(day: datetime.date, months: int) -> datetime.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _staff_of(user: Any) -> Any:
    from frontoffice.org.models import Staff

    return Staff.objects.select_related("user").filter(user_id=getattr(user, "pk", None), active=True).first()


# --- courses and versions ------------------------------------------------------------------

VERSION_FIELDS = ["title_en", "title_sv", "summary_en", "summary_sv", "pass_percent", "max_attempts"]
COURSE_FIELDS = ["measures", "estimated_minutes", "certificate_months", "active"]


def _require_text(errors: dict[str, list[Any]], obj: Any, field: str, label: Any) -> None:
    if (
        not (getattr(obj, f"{field}_en", "") or "").strip()
        and not (getattr(obj, f"{field}_sv", "") or "").strip()
    ):
        errors.setdefault(f"{field}_en", []).append(
            ValidationError(
                _("%(label)s is required in English or Swedish."), code="required", params={"label": label}
            )
        )


def _clean_measures(measures: Iterable[str]) -> list[str]:
    from frontoffice.training.recommendations import MEASURE_KEYS

    measures = [m.strip() for m in measures if m and m.strip()]
    unknown = [m for m in measures if m not in MEASURE_KEYS]
    if unknown:
        raise ValidationError(
            {
                "measures": ValidationError(
                    _("Unknown measure: %(keys)s."),
                    code="unknown_measure",
                    params={"keys": ", ".join(unknown)},
                )
            }
        )
    return measures


@transaction.atomic
def course_create(
    *,
    actor: Any,
    slug: str,
    title_en: str = "",
    title_sv: str = "",
    summary_en: str = "",
    summary_sv: str = "",
    measures: Iterable[str] = (),
    estimated_minutes: int = 30,
    certificate_months: int = 0,
    pass_percent: int = 80,
    max_attempts: int = 3,
    source: str = Course.Source.CUSTOM,
    system: bool = False,
) -> Course:
    """A new course with an empty draft version 1."""
    require_perm(actor, ADD, system=system)
    course = Course(
        slug=(slug or "").strip(),
        source=source,
        measures=_clean_measures(measures),
        estimated_minutes=estimated_minutes,
        certificate_months=certificate_months,
        created_by=actor,
    )
    version = CourseVersion(
        number=1,
        title_en=title_en.strip(),
        title_sv=title_sv.strip(),
        summary_en=summary_en.strip(),
        summary_sv=summary_sv.strip(),
        pass_percent=pass_percent,
        max_attempts=max_attempts,
    )
    errors: dict[str, list[Any]] = {}
    _require_text(errors, version, "title", _("Title"))
    try:
        course.full_clean()
    except ValidationError as exc:
        for name, errs in exc.error_dict.items():
            errors.setdefault(name, []).extend(errs)
    try:
        version.full_clean(exclude=["course"])
    except ValidationError as exc:
        for name, errs in exc.error_dict.items():
            errors.setdefault(name, []).extend(errs)
    if errors:
        raise ValidationError(errors)
    course.save()
    version.course = course
    version.save()
    audit_created(
        actor=actor, obj=course, fields=["slug", "source", *COURSE_FIELDS], action="training.course.created"
    )
    return course


def _copy_version(source: CourseVersion, number: int) -> CourseVersion:
    draft = CourseVersion.objects.create(
        course=source.course, number=number, **{f: getattr(source, f) for f in VERSION_FIELDS}
    )
    for module in source.modules.prefetch_related("attachments"):
        copy = Module.objects.create(
            version=draft,
            position=module.position,
            title_en=module.title_en,
            title_sv=module.title_sv,
            body_en=module.body_en,
            body_sv=module.body_sv,
        )
        for att in module.attachments.all():
            # The stored file is shared: attachments are never changed in place, only added/removed.
            Attachment.objects.create(
                module=copy,
                kind=att.kind,
                file=att.file.name,
                name=att.name,
                content_type=att.content_type,
                size=att.size,
            )
    for question in source.questions.prefetch_related("answers"):
        q = Question.objects.create(
            version=draft,
            position=question.position,
            kind=question.kind,
            text_en=question.text_en,
            text_sv=question.text_sv,
        )
        Answer.objects.bulk_create(
            Answer(
                question=q,
                position=a.position,
                correct=a.correct,
                text_en=a.text_en,
                text_sv=a.text_sv,
                feedback_en=a.feedback_en,
                feedback_sv=a.feedback_sv,
            )
            for a in question.answers.all()
        )
    return draft


@transaction.atomic
def course_draft(*, actor: Any, course: Course, system: bool = False) -> CourseVersion:
    """The course's draft version to edit; editing a published course starts a new version."""
    require_perm(actor, CHANGE, system=system)
    course = Course.objects.select_for_update().get(pk=course.pk)
    draft = course.versions.filter(status=CourseVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    source = course.current_version or course.versions.order_by("-number").first()
    number = (course.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    if source is None:
        draft = CourseVersion.objects.create(course=course, number=number)
    else:
        draft = _copy_version(source, number)
    audit_record(
        actor=actor, action="training.course.draft_started", obj=course, changes={"version": [None, number]}
    )
    return draft


def _require_draft(version: CourseVersion) -> None:
    if version.status != CourseVersion.Status.DRAFT:
        raise ValidationError(
            _("Version %(n)s is published; edit the course to start a new draft version."),
            code="not_draft",
            params={"n": version.number},
        )


@transaction.atomic
def course_update(*, actor: Any, course: Course, data: dict[str, Any]) -> Course:
    """Course settings (measures, minutes, certificate validity) and the draft's texts."""
    require_perm(actor, CHANGE)
    course_data = {k: v for k, v in data.items() if k in COURSE_FIELDS}
    version_data = {k: v for k, v in data.items() if k in VERSION_FIELDS}
    unknown = set(data) - set(COURSE_FIELDS) - set(VERSION_FIELDS)
    if unknown:
        raise TypeError(f"course_update cannot set {sorted(unknown)}")
    if "measures" in course_data:
        course_data["measures"] = _clean_measures(course_data["measures"])
    for name, value in course_data.items():
        setattr(course, name, value)
    course.full_clean()
    course.save()
    if version_data:
        draft = course_draft(actor=actor, course=course)
        for name, value in version_data.items():
            setattr(draft, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[Any]] = {}
        _require_text(errors, draft, "title", _("Title"))
        if errors:
            raise ValidationError(errors)
        draft.full_clean()
        draft.save()
    audit_record(
        actor=actor,
        action="training.course.updated",
        obj=course,
        changes={k: [None, str(v)] for k, v in data.items()},
    )
    return course


MODULE_FIELDS = ["title_en", "title_sv", "body_en", "body_sv", "position"]


@transaction.atomic
def module_save(
    *,
    actor: Any,
    version: CourseVersion,
    module: Module | None = None,
    data: dict[str, Any],
    system: bool = False,
) -> Module:
    """Add a module to a draft version, or change one of its modules."""
    require_perm(actor, CHANGE, system=system)
    _require_draft(version)
    if module is None:
        position = data.get("position") or (version.modules.aggregate(n=Max("position"))["n"] or 0) + 1
        module = Module(version=version, position=position)
    elif module.version_id != version.pk:
        raise ValidationError(_("This module belongs to another version."), code="wrong_version")
    for name in MODULE_FIELDS:
        if name in data and data[name] is not None:
            setattr(module, name, data[name].strip() if isinstance(data[name], str) else data[name])
    errors: dict[str, list[Any]] = {}
    _require_text(errors, module, "title", _("Title"))
    _require_text(errors, module, "body", _("Content"))
    if errors:
        raise ValidationError(errors)
    module.full_clean()
    module.save()
    audit_record(
        actor=actor,
        action="training.module.saved",
        obj=version.course,
        changes={"module": [None, module.title]},
    )
    return module


@transaction.atomic
def module_delete(*, actor: Any, module: Module) -> None:
    require_perm(actor, CHANGE)
    _require_draft(module.version)
    audit_record(
        actor=actor,
        action="training.module.deleted",
        obj=module.version.course,
        changes={"module": [module.title, None]},
    )
    module.delete()


def _validate_upload(upload: Any, kind: str) -> tuple[str, str]:
    name = os.path.basename(getattr(upload, "name", "") or "")
    ext = os.path.splitext(name)[1].lower()
    allowed = IMAGE_TYPES if kind == Attachment.Kind.IMAGE else {**FILE_TYPES, **IMAGE_TYPES}
    if ext not in allowed:
        raise ValidationError(
            {
                "file": ValidationError(
                    _("%(name)s: files of type %(ext)s are not accepted (allowed: %(allowed)s)."),
                    code="file_type",
                    params={"name": name, "ext": ext or "?", "allowed": ", ".join(sorted(allowed))},
                )
            }
        )
    size = getattr(upload, "size", 0) or 0
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": ValidationError(
                    _("%(name)s is %(size)s MB; the limit is %(limit)s MB."),
                    code="file_too_large",
                    params={
                        "name": name,
                        "size": round(size / 1048576, 1),
                        "limit": MAX_UPLOAD_BYTES // 1048576,
                    },
                )
            }
        )
    if size == 0:
        raise ValidationError(
            {"file": ValidationError(_("%(name)s is empty."), code="file_empty", params={"name": name})}
        )
    head = upload.read(16)
    upload.seek(0)
    signatures = SIGNATURES.get(ext)
    if signatures and not any(head.startswith(s) for s in signatures):
        raise ValidationError(
            {
                "file": ValidationError(
                    _("%(name)s is not really a %(ext)s file."),
                    code="file_content",
                    params={"name": name, "ext": ext},
                )
            }
        )
    if ext in (".txt", ".csv") and b"\x00" in head:
        raise ValidationError(
            {
                "file": ValidationError(
                    _("%(name)s is not a text file."), code="file_content", params={"name": name}
                )
            }
        )
    return name, allowed[ext]


@transaction.atomic
def attachment_add(
    *, actor: Any, module: Module, upload: Any, kind: str = Attachment.Kind.FILE
) -> Attachment:
    """Store an image or a file with a draft module (type and size checked; nothing saved on error)."""
    require_perm(actor, CHANGE)
    _require_draft(module.version)
    if kind not in Attachment.Kind.values:
        raise ValidationError({"kind": ValidationError(_("Choose image or file."), code="invalid")})
    name, content_type = _validate_upload(upload, kind)
    attachment = Attachment(module=module, kind=kind, name=name, content_type=content_type, size=upload.size)
    attachment.file.save(name, upload, save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="training.attachment.added",
        obj=module.version.course,
        changes={"file": [None, name]},
    )
    return attachment


@transaction.atomic
def attachment_delete(*, actor: Any, attachment: Attachment) -> None:
    require_perm(actor, CHANGE)
    _require_draft(attachment.module.version)
    audit_record(
        actor=actor,
        action="training.attachment.deleted",
        obj=attachment.module.version.course,
        changes={"file": [attachment.name, None]},
    )
    attachment.delete()  # the stored file may be shared with earlier versions: it stays


@dataclass
class AnswerInput:
    text_en: str
    text_sv: str = ""
    correct: bool = False
    feedback_en: str = ""
    feedback_sv: str = ""


def _check_question(kind: str, answers: list[AnswerInput], prefix: str = "") -> None:
    errors: dict[str, list[Any]] = {}
    answers = [a for a in answers if (a.text_en or "").strip() or (a.text_sv or "").strip()]
    if len(answers) < 2:
        errors.setdefault("answers", []).append(
            ValidationError(
                _("%(q)sGive at least two answers."), code="too_few_answers", params={"q": prefix}
            )
        )
    correct = sum(1 for a in answers if a.correct)
    if correct == 0:
        errors.setdefault("answers", []).append(
            ValidationError(
                _("%(q)sMark at least one answer as correct."), code="no_correct_answer", params={"q": prefix}
            )
        )
    elif kind == Question.Kind.SINGLE and correct > 1:
        errors.setdefault("answers", []).append(
            ValidationError(
                _("%(q)sA single-choice question has exactly one correct answer."),
                code="several_correct",
                params={"q": prefix},
            )
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def question_save(
    *,
    actor: Any,
    version: CourseVersion,
    kind: str,
    text_en: str,
    text_sv: str = "",
    answers: list[AnswerInput],
    question: Question | None = None,
    system: bool = False,
) -> Question:
    """Add (or replace) a quiz question with its answers; refused without a correct answer."""
    require_perm(actor, CHANGE, system=system)
    _require_draft(version)
    if kind not in Question.Kind.values:
        raise ValidationError(
            {"kind": ValidationError(_("Choose single or multiple choice."), code="invalid")}
        )
    if question is None:
        position = (version.questions.aggregate(n=Max("position"))["n"] or 0) + 1
        question = Question(version=version, position=position)
    elif question.version_id != version.pk:
        raise ValidationError(_("This question belongs to another version."), code="wrong_version")
    question.kind, question.text_en, question.text_sv = kind, (text_en or "").strip(), (text_sv or "").strip()
    errors: dict[str, list[Any]] = {}
    _require_text(errors, question, "text", _("Question"))
    if errors:
        raise ValidationError(errors)
    _check_question(kind, answers)
    question.save()
    question.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(
            question=question,
            position=i,
            correct=bool(a.correct),
            text_en=(a.text_en or "").strip(),
            text_sv=(a.text_sv or "").strip(),
            feedback_en=(a.feedback_en or "").strip(),
            feedback_sv=(a.feedback_sv or "").strip(),
        )
        for i, a in enumerate(
            (a for a in answers if (a.text_en or "").strip() or (a.text_sv or "").strip()), start=1
        )
    )
    audit_record(
        actor=actor,
        action="training.question.saved",
        obj=version.course,
        changes={"question": [None, question.text]},
    )
    return question


@transaction.atomic
def question_delete(*, actor: Any, question: Question) -> None:
    require_perm(actor, CHANGE)
    _require_draft(question.version)
    audit_record(
        actor=actor,
        action="training.question.deleted",
        obj=question.version.course,
        changes={"question": [question.text, None]},
    )
    question.delete()


@transaction.atomic
def version_publish(*, actor: Any, version: CourseVersion, system: bool = False) -> CourseVersion:
    """Make a draft the course's current version (checks modules and quiz first)."""
    require_perm(actor, CHANGE, system=system)
    version = CourseVersion.objects.select_for_update().select_related("course").get(pk=version.pk)
    _require_draft(version)
    errors: list[ValidationError] = []
    if not version.modules.exists():
        errors.append(ValidationError(_("Add at least one module before publishing."), code="no_modules"))
    for question in version.questions.prefetch_related("answers"):
        try:
            _check_question(
                question.kind,
                [AnswerInput(a.text_en, a.text_sv, a.correct) for a in question.answers.all()],
                prefix=gettext("Question %(n)s: ") % {"n": question.position},
            )
        except ValidationError as exc:
            errors.extend(exc.error_dict["answers"])
    if errors:
        raise ValidationError(errors)
    course = version.course
    course.versions.filter(status=CourseVersion.Status.PUBLISHED).update(status=CourseVersion.Status.RETIRED)
    version.status = CourseVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at", "updated_at"])
    course.current_version = version
    course.save(update_fields=["current_version", "updated_at"])
    audit_record(
        actor=actor,
        action="training.course.published",
        obj=course,
        changes={"version": [None, version.number]},
    )
    return version


# --- assignments ---------------------------------------------------------------------------


def _visible_staff(actor: Any) -> Any:
    from frontoffice.org.models import Staff

    return visible_to(Staff.objects.all(), actor)


def _create_assignment(
    *, actor: Any, course: Course, person: Any, due_on: datetime.date | None, source: str
) -> Assignment | None:
    """One open assignment per person and course: an existing open one is kept (returns None)."""
    if Assignment.objects.filter(
        person=person, course=course, completed_at__isnull=True, cancelled_at__isnull=True
    ).exists():
        return None
    assignment = Assignment.objects.create(
        course=course,
        version=course.current_version,
        person=person,
        due_on=due_on,
        source=source,
        assigned_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_created(
        actor=actor,
        obj=assignment,
        fields=["course", "person", "due_on", "source"],
        action="training.assignment.created",
    )
    _notify_assigned(assignment)
    return assignment


def _notify_assigned(assignment: Assignment) -> None:
    user = assignment.person.user
    if not user.email:
        return
    with translation.override(user.language or "en"):
        subject = gettext("New training: %(course)s") % {"course": assignment.version.title}
        due = assignment.due_on.isoformat() if assignment.due_on else gettext("no due date")
        body = gettext("You have been assigned the course %(course)s (due %(due)s).\n\nOpen it: %(url)s") % {
            "course": assignment.version.title,
            "due": due,
            "url": reverse("training:assignment", args=[assignment.pk]),
        }
    email_enqueue(subject=subject, body=body, to=[user.email])


@transaction.atomic
def course_assign(
    *,
    actor: Any,
    course: Course,
    people: Iterable[Any] = (),
    team: Any = None,
    role: Any = None,
    due_on: datetime.date | None = None,
    source: str = Assignment.Source.MANUAL,
) -> list[Assignment]:
    """Assign ``course`` to people, every active member of a team, or every active holder of a
    role inside the actor's scope. Named people must be active; people who already have the
    course open keep their assignment. Returns the new assignments."""
    from frontoffice.org.models import Staff

    require_perm(actor, ASSIGN)
    if course.current_version_id is None or not course.active:
        raise ValidationError(_("Only an active, published course can be assigned."), code="not_published")
    people = list(people)
    if not people and team is None and role is None:
        raise ValidationError(
            {"people": ValidationError(_("Choose people, a team or a role."), code="required")}
        )
    if due_on is not None and due_on < timezone.localdate():
        raise ValidationError(
            {"due_on": ValidationError(_("The due date is in the past."), code="due_in_past")}
        )
    visible = _visible_staff(actor)
    visible_ids = set(visible.filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
    targets: dict[int, Any] = {}
    for person in people:
        if person.pk not in visible_ids:
            raise ValidationError(
                {
                    "people": ValidationError(
                        _("%(person)s is outside your scope."),
                        code="out_of_scope",
                        params={"person": str(person)},
                    )
                }
            )
        if not person.active or not person.user.is_active:
            raise ValidationError(
                {
                    "people": ValidationError(
                        _("%(person)s is no longer active and cannot be assigned training."),
                        code="inactive_person",
                        params={"person": str(person)},
                    )
                }
            )
        targets[person.pk] = person
    group = Staff.objects.none()
    if team is not None:
        group = group | visible.filter(team=team, active=True)
    if role is not None:
        group = group | visible.filter(role=role, active=True)
    for person in group.select_related("user"):
        targets.setdefault(person.pk, person)
    created = []
    for person in targets.values():
        assignment = _create_assignment(
            actor=actor, course=course, person=person, due_on=due_on, source=source
        )
        if assignment is not None:
            created.append(assignment)
    return created


@transaction.atomic
def assignment_cancel(*, actor: Any, assignment: Assignment) -> Assignment:
    require_perm(actor, ASSIGN)
    if not visible_to(Assignment.objects.filter(pk=assignment.pk), actor).exists():
        raise PermissionDenied(_("This assignment is outside your scope."))
    if not assignment.is_open:
        raise ValidationError(_("Only open assignments can be cancelled."), code="not_open")
    assignment.cancelled_at = timezone.now()
    assignment.save(update_fields=["cancelled_at", "updated_at"])
    audit_record(
        actor=actor,
        action="training.assignment.cancelled",
        obj=assignment,
        changes={"cancelled_at": [None, str(assignment.cancelled_at)]},
    )
    return assignment


def assign_role_curriculum(*, actor: Any, staff: Any) -> list[Assignment]:
    """The role's curriculum for a staff member (called when staff are created and when their
    role changes); a course the person already has open, or holds a valid certificate of, is
    not assigned again."""
    if not staff.active:
        return []
    created = []
    today = timezone.localdate()
    entries = RoleCurriculum.objects.filter(
        role_id=staff.role_id, course__active=True, course__current_version__isnull=False
    )
    certified = set(
        Certificate.objects.filter(person=staff)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .values_list("course_id", flat=True)
    )
    for entry in entries.select_related("course__current_version"):
        if entry.course_id in certified:
            continue  # already holds a valid certificate of it
        assignment = _create_assignment(
            actor=actor,
            course=entry.course,
            person=staff,
            due_on=today + datetime.timedelta(days=entry.due_days),
            source=Assignment.Source.ROLE,
        )
        if assignment is not None:
            created.append(assignment)
    return created


def on_staff_created(*, actor: Any, staff: Any) -> None:
    """Hook for ``org.services`` (registered in ``registrations``)."""
    assign_role_curriculum(actor=actor, staff=staff)


def on_staff_role_changed(*, actor: Any, staff: Any, old_role_id: Any = None) -> None:
    """Hook for ``org.services.staff_update``: a person moved to another role gets the new role's
    curriculum (courses they already have open are not assigned twice; open assignments of the
    old role are kept, their manager may still want them)."""
    assign_role_curriculum(actor=actor, staff=staff)


@transaction.atomic
def role_curriculum_set(
    *, actor: Any, role: Any, course: Course, due_days: int = 30, remove: bool = False
) -> RoleCurriculum | None:
    require_perm(actor, MANAGE)
    if remove:
        RoleCurriculum.objects.filter(role=role, course=course).delete()
        audit_record(
            actor=actor,
            action="training.role_curriculum.removed",
            obj=course,
            changes={"role": [role.code, None]},
        )
        return None
    entry, _created = RoleCurriculum.objects.update_or_create(
        role=role, course=course, defaults={"due_days": due_days}
    )
    audit_record(
        actor=actor,
        action="training.role_curriculum.set",
        obj=course,
        changes={"role": [None, role.code], "due_days": [None, due_days]},
    )
    return entry


# --- learning ------------------------------------------------------------------------------


def _own_open_assignment(actor: Any, assignment: Assignment) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("person", "version", "course")
        .get(pk=assignment.pk)
    )
    if assignment.person.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the learner can work on this assignment."))
    if assignment.cancelled_at is not None:
        raise ValidationError(_("This assignment was cancelled."), code="cancelled")
    return assignment


@transaction.atomic
def module_view(*, actor: Any, assignment: Assignment, module: Module) -> ModuleProgress:
    """Record that the learner opened a module (the first time counts)."""
    assignment = _own_open_assignment(actor, assignment)
    if module.version_id != assignment.version_id:
        raise ValidationError(
            _("This module is not part of your version of the course."), code="wrong_version"
        )
    now = timezone.now()
    progress, _created = ModuleProgress.objects.get_or_create(
        assignment=assignment, module=module, defaults={"first_viewed_at": now}
    )
    if assignment.started_at is None:
        assignment.started_at = now
        assignment.save(update_fields=["started_at", "updated_at"])
    return progress


@transaction.atomic
def module_complete(*, actor: Any, assignment: Assignment, module: Module) -> Assignment:
    """Mark a module as read; completes the assignment when the quiz is passed too."""
    progress = module_view(actor=actor, assignment=assignment, module=module)
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="training.module.completed",
            obj=progress.assignment,
            changes={"module": [None, module.pk]},
        )
    return _maybe_complete(progress.assignment, actor)


@dataclass
class QuizResult:
    attempt: QuizAttempt
    correct_questions: int
    total_questions: int
    feedback: dict[int, list[tuple[Answer, bool]]] = field(
        default_factory=dict
    )  # question id → (chosen answer, correct?)
    question_correct: dict[int, bool] = field(default_factory=dict)
    attempts_left: int | None = None


def score_quiz(version: CourseVersion, answers: dict[int, list[int]]) -> tuple[int, int, dict[int, bool]]:
    """(correct questions, questions, per question) — a question counts only when the chosen
    set equals the set of correct answers."""
    questions = list(version.questions.prefetch_related("answers"))
    per_question = {}
    for q in questions:
        correct = {a.pk for a in q.answers.all() if a.correct}
        per_question[q.pk] = set(answers.get(q.pk, [])) == correct
    return sum(per_question.values()), len(questions), per_question


@transaction.atomic
def quiz_submit(*, actor: Any, assignment: Assignment, answers: dict[int, list[int]]) -> QuizResult:
    """Score one attempt of the assignment's version; every question needs an answer."""
    assignment = _own_open_assignment(actor, assignment)
    version = assignment.version
    if assignment.completed_at is not None:
        raise ValidationError(_("You have already completed this course."), code="already_completed")
    if assignment.attempts.filter(passed=True).exists():
        raise ValidationError(_("You have already passed this quiz."), code="already_passed")
    used = assignment.attempts.count()
    if version.max_attempts and used >= version.max_attempts:
        raise ValidationError(
            _("No attempts left (%(max)s allowed). Ask your manager to assign the course again."),
            code="no_attempts_left",
            params={"max": version.max_attempts},
        )
    questions = {q.pk: q for q in version.questions.prefetch_related("answers")}
    if not questions:
        raise ValidationError(_("This course has no quiz."), code="no_quiz")
    clean: dict[int, list[int]] = {}
    errors: dict[str, list[Any]] = {}
    for qid, q in questions.items():
        chosen = [int(a) for a in answers.get(qid, answers.get(str(qid), []))]  # type: ignore[call-overload]
        valid = {a.pk for a in q.answers.all()}
        if not chosen:
            errors.setdefault(f"question_{qid}", []).append(
                ValidationError(
                    _("Question %(n)s: choose an answer."), code="unanswered", params={"n": q.position}
                )
            )
        elif not set(chosen) <= valid:
            errors.setdefault(f"question_{qid}", []).append(
                ValidationError(
                    _("Question %(n)s: unknown answer."), code="invalid_answer", params={"n": q.position}
                )
            )
        elif q.kind == Question.Kind.SINGLE and len(chosen) > 1:
            errors.setdefault(f"question_{qid}", []).append(
                ValidationError(
                    _("Question %(n)s: choose one answer."), code="one_answer", params={"n": q.position}
                )
            )
        clean[qid] = sorted(set(chosen))
    if errors:
        raise ValidationError(errors)
    correct, total, per_question = score_quiz(version, clean)
    score = (Decimal(correct) * 100 / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    attempt = QuizAttempt.objects.create(
        assignment=assignment,
        version=version,
        number=used + 1,
        answers={str(k): v for k, v in clean.items()},
        score_percent=score,
        passed=score >= version.pass_percent,
    )
    audit_record(
        actor=actor,
        action="training.quiz.submitted",
        obj=assignment,
        changes={"score_percent": [None, str(score)], "passed": [None, attempt.passed]},
    )
    feedback = {
        qid: [(a, a.correct) for a in questions[qid].answers.all() if a.pk in chosen]
        for qid, chosen in clean.items()
    }
    _maybe_complete(assignment, actor)
    left = None if not version.max_attempts else version.max_attempts - attempt.number
    return QuizResult(attempt, correct, total, feedback, per_question, left)


def _time_spent(assignment: Assignment) -> int:
    total = 0
    for p in assignment.progress.filter(completed_at__isnull=False):
        total += min(int((p.completed_at - p.first_viewed_at).total_seconds()), MODULE_SECONDS_CAP)
    return max(total, 0)


def _maybe_complete(assignment: Assignment, actor: Any) -> Assignment:
    if assignment.completed_at is not None:
        return assignment
    version = assignment.version
    module_ids = set(version.modules.values_list("pk", flat=True))
    done = set(assignment.progress.filter(completed_at__isnull=False).values_list("module_id", flat=True))
    if not module_ids <= done:
        return assignment
    best = assignment.attempts.filter(passed=True).order_by("-score_percent").first()
    if version.questions.exists() and best is None:
        return assignment
    now = timezone.now()
    assignment.completed_at = now
    assignment.score_percent = best.score_percent if best else None
    assignment.time_spent_seconds = _time_spent(assignment)
    assignment.save(update_fields=["completed_at", "score_percent", "time_spent_seconds", "updated_at"])
    audit_record(
        actor=actor,
        action="training.assignment.completed",
        obj=assignment,
        changes={"completed_at": [None, str(now)]},
    )
    course = assignment.course
    issued = timezone.localdate()
    certificate = Certificate.objects.create(
        person=assignment.person,
        course=course,
        version=version,
        assignment=assignment,
        issued_on=issued,
        expires_on=add_months(issued, course.certificate_months) if course.certificate_months else None,
    )
    audit_created(
        actor=actor,
        obj=certificate,
        fields=["person", "course", "issued_on", "expires_on"],
        action="training.certificate.issued",
    )
    return assignment


# --- reminders and renewals (run daily: ``frontoffice training_daily``) ---------------------


def _send(user: Any, subject: str, body: str) -> None:
    if user.email:
        email_enqueue(subject=subject, body=body, to=[user.email])


@transaction.atomic
def reminders_send(*, today: datetime.date | None = None) -> dict[str, int]:
    """One reminder a week before the due date and one after it; safe to run repeatedly."""
    today = today or timezone.localdate()
    now = timezone.now()
    open_qs = Assignment.objects.filter(
        completed_at__isnull=True, cancelled_at__isnull=True, due_on__isnull=False, person__active=True
    ).select_related("person__user", "version")
    counts = {"before": 0, "after": 0}
    for a in open_qs.filter(
        reminder_before_sent_at__isnull=True,
        due_on__gte=today,
        due_on__lte=today + datetime.timedelta(days=REMINDER_DAYS_BEFORE),
    ).select_for_update(of=("self",)):
        user = a.person.user
        with translation.override(user.language or "en"):
            _send(
                user,
                gettext("Training due soon: %(course)s") % {"course": a.version.title},
                gettext("The course %(course)s is due on %(due)s.")
                % {"course": a.version.title, "due": a.due_on.isoformat()},
            )
        a.reminder_before_sent_at = now
        a.save(update_fields=["reminder_before_sent_at", "updated_at"])
        counts["before"] += 1
    for a in open_qs.filter(reminder_after_sent_at__isnull=True, due_on__lt=today).select_for_update(
        of=("self",)
    ):
        user = a.person.user
        with translation.override(user.language or "en"):
            _send(
                user,
                gettext("Training overdue: %(course)s") % {"course": a.version.title},
                gettext("The course %(course)s was due on %(due)s. Please complete it.")
                % {"course": a.version.title, "due": a.due_on.isoformat()},
            )
        supervisor = a.person.supervisor
        if supervisor is not None and supervisor.active:
            with translation.override(supervisor.user.language or "en"):
                _send(
                    supervisor.user,
                    gettext("Overdue training: %(person)s") % {"person": str(a.person)},
                    gettext("%(person)s has not completed %(course)s (due %(due)s).")
                    % {"person": str(a.person), "course": a.version.title, "due": a.due_on.isoformat()},
                )
        a.reminder_after_sent_at = now
        a.save(update_fields=["reminder_after_sent_at", "updated_at"])
        counts["after"] += 1
    return counts


@transaction.atomic
def certificates_renew(*, today: datetime.date | None = None) -> int:
    """Assign the course again to holders of certificates expiring within 60 days; safe to
    run repeatedly (a certificate gets one renewal assignment)."""
    today = today or timezone.localdate()
    due = (
        Certificate.objects.select_for_update(of=("self",))
        .filter(
            renewal__isnull=True,
            expires_on__isnull=False,
            expires_on__lte=today + datetime.timedelta(days=RENEWAL_DAYS_BEFORE),
            person__active=True,
            course__active=True,
            course__current_version__isnull=False,
        )
        .select_related("course__current_version", "person__user")
    )
    created = 0
    for cert in due:
        newer = Certificate.objects.filter(
            person=cert.person, course=cert.course, issued_on__gt=cert.issued_on
        ).exists()
        if newer:
            continue
        assignment = _create_assignment(
            actor=None,
            course=cert.course,
            person=cert.person,
            due_on=max(cert.expires_on, today),
            source=Assignment.Source.RENEWAL,
        )
        if assignment is None:  # already has it open: link that one
            assignment = Assignment.objects.filter(
                person=cert.person, course=cert.course, completed_at__isnull=True, cancelled_at__isnull=True
            ).first()
        else:
            created += 1
        cert.renewal = assignment
        cert.save(update_fields=["renewal", "updated_at"])
    return created


# --- capability gates ----------------------------------------------------------------------


@transaction.atomic
def gate_set(*, actor: Any, capability: str, course: Course | None) -> CapabilityGate | None:
    """Require a valid certificate of ``course`` for ``capability`` (``None`` lifts it)."""
    require_perm(actor, MANAGE)
    from frontoffice.training.gates import CAPABILITIES

    capability = (capability or "").strip()
    if capability not in CAPABILITIES:
        raise ValidationError(
            {"capability": ValidationError(_("Unknown capability."), code="unknown_capability")}
        )
    if course is None:
        CapabilityGate.objects.filter(capability=capability).delete()
        audit_record(
            actor=actor, action="training.gate.removed", obj=actor, changes={"capability": [capability, None]}
        )
        return None
    gate, _created = CapabilityGate.objects.update_or_create(
        capability=capability, defaults={"course": course}
    )
    audit_record(
        actor=actor,
        action="training.gate.set",
        obj=gate,
        changes={"capability": [None, capability], "course": [None, course.slug]},
    )
    return gate


# --- observations --------------------------------------------------------------------------


@transaction.atomic
def observation_record(
    *,
    actor: Any,
    person: Any,
    rubric: Rubric,
    scores: dict[int, int],
    comments: str = "",
    observed_at: datetime.datetime | None = None,
    interaction: Any = None,
    criterion_comments: dict[int, str] | None = None,
) -> Observation:
    """A manager's observation of a real interaction, scored per criterion of ``rubric``."""
    require_perm(actor, OBSERVE)
    if not _visible_staff(actor).filter(pk=person.pk).exists():
        raise PermissionDenied(_("This person is outside your scope."))
    if person.user_id == actor.pk:
        raise ValidationError(
            {"person": ValidationError(_("You cannot observe yourself."), code="self_observation")}
        )
    if not rubric.active:
        raise ValidationError(
            {"rubric": ValidationError(_("This rubric is not in use."), code="inactive_rubric")}
        )
    criteria = list(rubric.criteria.all())
    errors: dict[str, list[Any]] = {}
    for c in criteria:
        value = scores.get(c.pk)
        if value is None or not 1 <= int(value) <= c.scale_max:
            errors.setdefault(f"criterion_{c.pk}", []).append(
                ValidationError(
                    _("%(criterion)s: choose a score from 1 to %(max)s."),
                    code="score_range",
                    params={"criterion": c.name, "max": c.scale_max},
                )
            )
    if interaction is not None:
        from frontoffice.parties.models import Interaction

        if not visible_to(Interaction.objects.filter(pk=interaction.pk), actor).exists():
            errors.setdefault("interaction", []).append(
                ValidationError(_("Unknown interaction."), code="out_of_scope")
            )
    if errors:
        raise ValidationError(errors)
    points = sum(int(scores[c.pk]) for c in criteria)
    maximum = sum(c.scale_max for c in criteria) or 1
    observation = Observation.objects.create(
        person=person,
        observer=actor,
        rubric=rubric,
        observed_at=observed_at or timezone.now(),
        interaction=interaction,
        comments=(comments or "").strip(),
        score_percent=(Decimal(points) * 100 / Decimal(maximum)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        ),
    )
    ObservationScore.objects.bulk_create(
        ObservationScore(
            observation=observation,
            criterion=c,
            score=int(scores[c.pk]),
            comment=((criterion_comments or {}).get(c.pk) or "").strip(),
        )
        for c in criteria
    )
    audit_created(
        actor=actor,
        obj=observation,
        fields=["person", "rubric", "observed_at", "score_percent"],
        action="training.observation.recorded",
    )
    user = person.user
    with translation.override(user.language or "en"):
        _send(
            user,
            gettext("New observation: %(rubric)s") % {"rubric": rubric.name},
            gettext("%(observer)s recorded an observation. Read and acknowledge it: %(url)s")
            % {"observer": str(actor), "url": reverse("training:observation", args=[observation.pk])},
        )
    return observation


@transaction.atomic
def observation_acknowledge(*, actor: Any, observation: Observation, comment: str = "") -> Observation:
    """The observed person confirms they have read the observation (optionally replying)."""
    observation = Observation.objects.select_for_update().select_related("person").get(pk=observation.pk)
    if observation.person.user_id != actor.pk:
        raise PermissionDenied(_("Only the observed person can acknowledge this observation."))
    if observation.acknowledged_at is not None:
        raise ValidationError(_("Already acknowledged."), code="already_acknowledged")
    observation.acknowledged_at = timezone.now()
    observation.person_comment = (comment or "").strip()
    observation.save(update_fields=["acknowledged_at", "person_comment", "updated_at"])
    audit_record(
        actor=actor,
        action="training.observation.acknowledged",
        obj=observation,
        changes={"acknowledged_at": [None, str(observation.acknowledged_at)]},
    )
    return observation


@transaction.atomic
def rubric_save(
    *,
    actor: Any,
    code: str,
    name_en: str,
    name_sv: str = "",
    description_en: str = "",
    description_sv: str = "",
    criteria: list[dict[str, Any]],
    system: bool = False,
) -> Rubric:
    """Create or replace a rubric's texts and criteria (criteria keep their ids when observed)."""
    require_perm(actor, MANAGE, system=system)
    errors: dict[str, list[Any]] = {}
    if not criteria:
        errors.setdefault("criteria", []).append(
            ValidationError(_("Add at least one criterion."), code="no_criteria")
        )
    for i, c in enumerate(criteria, start=1):
        if not c.get("name_en") and not c.get("name_sv"):
            errors.setdefault("criteria", []).append(
                ValidationError(_("Criterion %(n)s needs a name."), code="required", params={"n": i})
            )
        if len(c.get("levels") or []) < 2:
            errors.setdefault("criteria", []).append(
                ValidationError(
                    _("Criterion %(n)s needs a scale of at least two levels."), code="scale", params={"n": i}
                )
            )
    if errors:
        raise ValidationError(errors)
    rubric, _created = Rubric.objects.update_or_create(
        code=code,
        defaults={
            "name_en": name_en,
            "name_sv": name_sv,
            "description_en": description_en,
            "description_sv": description_sv,
        },
    )
    rubric.full_clean()
    existing = {c.position: c for c in rubric.criteria.all()}
    for i, c in enumerate(criteria, start=1):
        row = existing.pop(i, None) or Criterion(rubric=rubric, position=i)
        row.name_en, row.name_sv = c.get("name_en", ""), c.get("name_sv", "")
        row.description_en, row.description_sv = c.get("description_en", ""), c.get("description_sv", "")
        row.levels = c["levels"]
        row.save()
    for leftover in existing.values():
        if not ObservationScore.objects.filter(criterion=leftover).exists():
            leftover.delete()
    audit_record(
        actor=actor, action="training.rubric.saved", obj=rubric, changes={"criteria": [None, len(criteria)]}
    )
    return rubric


# --- coaching ------------------------------------------------------------------------------


def line_managers_of(person: Any) -> list[int]:
    """Staff ids of the supervisor chain above ``person`` (nearest first)."""
    from frontoffice.org.models import Staff

    chain: list[int] = []
    current = person.supervisor_id
    while current is not None and current not in chain and current != person.pk:
        chain.append(current)
        current = Staff.objects.filter(pk=current).values_list("supervisor_id", flat=True).first()
    return chain


def in_line(user: Any, person: Any) -> bool:
    """Whether ``user`` is ``person`` or one of their line managers (active)."""
    me = _staff_of(user)
    if me is None:
        return False
    return me.pk == person.pk or me.pk in line_managers_of(person)


@transaction.atomic
def coaching_note_create(
    *,
    actor: Any,
    person: Any,
    held_on: datetime.date,
    notes: str,
    actions: Iterable[tuple[str, datetime.date | None]] = (),
) -> CoachingNote:
    """A one-to-one's notes and agreed actions, written by one of the person's line managers."""
    require_perm(actor, COACH)
    me = _staff_of(actor)
    if me is None or me.pk == person.pk or me.pk not in line_managers_of(person):
        raise PermissionDenied(_("Only the person's line managers can write coaching notes."))
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError(
            {"notes": ValidationError(_("Write the notes of the conversation."), code="required")}
        )
    note = CoachingNote.objects.create(person=person, author=actor, held_on=held_on, notes=notes)
    for text, due in actions:
        if (text or "").strip():
            CoachingAction.objects.create(note=note, person=person, text=text.strip(), due_on=due)
    audit_created(actor=actor, obj=note, fields=["person", "held_on"], action="training.coaching.noted")
    return note


@transaction.atomic
def coaching_action_done(*, actor: Any, action: CoachingAction, done: bool = True) -> CoachingAction:
    """The person or a line manager ticks an agreed action off (or reopens it)."""
    action = CoachingAction.objects.select_for_update().select_related("person").get(pk=action.pk)
    if not in_line(actor, action.person):
        raise PermissionDenied(_("Only the person and their line managers can do this."))
    action.done_at = timezone.now() if done else None
    action.save(update_fields=["done_at", "updated_at"])
    audit_record(
        actor=actor,
        action="training.coaching.action_done" if done else "training.coaching.action_reopened",
        obj=action.note,
        changes={"action": [None, action.text]},
    )
    return action


def visible_people_filter(actor: Any) -> Q:
    """Convenience for selectors: staff rows the actor reaches."""
    return Q(pk__in=_visible_staff(actor).values("pk"))
