from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from genfin.plots import correlation_heatmap_figure, marginal_overlay_figure

RNG = np.random.default_rng(0)
REAL = pd.DataFrame(RNG.normal(size=(300, 5)), columns=[f"c{i}" for i in range(5)])
SYNTHETIC = pd.DataFrame(RNG.normal(size=(200, 5)), columns=REAL.columns)


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _panel_columns(fig):
    return [ax.get_title(loc="left").split()[0] for ax in _panels(fig)]


def test_marginal_overlay_one_panel_per_column_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = marginal_overlay_figure(REAL, SYNTHETIC)
    assert isinstance(fig, Figure)
    assert _panel_columns(fig) == list(REAL.columns)
    # Five panels fill a 4-wide grid's two rows; the three empty slots are hidden.
    assert len(fig.axes) == 8
    assert "column by column" in fig.get_suptitle()
    # Two histograms per panel (real filled and outlined, synthetic outlined) on the same edges.
    for ax in _panels(fig):
        edges = [patch.get_path().vertices[:, 0] for patch in ax.patches]
        assert len(ax.patches) == 3
        assert edges[0].min() == pytest.approx(edges[2].min()) and edges[0].max() == pytest.approx(
            edges[2].max()
        )
    (legend,) = fig.legends
    assert [text.get_text() for text in legend.get_texts()] == ["real", "synthetic"]
    assert list(tmp_path.iterdir()) == []


def test_marginal_overlay_picks_the_worst_columns_first():
    synthetic = SYNTHETIC.copy()
    synthetic["c3"] += 1.5  # planted: one column clearly off
    synthetic["c1"] *= 3.0  # another, less so in KS terms
    fig = marginal_overlay_figure(REAL, synthetic, max_columns=2, labels=("real frauds", "VAE"))
    assert _panel_columns(fig) == ["c3", "c1"]
    assert "2 of 5 columns" in fig.get_suptitle() and "worst first" in fig.get_suptitle()
    assert [text.get_text() for text in fig.legends[0].get_texts()] == ["real frauds", "VAE"]


def test_marginal_overlay_axis_follows_the_real_bulk_and_reports_values_off_it():
    real = REAL.copy()
    real.loc[0, "c0"] = 1e6  # one extreme value must not squash the plot
    synthetic = SYNTHETIC.copy()
    synthetic["c1"] += 100.0  # all synthetic values off the real range
    fig = marginal_overlay_figure(real, synthetic, columns=["c0", "c1", "c2"])
    ax_c0, ax_c1, _ = _panels(fig)
    assert ax_c0.get_xlim()[1] < 10
    assert "0.3% real" in ax_c0.get_xlabel()
    assert "100% synth" in ax_c1.get_xlabel()


def test_marginal_overlay_arrays_get_numbered_columns():
    fig = marginal_overlay_figure(REAL.to_numpy(), SYNTHETIC.to_numpy(), columns=["x4", "x0"])
    assert _panel_columns(fig) == ["x4", "x0"]


def test_marginal_overlay_constant_column():
    real = REAL.assign(c0=2.0)
    fig = marginal_overlay_figure(real, SYNTHETIC.assign(c0=2.0), columns=["c0"])
    low, high = _panels(fig)[0].get_xlim()
    assert low < 2.0 < high


@pytest.mark.parametrize(
    ("synthetic", "message"),
    [
        (SYNTHETIC.drop(columns="c2"), r"missing \['c2'\]"),
        (SYNTHETIC.rename(columns={"c2": "z"}), r"missing \['c2'\], extra \['z'\]"),
        (SYNTHETIC.to_numpy()[:, :3], "has 3 columns but real has 5"),
    ],
)
def test_mismatched_columns_raise(synthetic, message):
    with pytest.raises(ValueError, match=message):
        marginal_overlay_figure(REAL, synthetic)
    with pytest.raises(ValueError, match=message):
        correlation_heatmap_figure(REAL, synthetic)


def test_marginal_overlay_bad_settings():
    with pytest.raises(ValueError, match=r"columns.*\['nope'\]"):
        marginal_overlay_figure(REAL, SYNTHETIC, columns=["c0", "nope"])
    with pytest.raises(ValueError, match="max_columns"):
        marginal_overlay_figure(REAL, SYNTHETIC, max_columns=0)
    with pytest.raises(ValueError, match="labels"):
        marginal_overlay_figure(REAL, SYNTHETIC, labels=("only one",))


def test_correlation_heatmap_three_panels_and_two_colour_bars():
    real = REAL.copy()
    real["c1"] = real["c0"] + 0.1 * RNG.normal(size=len(real))  # strongly correlated in the real rows
    fig = correlation_heatmap_figure(real, SYNTHETIC)
    heatmaps = [ax for ax in fig.axes if ax.images]
    assert len(heatmaps) == 3
    assert len(fig.axes) == 5  # and two colour bars
    assert [ax.get_title(loc="left") for ax in heatmaps] == ["real", "synthetic", "synthetic \u2212 real"]
    real_image, synthetic_image, difference_image = (ax.images[0] for ax in heatmaps)
    assert real_image.get_clim() == synthetic_image.get_clim() == (-1.0, 1.0)
    low, high = difference_image.get_clim()
    assert low == -high and high == pytest.approx(np.abs(difference_image.get_array()).max())
    assert real_image.get_array()[0, 1] > 0.9
    difference = difference_image.get_array()
    expected = np.abs(difference[np.triu_indices(5, k=1)]).mean()
    assert f"{expected:.3f}" in fig.get_suptitle()
    assert [label.get_text() for label in heatmaps[0].get_yticklabels()] == list(real.columns)


def test_correlation_heatmap_needs_two_columns():
    with pytest.raises(ValueError, match="at least 2 columns"):
        correlation_heatmap_figure(REAL[["c0"]], SYNTHETIC[["c0"]])
