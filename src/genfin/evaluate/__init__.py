"""Metrics for what the models produce: detection scores, classifications, synthetic data."""

from __future__ import annotations

from genfin.evaluate.detection import (
    auprc,
    check_labels_and_scores,
    check_scores,
    detection_metrics,
    precision_at_k,
    precision_recall_curve,
    precision_recall_f1,
    recall_at_fpr,
    roc_auc,
)
from genfin.evaluate.synthetic import (
    CorrelationSimilarity,
    DetectionAUC,
    DistanceToClosestRecord,
    KSComplement,
    MetricResult,
    SyntheticEvaluation,
    SyntheticMetric,
    TrainSyntheticTestReal,
    evaluate_synthetic,
)

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
    "auprc",
    "check_labels_and_scores",
    "check_scores",
    "detection_metrics",
    "precision_at_k",
    "precision_recall_curve",
    "precision_recall_f1",
    "recall_at_fpr",
    "roc_auc",
]
