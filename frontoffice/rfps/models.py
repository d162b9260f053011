"""Requests for proposal: the RFP, its documents and requirements, the answer library, history.

An ``Rfp`` belongs to a legal entity and a region (copied from the owner's home region, else
the issuer's); reps see the RFPs they own or contribute to, managers their regions (see
``selectors.rfps_visible``). Requirements and documents are reached through their RFP.
The ``AnswerLibraryEntry`` rows are shared by the whole legal entity.
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename, slugify
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

RFP_SCOPE = ScopeRule(legal_entity="legal_entity", region="region", owner="owner")
CHILD_SCOPE = ScopeRule(legal_entity="rfp__legal_entity", region="rfp__region", owner="rfp__owner")


class RfpStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_PROGRESS = "in_progress", _("In progress")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SUBMITTED = "submitted", _("Submitted")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (RfpStatus.DRAFT, RfpStatus.IN_PROGRESS, RfpStatus.IN_REVIEW, RfpStatus.APPROVED)
EDITABLE_STATUSES = (RfpStatus.DRAFT, RfpStatus.IN_PROGRESS)
FINAL_STATUSES = (RfpStatus.WON, RfpStatus.LOST, RfpStatus.WITHDRAWN)
OUTCOME_CHOICES = [(s.value, s.label) for s in FINAL_STATUSES]


class Rfp(BaseModel):
    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="rfps"
    )
    reference = models.CharField(_("issuer's reference"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    due_at = models.DateTimeField(_("due"), db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="rfps_owned"
    )
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("contributors"), blank=True, related_name="rfps_contributed"
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rfps",
    )
    language = models.CharField(
        _("response language"),
        max_length=8,
        choices=[("sv", _("Swedish")), ("en", _("English"))],
        default="sv",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RfpStatus.choices, default=RfpStatus.DRAFT, db_index=True
    )
    outcome_reason = models.TextField(_("outcome reason"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = RFP_SCOPE

    class Meta:
        verbose_name = _("request for proposal")
        verbose_name_plural = _("requests for proposal")
        ordering = ["due_at", "id"]
        permissions = [
            ("approve_rfp", "Can approve RFP responses and promote answers to the library"),
            ("manage_library", "Can add and edit answer library entries"),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "status", "due_at"], name="rfps_rfp_le_status_due_idx"),
            models.Index(fields=["owner", "status"], name="rfps_rfp_owner_status_idx"),
            models.Index(fields=["region", "status"], name="rfps_rfp_region_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip() if self.reference else self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


def document_upload_to(instance: RfpDocument, filename: str) -> str:
    """``rfps/<rfp id>/<random>-<safe name>``: never the uploader's path, never a clash."""
    base, ext = os.path.splitext(os.path.basename(filename))
    safe = slugify(base)[:60] or "document"
    ext = get_valid_filename(ext.lower())[:10]
    return f"rfps/{instance.rfp_id}/{uuid.uuid4().hex}-{safe}{ext}"


class RfpDocument(BaseModel):
    rfp = models.ForeignKey(Rfp, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = CHILD_SCOPE

    class Meta:
        verbose_name = _("RFP document")
        verbose_name_plural = _("RFP documents")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class RequirementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DRAFTED = "drafted", _("Drafted")
    APPROVED = "approved", _("Approved")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Requirement(BaseModel):
    rfp = models.ForeignKey(Rfp, on_delete=models.CASCADE, related_name="requirements")
    number = models.CharField(_("number"), max_length=30)
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(_("requirement"))
    mandatory = models.BooleanField(_("mandatory"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rfp_requirements",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequirementStatus.choices, default=RequirementStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    source_entry = models.ForeignKey(
        "rfps.AnswerLibraryEntry",
        verbose_name=_("library answer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uses",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = CHILD_SCOPE

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["rfp", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rfp", "number"], name="rfps_requirement_number_unique"),
        ]
        indexes = [models.Index(fields=["owner", "status"], name="rfps_req_owner_status_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:60]}"

    @property
    def is_done(self) -> bool:
        if self.status == RequirementStatus.NOT_APPLICABLE:
            return True
        return self.status in (RequirementStatus.DRAFTED, RequirementStatus.APPROVED) and bool(
            self.answer.strip()
        )


class AnswerLibraryEntry(BaseModel):
    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"))
    tags = models.CharField(_("tags"), max_length=200, blank=True, help_text=_("Separated by commas."))
    language = models.CharField(
        _("language"), max_length=8, choices=[("sv", _("Swedish")), ("en", _("English"))], default="sv"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, db_index=True)
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity")

    class Meta:
        verbose_name = _("library answer")
        verbose_name_plural = _("answer library")
        ordering = ["-usage_count", "id"]
        indexes = [models.Index(fields=["legal_entity", "language"], name="rfps_library_le_lang_idx")]

    def __str__(self) -> str:
        return self.question[:80]

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


class RfpEvent(models.Model):
    """The RFP's history: who did what, when (the audit trail keeps the field changes)."""

    rfp = models.ForeignKey(Rfp, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    message = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("RFP event")
        verbose_name_plural = _("RFP events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rfp", "-at"], name="rfps_event_rfp_at_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


EVENT_LABELS = {
    "created": _("Registered"),
    "updated": _("Details changed"),
    "started": _("Work started"),
    "requirement_added": _("Requirement added"),
    "requirements_imported": _("Requirements pasted"),
    "requirement_assigned": _("Requirement assigned"),
    "requirement_answered": _("Requirement answered"),
    "requirement_reopened": _("Requirement reopened"),
    "review_requested": _("Sent for review"),
    "approved": _("Approved"),
    "rejected": _("Sent back"),
    "submitted": _("Submitted"),
    "won": _("Won"),
    "lost": _("Lost"),
    "withdrawn": _("Withdrawn"),
    "opportunity_won": _("Opportunity won"),
    "opportunity_lost": _("Opportunity lost"),
    "document_uploaded": _("Document uploaded"),
    "answer_promoted": _("Answer added to the library"),
    "deadline_alert": _("Deadline alert sent"),
}


class RfpAlert(models.Model):
    """One deadline alert sent for one threshold (days before due; -1 = overdue): sent once."""

    OVERDUE = -1
    rfp = models.ForeignKey(Rfp, on_delete=models.CASCADE, related_name="alerts")
    days_before = models.IntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rfp", "days_before"], name="rfps_alert_once_per_threshold"),
        ]

    def __str__(self) -> str:
        return f"{self.rfp_id}:{self.days_before}"
