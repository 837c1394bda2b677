"""Figures of how training went, from a model's ``history_``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots._figure import new_figure, style_axes


def training_curve_figure(
    history: Sequence[Mapping[str, float]],
    *,
    metrics: Sequence[str] | None = None,
    title: str = "Training",
) -> Figure:
    """Loss (and any other logged metric) per epoch, one line per metric.

    Parameters
    ----------
    history
        One mapping per epoch, as in an estimator's ``history_``; must hold ``epoch``.
    metrics
        Which keys to draw; by default every key except ``epoch``, ``seconds`` and bookkeeping
        counts such as ``rows_trimmed``.
    title
        Axes title.
    """
    if not history:
        raise DataValidationError("history is empty: fit the model for at least one epoch", source="history")
    if metrics is None:
        skip = {"epoch", "round", "seconds", "rows_trimmed"}
        metrics = [k for k in history[0] if k not in skip]
    fig = new_figure(6.4, 3.6)
    ax = fig.add_subplot()
    # Models that train in rounds (fresh weights each) restart their epoch count: draw one axis.
    epochs = list(range(1, len(history) + 1))
    for name in metrics:
        points = [(e, h[name]) for e, h in zip(epochs, history, strict=True) if name in h]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", markersize=3, label=name)
    for i, epoch in enumerate(epochs):
        logs = history[i]
        if logs.get("rows_trimmed"):
            ax.axvline(epoch + 0.5, color="#888888", linestyle=":", linewidth=1, label="worst rows dropped")
        if i and logs.get("round", 1) != history[i - 1].get("round", 1):
            ax.axvline(
                epoch - 0.5, color="#444444", linestyle="--", linewidth=1, label="new round, fresh weights"
            )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), frameon=False)
    ax.set_xlabel("epoch" if "round" not in history[0] else "epoch (all rounds)")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(title)
    style_axes(ax)
    return fig
