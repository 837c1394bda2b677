from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots._figure import FRAUD_COLOUR, GENUINE_COLOUR
from genfin.plots.latent import image_grid_figure, latent_scatter_figure


@pytest.fixture(autouse=True)
def no_files_written(tmp_path, monkeypatch):
    # Figures must write nothing: run every test in an empty folder and check it stays empty.
    monkeypatch.chdir(tmp_path)
    yield
    assert list(tmp_path.iterdir()) == []


def fraud_map(n_genuine: int = 2000, n_fraud: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    coords = np.vstack([rng.normal(size=(n_genuine, 2)) * 5, rng.normal(size=(n_fraud, 2)) + [12, 12]])
    labels = np.r_[np.zeros(n_genuine, dtype=int), np.ones(n_fraud, dtype=int)]
    order = rng.permutation(len(labels))  # frauds mixed through the rows, as in real data
    return coords[order], labels[order]


def layers(fig: Figure):
    return fig.axes[0].collections


def test_fraud_map_draws_genuine_blue_under_fraud_red():
    coords, labels = fraud_map(8000, 40)
    fig = latent_scatter_figure(coords, labels, title="Latent map")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    genuine, fraud = layers(fig)
    assert to_hex(genuine.get_facecolor()[0], keep_alpha=False) == to_hex(GENUINE_COLOUR)
    assert to_hex(fraud.get_facecolor()[0], keep_alpha=False) == to_hex(FRAUD_COLOUR)
    assert len(genuine.get_offsets()) == 8000 and len(fraud.get_offsets()) == 40
    assert fraud.get_zorder() > genuine.get_zorder()  # the rare class on top
    assert fraud.get_alpha() > genuine.get_alpha()  # and bolder
    assert genuine.get_rasterized() and fraud.get_rasterized()
    assert not ax.axison
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "Genuine (n = 8,000)",
        "Fraud (n = 40)",
    ]
    assert ax.get_title(loc="left") == "Latent map"
    fig.canvas.draw()  # renders without error


def test_many_classes_take_distinct_colours_and_a_legend_in_label_order():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000)
    coords = rng.normal(size=(10, 2))[labels] * 10 + rng.normal(size=(1000, 2))
    fig = latent_scatter_figure(coords, labels)
    colours = {to_hex(layer.get_facecolor()[0], keep_alpha=False) for layer in layers(fig)}
    assert len(layers(fig)) == 10 and len(colours) == 10
    texts = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert [t.split(" ")[0] for t in texts] == [str(i) for i in range(10)]


def test_class_names_by_mapping_or_sequence():
    coords, labels = fraud_map(200, 10)
    for names in ({0: "ok", 1: "stolen card"}, ["ok", "stolen card"]):
        fig = latent_scatter_figure(coords, labels, class_names=names)
        texts = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
        assert texts == ["ok (n = 200)", "stolen card (n = 10)"]


def test_without_labels_one_neutral_layer_and_no_legend():
    coords, _ = fraud_map(300, 0)
    fig = latent_scatter_figure(coords)
    assert len(layers(fig)) == 1 and fig.axes[0].get_legend() is None


def test_max_points_thins_the_crowd_but_keeps_every_fraud():
    coords, labels = fraud_map(20_000, 50)
    fig = latent_scatter_figure(coords, labels, max_points=2_000, random_state=0, title="Map")
    genuine, fraud = layers(fig)
    assert len(fraud.get_offsets()) == 50
    assert len(genuine.get_offsets()) + 50 <= 2_000
    assert "of 20,050 points" in fig.axes[0].get_title(loc="left")
    # The legend still counts every point.
    assert "Genuine (n = 20,000)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    again = latent_scatter_figure(coords, labels, max_points=2_000, random_state=0)
    np.testing.assert_array_equal(layers(again)[0].get_offsets(), genuine.get_offsets())


def test_large_map_fades_the_crowd():
    coords, labels = fraud_map(100_000, 200)
    genuine, fraud = layers(latent_scatter_figure(coords, labels))
    assert genuine.get_alpha() <= 0.25 and genuine.get_sizes()[0] <= 2.0
    assert fraud.get_alpha() >= 0.9


