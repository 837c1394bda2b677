"""The GAN training figure: losses, discriminator outputs, diversity and quality, collapse marks."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots import gan_losses_figure, save_figure


def history(n: int = 6, **extra_at: dict[int, dict[str, float]]) -> list[dict[str, float]]:
    rows = [
        {
            "epoch": e,
            "d_loss": 1.3 - 0.05 * e,
            "g_loss": 0.7 + 0.1 * e,
            "d_real": 0.6,
            "d_fake": 0.5 - 0.05 * e,
            "g_steps": 1.0,
            "seconds": 0.1,
            "sample_diversity": 0.9,
            "discriminator_won": 0.0,
            "diversity_collapsed": 0.0,
        }
        for e in range(1, n + 1)
    ]
    for epoch, values in extra_at.get("at", {}).items():
        rows[epoch - 1].update(values)
    return rows


def labels_of(ax):
    return ax.get_legend_handles_labels()[1]


def test_losses_outputs_diversity_and_collapse_marks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logs = history(at={5: {"discriminator_won": 1.0}, 6: {"discriminator_won": 1.0}})
    fig = gan_losses_figure(logs, events=[{"epoch": 6, "sign": "discriminator_won"}])
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    losses, outputs, diversity = fig.axes
    assert {"discriminator (d_loss)", "generator (g_loss)"} <= set(labels_of(losses))
    assert [list(line.get_xdata()) for line in losses.get_lines()[:2]] == [[1, 2, 3, 4, 5, 6]] * 2
    # The collapse marks are drawn on every panel but named once in the top legend.
    assert "discriminator_won seen" in labels_of(losses) and "discriminator_won reported" in labels_of(losses)
    assert len(outputs.patches) == 2 and len(diversity.patches) == 2
    assert "D(real)" in labels_of(outputs) and "0.5: cannot tell them apart" in labels_of(outputs)
    half = [line for line in outputs.get_lines() if list(line.get_ydata()) == [0.5, 0.5]]
    assert half, "the 0.5 line is drawn on the outputs panel"
    assert "sample diversity" in labels_of(diversity)
    assert list(tmp_path.iterdir()) == []  # nothing written unless asked
    assert save_figure(fig, tmp_path / "gan.png").read_bytes()[:4] == b"\x89PNG"


def test_quality_panel_only_when_logged_and_minimal_history():
    with_quality = [dict(row, quality=1.0 / row["epoch"]) for row in history(3)]
    fig = gan_losses_figure(with_quality, quality_label="FID")
    assert len(fig.axes) == 4 and "FID" in labels_of(fig.axes[-1])
    assert not any(patch for ax in fig.axes for patch in ax.patches)  # no collapse, no shading

    # A history with losses only (no detector, no outputs) is one panel; epochs counted from 1.
    bare = gan_losses_figure([{"d_loss": 1.0, "g_loss": 0.5}, {"d_loss": 0.9, "g_loss": 0.6}])
    assert len(bare.axes) == 1 and list(bare.axes[0].get_lines()[0].get_xdata()) == [1, 2]


def test_bad_histories_are_refused():
    with pytest.raises(DataValidationError, match="empty"):
        gan_losses_figure([])
    with pytest.raises(DataValidationError, match="d_loss"):
        gan_losses_figure([{"epoch": 1, "loss": 0.3}])
