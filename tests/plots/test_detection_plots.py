from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots import (
    figure_to_png_bytes,
    new_figure,
    precision_recall_figure,
    reconstruction_figure,
    save_figure,
    score_histogram_figure,
)
from genfin.plots._figure import FRAUD_COLOUR, GENUINE_COLOUR

RNG = np.random.default_rng(0)
Y = np.r_[np.zeros(200, dtype=int), np.ones(10, dtype=int)]
SCORES = np.r_[RNG.lognormal(-3, 0.5, 200), RNG.lognormal(-1, 0.5, 10)]


@pytest.fixture
def in_empty_dir(tmp_path, monkeypatch):
    """Run in an empty folder, to prove that building a figure writes nothing."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _bar_containers(ax):
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def test_precision_recall_single_curve(in_empty_dir):
    fig = precision_recall_figure(Y, SCORES)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == 2  # the curve and the fraud-rate baseline
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0].startswith("AUPRC ")
    assert labels[1] == "Fraud rate 4.76%"
    assert ax.lines[1].get_ydata()[0] == pytest.approx(10 / 210)
    assert list(in_empty_dir.iterdir()) == []


def test_precision_recall_one_curve_per_model():
    fig = precision_recall_figure(Y, {"Autoencoder": SCORES, "Random": RNG.random(210)})
    (ax,) = fig.axes
    assert len(ax.lines) == 3
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[0].startswith("Autoencoder (AUPRC ") and labels[1].startswith("Random (AUPRC ")


def test_precision_recall_curve_has_no_spike_at_zero_recall():
    (ax,) = precision_recall_figure(Y, SCORES).axes
    precision = ax.lines[0].get_ydata()
    assert precision[-1] == precision[-2]


def test_precision_recall_refuses_bad_input():
    with pytest.raises(DataValidationError, match="empty"):
        precision_recall_figure(Y, {})
    with pytest.raises(DataValidationError, match="shape"):
        precision_recall_figure(Y, SCORES[:-1])


def test_score_histogram_two_classes(in_empty_dir):
    fig = score_histogram_figure(SCORES, Y, threshold=0.1)
    (ax,) = fig.axes
    assert len(ax.patches) == 2  # one filled histogram per class
    genuine, fraud = ax.patches
    assert genuine.get_edgecolor()[:3] == pytest.approx(_rgb(GENUINE_COLOUR))
    assert fraud.get_edgecolor()[:3] == pytest.approx(_rgb(FRAUD_COLOUR))
    assert ax.get_xscale() == "log"
    assert len(ax.lines) == 1  # the threshold
    assert ax.lines[0].get_xdata()[0] == 0.1
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[:2] == ["Genuine (n = 200)", "Fraud (n = 10)"]
    assert "of fraud" in labels[2]
    assert list(in_empty_dir.iterdir()) == []


def test_score_histogram_classes_are_normalised_separately():
    (ax,) = score_histogram_figure(SCORES, Y, log_scale=False, bins=7).axes
    for patch in ax.patches:
        # A stepfilled outline visits each bin's top edge twice: (left, h) and (right, h).
        heights = patch.get_xy()[1:-1:2, 1][:7]
        assert heights.sum() == pytest.approx(1.0)


def test_score_histogram_without_labels_and_linear_scale():
    fig = score_histogram_figure(RNG.normal(size=50), log_scale=False)
    (ax,) = fig.axes
    assert len(ax.patches) == 1 and ax.get_xscale() == "linear" and not ax.lines


def test_score_histogram_log_scale_needs_positive_scores():
    with pytest.raises(DataValidationError, match="log_scale=False"):
        score_histogram_figure(np.array([-1.0, 0.5, 2.0]))
    with pytest.raises(DataValidationError, match="log_scale=False"):
        score_histogram_figure(SCORES, threshold=0.0)


def test_score_histogram_constant_scores_still_draw():
    fig = score_histogram_figure(np.full(5, 0.3))
    assert len(fig.axes[0].patches) == 1


def test_reconstruction_two_bar_series():
    original = np.array([0.2, -0.5, 0.9, 0.1])
    recon = np.array([0.25, -0.1, 0.8, 0.1])
    fig = reconstruction_figure(original, recon, ["a", "b", "c", "d"], title="Row 7")
    (ax,) = fig.axes
    containers = _bar_containers(ax)
    assert len(containers) == 2
    assert [patch.get_height() for patch in containers[0]] == pytest.approx(original)
    assert [patch.get_height() for patch in containers[1]] == pytest.approx(recon)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Original", "Reconstruction"]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert fig.get_suptitle() == "Row 7"


def test_reconstruction_with_errors_highlights_the_worst():
    original = np.array([0.2, -0.5, 0.9, 0.1, 0.4])
    recon = np.array([0.25, -0.1, 0.8, 0.1, 0.9])
    errors = (original - recon) ** 2
    fig = reconstruction_figure(original, recon, list("abcde"), errors=errors, n_highlight=2)
    top, bottom = fig.axes
    assert len(_bar_containers(top)) == 2
    (error_bars,) = _bar_containers(bottom)
    red = [
        i
        for i, patch in enumerate(error_bars)
        if patch.get_facecolor()[:3] == pytest.approx(_rgb(FRAUD_COLOUR))
    ]
    assert red == [1, 4]
    bold = [label.get_text() for label in bottom.get_xticklabels() if label.get_fontweight() == "bold"]
    assert bold == ["b", "e"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"reconstruction": [1.0, 2.0]}, "shape"),
        ({"feature_names": ["a"]}, "1 feature names for 3 features"),
        ({"errors": [1.0]}, "one error per feature"),
        ({"original": [1.0, np.nan, 2.0]}, "NaN"),
    ],
)
def test_reconstruction_refuses_bad_input(kwargs, match):
    args = {"original": [1.0, 2.0, 3.0], "reconstruction": [1.0, 2.0, 3.0], **kwargs}
    with pytest.raises(DataValidationError, match=match):
        reconstruction_figure(**args)


def test_many_features_thin_the_tick_labels():
    fig = reconstruction_figure(np.zeros(200), np.zeros(200))
    assert len(fig.axes[0].get_xticks()) <= 60


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_figure_writes_by_suffix_and_creates_folders(tmp_path, suffix):
    fig = new_figure(2, 2)
    fig.add_subplot().plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "a" / "b" / f"fig{suffix}", dpi=50)
    assert path.exists() and path.stat().st_size > 0
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == [f"fig{suffix}"]


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_save_figure_same_figure_same_bytes(tmp_path, suffix):
    # Two figures built alike, since constrained layout nudges a figure each time it is drawn again.
    saved = []
    for i in range(2):
        fig = new_figure(2, 2)
        fig.add_subplot().plot([0, 1], [0, 1])
        saved.append(save_figure(fig, tmp_path / f"{i}{suffix}").read_bytes())
    assert saved[0] == saved[1]


def test_save_figure_refuses_unknown_suffix(tmp_path):
    with pytest.raises(DataValidationError, match=r"\.jpg"):
        save_figure(new_figure(2, 2), tmp_path / "fig.jpg")
    assert list(tmp_path.iterdir()) == []


def test_figure_to_png_bytes():
    png = figure_to_png_bytes(new_figure(1, 1), dpi=20)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def _rgb(colour):
    return to_rgb(colour)
