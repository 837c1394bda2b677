"""Two-dimensional maps of latent codes (t-SNE, UMAP, PCA), how faithful they are, and latent traversals.

This layer imports numpy, scipy, scikit-learn, openTSNE and (optionally) umap-learn; it knows nothing of
the torch models that produce the codes, nor of plotting: :mod:`genfin.plots.latent` draws its output.
"""

from __future__ import annotations

from genfin.latent.embed import METHODS, LatentMap, embed
from genfin.latent.quality import (
    knn_accuracy,
    knn_preservation,
    map_quality,
    neighbourhood_purity,
    trustworthiness,
)
from genfin.latent.traversal import grid_traversal, line_traversal, principal_grid, prior_quantile_grid

__all__ = [
    "METHODS",
    "LatentMap",
    "embed",
    "grid_traversal",
    "knn_accuracy",
    "knn_preservation",
    "line_traversal",
    "map_quality",
    "neighbourhood_purity",
    "principal_grid",
    "prior_quantile_grid",
    "trustworthiness",
]
