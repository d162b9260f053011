"""The pure-Python logistic regression behind lead scoring (no database)."""

from __future__ import annotations

import math
import random
import time

import pytest

from frontoffice.leads.scoring_logit import (
    FeatureSpec,
    accuracy,
    auc,
    evaluate,
    fit,
    holdout_split,
    iter_top,
    sigmoid,
)

SPECS = [
    FeatureSpec("source", "category"),
    FeatureSpec("industry", "category"),
    FeatureSpec("size_band", "category"),
    FeatureSpec("country", "category"),
    FeatureSpec("interactions_14d", "number"),
    FeatureSpec("answered_items", "number"),
    FeatureSpec("noise", "number"),
]
SOURCE_EFFECT = {"web": 0.9, "referral": 1.4, "phone": 0.0, "import": -1.2, "event": -0.3}
SIZE_EFFECT = {"1-9": -0.6, "10-49": 0.0, "50+": 0.8}


def synthetic(count: int, seed: int = 7) -> tuple[list[dict], list[int]]:
    """Leads whose true log-odds are known: referral/web up, import down, bigger companies up,
    more interactions up, more answered items up; industry, country and noise do nothing."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(count):
        row = {
            "source": rng.choice(sorted(SOURCE_EFFECT)),
            "industry": rng.choice(["dental", "retail", "software", ""]),
            "size_band": rng.choice(sorted(SIZE_EFFECT)),
            "country": rng.choice(["SE", "NO", "DK", "FI"]),
            "interactions_14d": rng.randint(0, 6),
            "answered_items": rng.randint(0, 4),
            "noise": rng.random(),
        }
        z = (
            -1.0
            + SOURCE_EFFECT[row["source"]]
            + SIZE_EFFECT[row["size_band"]]
            + 0.45 * row["interactions_14d"]
            + 0.35 * row["answered_items"]
        )
        rows.append(row)
        labels.append(1 if rng.random() < sigmoid(z) else 0)
    return rows, labels


@pytest.fixture(scope="module")
def trained():
    rows, labels = synthetic(3000)
    return fit(SPECS, rows, labels, l2=1.0), rows, labels


def coefficient(model, name: str) -> float:
    return model.coefficients[model.feature_names.index(name)]


def test_coefficients_point_the_way_the_data_was_generated(trained):
    result, _, _ = trained
    model = result.model
    assert result.converged is True
    assert coefficient(model, "interactions_14d") > 0.3
    assert coefficient(model, "answered_items") > 0.2
    assert coefficient(model, "source=referral") > coefficient(model, "source=web")
    assert coefficient(model, "source=web") > coefficient(model, "source=phone")
    assert coefficient(model, "source=phone") > coefficient(model, "source=event")
    assert coefficient(model, "source=event") > coefficient(model, "source=import")
    assert coefficient(model, "size_band=50+") > coefficient(model, "size_band=10-49")
    assert coefficient(model, "size_band=10-49") > coefficient(model, "size_band=1-9")
    # Features that play no part stay small.
    for name in ("industry=dental", "industry=retail", "country=SE", "country=NO"):
        assert abs(coefficient(model, name)) < 0.2, name
    # A blank category is its own value.
    assert "industry=unknown" in model.feature_names


def test_feature_names_are_one_column_per_seen_value_in_spec_order(trained):
    model = trained[0].model
    assert model.feature_names[:5] == [
        "source=event",
        "source=import",
        "source=phone",
        "source=referral",
        "source=web",
    ]
    assert model.feature_names[-3:] == ["interactions_14d", "answered_items", "noise"]


def test_training_is_deterministic():
    rows, labels = synthetic(600, seed=3)
    first = fit(SPECS, rows, labels).model
    second = fit(SPECS, rows, labels).model
    assert first.coefficients == second.coefficients
    assert first.intercept == second.intercept


def test_stronger_regularisation_shrinks_coefficients():
    rows, labels = synthetic(400, seed=5)
    loose = fit(SPECS, rows, labels, l2=0.1).model
    tight = fit(SPECS, rows, labels, l2=100.0).model
    assert sum(abs(c) for c in tight.coefficients) < sum(abs(c) for c in loose.coefficients)


def test_training_on_5000_rows_takes_under_5_seconds():
    rows, labels = synthetic(5000, seed=11)
    started = time.perf_counter()
    result = fit(SPECS, rows, labels)
    elapsed = time.perf_counter() - started
    assert result.converged is True
    assert elapsed < 5.0


def test_explanations_sum_to_the_log_odds(trained):
    model = trained[0].model
    for row in trained[1][:200]:
        baseline, contributions = model.explain(row)
        assert list(contributions) == [spec.key for spec in SPECS]
        assert math.isclose(baseline + math.fsum(contributions.values()), model.log_odds(row), abs_tol=1e-9)


def test_unseen_category_has_no_column_but_still_explains_exactly(trained):
    model = trained[0].model
    row = {"source": "carrier pigeon", "industry": "mining", "size_band": "50+", "country": "IS"}
    baseline, contributions = model.explain(row)
    assert math.isclose(baseline + math.fsum(contributions.values()), model.log_odds(row), abs_tol=1e-9)
    # Unknown source: the group contributes minus its average effect.
    source_columns = [j for j, name in enumerate(model.feature_names) if name.startswith("source=")]
    expected = -math.fsum(model.coefficients[j] * model.means[j] for j in source_columns)
    assert math.isclose(contributions["source"], expected, abs_tol=1e-12)


def test_model_in_raw_units_matches_probability_of_a_row(trained):
    model = trained[0].model
    row = trained[1][0]
    z = model.intercept
    for j, name in enumerate(model.feature_names):
        key, _, value = name.partition("=")
        x = (1.0 if str(row[key] or "unknown") == value else 0.0) if value else float(row[key])
        z += model.coefficients[j] * x
    assert math.isclose(z, model.log_odds(row), abs_tol=1e-9)
    assert math.isclose(model.probability(row), sigmoid(z), abs_tol=1e-12)


def test_holdout_metrics_are_deterministic_and_sensible():
    rows, labels = synthetic(1500, seed=13)
    first = evaluate(SPECS, rows, labels)
    assert first == evaluate(SPECS, rows, labels)
    assert first["holdout_size"] == 300
    assert first["auc"] > 0.7
    assert 0.6 < first["accuracy"] <= 1.0


def test_auc_counts_ties_as_half_and_needs_both_classes():
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert auc([0.5, 0.5], [0, 1]) == 0.5
    assert auc([0.2, 0.9], [1, 1]) is None
    assert accuracy([0.2, 0.6, 0.7], [0, 1, 0]) == pytest.approx(2 / 3)
    assert accuracy([], []) is None


def test_holdout_split_takes_every_fifth_row():
    train, holdout = holdout_split(11)
    assert holdout == [4, 9]
    assert train == [0, 1, 2, 3, 5, 6, 7, 8, 10]


def test_top_contributions_lists_largest_positive_and_negative():
    contributions = {"a": 0.5, "b": -1.0, "c": 0.1, "d": 2.0, "e": -0.2, "f": 0.0}
    assert list(iter_top(contributions, 2)) == [("d", 2.0), ("a", 0.5), ("e", -0.2), ("b", -1.0)]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="same length"):
        fit(SPECS, [{}], [])
    with pytest.raises(ValueError, match="0 or 1"):
        fit(SPECS, [{}], [2])
    with pytest.raises(ValueError, match="must not contain"):
        fit([FeatureSpec("a=b", "category")], [{}], [1])
    with pytest.raises(ValueError, match="no training rows"):
        fit(SPECS, [], [])
