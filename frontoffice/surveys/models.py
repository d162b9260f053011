"""Customer surveys (CSAT and NPS) after completed contacts, the customers who opted out, and
the complaints of every desk.

- ``SurveySettings``: one row per legal entity: which touchpoint kinds trigger which survey,
  the fatigue window, how long a link lives and when the one reminder goes out;
- ``SurveyRequest``: one private single-use link sent to one customer after one contact, with
  the staff member, team, location and region the answer is attributed to (copied at send
  time) and, once answered, the score and comment;
- ``SurveyOptOut``: a customer who asked for no more surveys;
- ``Complaint``: a complaint from any desk with owner, deadline and resolution, and the record
  it is about (a visit, a meeting, an invoice, ...) as a generic reference, so that surveys
  names no desk.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Customer satisfaction (1-5)")
    NPS = "nps", _("Net promoter score (0-10)")


SCORE_RANGE = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10)}


class SurveySettings(BaseModel):
    legal_entity = models.OneToOneField(
        "org.LegalEntity",
        verbose_name=_("legal entity"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # {"reception.visit_completed": "csat", "activities.meeting_held": "nps", ...}
    triggers = models.JSONField(_("surveys after"), default=dict, blank=True)
    fatigue_days = models.PositiveSmallIntegerField(
        _("at most one survey per customer every (days)"), default=30
    )
    link_days = models.PositiveSmallIntegerField(_("links expire after (days)"), default=14)
    reminder_days = models.PositiveSmallIntegerField(_("one reminder after (days)"), default=3)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity")

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")
        permissions = [("manage_surveys", _("Can change which contacts trigger customer surveys"))]
        constraints = [
            models.CheckConstraint(condition=Q(fatigue_days__lte=365), name="surveys_settings_fatigue_max"),
            models.CheckConstraint(
                condition=Q(link_days__gte=1, link_days__lte=90), name="surveys_settings_link_days_range"
            ),
            models.CheckConstraint(
                condition=Q(reminder_days__gte=1) & Q(reminder_days__lt=models.F("link_days")),
                name="surveys_settings_reminder_before_expiry",
            ),
        ]

    def __str__(self) -> str:
        return str(self.legal_entity)


class SurveyRequestQuerySet(ScopedQuerySet):
    def answered(self) -> SurveyRequestQuerySet:
        return self.filter(answered_at__isnull=False)

    def unanswered(self) -> SurveyRequestQuerySet:
        return self.filter(answered_at__isnull=True)

    def live(self) -> SurveyRequestQuerySet:
        """Unanswered links that have not expired."""
        return self.unanswered().filter(expires_at__gt=timezone.now())


class SurveyRequest(BaseModel):
    """One survey link sent after one contact; it takes one answer."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("survey"), max_length=10, choices=SurveyKind.choices)
    trigger = models.CharField(_("after"), max_length=60)  # a core.registry TouchpointKind key
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    interaction = models.ForeignKey(
        "parties.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The desk's record ("reception.visit:12"): a contact is surveyed once.
    concerns = models.CharField(max_length=80, blank=True)
    # Attribution, copied at send time so later moves of the person do not move old answers.
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        "org.Location",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient = models.EmailField(_("sent to"))
    language = models.CharField(_("language"), max_length=8, default="sv")
    # SHA-256 of the link's token; the reminder carries a second token for the same request.
    token_hash = models.CharField(max_length=64, unique=True)
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    objects = SurveyRequestQuerySet.as_manager()
    scope_rule = ScopeRule(
        legal_entity="legal_entity", region="region", location="location", owner="staff_user"
    )

    class Meta:
        verbose_name = _("survey request")
        verbose_name_plural = _("survey requests")
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["legal_entity", "-sent_at"], name="surveys_req_le_idx"),
            models.Index(fields=["party", "-sent_at"], name="surveys_req_party_idx"),
            models.Index(fields=["staff_user", "answered_at"], name="surveys_req_staff_idx"),
            models.Index(fields=["location", "-sent_at"], name="surveys_req_location_idx"),
            models.Index(fields=["region", "-sent_at"], name="surveys_req_region_idx"),
            models.Index(
                fields=["answered_at", "reminded_at", "expires_at"], name="surveys_req_reminder_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(kind=SurveyKind.CSAT, score__gte=1, score__lte=5)
                | Q(kind=SurveyKind.NPS, score__gte=0, score__lte=10),
                name="surveys_req_score_in_range",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(score__isnull=False),
                name="surveys_req_answer_has_score",
            ),
            models.UniqueConstraint(
                fields=["trigger", "concerns"], condition=~Q(concerns=""), name="surveys_req_once_per_contact"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.party}"

    @property
    def status(self) -> str:
        if self.answered_at is not None:
            return "answered"
        if self.expires_at <= timezone.now():
            return "expired"
        return "sent"


