"""The general ledger: chart of accounts, fiscal years and periods, vouchers and their lines.

Invariants (enforced by the posting service, guarded by constraints and, on PostgreSQL and
SQLite, by triggers that refuse changes to posted rows):

- a posted voucher balances (sum of debit lines = sum of credit lines), every line amount > 0;
- voucher numbers are gapless per (series, fiscal year) and assigned when posting;
- posted vouchers and their lines never change: corrections are reversal vouchers;
- each posted voucher's ``hash`` chains to the previous voucher of its series and year;
- ``AccountBalance`` holds, per account and period, the sums of posted lines (a cache kept up
  to date in the posting transaction; ``frontoffice ledger verify`` recomputes it).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from frontoffice.core.fields import MoneyField
from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

LEDGER_SCOPE = ScopeRule(legal_entity="legal_entity")


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


BALANCE_SHEET_TYPES = (AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY)
RESULT_TYPES = (AccountType.INCOME, AccountType.EXPENSE)


class DimensionKind(models.TextChoices):
    COST_CENTRE = "cost_centre", _("Cost centre")
    PROJECT = "project", _("Project")
    REGION = "region", _("Region")


class ControlKind(models.TextChoices):
    NONE = "", _("Not a control account")
    RECEIVABLES = "receivables", _("Receivables")
    PAYABLES = "payables", _("Payables")
    VAT = "vat", _("VAT")


class LedgerAccount(BaseModel):
    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("number"), max_length=10)
    name_sv = models.CharField(_("name (Swedish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=AccountType.choices)
    control = models.CharField(_("control account"), max_length=20, choices=ControlKind.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)
    default_vat_code = models.CharField(_("default VAT code"), max_length=20, blank=True)
    required_dimension = models.CharField(
        _("required dimension"), max_length=20, choices=DimensionKind.choices, blank=True
    )
    # Manual vouchers with a line on this account need the certificate the administrator
    # requires for "finance.manual_voucher" (training settings); no requirement, no check.
    manual_voucher_restricted = models.BooleanField(
        _("restricted for manual vouchers"),
        default=False,
        help_text=_(
            "Manual vouchers on this account need a valid certificate of the course the "
            "administrator requires for posting manual vouchers to restricted accounts."
        ),
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["legal_entity", "number"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "number"], name="finance_account_number_unique"),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{1,10}$"), name="finance_account_number_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "en").startswith("sv") or not self.name_en:
            return self.name_sv
        return self.name_en

    @property
    def is_control(self) -> bool:
        return bool(self.control)

    @property
    def is_balance_sheet(self) -> bool:
        return self.type in BALANCE_SHEET_TYPES


class DimensionObject(BaseModel):
    """A value of a dimension: one cost centre, project or region code."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("dimension"), max_length=20, choices=DimensionKind.choices)
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("dimension object")
        verbose_name_plural = _("dimension objects")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "kind", "code"], name="finance_dimension_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FiscalYear(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    start_on = models.DateField(_("first day"))
    end_on = models.DateField(_("last day"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        ordering = ["legal_entity", "start_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "start_on"], name="finance_fiscalyear_start_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_on__gt=F("start_on")), name="finance_fiscalyear_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_on:%Y-%m-%d} - {self.end_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Period(models.Model):
    """A month of a fiscal year. Number 0 is the opening-balance period (before the first day)."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="periods")
    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("period"))
    start_on = models.DateField(_("first day"))
    end_on = models.DateField(_("last day"))

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["fiscal_year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "number"], name="finance_period_number_unique"),
        ]
        indexes = [models.Index(fields=["legal_entity", "start_on"], name="finance_period_le_start_idx")]

    def __str__(self) -> str:
        if self.number == 0:
            return str(_("Opening balance %(year)s") % {"year": self.fiscal_year})
        return f"{self.start_on:%Y-%m}"


class LockDate(BaseModel):
    """Postings dated on or before ``locked_through`` are refused for the role (or everyone)."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    role = models.ForeignKey(
        "org.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: applies to everyone."),
    )
    locked_through = models.DateField(_("locked through"))

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("lock date")
        verbose_name_plural = _("lock dates")
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "role"],
                condition=Q(role__isnull=False),
                name="finance_lockdate_role_unique",
            ),
            models.UniqueConstraint(
                fields=["legal_entity"],
                condition=Q(role__isnull=True),
                name="finance_lockdate_everyone_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role or _('Everyone')}: {self.locked_through}"


class PostingStandards(BaseModel):
    """The finance manager's posting standards for one legal entity."""

    legal_entity = models.OneToOneField("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    four_eyes_threshold_amount = MoneyField(
        _("second approval above"),
        null=True,
        blank=True,
        default=None,
        help_text=_("Manual vouchers above this total need a second person's approval. Empty: never."),
    )
    attachment_threshold_amount = MoneyField(
        _("supporting document above"),
        null=True,
        blank=True,
        default=None,
        help_text=_("Vouchers above this total need an attached supporting document. Empty: never."),
    )
    # Not a standard, but the ledger's one settings row: the chart's type as SIE names it
    # (#KPTYP), from the template the chart was created from or the imported file.
    chart_type = models.CharField(_("chart type (SIE)"), max_length=20, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("posting standards")
        verbose_name_plural = _("posting standards")

    def __str__(self) -> str:
        return str(_("Posting standards"))


class VoucherSeries(BaseModel):
    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100)
    is_manual = models.BooleanField(
        _("manual entries"),
        default=True,
        help_text=_("Manual series may not post to control accounts and follow the four-eyes rule."),
    )
    allowed_roles = models.ManyToManyField(
        "org.Role",
        verbose_name=_("roles that may post"),
        blank=True,
        related_name="+",
        help_text=_("Empty: everyone allowed to post vouchers."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("voucher series")
        verbose_name_plural = _("voucher series")
        ordering = ["legal_entity", "code"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "code"], name="finance_series_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SeriesCounter(models.Model):
    """The next number and the last hash of one series in one fiscal year (locked to post)."""

    series = models.ForeignKey(VoucherSeries, on_delete=models.PROTECT, related_name="counters")
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="+")
    next_number = models.PositiveIntegerField(default=1)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "fiscal_year"], name="finance_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series.code} {self.fiscal_year}: {self.next_number}"


class JournalEntryQuerySet(ScopedQuerySet):
    def posted(self) -> JournalEntryQuerySet:
        return self.filter(status=JournalEntry.Status.POSTED)


class JournalEntry(models.Model):
    """A voucher. Drafts are editable; posted vouchers are immutable and numbered."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        POSTED = "posted", _("Posted")

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    series = models.ForeignKey(
        VoucherSeries, verbose_name=_("series"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    date = models.DateField(_("date"))
    text = models.CharField(_("text"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    total_amount = MoneyField(_("total"))
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Rejected attempts to post this draft before it was accepted (posting compliance).
    rejection_count = models.PositiveIntegerField(default=0)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = JournalEntryQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["-date", "-id"]
        permissions = [
            ("post_journalentry", _("Can post vouchers")),
            ("approve_journalentry", _("Can approve vouchers as the second person")),
            ("reverse_journalentry", _("Can reverse posted vouchers")),
            ("manage_ledger", _("Can manage the chart of accounts, periods and posting standards")),
            ("view_ledger_reports", _("Can view ledger reports")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "fiscal_year", "number"],
                condition=Q(number__isnull=False),
                name="finance_entry_number_unique",
            ),
            models.UniqueConstraint(
                fields=["legal_entity", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="finance_entry_idempotency_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status="posted") | (Q(number__isnull=False) & Q(posted_at__isnull=False)),
                name="finance_entry_posted_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["legal_entity", "status", "-date"], name="finance_entry_le_status_idx"),
            models.Index(
                fields=["legal_entity", "series", "fiscal_year", "number"], name="finance_entry_number_idx"
            ),
            models.Index(fields=["source_type", "source_id"], name="finance_entry_source_idx"),
            models.Index(fields=["posted_by", "posted_at"], name="finance_entry_poster_idx"),
        ]

    def __str__(self) -> str:
        if self.number is None:
            return f"{self.series.code} ({self.get_status_display()}) {self.text}"
        return f"{self.series.code}{self.number} {self.text}"

    def save(self, *args, **kwargs):
        # Last-line guard (the database triggers are the real wall): posted rows never change.
        if self.pk is not None and not kwargs.get("force_insert"):
            stored = type(self)._base_manager.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.POSTED:
                raise RuntimeError("Posted vouchers are immutable; post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == self.Status.POSTED:
            raise RuntimeError("Posted vouchers are immutable; post a reversal instead.")
        return super().delete(*args, **kwargs)

    @property
    def is_posted(self) -> bool:
        return self.status == self.Status.POSTED

    @property
    def reference(self) -> str:
        return f"{self.series.code}{self.number}" if self.number is not None else ""


class JournalLine(models.Model):
    class Side(models.TextChoices):
        DEBIT = "D", _("Debit")
        CREDIT = "C", _("Credit")

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveSmallIntegerField()
    account = models.ForeignKey(
        LedgerAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(_("side"), max_length=1, choices=Side.choices)
    amount = MoneyField(_("amount"))
    text = models.CharField(_("text"), max_length=200, blank=True)
    cost_centre = models.ForeignKey(
        DimensionObject,
        verbose_name=_("cost centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    project = models.ForeignKey(
        DimensionObject,
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        DimensionObject,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Copied from the entry so reports and drill-downs filter lines without a join.
    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        verbose_name = _("voucher line")
        verbose_name_plural = _("voucher lines")
        ordering = ["entry", "line_no"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_line_amount_positive"),
            models.UniqueConstraint(fields=["entry", "line_no"], name="finance_line_no_unique"),
        ]
        indexes = [models.Index(fields=["account", "date"], name="finance_line_account_date_idx")]

    def __str__(self) -> str:
        return f"{self.account.number} {self.side} {self.amount}"


class AccountBalance(models.Model):
    """Posted debit and credit sums of one account in one period (kept by the posting service)."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="balances")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="balances")
    debit_amount = MoneyField()
    credit_amount = MoneyField()

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEDGER_SCOPE

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "period"], name="finance_balance_unique"),
        ]
        indexes = [models.Index(fields=["legal_entity", "period"], name="finance_balance_le_period_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.period_id}: {self.debit_amount} / {self.credit_amount}"


class Attachment(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to="vouchers/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class PostingRejection(models.Model):
    """One refused posting attempt and every standard it broke (posting compliance)."""

    legal_entity = models.ForeignKey("org.LegalEntity", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="rejections"
    )
    codes = models.JSONField(default=list)
    messages = models.JSONField(default=list)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ScopeRule(legal_entity="legal_entity", owner="actor")

    class Meta:
        verbose_name = _("rejected posting")
        verbose_name_plural = _("rejected postings")
        ordering = ["-at"]
        indexes = [models.Index(fields=["legal_entity", "actor", "at"], name="finance_rejection_actor_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {', '.join(self.codes)}"
