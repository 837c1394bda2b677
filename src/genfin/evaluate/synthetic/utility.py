"""Utility: how well a classifier trained on synthetic rows does on real rows, against real training.

"Train on synthetic, test on real" (TSTR) against "train on real, test on real" (TRTR): the same
classifier and seed are fitted once on the synthetic rows and once on the real training rows, and both
are scored on the same real held-out rows, which neither saw.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genfin.evaluate.detection import auprc
from genfin.evaluate.synthetic._base import (
    RandomState,
    SyntheticMetric,
    check_binary_labels,
    check_classifier,
    check_tables,
    draw_seed,
    make_classifier,
    positive_scores,
)
from genfin.exceptions import DataValidationError


class TrainSyntheticTestReal(SyntheticMetric):
    """Train on synthetic, test on real: the AUPRC reached, relative to training on the real rows.

    The headline is the ratio ``AUPRC(trained on synthetic) / AUPRC(trained on real)``, both measured
    on the same real test rows. 1 means the synthetic rows teach the classifier as much as the real
    training rows do. Lower is worse, but the floor in practice is not 0: rows that carry no
    information about the label give a classifier that ranks at random, whose AUPRC is about the
    positive rate, so the ratio falls to about ``positive rate / AUPRC(trained on real)``. Above 1 the
    synthetic rows teach more than the real ones, which can happen when a generator balances the
    classes or produces more rows. F1 at the classifier's default threshold (probability 0.5) is
    reported beside it; it depends on the class balance the classifier was trained on, so read it
    with the AUPRC.

    Labels are binary: 1 for the positive, usually rare, class (fraud), 0 for the other. Both classes
    must be present in the synthetic rows: a generator of one class (frauds only) is judged by
    augmenting real rows with its output instead.

    Parameters
    ----------
    classifier
        ``"logistic"`` (default): logistic regression on standardised features;
        ``"gradient_boosting"``: scikit-learn's histogram gradient boosting; or an unfitted
        scikit-learn classifier, cloned for each fit and seeded by its own ``random_state``.
    random_state
        Seed or ``numpy.random.Generator``; both fits get the same seed.

    Examples
    --------
    >>> TrainSyntheticTestReal(random_state=0).compute_breakdown(
    ...     real_train, synthetic, real_test, label_column="Class"
    ... )  # doctest: +SKIP
    {'auprc_ratio': 0.91, 'auprc_synthetic': 0.70, 'auprc_real': 0.77, 'f1_ratio': ..., ...}
    """

    name = "train_synthetic_test_real"
    family = "utility"
    goal = "maximize"
    min_value = 0.0
    max_value = math.inf
    headline_key = "auprc_ratio"

    def __init__(self, *, classifier: Any = "logistic", random_state: RandomState = None) -> None:
        self.classifier = classifier
        self.random_state = random_state

    def compute_breakdown(
        self,
        real: Any,
        synthetic: Any,
        real_test: Any,
        *,
        label_column: str | None = None,
        y_real: Any = None,
        y_synthetic: Any = None,
        y_test: Any = None,
    ) -> dict[str, float]:
        """AUPRC and F1 on the real test rows of the classifier trained on each training set.

        Parameters
        ----------
        real, synthetic, real_test
            Real training rows, synthetic rows and real held-out rows: DataFrames with the same
            numeric columns in the same order, or 2-D arrays of the same width; finite values, at
            least 2 rows each.
        label_column
            Name of the label column, present in all three DataFrames and not used as a feature.
        y_real, y_synthetic, y_test
            The labels as separate arrays, when ``label_column`` is not given: one 0 or 1 per row.

        Returns
        -------
        dict
            ``auprc_ratio`` (the metric), ``auprc_synthetic``, ``auprc_real``, ``f1_ratio`` (NaN if the
            classifier trained on real rows has F1 0), ``f1_synthetic`` and ``f1_real``.

        Raises
        ------
        DataValidationError
            If the tables or labels are invalid, labels are given both ways or neither, or a
            training set or the test rows lack one of the classes.
        """
        from sklearn.metrics import f1_score

        X, y = self._check(real, synthetic, real_test, label_column, y_real, y_synthetic, y_test)
        check_classifier(self.classifier)
        seed = draw_seed(np.random.default_rng(self.random_state))
        auprcs, f1s = {}, {}
        for source in ("synthetic", "real"):
            model = make_classifier(self.classifier, seed).fit(X[source], y[source])
            auprcs[source] = auprc(y["real_test"], positive_scores(model, X["real_test"]))
            f1s[source] = float(f1_score(y["real_test"], model.predict(X["real_test"]), zero_division=0.0))
        return {
            # A test set with a positive gives every ranking an AUPRC above 0, so the ratio is defined.
            "auprc_ratio": auprcs["synthetic"] / auprcs["real"],
            "auprc_synthetic": auprcs["synthetic"],
            "auprc_real": auprcs["real"],
            "f1_ratio": f1s["synthetic"] / f1s["real"] if f1s["real"] > 0 else float("nan"),
            "f1_synthetic": f1s["synthetic"],
            "f1_real": f1s["real"],
        }

    def compute(
        self,
        real: Any,
        synthetic: Any,
        real_test: Any,
        *,
        label_column: str | None = None,
        y_real: Any = None,
        y_synthetic: Any = None,
        y_test: Any = None,
    ) -> float:
        """AUPRC of the classifier trained on synthetic rows over that of the one trained on real rows.

        Parameters
        ----------
        real, synthetic, real_test, label_column, y_real, y_synthetic, y_test
            As for :meth:`compute_breakdown`.

        Returns
        -------
        float
            At least 0; 1 means as useful as the real training rows.
        """
        breakdown = self.compute_breakdown(
            real,
            synthetic,
            real_test,
            label_column=label_column,
            y_real=y_real,
            y_synthetic=y_synthetic,
            y_test=y_test,
        )
        return self._headline(breakdown)

    @staticmethod
    def _check(
        real: Any,
        synthetic: Any,
        real_test: Any,
        label_column: str | None,
        y_real: Any,
        y_synthetic: Any,
        y_test: Any,
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        given = {"y_real": y_real, "y_synthetic": y_synthetic, "y_test": y_test}
        if label_column is not None and any(value is not None for value in given.values()):
            raise DataValidationError(
                "labels given twice: pass either label_column or y_real, y_synthetic and y_test",
                source="labels",
            )
        if label_column is None:
            missing = [name for name, value in given.items() if value is None]
            if missing:
                raise DataValidationError(
                    f"no labels for {missing}; pass label_column, or y_real, y_synthetic and y_test",
                    source="labels",
                )
        tables = {"real": real, "synthetic": synthetic, "real_test": real_test}
        _, X, labels = check_tables(tables, label_column=label_column)
        raw = labels if label_column is not None else dict(zip(tables, given.values(), strict=True))
        y = {
            source: check_binary_labels(
                raw[source],
                len(X[source]),
                source=f"{source} labels" if label_column is None else f"{source}[{label_column!r}]",
            )
            for source in tables
        }
        return X, y
