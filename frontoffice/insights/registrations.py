"""What the insights app adds to the shell: navigation, and the training app's measure providers."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from frontoffice.core.registry import NavItem, register_nav

register_nav(
    NavItem(
        "insights-my-people", _("My people"), "insights:dashboard", "insights.view_team_insights", order=80
    )
)
register_nav(
    NavItem(
        "insights-cockpit",
        _("Today at every desk"),
        "insights:cockpit",
        "insights.view_team_insights",
        order=79,
    )
)
register_nav(
    NavItem("insights", _("My scorecard"), "insights:index", "insights.view_own_scorecard", order=81)
)


def _provider(key: str) -> Any:
    def provide(person_user: Any, start: datetime.date, end: datetime.date) -> tuple[Any, Any, str]:
        from frontoffice.insights.measures import OrgUnit, compute, get_measure

        measure = get_measure(key)
        figure = compute(measure, OrgUnit("person", person_user), start, end)
        return figure.value, measure.target, measure.direction

    return provide


def register_training_providers() -> int:
    """One measure provider per measure for ``training.recommendations`` (when it exists)."""
    try:
        from frontoffice.training.recommendations import MEASURE_KEYS, register_measure_provider
    except ImportError:
        return 0
    from frontoffice.insights.measures import MEASURE_KEYS as OURS

    count = 0
    for key in OURS:
        if key in MEASURE_KEYS:
            register_measure_provider(key, _provider(key))
            count += 1
    return count


register_training_providers()
