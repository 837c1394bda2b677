"""Checks of in-memory inputs (arrays and DataFrames) before an estimator does any work."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from genfin.exceptions import DataValidationError, NotFittedError


class EstimatorNotFittedError(NotFittedError, _SklearnNotFittedError):
    """genfin's ``NotFittedError`` that is also scikit-learn's, so code written for either catches it.

    Defined here rather than in ``genfin.exceptions`` so that the data layer does not import
    scikit-learn.
    """


def check_is_fitted(estimator: Any, attribute: str = "module_") -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attribute``."""
    if not hasattr(estimator, attribute):
        raise EstimatorNotFittedError(
            f"this {type(estimator).__name__} is not fitted yet; call fit(X) first or load a saved model"
        )


def feature_names_of(X: Any) -> list[str] | None:
    """Column names of a DataFrame as strings, else ``None``."""
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return None


def check_features(
    X: Any,
    *,
    n_features: int | None = None,
    feature_names: list[str] | None = None,
    name: str = "X",
    owner: str = "the model",
) -> np.ndarray:
    """Return ``X`` as a 2-D float32 array after checking it; raise one clear error otherwise.

    Parameters
    ----------
    X
        Array-like or DataFrame of shape (n_rows, n_features).
    n_features, feature_names
        What the fitted estimator expects; ``None`` at fit time.
    name
        What to call the input in messages.
    owner
        What to call the estimator in messages.
    """
    if sparse.issparse(X):
        raise TypeError(f"{name}: sparse input is not supported; convert it with X.toarray() first")
    if isinstance(X, pd.DataFrame):
        if feature_names is not None:
            got = feature_names_of(X)
            if got != feature_names:
                missing = [c for c in feature_names if c not in got]
                extra = [c for c in got if c not in feature_names]
                detail = "; ".join(
                    part
                    for part in (
                        f"missing {missing}" if missing else "",
                        f"unexpected {extra}" if extra else "",
                        "same columns in another order" if not missing and not extra else "",
                    )
                    if part
                )
                raise DataValidationError(
                    f"columns differ from those the model was fitted on ({detail})", source=name
                )
        non_numeric = [str(c) for c, dtype in X.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
        if non_numeric:
            raise DataValidationError(
                f"non-numeric column(s) {non_numeric}; convert or drop them first",
                source=name,
                column=non_numeric[0],
            )
        index = X.index
        array = X.to_numpy(dtype=np.float32)
    else:
        index = None
        raw = np.asarray(X)
        if raw.dtype.kind == "c":
            raise DataValidationError("Complex data not supported; pass real numbers", source=name)
        try:
            array = raw.astype(np.float32)
        except TypeError as exc:
            raise TypeError(f"{name}: cannot be read as numbers ({exc})") from exc
        except ValueError as exc:
            raise DataValidationError(f"cannot be read as numbers ({exc})", source=name) from exc
    if array.ndim != 2:
        raise DataValidationError(
            f"expected a 2-D array of shape (n_rows, n_features), got shape {array.shape}"
            + ("; Reshape your data: X.reshape(1, -1) for a single row" if array.ndim == 1 else ""),
            source=name,
        )
    if array.shape[0] == 0:
        raise DataValidationError(
            f"has 0 sample(s) (shape={array.shape}) while a minimum of 1 is required.", source=name
        )
    if array.shape[1] == 0:
        raise DataValidationError(
            f"has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required.", source=name
        )
    if n_features is not None and array.shape[1] != n_features:
        raise DataValidationError(
            f"{name} has {array.shape[1]} features, but {owner} is expecting {n_features} features as input "
            f"(it was fitted on {n_features}; got shape {array.shape})"
        )
    finite = np.isfinite(array)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        column = (feature_names or feature_names_of(X) or [None] * array.shape[1])[col]
        where = f"index {index[row]!r}" if index is not None else f"row index {row}"
        raise DataValidationError(
            f"contains NaN or inf values (first at {where}, feature {col}); "
            "impute or remove them before fitting or scoring",
            source=name,
            column=column,
        )
    return array


def check_labels(y: Any, n_rows: int, *, allowed: tuple[int, ...] = (0, 1), name: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-D int64 array of ``n_rows`` labels from ``allowed``."""
    array = np.asarray(y)
    if array.ndim != 1:
        array = array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise DataValidationError(f"expected {n_rows} labels, got shape {np.shape(y)}", source=name)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise DataValidationError(
            f"contains NaN or inf (first at row index {int(np.argmin(np.isfinite(array)))})", source=name
        )
    bad = ~np.isin(array, allowed)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataValidationError(
            f"labels must be one of {list(allowed)}; row index {row} holds {array[row]!r}", source=name
        )
    return array.astype(np.int64)


def check_images(
    images: Any, *, image_shape: tuple[int, int] | None = None, owner: str = "the model"
) -> tuple[np.ndarray, tuple[int, int]]:
    """Check ``images`` and return them as ``float32`` rows of pixels in [0, 1], with the image shape.

    Every check runs before the (possibly large) conversion, and each error says which image is
    wrong and how.
    """
    array = np.asarray(images)
    if array.dtype.kind not in "biuf":
        raise DataValidationError(
            f"pixel values must be numbers (uint8 0..255 or floats in [0, 1]), got dtype {array.dtype}",
            source="images",
        )
    shape = array.shape
    expected = "(n, height, width), (n, 1, height, width) or flattened (n, height * width)"
    if array.ndim == 4 and shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 3:
        found = (int(array.shape[1]), int(array.shape[2]))
        if image_shape is not None and found != tuple(image_shape):
            raise DataValidationError(
                f"images are {found[0]} x {found[1]} pixels, but {owner} was fitted on "
                f"{image_shape[0]} x {image_shape[1]} (got shape {shape})",
                source="images",
            )
        image_shape = found
    elif array.ndim == 2:
        width = int(array.shape[1])
        if image_shape is None:
            side = int(round(width**0.5))
            if side * side != width or width == 0:
                raise DataValidationError(
                    f"flattened images need a square number of pixels, got {width} per row (shape {shape}); "
                    "pass non-square images as (n, height, width), and a single image as images[None]",
                    source="images",
                )
            image_shape = (side, side)
        elif width != image_shape[0] * image_shape[1]:
            hint = (
                "; a single image needs a leading axis: images[None]" if shape == tuple(image_shape) else ""
            )
            raise DataValidationError(
                f"rows of {width} pixels, but {owner} was fitted on {image_shape[0]} x {image_shape[1]} "
                f"images ({image_shape[0] * image_shape[1]} pixels; got shape {shape}){hint}",
                source="images",
            )
    else:
        hint = "; a single flattened image needs a leading axis: images[None]" if array.ndim == 1 else ""
        raise DataValidationError(
            f"expected images of shape {expected}, got shape {shape}{hint}", source="images"
        )
    if array.shape[0] == 0 or image_shape[0] == 0 or image_shape[1] == 0:
        raise DataValidationError(f"no images or no pixels (shape {shape})", source="images")

    rows = array.reshape(array.shape[0], -1)
    if rows.dtype.kind == "f":
        finite = np.isfinite(rows)
        if not finite.all():
            image = int(np.argmin(finite.all(axis=1)))
            raise DataValidationError(
                f"image {image} contains NaN or infinite pixel values; replace or drop it", source="images"
            )
        low, high = 0.0, 1.0
    elif rows.dtype.kind == "b":
        low, high = 0, 1
    else:
        low, high = 0, 255
    outside = (rows < low) | (rows > high) if rows.dtype != np.uint8 else None
    if outside is not None and outside.any():
        image = int(np.argmax(outside.any(axis=1)))
        values = rows[image][outside[image]]
        hint = "; divide 0..255 pixel values by 255, or pass them as uint8" if rows.dtype.kind == "f" else ""
        raise DataValidationError(
            f"pixel values must be in [{low}, {high}], but image {image} holds {values.min()}..{values.max()}"
            f"{hint}",
            source="images",
        )
    pixels = rows.astype(np.float32)  # always a copy, so the caller's array is never modified
    if rows.dtype.kind in "iu":
        pixels /= np.float32(255.0)
    return pixels, image_shape


def check_codes(codes: Any, latent_dim: int) -> np.ndarray:
    array = np.asarray(codes)
    if array.dtype.kind not in "iuf":
        raise DataValidationError(f"codes must be numbers, got dtype {array.dtype}", source="codes")
    if array.ndim == 1 and array.shape[0] == latent_dim:
        hint = "; for a single code use codes[None]"
    else:
        hint = ""
    if array.ndim != 2 or array.shape[1] != latent_dim or array.shape[0] == 0:
        raise DataValidationError(
            f"expected codes of shape (n, {latent_dim}), got shape {array.shape}{hint}", source="codes"
        )
    array = array.astype(np.float32)
    finite = np.isfinite(array)
    if not finite.all():
        raise DataValidationError(
            f"code {int(np.argmin(finite.all(axis=1)))} contains NaN or infinite values", source="codes"
        )
    return array


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (Python or numpy int or float; bools not)."""
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def is_positive_int(value: Any, minimum: int = 1) -> bool:
    """Whether ``value`` is an int (numpy ints too, bools not) of at least ``minimum``."""
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= minimum


def check_rows_or_images(
    X: Any, kind: str
) -> tuple[str, np.ndarray, tuple[int, int] | None, list[str] | None]:
    """Check the training input of an estimator that takes table rows or images.

    ``kind="auto"`` decides from the input: a DataFrame or a 2-D array is tabular, a 3-D
    ``(n, height, width)`` or 4-D ``(n, 1, height, width)`` array holds images (flattened images
    need ``kind="image"``).

    Returns
    -------
    tuple
        ``(kind, rows, image_shape, feature_names)``: ``"tabular"`` or ``"image"``, the float32
        rows (pixels in [0, 1] for images), ``(height, width)`` or None, and the column names of a
        DataFrame or None.
    """
    if kind == "auto":
        # np.asarray, not np.ndim: array-likes that only offer __array__ must work too.
        is_image = not isinstance(X, pd.DataFrame) and np.asarray(X).ndim in (3, 4)
        kind = "image" if is_image else "tabular"
    if kind == "image":
        rows, image_shape = check_images(X)
        return kind, rows, image_shape, None
    return kind, check_features(X), None, feature_names_of(X)
