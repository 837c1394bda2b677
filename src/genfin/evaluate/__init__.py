"""Metrics for what the models produce: detection scores, classifications, synthetic data, images."""

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
from genfin.evaluate.images import (
    IMAGE_QUALITY_METRICS,
    ImageQuality,
    class_coverage,
    class_shares,
    classifier_score,
    fid,
    frechet_distance,
    image_quality,
    mean_confidence,
    predicted_class_entropy,
)
from genfin.evaluate.mnist_classifier import load_mnist_classifier
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
    "IMAGE_QUALITY_METRICS",
    "ImageQuality",
    "class_coverage",
    "class_shares",
    "classifier_score",
    "fid",
    "frechet_distance",
    "image_quality",
    "load_mnist_classifier",
    "mean_confidence",
    "predicted_class_entropy",
]
