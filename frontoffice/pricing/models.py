"""Pricing: customers' price profiles (discounts, fixed prices, quantity tiers), the discount
authority of each role, and the approval requests and decisions that guard both.

Invariants (enforced by ``pricing.services``, guarded by constraints):

- a price rule targets exactly one product group or one product; a percent rule carries a
  discount between 0 and 100 %, a fixed-price rule a unit price >= 0 and targets a product;
- only approved profiles within their effective dates price documents (``effective_on``); a
  superseded profile still prices the days before its successor took over (``superseded_from``);
- a profile whose largest discount exceeds its author's authority waits for someone whose
  authority covers it; the author never approves their own profile;
- approval decisions are append-only: every submit, approval, rejection and withdrawal stays.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontoffice.core.fields import MoneyField
from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

# Profiles and approval requests follow their customer: exactly who may see the customer may
# see its pricing (a rep: own customers and the unassigned ones of the own region).
CUSTOMER_SCOPE = ScopeRule(
    legal_entity="legal_entity",
    region="party__region",
    location="party__location",
    owner="party__owner",
    unassigned_in_region=True,
)
PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def percent_field(verbose_name: str | None = None, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS, **kwargs
    )


class PriceProfileQuerySet(ScopedQuerySet):
    def effective_on(self, on: datetime.date) -> PriceProfileQuerySet:
        """Profiles that price documents dated ``on``: approved (or superseded later than
        ``on``) and within their effective dates."""
        return self.filter(
            Q(status=PriceProfile.Status.APPROVED) | Q(status=PriceProfile.Status.SUPERSEDED),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
            Q(superseded_from__isnull=True) | Q(superseded_from__gt=on),
            valid_from__lte=on,
        )


class PriceProfile(BaseModel):
    """A customer's negotiated prices with one legal entity, valid between two dates."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        SUPERSEDED = "superseded", _("Superseded")

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="price_profiles"
    )
    billing_profile = models.ForeignKey(
        "billing.BillingProfile",
        verbose_name=_("billing profile"),
        on_delete=models.PROTECT,
        related_name="price_profiles",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Leave empty: until replaced.")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The largest discount of the rules when last submitted (list price equivalent, rounded up).
    max_discount_percent = percent_field(_("largest discount (%)"), default=Decimal("0.00"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )
    superseded_from = models.DateField(_("superseded from"), null=True, blank=True)

    objects = PriceProfileQuerySet.as_manager()
    scope_rule = CUSTOMER_SCOPE

    class Meta:
        verbose_name = _("price profile")
        verbose_name_plural = _("price profiles")
        ordering = ["-valid_from", "-id"]
        permissions = [
            ("approve_priceprofile", "Can approve or reject price profiles within own discount authority"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricing_profile_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(max_discount_percent__gte=0) & Q(max_discount_percent__lte=100),
                name="pricing_profile_discount_range",
            ),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "party", "status"], name="pricing_profile_party_idx"),
            models.Index(fields=["legal_entity", "status", "-valid_from"], name="pricing_profile_list_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pricing:profile-detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        """Drafts, and rejected profiles (editing one makes it a draft again)."""
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)


class PriceRule(models.Model):
    """One price agreement of a profile: a discount or a fixed unit price, from a quantity on."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Discount (%)")
        FIXED_PRICE = "fixed_price", _("Fixed unit price")

    profile = models.ForeignKey(PriceProfile, on_delete=models.CASCADE, related_name="rules")
    product_group = models.ForeignKey(
        "billing.ProductGroup",
        verbose_name=_("product group"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    product = models.ForeignKey(
        "billing.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERCENT)
    discount_percent = percent_field(_("discount (%)"), null=True, blank=True)
    unit_price_amount = MoneyField(_("fixed unit price"), null=True, blank=True, default=None)
    min_quantity = models.DecimalField(
        _("from quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The rule applies to lines of at least this quantity (0: any quantity)."),
    )

    class Meta:
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        ordering = ["profile", "product_group", "product", "min_quantity", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(product_group__isnull=False) & Q(product__isnull=True))
                | (Q(product_group__isnull=True) & Q(product__isnull=False)),
                name="pricing_rule_one_target",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="percent")
                    & Q(discount_percent__gte=0)
                    & Q(discount_percent__lte=100)
                    & Q(unit_price_amount__isnull=True)
                )
                | (
                    Q(kind="fixed_price")
                    & Q(unit_price_amount__gte=0)
                    & Q(discount_percent__isnull=True)
                    & Q(product__isnull=False)
                ),
                name="pricing_rule_kind_amounts",
            ),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="pricing_rule_min_quantity_nonneg"),
            models.UniqueConstraint(
                fields=["profile", "product", "kind", "min_quantity"],
                condition=Q(product__isnull=False),
                name="pricing_rule_product_tier_unique",
            ),
            models.UniqueConstraint(
                fields=["profile", "product_group", "kind", "min_quantity"],
                condition=Q(product_group__isnull=False),
                name="pricing_rule_group_tier_unique",
            ),
        ]

    def __str__(self) -> str:
        target = self.product or self.product_group
        if self.kind == self.Kind.PERCENT:
            return f"{target}: {self.discount_percent} %"
        return f"{target}: {self.unit_price_amount}"

    @property
    def target(self):
        return self.product or self.product_group


class DiscountAuthority(BaseModel):
    """The largest discount a role may grant on its own in one legal entity.

    Roles without a row use the shipped default (``pricing.services.authority.DEFAULTS``).
    """

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.ForeignKey("org.Role", verbose_name=_("role"), on_delete=models.CASCADE, related_name="+")
    max_discount_percent = percent_field(_("largest discount (%)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity")

    class Meta:
        verbose_name = _("discount authority")
        verbose_name_plural = _("discount authorities")
        ordering = ["legal_entity", "max_discount_percent"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "role"], name="pricing_authority_unique"),
            models.CheckConstraint(
                condition=Q(max_discount_percent__gte=0) & Q(max_discount_percent__lte=100),
                name="pricing_authority_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.max_discount_percent} %"


class ApprovalRequest(models.Model):
    """A discount waiting for (or having had) someone's approval: of a price profile today,
    of a quote later. The target is generic; the customer and a title are kept for queues."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    title = models.CharField(_("what"), max_length=200)
    discount_percent = percent_field(_("discount (%)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("routed to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = CUSTOMER_SCOPE

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=Q(status="pending"),
                name="pricing_request_one_pending_per_target",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="pricing_request_discount_range",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status"], name="pricing_request_queue_idx"),
            models.Index(fields=["target_type", "target_id"], name="pricing_request_target_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ApprovalDecision(models.Model):
    """One step in an approval request's history. Append-only."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for approval")
        SELF_APPROVED = "self_approved", _("Approved within own authority")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    discount_percent = percent_field(_("discount (%)"))
    # The actor's authority at the time (what made a self-approval or an approval possible).
    authority_percent = percent_field(_("authority (%)"), null=True, blank=True)
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("routed to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.actor}"

    def save(self, *args, **kwargs):
        # Last-line guard: decisions are the approval history and never change.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("Approval decisions are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Approval decisions are append-only.")
