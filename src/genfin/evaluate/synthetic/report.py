"""Every synthetic-data metric that applies, in one call, as a table for a report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genfin.evaluate.synthetic._base import (
    RandomState,
    SyntheticMetric,
    check_binary_labels,
    check_classifier,
    check_tables,
    draw_seed,
)
from genfin.evaluate.synthetic.detection import DetectionAUC
from genfin.evaluate.synthetic.fidelity import CorrelationSimilarity, KSComplement
from genfin.evaluate.synthetic.privacy import DistanceToClosestRecord
from genfin.evaluate.synthetic.utility import TrainSyntheticTestReal


@dataclass(frozen=True)
class MetricResult:
    """One metric's value with what is needed to read it.

    Attributes
    ----------
    name, family, goal, target, min_value, max_value
        As declared by the metric class (see :class:`SyntheticMetric`).
    value : float
        What the metric's ``compute`` returns.
    score : float
        ``value`` on a common scale, ``[0, 1]`` with 1 best (the metric's ``normalize``).
    breakdown : dict
        What the metric's ``compute_breakdown`` returns.
    headline_key : str or None
        The key of ``breakdown`` that holds ``value``, if any.
    """

    name: str
    family: str
    value: float
    score: float
    goal: str
    target: float | None
    min_value: float
    max_value: float
    breakdown: dict[str, Any] = field(repr=False)
    headline_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_breakdown(cls, metric: SyntheticMetric, breakdown: dict[str, Any]) -> MetricResult:
        """Build the result of ``metric`` from its ``compute_breakdown`` output."""
        value = metric._headline(breakdown)
        return cls(
            name=metric.name,
            family=metric.family,
            value=value,
            score=metric.normalize(value),
            goal=metric.goal,
            target=metric.target,
            min_value=metric.min_value,
            max_value=metric.max_value,
            breakdown=breakdown,
            headline_key=metric.headline_key,
        )


@dataclass(frozen=True)
class SyntheticEvaluation:
    """The results of :func:`evaluate_synthetic`, and the metrics it skipped with the reason.

    Attributes
    ----------
    results : dict
        Metric name to :class:`MetricResult`, in report order: fidelity, detection, utility, privacy.
    skipped : dict
        Metric name to why it was not computed (a missing holdout or label column, one class).
    """

    results: dict[str, MetricResult]
    skipped: dict[str, str]

    def __getitem__(self, name: str) -> MetricResult:
        return self.results[name]

    def to_frame(self) -> pd.DataFrame:
        """One row per computed metric, indexed by name, for a report table.

        Returns
        -------
        pandas.DataFrame
            Columns ``family``, ``value``, ``score`` (``[0, 1]``, 1 best), ``goal``, ``target`` (NaN
            unless the goal is a target), ``min_value`` and ``max_value``.
        """
        rows = [
            {
                "metric": result.name,
                "family": result.family,
                "value": result.value,
                "score": result.score,
                "goal": result.goal,
                "target": math.nan if result.target is None else result.target,
                "min_value": result.min_value,
                "max_value": result.max_value,
            }
            for result in self.results.values()
        ]
        columns = ["metric", "family", "value", "score", "goal", "target", "min_value", "max_value"]
        return pd.DataFrame(rows, columns=columns).set_index("metric")

    def to_dict(self) -> dict[str, float]:
        """Every number as one flat dictionary: each value, then its breakdown's numbers.

        Returns
        -------
        dict
            ``name`` to the metric's value, and ``"name.key"`` to each other number of its breakdown
            (per column for ``ks_complement``); pairs and other nested entries are left out.
        """
        flat: dict[str, float] = {}
        for result in self.results.values():
            flat[result.name] = result.value
            for key, value in result.breakdown.items():
                if key == result.headline_key:
                    continue
                if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
                    flat[f"{result.name}.{key}"] = float(value)
        return flat


def evaluate_synthetic(
    real_train: Any,
    synthetic: Any,
    real_holdout: Any = None,
    *,
    label_column: str | None = None,
    classifier: Any = "logistic",
    random_state: RandomState = None,
) -> SyntheticEvaluation:
    """Judge synthetic rows against real ones with every metric that the given data allow.

    - Fidelity (always): :class:`KSComplement`, and :class:`CorrelationSimilarity` when there are at
      least 2 feature columns, of ``synthetic`` against ``real_train``.
    - Detection (always): :class:`DetectionAUC` of ``synthetic`` against ``real_train``.
    - Utility (with ``real_holdout`` and ``label_column``, and both classes in every table):
      :class:`TrainSyntheticTestReal`, testing on ``real_holdout``.
    - Privacy (with ``real_holdout``): :class:`DistanceToClosestRecord`.

    The label column, when named, is no feature: the other metrics ignore it, since a generator's
    class balance is often set on purpose (to make more frauds) and would otherwise dominate them.
    All inputs are checked before any metric runs.

    Parameters
    ----------
    real_train
        The real rows the generator was trained on.
    synthetic
        The generator's rows.
    real_holdout
        Real rows from the same source that the generator never saw; without it, no utility or
        privacy metric.
    label_column
        Name of a binary label column (1 for the positive class, such as fraud) in every table;
        tables must then be DataFrames.
    classifier
        Classifier of the detection and utility metrics: ``"logistic"``, ``"gradient_boosting"``, or
        an unfitted scikit-learn classifier.
    random_state
        Seed or ``numpy.random.Generator``; the same seed gives the same results.

    Returns
    -------
    SyntheticEvaluation
        The results by metric name, the skipped metrics with their reason, ``to_frame()`` and
        ``to_dict()``.

    Raises
    ------
    DataValidationError
        If a table differs from ``real_train`` in its columns, holds non-numeric, NaN or infinite
        values or fewer than 2 rows, or lacks the label column or has labels other than 0 and 1; or
        if ``classifier`` is unknown.
    """
    tables = {"real_train": real_train, "synthetic": synthetic}
    if real_holdout is not None:
        tables["real_holdout"] = real_holdout
    columns, features, labels = check_tables(tables, label_column=label_column)
    frames = {source: pd.DataFrame(X, columns=columns) for source, X in features.items()}
    if label_column is not None:
        labels = {
            source: check_binary_labels(y, len(features[source]), source=source, need_both=False)
            for source, y in labels.items()
        }
    check_classifier(classifier)
    # One seed for every metric, so that each one's result does not depend on which others ran.
    seed = draw_seed(random_state) if isinstance(random_state, np.random.Generator) else random_state

    results: dict[str, MetricResult] = {}
    skipped: dict[str, str] = {}

    def run(metric: SyntheticMetric, *args: Any, **kwargs: Any) -> None:
        results[metric.name] = MetricResult.from_breakdown(metric, metric.compute_breakdown(*args, **kwargs))

    real, fake = frames["real_train"], frames["synthetic"]
    run(KSComplement(), real, fake)
    if len(columns) >= 2:
        run(CorrelationSimilarity(), real, fake)
    else:
        skipped[CorrelationSimilarity.name] = "needs at least 2 feature columns"
    run(DetectionAUC(classifier=classifier, random_state=seed), real, fake)

    utility = TrainSyntheticTestReal.name
    if real_holdout is None:
        skipped[utility] = "needs real_holdout (real rows to test on)"
    elif label_column is None:
        skipped[utility] = "needs label_column"
    else:
        one_class = [source for source, y in labels.items() if np.unique(y).size < 2]
        if one_class:
            skipped[utility] = f"needs both classes in every table; one class only in {', '.join(one_class)}"
        else:
            run(
                TrainSyntheticTestReal(classifier=classifier, random_state=seed),
                real,
                fake,
                frames["real_holdout"],
                y_real=labels["real_train"],
                y_synthetic=labels["synthetic"],
                y_test=labels["real_holdout"],
            )

    if real_holdout is None:
        skipped[DistanceToClosestRecord.name] = "needs real_holdout (unseen real rows as the baseline)"
    else:
        run(DistanceToClosestRecord(random_state=seed), real, fake, frames["real_holdout"])

    return SyntheticEvaluation(results=results, skipped=skipped)
