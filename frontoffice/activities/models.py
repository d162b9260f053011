"""Calls, e-mails, tasks and face-to-face meetings of the sales desk.

- ``Activity``: one call, e-mail, meeting note or task of a rep with a customer, planned (a due
  time) or done (``done_at``). A done call, e-mail or meeting is also recorded as a parties
  ``Interaction`` (``interaction``), which the timeline and the measures read.
- ``EmailTemplate``: a per-legal-entity template (English or Swedish) with a few safe
  placeholders, for e-mails sent from the app.
- ``Meeting``: a face-to-face meeting with a customer: organiser, staff attendees, place,
  start and end (time-zone aware), agenda, notes, outcome, next step; planned → held or
  cancelled. ``uid``/``sequence`` identify it in iCalendar invitations.
- ``MeetingFeedback``: a private single-use link asking the customer to rate a held meeting.
- ``CalendarFeed``: a user's personal calendar feed token (only its digest is stored).

Scope: activities and meetings copy legal entity, region and location from their owner's
(organiser's) staff profile, else the customer, like ``parties.Interaction``; the owner path is
the rep. Sales reps see their own, regional managers their regions, national managers all.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]


def _new_uid() -> str:
    return f"{uuid.uuid4()}@frontoffice"


class ActivityQuerySet(ScopedQuerySet):
    def open(self) -> ActivityQuerySet:
        """Activities not done yet (planned calls, tasks, e-mails to write)."""
        return self.filter(done_at__isnull=True)


class Activity(BaseModel):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outbound")
        INBOUND = "inbound", _("Inbound")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "org.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="activities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    subject = models.CharField(_("subject"), max_length=200)
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    # Tasks and planned calls: when they are due; with a duration they block the calendar.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=0, validators=[MaxValueValidator(24 * 60)]
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    interaction = models.OneToOneField(
        "parties.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activity",
    )
    meeting = models.ForeignKey(
        "activities.Meeting",
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ActivityQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity", region="region", location="location", owner="owner")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "done_at", "due_at"], name="activity_owner_due_idx"),
            models.Index(fields=["party", "-created_at"], name="activity_party_idx"),
            models.Index(fields=["legal_entity", "-created_at"], name="activity_le_idx"),
            models.Index(fields=["region", "-created_at"], name="activity_region_idx"),
            models.Index(fields=["location", "-created_at"], name="activity_location_idx"),
            models.Index(fields=["kind", "-created_at"], name="activity_kind_idx"),
            models.Index(fields=["due_at"], name="activity_due_idx"),
            models.Index(fields=["done_at"], name="activity_done_idx"),
            # The list's date range: when it was done, else when it is due (selectors).
            models.Index(Coalesce("done_at", "due_at"), name="activity_when_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="task") | Q(done_at__isnull=False) | Q(due_at__isnull=False),
                name="activity_open_task_has_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("activities:activity-detail", args=[self.pk])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class EmailTemplate(BaseModel):
    """An e-mail template of one legal entity in one language.

    Placeholders are ``{name}`` from a fixed list (``services.TEMPLATE_PLACEHOLDERS``); nothing
    else is interpreted, so a template cannot run code or reach other data.
    """

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, default="sv")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity")

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["name", "language", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "name", "language"], name="activities_emailtemplate_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class MeetingQuerySet(ScopedQuerySet):
    def planned(self) -> MeetingQuerySet:
        return self.filter(status=Meeting.Status.PLANNED)


class Meeting(BaseModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "org.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="meetings"
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="organised_meetings",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), blank=True, related_name="attended_meetings"
    )
    title = models.CharField(_("title"), max_length=200)
    office = models.ForeignKey(
        "org.Location",
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")
    agenda = models.TextField(_("agenda"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # iCalendar identity: the UID never changes, SEQUENCE grows with every change sent out.
    uid = models.CharField(max_length=100, unique=True, default=_new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    interaction = models.OneToOneField(
        "parties.Interaction", null=True, blank=True, on_delete=models.PROTECT, related_name="meeting"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MeetingQuerySet.as_manager()
    scope_rule = ScopeRule(
        legal_entity="legal_entity", region="region", location="location", owner="organiser"
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["organiser", "starts_at"], name="meeting_organiser_idx"),
            models.Index(fields=["party", "-starts_at"], name="meeting_party_idx"),
            models.Index(fields=["status", "starts_at"], name="meeting_status_idx"),
            models.Index(fields=["legal_entity", "starts_at"], name="meeting_le_idx"),
            models.Index(fields=["region", "starts_at"], name="meeting_region_idx"),
            models.Index(fields=["location", "starts_at"], name="meeting_location_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("activities:meeting-detail", args=[self.pk])

    @property
    def where(self) -> str:
        if self.office_id and self.place:
            return f"{self.office}, {self.place}"
        return str(self.office) if self.office_id else self.place


class MeetingFeedback(models.Model):
    """The customer's rating of a held meeting, asked through a private single-use link.

    Only the SHA-256 of the token is stored; the link expires and takes one answer.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="feedback_requests")
    recipient = models.EmailField(_("sent to"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    interaction = models.OneToOneField(
        "parties.Interaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(
        legal_entity="meeting__legal_entity",
        region="meeting__region",
        location="meeting__location",
        owner="meeting__organiser",
    )

    class Meta:
        verbose_name = _("meeting feedback")
        verbose_name_plural = _("meeting feedback")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["meeting", "-created_at"], name="meetingfeedback_meeting_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="activities_feedback_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(rating__isnull=False),
                name="activities_feedback_answered_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Feedback on %(meeting)s") % {"meeting": self.meeting})


class CalendarFeed(models.Model):
    """A personal calendar feed URL: the token is shown once, only its digest is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(_("Calendar feed of %(user)s") % {"user": self.user})
