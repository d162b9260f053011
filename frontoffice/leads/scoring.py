"""Explainable lead scoring learned from the organisation's own won/lost history.

- **Training data**: a legal entity's leads whose outcome is known: converted to an opportunity
  that was won (1), converted to an opportunity that was lost, or disqualified (0). Features are
  :data:`FEATURE_SPECS` (source, intake channel, industry, company size band, country,
  interactions with the customer in the lead's first 14 days, answered qualification items,
  phone number given). The model is a pure-Python L2-regularised logistic regression
  (:mod:`frontoffice.leads.scoring_logit`), stored in :class:`LeadScoringModel`; it never
  leaves the machine and nothing here touches the network.
- **Enough history**: at least ``LEADS_SCORING_MIN_OUTCOMES`` decided leads (default 50) with at
  least ``LEADS_SCORING_MIN_PER_CLASS`` (default 10) won and lost each. Below that, or before a
  model has been trained, a lead's score is its checklist score and the explanation says so.
- **Score**: ``round(100 * probability)``. Its explanation lists each feature's contribution
  ``sum(w_j * (x_j - mean_j))`` in log-odds; the baseline log-odds (the average lead) plus all
  contributions is the score's log-odds (``ScoreResult.log_odds``).
- ``Lead.score_factors`` stores the full explanation as JSON (raw values, not sentences), so it
  is rendered in the reader's language: ``[{"key": "baseline", "contribution": -0.4},
  {"key": "source", "value": "Web form", "contribution": 0.8}, ...]``, or for the fallback
  ``[{"key": "fallback", "reason": "history", "decided": 12, "required": 50, ...}, <checklist
  items as the leads services store them: {"factor", "key", "contribution"}>]``.

Entry points: :func:`score_lead` (compute, no write), :func:`lead_score_set` (compute and set
the fields, no save), :func:`lead_score_apply` (compute and save one lead), :func:`rescore_leads`
(every open lead of a legal entity, bulk update), :func:`scoring_model_train` (the
``leads_train_scoring`` command) and :func:`score_explanation` (what the template shows,
from :mod:`frontoffice.leads.scoring_explain`).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from frontoffice.core.audit import audit_record
from frontoffice.core.permissions import require_legal_entity, require_perm
from frontoffice.leads import scoring_logit
from frontoffice.leads.models import Lead, LeadScoringModel, QualificationQuestion
from frontoffice.leads.scoring_explain import (  # noqa: F401 - re-exported for callers
    Explanation,
    ScoreFactor,
    fallback_note,
    score_explanation,
)
from frontoffice.leads.scoring_logit import FeatureSpec, LinearModel

FEATURE_SPECS: list[FeatureSpec] = [
    FeatureSpec("source", "category"),
    FeatureSpec("channel", "category"),
    FeatureSpec("industry", "category"),
    FeatureSpec("size_band", "category"),
    FeatureSpec("country", "category"),
    FeatureSpec("interactions_14d", "number"),
    FeatureSpec("answered_items", "number"),
    FeatureSpec("has_phone", "number"),
]
ENGAGEMENT_WINDOW = datetime.timedelta(days=14)
DEFAULT_MIN_OUTCOMES = 50
DEFAULT_MIN_PER_CLASS = 10
DEFAULT_L2 = 1.0
# The newest decided leads a model learns from (keeps training time bounded).
MAX_TRAINING_ROWS = 20000
OPEN_STAGES = (Lead.Stage.NEW, Lead.Stage.CONTACTED, Lead.Stage.QUALIFIED)
WON = "won"
LOST = "lost"


# --------------------------------------------------------------------------------------------
# Features


def size_band(text: str) -> str:
    """A company size as a band: the first number in ``text`` (``"12 employees"``,
    ``"10-49"``, ``"250+"``) gives 1-9, 10-49, 50-249 or 250+; text without a number is kept
    lower-cased (``"large"``); blank stays blank."""
    text = (text or "").strip()
    match = re.search(r"\d[\d\s]*", text)
    if not match:
        return text.lower()
    number = int(re.sub(r"\s", "", match.group()))
    if number < 10:
        return "1-9"
    if number < 50:
        return "10-49"
    if number < 250:
        return "50-249"
    return "250+"


def answered_items(qualification: Any) -> int:
    """How many checklist items of ``Lead.qualification`` have an answer (a true or non-empty
    value, or a dict whose ``answer``/``value``/``checked`` is)."""
    if not isinstance(qualification, dict):
        return 0
    count = 0
    for value in qualification.values():
        if isinstance(value, dict):
            value = value.get("answer", value.get("value", value.get("checked")))
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, False, "", 0, [], {}):
            count += 1
    return count


def with_engagement(queryset: QuerySet[Lead]) -> QuerySet[Lead]:
    """Annotate ``interactions_14d``: the customer's interactions in the lead's first 14 days."""
    window_end = ExpressionWrapper(F("created_at") + ENGAGEMENT_WINDOW, output_field=DateTimeField())
    return queryset.annotate(
        interactions_14d=Count(
            "party__interactions",
            filter=Q(party__interactions__started_at__gte=F("created_at"))
            & Q(party__interactions__started_at__lt=window_end),
        )
    )


def lead_engagement(lead: Lead) -> int:
    """``interactions_14d`` for one lead (annotated value when present, else one query)."""
    annotated = getattr(lead, "interactions_14d", None)
    if annotated is not None:
        return int(annotated)
    from frontoffice.parties.models import Interaction

    created = lead.created_at or timezone.now()
    return Interaction.objects.filter(
        party_id=lead.party_id, started_at__gte=created, started_at__lt=created + ENGAGEMENT_WINDOW
    ).count()


def lead_features(lead: Lead) -> dict[str, Any]:
    """The raw feature values of ``lead`` (keys of :data:`FEATURE_SPECS`)."""
    return {
        "source": str(lead.source_id) if lead.source_id else "",
        "channel": lead.channel or "",
        "industry": (lead.industry or "").strip().lower(),
        "size_band": size_band(lead.company_size),
        "country": (lead.country or "").strip().upper(),
        "interactions_14d": lead_engagement(lead),
        "answered_items": answered_items(lead.qualification),
        "has_phone": 1 if (lead.phone or "").strip() else 0,
    }


def _display_value(lead: Lead, key: str, features: dict[str, Any]) -> Any:
    """What a factor shows for ``key``: the source's name rather than its id."""
    if key == "source":
        return lead.source.name if lead.source_id else ""
    return features[key]


