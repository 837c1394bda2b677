"""Two-dimensional maps of latent codes: t-SNE (openTSNE), UMAP (umap-learn, optional) and PCA.

:func:`embed` turns an ``(n, d)`` array of codes into a :class:`LatentMap` whose ``coords`` are
``(n, 2)``. Large inputs are fitted on a random subsample of ``max_fit_samples`` rows and the other
rows are *placed* into that fitted map with the method's own out-of-sample transform, which bounds
memory and the cost of the fit; for t-SNE the placement is itself an optimisation (250 iterations
against the fixed map), so it is cheaper per row than fitting but not free.
The same :meth:`LatentMap.transform` places codes that arrive later (new transactions, generated
samples) into an existing map without moving the points already there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from genfin.exceptions import DataValidationError, NotFittedError

__all__ = ["METHODS", "LatentMap", "embed"]

#: The map methods :func:`embed` understands.
METHODS = ("tsne", "umap", "pca")

# Fewer rows than this cannot make a neighbourhood map worth looking at, and t-SNE's perplexity
# calibration and UMAP's graph both degenerate below it.
_MIN_ROWS = 5

# openTSNE's own "auto" rule: below ~10,000 points the FFT interpolation grid (whose size follows the
# map's extent, not the number of points) costs far more per iteration than Barnes-Hut; measured here,
# 300 points took ~1 s with Barnes-Hut and ~10-30 s with FFT. Above it FFT wins and scales linearly.
_FFT_MIN_SAMPLES = 10_000

# Up to this many code dimensions, t-SNE's 3 * perplexity neighbours are found exactly (scikit-learn)
# rather than with openTSNE's default Annoy index: on 28,481 12-D codes exact search took 3.5 s of CPU
# against Annoy's 20 s, and it is exact and deterministic. Annoy pays off only for wide data.
_EXACT_NEIGHBOURS_MAX_DIMS = 32

# openTSNE's defaults, restated so that params records what was actually run.
_TSNE_EARLY_EXAGGERATION_ITER = 250
_TSNE_EARLY_EXAGGERATION = 12.0
_TSNE_N_ITER = 500


# eq=False: a generated __eq__ would compare the coordinate arrays with ``==`` and fail on truthiness.
@dataclass(eq=False)
class LatentMap:
    """A 2-D map of latent codes, with the fitted model that can place new codes into it.

    Attributes
    ----------
    coords
        ``(n, 2)`` float64 map coordinates, one row per input code, in input order.
    method
        ``"tsne"``, ``"umap"`` or ``"pca"``.
    fit_indices
        Sorted row indices (into the codes given to :func:`embed`) that the map was fitted on. All
        rows unless the input had more than ``max_fit_samples`` rows; the others were placed with
        :meth:`transform`.
    params
        What was actually run: the method's settings after any clamping (``perplexity``,
        ``n_neighbors``), the requested values where they differ, the numbers of rows fitted and
        placed, the seed handed to the backend, and the library versions.
    model
        The fitted backend object: an ``openTSNE.TSNEEmbedding``, a ``umap.UMAP`` or a
        ``sklearn.decomposition.PCA``. ``None`` for a map rebuilt from saved coordinates, which
        cannot place new codes.
    """

    coords: np.ndarray
    method: str
    fit_indices: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def n_fitted(self) -> int:
        """Number of rows the map was fitted on (the rest were placed by ``transform``)."""
        return int(len(self.fit_indices))

    def transform(self, new_codes: ArrayLike) -> np.ndarray:
        """Place new codes into this map without moving the points already in it.

        Parameters
        ----------
        new_codes
            ``(m, d)`` array with the same number of columns ``d`` as the codes the map was fitted on.

        Returns
        -------
        numpy.ndarray
            ``(m, 2)`` float64 coordinates in the same frame as :attr:`coords`.

        Raises
        ------
        NotFittedError
            When the map carries no fitted model.
        DataValidationError
            When ``new_codes`` is not a finite 2-D array with ``d`` columns.
        """
        if self.model is None:
            raise NotFittedError(
                f"this {self.method} map has no fitted model (it was rebuilt from saved coordinates); "
                "call genfin.latent.embed on the codes again to place new points"
            )
        codes = as_finite_matrix(new_codes, name="new_codes", min_rows=1)
        n_features = self.params.get("n_features")
        if n_features is not None and codes.shape[1] != n_features:
            raise DataValidationError(
                f"expected {n_features} columns (the map was fitted on {n_features}-D codes), "
                f"got shape {codes.shape}",
                source="new_codes",
            )
        return _place(self.method, self.model, codes)


def embed(
    codes: ArrayLike,
    method: str = "tsne",
    *,
    perplexity: float = 30.0,
    n_neighbors: int = 15,
    max_fit_samples: int = 50_000,
    n_iter: int | None = None,
    random_state: int | np.random.Generator | None = None,
    n_jobs: int = 2,
    verbose: bool = False,
) -> LatentMap:
    """Map latent codes to two dimensions with t-SNE, UMAP or PCA.

    t-SNE runs through openTSNE with its recommended settings: PCA initialisation, perplexity-based
    affinities, early exaggeration 12 for 250 iterations, then ``n_iter`` plain iterations, learning
    rate ``"auto"`` (N divided by the exaggeration, after Belkina et al. 2019). The negative gradient
    is FFT-accelerated interpolation when 10,000 or more rows are fitted and Barnes-Hut below that,
    where it is many times faster (openTSNE's own rule). Nearest neighbours are exact for codes of up
    to 32 dimensions (faster than an approximate index there) and openTSNE's approximate search for
    wider ones. ``params`` records what ran (``negative_gradient_method``, ``neighbors``).

    Parameters
    ----------
    codes
        ``(n, d)`` array of finite latent codes, ``n >= 5`` and ``d >= 1``.
    method
        ``"tsne"`` (default), ``"umap"`` (needs the optional extra: ``pip install genfin[umap]``)
        or ``"pca"``.
    perplexity
        t-SNE's effective number of neighbours. The kNN graph holds ``3 * perplexity`` neighbours,
        so with ``n_fit`` fitted rows a perplexity above ``(n_fit - 1) / 3`` is lowered to that
        value; this is announced with a :class:`UserWarning` and recorded in ``params``
        (``perplexity`` is what ran, ``perplexity_requested`` what was asked). Ignored by UMAP/PCA.
    n_neighbors
        UMAP's neighbourhood size; lowered to ``n_fit - 1`` (with a warning, recorded in ``params``)
        when there are too few rows. Ignored by t-SNE and PCA.
    max_fit_samples
        Inputs with more rows are fitted on a random subsample of this many rows; the remaining rows
        are placed into the fitted map with its out-of-sample transform. ``fit_indices`` says which.
    n_iter
        Optimisation length: t-SNE iterations after early exaggeration (default 500), or UMAP epochs
        (default: umap-learn's, 500 below 10,000 rows and 200 above). Ignored by PCA.
    random_state
        Seed or :class:`numpy.random.Generator` for the subsample and the backend. The same seed
        gives identical coordinates, for t-SNE whatever ``n_jobs`` (openTSNE's threaded
        neighbour search and gradients are deterministic for a fixed seed). UMAP is only
        reproducible single-threaded, so a seeded UMAP runs on one thread (umap-learn's rule);
        ``None`` lets it use ``n_jobs`` threads, non-deterministically.
    n_jobs
        Threads for the backend (t-SNE and unseeded UMAP). openTSNE's OpenMP threads spin while they
        wait; on a machine already busy with other processes that can make a two-thread fit several
        times *slower* than one thread. Set ``OMP_WAIT_POLICY=passive`` in the environment before
        starting Python, or pass ``n_jobs=1``, on shared machines.
    verbose
        Let the backend report its progress.

    Returns
    -------
    LatentMap
        ``coords`` of shape ``(n, 2)`` in input order, and the fitted model.

    Raises
    ------
    DataValidationError
        When ``codes`` is not a 2-D array of finite numbers with at least 5 rows and 1 column, or
        all its rows are identical.
    ValueError
        For an unknown ``method`` or an invalid setting.
    ImportError
        For ``method="umap"`` when umap-learn is not installed.
    """
    method = _check_method(method)
    data = as_finite_matrix(codes, name="codes", min_rows=_MIN_ROWS)
    if np.all(data == data[0]):
        raise DataValidationError(
            f"all {data.shape[0]} rows are identical, so there is no structure to map; "
            "check that the encoder is not collapsed to a constant code",
            source="codes",
        )
    if isinstance(perplexity, bool) or not isinstance(perplexity, int | float | np.number):
        raise ValueError(f"perplexity must be a positive number, got {perplexity!r}")
    if not (np.isfinite(perplexity) and perplexity > 0):
        raise ValueError(f"perplexity must be a positive number, got {perplexity!r}")
    _check_int("n_neighbors", n_neighbors, minimum=2)
    _check_int("max_fit_samples", max_fit_samples, minimum=_MIN_ROWS)
    if n_iter is not None:
        _check_int("n_iter", n_iter, minimum=1)
    _check_int("n_jobs", n_jobs, minimum=None)
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive thread count or negative (-1: all cores), got 0")

    n_rows, n_features = data.shape
    rng = np.random.default_rng(random_state)
    if n_rows > max_fit_samples:
        fit_indices = np.sort(rng.choice(n_rows, size=max_fit_samples, replace=False))
    else:
        fit_indices = np.arange(n_rows)
    # The backends want legacy integer seeds; one drawn from our own generator keeps global numpy
    # state untouched and ties the backend to random_state.
    seed = int(rng.integers(0, 2**31 - 1))
    fit_data = data[fit_indices]
    params: dict[str, Any] = {
        "method": method,
        "n_samples": n_rows,
        "n_features": n_features,
        "n_fit": int(fit_indices.size),
        "n_placed": int(n_rows - fit_indices.size),
        "max_fit_samples": max_fit_samples,
        "seed": seed,
    }

    if method == "tsne":
        model, fitted = _fit_tsne(fit_data, perplexity, n_iter, seed, n_jobs, verbose, params)
    elif method == "umap":
        model, fitted = _fit_umap(
            fit_data, n_neighbors, n_iter, seed if random_state is not None else None, n_jobs, verbose, params
        )
    else:
        model, fitted = _fit_pca(fit_data, params)

    coords = np.empty((n_rows, 2), dtype=np.float64)
    coords[fit_indices] = fitted
    if fit_indices.size < n_rows:
        rest = np.ones(n_rows, dtype=bool)
        rest[fit_indices] = False
        coords[rest] = _place(method, model, data[rest])
    return LatentMap(coords=coords, method=method, fit_indices=fit_indices, params=params, model=model)


def as_finite_matrix(values: ArrayLike, *, name: str, min_rows: int = 1, min_cols: int = 1) -> np.ndarray:
    """Refuse anything but a 2-D array of finite real numbers; return it as ``float64``.

    Parameters
    ----------
    values
        The array to check, e.g. latent codes or map coordinates.
    name
        What to call it in error messages.
    min_rows, min_cols
        The smallest acceptable shape.

    Returns
    -------
    numpy.ndarray
        A 2-D ``float64`` array (a copy only when a conversion was needed).

    Raises
    ------
    DataValidationError
        Naming the shape, dtype, or the first non-finite entry.
    """
    array = np.asarray(values)
    if array.ndim != 2:
        hint = "; a single code needs shape (1, d): use codes.reshape(1, -1)" if array.ndim == 1 else ""
        raise DataValidationError(
            f"expected a 2-D array of shape (n_rows, n_dims), got shape {array.shape}{hint}", source=name
        )
    if array.dtype.kind not in "biuf":
        raise DataValidationError(f"values must be real numbers, got dtype {array.dtype}", source=name)
    if array.shape[0] < min_rows or array.shape[1] < min_cols:
        raise DataValidationError(
            f"needs at least {min_rows} rows and {min_cols} column(s), got shape {array.shape}", source=name
        )
    array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataValidationError(
            f"{int(bad.sum())} of {array.size} values are NaN or infinite "
            f"(first: {array[row, col]!r} at {name}[{row}, {col}])",
            source=name,
            column=str(col),
            row=row + 1,
        )
    return array


def _check_method(method: str) -> str:
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"unknown map method {method!r}; choose one of {', '.join(METHODS)}")
    return method.lower()


def _check_int(name: str, value: Any, *, minimum: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")


def _fit_tsne(
    data: np.ndarray,
    perplexity: float,
    n_iter: int | None,
    seed: int,
    n_jobs: int,
    verbose: bool,
    params: dict[str, Any],
) -> tuple[Any, np.ndarray]:
    import openTSNE
    from openTSNE import initialization as tsne_init

    n_fit, n_features = data.shape
    effective = float(perplexity)
    # openTSNE builds a kNN graph of 3 * perplexity neighbours; with fewer rows than that it would
    # lower the perplexity itself with only a log message, so do it here, loudly and on the record.
    max_perplexity = (n_fit - 1) / 3
    if perplexity > max_perplexity:
        effective = max_perplexity
        warnings.warn(
            f"perplexity {perplexity:g} needs more than {3 * perplexity:g} rows to fit but only {n_fit} "
            f"are fitted; using perplexity {effective:.3g} (recorded in LatentMap.params). "
            "Pass a lower perplexity to silence this.",
            UserWarning,
            stacklevel=3,
        )
    gradient = "fft" if n_fit >= _FFT_MIN_SAMPLES else "bh"
    neighbours = "exact" if n_features <= _EXACT_NEIGHBOURS_MAX_DIMS else "auto"
    if n_features >= 2:
        initialization: str | np.ndarray = "pca"
    else:
        # PCA cannot find two components in 1-D codes: start from the codes themselves on the first
        # axis, and a little noise on the second so the optimiser can break the symmetry.
        jitter = np.random.default_rng(seed).normal(size=n_fit)
        start = np.column_stack([data[:, 0] - data[:, 0].mean(), 1e-3 * data[:, 0].std() * jitter])
        initialization = tsne_init.rescale(start)
    main_iter = _TSNE_N_ITER if n_iter is None else int(n_iter)
    tsne = openTSNE.TSNE(
        n_components=2,
        perplexity=effective,
        learning_rate="auto",
        early_exaggeration="auto",
        early_exaggeration_iter=_TSNE_EARLY_EXAGGERATION_ITER,
        n_iter=main_iter,
        initialization=initialization,
        negative_gradient_method=gradient,
        neighbors=neighbours,
        n_jobs=n_jobs,
        random_state=seed,
        verbose=verbose,
    )
    embedding = tsne.fit(data)
    params.update(
        {
            "perplexity": effective,
            "perplexity_requested": float(perplexity),
            "perplexity_clamped": effective != perplexity,
            "negative_gradient_method": gradient,
            "neighbors": neighbours,
            "initialization": "pca" if n_features >= 2 else "codes+jitter",
            "learning_rate": "auto",
            "early_exaggeration": _TSNE_EARLY_EXAGGERATION,
            "early_exaggeration_iter": _TSNE_EARLY_EXAGGERATION_ITER,
            "n_iter": main_iter,
            "n_jobs": n_jobs,
            "kl_divergence": float(embedding.kl_divergence),
            # How LatentMap.transform (and the rows beyond max_fit_samples) are placed: openTSNE's
            # defaults for adding points, optimising each against the fixed reference map only.
            "placement": "openTSNE TSNEEmbedding.transform defaults (perplexity 5, 250 iterations)",
            "opentsne_version": openTSNE.__version__,
        }
    )
    return embedding, np.array(embedding, dtype=np.float64)


def _fit_umap(
    data: np.ndarray,
    n_neighbors: int,
    n_iter: int | None,
    seed: int | None,
    n_jobs: int,
    verbose: bool,
    params: dict[str, Any],
) -> tuple[Any, np.ndarray]:
    try:
        import umap
    except ImportError as error:
        raise ImportError(
            "method='umap' needs the optional umap-learn package: pip install genfin[umap] "
            "(or use method='tsne' or 'pca', which need nothing extra)"
        ) from error

    n_fit = data.shape[0]
    effective = int(n_neighbors)
    if n_neighbors > n_fit - 1:
        effective = n_fit - 1
        warnings.warn(
            f"n_neighbors {n_neighbors} needs more than {n_neighbors} rows to fit but only {n_fit} are "
            f"fitted; using n_neighbors {effective} (recorded in LatentMap.params). "
            "Pass a lower n_neighbors to silence this.",
            UserWarning,
            stacklevel=3,
        )
    # umap-learn is only reproducible single-threaded and warns when a seed overrides n_jobs; choose
    # one thread ourselves when seeded so the user sees no warning for a documented trade-off.
    threads = 1 if seed is not None else n_jobs
    model = umap.UMAP(
        n_neighbors=effective,
        n_components=2,
        n_epochs=n_iter,
        random_state=seed,
        n_jobs=threads,
        verbose=verbose,
    )
    fitted = model.fit_transform(data)
    params.update(
        {
            "n_neighbors": effective,
            "n_neighbors_requested": int(n_neighbors),
            "n_neighbors_clamped": effective != n_neighbors,
            "min_dist": model.min_dist,
            "n_epochs": n_iter,
            "n_jobs": threads,
            "seed": seed,
            "umap_version": getattr(umap, "__version__", "unknown"),
        }
    )
    return model, np.asarray(fitted, dtype=np.float64)


def _fit_pca(data: np.ndarray, params: dict[str, Any]) -> tuple[Any, np.ndarray]:
    import sklearn
    from sklearn.decomposition import PCA

    # The exact solver: codes are narrow (d ~ 12), so it is cheap, and it needs no random state.
    model = PCA(n_components=min(2, data.shape[1]), svd_solver="full").fit(data)
    params.update(
        {
            "explained_variance_ratio": [float(v) for v in model.explained_variance_ratio_],
            "sklearn_version": sklearn.__version__,
        }
    )
    return model, _place("pca", model, data)


def _place(method: str, model: Any, codes: np.ndarray) -> np.ndarray:
    if method == "tsne":
        # openTSNE's transform first re-centres the *reference* embedding in place. Restore it
        # exactly afterwards, and shift the new points by the same amount, so LatentMap.coords and
        # the model stay in one frame however many times transform is called.
        reference = np.array(model, dtype=np.float64)
        centre = (reference.max(axis=0) + reference.min(axis=0)) / 2
        placed = np.array(model.transform(codes), dtype=np.float64)
        model[...] = reference
        return placed + centre
    placed = np.asarray(model.transform(codes), dtype=np.float64)
    if placed.shape[1] == 1:
        # 1-D codes give a single principal component; the map's second axis is then flat.
        placed = np.column_stack([placed[:, 0], np.zeros(len(placed))])
    return placed
