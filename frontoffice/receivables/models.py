"""Receivables: customer payments and their allocation to invoices, bank-file imports,
overdue reminders and disputes.

Invariants (enforced by ``receivables.services``, guarded by constraints where a constraint
can say it):

- a payment is in its legal entity's base currency, for an amount > 0, and posts exactly one
  voucher when registered (``voucher``): debit the bank account, credit receivables for the
  part allocated to invoices and the customer-prepayment account for the rest (see
  ``services/payments.py``);
- ``unallocated_amount`` = ``amount`` - the sum of the payment's active allocations, and lies
  between 0 and ``amount``;
- an allocation never exceeds the invoice's open amount; an overpayment stays unallocated on
  the payment. Allocations are not deleted: undoing one marks it reversed (``reversed_at``)
  and, when money moves between ledger accounts, posts a voucher;
- ``billing.Invoice.open_amount`` changes only through ``billing.services.settlement``, in the
  same transaction as the allocation;
- a bank file (by the SHA-256 of its bytes) is imported at most once per legal entity;
- each reminder level (1..3) is sent at most once per invoice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from frontoffice.core.fields import MoneyField
from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

ENTITY_SCOPE = ScopeRule(legal_entity="legal_entity")
# Payments follow their customer (when known): a sales rep's scope reaches their own customers.
PAYMENT_SCOPE = ScopeRule(
    legal_entity="legal_entity", region="party__region", location="party__location", owner="party__owner"
)
# Everything hanging off an invoice follows the invoice's customer, like billing's CUSTOMER_SCOPE.
INVOICE_SCOPE = ScopeRule(
    legal_entity="invoice__legal_entity",
    region="invoice__party__region",
    location="invoice__party__location",
    owner="invoice__party__owner",
)


class ReceivablesSettings(BaseModel):
    """Accounts and reminder rules of one legal entity (created with defaults on first use)."""

    legal_entity = models.OneToOneField("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    bank_account = models.ForeignKey(
        "finance.LedgerAccount",
        verbose_name=_("bank account"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Incoming payments are debited to this account (BAS 1930 by default)."),
    )
    prepayment_account = models.ForeignKey(
        "finance.LedgerAccount",
        verbose_name=_("customer prepayment account"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_(
            "Unallocated payments and overpayments are credited here (BAS 2420 by default). "
            "Empty: they stay on the receivables account."
        ),
    )
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("A reminder of the next level goes out at the earliest this many days after the last."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("receivables settings")
        verbose_name_plural = _("receivables settings")

    def __str__(self) -> str:
        return str(_("Receivables settings"))


class BankImport(BaseModel):
    """One imported bank file: what it was, how its columns were read, what it produced."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    mapping = models.JSONField(_("column mapping"), default=dict)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    unmatched_count = models.PositiveIntegerField(_("unmatched"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    total_amount = MoneyField(_("total"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("bank file import")
        verbose_name_plural = _("bank file imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "sha256"], name="receivables_bankimport_once"),
        ]

    def __str__(self) -> str:
        return self.file_name


class BankFileMapping(BaseModel):
    """A saved column mapping: which column of a bank file holds the date, amount, reference,
    payer and (optionally) currency. Offered again for files with the same columns."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    columns = models.JSONField(_("columns"), default=dict)
    skip_negative = models.BooleanField(_("skip outgoing (negative) rows"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("bank file mapping")
        verbose_name_plural = _("bank file mappings")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "name"], name="receivables_mapping_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Payment(BaseModel):
    """Money a customer paid in: registered by hand or imported from a bank file."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Registered by hand")
        BANK_FILE = "bank_file", _("Bank file")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    paid_on = models.DateField(_("payment date"))
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    reference = models.CharField(_("reference / OCR"), max_length=100, blank=True)
    bank_account = models.ForeignKey(
        "finance.LedgerAccount", verbose_name=_("bank account"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    bank_import = models.ForeignKey(
        BankImport,
        verbose_name=_("bank file import"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    bank_import_line = models.PositiveIntegerField(_("line in the bank file"), null=True, blank=True)
    voucher = models.OneToOneField(
        "finance.JournalEntry",
        verbose_name=_("voucher"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    unallocated_amount = MoneyField(_("unallocated"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = PAYMENT_SCOPE

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        permissions = [
            ("view_receivables", "Can view receivables aging, DSO and customer statements"),
            ("manage_receivables", "Can manage receivables settings"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receivables_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated_amount__gte=0) & Q(unallocated_amount__lte=F("amount")),
                name="receivables_payment_unallocated_range",
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="receivables_payment_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "-paid_on"], name="receivables_payment_list_idx"),
            models.Index(
                fields=["legal_entity", "paid_on"],
                condition=Q(unallocated_amount__gt=0),
                name="receivables_payment_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Payment %(date)s %(amount)s %(currency)s")) % {
            "date": self.paid_on.isoformat() if self.paid_on else "",
            "amount": self.amount,
            "currency": self.currency,
        }

    @property
    def allocated_amount(self):
        return self.amount - self.unallocated_amount


class PaymentAllocationQuerySet(ScopedQuerySet):
    def active(self) -> PaymentAllocationQuerySet:
        return self.filter(reversed_at__isnull=True)


class PaymentAllocation(models.Model):
    """Part of a payment applied to one invoice. Undone by reversal, never deleted."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(
        "billing.Invoice", verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="allocations"
    )
    amount = MoneyField(_("amount"))
    # The voucher that moved this amount from the prepayment account to receivables, when the
    # allocation was made after the payment was registered (None: part of the payment's voucher).
    voucher = models.ForeignKey(
        "finance.JournalEntry", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("allocated"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reversal_voucher = models.ForeignKey(
        "finance.JournalEntry", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # The key of the ``payment_allocate`` call that made this allocation (a repeated call with
    # the same key changes nothing).
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    objects = PaymentAllocationQuerySet.as_manager()
    scope_rule = INVOICE_SCOPE

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["payment", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receivables_allocation_amount_positive"),
            models.UniqueConstraint(
                fields=["payment", "idempotency_key", "invoice"],
                condition=Q(idempotency_key__isnull=False),
                name="receivables_allocation_idempotency_unique",
            ),
        ]
        indexes = [models.Index(fields=["invoice", "payment"], name="receivables_alloc_invoice_idx")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"

    @property
    def is_active(self) -> bool:
        return self.reversed_at is None


class Reminder(models.Model):
    """One overdue reminder sent for an invoice (levels 1..3, each at most once)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        LETTER = "letter", _("Letter")

    invoice = models.ForeignKey(
        "billing.Invoice", verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="reminders"
    )
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(_("language"), max_length=5, default="sv")
    recipient = models.CharField(_("sent to"), max_length=254, blank=True)
    open_amount = MoneyField(_("open amount when sent"))

    objects = ScopedQuerySet.as_manager()
    scope_rule = INVOICE_SCOPE

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["invoice", "level"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="receivables_reminder_level_once"),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=3), name="receivables_reminder_level_range"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Reminder %(level)s")) % {"level": self.level}


class InvoiceDispute(models.Model):
    """The customer disputes an invoice: no reminders go out while the dispute is open."""

    invoice = models.ForeignKey(
        "billing.Invoice", verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="disputes"
    )
    reason = models.CharField(_("reason"), max_length=500)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = INVOICE_SCOPE

    class Meta:
        verbose_name = _("invoice dispute")
        verbose_name_plural = _("invoice disputes")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(resolved_at__isnull=True),
                name="receivables_dispute_one_open",
            ),
        ]

    def __str__(self) -> str:
        return self.reason[:60]

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
