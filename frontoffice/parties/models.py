"""Customers (parties) and the interactions every desk records with them.

One party per person or organisation, whatever desk meets them first. Interactions are the
raw material of the timeline and of the productivity and professionalism measures.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule


class Tag(BaseModel):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartyQuerySet(ScopedQuerySet):
    def active(self) -> PartyQuerySet:
        """Parties that are neither merged into another nor erased."""
        return self.filter(merged_into__isnull=True)


class Party(BaseModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    class Source(models.TextChoices):
        WALK_IN = "walk_in", _("Walk-in")
        PHONE = "phone", _("Phone")
        WEB = "web", _("Web form")
        REFERRAL = "referral", _("Referral")
        IMPORT = "import", _("Import")
        API = "api", _("API")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    # Derived by the services from the name fields; what lists show and sort by.
    display_name = models.CharField(_("name"), max_length=255, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    # E.164 (+46701234567), normalised by the services.
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    organisation_number = models.CharField(_("organisation number"), max_length=11, blank=True, db_index=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="SE")
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("en", _("English")), ("sv", _("Swedish"))],
        default="sv",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="parties")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.OTHER)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_parties",
    )
    legal_entity = models.ForeignKey(
        "org.LegalEntity",
        verbose_name=_("legal entity"),
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
    location = models.ForeignKey(
        "org.Location",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consent_data_processing = models.BooleanField(_("consent to data processing"), default=False)
    consent_data_processing_at = models.DateTimeField(
        _("data processing consent given"), null=True, blank=True
    )
    consent_marketing = models.BooleanField(_("consent to marketing"), default=False)
    consent_marketing_at = models.DateTimeField(_("marketing consent given"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Lower-cased name, e-mail, phone digits and organisation number: what search matches.
    search_text = models.TextField(editable=False, default="")
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PartyQuerySet.as_manager()
    scope_rule = ScopeRule(
        legal_entity="legal_entity",
        region="region",
        location="location",
        owner="owner",
        unassigned_in_region=True,
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["display_name", "id"]
        permissions = [
            ("merge_party", _("Can merge duplicate customers")),
            ("export_party", _("Can export customer lists")),
            ("export_personal_data", _("Can export all personal data held about a customer")),
            ("erase_party", _("Can erase (anonymise) a customer")),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "display_name"], name="party_le_name_idx"),
            models.Index(fields=["region", "display_name"], name="party_region_name_idx"),
            models.Index(fields=["location", "display_name"], name="party_location_name_idx"),
            models.Index(fields=["owner", "display_name"], name="party_owner_name_idx"),
            models.Index(fields=["kind"], name="party_kind_idx"),
            models.Index(fields=["source"], name="party_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(display_name=""), name="party_display_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="party_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("parties:party-detail", args=[self.pk])

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class Interaction(BaseModel):
    """One customer-facing contact: who, with whom, what kind, when, how long, outcome, about what."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        INVOICE_QUESTION = "invoice_question", _("Invoice question")
        NOTE = "note", _("Note")
        TASK = "task", _("Task")
        FEEDBACK = "feedback", _("Feedback")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        VIDEO = "video", _("Video")
        WEB = "web", _("Web")
        CHAT = "chat", _("Chat")
        LETTER = "letter", _("Letter")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")
        INTERNAL = "internal", _("Internal")

    party = models.ForeignKey(
        Party, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="interactions"
    )
    staff = models.ForeignKey(
        "org.Staff",
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND
    )
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    outcome = models.TextField(_("outcome"), blank=True)
    # The record this interaction concerns (appointment, lead, deal, invoice line, ...).
    concerns_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    concerns_id = models.CharField(max_length=64, blank=True)
    concerns = GenericForeignKey("concerns_type", "concerns_id")
    # Scope: copied from the staff member (or the party) when recorded.
    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "org.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity", region="region", location="location", owner="owner")

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["party", "-started_at"], name="interaction_party_idx"),
            models.Index(fields=["staff", "-started_at"], name="interaction_staff_idx"),
            models.Index(fields=["legal_entity", "-started_at"], name="interaction_le_idx"),
            models.Index(fields=["region", "-started_at"], name="interaction_region_idx"),
            models.Index(fields=["location", "-started_at"], name="interaction_location_idx"),
            models.Index(fields=["owner", "-started_at"], name="interaction_owner_idx"),
            models.Index(fields=["kind", "-started_at"], name="interaction_kind_idx"),
            models.Index(fields=["concerns_type", "concerns_id"], name="interaction_concerns_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="interaction_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def duration_minutes(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)
