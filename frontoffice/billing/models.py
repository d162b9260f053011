"""Billing: catalogue and VAT codes, customer billing profiles, invoices and credit notes.

Invariants (enforced by ``billing.services``, guarded by constraints):

- an invoice's totals are computed from its lines by ``billing.services.totals`` (line net =
  quantity * unit price - discount, rounded to öre; VAT per rate on the sum of that rate's net
  amounts; see docs/billing.md for the rounding rules) and never typed in;
- invoice numbers are gapless per (series, year), assigned in the transaction that posts the
  invoice to the ledger (one voucher per issued invoice, ``voucher``);
- issued invoices and credit notes never change: a correction is a credit note (``credits``)
  and, optionally, a new invoice;
- amounts on a document are as printed (a credit note's lines and totals are positive);
  ``open_amount`` is signed: what the customer still owes on an invoice (> 0), or what a credit
  note still has to give back (< 0), kept up to date in the same transaction as every payment
  allocation or credit note.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from frontoffice.core.fields import MoneyField
from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

ENTITY_SCOPE = ScopeRule(legal_entity="legal_entity")
# Invoices and profiles follow their customer: a sales rep sees their own customers' documents.
CUSTOMER_SCOPE = ScopeRule(
    legal_entity="legal_entity", region="party__region", location="party__location", owner="party__owner"
)


class VatCategory(models.TextChoices):
    """UNCL 5305 tax categories, as Peppol BIS Billing 3.0 names them."""

    STANDARD = "S", _("Standard rate")
    ZERO = "Z", _("Zero rated")
    EXEMPT = "E", _("Exempt from VAT")
    REVERSE_CHARGE = "AE", _("Reverse charge")
    INTRA_EU = "K", _("Intra-community supply")
    EXPORT = "G", _("Export outside the EU")
    OUTSIDE_SCOPE = "O", _("Outside the scope of VAT")


class VatCode(BaseModel):
    """A VAT treatment a product or invoice line can carry, with the accounts it posts to."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    name_sv = models.CharField(_("name (Swedish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    category = models.CharField(_("category"), max_length=2, choices=VatCategory.choices)
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    revenue_account = models.ForeignKey(
        "finance.LedgerAccount",
        verbose_name=_("revenue account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    vat_account = models.ForeignKey(
        "finance.LedgerAccount",
        verbose_name=_("output VAT account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    exemption_reason = models.CharField(
        _("exemption text on the invoice"),
        max_length=200,
        blank=True,
        help_text=_("Required for reverse charge, exempt and export: the reason printed on the invoice."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("VAT code")
        verbose_name_plural = _("VAT codes")
        ordering = ["legal_entity", "code"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "code"], name="billing_vatcode_unique"),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="billing_vatcode_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.rate:g} %)"


class BillingSettings(BaseModel):
    """What a legal entity prints on its invoices and how it bills: one row per legal entity."""

    legal_entity = models.OneToOneField("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("billing e-mail"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    bankgiro = models.CharField(_("bankgiro"), max_length=20, blank=True)
    plusgiro = models.CharField(_("plusgiro"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    f_tax_registered = models.BooleanField(
        _("approved for F-tax"),
        default=True,
        help_text=_("Prints “Godkänd för F-skatt” on invoices, as Swedish law requires when it applies."),
    )
    default_payment_terms_days = models.PositiveSmallIntegerField(
        _("default payment terms (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    late_interest_text = models.CharField(_("late payment interest text"), max_length=200, blank=True)
    receivables_account = models.ForeignKey(
        "finance.LedgerAccount",
        verbose_name=_("receivables account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rounding_account = models.ForeignKey(
        "finance.LedgerAccount",
        verbose_name=_("rounding account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    round_to_whole_krona = models.BooleanField(
        _("round totals to whole kronor"),
        default=False,
        help_text=_(
            "The amount to pay is rounded to whole kronor; the difference posts to the rounding account."
        ),
    )
    invoice_voucher_series = models.CharField(_("voucher series for invoices"), max_length=10, default="F")
    payment_voucher_series = models.CharField(_("voucher series for payments"), max_length=10, default="B")

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self) -> str:
        return str(_("Billing settings"))


class ProductGroup(BaseModel):
    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["legal_entity", "code"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "code"], name="billing_productgroup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Unit(models.TextChoices):
    """UN/ECE Recommendation 20 unit codes (what Peppol invoices carry)."""

    PIECE = "C62", _("piece")
    EACH = "EA", _("each")
    HOUR = "HUR", _("hour")
    DAY = "DAY", _("day")
    MONTH = "MON", _("month")
    KILOGRAM = "KGM", _("kilogram")
    METRE = "MTR", _("metre")
    LITRE = "LTR", _("litre")


class Product(BaseModel):
    class Kind(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("product code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SERVICE)
    group = models.ForeignKey(
        ProductGroup,
        verbose_name=_("product group"),
        on_delete=models.PROTECT,
        related_name="products",
        null=True,
        blank=True,
    )
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.PIECE)
    unit_price_amount = MoneyField(_("list price (excl. VAT)"))
    vat_code = models.ForeignKey(
        VatCode, verbose_name=_("VAT code"), on_delete=models.PROTECT, related_name="+"
    )
    revenue_account = models.ForeignKey(
        "finance.LedgerAccount",
        verbose_name=_("revenue account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Leave empty to use the VAT code's revenue account."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["legal_entity", "code"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "code"], name="billing_product_code_unique"),
            models.CheckConstraint(
                condition=Q(unit_price_amount__gte=0), name="billing_product_price_nonneg"
            ),
        ]
        indexes = [models.Index(fields=["legal_entity", "active", "name"], name="billing_product_list_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DeliveryMethod(models.TextChoices):
    EMAIL = "email", _("E-mail with PDF and link")
    PEPPOL = "peppol", _("Peppol e-invoice")
    LETTER = "letter", _("Letter (printed PDF)")


class BillingProfile(BaseModel):
    """How one customer is billed by one legal entity. Pricing lives in ``pricing``."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="billing_profiles"
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    organisation_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    street = models.CharField(_("billing address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="SE")
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    credit_limit_amount = MoneyField(_("credit limit"), null=True, blank=True, default=None)
    delivery = models.CharField(
        _("invoice delivery"), max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.EMAIL
    )
    peppol_id = models.CharField(
        _("Peppol participant id"),
        max_length=50,
        blank=True,
        help_text=_("Scheme and identifier, e.g. 0007:5560360793 for a Swedish organisation number."),
    )
    buyer_reference = models.CharField(_("buyer reference"), max_length=100, blank=True)
    language = models.CharField(_("invoice language"), max_length=5, default="sv")
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    default_vat_code = models.ForeignKey(
        VatCode,
        verbose_name=_("VAT code override"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("E.g. reverse charge or export for every line billed to this customer."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = CUSTOMER_SCOPE

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "party"], name="billing_profile_party_unique"),
            models.CheckConstraint(
                condition=Q(credit_limit_amount__isnull=True) | Q(credit_limit_amount__gte=0),
                name="billing_profile_credit_limit_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class InvoiceSeries(BaseModel):
    """A numbering series for invoices or credit notes; numbers are gapless per series and year."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("number prefix"), max_length=10, blank=True)
    for_credit_notes = models.BooleanField(_("for credit notes"), default=False)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("invoice series")
        verbose_name_plural = _("invoice series")
        ordering = ["legal_entity", "code"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "code"], name="billing_series_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InvoiceCounter(models.Model):
    """The next number of one series in one calendar year (locked while an invoice is issued)."""

    series = models.ForeignKey(InvoiceSeries, on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveSmallIntegerField()
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="billing_counter_unique")]

    def __str__(self) -> str:
        return f"{self.series.code} {self.year}: {self.next_number}"


class InvoiceQuerySet(ScopedQuerySet):
    def issued(self) -> InvoiceQuerySet:
        return self.exclude(status=Invoice.Status.DRAFT)

    def open(self) -> InvoiceQuerySet:
        return self.issued().exclude(open_amount=0)


class Invoice(models.Model):
    """An invoice or a credit note (``kind``). Drafts are editable; issued documents never change."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Credited")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    profile = models.ForeignKey(
        BillingProfile, verbose_name=_("billing profile"), on_delete=models.PROTECT, related_name="invoices"
    )
    series = models.ForeignKey(
        InvoiceSeries, verbose_name=_("series"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    credits = models.ForeignKey(
        "self",
        verbose_name=_("credits invoice"),
        on_delete=models.PROTECT,
        related_name="credit_notes",
        null=True,
        blank=True,
    )
    issue_on = models.DateField(_("invoice date"), null=True, blank=True)
    delivery_on = models.DateField(_("delivery date"), null=True, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    language = models.CharField(_("language"), max_length=5, default="sv")
    # The buyer as billed, copied from the profile when the invoice is issued (an invoice is a
    # legal document: later profile changes must not change it).
    buyer_name = models.CharField(_("buyer"), max_length=200, blank=True)
    buyer_organisation_number = models.CharField(_("buyer organisation number"), max_length=20, blank=True)
    buyer_vat_number = models.CharField(_("buyer VAT number"), max_length=20, blank=True)
    buyer_street = models.CharField(_("buyer address"), max_length=200, blank=True)
    buyer_postal_code = models.CharField(_("buyer postal code"), max_length=20, blank=True)
    buyer_city = models.CharField(_("buyer city"), max_length=100, blank=True)
    buyer_country = models.CharField(_("buyer country"), max_length=2, default="SE")
    buyer_email = models.EmailField(_("buyer e-mail"), blank=True)
    buyer_reference = models.CharField(_("your reference"), max_length=100, blank=True)
    seller_reference = models.CharField(_("our reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes on the invoice"), blank=True)
    payment_reference = models.CharField(
        _("payment reference (OCR)"), max_length=25, blank=True, db_index=True
    )
    net_amount = MoneyField(_("net amount"))
    vat_amount = MoneyField(_("VAT"))
    rounding_amount = MoneyField(_("rounding"))
    total_amount = MoneyField(_("total"))
    open_amount = MoneyField(_("open amount"))
    voucher = models.OneToOneField(
        "finance.JournalEntry",
        verbose_name=_("voucher"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    source_type = models.CharField(max_length=30, blank=True)  # "quote", "recurring", ...
    source_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Manual line prices below the customer's own price (services.discounts): the largest
    # discount against the list price that nobody with the authority for it has approved
    # yet, and the largest one approved through pricing's approvals. A draft is issued only
    # when the first is not above the second.
    discount_to_approve_percent = models.DecimalField(
        _("discount waiting for approval (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    discount_approved_percent = models.DecimalField(
        _("discount approved (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )

    objects = InvoiceQuerySet.as_manager()
    scope_rule = CUSTOMER_SCOPE

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_on", "-number", "-id"]
        permissions = [
            ("issue_invoice", "Can issue invoices and credit notes"),
            ("manage_billing", "Can manage billing settings, VAT codes and series"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "number"],
                condition=Q(number__isnull=False),
                name="billing_invoice_number_unique",
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="billing_invoice_idempotency_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(number__isnull=False) & Q(issue_on__isnull=False)),
                name="billing_invoice_issued_numbered",
            ),
            models.CheckConstraint(
                condition=Q(kind="credit_note") | Q(credits__isnull=True),
                name="billing_invoice_only_credit_notes_credit",
            ),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "status", "due_on"], name="billing_invoice_aging_idx"),
            # The receivables aging reads only open items: one index-only scan of this partial
            # index per legal entity (receivables.selectors.aging).
            models.Index(
                fields=["legal_entity", "party", "due_on", "issue_on", "open_amount"],
                condition=Q(status="issued") & ~Q(open_amount=0),
                name="billing_invoice_open_items_idx",
            ),
            models.Index(fields=["legal_entity", "-issue_on", "-number"], name="billing_invoice_list_idx"),
            models.Index(fields=["party", "-issue_on"], name="billing_invoice_party_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("Draft invoice %(id)s") % {"id": self.pk})

    def get_absolute_url(self) -> str:
        return reverse("billing:invoice-detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """The invoice number as printed: prefix, year and number (e.g. F2026-00042)."""
        if self.number is None:
            return ""
        return f"{self.series.prefix}{self.year}-{self.number:05d}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def needs_discount_approval(self) -> bool:
        return self.discount_to_approve_percent > self.discount_approved_percent

    def delete(self, *args, **kwargs):
        # Last-line guard: issued invoices are legal documents and are never deleted.
        if self.status != self.Status.DRAFT:
            raise RuntimeError("Issued invoices cannot be deleted; credit them instead.")
        return super().delete(*args, **kwargs)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
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
        VatCode, verbose_name=_("VAT code"), on_delete=models.PROTECT, related_name="+"
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    revenue_account = models.ForeignKey(
        "finance.LedgerAccount", verbose_name=_("revenue account"), on_delete=models.PROTECT, related_name="+"
    )
    net_amount = MoneyField(_("amount excl. VAT"))
    price_source = models.CharField(_("price from"), max_length=100, blank=True)
    # A price or discount typed on the line below the customer's own price: the discount it
    # gives against the list price, and who had the discount authority for it (none: the
    # draft needs approval before it is issued).
    manual_discount_percent = models.DecimalField(
        _("discount against the list price (%)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    discount_authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    credits_line = models.ForeignKey(
        "self",
        verbose_name=_("credits line"),
        on_delete=models.PROTECT,
        related_name="credited_by",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_no"], name="billing_line_no_unique"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="billing_line_discount_range",
            ),
            models.CheckConstraint(condition=Q(unit_price_amount__gte=0), name="billing_line_price_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.line_no}. {self.description}"


class CustomerLink(models.Model):
    """A private link that shows one document to the customer without a sign-in.

    Only the SHA-256 of the token is stored: the token itself is shown once, when the link is
    made (``billing.services.links``). A link expires, can be revoked, and reaches exactly one
    document: ``document`` names its kind (an invoice or credit note now; quotes later, with
    their own foreign key beside ``invoice``).
    """

    class Document(models.TextChoices):
        INVOICE = "invoice", _("Invoice")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    document = models.CharField(_("document"), max_length=20, choices=Document.choices)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="customer_links",
        null=True,
        blank=True,
    )
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
        region="invoice__party__region",
        location="invoice__party__location",
        owner="invoice__party__owner",
    )

    class Meta:
        verbose_name = _("customer link")
        verbose_name_plural = _("customer links")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(document="invoice") | Q(invoice__isnull=False),
                name="billing_customerlink_invoice_set",
            ),
        ]
        indexes = [models.Index(fields=["invoice", "-created_at"], name="billing_customerlink_inv_idx")]

    def __str__(self) -> str:
        return str(_("Customer link to %(document)s") % {"document": self.invoice or self.document})


# ---------------------------------------------------------------- questions about invoice lines


class QuestionSettings(BaseModel):
    """How fast one legal entity answers invoice questions: targets in working hours
    (Monday to Friday 08:00-17:00 Europe/Stockholm, see ``billing.question_hours``)."""

    legal_entity = models.OneToOneField("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    first_response_hours = models.PositiveSmallIntegerField(
        _("first response within (working hours)"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(400)],
    )
    resolution_hours = models.PositiveSmallIntegerField(
        _("resolution within (working hours)"),
        default=40,
        validators=[MinValueValidator(1), MaxValueValidator(400)],
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("question settings")
        verbose_name_plural = _("question settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_hours__gte=1)
                & Q(resolution_hours__gte=models.F("first_response_hours")),
                name="billing_questionsettings_targets",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Question settings"))


class InvoiceQuestion(models.Model):
    """A customer's question about one line of an issued invoice (an interaction of kind
    ``invoice_question``), from asking to resolution and the customer's rating.

    Written only by ``billing.services.questions``; scoped like its invoice's customer.
    """

    class Category(models.TextChoices):
        PRICING = "pricing", _("Pricing")
        QUANTITY = "quantity", _("Quantity")
        VAT = "vat", _("VAT")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        CUSTOMER_PAGE = "customer_page", _("Customer page")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        IN_PERSON = "in_person", _("In person")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    class Resolution(models.TextChoices):
        EXPLANATION = "explanation", _("Explanation")
        CREDIT_NOTE = "credit_note", _("Credit note")

    ACTIVE = (Status.OPEN, Status.ANSWERED, Status.REOPENED)

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="questions"
    )
    line = models.ForeignKey(
        InvoiceLine, verbose_name=_("invoice line"), on_delete=models.PROTECT, related_name="questions"
    )
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="invoice_questions",
    )
    interaction = models.OneToOneField(
        "parties.Interaction", on_delete=models.PROTECT, related_name="invoice_question"
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=15, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    customer_name = models.CharField(_("asked by"), max_length=200, blank=True)
    reply_email = models.EmailField(_("answer to e-mail"), blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    asked_at = models.DateTimeField(_("asked"))
    first_response_due_at = models.DateTimeField(_("first response due"))
    resolution_due_at = models.DateTimeField(_("resolution due"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # Working minutes (business hours) from asking to the first response / the resolution.
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=15, choices=Resolution.choices, blank=True)
    credit_note = models.ForeignKey(
        Invoice,
        verbose_name=_("credit note"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    corrected_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("corrected invoice"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = CUSTOMER_SCOPE

    class Meta:
        verbose_name = _("invoice question")
        verbose_name_plural = _("invoice questions")
        ordering = ["-asked_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="billing_question_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(rated_at__isnull=True) | Q(rating__isnull=False),
                name="billing_question_rated_has_rating",
            ),
            models.CheckConstraint(
                condition=~Q(resolution="credit_note") | Q(credit_note__isnull=False),
                name="billing_question_credit_resolution_has_note",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                name="billing_question_resolved_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["legal_entity", "status", "resolution_due_at"], name="billing_question_queue_idx"
            ),
            models.Index(fields=["assigned_to", "status"], name="billing_question_assignee_idx"),
            models.Index(fields=["invoice", "asked_at"], name="billing_question_invoice_idx"),
        ]

    def __str__(self) -> str:
        return str(
            _("Question %(id)s on %(invoice)s line %(line)s")
            % {
                "id": self.pk,
                "invoice": self.invoice.reference if self.invoice_id else "",
                "line": self.line.line_no if self.line_id else "",
            }
        )

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def can_be_rated(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.CLOSED) and self.rated_at is None


class QuestionMessage(models.Model):
    """One message of a question's conversation. Internal notes are never shown to the customer."""

    class Sender(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Staff")

    question = models.ForeignKey(InvoiceQuestion, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(_("from"), max_length=10, choices=Sender.choices)
    # Staff messages: the writer. Customer messages: the staff member who took them down (phone,
    # e-mail), or nobody when the customer wrote on the invoice page.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("question message")
        verbose_name_plural = _("question messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(sender="staff"), name="billing_questionmessage_internal_staff"
            ),
        ]
        indexes = [models.Index(fields=["question", "created_at"], name="billing_qmessage_question_idx")]

    def __str__(self) -> str:
        return f"{self.get_sender_display()}: {self.body[:50]}"


# ---------------------------------------------------------------- recurring invoices


class RecurringInvoice(BaseModel):
    """An invoice issued to one customer every ``interval_months`` months, from template lines.

    ``lines`` are keyword arguments of ``services.invoicing.invoice_line_add`` (JSON: product
    id or description, quantity, unit price and VAT code as strings). ``next_run_on`` is the
    invoice date of the next invoice; the batch (``services.recurring``) moves it on.
    """

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="recurring_invoices",
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    lines = models.JSONField(_("template lines"), default=list)
    interval_months = models.PositiveSmallIntegerField(
        _("every (months)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    next_run_on = models.DateField(_("next invoice date"))
    end_on = models.DateField(
        _("last invoice date"), null=True, blank=True, help_text=_("No invoice is dated after this day.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = CUSTOMER_SCOPE

    class Meta:
        verbose_name = _("recurring invoice")
        verbose_name_plural = _("recurring invoices")
        ordering = ["next_run_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_months__gte=1), name="billing_recurringinvoice_interval_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "active", "next_run_on"], name="billing_recurring_due_idx")
        ]

    def __str__(self) -> str:
        return self.description or str(_("Recurring invoice %(id)s") % {"id": self.pk})


class RecurringRun(models.Model):
    """One period of a recurring invoice that has been invoiced. The unique (recurring, period
    key) pair is what makes the batch safe to run twice: a period is never invoiced again."""

    recurring = models.ForeignKey(RecurringInvoice, on_delete=models.PROTECT, related_name="runs")
    period_key = models.CharField(_("period"), max_length=20)
    invoice = models.OneToOneField(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="recurring_run"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("recurring invoice run")
        verbose_name_plural = _("recurring invoice runs")
        ordering = ["recurring", "period_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["recurring", "period_key"], name="billing_recurringrun_period_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recurring} {self.period_key}"
