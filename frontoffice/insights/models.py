"""Models of the insights app: the daily facts behind dashboards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyFact(models.Model):
    """The additive parts of one measure for one person on one day.

    Only measures whose figure is additive (counts, sums, ratios, means, per working day) have
    facts; a unit's figure for any period folds the facts of its people (see
    ``insights.measures.fold``). Medians and DSO are computed live from the source rows.
    Facts carry no scope of their own: every read goes through the people the viewer may see
    (``insights.selectors.people_visible_to``).
    """

    class UnitType(models.TextChoices):
        PERSON = "person", _("Person")

    day = models.DateField(_("day"))
    measure = models.CharField(_("measure"), max_length=40)
    unit_type = models.CharField(
        _("unit type"), max_length=10, choices=UnitType.choices, default=UnitType.PERSON
    )
    unit_id = models.BigIntegerField(_("unit id"))
    numerator = models.BigIntegerField(_("numerator"), default=0)
    denominator = models.BigIntegerField(_("rows"), default=0)
    total = models.DecimalField(_("sum"), max_digits=20, decimal_places=4, default=0)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("daily fact")
        verbose_name_plural = _("daily facts")
        ordering = ["day", "measure", "unit_type", "unit_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "measure", "unit_type", "unit_id"], name="insights_fact_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["measure", "unit_type", "unit_id", "day"], name="insights_fact_unit_idx"),
            models.Index(fields=["measure", "day"], name="insights_fact_day_idx"),
        ]
        permissions = [
            ("view_own_scorecard", "Can view their own scorecard"),
            ("view_team_insights", "Can view the scorecards and dashboards of the people in their reach"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.unit_type}:{self.unit_id} {self.day}"


class DirtyDay(models.Model):
    """A day whose facts of one measure wait for a recompute (see ``insights.facts.mark_dirty``).

    Unclaimed rows are unique per (day, measure), so marking a day that is already waiting is
    an ``INSERT ... ON CONFLICT DO NOTHING`` that writes nothing. A refresh claims rows (sets
    ``claimed_by``) before it recomputes and deletes them in the same transaction as the new
    facts; a day marked again meanwhile is a new unclaimed row, refreshed by the next run.
    """

    day = models.DateField(_("day"))
    measure = models.CharField(_("measure"), max_length=40)
    created_at = models.DateTimeField(_("marked"))
    claimed_by = models.UUIDField(_("claimed by"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)

    class Meta:
        verbose_name = _("dirty day")
        verbose_name_plural = _("dirty days")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "measure"],
                condition=models.Q(claimed_by__isnull=True),
                name="insights_dirty_day_unclaimed_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.day}"


class FactsRefreshState(models.Model):
    """One row (id 1): whether a refresh of the dirty days is queued and not yet started.

    A commit that marks a new dirty day enqueues a refresh only when it turns ``pending`` from
    false to true (or finds it older than ``insights.facts.PENDING_STALE``: a queued task that
    never ran); the refresh turns it false before it claims the dirty days.
    """

    pending = models.BooleanField(_("refresh queued"), default=False)
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)

    class Meta:
        verbose_name = _("facts refresh state")
        verbose_name_plural = _("facts refresh state")

    def __str__(self) -> str:
        return f"pending={self.pending}"


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ManagerSettings(models.Model):
    """A manager's choices for the weekly digest and the threshold alerts (defaults apply
    without a row: digest on Mondays, alerts on, the desk's measures at their targets)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="insights_settings"
    )
    digest_enabled = models.BooleanField(_("weekly digest"), default=True)
    digest_weekday = models.PositiveSmallIntegerField(_("digest day"), choices=WEEKDAYS, default=0)
    alerts_enabled = models.BooleanField(_("threshold alerts"), default=True)
    measures = models.JSONField(_("measures"), default=list, blank=True)  # keys; empty: the desk's
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)  # key: decimal string
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("digest and alert settings")
        verbose_name_plural = _("digest and alert settings")

    def __str__(self) -> str:
        return str(self.user)


class DigestSent(models.Model):
    """One weekly digest sent to one manager; the unique week makes a second run a no-op."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField(_("week from"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="insights_digest_once_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week_start}"


class AlertState(models.Model):
    """Whether a measure of a person (or of all the manager's people) is past its threshold for
    one manager. An alert goes out when ``breached`` turns true and never again until the
    figure has come back within the threshold (one alert per crossing)."""

    class UnitType(models.TextChoices):
        PERSON = "person", _("Person")
        ALL = "all", _("All my people")

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(_("measure"), max_length=40)
    unit_type = models.CharField(_("unit type"), max_length=10, choices=UnitType.choices)
    unit_id = models.BigIntegerField(_("unit id"))
    breached = models.BooleanField(_("past the threshold"), default=False)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True, blank=True)
    threshold = models.DecimalField(_("threshold"), max_digits=20, decimal_places=4, null=True, blank=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    alerted_at = models.DateTimeField(_("alerted"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert state")
        verbose_name_plural = _("alert states")
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "measure", "unit_type", "unit_id"], name="insights_alert_state_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manager_id} {self.measure} {self.unit_type}:{self.unit_id}"
