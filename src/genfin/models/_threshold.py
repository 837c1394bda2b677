"""Choosing the score above which a row is flagged, by contamination or by target recall or precision.

Rows are flagged when ``score > threshold``; each function returns the threshold that flags exactly
the rows it describes.
"""

from __future__ import annotations

import numpy as np

from genfin.exceptions import DataValidationError


def _just_below(value: float) -> float:
    return float(np.nextafter(np.float64(value), -np.inf))


def threshold_for_contamination(scores: np.ndarray, contamination: float) -> float:
    """The threshold that flags the top ``contamination`` fraction of ``scores``."""
    if not 0.0 < contamination < 0.5:
        raise ValueError(f"contamination must be in (0, 0.5), got {contamination!r}")
    return float(np.quantile(scores, 1.0 - contamination))


def threshold_for_recall(y: np.ndarray, scores: np.ndarray, recall: float) -> float:
    """The highest threshold whose flagged rows hold at least ``recall`` of the positives."""
    if not 0.0 < recall <= 1.0:
        raise ValueError(f"recall must be in (0, 1], got {recall!r}")
    positive = np.sort(scores[y == 1])[::-1]
    if positive.size == 0:
        raise DataValidationError("needs at least one positive (fraud) row to aim at a recall", source="y")
    needed = int(np.ceil(recall * positive.size - 1e-9))
    return _just_below(positive[needed - 1])


def threshold_for_precision(y: np.ndarray, scores: np.ndarray, precision: float) -> float:
    """The lowest threshold (most recall) whose flagged rows reach at least ``precision``."""
    if not 0.0 < precision <= 1.0:
        raise ValueError(f"precision must be in (0, 1], got {precision!r}")
    if not (y == 1).any():
        raise DataValidationError("needs at least one positive (fraud) row to aim at a precision", source="y")
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_y = scores[order], y[order]
    # Flagging everything down to a distinct score value: only the last row of each tie group counts.
    last_of_group = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    true_pos = np.cumsum(sorted_y)[last_of_group]
    flagged = np.arange(1, len(scores) + 1)[last_of_group]
    reached = np.flatnonzero(true_pos / flagged >= precision)
    if reached.size == 0:
        best = float((true_pos / flagged).max())
        raise DataValidationError(
            f"no threshold reaches precision {precision:.3f} on these rows (best is {best:.3f})", source="y"
        )
    return _just_below(sorted_scores[last_of_group][reached[-1]])
