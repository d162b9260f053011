"""Explanations of lead scores in plain, translated language (no queries).

``Lead.score_factors`` holds raw values, never sentences, so an explanation is rendered in the
reader's language when shown. Two shapes are stored:

- a model score: ``{"key": "baseline", "contribution": b}`` then one ``{"key", "value",
  "contribution"}`` per feature (log-odds; they sum with the baseline to the score's log-odds);
- a checklist score: an optional ``{"key": "fallback", "reason", "decided", "won", "lost",
  "required", "required_per_class"}`` saying why no model was used, then the checklist items as
  the leads services write them: ``{"factor": label, "key": item, "contribution": points}``.

:func:`score_explanation` turns that into what ``leads/partials/score_explanation.html`` shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from frontoffice.leads.models import Lead
from frontoffice.leads.scoring_logit import iter_top

TOP_FACTORS = 3
SPECIAL_KEYS = ("baseline", "fallback")


def signed_number(value: float, digits: int = 1) -> str:
    """``+0.8`` / ``-1.2`` / ``0.0`` in the active locale's number format."""
    rounded = round(value, digits)
    text = formats.number_format(abs(rounded), digits)
    if rounded > 0:
        return f"+{text}"
    if rounded < 0:
        return f"-{text}"
    return text


def factor_label(key: str, value: Any) -> str:
    """The plain-language, translated label of a model factor (``"Source: Web form"``)."""
    shown = value if value not in (None, "", "unknown") else _("unknown")
    if key == "source":
        return _("Source: %(value)s") % {"value": shown}
    if key == "channel":
        if value in Lead.Channel.values:
            shown = Lead.Channel(value).label
        return _("Came in via: %(value)s") % {"value": shown}
    if key == "industry":
        return _("Industry: %(value)s") % {"value": shown}
    if key == "size_band":
        return _("Company size: %(value)s") % {"value": shown}
    if key == "country":
        return _("Country: %(value)s") % {"value": shown}
    if key == "interactions_14d":
        return _("Interactions in the first 14 days: %(value)s") % {"value": value or 0}
    if key == "answered_items":
        return _("Checklist items answered yes: %(value)s") % {"value": value or 0}
    if key == "has_phone":
        return _("Phone number given") if value else _("No phone number given")
    if key == "other":
        return _("Other factors")
    if key == "baseline":
        return _("Average lead")
    return f"{key}: {shown}"


@dataclass(frozen=True)
class ScoreFactor:
    """One line of an explanation: a feature, its value and its contribution in log-odds
    (model) or in points (checklist, ``points=True``, with the item's own ``title``)."""

    key: str
    value: Any = None
    contribution: float = 0.0
    points: bool = False
    title: str = ""

    @property
    def label(self) -> str:
        return self.title or factor_label(self.key, self.value)

    @property
    def signed(self) -> str:
        return signed_number(self.contribution, 0 if self.points else 1)

    @property
    def text(self) -> str:
        """``"Source: Web form (+0.8)"``."""
        return _("%(label)s (%(contribution)s)") % {"label": self.label, "contribution": self.signed}

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "contribution": self.contribution}
        if self.value is not None:
            data["value"] = self.value
        return data


@dataclass
class ExplanationLine:
    factor: ScoreFactor
    width: int  # percent of the bar area, 0..100

    @property
    def positive(self) -> bool:
        return self.factor.contribution > 0

    @property
    def negative(self) -> bool:
        return self.factor.contribution < 0


@dataclass
class Explanation:
    """What ``leads/partials/score_explanation.html`` renders for a lead."""

    score: int | None
    source: str
    note: str
    lines: list[ExplanationLine]
    baseline: ScoreFactor | None

    @property
    def is_model(self) -> bool:
        return self.source == Lead.ScoreSource.MODEL


def fallback_note(data: dict[str, Any]) -> str:
    """The sentence that says why a checklist score is shown."""
    if data.get("reason") == "untrained":
        return _("No scoring model trained yet: checklist score")
    if data.get("decided", 0) < data.get("required", 0):
        return _("Not enough history yet (%(decided)s of %(required)s decided leads): checklist score") % {
            "decided": data.get("decided", 0),
            "required": data.get("required", 0),
        }
    return _(
        "Not enough history yet (%(won)s won and %(lost)s lost; at least %(per_class)s of each needed): "
        "checklist score"
    ) % {
        "won": data.get("won", 0),
        "lost": data.get("lost", 0),
        "per_class": data.get("required_per_class", 0),
    }


def _lines(factors: list[ScoreFactor]) -> list[ExplanationLine]:
    largest = max((abs(f.contribution) for f in factors), default=0.0)
    return [
        ExplanationLine(factor=f, width=round(100 * abs(f.contribution) / largest) if largest else 0)
        for f in factors
    ]


def explanation_from_factors(
    score: int | None, source: str, stored: Sequence[dict[str, Any]], *, top: int = TOP_FACTORS
) -> Explanation:
    """Build the display explanation from ``Lead.score_factors``: for a model score the ``top``
    largest positive and negative factors plus the rest summed as "Other factors" (so the lines
    and the baseline still add up to the score's log-odds), bars scaled to the largest; for a
    checklist score the note saying why and the checklist items."""
    items = [item for item in (stored or []) if isinstance(item, dict)]
    if source != Lead.ScoreSource.MODEL:
        data = next((item for item in items if item.get("key") == "fallback"), None)
        checklist = [
            ScoreFactor(
                key=str(item.get("key", "")),
                contribution=float(item.get("contribution") or 0),
                points=True,
                title=str(item.get("factor", item.get("key", ""))),
            )
            for item in items
            if item.get("key") not in SPECIAL_KEYS
        ]
        note = fallback_note(data) if data else ""
        return Explanation(score=score, source=source, note=note, lines=_lines(checklist), baseline=None)
    baseline_data = next((item for item in items if item.get("key") == "baseline"), None)
    factors = [
        ScoreFactor(
            key=item["key"], value=item.get("value"), contribution=float(item.get("contribution", 0.0))
        )
        for item in items
        if item.get("key") not in SPECIAL_KEYS and "key" in item
    ]
    chosen_keys = {key for key, _value in iter_top({f.key: f.contribution for f in factors}, top)}
    chosen = sorted((f for f in factors if f.key in chosen_keys), key=lambda f: (-f.contribution, f.key))
    remaining = [f for f in factors if f.key not in chosen_keys]
    if remaining:
        chosen.append(ScoreFactor(key="other", contribution=math.fsum(f.contribution for f in remaining)))
    baseline = (
        ScoreFactor(key="baseline", contribution=float(baseline_data["contribution"]))
        if baseline_data
        else None
    )
    return Explanation(score=score, source=source, note="", lines=_lines(chosen), baseline=baseline)


def score_explanation(lead: Lead) -> Explanation:
    """The explanation of ``lead``'s stored score (no query), for the lead detail page."""
    return explanation_from_factors(lead.score, lead.score_source, lead.score_factors)
