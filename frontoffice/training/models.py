"""Models of the training app.

A ``Course`` is the stable identity (slug, linked measures, certificate validity); its text
lives in numbered ``CourseVersion`` rows. Editing a published course makes a new draft
version; publishing it makes it the course's current version. Assignments, module progress,
quiz attempts and certificates point at the version they were made on, so a later edit never
rewrites history.

Every text a learner reads exists in English and Swedish (``*_en`` / ``*_sv``) and is shown
in the user's language, falling back to the other one when empty (``localized``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

# Rows about a staff member follow the staff member's own scope (org.Staff's rule).
PERSON_SCOPE = ScopeRule(
    legal_entity="person__legal_entity",
    region="person__home_region",
    location="person__home_location",
    owner="person__user",
)


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """``obj.<field>_<lang>`` in the active (or given) language, else the other language."""
    lang = (language or translation.get_language() or "en")[:2]
    other = "en" if lang == "sv" else "sv"
    if lang not in ("en", "sv"):
        lang = "en"
    return getattr(obj, f"{field}_{lang}", "") or getattr(obj, f"{field}_{other}", "") or ""


class Course(BaseModel):
    class Source(models.TextChoices):
        SHIPPED = "shipped", _("Starter curriculum")
        CUSTOM = "custom", _("Built here")

    slug = models.SlugField(_("code"), max_length=80, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.CUSTOM)
    shipped_version = models.PositiveIntegerField(_("shipped version"), default=0)
    current_version = models.ForeignKey(
        "CourseVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    measures = models.JSONField(_("measures it should improve"), default=list, blank=True)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=30)
    certificate_months = models.PositiveIntegerField(
        _("certificate valid for (months)"), default=0, help_text=_("0: the certificate does not expire.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["slug"]
        permissions = [
            ("assign_course", _("Can assign courses to people, teams and roles")),
            ("view_team_training", _("Can see the training status of their people")),
            ("manage_training", _("Can set role curricula, capability gates and rubrics")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        version = self.current_version
        return localized(version, "title") if version else self.slug


class CourseVersion(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_sv = models.TextField(_("summary (Swedish)"), blank=True)
    pass_percent = models.PositiveIntegerField(_("pass mark (%)"), default=80)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"), default=3, help_text=_("0: unlimited."))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("course version")
        verbose_name_plural = _("course versions")
        ordering = ["course", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="training_version_number_unique"),
            models.UniqueConstraint(
                fields=["course"], condition=Q(status="draft"), name="training_version_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(pass_percent__gte=1, pass_percent__lte=100), name="training_version_pass_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{localized(self, 'title')} (v{self.number})"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def summary(self) -> str:
        return localized(self, "summary")


class Module(BaseModel):
    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="modules")
    position = models.PositiveIntegerField(_("position"), default=1)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200, blank=True)
    body_en = models.TextField(_("content (English, Markdown)"), blank=True)
    body_sv = models.TextField(_("content (Swedish, Markdown)"), blank=True)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["version", "position", "pk"]

    def __str__(self) -> str:
        return localized(self, "title")

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def body(self) -> str:
        return localized(self, "body")


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"training/{instance.module.version.course_id}/{instance.module_id}/{filename}"


class Attachment(BaseModel):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        FILE = "file", _("File")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["module", "pk"]

    def __str__(self) -> str:
        return self.name


class Question(BaseModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")

    version = models.ForeignKey(CourseVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("position"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    text_en = models.TextField(_("question (English)"), blank=True)
    text_sv = models.TextField(_("question (Swedish)"), blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "position", "pk"]

    def __str__(self) -> str:
        return localized(self, "text")

    @property
    def text(self) -> str:
        return localized(self, "text")


class Answer(BaseModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveIntegerField(_("position"), default=1)
    correct = models.BooleanField(_("correct"), default=False)
    text_en = models.CharField(_("answer (English)"), max_length=500, blank=True)
    text_sv = models.CharField(_("answer (Swedish)"), max_length=500, blank=True)
    feedback_en = models.CharField(_("feedback (English)"), max_length=500, blank=True)
    feedback_sv = models.CharField(_("feedback (Swedish)"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return localized(self, "text")

    @property
    def text(self) -> str:
        return localized(self, "text")

    @property
    def feedback(self) -> str:
        return localized(self, "feedback")


class RoleCurriculum(BaseModel):
    """New staff in ``role`` are assigned ``course`` automatically, due ``due_days`` later."""

    role = models.ForeignKey("org.Role", verbose_name=_("role"), on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="roles"
    )
    due_days = models.PositiveIntegerField(_("due after (days)"), default=30)

    class Meta:
        verbose_name = _("role curriculum entry")
        verbose_name_plural = _("role curriculum")
        ordering = ["role", "course"]
        constraints = [
            models.UniqueConstraint(fields=["role", "course"], name="training_rolecurriculum_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role} → {self.course}"


class Assignment(BaseModel):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Assigned")
        ROLE = "role", _("Role curriculum")
        RENEWAL = "renewal", _("Certificate renewal")
        RECOMMENDATION = "recommendation", _("Recommended")

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="assignments"
    )
    version = models.ForeignKey(
        CourseVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "org.Staff", verbose_name=_("person"), on_delete=models.PROTECT, related_name="training_assignments"
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    score_percent = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(_("time spent (seconds)"), default=0)
    reminder_before_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_after_sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = PERSON_SCOPE

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course"],
                condition=Q(completed_at__isnull=True, cancelled_at__isnull=True),
                name="training_assignment_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["person", "completed_at"], name="training_asg_person_done_idx"),
            models.Index(fields=["course", "completed_at"], name="training_asg_course_done_idx"),
            models.Index(fields=["due_on"], name="training_asg_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.course} → {self.person}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.cancelled_at is None


class ModuleProgress(BaseModel):
    """When a learner first opened and completed a module (time spent comes from these)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="progress")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="+")
    first_viewed_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "module"], name="training_progress_unique")
        ]


