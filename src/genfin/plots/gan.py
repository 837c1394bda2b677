"""Figures of how a GAN trained, from its ``history_``: both players' losses, the discriminator's outputs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots._figure import FRAUD_COLOUR, GENUINE_COLOUR, NEUTRAL_COLOUR, new_figure, style_axes

__all__ = ["COLLAPSE_SIGNS", "gan_losses_figure"]

#: The collapse detector's per-epoch flags in ``history_`` (1.0 when the sign was present that epoch).
COLLAPSE_SIGNS = ("discriminator_won", "diversity_collapsed", "classes_missing")
_SIGN_COLOURS = {
    "discriminator_won": "#ff7f0e",
    "diversity_collapsed": "#9467bd",
    "classes_missing": "#8c564b",
}
_REQUIRED = ("d_loss", "g_loss")


def gan_losses_figure(
    history: Sequence[Mapping[str, Any]],
    *,
    events: Sequence[Mapping[str, Any]] | None = None,
    quality: str = "quality",
    quality_label: str = "sample quality (lower is better)",
    title: str = "GAN training",
) -> Figure:
    """Discriminator and generator losses per epoch, the discriminator's outputs, and collapse signs.

    Panels, top to bottom, sharing the epoch axis:

    1. ``d_loss`` and ``g_loss``;
    2. ``d_real`` and ``d_fake``, the discriminator's mean probability of "real" for real rows and
       for fakes, with the 0.5 line where a discriminator that cannot tell them apart sits (when the
       history has them);
    3. the collapse detector's ``sample_diversity`` (fixed-noise samples' diversity as a share of
       the data's; 1 is as diverse as the data), when logged;
    4. the ``quality`` column (keep-best's sliced Wasserstein distance, or a quality metric such as
       an FID given to ``GAN.fit``), when logged.

    Epochs in which the collapse detector saw a sign (``discriminator_won``, ``diversity_collapsed``,
    ``classes_missing``) are shaded on every panel, one colour per sign; ``events``, the failures it
    reported (``GAN.collapse_events_``), are drawn as dashed lines.

    Parameters
    ----------
    history
        One mapping per epoch, as in ``GAN.history_``; must hold ``d_loss`` and ``g_loss``. Epochs
        are read from ``epoch`` when present, else counted from 1.
    events
        Optional reported failures, each a mapping with ``epoch`` and ``sign``.
    quality
        The history key of the quality curve.
    quality_label
        The legend entry of the quality curve (its y-axis is labelled with the key).
    title
        Title over the top panel.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, on its own canvas.

    Raises
    ------
    DataValidationError
        If the history is empty or lacks ``d_loss`` or ``g_loss``.
    """
    if not history:
        raise DataValidationError("history is empty: fit the GAN for at least one epoch", source="history")
    missing = [key for key in _REQUIRED if not any(key in logs for logs in history)]
    if missing:
        raise DataValidationError(
            f"has no {' or '.join(missing)}: expected a GAN's history_ (one dict per epoch)", source="history"
        )
    epochs = [int(logs.get("epoch", i + 1)) for i, logs in enumerate(history)]

    def has(key: str) -> bool:
        return any(_finite(logs.get(key)) for logs in history)

    panels = ["loss"]
    if has("d_real") or has("d_fake"):
        panels.append("outputs")
    if has("sample_diversity"):
        panels.append("diversity")
    if has(quality):
        panels.append("quality")
    fig = new_figure(6.8, 1.2 + 2.0 * len(panels))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    by_panel = dict(zip(panels, axes, strict=True))

    def curve(ax: Axes, key: str, **style: Any) -> None:
        points = [
            (e, float(logs[key])) for e, logs in zip(epochs, history, strict=True) if _finite(logs.get(key))
        ]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", markersize=3, **style)

    ax = by_panel["loss"]
    curve(ax, "d_loss", color=GENUINE_COLOUR, label="discriminator (d_loss)")
    curve(ax, "g_loss", color=FRAUD_COLOUR, label="generator (g_loss)")
    ax.set_ylabel("loss")
    ax.set_title(title)
    if "outputs" in by_panel:
        ax = by_panel["outputs"]
        ax.axhline(0.5, color=NEUTRAL_COLOUR, linestyle=":", linewidth=1, label="0.5: cannot tell them apart")
        curve(ax, "d_real", color=GENUINE_COLOUR, label="D(real)")
        curve(ax, "d_fake", color=FRAUD_COLOUR, label="D(fake)")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("mean D output")
    if "diversity" in by_panel:
        ax = by_panel["diversity"]
        ax.axhline(1.0, color=NEUTRAL_COLOUR, linestyle=":", linewidth=1, label="the data's diversity")
        curve(ax, "sample_diversity", color="#2ca02c", label="sample diversity")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("share of data's")
    if "quality" in by_panel:
        ax = by_panel["quality"]
        curve(ax, quality, color="#17becf", label=quality_label)
        ax.set_ylabel(quality)

    _mark_collapse(axes, epochs, history, events or ())
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), frameon=False, fontsize=8, loc="best")
        style_axes(ax)
    axes[-1].set_xlabel("epoch")
    if len(set(epochs)) <= 12:
        axes[-1].set_xticks(sorted(set(epochs)))
    return fig


def _mark_collapse(
    axes: Sequence[Axes],
    epochs: Sequence[int],
    history: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
) -> None:
    """Shade the epochs in which each collapse sign was seen; dashed lines where one was reported."""
    for sign in COLLAPSE_SIGNS:
        colour = _SIGN_COLOURS[sign]
        for epoch, logs in zip(epochs, history, strict=True):
            if _finite(logs.get(sign)) and float(logs[sign]):
                for i, ax in enumerate(axes):
                    ax.axvspan(
                        epoch - 0.5,
                        epoch + 0.5,
                        color=colour,
                        alpha=0.15,
                        linewidth=0,
                        label=f"{sign} seen" if i == 0 else None,
                    )
    for event in events:
        sign = str(event.get("sign", "collapse"))
        for i, ax in enumerate(axes):
            ax.axvline(
                int(event["epoch"]),
                color=_SIGN_COLOURS.get(sign, NEUTRAL_COLOUR),
                linestyle="--",
                linewidth=1.2,
                label=f"{sign} reported" if i == 0 else None,
            )


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