# --------------------------------------------------------------------------------------------
# Outcomes and history


def decided_leads(legal_entity_id: int) -> QuerySet[Lead]:
    """Leads of the legal entity whose outcome is known (won, lost or disqualified)."""
    return Lead.objects.filter(legal_entity_id=legal_entity_id).filter(
        Q(opportunity__stage__kind__in=[WON, LOST]) | Q(stage=Lead.Stage.DISQUALIFIED)
    )


def lead_outcome(lead: Lead) -> int | None:
    """1 won, 0 lost or disqualified, ``None`` while undecided."""
    if lead.opportunity_id is not None:
        kind = lead.opportunity.stage.kind
        if kind == WON:
            return 1
        if kind == LOST:
            return 0
    if lead.stage == Lead.Stage.DISQUALIFIED:
        return 0
    return None


def min_outcomes() -> int:
    return int(getattr(settings, "LEADS_SCORING_MIN_OUTCOMES", DEFAULT_MIN_OUTCOMES))


def min_per_class() -> int:
    return int(getattr(settings, "LEADS_SCORING_MIN_PER_CLASS", DEFAULT_MIN_PER_CLASS))


@dataclass(frozen=True)
class History:
    """How many decided leads a legal entity has, and whether that is enough to learn from."""

    decided: int
    won: int
    lost: int
    required: int
    required_per_class: int

    @property
    def enough(self) -> bool:
        return (
            self.decided >= self.required
            and self.won >= self.required_per_class
            and self.lost >= self.required_per_class
        )

    def as_factor(self, reason: str = "history") -> dict[str, Any]:
        return {
            "key": "fallback",
            "reason": reason,
            "decided": self.decided,
            "won": self.won,
            "lost": self.lost,
            "required": self.required,
            "required_per_class": self.required_per_class,
        }


def scoring_history(legal_entity_id: int) -> History:
    """Counts of the legal entity's decided leads (one query)."""
    counts = decided_leads(legal_entity_id).aggregate(
        decided=Count("id"), won=Count("id", filter=Q(opportunity__stage__kind=WON))
    )
    decided = counts["decided"] or 0
    won = counts["won"] or 0
    return History(
        decided=decided,
        won=won,
        lost=decided - won,
        required=min_outcomes(),
        required_per_class=min_per_class(),
    )


# --------------------------------------------------------------------------------------------
# Models


def linear_model_from(row: LeadScoringModel) -> LinearModel:
    """The :class:`LinearModel` a stored row describes (means and specs live in ``metrics``)."""
    specs = [FeatureSpec(key, kind) for key, kind in row.metrics.get("specs", [])] or list(FEATURE_SPECS)
    return LinearModel(
        specs=specs,
        feature_names=list(row.feature_names),
        coefficients=[float(c) for c in row.coefficients],
        intercept=float(row.intercept),
        means=[float(m) for m in row.metrics.get("feature_means", [0.0] * len(row.feature_names))],
    )


def active_model(legal_entity_id: int) -> LeadScoringModel | None:
    return LeadScoringModel.objects.filter(legal_entity_id=legal_entity_id, is_active=True).first()


