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
