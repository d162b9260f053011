"""Pure-Python, deterministic L2-regularised logistic regression for lead scoring.

No numpy, no randomness, no Django: a list of feature specs, a list of rows (dicts of raw
values) and 0/1 labels go in, a :class:`LinearModel` comes out. Everything runs in a fixed
order, so the same history always gives the same model, to the last bit.

How it works:

- Categorical features are one-hot encoded (one column per value seen in training, named
  ``key=value``, sorted); numeric features are one column each (named ``key``), standardised
  to mean 0 and standard deviation 1 for the solver.
- Identical encoded rows are merged into one weighted row (count, positives), which makes the
  solver's cost depend on the number of *distinct* leads, not the number of leads.
- Newton's method (iteratively reweighted least squares) on the penalised log-likelihood
  ``-loglik + l2/2 * |w|^2`` (the intercept is not penalised), with step halving so the
  objective never increases. Rows are sparse, so one Hessian costs O(rows x nnz^2).
- The fitted model is converted back to raw units: ``log_odds(x) = intercept + sum(w_j x_j)``.
  With the training means ``m_j`` of each column this is exactly
  ``baseline + sum(w_j (x_j - m_j))`` where ``baseline = intercept + sum(w_j m_j)``; the
  contribution of a feature is its columns' share of that sum (see :meth:`LinearModel.explain`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

CATEGORY = "category"
NUMBER = "number"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class FeatureSpec:
    """One input feature: ``key`` (no ``=``) and whether it is a category or a number."""

    key: str
    kind: Literal["category", "number"]


def category_value(value: Any) -> str:
    """The category string a raw value is encoded as (blank and ``None`` are ``"unknown"``)."""
    text = "" if value is None else str(value).strip()
    return text or UNKNOWN


def number_value(value: Any) -> float:
    """The float a raw numeric value is encoded as (``None`` and blanks are 0)."""
    if value is None or value == "":
        return 0.0
    return float(value)


def column_group(name: str) -> str:
    """The feature key a column belongs to: ``"source=web"`` -> ``"source"``."""
    return name.split("=", 1)[0]


def encode(
    names_index: Mapping[str, int], specs: Sequence[FeatureSpec], row: Mapping[str, Any]
) -> list[tuple[int, float]]:
    """The sparse raw encoding of ``row``: ``(column index, value)`` pairs, sorted by index.

    A category value not seen in training has no column (all its group's columns are 0)."""
    out: list[tuple[int, float]] = []
    for spec in specs:
        if spec.kind == CATEGORY:
            index = names_index.get(f"{spec.key}={category_value(row.get(spec.key))}")
            if index is not None:
                out.append((index, 1.0))
        else:
            index = names_index.get(spec.key)
            if index is not None:
                value = number_value(row.get(spec.key))
                if value != 0.0:
                    out.append((index, value))
    out.sort()
    return out


def feature_names_for(specs: Sequence[FeatureSpec], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The column names for ``rows``: per spec in order, its sorted category values or its key."""
    names: list[str] = []
    for spec in specs:
        if "=" in spec.key:
            raise ValueError(f"feature key {spec.key!r} must not contain '='")
        if spec.kind == CATEGORY:
            values = sorted({category_value(row.get(spec.key)) for row in rows})
            names.extend(f"{spec.key}={value}" for value in values)
        else:
            names.append(spec.key)
    return names


@dataclass
class LinearModel:
    """A fitted model in raw units: ``log_odds(x) = intercept + sum(coefficients[j] * x_j)``.

    ``means`` are the training means of each column (for a one-hot column: the share of
    training rows with that value); they define the baseline the explanations start from."""

    specs: list[FeatureSpec]
    feature_names: list[str]
    coefficients: list[float]
    intercept: float
    means: list[float]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (len(self.feature_names) == len(self.coefficients) == len(self.means)):
            raise ValueError("feature_names, coefficients and means must have the same length")
        self._index = {name: j for j, name in enumerate(self.feature_names)}

    @property
    def baseline_log_odds(self) -> float:
        """The log-odds of a lead whose every column equals its training mean."""
        return self.intercept + math.fsum(w * m for w, m in zip(self.coefficients, self.means, strict=True))

    def log_odds(self, row: Mapping[str, Any]) -> float:
        """``intercept + sum(w_j x_j)`` for the raw ``row``."""
        return self.intercept + math.fsum(
            self.coefficients[j] * x for j, x in encode(self._index, self.specs, row)
        )

    def probability(self, row: Mapping[str, Any]) -> float:
        return sigmoid(self.log_odds(row))

    def explain(self, row: Mapping[str, Any]) -> tuple[float, dict[str, float]]:
        """``(baseline log-odds, {feature key: contribution})`` for ``row``, in spec order.

        A feature's contribution is ``sum(w_j (x_j - m_j))`` over its columns, so
        ``baseline + sum(contributions)`` equals :meth:`log_odds` (up to float rounding, which
        ``math.fsum`` keeps below 1e-12 for realistic models)."""
        values = dict(encode(self._index, self.specs, row))
        per_group: dict[str, list[float]] = {spec.key: [] for spec in self.specs}
        for j, name in enumerate(self.feature_names):
            per_group[column_group(name)].append(self.coefficients[j] * (values.get(j, 0.0) - self.means[j]))
        return self.baseline_log_odds, {key: math.fsum(parts) for key, parts in per_group.items()}


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _log1pexp(z: float) -> float:
    """``log(1 + exp(z))`` without overflow."""
    if z > 0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


def _cholesky_solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Solve ``matrix @ x = rhs`` for a symmetric positive definite ``matrix``."""
    n = len(rhs)
    lower = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row_i = lower[i]
        for j in range(i + 1):
            row_j = lower[j]
            s = matrix[i][j] - math.fsum(row_i[k] * row_j[k] for k in range(j))
            if i == j:
                row_i[i] = math.sqrt(max(s, 1e-12))
            else:
                row_i[j] = s / row_j[j]
    y = [0.0] * n
    for i in range(n):
        y[i] = (rhs[i] - math.fsum(lower[i][k] * y[k] for k in range(i))) / lower[i][i]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        x[i] = (y[i] - math.fsum(lower[k][i] * x[k] for k in range(i + 1, n))) / lower[i][i]
    return x


@dataclass
class FitResult:
    model: LinearModel
    iterations: int
    converged: bool


def fit(
    specs: Sequence[FeatureSpec],
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[int],
    *,
    l2: float = 1.0,
    max_iterations: int = 50,
    tolerance: float = 1e-9,
) -> FitResult:
    """Fit an L2-regularised logistic regression of ``labels`` (0/1) on ``rows``."""
    if len(rows) != len(labels):
        raise ValueError("rows and labels must have the same length")
    if not rows:
        raise ValueError("no training rows")
    if any(label not in (0, 1) for label in labels):
        raise ValueError("labels must be 0 or 1")
    specs = list(specs)
    names = feature_names_for(specs, rows)
    index = {name: j for j, name in enumerate(names)}
    d = len(names)
    n = len(rows)

    raw_rows = [encode(index, specs, row) for row in rows]
    sums = [0.0] * d
    squares = [0.0] * d
    for raw in raw_rows:
        for j, x in raw:
            sums[j] += x
            squares[j] += x * x
    means = [s / n for s in sums]
    numeric = [j for j, name in enumerate(names) if "=" not in name]
    is_numeric = [("=" not in name) for name in names]
    # Standardise numeric columns for the solver (centre and scale); one-hot columns stay 0/1.
    centre = [0.0] * d
    scale = [1.0] * d
    for j in numeric:
        variance = max(squares[j] / n - means[j] ** 2, 0.0)
        centre[j] = means[j]
        scale[j] = math.sqrt(variance) if variance > 1e-12 else 1.0

    # Solver columns: 0 is the intercept, 1..d the features. Merge identical rows.
    merged: dict[tuple[tuple[int, float], ...], list[float]] = {}
    for raw, label in zip(raw_rows, labels, strict=True):
        values = dict(raw)
        solver_row: list[tuple[int, float]] = [(0, 1.0)]
        for j in range(d):
            x = values.get(j, 0.0)
            if is_numeric[j]:
                z = (x - centre[j]) / scale[j]
                if z != 0.0:
                    solver_row.append((j + 1, z))
            elif x != 0.0:
                solver_row.append((j + 1, x))
        key = tuple(solver_row)
        slot = merged.setdefault(key, [0.0, 0.0])
        slot[0] += 1.0
        slot[1] += label
    data = [(list(key), count, positives) for key, (count, positives) in merged.items()]

    p = d + 1
    beta = [0.0] * p
    base_rate = sum(labels) / n
    if 0 < base_rate < 1:
        beta[0] = math.log(base_rate / (1 - base_rate))

    def objective(b: list[float]) -> float:
        total = 0.0
        for xs, count, positives in data:
            z = math.fsum(b[j] * x for j, x in xs)
            # -(s*log p + (c-s)*log(1-p)) = c*log(1+e^z) - s*z
            total += count * _log1pexp(z) - positives * z
        return total + 0.5 * l2 * math.fsum(w * w for w in b[1:])

    current = objective(beta)
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported after the loop
        gradient = [0.0] * p
        hessian = [[0.0] * p for _ in range(p)]
        for xs, count, positives in data:
            z = math.fsum(beta[j] * x for j, x in xs)
            prob = sigmoid(z)
            residual = count * prob - positives
            weight = count * prob * (1.0 - prob)
            for a, (ja, xa) in enumerate(xs):
                gradient[ja] += residual * xa
                wa = weight * xa
                row = hessian[ja]
                for jb, xb in xs[: a + 1]:
                    row[jb] += wa * xb
        for j in range(1, p):
            gradient[j] += l2 * beta[j]
            hessian[j][j] += l2
        hessian[0][0] += 1e-9  # keeps the system solvable when every row has one class
        for i in range(p):
            for j in range(i):
                hessian[j][i] = hessian[i][j]
        step = _cholesky_solve(hessian, gradient)
        factor = 1.0
        while True:
            candidate = [b - factor * s for b, s in zip(beta, step, strict=True)]
            value = objective(candidate)
            if value <= current + 1e-12 or factor < 1e-6:
                break
            factor /= 2
        beta, previous, current = candidate, current, value
        if max(abs(factor * s) for s in step) < tolerance or abs(previous - current) < tolerance * (
            1 + abs(current)
        ):
            converged = True
            break

    # Back to raw units: w_raw = w / scale; intercept absorbs the centring.
    coefficients = [beta[j + 1] / scale[j] for j in range(d)]
    intercept = beta[0] - math.fsum(beta[j + 1] * centre[j] / scale[j] for j in numeric)
    model = LinearModel(
        specs=specs, feature_names=names, coefficients=coefficients, intercept=intercept, means=means
    )
    return FitResult(model=model, iterations=iterations, converged=converged)


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count one half); ``None`` with one class."""
    positives = sum(1 for label in labels if label == 1)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    pairs = sorted(zip(scores, labels, strict=True), key=lambda pair: pair[0])
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks i+1 .. j share their mean
        rank_sum += average_rank * sum(1 for k in range(i, j) if pairs[k][1] == 1)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def accuracy(scores: Sequence[float], labels: Sequence[int], threshold: float = 0.5) -> float | None:
    """Share of rows where ``score >= threshold`` matches the label; ``None`` without rows."""
    if not labels:
        return None
    hits = sum(1 for score, label in zip(scores, labels, strict=True) if (score >= threshold) == (label == 1))
    return hits / len(labels)


def holdout_split(count: int, every: int = 5) -> tuple[list[int], list[int]]:
    """Deterministic split of positions ``0..count-1``: every ``every``-th one is held out."""
    train = [i for i in range(count) if i % every != every - 1]
    holdout = [i for i in range(count) if i % every == every - 1]
    return train, holdout


def evaluate(
    specs: Sequence[FeatureSpec],
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[int],
    *,
    l2: float = 1.0,
) -> dict[str, Any]:
    """Holdout metrics: fit on 4/5 of the rows (in the given order), score the other fifth."""
    train, holdout = holdout_split(len(rows))
    train_labels = [labels[i] for i in train]
    metrics: dict[str, Any] = {"holdout_size": len(holdout), "accuracy": None, "auc": None}
    if not holdout or len(set(train_labels)) < 2:
        return metrics
    model = fit(specs, [rows[i] for i in train], train_labels, l2=l2).model
    scores = [model.probability(rows[i]) for i in holdout]
    holdout_labels = [labels[i] for i in holdout]
    metrics["accuracy"] = accuracy(scores, holdout_labels)
    metrics["auc"] = auc(scores, holdout_labels)
    return metrics


def iter_top(contributions: Mapping[str, float], count: int) -> Iterable[tuple[str, float]]:
    """The ``count`` largest positive and ``count`` largest negative contributions, by size."""
    ordered = sorted(contributions.items(), key=lambda item: (-abs(item[1]), item[0]))
    positive = [item for item in ordered if item[1] > 0][:count]
    negative = [item for item in ordered if item[1] < 0][:count]
    return sorted(positive + negative, key=lambda item: (-item[1], item[0]))