# --------------------------------------------------------------------------------------------
# Scores and explanations


@dataclass
class ScoreResult:
    """A lead's score (0-100 or ``None``), where it came from, and why.

    ``source`` is ``Lead.ScoreSource.MODEL`` or ``CHECKLIST``. For a model score, ``factors``
    holds every feature's contribution and ``baseline + sum(contributions) == log_odds``; for a
    checklist score, ``factors`` is empty, ``history`` says why no model was used and
    ``checklist`` lists the checklist items (the leads services' shape)."""

    score: int | None
    source: str
    factors: list[ScoreFactor] = field(default_factory=list)
    baseline: float | None = None
    log_odds: float | None = None
    history: History | None = None
    fallback_reason: str = ""
    checklist: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> list[dict[str, Any]]:
        """What ``Lead.score_factors`` stores."""
        if self.source == Lead.ScoreSource.MODEL:
            return [{"key": "baseline", "contribution": self.baseline}] + [f.as_json() for f in self.factors]
        head = [self.history.as_factor(self.fallback_reason or "history")] if self.history is not None else []
        return head + list(self.checklist)


def probability_to_score(probability: float) -> int:
    """``round(100 * probability)``, halves rounded up, within 0..100."""
    return max(0, min(100, math.floor(probability * 100 + 0.5)))


def checklist_questions(legal_entity_id: int) -> list[QualificationQuestion]:
    return list(QualificationQuestion.objects.filter(legal_entity_id=legal_entity_id, active=True))


def checklist_items(questions: Sequence[QualificationQuestion], answers: Any) -> list[dict[str, Any]]:
    """The checklist breakdown as ``leads.services.lifecycle.lead_qualify`` stores it."""
    answers = answers if isinstance(answers, dict) else {}
    return [
        {"factor": q.label, "key": q.key, "contribution": q.weight if answers.get(q.key) is True else 0}
        for q in questions
    ]


def _fallback(lead: Lead, history: History, questions: Sequence[QualificationQuestion]) -> ScoreResult:
    return ScoreResult(
        score=lead.checklist_score,
        source=Lead.ScoreSource.CHECKLIST,
        history=history,
        fallback_reason="untrained" if history.enough else "history",
        checklist=checklist_items(questions, lead.qualification),
    )


def score_lead(
    lead: Lead,
    *,
    model: LeadScoringModel | LinearModel | None = None,
    history: History | None = None,
) -> ScoreResult:
    """The score of ``lead`` and its explanation; writes nothing.

    Uses the legal entity's active scoring model (pass ``model`` to skip the query); without
    one, the lead's checklist score (``Lead.checklist_score``, set it first), with the history
    counts that explain why (pass ``history`` to skip that query)."""
    if model is None:
        model = active_model(lead.legal_entity_id)
    if isinstance(model, LeadScoringModel):
        model = linear_model_from(model)
    if model is None:
        if history is None:
            history = scoring_history(lead.legal_entity_id)
        return _fallback(lead, history, checklist_questions(lead.legal_entity_id))
    features = lead_features(lead)
    baseline, contributions = model.explain(features)
    factors = [
        ScoreFactor(key=key, value=_display_value(lead, key, features), contribution=value)
        for key, value in contributions.items()
    ]
    log_odds = baseline + math.fsum(contributions.values())
    return ScoreResult(
        score=probability_to_score(scoring_logit.sigmoid(log_odds)),
        source=Lead.ScoreSource.MODEL,
        factors=factors,
        baseline=baseline,
        log_odds=log_odds,
    )


SCORE_FIELDS = ["score", "score_source", "score_factors", "scored_at"]


def _apply(lead: Lead, result: ScoreResult, now: datetime.datetime) -> None:
    lead.score = result.score
    lead.score_source = result.source
    lead.score_factors = result.as_json()
    lead.scored_at = now


def lead_score_set(lead: Lead) -> ScoreResult:
    """Score ``lead`` and set :data:`SCORE_FIELDS` on the instance without saving: for services
    that save the lead themselves (after setting ``checklist_score`` and ``qualification``)."""
    result = score_lead(lead)
    _apply(lead, result, timezone.now())
    return result


def lead_score_apply(lead: Lead) -> ScoreResult:
    """Score a saved ``lead`` and save :data:`SCORE_FIELDS` (no audit entry: a score is
    derived data, recomputed whenever the model or the lead changes)."""
    result = lead_score_set(lead)
    lead.save(update_fields=[*SCORE_FIELDS, "updated_at"])
    return result


