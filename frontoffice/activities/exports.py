"""Activity exports as CSV or XLSX: the rows of the activity list with the same scope and
filters. Formula-injection safe through the shared writer (``sales.exports``, which is
``receivables.exports``): a text cell starting like a formula (= + - @ tab CR) gets a leading
``'`` in CSV and is a plain string cell, never a formula, in XLSX."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from frontoffice.activities.models import Activity
from frontoffice.sales.exports import FORMATS, response

__all__ = ["FORMATS", "activity_rows", "response"]


def _when(value: Any) -> str:
    # Local wall time as text: XLSX has no time zones and the list shows local times.
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def activity_rows(activities: Iterable[Activity]) -> tuple[list[str], Iterable[list[Any]]]:
    """Headers and rows; ``activities`` comes from ``selectors.activity_list`` (its
    ``select_related`` keeps the export at a fixed number of queries)."""
    headers = [
        _("Kind"),
        _("Direction"),
        _("Subject"),
        _("Customer"),
        _("Owner"),
        _("Region"),
        _("Due"),
        _("Duration (minutes)"),
        _("Done"),
        _("Outcome"),
        _("Notes"),
        _("Next step"),
        _("Next step date"),
        _("Lead"),
        _("Opportunity"),
    ]

    def rows() -> Iterable[list[Any]]:
        for a in activities:
            yield [
                a.get_kind_display(),
                a.get_direction_display(),
                a.subject,
                a.party.display_name,
                _person(a.owner),
                a.region.name if a.region_id else "",
                _when(a.due_at),
                a.duration_minutes,
                _when(a.done_at),
                a.outcome,
                a.notes,
                a.next_step,
                a.next_step_on,
                str(a.lead) if a.lead_id else "",
                a.opportunity.name if a.opportunity_id else "",
            ]

    return headers, rows()
