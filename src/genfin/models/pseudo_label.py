"""PseudoLabelClassifier: the book's pseudo-labelling around any classifier with ``predict_proba``.

Chapter 6: "First, you train a model on the labeled data that you have. Then you let that model make
predictions on your corpus of unlabeled data. You treat those predictions as if they were true
labels and train your model on the full pseudo-labeled dataset. However, actual true labels should
be used more often than pseudo labels." Here only confident predictions become labels, and the
recipe repeats until no new row is confident enough.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import has_fit_parameter

from genfin.models._params import (
    IntAtLeast,
    Number,
    OneOf,
    PositiveInt,
    Rule,
    check_params,
    optional,
    parameter_error,
)
from genfin.models._semi import UNLABELLED, check_semi_supervised_labels
from genfin.models._validation import check_is_fitted

__all__ = ["PseudoLabelClassifier"]

_SAMPLING = ("auto", "weight", "resample")


def _inner_has(name: str) -> Any:
    def check(self: PseudoLabelClassifier) -> bool:
        return hasattr(getattr(self, "estimator_", self.estimator), name)

    return check


class PseudoLabelClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Self-training by pseudo labels: fit, label the confident unlabelled rows, refit, repeat.

    Round 0 fits a clone of ``estimator`` on the rows with true labels. Each later round predicts
    the still unlabelled rows, gives the rows whose highest class probability reaches
    ``threshold`` that class as a pseudo label (the most confident ``max_new_per_iter`` of them,
    when set), and fits a fresh clone on true and pseudo labels together, true labels counting
    ``true_label_weight`` times as much. A pseudo label, once given, is kept; a true label is never
    changed. Rounds end after ``max_iter``, when no new row is confident enough, or when every row
    is labelled.

    ``fit(X, y)`` follows scikit-learn's semi-supervised convention: ``y`` is ``-1`` for unlabelled
    rows. Pseudo labelling helps when the model's errors are random; "if they are biased, your
    model will be biased as well".

    This meta-estimator has no ``save``: it wraps arbitrary scikit-learn estimators, which cannot be
    stored without pickle, and genfin never writes or reads pickle files. Save the inner model by
    its own means if it has one (``estimator_``), or refit.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn-style classifier with ``fit`` and ``predict_proba``; cloned every round.
    threshold : float, default=0.95
        Smallest highest-class probability that turns a prediction into a pseudo label, in (0, 1].
    true_label_weight : float, default=3.0
        How many times a true label counts against a pseudo label (at least 1): a sample weight
        when the estimator's ``fit`` takes ``sample_weight``, else how often a true-labelled row is
        repeated in the training set (the fractional part as a random extra copy).
    max_iter : int, default=10
        Most pseudo-labelling rounds after the first fit.
    max_new_per_iter : int or None, default=None
        Most rows to pseudo-label per round, the most confident first; None takes all confident.
    sampling : {"auto", "weight", "resample"}, default="auto"
        How true labels outweigh pseudo ones; "auto" uses sample weights when the estimator
        accepts them, else resampling.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the resampling. The inner estimator's own ``random_state`` is left as given.

    Attributes
    ----------
    estimator_ : classifier
        The estimator fitted in the last round, which ``predict`` uses.
    classes_ : numpy.ndarray
        The classes, as ``estimator_.classes_``.
    transduction_ : numpy.ndarray of shape (n_rows,)
        The labels used in the last fit: true labels, pseudo labels, and -1 for rows never labelled.
    labeled_iter_ : numpy.ndarray of shape (n_rows,)
        0 for true labels, ``i`` for the round in which a row got its pseudo label, -1 for never
        (as scikit-learn's ``SelfTrainingClassifier``).
    n_iter_ : int
        Pseudo-labelling rounds run.
    termination_condition_ : {"max_iter", "no_change", "all_labeled"}
        Why the rounds ended.
    history_ : list of dict
        One entry per fit: ``round``, ``n_true``, ``n_pseudo``, ``n_new``, ``min_new_confidence``.
    """

    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {
        "threshold": Number(0, 1, low_closed=False, high_closed=True),
        "true_label_weight": Number(low=1),
        "max_iter": IntAtLeast(0),
        "max_new_per_iter": optional(PositiveInt()),
        "sampling": OneOf(*_SAMPLING),
    }

    def __init__(
        self,
        estimator: Any,
        *,
        threshold: float = 0.95,
        true_label_weight: float = 3.0,
        max_iter: int = 10,
        max_new_per_iter: int | None = None,
        sampling: str = "auto",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.estimator = estimator
        self.threshold = threshold
        self.true_label_weight = true_label_weight
        self.max_iter = max_iter
        self.max_new_per_iter = max_new_per_iter
        self.sampling = sampling
        self.random_state = random_state

    def _check_params(self) -> bool:
        """Validate the hyperparameters; return whether to use sample weights."""
        # The estimator comes first: the check of sampling below asks what its fit takes.
        if not hasattr(self.estimator, "fit") or not hasattr(self.estimator, "predict_proba"):
            raise parameter_error(self, "estimator", "must be a classifier with fit and predict_proba")
        check_params(self, self._PARAMETER_RULES)
        weighted = self.sampling == "weight" or (
            self.sampling == "auto" and has_fit_parameter(self.estimator, "sample_weight")
        )
        if self.sampling == "weight" and not has_fit_parameter(self.estimator, "sample_weight"):
            raise parameter_error(
                self,
                "sampling",
                f"'weight' needs an estimator whose fit takes sample_weight ({self.estimator!r})",
            )
        return weighted

    def fit(self, X: Any, y: Any) -> PseudoLabelClassifier:
        """Fit on the labelled rows, then pseudo-label and refit in rounds.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Anything the inner estimator takes, with rows along the first axis.
        y : array-like of shape (n_rows,)
            Integer class labels, -1 for unlabelled rows.

        Returns
        -------
        PseudoLabelClassifier
            The fitted estimator.
        """
        weighted = self._check_params()
        n_rows = _n_rows(X)
        labels = check_semi_supervised_labels(y, n_rows, owner=type(self).__name__)
        rng = (
            self.random_state
            if isinstance(self.random_state, np.random.Generator)
            else np.random.default_rng(self.random_state)
        )
        self.transduction_ = labels.copy()
        self.labeled_iter_ = np.where(labels != UNLABELLED, 0, -1)
        self.history_: list[dict[str, float]] = []
        estimator = self._fit_round(X, rng, weighted, n_new=0, min_confidence=np.nan)
        self.termination_condition_ = "max_iter"
        self.n_iter_ = 0
        for round_ in range(1, int(self.max_iter) + 1):
            pool = np.flatnonzero(self.transduction_ == UNLABELLED)
            if not len(pool):
                self.termination_condition_ = "all_labeled"
                break
            proba = np.asarray(estimator.predict_proba(_take(X, pool)))
            confidence = proba.max(axis=1)
            chosen = np.flatnonzero(confidence >= self.threshold)
            if self.max_new_per_iter is not None and len(chosen) > self.max_new_per_iter:
                # Most confident first; ties by row order, so the choice is deterministic.
                order = np.argsort(-confidence[chosen], kind="stable")
                chosen = np.sort(chosen[order[: self.max_new_per_iter]])
            if not len(chosen):
                self.termination_condition_ = "no_change"
                break
            rows = pool[chosen]  # only rows that were unlabelled: a true label is never overwritten
            self.transduction_[rows] = np.asarray(estimator.classes_)[proba[chosen].argmax(axis=1)]
            self.labeled_iter_[rows] = round_
            self.n_iter_ = round_
            estimator = self._fit_round(
                X, rng, weighted, n_new=len(rows), min_confidence=float(confidence[chosen].min())
            )
        self.estimator_ = estimator
        self.classes_ = np.asarray(estimator.classes_)
        return self

    def _fit_round(
        self, X: Any, rng: np.random.Generator, weighted: bool, *, n_new: int, min_confidence: float
    ) -> Any:
        """Fit a fresh clone on every labelled row, true labels outweighing pseudo ones."""
        rows = np.flatnonzero(self.transduction_ != UNLABELLED)
        true = self.labeled_iter_[rows] == 0
        estimator = clone(self.estimator)
        weight = float(self.true_label_weight)
        if true.all() or weight == 1:
            estimator.fit(_take(X, rows), self.transduction_[rows])
        elif weighted:
            estimator.fit(_take(X, rows), self.transduction_[rows], sample_weight=np.where(true, weight, 1.0))
        else:
            # Each true row floor(w) times, plus once more with probability frac(w): w on average.
            copies = np.where(true, np.floor(weight) + (rng.random(len(rows)) < weight % 1), 1).astype(int)
            repeated = np.repeat(rows, copies)
            estimator.fit(_take(X, repeated), self.transduction_[repeated])
        self.history_.append(
            {
                "round": len(self.history_),
                "n_true": int(true.sum()),
                "n_pseudo": int((~true).sum()),
                "n_new": int(n_new),
                "min_new_confidence": min_confidence,
            }
        )
        return estimator

    def predict(self, X: Any) -> np.ndarray:
        """Classes predicted by the last round's estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the last round's estimator, in ``classes_`` order."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision scores of the last round's estimator (when it has ``decision_function``)."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(X)


def _n_rows(X: Any) -> int:
    if hasattr(X, "shape") and len(X.shape) >= 1:
        return int(X.shape[0])
    return len(X)


def _take(X: Any, rows: np.ndarray) -> Any:
    """Rows of a DataFrame, array or list, keeping the type the inner estimator was given."""
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return X.iloc[rows]
    if hasattr(X, "shape"):
        return X[rows]
    return [X[i] for i in rows]
