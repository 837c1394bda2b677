"""Latent traversals: codes along a line or over a 2-D grid, for a decoder to turn into images or rows.

Grids come back as ``(steps * steps, d)`` arrays in reading order: row ``r``, column ``c`` of a
``steps x steps`` picture is code ``r * steps + c``. The first varied dimension grows left to right
and the second *decreases* top to bottom, so ``image_grid_figure(decoder(grid), n_cols=steps)``
looks like the latent plane drawn with its y-axis pointing up.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

from genfin.exceptions import DataValidationError
from genfin.latent.embed import as_finite_matrix

__all__ = ["grid_traversal", "line_traversal", "principal_grid", "prior_quantile_grid"]


def line_traversal(start: ArrayLike, end: ArrayLike, steps: int) -> np.ndarray:
    """Evenly spaced codes on the straight line from ``start`` to ``end``, both included.

    Parameters
    ----------
    start, end
        Codes of the same length ``d``.
    steps
        Number of codes, at least 2.

    Returns
    -------
    numpy.ndarray
        ``(steps, d)`` float64 codes; the first row is ``start`` and the last is ``end``.
    """
    start_arr = _vector(start, "start")
    end_arr = _vector(end, "end")
    if start_arr.shape != end_arr.shape:
        raise DataValidationError(
            f"start has shape {start_arr.shape} but end has shape {end_arr.shape}; both must be codes "
            "of the same length",
            source="end",
        )
    _check_steps(steps, minimum=2)
    fractions = np.linspace(0.0, 1.0, steps)[:, None]
    path = (1.0 - fractions) * start_arr + fractions * end_arr
    # Exact end points, not 0 * start + 1 * end with rounding.
    path[0], path[-1] = start_arr, end_arr
    return path


def grid_traversal(
    center: ArrayLike,
    dim_x: int,
    dim_y: int,
    *,
    span: float | ArrayLike = 2.0,
    steps: int = 8,
) -> np.ndarray:
    """Vary two latent dimensions over a ``steps x steps`` grid around a centre, the others fixed.

    Parameters
    ----------
    center
        ``(d,)`` code the grid is centred on, e.g. the origin of a VAE's prior or a fraud's code.
    dim_x, dim_y
        The two distinct dimensions to vary (0-based).
    span
        Half-width of the grid in each varied dimension: a number for both, or a ``(d,)`` per-dimension
        scale such as ``2 * codes.std(axis=0)``. Dimension ``dim_x`` runs over
        ``center[dim_x] +/- span[dim_x]``.
    steps
        Codes per side, at least 2.

    Returns
    -------
    numpy.ndarray
        ``(steps * steps, d)`` float64 codes in reading order (see the module docstring).
    """
    center_arr = _vector(center, "center")
    d = center_arr.size
    for name, dim in (("dim_x", dim_x), ("dim_y", dim_y)):
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or not 0 <= dim < d:
            raise ValueError(f"{name} must be a dimension index in [0, {d - 1}] for {d}-D codes, got {dim!r}")
    if dim_x == dim_y:
        raise ValueError(f"dim_x and dim_y must differ, both are {dim_x}")
    half = _span(span, d)
    _check_steps(steps, minimum=2)
    offsets_x = np.linspace(-half[dim_x], half[dim_x], steps)
    offsets_y = np.linspace(half[dim_y], -half[dim_y], steps)
    grid = np.tile(center_arr, (steps * steps, 1))
    grid[:, dim_x] += np.tile(offsets_x, steps)
    grid[:, dim_y] += np.repeat(offsets_y, steps)
    return grid


def principal_grid(codes: ArrayLike, steps: int = 8, *, span: float = 2.0) -> np.ndarray:
    """Span a ``steps x steps`` grid over the plane of the codes' two principal directions.

    The grid is centred on the codes' mean and reaches ``span`` standard deviations along the first
    principal direction (left to right) and the second (bottom to top), so it covers where the codes
    actually lie rather than an arbitrary pair of axes.

    Parameters
    ----------
    codes
        ``(n, d)`` codes, ``n >= 2`` and ``d >= 2``.
    steps
        Codes per side, at least 2.
    span
        Reach of the grid in standard deviations along each principal direction (default +/- 2).

    Returns
    -------
    numpy.ndarray
        ``(steps * steps, d)`` float64 codes in reading order (see the module docstring).
    """
    data = as_finite_matrix(codes, name="codes", min_rows=2, min_cols=2)
    _check_steps(steps, minimum=2)
    if not (np.isfinite(span) and span > 0):
        raise ValueError(f"span must be a positive number of standard deviations, got {span!r}")
    mean = data.mean(axis=0)
    _, singular, directions = np.linalg.svd(data - mean, full_matrices=False)
    spread = singular[:2] / np.sqrt(data.shape[0] - 1)
    if spread[1] <= 0:
        raise DataValidationError(
            f"the codes vary along fewer than two directions (standard deviations {spread.tolist()}), "
            "so they span no plane to grid over",
            source="codes",
        )
    axes = directions[:2].copy()
    # Singular vectors have arbitrary signs; fix each so its largest component is positive, so the
    # same codes always give the same picture.
    largest = np.argmax(np.abs(axes), axis=1)
    axes *= np.sign(axes[np.arange(2), largest])[:, None]
    along_x = np.linspace(-span, span, steps) * spread[0]
    along_y = np.linspace(span, -span, steps) * spread[1]
    return mean + np.tile(along_x, steps)[:, None] * axes[0] + np.repeat(along_y, steps)[:, None] * axes[1]


def prior_quantile_grid(
    steps: int = 15, *, latent_dim: int = 2, low: float = 0.05, high: float = 0.95
) -> np.ndarray:
    """A ``steps x steps`` grid of codes at standard normal quantiles: a VAE's 2-D manifold.

    Each varied dimension takes the values ``Phi^-1(p)`` for ``p`` evenly spaced from ``low`` to
    ``high`` (``Phi^-1`` is the standard normal quantile function, ``scipy.stats.norm.ppf``), so
    the codes are dense near the origin and sparse in the tails, as the prior's mass is: each tile
    of ``image_grid_figure(vae.decode(grid), n_cols=steps)`` stands for an equal share of the prior,
    the classic manifold picture of a VAE with a 2-D latent space. The quantile levels ``low`` and
    ``high`` stay away from 0 and 1, where the quantiles are infinite.

    Parameters
    ----------
    steps
        Codes per side, at least 2.
    latent_dim
        Length of each code, at least 2. Dimensions 0 (left to right) and 1 (bottom to top) are
        varied; any others stay at 0, the prior's median.
    low, high
        Lowest and highest quantile level, ``0 < low < high < 1``.

    Returns
    -------
    numpy.ndarray
        ``(steps * steps, latent_dim)`` float64 codes in reading order (see the module docstring):
        row ``r``, column ``c`` of the picture is code ``r * steps + c``, dimension 0 grows to the
        right and dimension 1 upwards.

    Examples
    --------
    >>> grid = prior_quantile_grid(3, low=0.1, high=0.9)
    >>> grid.shape
    (9, 2)
    >>> grid[:3].round(3).tolist()  # top row: dimension 1 at its highest quantile
    [[-1.282, 1.282], [0.0, 1.282], [1.282, 1.282]]
    """
    _check_steps(steps, minimum=2)
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int | np.integer) or latent_dim < 2:
        raise ValueError(f"latent_dim must be an integer of at least 2, got {latent_dim!r}")
    for name, level in (("low", low), ("high", high)):
        if isinstance(level, bool) or not isinstance(level, int | float | np.integer | np.floating):
            raise ValueError(f"{name} must be a quantile level in (0, 1), got {level!r}")
    if not 0.0 < low < high < 1.0:
        raise ValueError(
            f"low and high must be quantile levels with 0 < low < high < 1, got low={low!r}, high={high!r}"
        )
    quantiles = ndtri(np.linspace(float(low), float(high), int(steps)))
    grid = np.zeros((int(steps) * int(steps), int(latent_dim)))
    grid[:, 0] = np.tile(quantiles, steps)
    grid[:, 1] = np.repeat(quantiles[::-1], steps)
    return grid


def _vector(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1 or array.size == 0:
        raise DataValidationError(f"expected one code of shape (d,), got shape {array.shape}", source=name)
    return as_finite_matrix(array[None, :], name=name)[0].copy()


def _span(span: float | ArrayLike, d: int) -> np.ndarray:
    values = np.asarray(span, dtype=np.float64)
    if values.ndim == 0:
        values = np.full(d, float(values))
    if values.shape != (d,):
        raise DataValidationError(
            f"span must be a number or one value per dimension, shape ({d},), got shape {values.shape}",
            source="span",
        )
    if not np.all(np.isfinite(values) & (values >= 0)):
        raise DataValidationError("span must be finite and non-negative", source="span")
    return values


def _check_steps(steps: int, *, minimum: int) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < minimum:
        raise ValueError(f"steps must be an integer of at least {minimum}, got {steps!r}")
