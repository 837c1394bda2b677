"""Detection: how well a classifier tells synthetic rows from real ones.

Unlike the fidelity metrics this looks at whole rows, so it notices any structure a generator got
wrong, if the classifier can express it. It cannot notice copying: synthetic rows that copy real rows
are undetectable, which is why the privacy metrics sit beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genfin.evaluate.synthetic._base import (
    RandomState,
    SyntheticMetric,
    check_classifier,
    check_count,
    check_tables,
    draw_seed,
    make_classifier,
    positive_scores,
)


class DetectionAUC(SyntheticMetric):
    """Cross-validated ROC-AUC of a classifier trained to tell synthetic rows from real ones.

    Equal numbers of real and synthetic rows are used (the larger side is subsampled at random), so
    that a classifier cannot score by guessing the majority. Each row is labelled 1 if synthetic and
    0 if real; the AUC is averaged over stratified folds.

    The value is best at 0.5: the classifier ranks real and synthetic rows at random. 1 means it
    separates them perfectly. Below 0.5 is also a difference, not an improvement: the classifier
    learned something that reliably predicts the wrong way on held-out rows, which happens by chance
    on small samples and systematically when synthetic rows are near copies of real ones.

    :meth:`normalize` turns the AUC into a score in ``[0, 1]``, 1 best: ``1 - 2 * |AUC - 0.5|``.
    SDMetrics' detection metrics report ``1 - (2 * max(AUC, 0.5) - 1)``, which is the same for
    ``AUC >= 0.5`` but counts any AUC below 0.5 as perfect; genfin penalises both directions.

    Parameters
    ----------
    classifier
        ``"logistic"`` (default): logistic regression on standardised features, which detects
        differences in means and linear correlations; ``"gradient_boosting"``: scikit-learn's
        histogram gradient boosting, which also detects non-linear differences but is slower; or an
        unfitted scikit-learn classifier, cloned for each fold.
    n_splits
        Number of cross-validation folds, at least 2 (fewer if there are fewer rows per side).
    max_rows
        Largest number of rows used from each side; None uses all rows of the smaller side. Bounds
        the cost on large tables.
    random_state
        Seed or ``numpy.random.Generator`` for the subsampling, the folds and the classifier; the
        same seed gives the same AUC.

    Examples
    --------
    >>> DetectionAUC(random_state=0).compute_breakdown(real, synthetic)  # doctest: +SKIP
    {'auc': 0.62, 'auc_std': 0.02, 'score': 0.76, 'n_rows_per_side': 492, 'n_splits': 5}
    """

    name = "detection_auc"
    family = "detection"
    goal = "target"
    target = 0.5
    min_value = 0.0
    max_value = 1.0
    headline_key = "auc"

    def __init__(
        self,
        *,
        classifier: Any = "logistic",
        n_splits: int = 5,
        max_rows: int | None = None,
        random_state: RandomState = None,
    ) -> None:
        self.classifier = classifier
        self.n_splits = n_splits
        self.max_rows = max_rows
        self.random_state = random_state

    def compute_breakdown(self, real: Any, synthetic: Any) -> dict[str, float]:
        """The mean AUC over folds, its spread, the score, and the rows and folds used.

        Parameters
        ----------
        real, synthetic
            DataFrames with the same numeric columns in the same order, or 2-D arrays of the same
            width; finite values, at least 2 rows each.

        Returns
        -------
        dict
            ``auc`` (the metric), ``auc_std`` (standard deviation over folds), ``score``
            (``1 - 2 * |auc - 0.5|``), ``n_rows_per_side`` and ``n_splits``.
        """
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        _, arrays, _ = check_tables({"real": real, "synthetic": synthetic})
        check_classifier(self.classifier)
        n_splits = check_count(self.n_splits, source="n_splits", minimum=2)
        max_rows = check_count(self.max_rows, source="max_rows", minimum=2, allow_none=True)
        assert n_splits is not None

        rng = np.random.default_rng(self.random_state)
        X_real, X_synthetic = arrays["real"], arrays["synthetic"]
        n = min(len(X_real), len(X_synthetic), max_rows or len(X_real))
        X_real = X_real[np.sort(rng.choice(len(X_real), size=n, replace=False))]
        X_synthetic = X_synthetic[np.sort(rng.choice(len(X_synthetic), size=n, replace=False))]
        X = np.vstack([X_real, X_synthetic])
        y = np.r_[np.zeros(n, dtype=np.int8), np.ones(n, dtype=np.int8)]

        # Stratified folds need every class at least n_splits times.
        n_splits = min(n_splits, n)
        seed = draw_seed(rng)
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        aucs = []
        for train, test in folds.split(X, y):
            model = make_classifier(self.classifier, seed).fit(X[train], y[train])
            aucs.append(roc_auc_score(y[test], positive_scores(model, X[test])))
        auc = float(np.mean(aucs))
        return {
            "auc": auc,
            "auc_std": float(np.std(aucs)),
            "score": self.normalize(auc),
            "n_rows_per_side": n,
            "n_splits": n_splits,
        }

    def compute(self, real: Any, synthetic: Any) -> float:
        """Cross-validated ROC-AUC of telling synthetic (1) from real (0) rows; 0.5 is best.

        Parameters
        ----------
        real, synthetic
            As for :meth:`compute_breakdown`.

        Returns
        -------
        float
            In ``[0, 1]``; 0.5 best, 1 perfectly detectable.
        """
        return self._headline(self.compute_breakdown(real, synthetic))
