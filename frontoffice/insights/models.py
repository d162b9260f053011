"""Models of the insights app: the daily facts behind dashboards."""

from __future__ import annotations

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
