"""Figures for synthetic data against real data: marginal distributions and correlation matrices.

Both figures answer "where is the synthetic data off?" at a glance: the marginal overlays put each
column's real and synthetic distributions on the same bins, the heatmaps show both correlation
matrices and their difference. Inputs are checked as the synthetic-data metrics check them, so a
table the metrics accept is one these figures accept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from genfin.evaluate.synthetic._base import check_tables
from genfin.evaluate.synthetic.fidelity import correlation_matrix, ks_statistic
from genfin.exceptions import DataValidationError
from genfin.plots._figure import NEUTRAL_COLOUR, new_figure, style_axes

__all__ = ["correlation_heatmap_figure", "marginal_overlay_figure"]

# Real data in grey, synthetic in orange: both are often the same class (frauds), so the fraud-red
# and genuine-blue pair would suggest a class difference that is not there.
_REAL_COLOUR = NEUTRAL_COLOUR
_SYNTHETIC_COLOUR = "#ff7f0e"
_TITLE_SIZE = 12
_PANEL_COLUMNS = 4
# The axis of a panel spans the real column's central 99% plus this share of it on each side, so one
# extreme value (financial columns have them) does not squash the bulk into a single bin.
_TAIL_PERCENT = 0.5
_MARGIN = 0.05


def marginal_overlay_figure(
    real: Any,
    synthetic: Any,
    *,
    columns: Sequence[str] | None = None,
    max_columns: int = 12,
    bins: int = 40,
    labels: tuple[str, str] = ("real", "synthetic"),
) -> Figure:
    """Overlay each column's real and synthetic distribution, one small panel per column.

    Both distributions are drawn as step histograms on the same bin edges, as densities of the whole
    sample: a panel's area under a curve is the share of that sample inside the axis, so values off
    the axis are not silently spread over the rest. The axis spans the real column's 0.5th to 99.5th
    percentile plus a 5% margin, so that heavy tails do not squash the plot; a panel that leaves
    values out says which share of each sample lies beyond it. Each panel's title gives the column's
    Kolmogorov-Smirnov statistic (0: same distribution, 1: no overlap).

    Parameters
    ----------
    real, synthetic
        DataFrames with the same numeric columns in the same order, or 2-D arrays of the same width
        (their columns are then called ``x0``, ``x1``, ...); finite values, at least 2 rows each.
    columns
        The columns to consider; default all.
    max_columns
        Most panels to draw. With more columns than this, the ``max_columns`` with the largest
        Kolmogorov-Smirnov statistic are drawn, worst first, and the title says so; otherwise the
        columns keep their order.
    bins
        Bins per panel, shared by real and synthetic values.
    labels
        Legend names of the real and the synthetic data.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per drawn column, in a grid up to four wide, with one legend for the figure.

    Raises
    ------
    ValueError
        A :class:`~genfin.exceptions.DataValidationError` if the tables' columns differ (naming the
        missing and extra ones, or both widths), a value is not finite, a name in ``columns`` is not
        a column, or ``max_columns``, ``bins`` or ``labels`` is invalid.
    """
    max_columns = _check_count(max_columns, "max_columns")
    bins = _check_count(bins, "bins")
    real_label, synthetic_label = _check_labels(labels)
    names, arrays, _ = check_tables({"real": real, "synthetic": synthetic})
    positions = _select_columns(names, columns)
    X_real, X_synthetic = arrays["real"], arrays["synthetic"]

    ks = {j: ks_statistic(X_real[:, j], X_synthetic[:, j]) for j in positions}
    selected = len(positions) > max_columns
    if selected:
        # Stable sort: among equal statistics the earlier column wins, so the choice is reproducible.
        positions = sorted(positions, key=lambda j: -ks[j])[:max_columns]
        title = f"The {max_columns} of {len(ks)} columns that differ most (largest KS), worst first"
    else:
        title = f"{real_label[:1].upper()}{real_label[1:]} against {synthetic_label}, column by column"

    n_panels = len(positions)
    n_cols = min(_PANEL_COLUMNS, n_panels)
    n_rows = math.ceil(n_panels / n_cols)
    # The legend takes a strip on the right; a floor on the width leaves the title room over one panel.
    fig = new_figure(max(2.45 * n_cols + 1.3, 6.4), 1.95 * n_rows + 0.8)
    grid = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax, j in zip(grid.flat, positions, strict=False):
        _overlay(ax, X_real[:, j], X_synthetic[:, j], bins)
        ax.set_title(f"{names[j]}  (KS {ks[j]:.2f})", fontsize=9, loc="left")
    for ax in grid.flat[n_panels:]:
        ax.set_visible(False)

    handles, _ = grid.flat[0].get_legend_handles_labels()
    # One legend beside the panels for the whole figure: inside a panel it would cover some data, and
    # above them it would meet the title when the figure is narrow.
    fig.legend(handles, [real_label, synthetic_label], loc="outside right upper", frameon=False, fontsize=9)
    fig.suptitle(title, fontsize=_TITLE_SIZE if n_cols > 2 else 11, x=0.01, ha="left")
    fig.supylabel("density", fontsize=9, color="#333333")
    return fig


def _overlay(ax: Any, real: np.ndarray, synthetic: np.ndarray, bins: int) -> None:
    low, high = np.percentile(real, [_TAIL_PERCENT, 100.0 - _TAIL_PERCENT])
    span = high - low
    if span <= 0:
        # A (nearly) constant real column: give it a visible width around its value.
        span = max(abs(float(low)) * 0.1, 1.0)
        low, high = low - span / 2, high + span / 2
    low, high = low - _MARGIN * span, high + _MARGIN * span
    edges = np.linspace(low, high, bins + 1)
    width = edges[1] - edges[0]

    outside = []
    for values, colour, fill in ((real, _REAL_COLOUR, True), (synthetic, _SYNTHETIC_COLOUR, False)):
        counts, _ = np.histogram(values, bins=edges)
        # Density of the whole sample, not of the part inside the axis (see the docstring).
        density = counts / (values.size * width)
        if fill:
            ax.stairs(density, edges, fill=True, color=colour, alpha=0.3, linewidth=0, label="_real_fill")
        ax.stairs(density, edges, color=colour, linewidth=1.4, label="real" if fill else "synthetic")
        outside.append(float(np.mean((values < low) | (values > high))))

    style_axes(ax)
    ax.set_xlim(low, high)
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="both", labelsize=7)
    # Density units differ from panel to panel and say little; the shapes are the point.
    ax.set_yticklabels([])
    if any(share > 0 for share in outside):
        ax.set_xlabel(
            f"off axis: {_share(outside[0])} real, {_share(outside[1])} synth.",
            fontsize=7,
            color="#59636e",
        )


def _share(value: float) -> str:
    if value == 0:
        return "0%"
    if value < 0.001:
        return "<0.1%"
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def correlation_heatmap_figure(
    real: Any, synthetic: Any, *, labels: tuple[str, str] = ("real", "synthetic")
) -> Figure:
    """Real and synthetic Pearson correlation matrices and their difference, side by side.

    The first two heatmaps share one diverging colour scale fixed at -1 to 1, so colours compare
    across them; the third shows ``synthetic - real`` on a scale symmetric around 0 and as wide as
    the largest difference, so small differences are still visible. The title gives the mean
    absolute difference over the pairs of distinct columns (``2 * (1 - CorrelationSimilarity)``).
    A pair involving a constant column counts as uncorrelated, as the metric counts it.

    Parameters
    ----------
    real, synthetic
        DataFrames with the same numeric columns in the same order, or 2-D arrays of the same width
        (their columns are then called ``x0``, ``x1``, ...); at least 2 columns, finite values and at
        least 2 rows each.
    labels
        Names of the real and the synthetic data, for the panel titles.

    Returns
    -------
    matplotlib.figure.Figure
        Three heatmap axes and two colour-bar axes (one shared by the first two heatmaps, one for the
        difference).

    Raises
    ------
    ValueError
        A :class:`~genfin.exceptions.DataValidationError` if the tables' columns differ (naming the
        missing and extra ones, or both widths), there is only one column, a value is not finite, or
        ``labels`` is invalid.
    """
    real_label, synthetic_label = _check_labels(labels)
    names, arrays, _ = check_tables({"real": real, "synthetic": synthetic})
    if len(names) < 2:
        raise DataValidationError("has 1 column; correlations need at least 2 columns", source="real")
    corr_real = correlation_matrix(arrays["real"])
    corr_synthetic = correlation_matrix(arrays["synthetic"])
    difference = corr_synthetic - corr_real
    upper = np.triu_indices(len(names), k=1)
    mean_abs = float(np.abs(difference[upper]).mean())
    # A floor keeps the colour scale defined (and honest: near-white) when the matrices agree.
    limit = max(float(np.abs(difference).max()), 0.01)

    fig = new_figure(11.0, 4.0)
    axes = fig.subplots(1, 3)
    panels = (
        (corr_real, f"{real_label}", 1.0),
        (corr_synthetic, f"{synthetic_label}", 1.0),
        (difference, f"{synthetic_label} \u2212 {real_label}", limit),
    )
    images = []
    for ax, (matrix, panel_title, vmax) in zip(axes, panels, strict=True):
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
        images.append(image)
        ax.set_title(panel_title, fontsize=10, loc="left")
        _label_matrix(ax, names, show_y=ax is axes[0])
    for image, owners, label in (
        (images[1], list(axes[:2]), "correlation"),
        (images[2], axes[2], "difference"),
    ):
        bar = fig.colorbar(image, ax=owners, shrink=0.8, pad=0.02)
        bar.set_label(label, fontsize=9)
        bar.ax.tick_params(labelsize=8)
        bar.outline.set_visible(False)
    fig.suptitle(
        f"Correlations: mean absolute difference {mean_abs:.3f} over {upper[0].size:,} column pairs",
        fontsize=_TITLE_SIZE,
        x=0.01,
        ha="left",
    )
    return fig


def _label_matrix(ax: Any, names: list[str], *, show_y: bool) -> None:
    n = len(names)
    # Past about 30 columns every name no longer fits beside its cell: label every k-th one.
    step = max(1, math.ceil(n / 30))
    ticks = np.arange(0, n, step)
    size = 8 if n <= 12 else 6 if n <= 24 else 5
    ax.set_xticks(ticks, [names[i] for i in ticks], rotation=90, fontsize=size)
    if show_y:
        ax.set_yticks(ticks, [names[i] for i in ticks], fontsize=size)
    else:
        # The rows are the same as in the first heatmap; no ticks is cheaper than blank ones.
        ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise DataValidationError(f"must be a positive integer, got {value!r}", source=name)
    return int(value)


def _check_labels(labels: Any) -> tuple[str, str]:
    if isinstance(labels, str) or not isinstance(labels, Sequence) or len(labels) != 2:
        raise DataValidationError(f"must be two names, (real, synthetic), got {labels!r}", source="labels")
    return str(labels[0]), str(labels[1])


def _select_columns(names: list[str], columns: Sequence[str] | None) -> list[int]:
    if columns is None:
        return list(range(len(names)))
    if isinstance(columns, str):
        columns = [columns]
    wanted = [str(column) for column in columns]
    unknown = [column for column in wanted if column not in names]
    if unknown:
        raise DataValidationError(f"not among the columns {names}: {unknown}", source="columns")
    if not wanted:
        raise DataValidationError(
            "is empty; name at least one column, or pass None for all", source="columns"
        )
    # Keep the caller's order but draw each column once.
    return [names.index(column) for column in dict.fromkeys(wanted)]
