"""Privacy: whether synthetic rows sit closer to the real training rows than unseen real rows do.

A generator that memorises its training rows leaks them. Distance alone does not say what is too close
(real rows have near neighbours too), so the baseline is a real holdout: rows from the same source
that the generator never saw. Synthetic rows should be no closer to the training rows than those are.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genfin.evaluate.synthetic._base import RandomState, SyntheticMetric, check_count, check_tables
from genfin.exceptions import DataValidationError


class DistanceToClosestRecord(SyntheticMetric):
    """Median distance of synthetic rows to the closest real training row, over that of real holdout rows.

    Distances are Euclidean, on columns standardised by the training rows' mean and standard deviation
    (a constant training column is left unscaled), so that no column weighs in by its units alone.
    For each synthetic row and each holdout row the distance to the closest training row (DCR) is
    found; the headline is ``median DCR(synthetic) / median DCR(holdout)``.

    1 (or above) means synthetic rows are no closer to the training rows than unseen real rows are;
    0 means the typical synthetic row coincides with a training row. Beside it, the breakdown counts:

    - exact copies: synthetic rows within ``copy_tolerance`` of a training row, checked for every
      synthetic row, with the same share among holdout rows as a baseline (above 0 only when the data
      have repeated rows, or the holdout overlaps the training rows);
    - near copies: synthetic rows closer than the ``near_copy_quantile`` quantile of the DCRs of the
      holdout rows that are not exact copies themselves (exact copies included). A generator no
      closer than unseen real rows has about ``near_copy_quantile`` of them, 1% by default; many
      more means copying or memorising.

    Parameters
    ----------
    copy_tolerance
        Largest distance, in training standard deviations, at which a row counts as an exact copy.
        The default still counts a training row that went through ``float32`` as a copy (unless its
        values lie more than about 30 standard deviations from zero), and is far below the distance
        between distinct rows of continuous data.
    near_copy_quantile
        Quantile of the holdout DCRs below which a synthetic row is a near copy, in ``(0, 1)``.
    max_rows
        Largest number of synthetic rows, and of holdout rows, whose DCR is computed (a random sample
        beyond it); None computes all. The training rows are always all searched, and exact copies
        are always counted over all rows. Finding closest rows costs about ``n_rows * n_training``
        distances, so the default keeps 100,000 x 30 tables to seconds.
    random_state
        Seed or ``numpy.random.Generator`` for the sampling; unused when no table exceeds ``max_rows``.

    Examples
    --------
    >>> DistanceToClosestRecord().compute_breakdown(real_train, synthetic, real_holdout)  # doctest: +SKIP
    {'dcr_ratio': 0.97, 'median_dcr_synthetic': 2.1, 'median_dcr_holdout': 2.2,
     'exact_copy_share': 0.0, 'exact_copy_share_holdout': 0.0, 'near_copy_share': 0.012, ...}
    """

    name = "distance_to_closest_record"
    family = "privacy"
    goal = "maximize"
    min_value = 0.0
    max_value = math.inf
    headline_key = "dcr_ratio"

    def __init__(
        self,
        *,
        copy_tolerance: float = 1e-5,
        near_copy_quantile: float = 0.01,
        max_rows: int | None = 5_000,
        random_state: RandomState = None,
    ) -> None:
        self.copy_tolerance = copy_tolerance
        self.near_copy_quantile = near_copy_quantile
        self.max_rows = max_rows
        self.random_state = random_state

    def compute_breakdown(self, real_train: Any, synthetic: Any, real_holdout: Any) -> dict[str, float]:
        """Median DCRs, their ratio, and the shares of exact and near copies.

        Parameters
        ----------
        real_train
            The real rows the generator was trained on.
        synthetic
            The generator's rows.
        real_holdout
            Real rows from the same source that the generator never saw.
            All three: DataFrames with the same numeric columns in the same order, or 2-D arrays of
            the same width; finite values, at least 2 rows each.

        Returns
        -------
        dict
            ``dcr_ratio`` (the metric; 1.0 when both medians are 0, ``inf`` when only the holdout's
            is), ``median_dcr_synthetic``, ``median_dcr_holdout``, ``exact_copy_share`` (of all
            synthetic rows), ``exact_copy_share_holdout`` (of all holdout rows), ``near_copy_share``
            (of the sampled synthetic rows), ``near_copy_threshold`` (the quantile of the DCRs of
            holdout rows that are not exact copies),
            ``n_synthetic_sampled`` and ``n_holdout_sampled``.
        """
        from sklearn.neighbors import NearestNeighbors

        _, X, _ = check_tables(
            {"real_train": real_train, "synthetic": synthetic, "real_holdout": real_holdout}
        )
        tolerance, quantile, max_rows = self._check_settings()
        train, synthetic_rows, holdout_rows = _standardise(X["real_train"], X["synthetic"], X["real_holdout"])

        tree = _copy_finder(train)
        exact_synthetic = _is_copy(tree, synthetic_rows, tolerance)
        exact_holdout = _is_copy(tree, holdout_rows, tolerance)

        rng = np.random.default_rng(self.random_state)
        synthetic_sample = _sample(synthetic_rows, max_rows, rng)
        holdout_sample = _sample(holdout_rows, max_rows, rng)
        neighbours = NearestNeighbors(n_neighbors=1).fit(train)
        dcr_synthetic = _closest_distances(neighbours, train, synthetic_sample)
        dcr_holdout = _closest_distances(neighbours, train, holdout_sample)

        # The quantile is taken over holdout rows that are not exact copies: real data repeat rows (the
        # card data do), and a holdout copy at distance 0 would otherwise pull the threshold to 0 and
        # hide every copy the generator makes.
        distinct = dcr_holdout[dcr_holdout > tolerance]
        threshold = float(np.quantile(distinct, quantile)) if distinct.size else tolerance
        median_synthetic = float(np.median(dcr_synthetic))
        median_holdout = float(np.median(dcr_holdout))
        if median_holdout > 0:
            ratio = median_synthetic / median_holdout
        else:
            # Half the unseen real rows repeat a training row: synthetic rows can be no closer.
            ratio = 1.0 if median_synthetic == 0 else math.inf
        return {
            "dcr_ratio": ratio,
            "median_dcr_synthetic": median_synthetic,
            "median_dcr_holdout": median_holdout,
            "exact_copy_share": float(exact_synthetic.mean()),
            "exact_copy_share_holdout": float(exact_holdout.mean()),
            "near_copy_share": float(np.mean((dcr_synthetic < threshold) | (dcr_synthetic <= tolerance))),
            "near_copy_threshold": threshold,
            "n_synthetic_sampled": len(synthetic_sample),
            "n_holdout_sampled": len(holdout_sample),
        }

    def compute(self, real_train: Any, synthetic: Any, real_holdout: Any) -> float:
        """Median DCR of the synthetic rows over the median DCR of the real holdout rows.

        Parameters
        ----------
        real_train, synthetic, real_holdout
            As for :meth:`compute_breakdown`.

        Returns
        -------
        float
            At least 0; 1 or more means no closer to the training rows than unseen real rows.
        """
        return self._headline(self.compute_breakdown(real_train, synthetic, real_holdout))

    def find_copies(self, real_train: Any, synthetic: Any) -> np.ndarray:
        """Positions of the synthetic rows that are exact copies of a training row, to drop them.

        Parameters
        ----------
        real_train, synthetic
            DataFrames with the same numeric columns in the same order, or 2-D arrays of the same
            width; finite values, at least 2 rows each.

        Returns
        -------
        numpy.ndarray
            Sorted 0-based row positions in ``synthetic`` (not index labels) of rows within
            ``copy_tolerance`` of a training row.
        """
        _, X, _ = check_tables({"real_train": real_train, "synthetic": synthetic})
        tolerance, _, _ = self._check_settings()
        train, synthetic_rows = _standardise(X["real_train"], X["synthetic"])
        return np.flatnonzero(_is_copy(_copy_finder(train), synthetic_rows, tolerance))

    def _check_settings(self) -> tuple[float, float, int | None]:
        tolerance = self.copy_tolerance
        if not _is_number(tolerance) or not 0 <= tolerance < math.inf:
            raise DataValidationError(
                f"must be a finite distance >= 0, got {tolerance!r}", source="copy_tolerance"
            )
        quantile = self.near_copy_quantile
        if not _is_number(quantile) or not 0 < quantile < 1:
            raise DataValidationError(f"must be in (0, 1), got {quantile!r}", source="near_copy_quantile")
        max_rows = check_count(self.max_rows, source="max_rows", minimum=2, allow_none=True)
        return float(tolerance), float(quantile), max_rows


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _standardise(train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    centre = train.mean(axis=0)
    scale = train.std(axis=0)
    scale[scale == 0] = 1.0
    return tuple((X - centre) / scale for X in (train, *others))


def _copy_finder(train: np.ndarray) -> Any:
    from sklearn.neighbors import KDTree

    # A radius search near 0 prunes almost every node even in 30 dimensions, so checking every row
    # for a copy costs a fraction of one closest-row search; its distances are computed directly,
    # exactly 0 for a copy.
    return KDTree(train)


def _is_copy(tree: Any, rows: np.ndarray, tolerance: float) -> np.ndarray:
    return tree.query_radius(rows, r=tolerance, count_only=True) > 0


def _sample(rows: np.ndarray, max_rows: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_rows is None or len(rows) <= max_rows:
        return rows
    return rows[np.sort(rng.choice(len(rows), size=max_rows, replace=False))]


def _closest_distances(neighbours: Any, train: np.ndarray, rows: np.ndarray) -> np.ndarray:
    # The brute-force search expands |a - b|^2 = |a|^2 + |b|^2 - 2ab, which leaves about 1e-7 where
    # the true distance is 0; recomputing the distance to the row it found makes copies exactly 0.
    closest = neighbours.kneighbors(rows, return_distance=False)[:, 0]
    return np.linalg.norm(rows - train[closest], axis=1)
