"""Metrics for synthetic data: fidelity, detection, utility and privacy, measured against real data.

Each metric is a small class: the constructor stores its settings, ``compute(real, synthetic, ...)``
returns one number and ``compute_breakdown`` the numbers behind it. Class attributes declare how to
read the number: ``goal`` (``"maximize"``, ``"minimize"``, or ``"target"`` with the best value in
``target``), ``min_value`` and ``max_value``; ``normalize`` puts any of them on ``[0, 1]``, 1 best.

- fidelity: :class:`KSComplement` (1: the same marginal distribution in every column) and
  :class:`CorrelationSimilarity` (1: the same Pearson correlation for every pair of columns);
- detection: :class:`DetectionAUC` (0.5: a classifier cannot tell synthetic rows from real ones);
- utility: :class:`TrainSyntheticTestReal` (1: a classifier trained on synthetic rows does as well on
  real test rows as one trained on the real training rows);
- privacy: :class:`DistanceToClosestRecord` (1 or more: synthetic rows are no closer to the training
  rows than unseen real rows are; exact and near copies counted).

:func:`evaluate_synthetic` runs all that apply and returns a table for a report.
"""

from __future__ import annotations

from genfin.evaluate.synthetic._base import SyntheticMetric
from genfin.evaluate.synthetic.detection import DetectionAUC
from genfin.evaluate.synthetic.fidelity import CorrelationSimilarity, KSComplement
from genfin.evaluate.synthetic.privacy import DistanceToClosestRecord
from genfin.evaluate.synthetic.report import MetricResult, SyntheticEvaluation, evaluate_synthetic
from genfin.evaluate.synthetic.utility import TrainSyntheticTestReal

__all__ = [
    "CorrelationSimilarity",
    "DetectionAUC",
    "DistanceToClosestRecord",
    "KSComplement",
    "MetricResult",
    "SyntheticEvaluation",
    "SyntheticMetric",
    "TrainSyntheticTestReal",
    "evaluate_synthetic",
]
