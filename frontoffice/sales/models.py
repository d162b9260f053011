"""Opportunities, their pipeline stages and history.

Invariants (enforced by ``sales.services``, guarded by constraints where one can say it):

- a stage belongs to one legal entity; its probability is 0..100 percent; a won stage is the
  only kind that closes an opportunity as won, a lost stage as lost;
- an opportunity's stage belongs to the opportunity's legal entity; the amount is >= 0;
- ``closed_on`` is set exactly when the stage is won or lost; a won opportunity has a
  ``win_reason`` and a lost one a ``loss_reason``;
- every change of stage, amount or owner, and every win or loss, is one ``OpportunityEvent``
  (the history the conversion numbers are computed from) and one audit entry.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontoffice.core.fields import MoneyField
from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

STAGE_SCOPE = ScopeRule(legal_entity="legal_entity")
OPPORTUNITY_SCOPE = ScopeRule(legal_entity="legal_entity", region="region", owner="owner")
EVENT_SCOPE = ScopeRule(
    legal_entity="opportunity__legal_entity", region="opportunity__region", owner="opportunity__owner"
)


class Stage(BaseModel):
    """One column of a legal entity's pipeline."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("How likely an opportunity in this stage is to be won, 0-100 %."),
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.OPEN)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = STAGE_SCOPE

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["legal_entity", "order", "id"]
        permissions = [("manage_stages", "Can manage pipeline stages")]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "name"], name="sales_stage_name_unique"),
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=100),
                name="sales_stage_probability_range",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["open", "won", "lost"]), name="sales_stage_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["legal_entity", "active", "order"], name="sales_stage_le_order_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class Opportunity(BaseModel):
    """A possible sale to a customer, moving through the stages of its legal entity."""

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=200)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    opened_on = models.DateField(_("opened"), default=timezone.localdate)
    expected_close_on = models.DateField(_("expected close"))
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    win_reason = models.TextField(_("win reason"), blank=True)
    loss_reason = models.TextField(_("loss reason"), blank=True)
    competitors = models.CharField(_("competitors"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    products = models.ManyToManyField(
        "billing.Product",
        verbose_name=_("products"),
        through="OpportunityProduct",
        related_name="+",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = OPPORTUNITY_SCOPE

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close_on", "id"]
        permissions = [("view_forecast", "Can view the sales forecast and pipeline reports")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_opportunity_amount_not_negative"),
            models.CheckConstraint(condition=~Q(name=""), name="sales_opportunity_name_not_empty"),
        ]
        indexes = [
            models.Index(
                fields=["legal_entity", "stage", "expected_close_on"], name="sales_opp_le_stage_idx"
            ),
            models.Index(fields=["owner", "stage", "expected_close_on"], name="sales_opp_owner_idx"),
            models.Index(fields=["region", "stage", "expected_close_on"], name="sales_opp_region_idx"),
            models.Index(fields=["legal_entity", "expected_close_on"], name="sales_opp_le_close_idx"),
            models.Index(fields=["party", "-created_at"], name="sales_opp_party_idx"),
            models.Index(fields=["legal_entity", "closed_on"], name="sales_opp_le_closed_idx"),
            models.Index(fields=["legal_entity", "name"], name="sales_opp_le_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_amount(self):
        from decimal import ROUND_HALF_UP, Decimal

        return (self.amount * self.stage.probability / Decimal(100)).quantize(Decimal("0.01"), ROUND_HALF_UP)


class OpportunityProduct(BaseModel):
    """A product the customer may buy in an opportunity, with quantity and amount."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "billing.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    amount = MoneyField(_("amount"))

    objects = ScopedQuerySet.as_manager()
    scope_rule = EVENT_SCOPE

    class Meta:
        verbose_name = _("opportunity product")
        verbose_name_plural = _("opportunity products")
        ordering = ["opportunity", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_oppproduct_quantity_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_oppproduct_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product} x {self.quantity}"


class OpportunityEvent(models.Model):
    """One line of an opportunity's history (append-only)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        AMOUNT_CHANGED = "amount_changed", _("Amount changed")
        OWNER_CHANGED = "owner_changed", _("Owner changed")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        REOPENED = "reopened", _("Reopened")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    old_amount = MoneyField(_("old amount"), null=True, blank=True, default=None)
    new_amount = MoneyField(_("new amount"), null=True, blank=True, default=None)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = EVENT_SCOPE

    class Meta:
        verbose_name = _("opportunity event")
        verbose_name_plural = _("opportunity events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["opportunity", "-at"], name="sales_oppevent_opp_at_idx"),
            models.Index(fields=["kind", "at"], name="sales_oppevent_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
