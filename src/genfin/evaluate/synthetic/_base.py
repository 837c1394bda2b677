"""What every synthetic-data metric shares: the base class, the input checks, the classifiers.

Inputs are refused before any work with a :class:`~genfin.exceptions.DataValidationError` that names
the table (``"real"``, ``"synthetic"``, ...), the column and the row at fault.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from genfin.exceptions import DataValidationError

Goal = Literal["maximize", "minimize", "target"]
RandomState = int | np.random.Generator | None

CLASSIFIERS = ("logistic", "gradient_boosting")


class SyntheticMetric:
    """Base of the synthetic-data metrics: a name, a declared goal and the bounds of the value.

    The constructor of a metric stores its keyword settings and nothing else; the data go to
    ``compute`` (the headline value) and ``compute_breakdown`` (the numbers behind it).

    Attributes
    ----------
    name : str
        Key of the metric in dictionaries and report tables.
    family : str
        What the metric judges: ``"fidelity"``, ``"detection"``, ``"utility"`` or ``"privacy"``.
    goal : {"maximize", "minimize", "target"}
        Which values are better: higher ones, lower ones, or ones closer to ``target``.
    target : float or None
        The best value when ``goal`` is ``"target"``, else None.
    min_value, max_value : float
        Bounds of the value; ``max_value`` is ``inf`` for ratios to a real-data baseline.
    headline_key : str or None
        The key of ``compute_breakdown``'s result that ``compute`` returns, if it has one.
    """

    name: ClassVar[str]
    family: ClassVar[str]
    goal: ClassVar[Goal]
    target: ClassVar[float | None] = None
    min_value: ClassVar[float]
    max_value: ClassVar[float]
    headline_key: ClassVar[str | None] = None

    def _headline(self, breakdown: dict[str, Any]) -> float:
        # compute() is compute_breakdown() reduced to one number; evaluate_synthetic calls the two
        # halves itself so that each metric runs once.
        return float(breakdown[self.headline_key])

    @classmethod
    def normalize(cls, value: float) -> float:
        """Put a value of this metric on one scale with the others: ``[0, 1]``, 1 best.

        Bounded metrics are rescaled to their bounds (flipped when lower is better); a ``"target"``
        metric scores 1 at the target and 0 at the farther bound. The unbounded metrics are ratios to
        a real-data baseline, where 1 means "as good as real data" and nothing above it is better
        for a report, so they are capped at 1.

        Parameters
        ----------
        value
            A value returned by ``compute``.

        Returns
        -------
        float
            In ``[0, 1]``; NaN stays NaN.
        """
        value = float(value)
        if math.isnan(value):
            return value
        if cls.goal == "target":
            assert cls.target is not None
            span = max(cls.target - cls.min_value, cls.max_value - cls.target)
            return 1.0 - abs(value - cls.target) / span
        if math.isinf(cls.max_value):
            return min(max(value, 0.0), 1.0)
        scaled = (value - cls.min_value) / (cls.max_value - cls.min_value)
        return scaled if cls.goal == "maximize" else 1.0 - scaled

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"


def check_tables(
    tables: dict[str, Any], *, label_column: str | None = None
) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray | None]]:
    """Validate tables that must share their numeric columns; the first one is the reference.

    Parameters
    ----------
    tables
        Name (as errors should call it) to a DataFrame or 2-D array-like, in order; the first is the
        reference the others are compared with, usually ``"real"``.
    label_column
        A column to split off each table as its labels before the feature checks; tables must then be
        DataFrames holding it.

    Returns
    -------
    columns, features, labels
        Column names (from the first DataFrame, else ``x0``, ``x1``, ...), each table's features as a
        ``float64`` array, and each table's label column as an array (None without ``label_column``).

    Raises
    ------
    DataValidationError
        Naming the table and the missing, extra, reordered, duplicated or non-numeric columns, the
        first NaN or infinite value, or a table with fewer than 2 rows.
    """
    names: dict[str, list[str] | None] = {}
    arrays: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray | None] = {}
    for source, table in tables.items():
        names[source], arrays[source], labels[source] = _as_array(table, source, label_column)

    reference_source = next(iter(tables))
    width = arrays[reference_source].shape[1]
    named = [source for source in tables if names[source] is not None]
    columns = names[named[0]] if named else [f"x{j}" for j in range(width)]
    assert columns is not None
    for source in tables:
        if source == reference_source:
            continue
        _compare_columns(source, names[source], arrays[source].shape[1], reference_source, columns, width)

    for source, array in arrays.items():
        _check_values(source, array, columns)
    return list(columns), arrays, labels


def _as_array(
    table: Any, source: str, label_column: str | None
) -> tuple[list[str] | None, np.ndarray, np.ndarray | None]:
    if isinstance(table, pd.Series):
        raise DataValidationError(
            "expected a table (DataFrame or 2-D array), got a Series; use .to_frame() for one column",
            source=source,
        )
    if isinstance(table, pd.DataFrame):
        frame = table
        y = None
        if label_column is not None:
            if label_column not in frame.columns:
                raise DataValidationError(
                    f"has no label column {label_column!r}; its columns are {list(map(str, frame.columns))}",
                    source=source,
                )
            y = frame[label_column].to_numpy()
            frame = frame.drop(columns=[label_column])
        columns = [str(column) for column in frame.columns]
        duplicated = sorted({column for column in columns if columns.count(column) > 1})
        if duplicated:
            raise DataValidationError(f"has duplicated column names {duplicated}", source=source)
        for column, dtype in zip(columns, frame.dtypes, strict=True):
            if getattr(dtype, "kind", "O") not in "biuf":
                raise DataValidationError(
                    f"must be numeric, got dtype {dtype}; encode it as numbers or drop it",
                    source=source,
                    column=column,
                )
        return columns, frame.to_numpy(dtype=np.float64, na_value=np.nan), y

    if label_column is not None:
        raise DataValidationError(
            f"label_column={label_column!r} needs DataFrames, got {type(table).__name__}; "
            "pass a DataFrame, or the labels as separate arrays",
            source=source,
        )
    array = np.asarray(table)
    if array.ndim != 2:
        raise DataValidationError(
            f"expected a 2-D table of shape (n_rows, n_columns), got shape {array.shape}", source=source
        )
    if array.dtype.kind not in "biuf":
        raise DataValidationError(f"values must be numbers, got dtype {array.dtype}", source=source)
    return None, array.astype(np.float64, copy=False), None


def _compare_columns(
    source: str,
    names: list[str] | None,
    width: int,
    reference_source: str,
    columns: list[str],
    reference_width: int,
) -> None:
    if names is not None and names != columns:
        missing = [column for column in columns if column not in names]
        extra = [column for column in names if column not in columns]
        if missing or extra:
            parts = [f"missing {missing}" if missing else "", f"extra {extra}" if extra else ""]
            raise DataValidationError(
                f"columns differ from {reference_source}'s: {', '.join(part for part in parts if part)}",
                source=source,
            )
        raise DataValidationError(
            f"has {reference_source}'s columns in another order; reorder it with "
            f"{source}[{reference_source}.columns]",
            source=source,
        )
    if width != reference_width:
        raise DataValidationError(
            f"has {width} columns but {reference_source} has {reference_width}", source=source
        )


def _check_values(source: str, array: np.ndarray, columns: list[str]) -> None:
    if array.shape[1] == 0:
        raise DataValidationError("has no columns", source=source)
    if array.shape[0] < 2:
        raise DataValidationError(f"has {array.shape[0]} rows; at least 2 are needed", source=source)
    bad = ~np.isfinite(array)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise DataValidationError(
            f"{int(bad.sum())} values are NaN or infinite (first: {array[rows[0], cols[0]]!r})",
            source=source,
            column=columns[cols[0]],
            row=int(rows[0]) + 1,
        )


def check_binary_labels(y: Any, n_rows: int, *, source: str, need_both: bool = True) -> np.ndarray:
    """Refuse labels other than one 0 or 1 per row; return them as ``int8``.

    Parameters
    ----------
    y
        Labels: 1 for the positive (rare) class, such as fraud, 0 for the other; booleans accepted.
    n_rows
        Number of rows the labels belong to.
    source
        What to call the labels in an error message.
    need_both
        Also require both classes to be present.

    Returns
    -------
    numpy.ndarray
        A 1-D ``int8`` array of 0 and 1.

    Raises
    ------
    DataValidationError
        Naming a length mismatch, the first label that is not 0 or 1, or the missing class.
    """
    array = np.asarray(y)
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise DataValidationError(
            f"expected {n_rows} labels (one per row), got shape {array.shape}", source=source
        )
    if array.dtype.kind not in "biuf":
        raise DataValidationError(f"labels must be 0 or 1, got dtype {array.dtype}", source=source)
    not_binary = ~np.isin(array, (0, 1))
    if not_binary.any():
        first = int(np.flatnonzero(not_binary)[0])
        raise DataValidationError(
            f"labels must be 0 or 1; found {array[first]!r}", source=source, row=first + 1
        )
    array = array.astype(np.int8)
    if need_both and np.unique(array).size < 2:
        raise DataValidationError(
            f"all {n_rows} labels are {int(array[0])}; both classes (0 and 1) are needed", source=source
        )
    return array


def check_classifier(classifier: Any) -> None:
    """Refuse a classifier that is neither a known name nor a scikit-learn classifier."""
    if isinstance(classifier, str):
        if classifier not in CLASSIFIERS:
            raise DataValidationError(
                f"unknown classifier {classifier!r}; use one of {CLASSIFIERS} or a scikit-learn classifier",
                source="classifier",
            )
        return
    if not hasattr(classifier, "fit") or not (
        hasattr(classifier, "predict_proba") or hasattr(classifier, "decision_function")
    ):
        raise DataValidationError(
            f"expected {CLASSIFIERS} or a scikit-learn classifier with predict_proba or "
            f"decision_function, got {type(classifier).__name__}",
            source="classifier",
        )


def make_classifier(classifier: Any, seed: int) -> Any:
    """A fresh, unfitted classifier from a name or by cloning a given scikit-learn classifier.

    ``"logistic"`` standardises the features first, because the penalty of a logistic regression
    treats every coefficient alike and the columns of financial data differ in scale by orders of
    magnitude. A given classifier is cloned as is: its own ``random_state`` decides its seeding.
    """
    from sklearn.base import clone

    if classifier == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    if classifier == "gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed)
    return clone(classifier)


def positive_scores(model: Any, X: np.ndarray) -> np.ndarray:
    """Scores of the positive class (1) from a fitted classifier, higher meaning more likely 1."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, list(model.classes_).index(1)]
    return model.decision_function(X)


def check_count(value: Any, *, source: str, minimum: int, allow_none: bool = False) -> int | None:
    """Refuse anything but an integer of at least ``minimum`` (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        expected = f"an integer >= {minimum}" + (" or None" if allow_none else "")
        raise DataValidationError(f"must be {expected}, got {value!r}", source=source)
    return int(value)


def draw_seed(rng: np.random.Generator) -> int:
    """One seed for scikit-learn, which takes no numpy Generator, drawn from ``rng``."""
    return int(rng.integers(2**31 - 1))
