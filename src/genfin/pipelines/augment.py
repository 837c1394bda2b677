"""Augmenting the training rows of a rare class (fraud) with synthetic rows: a VAE, SMOTE, or nothing.

Augmentation belongs to training only: split first, then augment the training rows, and test on
real rows the augmenter never saw. Synthetic rows in a test set would measure how well a classifier
recognises the generator, not fraud.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any

import numpy as np
import pandas as pd

from genfin.exceptions import DataValidationError
from genfin.models.vae import VAE
from genfin.training.device import fork_rng_seed

__all__ = ["METHODS", "augment", "conform_samples"]

#: The values of ``augment(method=...)``.
METHODS = ("vae", "smote", "none")

#: The class that is augmented: frauds, as the labels of every genfin loader mark them.
MINORITY = 1

_log = logging.getLogger(__name__)

# imbalanced-learn's SMOTE default; a class needs one row more than this many neighbours.
_SMOTE_K_NEIGHBORS = 5


def augment(
    X: Any,
    y: Any,
    *,
    method: str = "vae",
    ratio: float = 1.0,
    random_state: int | np.random.Generator | None = None,
    return_mask: bool = False,
    **model_params: Any,
) -> tuple[Any, Any] | tuple[Any, Any, np.ndarray]:
    """Add synthetic fraud rows (label 1) to training rows until frauds are ``ratio`` times the normal rows.

    Call it on the TRAINING rows only, after splitting (e.g. with
    :func:`genfin.data.stratified_split`), and evaluate on held-out real rows.

    The original rows come first, unchanged and in their order; the synthetic rows follow, all
    labelled 1. Synthetic values are put in the schema of ``X`` by :func:`conform_samples`: integer
    columns rounded, and values below 0 clipped to 0 in columns where ``X`` has no negative value
    (how many is logged at INFO level on this module's logger).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_rows, n_features)
        Training features, numbers only, no missing values.
    y : Series or array-like of shape (n_rows,)
        Labels 0 (normal) and 1 (fraud), paired with the rows of ``X`` by position. Both classes must
        be present.
    method : {"vae", "smote", "none"}, default="vae"
        ``"vae"`` fits :class:`genfin.VAE` (tabular, scaled, the book's network unless
        ``model_params`` say otherwise) on the fraud rows only and samples new rows from its prior.
        ``"smote"`` uses imbalanced-learn's ``SMOTE`` (``pip install imbalanced-learn``), which
        interpolates between a fraud row and one of its fraud neighbours. ``"none"`` adds nothing
        and returns copies, for a baseline in the same code path.
    ratio : float, default=1.0
        Wanted ratio of fraud rows to normal rows after augmentation, in ``(0, 1]``: the meaning of
        imbalanced-learn's float ``sampling_strategy``. Frauds become ``round(ratio * n_normal)``
        rows, so ``1.0`` balances the classes and ``0.25`` gives one fraud per four normal rows
        (a fifth of all rows). It must be at least the present ratio: augmentation only adds rows.
        Not used by ``"none"``, but checked all the same, so that swapping methods fails alike.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the VAE's training and sampling, or SMOTE; the same integer gives the same rows.
    return_mask : bool, default=False
        Also return a boolean array, True for the appended synthetic rows.
    **model_params
        Hyperparameters of the generator: of :class:`genfin.VAE` for ``"vae"`` (``epochs``,
        ``hidden_layer_sizes``, ``latent_dim``, ...), of ``imblearn.over_sampling.SMOTE`` for
        ``"smote"`` (``k_neighbors``). ``random_state`` and ``sampling_strategy`` are set from
        this function's arguments; ``"none"`` takes none.

    Returns
    -------
    X_aug : DataFrame or numpy.ndarray
        ``X`` followed by the synthetic rows: a DataFrame keeps its columns, dtypes and index; the
        synthetic rows get integer labels after the largest one (``"synthetic-0"``, ... when the
        index is not integer). An array keeps its dtype.
    y_aug : Series or numpy.ndarray
        ``y`` followed by ones: a Series keeps its name, dtype and index (extended as for ``X``).
    is_synthetic : numpy.ndarray of bool
        Only with ``return_mask=True``: True for the appended rows.

    Raises
    ------
    DataValidationError
        If ``X`` and ``y`` differ in length, ``X`` is not 2-D numbers or has missing or infinite
        values, ``y`` holds anything but 0 and 1 or lacks a class, there are too few fraud rows to
        fit the generator, or the frauds already exceed ``ratio``.
    ValueError, TypeError
        For an unknown method, a ratio outside ``(0, 1]`` or not a number, or model parameters
        that this function sets or the method does not take.
    ImportError
        For ``"smote"`` without imbalanced-learn installed.

    Examples
    --------
    >>> from genfin.data import make_transactions, stratified_split
    >>> X, y = make_transactions(2000, fraud_rate=0.02, random_state=0)
    >>> X_train, X_test, y_train, y_test = stratified_split(X, y, random_state=0)
    >>> X_aug, y_aug = augment(X_train, y_train, method="vae", ratio=0.5, epochs=2, random_state=0)
    >>> int(y_aug.sum()) == round(0.5 * int((y_train == 0).sum()))
    True
    """
    # Every check runs before any model is built or fitted.
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    ratio = _check_ratio(ratio)
    values, labels = _check_rows(X, y)
    n_minority = int((labels == MINORITY).sum())
    n_majority = len(labels) - n_minority
    target = round(ratio * n_majority)
    n_new = 0 if method == "none" else target - n_minority
    if n_new < 0:
        raise DataValidationError(
            f"the {n_minority:,} fraud rows are already {n_minority / n_majority:.4g} times the "
            f"{n_majority:,} normal rows, more than ratio={ratio:g}; augmentation only adds rows, so ask "
            f"for a ratio of at least {n_minority / n_majority:.4g}",
            source="y",
        )
    _check_model_params(method, model_params, n_minority)
    SMOTE = _import_smote() if method == "smote" else None

    rng = np.random.default_rng(random_state)
    if n_new == 0:
        new_rows = np.empty((0, values.shape[1]))
    elif method == "vae":
        fit_seed, sample_seed = fork_rng_seed(rng), fork_rng_seed(rng)
        params = {"kind": "tabular", **model_params, "random_state": fit_seed}
        vae = VAE(**params).fit(values[labels == MINORITY])
        new_rows = np.asarray(vae.sample(n_new, random_state=sample_seed), dtype=np.float64)
    else:
        smote = SMOTE(
            sampling_strategy={MINORITY: n_minority + n_new}, random_state=fork_rng_seed(rng), **model_params
        )
        resampled, _ = smote.fit_resample(values, labels)
        # SMOTE returns the input rows first, then the new ones; only the new ones are taken, so the
        # original rows are returned exactly as given (not round-tripped through float64).
        new_rows = resampled[len(values) :]

    reference = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    synthetic, clipped = conform_samples(pd.DataFrame(new_rows, columns=reference.columns), reference)
    for column, count in clipped.items():
        _log.info("augment: clipped %d of %d synthetic values of column %r", count, n_new, column)
    X_aug = _append_rows(X, synthetic)
    y_aug = _append_labels(y, n_new)
    if return_mask:
        return X_aug, y_aug, np.r_[np.zeros(len(labels), dtype=bool), np.ones(n_new, dtype=bool)]
    return X_aug, y_aug


def conform_samples(samples: pd.DataFrame, reference: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Put generated values in the schema of real ones: dtypes restored, impossible signs clipped.

    Parameters
    ----------
    samples : DataFrame
        Generated values (any numeric dtype), with the columns of ``reference`` (any order).
    reference : DataFrame
        The real rows, with the dtypes wanted.

    Returns
    -------
    conformed : DataFrame
        ``samples`` with the columns in the order of ``reference`` and its dtypes: integer columns
        rounded to the nearest integer (and clipped to the dtype's range), boolean columns true at
        0.5 and above, float columns cast; columns held as text become float64.
    clipped : dict of str to int
        For each column where values were clipped, how many: values below 0 in a column whose real
        values are all >= 0 are set to 0 (a generator knows nothing of signs: it gives negative
        amounts), and values beyond the range of an integer dtype are set to its bound.
    """
    out: dict[Any, np.ndarray] = {}
    clipped: dict[str, int] = {}
    for column in reference.columns:
        real = reference[column]
        values = samples[column].to_numpy(dtype=np.float64, copy=True)
        numbers_ = real if pd.api.types.is_numeric_dtype(real.dtype) else pd.to_numeric(real, errors="coerce")
        low, high = -np.inf, np.inf
        if len(numbers_) and (numbers_ >= 0).all():
            low = 0.0
        dtype = real.dtype
        if pd.api.types.is_bool_dtype(dtype):
            out[column] = values >= 0.5
            continue
        if pd.api.types.is_integer_dtype(dtype):
            info = np.iinfo(dtype.numpy_dtype if hasattr(dtype, "numpy_dtype") else dtype)
            low, high = max(low, float(info.min)), float(info.max)
            values = np.round(values)
        n_clipped = int(((values < low) | (values > high)).sum())
        if n_clipped:
            clipped[str(column)] = n_clipped
            values = np.clip(values, low, high)
        numeric_dtype = pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)
        # pandas' nullable dtypes (Int64, Float64 from Parquet) need pandas' astype, not numpy's.
        out[column] = pd.Series(values).astype(dtype).array if numeric_dtype else values
    return pd.DataFrame(out, columns=reference.columns, index=samples.index), clipped


