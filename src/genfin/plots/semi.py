"""Figures of semi-supervised training: the book's "SGAN progress" plot of validation scores."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots._figure import FRAUD_COLOUR, GENUINE_COLOUR, NEUTRAL_COLOUR, new_figure, style_axes

__all__ = ["members_figure", "progress_figure"]

_COLOURS = {"val_f1": FRAUD_COLOUR, "val_auprc": GENUINE_COLOUR, "val_accuracy": "#2ca02c"}
_LABELS = {
    "val_f1": "F1",
    "val_auprc": "AUPRC",
    "val_accuracy": "accuracy",
    "test_f1": "test F1",
    "test_auprc": "test AUPRC",
}


def progress_figure(
    history: Sequence[Mapping[str, float]],
    *,
    metrics: Sequence[str] = ("val_f1", "val_auprc"),
    best_epoch: int | None = None,
    title: str = "Semi-supervised GAN progress",
) -> Figure:
    """Validation scores per epoch, the best epoch marked: the book's "SGAN progress" figure.

    The book plots the F1 score every 10 epochs and sees it rise, then collapse to zero; with
    model selection the collapse is harmless, and this figure shows where the returned model came
    from and where the collapse guard rolled training back.

    Parameters
    ----------
    history
        One mapping per epoch, as ``SGANClassifier.history_``; must hold the ``metrics``.
    metrics
        Keys to draw, each a score in [0, 1].
    best_epoch
        The 1-based epoch the model was returned from (``SGANClassifier.best_epoch_``), marked
        "returned epoch"; by default the last ``best_epoch`` in the history, if any, marked "best
        epoch" (with ``collapse_guard="off"`` the model returns its last epoch, not that one).
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not history:
        raise DataValidationError("history is empty: fit the model for at least one epoch", source="history")
    missing = [m for m in metrics if not any(m in h for h in history)]
    if missing:
        raise DataValidationError(
            f"no epoch holds {missing}; these come from validation rows "
            f"(validation_fraction > 0); the history holds {sorted(history[0])}",
            source="history",
        )
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    epochs = [int(h.get("epoch", i + 1)) for i, h in enumerate(history)]
    for name in metrics:
        points = [(e, h[name]) for e, h in zip(epochs, history, strict=True) if name in h]
        ax.plot(
            *zip(*points, strict=True),
            color=_COLOURS.get(name, NEUTRAL_COLOUR),
            marker="o",
            markersize=3,
            label=_LABELS.get(name, name),
        )
    for epoch, logs in zip(epochs, history, strict=True):
        if logs.get("rolled_back"):
            ax.axvline(epoch + 0.5, color=NEUTRAL_COLOUR, linestyle=":", linewidth=1, label="rolled back")
    marker = "returned epoch"
    if best_epoch is None:
        last = history[-1].get("best_epoch")
        best_epoch = int(last) if last is not None and math.isfinite(last) and last > 0 else None
        marker = "best epoch"
    if best_epoch is not None:
        ax.axvline(best_epoch, color="#444444", linestyle="--", linewidth=1, label=f"{marker} ({best_epoch})")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), frameon=False, loc="lower right")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation score")
    ax.set_title(title)
    style_axes(ax)
    return fig


def members_figure(
    histories: Sequence[Sequence[Mapping[str, float]]],
    best_epochs: Sequence[int],
    *,
    metric: str = "val_f1",
    title: str = "Cross-fitted members: validation score per epoch",
) -> Figure:
    """One line per cross-fitted member (``SGANClassifier.member_histories_``), its returned epoch dotted.

    Each member validates on its own share of the labels, so the lines differ in level as well
    as in shape; what the figure shows is whether any member fell or never learnt (a line flat
    at 0: no validation fraud ever flagged) and where each one's weights came from.

    Parameters
    ----------
    histories
        One history per member, each as ``SGANClassifier.history_``.
    best_epochs
        The 1-based epoch each member returned (``member_best_epochs_``).
    metric
        The key to draw, a score in [0, 1].
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not histories or len(histories) != len(best_epochs):
        raise DataValidationError(
            f"expected one returned epoch per member history, got {len(histories)} histories and "
            f"{len(best_epochs)} epochs",
            source="histories",
        )
    if any(not any(metric in h for h in history) for history in histories):
        raise DataValidationError(
            f"a member's history holds no {metric!r}; validation scores need validation rows",
            source="histories",
        )
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    for index, (history, best) in enumerate(zip(histories, best_epochs, strict=True)):
        points = [(int(h.get("epoch", i + 1)), h[metric]) for i, h in enumerate(history) if metric in h]
        (line,) = ax.plot(*zip(*points, strict=True), linewidth=1.2, label=f"member {index + 1}")
        returned = dict(points).get(int(best))
        if returned is not None:
            ax.plot([int(best)], [returned], "o", color=line.get_color(), markersize=7, markeredgecolor="k")
    ax.plot([], [], "o", color=NEUTRAL_COLOUR, markeredgecolor="k", label="returned epoch")
    ax.legend(frameon=False, loc="lower right", fontsize="small")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"validation {_LABELS.get(metric, metric)}")
    ax.set_title(title)
    style_axes(ax)
    return fig
