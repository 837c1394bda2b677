"""The usual pictures of an image VAE in one call: prior samples, variations, the 2-D manifold."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from genfin.latent import prior_quantile_grid
from genfin.models._validation import check_images, check_is_fitted
from genfin.plots import image_grid_figure

__all__ = ["vae_image_figures"]


def vae_image_figures(
    vae: Any,
    images: Any = None,
    *,
    n_samples: int = 100,
    n_per_row: int = 4,
    manifold_steps: int = 15,
    random_state: int = 0,
) -> dict[str, Figure]:
    """Grids of what a fitted image :class:`~genfin.models.VAE` generates, as in chapter 6 of the book.

    Parameters
    ----------
    vae : genfin.models.VAE
        A VAE fitted on images (``kind_ == "image"``).
    images : array-like or None, default=None
        Images to vary (uint8 0..255 or floats in [0, 1], shaped as in ``fit``); None skips the
        ``"variations"`` figure.
    n_samples : int, default=100
        Images drawn from the prior for the ``"samples"`` figure, tiled about ``sqrt(n)`` per row.
    n_per_row : int, default=4
        Variations of each image (the book shows four sevens from one).
    manifold_steps : int, default=15
        Codes per side of the ``"manifold"`` figure (see :func:`genfin.latent.prior_quantile_grid`).
    random_state : int, default=0
        Seeds the prior codes and the variations' posterior draws.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        ``"samples"``: ``vae.sample(n_samples)``. ``"variations"`` (when ``images`` is given): one
        row per image, the image itself in the first column and ``vae.sample_like`` draws after it.
        ``"manifold"`` (only when the latent space is 2-D): ``vae.decode`` of a
        ``manifold_steps x manifold_steps`` grid at standard normal quantiles, latent dimension 0
        growing to the right and dimension 1 upwards. Figures are not saved; call ``savefig``.

    Raises
    ------
    ValueError
        If ``vae`` was fitted on tabular rows, or ``n_samples`` is not a positive integer.

    Examples
    --------
    >>> figures = vae_image_figures(vae, test.images[:5])  # doctest: +SKIP
    >>> figures["variations"].savefig("variations.png", dpi=90)  # doctest: +SKIP
    """
    check_is_fitted(vae)
    if getattr(vae, "kind_", None) != "image":
        raise ValueError(
            "vae_image_figures needs a VAE fitted on images, got one fitted on "
            f"{getattr(vae, 'kind_', None)!r} data"
        )
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    figures = {"samples": image_grid_figure(vae.sample(int(n_samples), random_state=random_state))}
    if images is not None:
        rows, shape = check_images(images, image_shape=vae.image_shape_, owner="the VAE")
        originals = rows.reshape(-1, 1, *shape)
        variations = np.asarray(vae.sample_like(images, n_per_row=n_per_row, random_state=random_state))
        variations = variations.reshape(len(rows), int(n_per_row), *shape)
        tiles = np.concatenate([originals, variations], axis=1).reshape(-1, *shape)
        figures["variations"] = image_grid_figure(tiles, n_cols=int(n_per_row) + 1)
    if int(vae.module_.latent_dim) == 2:
        grid = prior_quantile_grid(manifold_steps)
        figures["manifold"] = image_grid_figure(vae.decode(grid), n_cols=int(manifold_steps))
    return figures
