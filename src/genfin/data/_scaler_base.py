"""The base class every scaler shares: input checks, fitted-state handling and the saved form.

Kept apart from the scalers so that :mod:`genfin.data.power_scaling` can build on it without
importing :mod:`genfin.data.scaling`, whose factories import the power scaler: no import cycle.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from genfin.exceptions import DataValidationError, NotFittedError


class _Scaler:
    """Shared input checks, fitted-state handling and (de)serialisation of the scalers."""

    kind: ClassVar[str]
    #: Fitted per-feature arrays, as saved by ``to_dict``.
    _state: ClassVar[tuple[str, ...]] = ()

    def fit(self, X: Any) -> Self:
        """Learn the statistics of the training rows ``X``.

        Parameters
        ----------
        X
            Array-like or DataFrame of shape ``(n_samples, n_features)``, finite numbers.

        Returns
        -------
        self
            The fitted scaler.

        Raises
        ------
        DataValidationError
            If ``X`` is not 2-D, has no rows, or holds a missing, infinite or non-numeric value.
        """
        values = _as_matrix(X, "X")
        names = _column_names(X)
        self._fit(values)
        self.n_features_in_ = values.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Scale ``X`` with the statistics learnt in ``fit``.

        Parameters
        ----------
        X
            Array-like or DataFrame with the number of features seen in ``fit``.

        Returns
        -------
        numpy.ndarray
            Float64 array of the same shape.

        Raises
        ------
        NotFittedError
            If the scaler has not been fitted.
        DataValidationError
            If ``X`` has the wrong number of features or bad values.
        """
        return self._forward(self._checked(X))

    def transform_float32(self, values: np.ndarray) -> np.ndarray:
        """Scale a float32 array that the caller has already checked, computing in float32.

        The fast path of the models' scoring: no float64 copy and no second scan for NaN. Agrees
        with ``transform(values).astype(np.float32)`` to float32 rounding. Always returns a new,
        writable array.

        Raises
        ------
        NotFittedError
            If the scaler has not been fitted.
        DataValidationError
            If ``values`` is not a 2-D float32 array of the fitted width.
        """
        self._check_fitted()
        if values.dtype != np.float32 or values.ndim != 2 or values.shape[1] != self.n_features_in_:
            raise DataValidationError(
                f"expected a float32 array of shape (n_samples, {self.n_features_in_}), "
                f"got {values.dtype} {values.shape}",
                source="X",
            )
        affine = self._affine()
        if affine is None:
            return self._forward(values.astype(np.float64)).astype(np.float32)
        shift, divisor = affine
        return (values - shift.astype(np.float32)) / divisor.astype(np.float32)

    def _affine(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(shift, divisor)`` with ``transform(X) == (X - shift) / divisor``; None for identity."""
        raise NotImplementedError

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Map scaled values back to the original units.

        Parameters
        ----------
        X
            Scaled array-like with the number of features seen in ``fit``.

        Returns
        -------
        numpy.ndarray
            Float64 array in the original units.

        Raises
        ------
        NotFittedError
            If the scaler has not been fitted.
        DataValidationError
            If ``X`` has the wrong number of features or bad values.
        """
        return self._backward(self._checked(X))

    def fit_transform(self, X: Any) -> np.ndarray:
        """Fit on ``X`` and return it scaled.

        Parameters
        ----------
        X
            Training rows, as for :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            ``X`` scaled, float64.
        """
        return self.fit(X).transform(X)

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted scaler as a JSON-safe dict, rebuilt by :func:`scaler_from_dict`.

        Returns
        -------
        dict
            ``{"kind": ..., "n_features_in": ..., "feature_names_in": [...] or None, ...}`` with the
            fitted statistics as lists of floats.

        Raises
        ------
        NotFittedError
            If the scaler has not been fitted.
        """
        self._check_fitted()
        names = getattr(self, "feature_names_in_", None)
        out: dict[str, Any] = {
            "kind": self.kind,
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": None if names is None else [str(n) for n in names],
        }
        for attr in self._state:
            out[attr.rstrip("_")] = [float(v) for v in getattr(self, attr)]
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _checked(self, X: Any) -> np.ndarray:
        self._check_fitted()
        values = _as_matrix(X, "X", allow_empty=True)
        if values.shape[1] != self.n_features_in_:
            raise DataValidationError(
                f"expected shape (n_samples, {self.n_features_in_}) as in fit, got {values.shape}",
                source="X",
            )
        names = getattr(self, "feature_names_in_", None)
        given = _column_names(X)
        if names is not None and given is not None and list(given) != list(names):
            wrong = next(i for i, (a, b) in enumerate(zip(given, names, strict=True)) if a != b)
            raise DataValidationError(
                f"columns differ from those seen in fit: expected {list(names)}, got {list(given)}",
                source="X",
                column=str(given[wrong]),
            )
        return values

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _fit(self, values: np.ndarray) -> None:
        raise NotImplementedError

    def _forward(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _backward(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _nonzero(spread: np.ndarray) -> np.ndarray:
    return np.where(spread > 0, spread, 1.0)


def _column_names(X: Any) -> np.ndarray | None:
    if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
        return np.asarray(X.columns, dtype=object)
    return None


def _as_matrix(X: Any, source: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``X`` as a finite 2-D float64 array, or raise naming the first bad cell."""
    if isinstance(X, pd.Series):
        raise DataValidationError("expected a 2-D table, got a Series; use X.to_frame()", source=source)
    columns = list(X.columns) if isinstance(X, pd.DataFrame) else None
    try:
        values = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"values are not all numbers: {exc}", source=source) from exc
    if values.ndim != 2:
        raise DataValidationError(
            f"expected a 2-D array of shape (n_samples, n_features), got shape {values.shape}",
            source=source,
        )
    if values.shape[0] == 0 and not allow_empty:
        raise DataValidationError("no rows to fit on", source=source)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argmax(~finite.all(axis=1)))
        col = int(np.argmax(~finite[row]))
        what = "missing value (NaN)" if np.isnan(values[row, col]) else "infinite value"
        raise DataValidationError(
            what,
            source=source,
            column=str(columns[col]) if columns is not None else f"index {col}",
            row=row + 1,
        )
    return values