@pytest.mark.parametrize(
    ("coords", "labels", "kwargs", "match"),
    [
        (np.zeros((10, 3)), None, {}, r"shape \(n, 2\).*\(10, 3\)"),
        (np.zeros((0, 2)), None, {}, r"\(0, 2\)"),
        (np.full((10, 2), np.nan), None, {}, "NaN"),
        (np.zeros((10, 2)), np.zeros(9), {}, r"\(10,\).*\(9,\)"),
        (np.zeros((10, 2)), np.r_[np.zeros(9), np.nan], {}, "NaN"),
        (np.zeros((10, 2)), np.r_[np.zeros(5), np.ones(5)], {"class_names": ["one"]}, "one name per class"),
        (np.zeros((10, 2)), np.r_[np.zeros(5), np.ones(5)], {"class_names": {0: "a"}}, r"no name.*\[1\.0\]"),
    ],
)
def test_scatter_refuses_bad_input(coords, labels, kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        latent_scatter_figure(coords, labels, **kwargs)


def test_image_grid_tiles_edge_to_edge():
    rng = np.random.default_rng(0)
    images = rng.random((10, 28, 20))
    fig = image_grid_figure(images, n_cols=4, titles=[f"z={i}" for i in range(10)])
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert tuple(ax.get_position().bounds) == (0.0, 0.0, 1.0, 1.0)  # full bleed: no margins, no gaps
    (image,) = ax.get_images()
    mosaic = image.get_array()
    assert mosaic.shape == (3 * 28, 4 * 20)
    np.testing.assert_array_equal(mosaic[28:56, 20:40], images[5])  # row 1, column 1
    assert np.ma.getmaskarray(mosaic)[56:, 40:].all()  # two empty cells after the last image
    assert image.get_clim() == (images.min(), images.max())  # one intensity scale for every tile
    assert [t.get_text() for t in ax.texts] == [f"z={i}" for i in range(10)]
    width, height = fig.get_size_inches()
    assert width / height == pytest.approx((4 * 20) / (3 * 28))
    fig.canvas.draw()


def test_image_grid_defaults_to_a_square_ish_grid_and_takes_colour():
    fig = image_grid_figure(np.ones((9, 8, 8, 3)) * 0.5)
    assert fig.axes[0].get_images()[0].get_array().shape == (24, 24, 3)
    fig = image_grid_figure(np.zeros((5, 8, 8)), cmap="viridis")  # constant images are fine too
    assert fig.axes[0].get_images()[0].get_array().shape == (16, 24)


@pytest.mark.parametrize(
    ("images", "kwargs", "error", "match"),
    [
        (np.zeros((28, 28)), {}, DataValidationError, r"\(28, 28\)"),
        (np.zeros((0, 28, 28)), {}, DataValidationError, "n >= 1"),
        (np.zeros((2, 8, 8, 5)), {}, DataValidationError, r"\(2, 8, 8, 5\)"),
        (np.zeros((3, 8, 8)), {"titles": ["a"]}, DataValidationError, "1 titles for 3 images"),
        (np.zeros((3, 8, 8)), {"n_cols": 0}, ValueError, "n_cols"),
    ],
)
def test_image_grid_refuses_bad_input(images, kwargs, error, match):
    with pytest.raises(error, match=match):
        image_grid_figure(images, **kwargs)


def test_alpha_of_fraud_layer_is_not_baked_into_colour():
    # Alpha lives on the layer, so the legend can show the class colour at full strength.
    coords, labels = fraud_map(200, 10)
    fig = latent_scatter_figure(coords, labels)
    handles = fig.axes[0].get_legend().legend_handles
    assert all(handle.get_alpha() == 1.0 for handle in handles)
    assert to_rgba(FRAUD_COLOUR)[:3] == pytest.approx(tuple(layers(fig)[1].get_facecolor()[0][:3]))
