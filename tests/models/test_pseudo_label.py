import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from genfin.exceptions import DataValidationError, NotFittedError
from genfin.models import PseudoLabelClassifier


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + 3.0 * y[:, None]
    return X, y


@pytest.fixture(scope="module")
def data():
    X, y_true = blobs()
    rng = np.random.default_rng(1)
    y = np.full(len(y_true), -1)
    zeros = rng.choice(np.flatnonzero(y_true == 0), 10, replace=False)
    ones = rng.choice(np.flatnonzero(y_true == 1), 10, replace=False)
    y[zeros], y[ones] = 0, 1
    # One wrong true label, on the clearest genuine 0: the model will disagree, the label must stay.
    wrong = zeros[np.argmin(X[zeros].sum(axis=1))]
    y[wrong] = 1
    return X, y_true, y, wrong


@pytest.fixture(scope="module")
def fitted(data):
    X, _, y, _ = data
    return PseudoLabelClassifier(LogisticRegression(), threshold=0.9, max_iter=5).fit(X, y)


def test_never_overwrites_a_true_label(fitted, data):
    X, _, y, wrong = data
    true = y != -1
    np.testing.assert_array_equal(fitted.transduction_[true], y[true])
    assert fitted.transduction_[wrong] == 1
    assert fitted.estimator_.predict(X[[wrong]])[0] == 0  # the model does disagree
    assert (fitted.labeled_iter_[true] == 0).all()


def test_labels_confident_rows_in_rounds(fitted, data):
    X, y_true, y, _ = data
    pseudo = fitted.labeled_iter_ > 0
    assert pseudo.sum() > 100 and fitted.n_iter_ >= 1
    assert (fitted.labeled_iter_[y == -1] != 0).all()
    assert (fitted.transduction_[fitted.labeled_iter_ == -1] == -1).all()
    assert np.mean(fitted.transduction_[pseudo] == y_true[pseudo]) > 0.95
    assert fitted.history_[0] == {
        "round": 0,
        "n_true": 20,
        "n_pseudo": 0,
        "n_new": 0,
        "min_new_confidence": fitted.history_[0]["min_new_confidence"],
    }
    assert all(h["min_new_confidence"] >= 0.9 for h in fitted.history_[1:])
    assert fitted.termination_condition_ in ("max_iter", "no_change", "all_labeled")
    assert np.mean(fitted.predict(X) == y_true) > 0.9
    assert fitted.predict_proba(X).shape == (len(X), 2)
    assert fitted.decision_function(X).shape == (len(X),)
    assert fitted.classes_.tolist() == [0, 1]


def test_true_labels_weigh_more_by_sample_weight(data, monkeypatch):
    X, _, y, _ = data
    seen = []
    original = LogisticRegression.fit

    def spy(self, X, y, sample_weight=None):
        seen.append(sample_weight)
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    PseudoLabelClassifier(LogisticRegression(), threshold=0.9, max_iter=1, true_label_weight=4).fit(X, y)
    assert seen[0] is None and set(np.unique(seen[1])) == {1.0, 4.0}
    assert (seen[1] == 4.0).sum() == 20


def test_resamples_when_the_estimator_takes_no_weights(data):
    X, _, y, _ = data
    model = PseudoLabelClassifier(
        KNeighborsClassifier(3), threshold=1.0, max_iter=2, true_label_weight=2.5, random_state=0
    ).fit(X, y)
    assert model.n_iter_ >= 1 and not hasattr(model, "decision_function")
    # Each true row twice or three times, each pseudo row once.
    n_true, n_pseudo = 20, int((model.labeled_iter_ > 0).sum())
    assert 2 * n_true + n_pseudo <= model.estimator_.n_samples_fit_ <= 3 * n_true + n_pseudo


def test_max_new_per_iter_takes_the_most_confident(data):
    X, _, y, _ = data
    model = PseudoLabelClassifier(LogisticRegression(), threshold=0.5, max_iter=2, max_new_per_iter=7).fit(
        X, y
    )
    assert [h["n_new"] for h in model.history_] == [0, 7, 7]
    assert model.termination_condition_ == "max_iter"


def test_same_seed_same_predictions(data):
    X, _, y, _ = data
    make = lambda: PseudoLabelClassifier(KNeighborsClassifier(3), threshold=1.0, max_iter=2, random_state=3)  # noqa: E731
    np.testing.assert_array_equal(make().fit(X, y).predict_proba(X), make().fit(X, y).predict_proba(X))


def test_works_with_dataframes_and_clones(data):
    X, _, y, _ = data
    frame = pd.DataFrame(X, columns=["a", "b"])
    model = clone(PseudoLabelClassifier(LogisticRegression(), max_iter=1)).fit(frame, pd.Series(y))
    assert model.predict(frame).shape == (len(frame),)


def test_errors(data):
    X, _, y, _ = data
    with pytest.raises(NotFittedError):
        PseudoLabelClassifier(LogisticRegression()).predict(X)
    with pytest.raises(ValueError, match="threshold"):
        PseudoLabelClassifier(LogisticRegression(), threshold=0).fit(X, y)
    with pytest.raises(ValueError, match="true_label_weight"):
        PseudoLabelClassifier(LogisticRegression(), true_label_weight=0.5).fit(X, y)
    with pytest.raises(ValueError, match="predict_proba"):
        PseudoLabelClassifier(object()).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        PseudoLabelClassifier(KNeighborsClassifier(), sampling="weight").fit(X, y)
    with pytest.raises(DataValidationError, match="expected 300 labels"):
        PseudoLabelClassifier(LogisticRegression()).fit(X, y[:10])
    with pytest.raises(DataValidationError, match="all 300 rows are unlabelled"):
        PseudoLabelClassifier(LogisticRegression()).fit(X, np.full(300, -1))
    assert not hasattr(PseudoLabelClassifier(LogisticRegression()), "save")
