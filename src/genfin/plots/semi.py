"""Figures of semi-supervised training: the book's "SGAN progress" plot of validation scores."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots._figure import FRAUD_COLOUR, GENUINE_COLOUR, NEUTRAL_COLOUR, new_figure, style_axes

__all__ = ["progress_figure"]

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
