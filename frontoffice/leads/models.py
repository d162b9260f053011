"""Models of the leads app: sources, leads and their history, routing, qualification, imports.

Invariants (enforced by ``leads.services``):

- every lead belongs to a party (a matched existing customer or a prospect created on intake)
  and to the legal entity of its source;
- ``region`` comes from the first matching routing rule (by priority); ``owner`` from the
  region's round-robin cursor (updated under a row lock) or a manual reassignment; every move
  is a ``LeadEvent``;
- ``first_contact_due_at`` = ``created_at`` + the source's target; the overdue alert goes out
  once per lead (``overdue_alerted_at``);
- stages move new → contacted → qualified / disqualified (with a reason) → converted; a
  converted lead points to its ``sales.Opportunity``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontoffice.core.fields import MoneyField
from frontoffice.core.models import BaseModel
from frontoffice.core.scoping import ScopedQuerySet, ScopeRule

ENTITY_SCOPE = ScopeRule(legal_entity="legal_entity")
# Sales reps see their own leads plus the unassigned leads of their regions.
LEAD_SCOPE = ScopeRule(legal_entity="legal_entity", region="region", owner="owner", unassigned_in_region=True)
LEAD_CHILD_SCOPE = ScopeRule(
    legal_entity="lead__legal_entity",
    region="lead__region",
    owner="lead__owner",
    unassigned_in_region=True,
)


class LeadSource(BaseModel):
    """Where leads come from (web form, fair, partner...) and how fast they must be contacted."""

    class TargetUnit(models.TextChoices):
        WORKING_HOURS = "working_hours", _("Working hours")
        MINUTES = "minutes", _("Working minutes")

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    first_contact_target = models.PositiveIntegerField(
        _("first-contact target"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
        help_text=_("How soon a new lead from this source must be contacted."),
    )
    first_contact_unit = models.CharField(
        _("target unit"), max_length=20, choices=TargetUnit.choices, default=TargetUnit.WORKING_HOURS
    )
    # The public web form of this source answers at /leads/form/<web_form_key>/ (empty: no form).
    web_form_key = models.SlugField(_("web form key"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "name"], name="leads_source_name_unique"),
            models.UniqueConstraint(
                fields=["web_form_key"], condition=~Q(web_form_key=""), name="leads_source_form_key_unique"
            ),
        ]
        permissions = [("manage_leads", "Can manage lead sources, routing rules and the checklist")]

    def __str__(self) -> str:
        return self.name


class Lead(BaseModel):
    class Stage(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    class Channel(models.TextChoices):
        UI = "ui", _("Entered by staff")
        WEB_FORM = "web_form", _("Web form")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    class ScoreSource(models.TextChoices):
        CHECKLIST = "checklist", _("Checklist")
        MODEL = "model", _("Scoring model")

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="leads"
    )
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.ForeignKey(
        LeadSource,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.UI)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.NEW)
    first_contact_due_at = models.DateTimeField(_("first contact due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(_("overdue alert sent"), null=True, blank=True)
    qualification = models.JSONField(_("qualification answers"), default=dict, blank=True)
    checklist_score = models.PositiveSmallIntegerField(
        _("checklist score"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    score_source = models.CharField(
        _("score source"), max_length=20, choices=ScoreSource.choices, default=ScoreSource.CHECKLIST
    )
    score_factors = models.JSONField(_("score factors"), default=list, blank=True)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    disqualify_reason = models.CharField(_("disqualification reason"), max_length=500, blank=True)
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    # True when intake created the party as a prospect (it then follows the lead's owner).
    created_party = models.BooleanField(_("prospect created on intake"), default=False, editable=False)
    # Parties that share the lead's e-mail, phone or organisation number (ids), for review.
    possible_duplicates = models.JSONField(_("possible duplicates"), default=list, blank=True)
    # Contact details as submitted (the party may differ when the lead matched a customer).
    contact_name = models.CharField(_("name"), max_length=200, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    organisation_number = models.CharField(_("organisation number"), max_length=11, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="SE")
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    company_size = models.CharField(_("company size"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    # What the lead may be worth, in the legal entity's currency; above the high-value threshold
    # (LeadSettings) only reps with the required certificate may take it (training gate).
    estimated_amount = MoneyField(
        _("estimated value"),
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    # Lower-cased name, company, e-mail and phone: what search matches.
    search_text = models.TextField(editable=False, default="")
    submission_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_import = models.ForeignKey(
        "leads.LeadImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEAD_SCOPE

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["legal_entity", "stage"], name="leads_lead_le_stage_idx"),
            models.Index(fields=["region", "owner"], name="leads_lead_region_owner_idx"),
            models.Index(fields=["owner", "stage"], name="leads_lead_owner_stage_idx"),
            models.Index(fields=["stage", "first_contact_due_at"], name="leads_lead_due_idx"),
            models.Index(fields=["source", "stage"], name="leads_lead_source_idx"),
            models.Index(fields=["email", "created_at"], name="leads_lead_email_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="leads_lead_idempotency_unique",
            ),
            models.CheckConstraint(
                condition=~Q(stage="disqualified") | ~Q(disqualify_reason=""),
                name="leads_lead_disqualified_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(stage="converted") | Q(opportunity__isnull=False),
                name="leads_lead_converted_has_opportunity",
            ),
        ]
        permissions = [
            ("assign_lead", "Can assign and reassign leads"),
            ("qualify_lead", "Can qualify and disqualify leads"),
            ("convert_lead", "Can convert leads to opportunities"),
            ("export_lead", "Can export leads"),
            ("import_lead", "Can import leads"),
        ]

    def __str__(self) -> str:
        return self.contact_name or self.company or self.email or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.stage in (self.Stage.NEW, self.Stage.CONTACTED, self.Stage.QUALIFIED)


class LeadEvent(models.Model):
    """One entry of a lead's history: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ASSIGNED = "assigned", _("Assigned")
        REASSIGNED = "reassigned", _("Reassigned")
        STAGE = "stage", _("Stage changed")
        CONTACTED = "contacted", _("Contact made")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")
        LINKED = "linked", _("Linked to customer")
        VALUE_CHANGED = "value_changed", _("Estimated value changed")
        OVERDUE = "overdue", _("First contact overdue")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    from_value = models.CharField(_("from"), max_length=200, blank=True)
    to_value = models.CharField(_("to"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = LEAD_CHILD_SCOPE

    class Meta:
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="leads_event_lead_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class RoutingRule(BaseModel):
    """Leads matching this rule go to ``region`` (the first match by ascending priority wins).

    Every condition that is set must match: postcode prefix, or a postcode range (compared
    as digits of equal length), country, industry (case-insensitive).
    """

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("Lower goes first."))
    name = models.CharField(_("name"), max_length=100, blank=True)
    postcode_prefix = models.CharField(_("postcode prefix"), max_length=20, blank=True)
    postcode_from = models.CharField(_("postcode from"), max_length=20, blank=True)
    postcode_to = models.CharField(_("postcode to"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.ForeignKey(
        "org.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["legal_entity", "active", "priority"], name="leads_rule_le_prio_idx")]

    def __str__(self) -> str:
        return self.name or f"{self.priority}: {self.region}"


class RoutingCursor(models.Model):
    """The round-robin position of one region: the user id that got the last lead."""

    region = models.OneToOneField("org.Region", on_delete=models.CASCADE, related_name="+")
    last_user_id = models.IntegerField(null=True, blank=True)
    assigned_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("routing cursor")
        verbose_name_plural = _("routing cursors")

    def __str__(self) -> str:
        return f"{self.region_id}: {self.last_user_id}"


class QualificationQuestion(BaseModel):
    """One item of a legal entity's qualification checklist (default: BANT)."""

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("question"), max_length=200)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=25, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("qualification question")
        verbose_name_plural = _("qualification questions")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["legal_entity", "key"], name="leads_question_key_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class LeadScoringModel(models.Model):
    """A trained lead-scoring model (written by ``leads.scoring``); one active per legal entity."""

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    trained_at = models.DateTimeField(_("trained"), db_index=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sample_size = models.PositiveIntegerField(_("sample size"), default=0)
    feature_names = models.JSONField(_("features"), default=list, blank=True)
    coefficients = models.JSONField(_("coefficients"), default=list, blank=True)
    # A model parameter, not money: a float is fine here.
    intercept = models.FloatField(_("intercept"), default=0.0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("lead scoring model")
        verbose_name_plural = _("lead scoring models")
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity"], condition=Q(is_active=True), name="leads_scoring_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity_id} {self.trained_at:%Y-%m-%d %H:%M}"


class LeadImport(BaseModel):
    """One CSV/XLSX import: the stored file, its column mapping, progress and per-row errors."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Validating")
        INVALID = "invalid", _("Has errors")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    legal_entity = models.ForeignKey(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(
        LeadSource,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_path = models.CharField(max_length=500, blank=True, editable=False)
    file_format = models.CharField(_("format"), max_length=10, default="csv")
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("leads created"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["legal_entity", "status"], name="leads_import_le_status_idx")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))


class LeadSettings(BaseModel):
    """Per legal entity settings of the leads desk that are single values, not lists."""

    legal_entity = models.OneToOneField(
        "org.LegalEntity", verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="+"
    )
    high_value_threshold_amount = MoneyField(
        _("high-value threshold"),
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_(
            "Leads with an estimated value above this amount may only be taken by reps holding the "
            "certificate the administrator requires for high-value leads. Empty: no threshold."
        ),
    )

    objects = ScopedQuerySet.as_manager()
    scope_rule = ENTITY_SCOPE

    class Meta:
        verbose_name = _("leads settings")
        verbose_name_plural = _("leads settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