# ---------------------------------------------------------------------------- checks


def _check_ratio(ratio: Any) -> float:
    if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real):
        raise TypeError(f"ratio must be a number in (0, 1] (frauds per normal row), got {ratio!r}")
    if not (np.isfinite(ratio) and 0 < ratio <= 1):
        raise ValueError(
            f"ratio must be in (0, 1]: the wanted number of fraud rows per normal row after augmentation "
            f"(1.0 balances the classes), got {ratio!r}"
        )
    return float(ratio)


def _check_rows(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as a finite float64 array and ``y`` as 0/1 int64 labels, after every input check."""
    if isinstance(X, pd.DataFrame):
        if isinstance(X.index, pd.MultiIndex):
            raise DataValidationError("a MultiIndex is not supported; reset_index() first", source="X")
        text = [str(c) for c, dtype in X.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
        if text:
            raise DataValidationError(
                f"non-numeric column(s) {text}; convert or drop them first", source="X", column=text[0]
            )
        values = X.to_numpy(dtype=np.float64, na_value=np.nan)
        names = [str(c) for c in X.columns]
    else:
        raw = np.asarray(X)
        if raw.dtype.kind not in "biuf":
            raise DataValidationError(f"must hold numbers, got dtype {raw.dtype}", source="X")
        values = raw.astype(np.float64)
        names = [str(i) for i in range(values.shape[1])] if values.ndim == 2 else []
    if values.ndim != 2 or values.shape[1] == 0:
        raise DataValidationError(
            f"must be 2-D (n_rows, n_features) with at least one feature, got shape {values.shape}",
            source="X",
        )
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise DataValidationError(f"must be 1-D, got shape {labels.shape}", source="y")
    if len(labels) != len(values):
        raise DataValidationError(f"y has {len(labels):,} rows but X has {len(values):,}", source="y")
    finite = np.isfinite(values)
    if not finite.all():
        row, col = np.argwhere(~finite)[0]
        raise DataValidationError(
            "missing or infinite value; genfin does not impute",
            source="X",
            column=names[col],
            row=int(row) + 1,
        )
    numbers_ = pd.to_numeric(pd.Series(labels), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isin(numbers_, (0.0, 1.0))
    if bad.any():
        row = int(np.argmax(bad))
        value = labels[row].item() if isinstance(labels[row], np.generic) else labels[row]
        raise DataValidationError(
            f"label {value!r} is not 0 or 1; augment takes 0 (normal) and 1 (fraud) labels",
            source="y",
            row=row + 1,
        )
    labels = numbers_.astype(np.int64)
    n_minority = int(labels.sum())
    if n_minority == 0:
        raise DataValidationError(
            "no fraud rows (label 1): there is nothing to learn new frauds from", source="y"
        )
    if n_minority == len(labels):
        raise DataValidationError("no normal rows (label 0): every row is a fraud", source="y")
    return values, labels


def _check_model_params(method: str, params: dict[str, Any], n_minority: int) -> None:
    if method == "none":
        if params:
            raise TypeError(f"method='none' takes no model parameters, got {sorted(params)}")
        return
    owned = {"random_state"} | ({"sampling_strategy"} if method == "smote" else set())
    clash = sorted(owned & params.keys())
    if clash:
        raise TypeError(f"augment sets {clash} itself (from random_state and ratio); do not pass them")
    if method == "vae":
        if params.get("kind", "tabular") != "tabular":
            raise ValueError(f"augment works on tabular rows; kind must be 'tabular', got {params['kind']!r}")
        if n_minority < 2:
            raise DataValidationError(
                f"only {n_minority} fraud row; the VAE needs at least 2 to learn from", source="y"
            )
        return
    k = params.get("k_neighbors", _SMOTE_K_NEIGHBORS)
    if isinstance(k, numbers.Integral) and n_minority <= k:
        raise DataValidationError(
            f"only {n_minority} fraud row(s); SMOTE with k_neighbors={k} needs at least {k + 1} "
            "(pass a smaller k_neighbors)",
            source="y",
        )


def _import_smote() -> Any:
    try:
        from imblearn.over_sampling import SMOTE
    except ImportError as exc:
        raise ImportError(
            "method='smote' needs imbalanced-learn: pip install 'genfin[augment]' "
            "(or pip install imbalanced-learn)"
        ) from exc
    return SMOTE


# ---------------------------------------------------------------------------- output


def _new_labels(index: pd.Index, n_new: int) -> pd.Index:
    """Index labels of appended rows: integers after the largest, else ``"synthetic-0"``, ..."""
    if pd.api.types.is_integer_dtype(index.dtype):
        start = int(index.max()) + 1 if len(index) else 0
        return pd.RangeIndex(start, start + n_new)
    return pd.Index([f"synthetic-{i}" for i in range(n_new)], dtype=object)


def _append_rows(X: Any, synthetic: pd.DataFrame) -> Any:
    if isinstance(X, pd.DataFrame):
        synthetic = synthetic.set_axis(_new_labels(X.index, len(synthetic)), axis=0)
        # Not pd.concat: with no new rows it would still go through concat's dtype rules; copy() is exact.
        return X.copy() if synthetic.empty else pd.concat([X, synthetic], axis=0)
    original = np.asarray(X)
    return np.concatenate([original, synthetic.to_numpy(dtype=original.dtype)], axis=0)


def _append_labels(y: Any, n_new: int) -> Any:
    if isinstance(y, pd.Series):
        ones = pd.Series(np.ones(n_new), index=_new_labels(y.index, n_new), name=y.name).astype(y.dtype)
        return y.copy() if n_new == 0 else pd.concat([y, ones])
    original = np.asarray(y)
    return np.concatenate([original, np.ones(n_new, dtype=original.dtype)])
