"""The Yeo-Johnson power scaler, which makes skewed feature columns more Gaussian, in numpy.

A separate idea from the linear scalers in :mod:`genfin.data.scaling`: it fits a per-column exponent
by maximum likelihood (with scipy) and its inverse has to be clipped. Fitted on training rows only,
with the same checks and JSON-safe saved form as the other scalers.
"""

from __future__ import annotations

import numpy as np

from genfin.data._scaler_base import _nonzero, _Scaler


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