class SurveyOptOut(BaseModel):
    """A customer who asked for no more surveys (from a survey e-mail, or told the staff)."""

    class Via(models.TextChoices):
        LINK = "link", _("Link in a survey e-mail")
        STAFF = "staff", _("Recorded by staff")

    party = models.OneToOneField(
        "parties.Party", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.LINK)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("survey opt-out")
        verbose_name_plural = _("survey opt-outs")

    def __str__(self) -> str:
        return str(self.party)


class Complaint(BaseModel):
    """A complaint from any desk: who owns it, by when, and how it was resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    class Desk(models.TextChoices):
        RECEPTION = "reception", _("Reception desk")
        SALES = "sales", _("Sales desk")
        FINANCE = "finance", _("Finance desk")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WEB = "web", _("Web")
        SURVEY = "survey", _("Survey answer")
        LETTER = "letter", _("Letter")

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    desk = models.CharField(_("desk"), max_length=20, choices=Desk.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    location = models.ForeignKey(
        "org.Location",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    survey_request = models.ForeignKey(
        SurveyRequest,
        verbose_name=_("survey answer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    # The record the complaint is about, in whichever app it lives (a reception visit: the
    # generic reference keeps surveys from importing the desks); the label is the record's name
    # when the complaint was registered, so lists show it without loading the record.
    about_type = models.ForeignKey(
        ContentType,
        verbose_name=_("about"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    about_id = models.CharField(max_length=64, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    about_label = models.CharField(_("about"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The row this complaint was moved from when reception's own log was merged in
    # ("reception.complaint:12"), so that the old addresses still find it.
    moved_from = models.CharField(max_length=80, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    # Unowned sales-desk complaints of a region are visible to its own-scope staff (reps), to be
    # picked up; not other desks' (a patient's complaint at a clinic is the clinic's business).
    scope_rule = ScopeRule(
        legal_entity="legal_entity",
        region="region",
        location="location",
        owner="owner",
        unassigned_in_region=True,
        unassigned_where=(("desk", "sales"),),
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["legal_entity", "status", "-created_at"], name="surveys_complaint_le"),
            models.Index(fields=["region", "status"], name="surveys_complaint_region"),
            models.Index(fields=["location", "status"], name="surveys_complaint_location"),
            models.Index(fields=["owner", "status"], name="surveys_complaint_owner"),
            models.Index(fields=["party"], name="surveys_complaint_party"),
            models.Index(fields=["deadline"], name="surveys_complaint_deadline"),
            models.Index(fields=["about_type", "about_id"], name="surveys_complaint_about"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="resolved") | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="surveys_complaint_resolved_has_resolution",
            ),
            models.CheckConstraint(
                condition=Q(about_type__isnull=True, about_id="")
                | (Q(about_type__isnull=False) & ~Q(about_id="")),
                name="surveys_complaint_about_complete",
            ),
            models.UniqueConstraint(
                fields=["moved_from"], condition=~Q(moved_from=""), name="surveys_complaint_moved_once"
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("surveys:complaint-detail", kwargs={"pk": self.pk})

    @property
    def about_key(self) -> str:
        """``app_label.model:pk`` of the record it is about ("reception.visit:12"), or ""."""
        if self.about_type_id is None:
            return ""
        ct = ContentType.objects.get_for_id(self.about_type_id)
        return f"{ct.app_label}.{ct.model}:{self.about_id}"

    @property
    def about_kind(self) -> str:
        """What kind of record it is about ("visit"), from the cached content types."""
        if self.about_type_id is None:
            return ""
        model = ContentType.objects.get_for_id(self.about_type_id).model_class()
        return str(model._meta.verbose_name) if model else ""

    @property
    def is_overdue(self) -> bool:
        return (
            self.status != self.Status.RESOLVED
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )
