"""augment: the requested class balance, original rows untouched and first, seeded, clear refusals."""

from __future__ import annotations

import sys
from importlib.util import find_spec

import numpy as np
import pandas as pd
import pytest

from genfin.data import make_transactions, stratified_split
from genfin.exceptions import DataValidationError
from genfin.pipelines.augment import augment, conform_samples

# imbalanced-learn is an optional extra: the SMOTE paths are skipped where it is not installed.
needs_imblearn = pytest.mark.skipif(find_spec("imblearn") is None, reason="imbalanced-learn not installed")
WITH_SMOTE = ["vae", pytest.param("smote", marks=needs_imblearn)]

# Tiny generators: the tests check bookkeeping, not sample quality.
PARAMS = {"vae": {"epochs": 2, "batch_size": 32}, "smote": {}, "none": {}}


@pytest.fixture(scope="module")
def train():
    data = make_transactions(500, fraud_rate=0.06, random_state=0)
    # An integer column that is never negative, and the index a split leaves (not 0..n-1).
    X = data.X.assign(Count=np.arange(len(data.X)) % 7)
    X_train, _, y_train, _ = stratified_split(X, data.y, test_size=0.3, random_state=0)
    return X_train, y_train


@pytest.mark.parametrize("method", WITH_SMOTE)
def test_balance_original_rows_and_schema(train, method):
    X, y = train
    n_normal = int((y == 0).sum())
    X_aug, y_aug, synthetic = augment(
        X, y, method=method, ratio=0.5, random_state=0, return_mask=True, **PARAMS[method]
    )
    assert int((y_aug == 1).sum()) == round(0.5 * n_normal) and int((y_aug == 0).sum()) == n_normal
    n = len(X)
    pd.testing.assert_frame_equal(X_aug.iloc[:n], X)
    pd.testing.assert_series_equal(y_aug.iloc[:n], y)
    assert synthetic.dtype == bool and not synthetic[:n].any() and synthetic[n:].all()
    assert (y_aug[synthetic] == 1).all()
    assert list(X_aug.columns) == list(X.columns) and X_aug.dtypes.equals(X.dtypes)
    assert y_aug.name == y.name and y_aug.dtype == y.dtype
    assert X_aug.index.is_unique and X_aug.index.equals(y_aug.index)
    assert X_aug.index[n] == X.index.max() + 1
    new = X_aug[synthetic]
    assert np.isfinite(new.to_numpy()).all()
    assert (new["Amount"] >= 0).all() and (new["Count"] >= 0).all()


@pytest.mark.parametrize("method", WITH_SMOTE)
def test_same_seed_same_rows(train, method):
    X, y = train
    first = augment(X, y, method=method, ratio=0.3, random_state=1, **PARAMS[method])
    again = augment(X, y, method=method, ratio=0.3, random_state=1, **PARAMS[method])
    other = augment(X, y, method=method, ratio=0.3, random_state=2, **PARAMS[method])
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_series_equal(first[1], again[1])
    assert not first[0].equals(other[0])


def test_none_returns_copies(train):
    X, y = train
    X_aug, y_aug, synthetic = augment(X, y, method="none", random_state=0, return_mask=True)
    pd.testing.assert_frame_equal(X_aug, X)
    pd.testing.assert_series_equal(y_aug, y)
    assert X_aug is not X and y_aug is not y and not synthetic.any()


@needs_imblearn
def test_arrays_stay_arrays():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 50, size=(60, 3))
    y = np.r_[np.zeros(50, dtype=np.int32), np.ones(10, dtype=np.int32)]
    X_aug, y_aug = augment(X, y, method="smote", ratio=1.0, random_state=0)
    assert isinstance(X_aug, np.ndarray) and X_aug.dtype == X.dtype and X_aug.shape == (100, 3)
    assert y_aug.dtype == y.dtype and y_aug.sum() == 50
    assert np.array_equal(X_aug[:60], X)


def test_ratio_already_met_adds_nothing_more_refused(train):
    X, y = train
    present = (y == 1).sum() / (y == 0).sum()
    with pytest.raises(DataValidationError, match="augmentation only adds rows"):
        augment(X, y, method="smote", ratio=present / 2)


@pytest.mark.parametrize("ratio", [0, -0.5, 1.5, float("nan"), float("inf")])
def test_bad_ratio(train, ratio):
    with pytest.raises(ValueError, match=r"ratio must be in \(0, 1\]"):
        augment(*train, method="smote", ratio=ratio)


@pytest.mark.parametrize("ratio", ["half", True, None])
def test_ratio_not_a_number(train, ratio):
    with pytest.raises(TypeError, match="ratio must be a number"):
        augment(*train, method="none", ratio=ratio)


@pytest.mark.parametrize("method", ["vae", "smote", "none"])
def test_refuses_y_without_frauds(train, method):
    X, y = train
    with pytest.raises(DataValidationError, match="no fraud rows"):
        augment(X, y * 0, method=method)


def test_refuses_mismatched_lengths(train):
    X, y = train
    with pytest.raises(DataValidationError, match=f"y has {len(y) - 1} rows but X has {len(X)}"):
        augment(X, y.iloc[1:], method="smote")


def test_refuses_bad_labels_and_missing_values(train):
    X, y = train
    with pytest.raises(DataValidationError, match="row 3.*label 2 is not 0 or 1"):
        augment(X, np.r_[y.to_numpy()[:2], 2, y.to_numpy()[3:]])
    holed = X.copy()
    holed.iloc[4, 2] = np.nan
    with pytest.raises(DataValidationError, match="column 'V3', row 5: missing or infinite"):
        augment(holed, y)


def test_refuses_unknown_method_and_owned_params(train):
    with pytest.raises(ValueError, match="method must be one of"):
        augment(*train, method="gan")
    with pytest.raises(TypeError, match="sampling_strategy"):
        augment(*train, method="smote", sampling_strategy=0.5)
    with pytest.raises(TypeError, match="takes no model parameters"):
        augment(*train, method="none", epochs=3)


@needs_imblearn
def test_too_few_frauds_for_smote():
    X = np.arange(40.0).reshape(20, 2)
    y = np.r_[np.zeros(17, dtype=int), np.ones(3, dtype=int)]
    with pytest.raises(DataValidationError, match="k_neighbors=5 needs at least 6"):
        augment(X, y, method="smote")
    assert augment(X, y, method="smote", k_neighbors=2, random_state=0)[1].sum() == 17


def test_smote_without_imbalanced_learn(train, monkeypatch):
    monkeypatch.setitem(sys.modules, "imblearn.over_sampling", None)
    with pytest.raises(ImportError, match="pip install imbalanced-learn"):
        augment(*train, method="smote")


def test_conform_samples_restores_dtypes_and_counts_clipping():
    reference = pd.DataFrame(
        {
            "n": np.array([1, 2, 3], dtype=np.int64),
            "amount": [0.0, 5.0, 9.5],
            "v": np.array([-1.0, 0.5, 2.0], dtype=np.float32),
            "small": np.array([0, 100, 120], dtype=np.uint8),
            "nullable": pd.array([1, 2, 3], dtype="Int64"),
        }
    )
    samples = pd.DataFrame(
        {
            "v": [-3.0, 1.25],
            "amount": [-2.0, 3.5],
            "n": [1.6, -0.6],
            "small": [300.2, 7.4],
            "nullable": [2.2, -1.0],
        }
    )
    conformed, clipped = conform_samples(samples, reference)
    assert list(conformed.columns) == list(reference.columns) and conformed.dtypes.equals(reference.dtypes)
    assert conformed["n"].tolist() == [2, 0] and conformed["amount"].tolist() == [0.0, 3.5]
    assert conformed["v"].tolist() == [-3.0, 1.25] and conformed["small"].tolist() == [255, 7]
    assert clipped == {"n": 1, "amount": 1, "small": 1, "nullable": 1}
