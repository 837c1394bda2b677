"""Fidelity: whether synthetic rows have the real rows' marginal distributions and correlations.

Both metrics look at the data a column or a pair of columns at a time, so they are fast and easy to
explain, and blind to structure beyond pairs: :class:`~genfin.evaluate.synthetic.DetectionAUC` looks
at whole rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genfin.evaluate.synthetic._base import SyntheticMetric, check_tables
from genfin.exceptions import DataValidationError


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between two empirical CDFs.

    The same statistic as ``scipy.stats.ks_2samp(a, b).statistic``, without the p-value, whose exact
    computation is slow on large samples and is not needed here.
    """
    a = np.sort(a)
    b = np.sort(b)
    # Both CDFs are step functions that only jump at observed values, so the largest gap is reached
    # at one of them (evaluated right-continuously).
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / a.size
    cdf_b = np.searchsorted(b, points, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


class KSComplement(SyntheticMetric):
    """One minus the Kolmogorov-Smirnov statistic of each column, averaged over the columns.

    The Kolmogorov-Smirnov statistic of a column is the largest vertical gap between the empirical
    distribution functions of its real and its synthetic values. 1 means every column's synthetic
    values follow the same empirical distribution as its real values (the same ranks and ties);
    0 means that in every column the real and synthetic values do not interleave at all: all of one
    lie below all of the other. Fresh samples of one continuous distribution score below 1 by
    sampling noise alone: a column falls below ``1 - 1.36 * sqrt(1/n_real + 1/n_synthetic)`` about
    5% of the time.

    Examples
    --------
    >>> metric = KSComplement()
    >>> metric.compute(real, synthetic)  # doctest: +SKIP
    0.93
    >>> metric.compute_breakdown(real, synthetic)  # doctest: +SKIP
    {'Amount': 0.88, 'V1': 0.97, ...}
    """

    name = "ks_complement"
    family = "fidelity"
    goal = "maximize"
    min_value = 0.0
    max_value = 1.0

    def compute_breakdown(self, real: Any, synthetic: Any) -> dict[str, float]:
        """One minus the Kolmogorov-Smirnov statistic, column by column.

        Parameters
        ----------
        real, synthetic
            DataFrames with the same numeric columns in the same order, or 2-D arrays of the same
            width; finite values, at least 2 rows each.

        Returns
        -------
        dict
            Column name (``x0``, ``x1``, ... for arrays) to its value in ``[0, 1]``.
        """
        columns, arrays, _ = check_tables({"real": real, "synthetic": synthetic})
        X_real, X_synthetic = arrays["real"], arrays["synthetic"]
        return {
            column: 1.0 - ks_statistic(X_real[:, j], X_synthetic[:, j]) for j, column in enumerate(columns)
        }

    def compute(self, real: Any, synthetic: Any) -> float:
        """Mean over the columns of one minus the Kolmogorov-Smirnov statistic.

        Parameters
        ----------
        real, synthetic
            As for :meth:`compute_breakdown`.

        Returns
        -------
        float
            In ``[0, 1]``, 1 best.
        """
        return self._headline(self.compute_breakdown(real, synthetic))

    def _headline(self, breakdown: dict[str, Any]) -> float:
        return float(np.mean(list(breakdown.values())))


def correlation_matrix(X: np.ndarray) -> np.ndarray:
    """Pearson correlations of the columns of ``X``, with 0 for any pair involving a constant column.

    A constant column has no defined correlation; counting it as uncorrelated lets a generator that
    collapsed a column to one value score badly instead of failing or warning.
    """
    constant = np.ptp(X, axis=0) == 0
    centred = X - X.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    norms[constant] = 1.0
    corr = (centred.T @ centred) / np.outer(norms, norms)
    corr[constant, :] = 0.0
    corr[:, constant] = 0.0
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)


class CorrelationSimilarity(SyntheticMetric):
    """One minus half the absolute difference of real and synthetic Pearson correlations, averaged.

    For each pair of columns the similarity is ``1 - |r_real - r_synthetic| / 2``; the metric is its
    mean over all pairs. 1 means every pair of columns is correlated exactly as in the real data;
    0 means every pair has the opposite perfect correlation (+1 against -1). A pair involving a
    constant column counts as uncorrelated (0). Needs at least 2 columns.

    Examples
    --------
    >>> CorrelationSimilarity().compute_breakdown(real, synthetic)  # doctest: +SKIP
    {'correlation_similarity': 0.97, 'max_abs_difference': 0.41, 'worst_pair': ('V1', 'V2'), 'pairs': {...}}
    """

    name = "correlation_similarity"
    family = "fidelity"
    goal = "maximize"
    min_value = 0.0
    max_value = 1.0
    headline_key = "correlation_similarity"

    def compute_breakdown(self, real: Any, synthetic: Any) -> dict[str, Any]:
        """The mean similarity, the largest correlation difference and each pair's similarity.

        Parameters
        ----------
        real, synthetic
            DataFrames with the same numeric columns in the same order, or 2-D arrays of the same
            width; finite values, at least 2 rows each and at least 2 columns.

        Returns
        -------
        dict
            ``correlation_similarity`` (the metric), ``max_abs_difference`` (the largest
            ``|r_real - r_synthetic|`` over pairs, in ``[0, 2]``), ``worst_pair`` (the two column
            names where it occurs) and ``pairs`` (each pair ``(a, b)`` to its similarity).
        """
        columns, arrays, _ = check_tables({"real": real, "synthetic": synthetic})
        if len(columns) < 2:
            raise DataValidationError("has 1 column; correlations need at least 2 columns", source="real")
        difference = np.abs(correlation_matrix(arrays["real"]) - correlation_matrix(arrays["synthetic"]))
        upper = np.triu_indices(len(columns), k=1)
        pair_differences = difference[upper]
        worst = int(np.argmax(pair_differences))
        pairs = {
            (columns[i], columns[j]): 1.0 - float(d) / 2.0
            for i, j, d in zip(*upper, pair_differences, strict=True)
        }
        return {
            "correlation_similarity": 1.0 - float(pair_differences.mean()) / 2.0,
            "max_abs_difference": float(pair_differences[worst]),
            "worst_pair": (columns[upper[0][worst]], columns[upper[1][worst]]),
            "pairs": pairs,
        }

    def compute(self, real: Any, synthetic: Any) -> float:
        """Mean over column pairs of ``1 - |r_real - r_synthetic| / 2``.

        Parameters
        ----------
        real, synthetic
            As for :meth:`compute_breakdown`.

        Returns
        -------
        float
            In ``[0, 1]``, 1 best.
        """
        return self._headline(self.compute_breakdown(real, synthetic))
