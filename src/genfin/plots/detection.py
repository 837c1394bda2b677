"""Figures for fraud detection: precision-recall curves, score histograms, one row's reconstruction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from genfin.evaluate.detection import auprc, check_labels_and_scores, check_scores, precision_recall_curve
from genfin.exceptions import DataValidationError
from genfin.plots._figure import FRAUD_COLOUR, GENUINE_COLOUR, NEUTRAL_COLOUR, new_figure, style_axes

__all__ = ["precision_recall_figure", "reconstruction_figure", "score_histogram_figure"]

_ORIGINAL_COLOUR = GENUINE_COLOUR
_RECONSTRUCTION_COLOUR = "#ff7f0e"
_TITLE_SIZE = 12


def precision_recall_figure(
    y: ArrayLike,
    scores: ArrayLike | Mapping[str, ArrayLike],
    *,
    title: str = "Precision-recall curve",
) -> Figure:
    """Precision against recall at every threshold, for one model or several on the same labels.

    Parameters
    ----------
    y
        Labels, 1 for fraud and 0 for genuine; both must be present.
    scores
        One array of anomaly scores, or a mapping of model name to scores (one curve each, in the
        mapping's order).
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: a step curve per model with its AUPRC in the legend, and the fraud rate (the
        precision of flagging at random) as a dashed line.
    """
    named = dict(scores) if isinstance(scores, Mapping) else {"": scores}
    if not named:
        raise DataValidationError("no scores to plot; the mapping of model name to scores is empty")
    curves = []
    for name, model_scores in named.items():
        y_arr, s_arr = check_labels_and_scores(y, model_scores, need_fraud=True, need_genuine=True)
        precision, recall, _ = precision_recall_curve(y_arr, s_arr)
        # The curve ends on a conventional (recall 0, precision 1) point that no threshold reaches;
        # drawn, it is a spike up the y-axis. Carrying the last real precision to recall 0 instead
        # keeps the step's area, and so the AUPRC, unchanged.
        precision = precision.copy()
        precision[-1] = precision[-2]
        curves.append((str(name), precision, recall, auprc(y_arr, s_arr)))
    fraud_rate = float(y_arr.mean())

    fig = new_figure(5.6, 4.6)
    ax = style_axes(fig.add_subplot(), grid="both")
    # One model reads best in the genuine blue; several take the default colour-blind-safe cycle.
    colours = [GENUINE_COLOUR] if len(curves) == 1 else [f"C{i}" for i in range(len(curves))]
    for (name, precision, recall, ap), colour in zip(curves, colours, strict=False):
        label = f"{name} (AUPRC {ap:.3f})" if name else f"AUPRC {ap:.3f}"
        # steps-post draws the rectangles whose area is exactly the average precision.
        ax.plot(recall, precision, drawstyle="steps-post", color=colour, linewidth=1.8, label=label)
    ax.axhline(
        fraud_rate, color=NEUTRAL_COLOUR, linestyle="--", linewidth=1.0, label=f"Fraud rate {fraud_rate:.2%}"
    )

    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.03)
    ax.set_xlabel("Recall (share of frauds caught)")
    ax.set_ylabel("Precision (share of alerts that are fraud)")
    ax.set_title(title, fontsize=_TITLE_SIZE, loc="left")
    ax.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="none", fontsize=9)
    return fig


def score_histogram_figure(
    scores: ArrayLike,
    y: ArrayLike | None = None,
    *,
    threshold: float | None = None,
    log_scale: bool = True,
    bins: int = 50,
    xlabel: str = "Anomaly score",
    title: str = "Distribution of anomaly scores",
) -> Figure:
    """Histograms of anomaly scores, genuine (blue) and fraud (red) overlaid on the same bins.

    Each class is normalised to sum to one, so the rare frauds are as visible as the genuine bulk and
    the two shapes compare directly: a bar's height is the share of that class falling in the bin.

    Parameters
    ----------
    scores
        Anomaly scores, higher meaning more likely fraud.
    y
        Labels, 1 for fraud and 0 for genuine; ``None`` draws a single histogram of all scores.
    threshold
        Drawn as a vertical line; the legend says which share of each class it flags
        (``score > threshold``).
    log_scale
        Log score axis with log-spaced bins, for heavy-tailed scores such as reconstruction errors.
        Needs every score to be positive.
    bins
        Number of bins, shared by both classes.
    xlabel
        What the scores are, for the x-axis label.
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes holding one filled histogram per class present.
    """
    if y is None:
        s_arr = check_scores(scores)
        groups = [("All transactions", s_arr, NEUTRAL_COLOUR)]
    else:
        y_arr, s_arr = check_labels_and_scores(y, scores)
        groups = [
            (name, s_arr[y_arr == label], colour)
            for name, label, colour in (("Genuine", 0, GENUINE_COLOUR), ("Fraud", 1, FRAUD_COLOUR))
            if np.any(y_arr == label)
        ]
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise DataValidationError(f"bins must be a positive integer, got {bins!r}", source="bins")
    if threshold is not None and not (
        isinstance(threshold, int | float | np.number) and np.isfinite(threshold)
    ):
        raise DataValidationError(f"threshold must be a finite number, got {threshold!r}", source="threshold")

    low, high = float(s_arr.min()), float(s_arr.max())
    if log_scale:
        if low <= 0 or (threshold is not None and threshold <= 0):
            smallest = min(low, threshold) if threshold is not None else low
            raise DataValidationError(
                f"log_scale=True needs positive scores and threshold, but found {smallest:.4g}; "
                "pass log_scale=False",
                source="scores",
            )
        if low == high:
            low, high = low / 1.5, high * 1.5
        edges = np.geomspace(low, high, bins + 1)
    else:
        edges = np.histogram_bin_edges(s_arr, bins=bins)

    fig = new_figure(8.0, 4.0)
    ax = style_axes(fig.add_subplot())
    for name, values, colour in groups:
        ax.hist(
            values,
            bins=edges,
            weights=np.full(values.size, 1.0 / values.size),
            histtype="stepfilled",
            facecolor=to_rgba(colour, 0.35),
            edgecolor=colour,
            linewidth=1.2,
            label=f"{name} (n = {values.size:,})",
        )
    if threshold is not None:
        shares = [f"{np.mean(values > threshold):.1%} of {name.lower()}" for name, values, _ in groups]
        label = f"Threshold {threshold:.4g}\nflags " + ", ".join(shares)
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1.2, label=label)

    if log_scale:
        ax.set_xscale("log")
    ax.set_xlabel(f"{xlabel} (log scale)" if log_scale else xlabel)
    ax.set_ylabel("Share of transactions per bin" if y is None else "Share of class per bin")
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=_TITLE_SIZE, loc="left")
    # Outside the axes: the fraud tail usually sits exactly where an inside legend would go.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    return fig


def reconstruction_figure(
    original: ArrayLike,
    reconstruction: ArrayLike,
    feature_names: Sequence[str] | None = None,
    *,
    errors: ArrayLike | None = None,
    n_highlight: int = 3,
    title: str | None = None,
) -> Figure:
    """One transaction's reconstruction drawn over its original values, feature by feature.

    Two overlaid, half-transparent bar series: where the autoencoder reproduces a feature the bars
    coincide; a fraud usually shows a few features it cannot rebuild.

    Parameters
    ----------
    original
        The row's feature values, in the space the model saw (usually scaled).
    reconstruction
        The model's reconstruction of the same row.
    feature_names
        One name per feature; defaults to the feature's position.
    errors
        Per-feature reconstruction errors (for example squared differences). When given, a lower
        panel shows them and the ``n_highlight`` largest, by absolute value, are drawn in red and
        their names highlighted.
    n_highlight
        How many of the worst features to highlight when ``errors`` is given.
    title
        Figure title; defaults to "Original and reconstruction per feature".

    Returns
    -------
    matplotlib.figure.Figure
        One axes with two bar containers ("Original", "Reconstruction"); with ``errors``, a second
        axes below it with one bar container.
    """
    orig = check_scores(original, name="original")
    recon = check_scores(reconstruction, name="reconstruction")
    if orig.shape != recon.shape:
        raise DataValidationError(
            f"original has shape {orig.shape} but reconstruction has shape {recon.shape}; "
            "pass one row and its reconstruction",
            source="reconstruction",
        )
    n = orig.size
    names = [str(i) for i in range(n)] if feature_names is None else [str(name) for name in feature_names]
    if len(names) != n:
        raise DataValidationError(f"{len(names)} feature names for {n} features", source="feature_names")
    err = None
    if errors is not None:
        err = check_scores(errors, name="errors")
        if err.shape != orig.shape:
            raise DataValidationError(
                f"errors has shape {err.shape} but the row has shape {orig.shape}; "
                "pass one error per feature",
                source="errors",
            )
        if isinstance(n_highlight, bool) or not isinstance(n_highlight, int | np.integer) or n_highlight < 0:
            raise DataValidationError(
                f"n_highlight must be a non-negative integer, got {n_highlight!r}", source="n_highlight"
            )

    # Wide enough that every feature name stays readable, but never wider than a page.
    width = float(np.clip(0.32 * n + 2.0, 6.0, 16.0))
    fig = new_figure(width, 5.2 if err is not None else 4.0)
    if err is None:
        ax = fig.add_subplot()
        axes = [ax]
    else:
        ax, err_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.3))
        axes = [ax, err_ax]
    for a in axes:
        style_axes(a)

    x = np.arange(n)
    ax.bar(x, orig, width=0.8, color=_ORIGINAL_COLOUR, alpha=0.55, label="Original")
    ax.bar(x, recon, width=0.8, color=_RECONSTRUCTION_COLOUR, alpha=0.55, label="Reconstruction")
    ax.axhline(0.0, color="#888888", linewidth=0.8)
    ax.set_ylabel("Value")
    ax.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="none", fontsize=9, ncols=2)
    # Headroom above the tallest bar keeps the legend off the data.
    ax.margins(x=0.01, y=0.15)
    fig.suptitle(
        title if title is not None else "Original and reconstruction per feature",
        fontsize=_TITLE_SIZE,
        x=0.02,
        horizontalalignment="left",
    )

    worst: set[int] = set()
    bottom = ax
    if err is not None:
        worst = {int(i) for i in np.argsort(-np.abs(err), kind="stable")[: min(n_highlight, n)]}
        colours = [FRAUD_COLOUR if i in worst else "#9a9a9a" for i in range(n)]
        err_ax.bar(x, err, width=0.8, color=colours, label="Error")
        err_ax.set_ylabel("Error")
        err_ax.margins(x=0.01)
        bottom = err_ax
        ax.tick_params(axis="x", labelbottom=False)

    # Past about sixty features every name cannot fit, so label every k-th, plus the worst ones.
    step = max(1, int(np.ceil(n / 60)))
    ticks = sorted(set(range(0, n, step)) | worst)
    bottom.set_xticks(ticks, [names[i] for i in ticks], rotation=90 if n > 10 else 0, fontsize=8)
    for tick, label in zip(ticks, bottom.get_xticklabels(), strict=True):
        if tick in worst:
            label.set_color(FRAUD_COLOUR)
            label.set_fontweight("bold")
    bottom.set_xlabel("Feature")
    return fig
