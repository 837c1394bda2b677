"""Maps of what a model learned: embed its latent codes in 2-D, measure the map, draw it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from genfin.latent import LatentMap, embed, map_quality
from genfin.plots import latent_scatter_figure


@dataclass
class LatentReport:
    """A 2-D map of latent codes with its quality measures and figure."""

    map: LatentMap
    quality: dict[str, Any]
    figure: Figure
    rows: np.ndarray


def map_latent_codes(
    codes: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    method: str = "tsne",
    max_points: int | None = None,
    random_state: int = 0,
    title: str | None = None,
    **embed_params: Any,
) -> LatentReport:
    """Embed ``codes`` in 2-D and measure how faithful the map is and how pure each class is.

    Parameters
    ----------
    codes
        ``(n, d)`` latent codes, e.g. ``model.transform(X)``.
    labels
        Optional class labels (1 = fraud); add the class measures and colour the points.
    method
        ``"tsne"``, ``"umap"`` or ``"pca"``.
    max_points
        Map at most this many rows, keeping every row of the rarest classes first (all frauds, then
        a random share of the rest), so that a large table maps in seconds.
    random_state
        Seed of the subsample and the embedding.
    title
        Figure title; by default the method and the number of points.
    embed_params
        Passed to :func:`genfin.latent.embed` (``perplexity``, ``n_neighbors``, ...).
    """
    rows = _rows_to_map(len(codes), labels, max_points, random_state)
    subset = codes[rows]
    subset_labels = None if labels is None else np.asarray(labels)[rows]
    latent_map = embed(subset, method, random_state=random_state, **embed_params)
    quality = map_quality(subset, latent_map.coords, subset_labels, random_state=random_state)
    caption = title or f"{method.upper()} map of {len(rows):,} latent codes"
    figure = latent_scatter_figure(latent_map.coords, subset_labels, title=caption)
    return LatentReport(latent_map, quality, figure, rows)


def _rows_to_map(n: int, labels: np.ndarray | None, max_points: int | None, seed: int) -> np.ndarray:
    if max_points is None or n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    if labels is None:
        return np.sort(rng.choice(n, size=max_points, replace=False))
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    chosen: list[np.ndarray] = []
    budget = max_points
    # Rarest class first: the frauds are what a map of card transactions is for.
    for position, cls in enumerate(classes[np.argsort(counts)]):
        members = np.flatnonzero(labels == cls)
        share = budget // (len(classes) - position)
        take = min(len(members), share)
        chosen.append(rng.choice(members, size=take, replace=False))
        budget -= take
    return np.sort(np.concatenate(chosen))


def quality_table(quality: dict[str, Any], class_names: dict[Any, str] | None = None) -> dict[str, Any]:
    """Flatten :func:`genfin.latent.map_quality` output into a name -> value table for reports."""
    table = {k: v for k, v in quality.items() if k != "neighbourhood_purity"}
    for cls, purity in quality.get("neighbourhood_purity", {}).items():
        name = (class_names or {}).get(cls, cls)
        table[f"neighbourhood purity: {name}"] = purity
    return table
