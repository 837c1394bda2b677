from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genfin.data import (
    IdentityScaler,
    MinMaxScaler,
    PowerScaler,
    StandardScaler,
    make_scaler,
    scaler_from_dict,
)
from genfin.exceptions import DataValidationError, ModelFileError, NotFittedError

SCALERS = [MinMaxScaler, StandardScaler, PowerScaler, IdentityScaler]


def frame(n: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(5, 2, n), "b": rng.exponential(100, n), "c": np.full(n, 3.0)})


def test_minmax_is_the_books_formula():
    X = frame()
    out = MinMaxScaler().fit_transform(X)
    expected = (X - X.min()) / (X.max() - X.min())
    np.testing.assert_allclose(out[:, :2], expected.to_numpy()[:, :2])
    assert out[:, :2].min() == 0 and out[:, :2].max() == 1


def test_standard_scaler():
    X = frame().to_numpy()
    out = StandardScaler().fit_transform(X)
    np.testing.assert_allclose(out[:, :2].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out[:, :2].std(axis=0), 1)


@pytest.mark.parametrize("cls", SCALERS)
def test_constant_column_divides_by_one(cls):
    out = cls().fit_transform(frame())
    assert np.isfinite(out).all()
    if cls is not IdentityScaler:
        assert np.all(out[:, 2] == 0)


@pytest.mark.parametrize("cls", SCALERS)
def test_interface_and_inverse(cls):
    X = frame()
    scaler = cls()
    assert scaler.fit(X) is scaler
    assert scaler.n_features_in_ == 3
    assert list(scaler.feature_names_in_) == ["a", "b", "c"]
    out = scaler.transform(X)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (50, 3)
    np.testing.assert_allclose(scaler.inverse_transform(out), X.to_numpy())
    assert not hasattr(cls().fit(X.to_numpy()), "feature_names_in_")


def test_fitted_on_train_rows_only():
    X = frame(100)
    train, test = X.iloc[:70], X.iloc[70:].copy()
    test.iloc[0, 0] = train["a"].max() + 10
    test.iloc[1, 1] = train["b"].min() - 10
    scaler = MinMaxScaler().fit(train)
    before = scaler.to_dict()
    out = scaler.transform(test)
    assert scaler.to_dict() == before
    np.testing.assert_array_equal(scaler.data_min_, train.min().to_numpy())
    np.testing.assert_array_equal(scaler.data_max_, train.max().to_numpy())
    assert out[0, 0] > 1 and out[1, 1] < 0


@pytest.mark.parametrize("cls", SCALERS)
def test_wrong_number_of_features(cls):
    scaler = cls().fit(frame().to_numpy())
    with pytest.raises(DataValidationError, match=r"expected shape \(n_samples, 3\).*got \(4, 2\)"):
        scaler.transform(np.zeros((4, 2)))
    with pytest.raises(DataValidationError, match=r"got \(4, 5\)"):
        scaler.inverse_transform(np.zeros((4, 5)))


def test_wrong_columns_named():
    scaler = MinMaxScaler().fit(frame())
    with pytest.raises(DataValidationError, match="columns differ") as info:
        scaler.transform(frame()[["a", "c", "b"]])
    assert info.value.column == "c"


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros(5), "expected a 2-D array"),
        (np.zeros((0, 3)), "no rows"),
        (pd.Series([1.0, 2.0]), "got a Series"),
        ([["a", "b"]], "not all numbers"),
    ],
)
def test_bad_fit_input(X, match):
    with pytest.raises(DataValidationError, match=match):
        MinMaxScaler().fit(X)


def test_nan_and_inf_are_located():
    X = frame()
    X.loc[7, "b"] = np.nan
    with pytest.raises(DataValidationError, match="missing value") as info:
        StandardScaler().fit(X)
    assert info.value.column == "b" and info.value.row == 8
    values = frame().to_numpy(copy=True)
    values[3, 2] = np.inf
    with pytest.raises(DataValidationError, match="infinite") as info:
        MinMaxScaler().fit(values)
    assert info.value.row == 4 and info.value.column == "index 2"