class QuizAttempt(BaseModel):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attempts")
    version = models.ForeignKey(CourseVersion, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    answers = models.JSONField(default=dict)  # {question_id: [answer_id, ...]}
    score_percent = models.DecimalField(max_digits=5, decimal_places=2)
    passed = models.BooleanField(default=False)

    class Meta:
        ordering = ["assignment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "number"], name="training_attempt_number_unique")
        ]


class Certificate(BaseModel):
    person = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="training_certificates")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    version = models.ForeignKey(CourseVersion, on_delete=models.PROTECT, related_name="+")
    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="certificate")
    issued_on = models.DateField(_("issued"))
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    renewal = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="renews"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = PERSON_SCOPE

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "pk"]
        indexes = [
            models.Index(fields=["person", "course", "expires_on"], name="training_cert_person_idx"),
            models.Index(fields=["expires_on"], name="training_cert_expires_idx"),
        ]


class CapabilityGate(BaseModel):
    """Holding ``capability`` requires a valid certificate of ``course``."""

    capability = models.CharField(_("capability"), max_length=80, unique=True)
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="gates"
    )

    class Meta:
        verbose_name = _("certification requirement")
        verbose_name_plural = _("certification requirements")
        ordering = ["capability"]

    def __str__(self) -> str:
        return self.capability


# --- observations --------------------------------------------------------------------------


class Rubric(BaseModel):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_sv = models.CharField(_("name (Swedish)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["code"]

    def __str__(self) -> str:
        return localized(self, "name")

    @property
    def name(self) -> str:
        return localized(self, "name")


class Criterion(BaseModel):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(default=1)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_sv = models.CharField(_("name (Swedish)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_sv = models.TextField(_("description (Swedish)"), blank=True)
    # One entry per scale step, lowest first: [{"en": "...", "sv": "..."}, ...]
    levels = models.JSONField(_("scale"), default=list)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["rubric", "position", "pk"]

    def __str__(self) -> str:
        return localized(self, "name")

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def scale_max(self) -> int:
        return len(self.levels)

    def level_labels(self) -> list[tuple[int, str]]:
        lang = (translation.get_language() or "en")[:2]
        return [(i + 1, lvl.get(lang) or lvl.get("en") or str(i + 1)) for i, lvl in enumerate(self.levels)]


class Observation(BaseModel):
    person = models.ForeignKey(
        "org.Staff", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    observer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rubric = models.ForeignKey(Rubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="+")
    observed_at = models.DateTimeField(_("observed"))
    interaction = models.ForeignKey(
        "parties.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comments = models.TextField(_("comments"), blank=True)
    score_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    person_comment = models.TextField(_("reply"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = PERSON_SCOPE

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-observed_at", "-pk"]
        indexes = [models.Index(fields=["person", "observed_at"], name="training_obs_person_idx")]


class ObservationScore(BaseModel):
    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveIntegerField()
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["observation", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "criterion"], name="training_obsscore_unique")
        ]


# --- coaching (private to the person and their line of managers) ----------------------------


class CoachingNote(BaseModel):
    person = models.ForeignKey(
        "org.Staff", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("date"))
    notes = models.TextField(_("notes"))

    class Meta:
        verbose_name = _("coaching note")
        verbose_name_plural = _("coaching notes")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["person", "held_on"], name="training_coach_person_idx")]


class CoachingAction(BaseModel):
    note = models.ForeignKey(CoachingNote, on_delete=models.CASCADE, related_name="actions")
    person = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    text = models.CharField(_("agreed action"), max_length=500)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("coaching action")
        verbose_name_plural = _("coaching actions")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["person", "done_at"], name="training_coachact_person_idx")]
