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
        ax.plot(
            *_series(history, name),
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
        best_epoch, marker = _last_best_epoch(history), "best epoch"
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
    member_histories: Sequence[Sequence[Mapping[str, float]]],
    pooled: Sequence[Mapping[str, float]],
    *,
    best_epoch: int | None = None,
    metric: str = "val_f1",
    title: str = "Cross-fitted members: validation score per epoch",
) -> Figure:
    """One thin line per cross-fitted member, the pooled score that chose the epoch in bold.

    Each member is scored on its own share of the labels (``SGANClassifier.member_histories_``),
    so the thin lines differ in level as well as in shape, and a member's few validation frauds
    make its line jump between a few values (a line flat at 0: it never flagged its frauds). The
    bold line scores all shares pooled (``SGANClassifier.history_``): that is the score the
    members' one common epoch was chosen on, marked by the dashed line.

    Parameters
    ----------
    member_histories
        One history per member: epoch logs holding ``metric``.
    pooled
        The pooled history, holding ``metric``.
    best_epoch
        The 1-based epoch the members returned; None: the pooled history's last ``best_epoch``.
    metric
        The key to draw, a score in [0, 1].
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    histories = [*member_histories, pooled]
    if not member_histories or any(not any(metric in h for h in history) for history in histories):
        raise DataValidationError(
            f"every member's history and the pooled history need {metric!r}; validation scores need "
            f"validation rows (got {len(member_histories)} member histories)",
            source="histories",
        )
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    for index, history in enumerate(member_histories):
        ax.plot(*_series(history, metric), linewidth=0.9, alpha=0.7, label=f"member {index + 1}")
    ax.plot(*_series(pooled, metric), color="k", linewidth=2.2, label="pooled (chooses the epoch)")
    best = _last_best_epoch(pooled) if best_epoch is None else int(best_epoch)
    if best is not None:
        ax.axvline(
            best, color=NEUTRAL_COLOUR, linestyle="--", linewidth=1.2, label=f"returned epoch ({best})"
        )
    ax.legend(frameon=False, loc="lower right", fontsize="small")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"validation {_LABELS.get(metric, metric)}")
    ax.set_title(title)
    style_axes(ax)
    return fig


def _last_best_epoch(history: Sequence[Mapping[str, float]]) -> int | None:
    """The collapse guard's best epoch as the last epoch logs record it; None when they hold none."""
    last = history[-1].get("best_epoch")
    return int(last) if last is not None and math.isfinite(last) and last > 0 else None


def _series(history: Sequence[Mapping[str, float]], metric: str) -> tuple[list[int], list[float]]:
    """Epochs and values of ``metric`` in a history (epochs without it left out)."""
    points = [(int(h.get("epoch", i + 1)), float(h[metric])) for i, h in enumerate(history) if metric in h]
    return [e for e, _ in points], [v for _, v in points]