def rescore_leads(legal_entity: Any, *, batch_size: int = 1000) -> int:
    """Refresh the score of every open lead of ``legal_entity`` (an id or a LegalEntity) with
    the active model or the checklist fallback, in bulk; returns how many leads were updated.
    Runs a constant number of queries per ``batch_size`` leads."""
    legal_entity_id = getattr(legal_entity, "pk", legal_entity)
    row = active_model(legal_entity_id)
    model = linear_model_from(row) if row is not None else None
    history = scoring_history(legal_entity_id) if model is None else None
    questions = checklist_questions(legal_entity_id) if model is None else []
    leads = with_engagement(
        Lead.objects.filter(legal_entity_id=legal_entity_id, stage__in=OPEN_STAGES)
        .select_related("source")
        .order_by("id")
    )
    now = timezone.now()
    updated = 0
    batch: list[Lead] = []
    for lead in leads.iterator(chunk_size=batch_size):
        if model is not None:
            result = score_lead(lead, model=model)
        else:
            assert history is not None
            result = _fallback(lead, history, questions)
        _apply(lead, result, now)
        batch.append(lead)
        if len(batch) >= batch_size:
            Lead.objects.bulk_update(batch, SCORE_FIELDS)
            updated += len(batch)
            batch = []
    if batch:
        Lead.objects.bulk_update(batch, SCORE_FIELDS)
        updated += len(batch)
    return updated


# --------------------------------------------------------------------------------------------
# Training


@dataclass
class TrainResult:
    """What one training run did: the new active model (``None`` with too little history)."""

    legal_entity_id: int
    history: History
    model: LeadScoringModel | None
    metrics: dict[str, Any]
    rescored: int


def training_data(legal_entity_id: int) -> tuple[list[dict[str, Any]], list[int]]:
    """Features and outcomes of the newest decided leads, oldest first (the holdout takes every
    fifth, so the split is the same on every run over the same history)."""
    leads = with_engagement(
        decided_leads(legal_entity_id).select_related("opportunity__stage").order_by("-id")
    )[:MAX_TRAINING_ROWS]
    rows: list[dict[str, Any]] = []
    labels: list[int] = []
    for lead in sorted(leads, key=lambda lead: lead.pk):
        outcome = lead_outcome(lead)
        if outcome is None:  # pragma: no cover - the query only returns decided leads
            continue
        rows.append(lead_features(lead))
        labels.append(outcome)
    return rows, labels


def scoring_model_train(
    *,
    actor: Any = None,
    legal_entity: Any,
    l2: float = DEFAULT_L2,
    rescore: bool = True,
) -> TrainResult:
    """Train a scoring model on the legal entity's decided leads, activate it and rescore the
    open leads. With too little history no model is stored (the active one, if any, stays)
    and open leads keep or get their checklist score.

    ``actor=None`` is the system (the management command); a person needs
    ``leads.manage_leads`` and must work in the legal entity."""
    legal_entity_id = getattr(legal_entity, "pk", legal_entity)
    require_perm(actor, "leads.manage_leads", system=True)
    require_legal_entity(actor, legal_entity_id, system=True)
    rows, labels = training_data(legal_entity_id)
    won = sum(labels)
    history = History(
        decided=len(labels),
        won=won,
        lost=len(labels) - won,
        required=min_outcomes(),
        required_per_class=min_per_class(),
    )
    row: LeadScoringModel | None = None
    metrics: dict[str, Any] = {}
    if history.enough:
        metrics = scoring_logit.evaluate(FEATURE_SPECS, rows, labels, l2=l2)
        fitted = scoring_logit.fit(FEATURE_SPECS, rows, labels, l2=l2)
        metrics.update(
            {
                "won": history.won,
                "lost": history.lost,
                "l2": l2,
                "iterations": fitted.iterations,
                "converged": fitted.converged,
                "specs": [[spec.key, spec.kind] for spec in FEATURE_SPECS],
                "feature_means": fitted.model.means,
            }
        )
        with transaction.atomic():
            LeadScoringModel.objects.filter(legal_entity_id=legal_entity_id, is_active=True).update(
                is_active=False
            )
            row = LeadScoringModel.objects.create(
                legal_entity_id=legal_entity_id,
                trained_at=timezone.now(),
                trained_by=actor,
                sample_size=len(labels),
                feature_names=fitted.model.feature_names,
                coefficients=fitted.model.coefficients,
                intercept=fitted.model.intercept,
                metrics=metrics,
                is_active=True,
            )
            audit_record(
                actor=actor,
                action="leads.scoring_model.trained",
                obj=row,
                changes={
                    "sample_size": [None, row.sample_size],
                    "accuracy": [None, metrics.get("accuracy")],
                    "auc": [None, metrics.get("auc")],
                    "is_active": [None, True],
                },
            )
    rescored = rescore_leads(legal_entity_id) if rescore else 0
    return TrainResult(
        legal_entity_id=legal_entity_id, history=history, model=row, metrics=metrics, rescored=rescored
    )