@pytest.mark.parametrize("cls", SCALERS)
def test_not_fitted(cls):
    with pytest.raises(NotFittedError):
        cls().transform(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        cls().to_dict()


@pytest.mark.parametrize("cls", SCALERS)
def test_dict_round_trip_through_json(cls):
    X = frame()
    scaler = cls().fit(X)
    saved = json.loads(json.dumps(scaler.to_dict()))
    assert saved["kind"] == cls.kind
    rebuilt = scaler_from_dict(saved)
    assert type(rebuilt) is cls
    np.testing.assert_array_equal(rebuilt.transform(X), scaler.transform(X))
    np.testing.assert_array_equal(rebuilt.inverse_transform(X), scaler.inverse_transform(X))
    assert list(rebuilt.feature_names_in_) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"kind": "robust"}, "not a saved scaler"),
        ("minmax", "not a saved scaler"),
        ({"kind": "minmax", "n_features_in": 2}, "incomplete"),
        ({"kind": "standard", "n_features_in": 2, "mean": [0, 0], "scale": [1]}, "must be 2 finite"),
        ({"kind": "minmax", "n_features_in": 1, "data_min": [0], "data_max": [None]}, "must be 1 finite"),
    ],
)
def test_bad_saved_dicts(data, match):
    with pytest.raises(ModelFileError, match=match):
        scaler_from_dict(data)


def test_make_scaler():
    assert isinstance(make_scaler("minmax"), MinMaxScaler)
    assert isinstance(make_scaler("standard"), StandardScaler)
    assert isinstance(make_scaler("none"), IdentityScaler)
    assert isinstance(make_scaler("power"), PowerScaler)
    with pytest.raises(ValueError, match="unknown scaler 'max'.*'minmax', 'standard', 'power', 'none'"):
        make_scaler("max")


@pytest.mark.parametrize("name", ["minmax", "standard", "power", "none"])
def test_float32_fast_path_matches_transform(name):
    from genfin.data import make_scaler

    rng = np.random.default_rng(0)
    train = rng.normal(size=(200, 5)).astype(np.float32) * 10
    scaler = make_scaler(name).fit(train)
    np.testing.assert_allclose(scaler.transform_float32(train), scaler.transform(train), rtol=1e-5, atol=1e-6)
    assert scaler.transform_float32(train).dtype == np.float32
    with pytest.raises(DataValidationError, match="float32"):
        scaler.transform_float32(train.astype(np.float64))


def test_power_scaler_makes_skewed_columns_gaussian_and_inverts_them():
    from scipy.stats import skew, yeojohnson

    rng = np.random.default_rng(0)
    X = np.c_[rng.lognormal(0, 1.2, 2000), rng.normal(3, 2, 2000), -rng.exponential(5, 2000)]
    scaler = PowerScaler().fit(X)
    out = scaler.transform(X)
    assert abs(skew(X[:, 0])) > 3 and abs(skew(out[:, 0])) < 0.3
    assert abs(skew(out[:, 2])) < 0.3
    # A normal column keeps an exponent near 1: almost a plain standardisation.
    assert scaler.lambda_[1] == pytest.approx(1.0, abs=0.15)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(out.std(axis=0), 1)
    # The same transform as scipy's, before standardising.
    for j in range(3):
        expected = yeojohnson(X[:, j], lmbda=scaler.lambda_[j])
        np.testing.assert_allclose(out[:, j], (expected - expected.mean()) / expected.std(), atol=1e-8)
    np.testing.assert_allclose(scaler.inverse_transform(out), X, rtol=1e-9, atol=1e-9)


def test_power_scaler_inverse_is_finite_and_bounded_for_any_input():
    rng = np.random.default_rng(1)
    X = np.c_[rng.lognormal(0, 2, 500), -rng.lognormal(0, 2, 500)]
    scaler = PowerScaler().fit(X)
    wild = np.array([[1e6, -1e6], [-1e6, 1e6], [40.0, -40.0], [0.0, 0.0]])
    back = scaler.inverse_transform(wild)
    assert np.isfinite(back).all()
    # Clipped to the training range widened by at most half a standard deviation in the scaled space.
    low, high = scaler._inverse_limits()
    assert np.all(high <= scaler.high_ + scaler.margin) and np.all(low >= scaler.low_ - scaler.margin)
    np.testing.assert_allclose(back[0], scaler.inverse_transform(np.array([[high[0], low[1]]]))[0])
    assert X[:, 0].max() < back[0, 0] < 10 * X[:, 0].max()
    assert X[:, 1].min() > back[0, 1] > 10 * X[:, 1].min()
