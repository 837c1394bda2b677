"""Figures for latent spaces: the 2-D map scatter, and grids of images (traversals, samples)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from genfin.exceptions import DataValidationError
from genfin.plots._figure import FRAUD_COLOUR, GENUINE_COLOUR, NEUTRAL_COLOUR, new_figure

__all__ = ["image_grid_figure", "latent_scatter_figure"]

_TITLE_SIZE = 12
# With labels {0, 1} and no names given, the map is of transactions.
_FRAUD_NAMES = {0: "Genuine", 1: "Fraud"}
# Reference count for the alpha and marker size of a class: a class of this many points or fewer is
# drawn opaque-ish and large, a bigger one fades and shrinks so its density, not its ink, shows.
_SPARSE_POINTS = 2_000


def latent_scatter_figure(
    coords: ArrayLike,
    labels: ArrayLike | None = None,
    *,
    class_names: Mapping[Any, str] | Sequence[str] | None = None,
    title: str | None = None,
    max_points: int | None = None,
    random_state: int | np.random.Generator | None = None,
) -> Figure:
    """Draw the 2-D map of latent codes, points coloured by class: frauds red, genuine blue.

    Each class is drawn as its own rasterised layer, the largest first, so a rare class (the frauds)
    sits on top of the crowd. Marker size and transparency shrink with a class's size, which keeps
    100,000 points readable as densities while a few hundred frauds stay bold. Labels ``{0, 1}`` are
    drawn as genuine (blue) and fraud (red); other labels, such as MNIST's ten digits, take a
    qualitative colour map. Axes are hidden, since map coordinates have no units, and the aspect is
    equal, since map distances are what the picture is about.

    Parameters
    ----------
    coords
        ``(n, 2)`` map coordinates, e.g. ``LatentMap.coords``.
    labels
        Optional ``n`` class labels; without them all points are drawn in one neutral colour.
    class_names
        Names for the legend: a mapping from label to name, or a sequence of names in sorted label
        order. Defaults to "Genuine" and "Fraud" for labels ``{0, 1}``, else the labels themselves.
    title
        Axes title; when points were subsampled, "(m of n points)" is added.
    max_points
        Draw at most this many points. Every class keeps at least ``max_points / (2 * n_classes)``
        points (all of them, if it has fewer), the rest of the budget is shared in proportion to class
        size; so subsampling thins the genuine crowd but never erases the frauds.
    random_state
        Seed or generator for the subsample.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with one scatter layer per class and, with labels, a legend giving each class's count.
    """
    points = _as_coords(coords)
    n = points.shape[0]
    if labels is None:
        label_arr = np.zeros(n, dtype=np.int64)
        classes = np.zeros(1, dtype=np.int64)
        codes = label_arr
    else:
        label_arr = np.asarray(labels)
        if label_arr.ndim != 1 or label_arr.shape[0] != n:
            raise DataValidationError(
                f"expected one label per point, shape ({n},), got shape {label_arr.shape}", source="labels"
            )
        if label_arr.dtype.kind == "f" and not np.all(np.isfinite(label_arr)):
            first = int(np.flatnonzero(~np.isfinite(label_arr))[0])
            raise DataValidationError("labels must not be NaN or infinite", source="labels", row=first + 1)
        classes, codes = np.unique(label_arr, return_inverse=True)
        codes = codes.reshape(-1)
    counts = np.bincount(codes, minlength=classes.size)

    shown = np.arange(n)
    if max_points is not None:
        if isinstance(max_points, bool) or not isinstance(max_points, int | np.integer) or max_points < 1:
            raise ValueError(f"max_points must be a positive integer or None, got {max_points!r}")
        if n > max_points:
            shown = _stratified_subsample(codes, counts, int(max_points), np.random.default_rng(random_state))

    names = _class_names(classes, class_names) if labels is not None else ["All points"]
    colours = _class_colours(classes) if labels is not None else [NEUTRAL_COLOUR]

    fig = new_figure(6.4, 5.6)
    ax = fig.add_subplot()
    shown_codes = codes[shown]
    # Largest class first, so the rarest ends up on top; stable sort keeps label order among equals.
    layer_classes = []
    for rank, index in enumerate(np.argsort(-counts, kind="stable")):
        members = shown[shown_codes == index]
        if members.size == 0:
            continue
        layer_classes.append(int(index))
        alpha, size = _style_for(members.size)
        ax.scatter(
            points[members, 0],
            points[members, 1],
            s=size,
            c=[colours[index]],
            alpha=alpha,
            linewidths=0,
            marker="o",
            # Raster points inside vector output: a PDF of 100,000 circles is huge and slow to open.
            rasterized=True,
            zorder=2 + rank,
            label=f"{names[index]} (n = {counts[index]:,})",
        )
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_off()
    heading = title or ""
    if shown.size < n:
        heading = f"{heading} ({shown.size:,} of {n:,} points)".strip()
    if heading:
        ax.set_title(heading, fontsize=_TITLE_SIZE, loc="left")
    if labels is not None:
        # Layers were drawn largest first; list them in label order, as a reader looks them up.
        handles, texts = ax.get_legend_handles_labels()
        order = sorted(range(len(texts)), key=lambda i: layer_classes[i])
        legend = ax.legend(
            [handles[i] for i in order],
            [texts[i] for i in order],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=9,
        )
        # Legend markers at full opacity and one readable size, whatever each layer's style.
        for handle in legend.legend_handles:
            handle.set_alpha(1.0)
            handle.set_sizes([30.0])
    return fig


def image_grid_figure(
    images: ArrayLike,
    *,
    n_cols: int | None = None,
    titles: Sequence[str] | None = None,
    cmap: str = "gray",
) -> Figure:
    """Images tiled edge to edge in a grid: latent traversals, generated samples, reconstructions.

    All tiles share one intensity scale (the minimum and maximum over all images), so brightness
    compares across tiles, as a traversal needs. The grid is drawn as one mosaic filling the whole
    figure, so there are no gaps between tiles; titles are written inside the tiles' top-left corners.

    Parameters
    ----------
    images
        ``(n, h, w)`` grey images, or ``(n, h, w, 3)`` / ``(n, h, w, 4)`` colour images with values in
        ``[0, 1]``.
    n_cols
        Tiles per row; by default about ``sqrt(n)``. Use ``steps`` for a grid traversal.
    titles
        Optional ``n`` short captions, one per image.
    cmap
        Colour map for grey images.

    Returns
    -------
    matplotlib.figure.Figure
        One axes-free figure whose aspect matches the mosaic's.
    """
    array = np.asarray(images)
    colour = array.ndim == 4 and array.shape[-1] in (3, 4)
    if not (array.ndim == 3 or colour) or array.shape[0] == 0 or 0 in array.shape[1:3]:
        raise DataValidationError(
            f"expected images of shape (n, h, w) or (n, h, w, 3|4) with n >= 1, got shape {array.shape}",
            source="images",
        )
    if array.dtype.kind not in "biuf":
        raise DataValidationError(f"pixel values must be numbers, got dtype {array.dtype}", source="images")
    array = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(array)):
        first = int(np.flatnonzero(~np.isfinite(array).reshape(array.shape[0], -1).all(axis=1))[0])
        raise DataValidationError("pixel values must be finite", source="images", row=first + 1)
    n, height, width = array.shape[:3]
    if n_cols is None:
        n_cols = int(np.ceil(np.sqrt(n)))
    elif isinstance(n_cols, bool) or not isinstance(n_cols, int | np.integer) or n_cols < 1:
        raise ValueError(f"n_cols must be a positive integer or None, got {n_cols!r}")
    n_cols = min(int(n_cols), n)
    n_rows = int(np.ceil(n / n_cols))
    if titles is not None and len(titles) != n:
        raise DataValidationError(
            f"got {len(titles)} titles for {n} images; give one per image", source="titles"
        )

    # Empty cells after the last image stay NaN, which imshow leaves as the white figure background.
    mosaic_shape = (n_rows * height, n_cols * width) + array.shape[3:]
    mosaic = np.full(mosaic_shape, np.nan)
    for i in range(n):
        row, col = divmod(i, n_cols)
        mosaic[row * height : (row + 1) * height, col * width : (col + 1) * width] = array[i]

    # At most 10 inches wide, an inch per tile for small grids; the height follows the mosaic's aspect.
    tile_inches = min(1.0, 10.0 / n_cols)
    fig = new_figure(n_cols * tile_inches, n_rows * tile_inches * height / width)
    # A full-bleed axes outside any layout engine: the constrained layout would add padding.
    fig.set_layout_engine("none")
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    if colour:
        ax.imshow(np.clip(np.nan_to_num(mosaic, nan=1.0), 0.0, 1.0), interpolation="nearest", aspect="auto")
    else:
        low, high = float(array.min()), float(array.max())
        if low == high:
            low, high = low - 0.5, high + 0.5
        ax.imshow(mosaic, cmap=cmap, vmin=low, vmax=high, interpolation="nearest", aspect="auto")
    if titles is not None:
        font = max(5.0, min(9.0, 9.0 * tile_inches))
        for i, caption in enumerate(titles):
            row, col = divmod(i, n_cols)
            ax.text(
                col * width + 0.5,
                row * height + 0.5,
                str(caption),
                fontsize=font,
                color="white",
                va="top",
                ha="left",
                bbox={"facecolor": "black", "alpha": 0.55, "pad": 1.0, "linewidth": 0},
            )
    return fig


def _as_coords(coords: ArrayLike) -> np.ndarray:
    array = np.asarray(coords)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise DataValidationError(
            f"expected map coordinates of shape (n, 2) with n >= 1, got shape {array.shape}", source="coords"
        )
    if array.dtype.kind not in "biuf":
        raise DataValidationError(f"coordinates must be numbers, got dtype {array.dtype}", source="coords")
    array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"{int(bad.sum())} of {array.shape[0]} points have NaN or infinite coordinates",
            source="coords",
            row=first + 1,
        )
    return array


def _stratified_subsample(
    codes: np.ndarray, counts: np.ndarray, max_points: int, rng: np.random.Generator
) -> np.ndarray:
    n_classes = counts.size
    floor = np.minimum(counts, max_points // (2 * n_classes))
    remaining = max_points - floor.sum()
    extra = np.floor(remaining * (counts - floor) / max(1, (counts - floor).sum())).astype(np.int64)
    quota = np.minimum(counts, floor + extra)
    chosen = [
        rng.choice(np.flatnonzero(codes == index), size=int(quota[index]), replace=False)
        for index in range(n_classes)
    ]
    return np.sort(np.concatenate(chosen))


def _class_names(classes: np.ndarray, class_names: Mapping[Any, str] | Sequence[str] | None) -> list[str]:
    plain = [value.item() if isinstance(value, np.generic) else value for value in classes]
    if class_names is None:
        if set(plain) <= set(_FRAUD_NAMES):
            return [_FRAUD_NAMES[value] for value in plain]
        return [str(value) for value in plain]
    if isinstance(class_names, Mapping):
        missing = [value for value in plain if value not in class_names]
        if missing:
            raise DataValidationError(f"no name for label(s) {missing}", source="class_names")
        return [str(class_names[value]) for value in plain]
    if isinstance(class_names, str) or len(class_names) != len(plain):
        raise DataValidationError(
            f"class_names must give one name per class ({len(plain)} classes: {plain}), got {class_names!r}",
            source="class_names",
        )
    return [str(name) for name in class_names]


def _class_colours(classes: np.ndarray) -> list[Any]:
    plain = [value.item() if isinstance(value, np.generic) else value for value in classes]
    if set(plain) <= set(_FRAUD_NAMES):
        return [GENUINE_COLOUR if value == 0 else FRAUD_COLOUR for value in plain]
    palette = colormaps["tab10" if len(plain) <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(len(plain))]


def _style_for(count: int) -> tuple[float, float]:
    """Alpha and marker area (points^2) for a layer of ``count`` points."""
    ratio = _SPARSE_POINTS / max(count, 1)
    alpha = float(np.clip(np.sqrt(ratio), 0.2, 0.9))
    size = float(np.clip(12.0 * np.sqrt(ratio), 1.5, 12.0))
    return alpha, size
