"""Feature scalers fitted on training rows only, in numpy, with a JSON-safe saved form.

A scaler learns its statistics in ``fit`` and never again: test rows outside the training range
map outside ``[0, 1]`` with :class:`MinMaxScaler`, which is how a detector sees that they are
unusual. Outputs are float64 arrays; the model layer casts them for torch.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from genfin.exceptions import DataValidationError, ModelFileError, NotFittedError

SCALER_NAMES = ("minmax", "standard", "power", "none")


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


class MinMaxScaler(_Scaler):
    """Scale each feature to ``[0, 1]`` over the training rows: ``(x - min) / (max - min)``.

    A constant feature is divided by 1 instead of 0, so it maps to 0 rather than NaN.

    Attributes
    ----------
    data_min_, data_max_ : numpy.ndarray
        Per-feature minimum and maximum of the training rows.
    data_range_ : numpy.ndarray
        ``data_max_ - data_min_``, with 1 for constant features.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names, when ``fit`` was given a DataFrame.
    """

    kind = "minmax"
    _state = ("data_min_", "data_max_")

    def _fit(self, values: np.ndarray) -> None:
        self.data_min_ = values.min(axis=0)
        self.data_max_ = values.max(axis=0)
        self.data_range_ = _nonzero(self.data_max_ - self.data_min_)

    def _forward(self, values: np.ndarray) -> np.ndarray:
        return (values - self.data_min_) / self.data_range_

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        return self.data_min_, self.data_range_

    def _backward(self, values: np.ndarray) -> np.ndarray:
        return values * self.data_range_ + self.data_min_


class StandardScaler(_Scaler):
    """Centre each feature on the training mean and divide by the training standard deviation.

    The standard deviation is the population one (``ddof=0``); a constant feature is divided by 1.

    Attributes
    ----------
    mean_ : numpy.ndarray
        Per-feature mean of the training rows.
    scale_ : numpy.ndarray
        Per-feature standard deviation, with 1 for constant features.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names, when ``fit`` was given a DataFrame.
    """

    kind = "standard"
    _state = ("mean_", "scale_")

    def _fit(self, values: np.ndarray) -> None:
        self.mean_ = values.mean(axis=0)
        self.scale_ = _nonzero(values.std(axis=0))

    def _forward(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean_) / self.scale_

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        return self.mean_, self.scale_

    def _backward(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale_ + self.mean_


class IdentityScaler(_Scaler):
    """Leave the data as it is, with the same checks and interface as the other scalers.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names, when ``fit`` was given a DataFrame.
    """

    kind = "none"

    def _fit(self, values: np.ndarray) -> None:
        pass

    def _forward(self, values: np.ndarray) -> np.ndarray:
        return values

    def _affine(self) -> None:
        return None

    def _backward(self, values: np.ndarray) -> np.ndarray:
        return values


class PowerScaler(_Scaler):
    """Make each feature more Gaussian with a Yeo-Johnson power transform, then standardise it.

    Skewed, heavy-tailed columns (a card amount: many small payments, a few large ones) become
    roughly normal, which is what a Gaussian model (the VAE's decoder) assumes; a generator's
    samples then keep the real column's shape instead of spilling below zero. Each column gets its
    own exponent ``lambda_`` by maximum likelihood (:func:`scipy.stats.yeojohnson_normmax`) on the
    training rows; ``lambda_ = 1`` is a plain shift, so symmetric columns are left almost as they are.

    The inverse of a power transform is not defined everywhere (for ``lambda < 0`` the transform is
    bounded above), and grows very fast towards its bounds. So :meth:`inverse_transform` first clips
    each scaled column to the range seen in ``fit`` widened by ``margin`` standard deviations (and
    at most halfway to such a bound), which keeps a generator's tail noise from turning into
    absurd values; inside that range it is exact.

    Attributes
    ----------
    lambda_ : numpy.ndarray
        Per-feature Yeo-Johnson exponent.
    mean_, scale_ : numpy.ndarray
        Mean and standard deviation of the transformed training rows (1 for a constant feature).
    low_, high_ : numpy.ndarray
        Smallest and largest scaled training value per feature, for the clipping of the inverse.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names, when ``fit`` was given a DataFrame.
    """

    kind = "power"
    _state = ("lambda_", "mean_", "scale_", "low_", "high_")
    #: Standard deviations beyond the training range that the inverse still maps exactly.
    margin = 0.5

    def _fit(self, values: np.ndarray) -> None:
        from scipy.stats import yeojohnson_normmax

        # A constant column has no shape to fit; lambda 1 leaves it a constant.
        self.lambda_ = np.array(
            [1.0 if np.ptp(column) == 0 else float(yeojohnson_normmax(column)) for column in values.T]
        )
        transformed = _yeo_johnson(values, self.lambda_)
        self.mean_ = transformed.mean(axis=0)
        self.scale_ = _nonzero(transformed.std(axis=0))
        scaled = (transformed - self.mean_) / self.scale_
        self.low_, self.high_ = scaled.min(axis=0), scaled.max(axis=0)

    def _forward(self, values: np.ndarray) -> np.ndarray:
        return (_yeo_johnson(values, self.lambda_) - self.mean_) / self.scale_

    def _affine(self) -> None:
        return None

    def _backward(self, values: np.ndarray) -> np.ndarray:
        low, high = self._inverse_limits()
        clipped = np.clip(values, low, high)
        return _inverse_yeo_johnson(clipped * self.scale_ + self.mean_, self.lambda_)

    def _inverse_limits(self) -> tuple[np.ndarray, np.ndarray]:
        """Scaled range that :meth:`inverse_transform` maps exactly; values beyond it are clipped to it.

        The training range widened by ``margin``, but never more than halfway from a training
        extreme to the point where the inverse becomes infinite (``1 / -lambda`` above for
        ``lambda < 0``, ``-1 / (lambda - 2)`` below for ``lambda > 2``, before scaling).
        """
        with np.errstate(divide="ignore"):
            top = np.where(self.lambda_ < 0, -1.0 / self.lambda_, np.inf)
            bottom = np.where(self.lambda_ > 2, 1.0 / (2.0 - self.lambda_), -np.inf)
        top, bottom = (top - self.mean_) / self.scale_, (bottom - self.mean_) / self.scale_
        high = np.minimum(self.high_ + self.margin, (self.high_ + top) / 2)
        low = np.maximum(self.low_ - self.margin, (self.low_ + bottom) / 2)
        return low, high


def _yeo_johnson(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The Yeo-Johnson transform of each column of ``x`` with its exponent in ``lam``."""
    lam = np.broadcast_to(lam, x.shape)
    out = np.empty_like(x, dtype=np.float64)
    pos, neg = x >= 0, x < 0
    for mask, sign, power in ((pos, 1.0, lam), (neg, -1.0, 2.0 - lam)):
        base, p = np.log1p(sign * x[mask]), power[mask]
        near_zero = np.abs(p) < 1e-8
        # (exp(p * log(1 + |x|)) - 1) / p, and its limit log(1 + |x|) at p = 0.
        value = np.where(near_zero, base, np.expm1(p * base) / np.where(near_zero, 1.0, p))
        out[mask] = sign * value
    return out


def _inverse_yeo_johnson(y: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_yeo_johnson`, for values inside the transform's range."""
    lam = np.broadcast_to(lam, y.shape)
    out = np.empty_like(y, dtype=np.float64)
    pos, neg = y >= 0, y < 0
    for mask, sign, power in ((pos, 1.0, lam), (neg, -1.0, 2.0 - lam)):
        v, p = sign * y[mask], power[mask]
        near_zero = np.abs(p) < 1e-8
        safe_p = np.where(near_zero, 1.0, p)
        # log(1 + |x|) = log1p(p * v) / p; clipped just inside the range where it is defined.
        inner = np.maximum(safe_p * v, -1.0 + 1e-12)
        log_base = np.where(near_zero, v, np.log1p(inner) / safe_p)
        out[mask] = sign * np.expm1(np.minimum(log_base, 700.0))
    return out


_KINDS: dict[str, type[_Scaler]] = {
    c.kind: c for c in (MinMaxScaler, StandardScaler, PowerScaler, IdentityScaler)
}


def make_scaler(name: str) -> MinMaxScaler | StandardScaler | PowerScaler | IdentityScaler:
    """Return an unfitted scaler by name.

    Parameters
    ----------
    name
        ``"minmax"``, ``"standard"``, ``"power"`` (:class:`PowerScaler`) or ``"none"`` (an
        :class:`IdentityScaler`).

    Returns
    -------
    MinMaxScaler, StandardScaler, PowerScaler or IdentityScaler
        A new, unfitted scaler.

    Raises
    ------
    ValueError
        For any other name.
    """
    if name not in _KINDS:
        raise ValueError(f"unknown scaler {name!r}; choose one of {', '.join(map(repr, SCALER_NAMES))}")
    return _KINDS[name]()  # type: ignore[return-value]


def scaler_from_dict(data: dict[str, Any]) -> MinMaxScaler | StandardScaler | PowerScaler | IdentityScaler:
    """Rebuild a fitted scaler from the dict made by its ``to_dict``.

    Parameters
    ----------
    data
        A dict with a ``"kind"`` key, as returned by ``to_dict`` (possibly through JSON).

    Returns
    -------
    MinMaxScaler, StandardScaler, PowerScaler or IdentityScaler
        The fitted scaler.

    Raises
    ------
    ModelFileError
        If the dict is not a saved scaler: unknown kind, missing keys, wrong lengths or values.
    """
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        kind = data.get("kind") if isinstance(data, dict) else None
        raise ModelFileError(f"not a saved scaler: kind {kind!r}; expected one of {list(_KINDS)}")
    scaler = _KINDS[data["kind"]]()
    try:
        n = int(data["n_features_in"])
        arrays = {attr: np.asarray(data[attr.rstrip("_")], dtype=np.float64) for attr in scaler._state}
        names = data.get("feature_names_in")
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"saved {data['kind']!r} scaler is incomplete or malformed: {exc!r}") from exc
    for attr, values in arrays.items():
        if values.shape != (n,) or not np.isfinite(values).all():
            raise ModelFileError(
                f"saved {data['kind']!r} scaler: {attr.rstrip('_')!r} must be {n} finite numbers, "
                f"got shape {values.shape}"
            )
    if names is not None and len(names) != n:
        raise ModelFileError(f"saved scaler: {len(names)} feature names for {n} features")
    scaler.n_features_in_ = n
    if names is not None:
        scaler.feature_names_in_ = np.asarray(names, dtype=object)
    for attr, values in arrays.items():
        setattr(scaler, attr, values)
    if isinstance(scaler, MinMaxScaler):
        scaler.data_range_ = _nonzero(scaler.data_max_ - scaler.data_min_)
    return scaler  # type: ignore[return-value]


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
