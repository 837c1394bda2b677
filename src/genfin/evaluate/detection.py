"""Metrics for anomaly and fraud scores.

Every function takes labels ``y`` (1 = fraud, 0 = genuine) and ``scores`` where a higher score means
more anomalous, as a reconstruction error or a fraud probability is. Inputs are validated once, up
front, and refused with a :class:`~genfin.exceptions.DataValidationError` that names the problem.

Frauds are rare, so the threshold-free headline metric is :func:`auprc`; ROC-AUC is reported beside it
because the literature does, but it looks flattering on imbalanced data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn import metrics as skm

from genfin.exceptions import DataValidationError

__all__ = [
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


def check_scores(values: ArrayLike, *, name: str = "scores") -> np.ndarray:
    """Refuse anything but a non-empty 1-D array of finite numbers; return it as ``float64``.

    Parameters
    ----------
    values
        The numbers to check: scores, or any per-row or per-feature values.
    name
        What to call them in an error message.

    Returns
    -------
    numpy.ndarray
        A 1-D ``float64`` array.

    Raises
    ------
    DataValidationError
        Naming the shape, dtype, or first row that is NaN or infinite.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise DataValidationError(
            f"expected a 1-D array (one value per row), got shape {array.shape}; "
            "flatten a single column with .ravel()",
            source=name,
        )
    if array.size == 0:
        raise DataValidationError("is empty; at least one value is needed", source=name)
    if array.dtype.kind not in "biuf":
        raise DataValidationError(f"values must be numbers, got dtype {array.dtype}", source=name)
    array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"{int(bad.sum())} of {array.size} values are NaN or infinite (first: {array[first]!r})",
            source=name,
            row=first + 1,
        )
    return array


