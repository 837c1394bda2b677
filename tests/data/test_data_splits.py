from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genfin.data import stratified_split, time_ordered_split
from genfin.exceptions import DataValidationError


def labelled(n: int = 100, frauds: int = 10):
    X = pd.DataFrame({"a": np.arange(n, dtype=float), "b": np.arange(n, dtype=float) ** 2})
    X.index = X.index + 1000
    y = pd.Series(np.r_[np.zeros(n - frauds, int), np.ones(frauds, int)], index=X.index, name="Class")
    return X, y


def test_stratified_split_keeps_types_index_and_shares():
    X, y = labelled()
    X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.3, random_state=0)
    assert isinstance(X_train, pd.DataFrame) and isinstance(y_test, pd.Series)
    assert len(X_test) == 30 and len(X_train) == 70
    assert int(y_test.sum()) == 3 and int(y_train.sum()) == 7
    assert X_train.index.equals(y_train.index)
    assert set(X_train.index) | set(X_test.index) == set(X.index)
    assert (X.loc[X_test.index, "a"] == X_test["a"]).all()


def test_stratified_split_arrays_and_determinism():
    X, y = labelled()
    a = stratified_split(X.to_numpy(), y.to_numpy(), random_state=3)
    b = stratified_split(X.to_numpy(), y.to_numpy(), random_state=3)
    assert all(isinstance(part, np.ndarray) for part in a)
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    c = stratified_split(X, y, random_state=np.random.default_rng(1))
    d = stratified_split(X, y, random_state=np.random.default_rng(1))
    assert c[0].index.equals(d[0].index)


@pytest.mark.parametrize(
    ("y", "test_size", "match"),
    [
        (np.r_[np.zeros(9), 1], 0.3, "class 1.0 has only 1 row"),
        (np.zeros(10), 0.3, "single class"),
        (np.r_[np.zeros(8), np.nan, 1], 0.3, "missing label"),
        (np.r_[np.zeros(8), 1, 1], 0.05, "each side needs at least one row"),
    ],
)
def test_stratified_split_errors(y, test_size, match):
    with pytest.raises(DataValidationError, match=match):
        stratified_split(np.zeros((10, 2)), y, test_size=test_size)


def test_split_length_mismatch():
    with pytest.raises(DataValidationError, match="y has 9 rows but X has 10"):
        stratified_split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(DataValidationError, match="time has 3 rows but X has 10"):
        time_ordered_split(np.zeros((10, 2)), None, np.zeros(3))


@pytest.mark.parametrize("test_size", [0, 1.0, -0.2, 10, 1.5])
def test_bad_test_size(test_size):
    with pytest.raises(ValueError, match="test_size"):
        time_ordered_split(np.zeros((10, 2)), None, np.arange(10), test_size=test_size)


def test_time_ordered_split_earliest_train_latest_test():
    X, y = labelled(10, 2)
    time = pd.Series([5, 3, 9, 1, 3, 8, 0, 7, 3, 2], index=X.index, dtype=float)
    X_train, X_test, y_train, y_test = time_ordered_split(X, y, time, test_size=0.3)
    assert len(X_train) == 7 and len(X_test) == 3
    assert time[X_train.index].max() <= time[X_test.index].min()
    # Stable for ties: the three rows at time 3 keep their input order.
    assert list(X_train.index) == [1006, 1003, 1009, 1001, 1004, 1008, 1000]
    assert list(X_test.index) == [1007, 1005, 1002]
    assert y_train.index.equals(X_train.index)


def test_time_ordered_split_arrays_datetimes_and_unlabelled():
    X = np.arange(20).reshape(10, 2)
    time = pd.date_range("2013-09-01", periods=10, freq="h")[::-1]
    X_train, X_test, y_train, y_test = time_ordered_split(X, None, time, test_size=2)
    assert y_train is None and y_test is None
    np.testing.assert_array_equal(X_test, X[[1, 0]])
    assert isinstance(X_train, np.ndarray) and len(X_train) == 8


def test_time_ordered_split_refuses_bad_time():
    with pytest.raises(DataValidationError, match="missing time value") as info:
        time_ordered_split(np.zeros((4, 1)), None, [1.0, np.nan, 2.0, 3.0])
    assert info.value.row == 2
    with pytest.raises(DataValidationError, match="numbers or datetimes"):
        time_ordered_split(np.zeros((3, 1)), None, ["a", "b", "c"])
    with pytest.raises(DataValidationError, match="X must be 2-D"):
        time_ordered_split(np.zeros(3), None, [1, 2, 3])
