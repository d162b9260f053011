"""Models of the reception app: visits and their history, waiting-time targets, the self
check-in kiosks, ticket counters and visit feedback. (Complaints, the desk's included, are
``surveys.Complaint``; a complaint about a visit refers to it generically.)

Invariants (enforced by ``reception.services``, guarded by constraints where one can say it):

- a visit's ticket number is unique per location and local day and gapless: numbers come from
  one ``TicketCounter`` row per (location, day), locked and bumped inside the check-in
  transaction, so a rolled-back check-in gives its number back;
- one visit per appointment;
- a visit's status moves waiting → called_in → in_treatment / in_meeting → done, or to left
  from any open status; every change is a ``VisitEvent`` row; waiting time is
  ``called_in_at - arrived_at`` (still waiting: now - arrived_at);
- a kiosk key and a feedback token are stored only as their SHA-256; a revoked kiosk key or an
  answered or expired feedback link opens nothing;
- health-related notes are not stored here at all (they live on the appointment and are never
  shown on reception lists).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

LOCATION_SCOPE = ScopeRule(
    legal_entity="location__legal_entity", region="location__region", location="location"
)
VISIT_SCOPE = ScopeRule(
    legal_entity="visit__location__legal_entity", region="visit__location__region", location="visit__location"
)


class WaitingTarget(BaseModel):
    """How long a visitor may wait at a location before the waiting room highlights them."""

    location = models.OneToOneField(
        "org.Location", verbose_name=_("location"), on_delete=models.CASCADE, related_name="+"
    )
    minutes = models.PositiveSmallIntegerField(
        _("waiting-time target (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = LOCATION_SCOPE

    class Meta:
        verbose_name = _("waiting-time target")
        verbose_name_plural = _("waiting-time targets")
        ordering = ["location"]

    def __str__(self) -> str:
        return f"{self.location}: {self.minutes}"


class Kiosk(BaseModel):
    """A self check-in tablet of a location, opened by the secret key in its URL."""

    class ScreenShows(models.TextChoices):
        TICKETS = "tickets", _("Ticket numbers")
        INITIALS = "initials", _("Initials")

    location = models.ForeignKey(
        "org.Location", verbose_name=_("location"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100, default="Kiosk")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    screen_shows = models.CharField(
        _("waiting-room screen shows"),
        max_length=10,
        choices=ScreenShows.choices,
        default=ScreenShows.TICKETS,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set up by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LOCATION_SCOPE

    class Meta:
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")
        ordering = ["location", "name"]
        permissions = [("manage_kiosks", "Can set up and revoke kiosks and waiting-time targets")]
        indexes = [models.Index(fields=["location", "revoked_at"], name="reception_kiosk_loc")]

    def __str__(self) -> str:
        return f"{self.location}: {self.name}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class TicketCounter(models.Model):
    """The last ticket number given at a location on a local day (locked while bumped)."""

    location = models.ForeignKey("org.Location", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "day"], name="reception_ticket_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.day}: {self.last_number}"


class Visit(BaseModel):
    """One arrival at a location: a patient (from an appointment or a walk-in) or a visitor for
    a host."""

    class Kind(models.TextChoices):
        PATIENT = "patient", _("Patient")
        VISITOR = "visitor", _("Visitor")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED_IN = "called_in", _("Called in")
        IN_TREATMENT = "in_treatment", _("In treatment")
        IN_MEETING = "in_meeting", _("In meeting")
        DONE = "done", _("Done")
        LEFT = "left", _("Left")

    class Via(models.TextChoices):
        DESK = "desk", _("Desk")
        KIOSK = "kiosk", _("Kiosk")

    OPEN_STATUSES = ("waiting", "called_in", "in_treatment", "in_meeting")

    location = models.ForeignKey(
        "org.Location", verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PATIENT)
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("patient / visitor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visitor_name = models.CharField(
        _("visitor's name"),
        max_length=200,
        blank=True,
        help_text=_("For a visitor without a customer record."),
    )
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("host"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appointment = models.OneToOneField(
        "appointments.Appointment",
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visit",
    )
    purpose = models.CharField(
        _("purpose"), max_length=200, blank=True, help_text=_("No health-related details here.")
    )
    visit_date = models.DateField(_("day"))
    ticket_number = models.PositiveIntegerField(_("ticket"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.WAITING)
    via = models.CharField(_("checked in at"), max_length=10, choices=Via.choices, default=Via.DESK)
    arrived_at = models.DateTimeField(_("arrived"))
    called_in_at = models.DateTimeField(_("called in"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    receptionist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    host_notified_at = models.DateTimeField(_("host notified"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LOCATION_SCOPE

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-arrived_at", "-pk"]
        permissions = [("view_desk_report", "Can view the reception desk report")]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "visit_date", "ticket_number"], name="reception_visit_ticket_unique"
            ),
            models.CheckConstraint(
                condition=Q(called_in_at__isnull=True) | Q(called_in_at__gte=models.F("arrived_at")),
                name="reception_visit_called_after_arrival",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "visit_date", "status"], name="reception_visit_loc_day"),
            models.Index(fields=["host", "visit_date"], name="reception_visit_host_day"),
            models.Index(fields=["party", "-arrived_at"], name="reception_visit_party"),
            models.Index(fields=["receptionist", "visit_date"], name="reception_visit_recept_day"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_number} {self.visit_date}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reception:visit-detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def name(self) -> str:
        if self.party_id:
            return self.party.display_name
        return self.visitor_name

    @property
    def initials(self) -> str:
        """First name and the initial of the last name ("Anna S."), for kiosk and screen."""
        if self.party_id and self.party.kind == "person" and (self.party.first_name or self.party.last_name):
            first, last = self.party.first_name.strip(), self.party.last_name.strip()
        else:
            parts = (self.name or "").split()
            first, last = (parts[0], parts[-1]) if len(parts) > 1 else ((parts or [""])[0], "")
        return f"{first} {last[:1]}.".strip() if last else first


class VisitEvent(models.Model):
    """One step in a visit's history."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = VISIT_SCOPE

    class Meta:
        verbose_name = _("visit event")
        verbose_name_plural = _("visit events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["visit", "at"], name="reception_visitevent_visit")]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class VisitFeedback(models.Model):
    """The visitor's rating of a completed visit, asked through a private single-use link.

    Only the SHA-256 of the token is stored; the link expires and takes one answer. The rating
    counts for the receptionist who checked the visitor in and for the location (both copied
    here when the link is made).
    """

    visit = models.OneToOneField(
        Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="feedback"
    )
    location = models.ForeignKey(
        "org.Location", verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    receptionist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receptionist"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipient = models.EmailField(_("sent to"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    interaction = models.OneToOneField(
        "parties.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LOCATION_SCOPE

    class Meta:
        verbose_name = _("visit feedback")
        verbose_name_plural = _("visit feedback")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["location", "answered_at"], name="reception_feedback_loc"),
            models.Index(fields=["receptionist", "answered_at"], name="reception_feedback_recept"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="reception_feedback_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(rating__isnull=False),
                name="reception_feedback_answered_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit}: {self.rating or '-'}"