def check_labels_and_scores(
    y: ArrayLike,
    scores: ArrayLike,
    *,
    need_fraud: bool = False,
    need_genuine: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate fraud labels and their scores together, as every metric here does before any work.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine (booleans accepted).
    scores
        One finite score per label.
    need_fraud, need_genuine
        Also require at least one fraud, or at least one genuine transaction.

    Returns
    -------
    y, scores
        Labels as a 1-D ``int8`` array of 0/1 and scores as a 1-D ``float64`` array.

    Raises
    ------
    DataValidationError
        Naming the mismatched shapes, the first bad row, or the missing class.
    """
    y_arr = np.asarray(y)
    s_arr = np.asarray(scores)
    if y_arr.shape != s_arr.shape:
        raise DataValidationError(
            f"y has shape {y_arr.shape} but scores has shape {s_arr.shape}; they need one score per label",
            source="scores",
        )
    if y_arr.ndim != 1:
        raise DataValidationError(
            f"expected a 1-D array (one label per row), got shape {y_arr.shape}; "
            "flatten a single column with .ravel()",
            source="y",
        )
    s_arr = check_scores(s_arr, name="scores")

    if y_arr.dtype.kind not in "biuf":
        raise DataValidationError(f"labels must be 0 or 1, got dtype {y_arr.dtype}", source="y")
    not_binary = ~np.isin(y_arr, (0, 1))
    if not_binary.any():
        first = int(np.flatnonzero(not_binary)[0])
        found = np.unique(y_arr[not_binary])[:5].tolist()
        raise DataValidationError(
            f"labels must be 0 (genuine) or 1 (fraud); found other values {found}",
            source="y",
            row=first + 1,
        )
    y_arr = y_arr.astype(np.int8)

    n_fraud = int(y_arr.sum())
    if need_fraud and n_fraud == 0:
        raise DataValidationError(
            f"all {y_arr.size} labels are 0; this needs at least one fraud (1)", source="y"
        )
    if need_genuine and n_fraud == y_arr.size:
        raise DataValidationError(
            f"all {y_arr.size} labels are 1; this needs at least one genuine transaction (0)",
            source="y",
        )
    return y_arr, s_arr


def _check_k(k: int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DataValidationError(f"k must be a positive integer, got {k!r}", source="k")
    if k > n:
        raise DataValidationError(
            f"k={k} is larger than the {n} transactions scored; pass k <= {n}", source="k"
        )
    return int(k)


def _check_fpr(fpr: float) -> float:
    if not (isinstance(fpr, int | float | np.floating) and 0.0 <= float(fpr) <= 1.0):
        raise DataValidationError(f"fpr must be a rate in [0, 1], got {fpr!r}", source="fpr")
    return float(fpr)


def _check_threshold(threshold: float) -> float:
    if not (isinstance(threshold, int | float | np.number) and np.isfinite(threshold)):
        raise DataValidationError(f"threshold must be a finite number, got {threshold!r}", source="threshold")
    return float(threshold)


# The private functions below take arrays already checked by check_labels_and_scores, so that
# detection_metrics validates once and reuses them.


def _auprc(y: np.ndarray, s: np.ndarray) -> float:
    return float(skm.average_precision_score(y, s))


def _roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(skm.roc_auc_score(y, s))


def _precision_recall_f1(y: np.ndarray, s: np.ndarray, threshold: float) -> dict[str, float]:
    flagged = s > threshold
    tp = int(np.sum(flagged & (y == 1)))
    n_flagged = int(flagged.sum())
    n_fraud = int(y.sum())
    precision = tp / n_flagged if n_flagged else 0.0
    recall = tp / n_fraud
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _precision_at_k(y: np.ndarray, s: np.ndarray, k: int) -> float:
    # A tie straddling the k-th place would otherwise be broken by row order, so the same scores in
    # another order would give another answer; the tied group instead counts at its average fraud rate.
    kth = np.sort(s)[::-1][k - 1]
    above = s > kth
    tied = s == kth
    slots = k - int(above.sum())
    frauds = float(y[above].sum()) + slots * float(y[tied].mean())
    return frauds / k


def _recall_at_fpr(y: np.ndarray, s: np.ndarray, fpr: float) -> float:
    # Every point of the full ROC curve is a threshold one can actually use; tied scores cannot be
    # split, so no interpolation between points.
    fprs, tprs, _ = skm.roc_curve(y, s, drop_intermediate=False)
    return float(tprs[fprs <= fpr + 1e-12].max())


def auprc(y: ArrayLike, scores: ArrayLike) -> float:
    """Area under the precision-recall curve, as average precision.

    Average precision is ``sum_n (R_n - R_{n-1}) P_n`` over the distinct score thresholds, without the
    optimistic linear interpolation of a trapezoid area; tied scores form one threshold.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine; both must be present.
    scores
        Anomaly scores, higher meaning more likely fraud.

    Returns
    -------
    float
        In ``[0, 1]``; a random ranking scores about the fraud rate.
    """
    y_arr, s_arr = check_labels_and_scores(y, scores, need_fraud=True, need_genuine=True)
    return _auprc(y_arr, s_arr)


def roc_auc(y: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve: the chance that a random fraud outscores a random genuine row.

    Ties between a fraud and a genuine transaction count one half.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine; both must be present.
    scores
        Anomaly scores, higher meaning more likely fraud.

    Returns
    -------
    float
        In ``[0, 1]``; 0.5 is a random ranking.
    """
    y_arr, s_arr = check_labels_and_scores(y, scores, need_fraud=True, need_genuine=True)
    return _roc_auc(y_arr, s_arr)


def precision_recall_f1(y: ArrayLike, scores: ArrayLike, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of flagging every transaction whose score is above a threshold.

    A transaction is flagged when ``score > threshold`` (strictly), as everywhere in genfin: a
    threshold is the largest score still treated as genuine.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine; at least one fraud must be present.
    scores
        Anomaly scores, higher meaning more likely fraud.
    threshold
        Scores strictly above it are flagged as fraud.

    Returns
    -------
    dict
        ``{"precision": ..., "recall": ..., "f1": ...}``. Precision (and so F1) is 0.0 when nothing is
        flagged.
    """
    y_arr, s_arr = check_labels_and_scores(y, scores, need_fraud=True)
    return _precision_recall_f1(y_arr, s_arr, _check_threshold(threshold))


def precision_at_k(y: ArrayLike, scores: ArrayLike, k: int) -> float:
    """Share of frauds among the ``k`` highest-scored transactions: the hit rate of a review queue.

    When scores tie across the ``k``-th place, the tied transactions fill the remaining places at
    their average fraud rate, so the result does not depend on row order.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine.
    scores
        Anomaly scores, higher meaning more likely fraud.
    k
        Number of transactions reviewed, from 1 to ``len(y)``.

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    y_arr, s_arr = check_labels_and_scores(y, scores)
    return _precision_at_k(y_arr, s_arr, _check_k(k, y_arr.size))


def recall_at_fpr(y: ArrayLike, scores: ArrayLike, fpr: float = 0.01) -> float:
    """Highest recall reachable by a score threshold whose false-positive rate stays at most ``fpr``.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine; both must be present.
    scores
        Anomaly scores, higher meaning more likely fraud.
    fpr
        Largest acceptable share of genuine transactions flagged, in ``[0, 1]``.

    Returns
    -------
    float
        In ``[0, 1]``; 0.0 when even the highest score cannot be flagged without exceeding ``fpr``.
    """
    y_arr, s_arr = check_labels_and_scores(y, scores, need_fraud=True, need_genuine=True)
    return _recall_at_fpr(y_arr, s_arr, _check_fpr(fpr))


def precision_recall_curve(y: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall at every distinct score threshold, for plotting.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine; both must be present.
    scores
        Anomaly scores, higher meaning more likely fraud.

    Returns
    -------
    precision, recall, thresholds
        As :func:`sklearn.metrics.precision_recall_curve`: recall decreasing to 0, the last point
        being ``(precision=1, recall=0)`` with no threshold, so ``thresholds`` is one shorter.
    """
    y_arr, s_arr = check_labels_and_scores(y, scores, need_fraud=True, need_genuine=True)
    precision, recall, thresholds = skm.precision_recall_curve(y_arr, s_arr)
    return precision, recall, thresholds


def detection_metrics(
    y: ArrayLike,
    scores: ArrayLike,
    *,
    threshold: float | None = None,
    k: int = 100,
    fpr: float = 0.01,
) -> dict[str, float]:
    """Headline detection metrics in one dictionary, ordered as a report table shows them.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine; both must be present.
    scores
        Anomaly scores, higher meaning more likely fraud.
    threshold
        When given, also the precision, recall and F1 of flagging ``score > threshold``.
    k
        Size of the review queue for ``precision_at_k``; at most ``len(y)``.
    fpr
        False-positive budget for ``recall_at_fpr``.

    Returns
    -------
    dict
        Keys in order: ``auprc``, ``roc_auc``, ``precision_at_k``, ``recall_at_fpr``, then
        ``precision``, ``recall``, ``f1`` when a threshold is given, then the counts ``n``,
        ``n_fraud`` and ``fraud_rate``. The ``k`` and ``fpr`` used are not repeated as keys: a table
        caption should state them.
    """
    y_arr, s_arr = check_labels_and_scores(y, scores, need_fraud=True, need_genuine=True)
    k = _check_k(k, y_arr.size)
    fpr = _check_fpr(fpr)
    result: dict[str, float] = {
        "auprc": _auprc(y_arr, s_arr),
        "roc_auc": _roc_auc(y_arr, s_arr),
        "precision_at_k": _precision_at_k(y_arr, s_arr, k),
        "recall_at_fpr": _recall_at_fpr(y_arr, s_arr, fpr),
    }
    if threshold is not None:
        result.update(_precision_recall_f1(y_arr, s_arr, _check_threshold(threshold)))
    n_fraud = int(y_arr.sum())
    result.update({"n": int(y_arr.size), "n_fraud": n_fraud, "fraud_rate": n_fraud / y_arr.size})
    return result
