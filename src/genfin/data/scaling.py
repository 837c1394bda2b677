"""Feature scalers fitted on training rows only, in numpy, with a JSON-safe saved form.

A scaler learns its statistics in ``fit`` and never again: test rows outside the training range
map outside ``[0, 1]`` with :class:`MinMaxScaler`, which is how a detector sees that they are
unusual. Outputs are float64 arrays; the model layer casts them for torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genfin.data._scaler_base import _nonzero, _Scaler
from genfin.data.power_scaling import PowerScaler
from genfin.exceptions import ModelFileError

SCALER_NAMES = ("minmax", "standard", "power", "none")


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
