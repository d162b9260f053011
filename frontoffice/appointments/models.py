"""Appointments: bookable resources, their working hours and absences, appointment types and
appointments with their history.

Invariants (enforced by ``appointments.services``, guarded by constraints where one can say it):

- an appointment occupies its resource (and its room, when it has one) from ``busy_from``
  (start minus the type's buffer before) to ``busy_until`` (end plus the buffer after);
  the busy ranges of a resource's *active* appointments never overlap (half-open ranges, so
  back-to-back bookings are allowed). On PostgreSQL an exclusion constraint guards this
  (migration 0003); everywhere the booking service checks it under a row lock on the resource;
- ``status`` moves only forward along booked → checked_in → called_in → in_treatment → done,
  or to cancelled / no_show from booked; every change is an ``AppointmentEvent`` row;
- ``booking_code`` is random (8 characters from a 31-letter alphabet, ~40 bits), unique, and
  the only key the self check-in kiosk accepts;
- ``health_notes`` are health-related and never shown on lists, calendars, exports or e-mails.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

LOCATION_SCOPE = ScopeRule(
    legal_entity="location__legal_entity", region="location__region", location="location"
)
RESOURCE_SCOPE = ScopeRule(
    legal_entity="resource__location__legal_entity",
    region="resource__location__region",
    location="resource__location",
)
APPOINTMENT_SCOPE = ScopeRule(
    legal_entity="appointment__location__legal_entity",
    region="appointment__location__region",
    location="appointment__location",
)


class Resource(BaseModel):
    """Something bookable at a location: a practitioner, a room or a host."""

    class Kind(models.TextChoices):
        PRACTITIONER = "practitioner", _("Practitioner")
        ROOM = "room", _("Room")
        HOST = "host", _("Host")

    location = models.ForeignKey(
        "org.Location", verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PRACTITIONER)
    name = models.CharField(_("name"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The staff member this resource is, for practitioners and hosts."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LOCATION_SCOPE

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["location", "position", "name"]
        permissions = [("manage_resources", "Can manage resources, working hours, absences and types")]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="appointments_resource_name_unique"),
        ]
        indexes = [models.Index(fields=["location", "active"], name="appt_resource_loc_active")]

    def __str__(self) -> str:
        return self.name


class WorkingHours(BaseModel):
    """One working interval of a resource on one weekday, valid between optional dates."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
        validators=[MaxValueValidator(6)],
    )
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = RESOURCE_SCOPE

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["resource", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="appointments_workinghours_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["resource", "weekday"], name="appt_wh_resource_weekday")]

    def __str__(self) -> str:
        return f"{self.resource} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class Absence(BaseModel):
    """A resource is not bookable from ``start_at`` until ``end_at`` (leave, course, repair)."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="absences"
    )
    start_at = models.DateTimeField(_("from"))
    end_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = RESOURCE_SCOPE

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["resource", "start_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="appointments_absence_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["resource", "start_at"], name="appt_absence_resource_start")]

    def __str__(self) -> str:
        return f"{self.resource}: {self.reason or _('absent')}"


class AppointmentType(BaseModel):
    """What is booked: a name, a duration and buffers, for one legal entity or one location."""

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "org.Location",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty to offer the type at every location of the legal entity."),
    )
    name = models.CharField(_("name"), max_length=200)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(12 * 60)]
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        _("buffer before (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    colour = models.CharField(_("colour"), max_length=7, default="#4a90d9")
    requires_practitioner = models.BooleanField(_("requires a practitioner"), default=True)
    requires_room = models.BooleanField(_("requires a room"), default=False)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    # Types are reference data of the legal entity; location-bound types are narrowed by selectors.
    scope_rule = ScopeRule(legal_entity="legal_entity")

    class Meta:
        verbose_name = _("appointment type")
        verbose_name_plural = _("appointment types")
        ordering = ["name"]
        indexes = [models.Index(fields=["legal_entity", "active"], name="appt_type_entity_active")]

    def __str__(self) -> str:
        return self.name


class Appointment(BaseModel):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        CALLED_IN = "called_in", _("Called in")
        IN_TREATMENT = "in_treatment", _("In treatment")
        DONE = "done", _("Done")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    # Statuses that occupy the resource (the others free the slot).
    ACTIVE_STATUSES = ("booked", "checked_in", "called_in", "in_treatment", "done")

    location = models.ForeignKey(
        "org.Location", verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        Resource,
        verbose_name=_("room"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="room_appointments",
    )
    appointment_type = models.ForeignKey(
        AppointmentType, verbose_name=_("appointment type"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("patient / visitor"), on_delete=models.PROTECT, related_name="+"
    )
    start_at = models.DateTimeField(_("start"))
    end_at = models.DateTimeField(_("end"))
    # start_at - buffer before, end_at + buffer after: what no other active booking may overlap.
    busy_from = models.DateTimeField(_("busy from"))
    busy_until = models.DateTimeField(_("busy until"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.BOOKED)
    booking_code = models.CharField(_("booking code"), max_length=16, unique=True)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Practical notes for the desk."))
    health_notes = models.TextField(
        _("health-related notes"),
        blank=True,
        help_text=_("Shown only on the appointment itself, never on lists or calendars."),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    no_show_at = models.DateTimeField(_("marked as no-show"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    called_in_at = models.DateTimeField(_("called in"), null=True, blank=True)
    started_at = models.DateTimeField(_("treatment started"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # iCalendar SEQUENCE: bumped on every move and on cancellation.
    sequence = models.PositiveIntegerField(_("revision"), default=0)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    # Set when the patient asked to be erased: the record is kept (Patientdatalagen) but
    # free-text details and the link to the e-mail were removed.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LOCATION_SCOPE

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="appointments_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(busy_from__lte=F("start_at")) & Q(busy_until__gte=F("end_at")),
                name="appointments_busy_covers_visit",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "start_at"], name="appt_location_start"),
            models.Index(fields=["resource", "start_at"], name="appt_resource_start"),
            models.Index(fields=["room", "start_at"], name="appt_room_start"),
            models.Index(fields=["resource", "busy_from"], name="appt_resource_busy"),
            models.Index(fields=["status", "start_at"], name="appt_status_start"),
            models.Index(fields=["party", "start_at"], name="appt_party_start"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type_id and self.appointment_type} {self.start_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def booking_code_display(self) -> str:
        code = self.booking_code
        return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


class AppointmentEvent(models.Model):
    """One step in an appointment's history: booked, moved, status changed, cancelled."""

    class Kind(models.TextChoices):
        BOOKED = "booked", _("Booked")
        MOVED = "moved", _("Moved")
        STATUS = "status", _("Status changed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")
        REMINDED = "reminded", _("Reminder sent")
        CONFIRMED = "confirmed", _("Confirmation sent")

    appointment = models.ForeignKey(
        Appointment, verbose_name=_("appointment"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, blank=True)
    old_start_at = models.DateTimeField(_("previous start"), null=True, blank=True)
    new_start_at = models.DateTimeField(_("new start"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = APPOINTMENT_SCOPE

    class Meta:
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["appointment", "at"], name="appt_event_appt_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
