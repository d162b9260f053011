"""The organisation tree, people and roles.

organisation → legal entities → regions → locations → teams → staff. Each staff member has a
role (which carries permissions and a scope level), a supervisor and a home region/location.
"""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser, Permission
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeLevel, ScopeRule
from frontoffice.org.validators import validate_organisation_number, validate_vat_number

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz]


class User(AbstractUser):
    """A person who signs in. Business data about them lives on ``Staff``."""

    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("en", _("English")), ("sv", _("Swedish"))],
        default="en",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organisation(BaseModel):
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [("manage_settings", _("Can manage organisation settings, staff and roles"))]

    def __str__(self) -> str:
        return self.name


class LegalEntity(BaseModel):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="legal_entities",
    )
    name = models.CharField(_("name"), max_length=200)
    organisation_number = models.CharField(
        _("organisation number"), max_length=11, validators=[validate_organisation_number]
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=15, blank=True, validators=[validate_vat_number]
    )
    base_currency = models.CharField(_("base currency"), max_length=3, default="SEK")
    country = models.CharField(_("country"), max_length=2, default="SE")
    default_language = models.CharField(
        _("default language"),
        max_length=8,
        choices=[("en", _("English")), ("sv", _("Swedish"))],
        default="sv",
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="pk")

    class Meta:
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation_number"], name="org_legalentity_orgnr_unique"),
            models.CheckConstraint(
                condition=Q(base_currency__regex=r"^[A-Z]{3}$"), name="org_legalentity_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Region(BaseModel):
    legal_entity = models.ForeignKey(
        LegalEntity,
        verbose_name=_("legal entity"),
        on_delete=models.PROTECT,
        related_name="regions",
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity", region="pk", location="locations", distinct=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "code"], name="org_region_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Location(BaseModel):
    class Kind(models.TextChoices):
        OFFICE = "office", _("Office")
        CLINIC = "clinic", _("Clinic")
        SALES_OFFICE = "sales_office", _("Sales office")
        STORE = "store", _("Store")

    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="locations"
    )
    legal_entity = models.ForeignKey(
        LegalEntity,
        verbose_name=_("legal entity"),
        on_delete=models.PROTECT,
        related_name="locations",
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OFFICE)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="SE")
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Stockholm"
    )
    # {"mon": [["08:00", "17:00"]], ..., "sun": []}: one list of open intervals per weekday.
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity", region="region", location="pk")

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="org_location_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Team(BaseModel):
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=200)
    lead = models.ForeignKey(
        "Staff",
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(
        legal_entity="location__legal_entity", region="location__region", location="location"
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="org_team_name_unique")]

    def __str__(self) -> str:
        return self.name


class Role(BaseModel):
    """A job role: its permissions and how far its holders can see (scope level)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    scope = models.CharField(_("scope"), max_length=20, choices=ScopeLevel.choices)
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("permissions"), blank=True, related_name="roles"
    )
    is_default = models.BooleanField(_("shipped role"), default=False, editable=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Staff(BaseModel):
    user = models.OneToOneField(User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="staff")
    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="staff"
    )
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT, related_name="staff")
    title = models.CharField(_("job title"), max_length=120, blank=True)
    supervisor = models.ForeignKey(
        "self",
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    home_region = models.ForeignKey(
        Region,
        verbose_name=_("home region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    home_location = models.ForeignKey(
        Location,
        verbose_name=_("home location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    regions = models.ManyToManyField(Region, verbose_name=_("regions managed"), blank=True, related_name="+")
    locations = models.ManyToManyField(
        Location, verbose_name=_("locations managed"), blank=True, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(
        legal_entity="legal_entity", region="home_region", location="home_location", owner="user"
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["user__first_name", "user__last_name"]
        indexes = [models.Index(fields=["legal_entity", "active"], name="org_staff_le_active_idx")]

    def __str__(self) -> str:
        return str(self.user)


class Invitation(BaseModel):
    """An e-mailed invitation to join as staff; accepting it sets the password."""

    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    legal_entity = models.ForeignKey(LegalEntity, verbose_name=_("legal entity"), on_delete=models.CASCADE)
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT)
    home_region = models.ForeignKey(
        Region, verbose_name=_("home region"), null=True, blank=True, on_delete=models.SET_NULL
    )
    home_location = models.ForeignKey(
        Location, verbose_name=_("home location"), null=True, blank=True, on_delete=models.SET_NULL
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email


class ApiToken(BaseModel):
    """A personal API token. Only a SHA-256 hash is stored; the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
