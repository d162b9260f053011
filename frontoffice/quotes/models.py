"""Quotes and proposals: priced by the customer's approved price profile, sent by e-mail with a
private link, accepted online, turned into an invoice.

Invariants (enforced by ``quotes.services``, guarded by constraints):

- quote numbers are gapless per (legal entity, year): taken from ``QuoteCounter`` (row locked,
  bumped with ``F()``) in the transaction that creates the quote; quotes are never deleted;
- a quote's totals are computed from its lines by ``billing.services.totals`` (the invoice
  arithmetic) and never typed in;
- only drafts change; a sent quote is accepted, declined or expires; an accepted quote makes
  at most one invoice (``invoice``, one-to-one);
- a manual discount above the author's discount authority must be approved (through pricing's
  generic approvals) before the quote is sent.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontoffice.billing.models import Unit
from frontoffice.core.fields import MoneyField
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

# A quote follows its owner and region, like the customer record: a rep sees the quotes they
# own, a regional manager their regions', finance the legal entity's.
QUOTE_SCOPE = ScopeRule(
    legal_entity="legal_entity", region="region", location="party__location", owner="owner"
)


class QuoteCounter(models.Model):
    """The next quote number of one legal entity in one calendar year (locked while taken)."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "year"], name="quotes_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity_id} {self.year}: {self.next_number}"


class Quote(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    class Approval(models.TextChoices):
        NONE = "none", _("Not asked")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField(_("number"))
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="quotes"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        related_name="quotes",
        null=True,
        blank=True,
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    issue_on = models.DateField(_("quote date"))
    valid_until = models.DateField(_("valid until"))
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    language = models.CharField(_("language"), max_length=5, default="sv")
    recipient_email = models.EmailField(_("send to"), blank=True)
    intro = models.TextField(_("introduction"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    net_amount = MoneyField(_("net amount"))
    vat_amount = MoneyField(_("VAT"))
    rounding_amount = MoneyField(_("rounding"))
    total_amount = MoneyField(_("total"))
    # The largest manual discount on a line (against the price the customer's profile gives),
    # recomputed with every line change; approval is needed above the author's authority.
    discount_percent = models.DecimalField(
        _("largest manual discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    approval_status = models.CharField(
        _("discount approval"), max_length=10, choices=Approval.choices, default=Approval.NONE
    )
    approved_discount_percent = models.DecimalField(
        _("approved discount (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)
    accepted_by_name = models.CharField(_("accepted by"), max_length=200, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    invoice = models.OneToOneField(
        "billing.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = QUOTE_SCOPE

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-year", "-number"]
        permissions = [
            ("send_quote", "Can send quotes to customers"),
            ("approve_quote", "Can approve discounts on quotes"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "year", "number"], name="quotes_quote_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="quotes_quote_discount_range",
            ),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "status", "valid_until"], name="quotes_quote_status_idx"),
            models.Index(fields=["party", "-issue_on"], name="quotes_quote_party_idx"),
            models.Index(fields=["owner", "-issue_on"], name="quotes_quote_owner_idx"),
            models.Index(fields=["region", "-issue_on"], name="quotes_quote_region_idx"),
            models.Index(fields=["legal_entity", "-issue_on"], name="quotes_quote_date_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("quotes:quote-detail", kwargs={"pk": self.pk})

    @property
    def reference(self) -> str:
        """The quote number as printed: ``Q2026-00007``."""
        return f"Q{self.year}-{self.number:05d}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def delete(self, *args, **kwargs):
        # Last-line guard: numbers are gapless, so a quote is never deleted (decline or let expire).
        raise RuntimeError("Quotes are never deleted; their numbers are gapless.")


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        "billing.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.PIECE)
    unit_price_amount = MoneyField(_("unit price"))
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    vat_code = models.ForeignKey(
        "billing.VatCode", verbose_name=_("VAT code"), on_delete=models.PROTECT, related_name="+"
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net_amount = MoneyField(_("amount excl. VAT"))
    price_source = models.CharField(_("price from"), max_length=100, blank=True)
    # The unit price after discount the customer's profile (or list) gives, when the line was
    # priced; a manual price is measured against it to find the manual discount.
    reference_unit_amount = MoneyField(_("profile price"), null=True, blank=True, default=None)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "line_no"], name="quotes_line_no_unique"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="quotes_line_discount_range",
            ),
            models.CheckConstraint(condition=Q(unit_price_amount__gte=0), name="quotes_line_price_nonneg"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quotes_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line_no}. {self.description}"


class QuoteLink(models.Model):
    """A private link that shows one quote to the customer without a sign-in.

    Same mechanics as ``billing.CustomerLink`` (``quotes.links``): only the SHA-256 of the
    token is stored; it expires, can be revoked, and reaches exactly one quote.
    """

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last opened"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("times opened"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(
        legal_entity="legal_entity",
        region="quote__region",
        location="quote__party__location",
        owner="quote__owner",
    )

    class Meta:
        verbose_name = _("quote link")
        verbose_name_plural = _("quote links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["quote", "-created_at"], name="quotes_link_quote_idx")]

    def __str__(self) -> str:
        return str(_("Customer link to %(quote)s") % {"quote": self.quote})
