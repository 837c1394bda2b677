"""Train/test splits that keep the input's type and index: stratified, or by time.

Both return ``(X_train, X_test, y_train, y_test)``: DataFrames and Series stay DataFrames and
Series with their original index, so a row can be traced back to the file; arrays stay arrays.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from genfin.exceptions import DataValidationError


def stratified_split(
    X: Any,
    y: Any,
    *,
    test_size: float | int = 0.3,
    random_state: int | np.random.Generator | None = None,
) -> tuple[Any, Any, Any, Any]:
    """Split at random, keeping the share of each class the same in train and test.

    Wraps scikit-learn's ``train_test_split(stratify=y)``, with errors that say what to change.

    Parameters
    ----------
    X
        DataFrame or array of shape ``(n_samples, n_features)``.
    y
        Series or 1-D array of ``n_samples`` class labels, no missing values.
    test_size
        Share of rows in the test set, in ``(0, 1)``, or a number of rows.
    random_state
        Seed or ``numpy.random.Generator`` (which is advanced by one draw); the same seed gives the
        same split.

    Returns
    -------
    tuple
        ``(X_train, X_test, y_train, y_test)``, of the input types, index kept.

    Raises
    ------
    DataValidationError
        If ``X`` and ``y`` differ in length, ``y`` has missing values or a single class, a class has
        fewer than 2 rows, or ``test_size`` leaves too few rows to hold every class on each side.
    """
    from sklearn.model_selection import train_test_split

    n = _check_lengths(X, y)
    labels = pd.Series(np.asarray(y).ravel())
    if labels.isna().any():
        row = int(np.argmax(labels.isna().to_numpy()))
        raise DataValidationError("missing label; cannot stratify", source="y", row=row + 1)
    counts = labels.value_counts()
    if len(counts) < 2:
        raise DataValidationError(
            f"y holds a single class ({_plain(counts.index[0])}); a stratified split needs at least two",
            source="y",
        )
    rare = counts[counts < 2]
    if len(rare):
        raise DataValidationError(
            f"class {_plain(rare.index[0])} has only {int(rare.iloc[0])} row; a stratified split needs at "
            "least 2 rows of every class (one for train, one for test)",
            source="y",
        )
    n_test = _n_test(test_size, n)
    if n_test < len(counts) or n - n_test < len(counts):
        raise DataValidationError(
            f"test_size={test_size} gives {n_test} test and {n - n_test} train rows of {n}; each side "
            f"needs at least one row of each of the {len(counts)} classes",
            source="y",
        )
    return tuple(train_test_split(X, y, test_size=test_size, stratify=y, random_state=_seed(random_state)))


def time_ordered_split(
    X: Any,
    y: Any,
    time: Any,
    *,
    test_size: float | int = 0.3,
) -> tuple[Any, Any, Any, Any]:
    """Train on the earliest rows and test on the latest, as a detector meets the future.

    Rows with equal times keep their input order (a stable sort), so the split is deterministic.

    Parameters
    ----------
    X
        DataFrame or array of shape ``(n_samples, n_features)``.
    y
        Series or 1-D array of ``n_samples`` labels, or ``None`` for unlabelled data.
    time
        Series or 1-D array of ``n_samples`` times: numbers or datetimes, no missing values.
    test_size
        Share of rows in the test set, in ``(0, 1)``, or a number of rows.

    Returns
    -------
    tuple
        ``(X_train, X_test, y_train, y_test)``, each side in time order, of the input types with
        their index kept; ``y_train`` and ``y_test`` are ``None`` when ``y`` is.

    Raises
    ------
    DataValidationError
        If the lengths differ, ``time`` is not numbers or datetimes, or holds a missing value.
    """
    n = _check_lengths(X, y, time)
    times = pd.Series(np.asarray(time).ravel()) if not isinstance(time, pd.Series) else time
    kind = times.dtype.kind
    if kind not in "iufmM":
        raise DataValidationError(
            f"time must hold numbers or datetimes to be sorted, got dtype {times.dtype}", source="time"
        )
    missing = times.isna().to_numpy()
    if missing.any():
        raise DataValidationError("missing time value", source="time", row=int(np.argmax(missing)) + 1)
    n_test = _n_test(test_size, n)
    order = np.argsort(times.to_numpy(), kind="stable")
    train, test = order[: n - n_test], order[n - n_test :]
    return _take(X, train), _take(X, test), _take(y, train), _take(y, test)


def _check_lengths(X: Any, *others: Any) -> int:
    if isinstance(X, pd.Series) or np.ndim(X) != 2:
        raise DataValidationError(
            f"X must be 2-D (n_samples, n_features), got shape {np.shape(X)}", source="X"
        )
    n = len(X)
    for name, other in zip(("y", "time"), others, strict=False):
        if other is not None and len(other) != n:
            raise DataValidationError(f"{name} has {len(other)} rows but X has {n}", source=name)
    if n < 2:
        raise DataValidationError(f"need at least 2 rows to split, got {n}", source="X")
    return n


def _n_test(test_size: float | int, n: int) -> int:
    """Return the number of test rows, rounded up as scikit-learn does; at least one each side."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a number, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"test_size must be in (0, 1) or a number of rows, got {test_size}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size={test_size} leaves {n_test} test rows of {n}; need 1 to {n - 1}")
    return n_test


def _seed(random_state: int | np.random.Generator | None) -> int | None:
    # scikit-learn takes no numpy Generator, so a Generator gives one seed drawn from it.
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return random_state


def _plain(label: Any) -> str:
    """Show a label as the user wrote it, without numpy's type name."""
    label = label.item() if isinstance(label, np.generic) else label
    return repr(label) if isinstance(label, str) else str(label)


def _take(data: Any, rows: np.ndarray) -> Any:
    if data is None:
        return None
    if isinstance(data, pd.DataFrame | pd.Series):
        return data.iloc[rows]
    return np.asarray(data)[rows]
