"""Checks of semi-supervised labels: scikit-learn's convention of ``-1`` for unlabelled rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from genfin.exceptions import DataValidationError

#: The label of unlabelled rows, scikit-learn's semi-supervised convention.
UNLABELLED = -1


def check_semi_supervised_labels(y: Any, n_rows: int, *, owner: str = "the model") -> np.ndarray:
    """Return ``y`` as int64 labels (``-1`` for unlabelled rows) after checking it.

    Raises one :class:`~genfin.exceptions.DataValidationError` that names the row for: ``y``
    missing, of another length than ``X``, not whole numbers, a negative label other than ``-1``,
    no labelled row, or a single labelled class.
    """
    if y is None:
        raise DataValidationError(f"{owner} needs labels: pass y with -1 for the unlabelled rows", source="y")
    array = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame)) else y)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise DataValidationError(
            f"expected {n_rows} labels, one per row of X, got shape {np.shape(y)}", source="y"
        )
    if array.dtype.kind not in "biuf":
        raise DataValidationError(
            f"labels must be integers, with -1 for unlabelled rows; got dtype {array.dtype}", source="y"
        )
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            row = int(np.argmax(bad))
            raise DataValidationError(
                f"labels must be whole numbers (-1 for unlabelled); row index {row} holds {array[row]!r}",
                source="y",
            )
    array = array.astype(np.int64)
    bad = array < UNLABELLED
    if bad.any():
        row = int(np.argmax(bad))
        raise DataValidationError(
            f"labels must be classes >= 0, or -1 for unlabelled rows; row index {row} holds {array[row]}",
            source="y",
        )
    labelled = array[array != UNLABELLED]
    if not len(labelled):
        raise DataValidationError(
            f"all {n_rows} rows are unlabelled (-1); label at least two rows of each class", source="y"
        )
    classes = np.unique(labelled)
    if len(classes) < 2:
        raise DataValidationError(
            f"the labelled rows hold a single class ({classes[0]}); a classifier needs at least two",
            source="y",
        )
    return array


def held_out_share(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a random ``fraction`` of each class's labelled rows, held out for validation.

    ``labels`` are class indices with :data:`UNLABELLED` for unlabelled rows. Each class keeps at
    least one row for training and holds out at least one: ``min(n - 1, max(1, round(fraction * n)))``.
    """
    held_out = []
    for k in np.unique(labels[labels != UNLABELLED]):
        rows = np.flatnonzero(labels == k)
        n_val = min(len(rows) - 1, max(1, round(fraction * len(rows))))
        held_out.append(rng.permutation(rows)[:n_val])
    return np.sort(np.concatenate(held_out))


def cross_fitted_folds(labels: np.ndarray, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The labelled rows dealt into ``k`` stratified folds (sorted indices), one per cross-fitted model.

    Each class's rows are shuffled and dealt in turn, so every labelled row lands in exactly one
    fold; a class with fewer rows than folds lends a row to more than one fold, so that every fold
    still holds every class (a model validated on a fold then sees each class in validation, and
    trains on the class's other rows).
    """
    folds: list[list[np.ndarray]] = [[] for _ in range(k)]
    for label in np.unique(labels[labels != UNLABELLED]):
        rows = rng.permutation(np.flatnonzero(labels == label))
        for j, fold in enumerate(folds):
            dealt = rows[j::k]
            fold.append(dealt if len(dealt) else rows[[j % len(rows)]])
    return [np.sort(np.concatenate(fold)) for fold in folds]
