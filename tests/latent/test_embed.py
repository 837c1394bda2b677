from __future__ import annotations

import importlib.util
import sys
import warnings

import numpy as np
import pytest

from genfin.exceptions import DataValidationError, NotFittedError
from genfin.latent import (
    LatentMap,
    embed,
    grid_traversal,
    knn_accuracy,
    line_traversal,
    principal_grid,
    trustworthiness,
)

HAS_UMAP = importlib.util.find_spec("umap") is not None


def blobs(n: int = 300, n_blobs: int = 5, dims: int = 10, seed: int = 0):
    """Well-separated Gaussian blobs: centres ~ N(0, 8^2) per dimension, unit spread around them."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=8.0, size=(n_blobs, dims))
    labels = np.arange(n) % n_blobs
    return centres[labels] + rng.normal(size=(n, dims)), labels


@pytest.fixture(scope="module")
def data():
    return blobs()


@pytest.fixture(scope="module")
def tsne_map(data):
    codes, _ = data
    # Full default optimisation (Barnes-Hut at this size): under a second, and it is the map the
    # quality floor below is about. One thread: see the note on the two-thread test.
    return embed(codes, "tsne", random_state=0, n_jobs=1)


def span(coords: np.ndarray) -> float:
    return float(np.ptp(coords, axis=0).max())


# --- shapes, determinism ----------------------------------------------------------------------


def test_pca_shape_determinism_and_params(data):
    codes, _ = data
    first = embed(codes, "pca", random_state=3)
    second = embed(codes, "pca", random_state=3)
    assert isinstance(first, LatentMap)
    assert first.coords.shape == (300, 2) and first.coords.dtype == np.float64
    assert first.method == "pca"
    np.testing.assert_array_equal(first.coords, second.coords)
    np.testing.assert_array_equal(first.fit_indices, np.arange(300))
    assert first.params["n_fit"] == 300 and first.params["n_placed"] == 0
    assert len(first.params["explained_variance_ratio"]) == 2


def test_tsne_same_seed_gives_identical_coordinates_with_two_threads(data):
    # The only test on two threads. openTSNE's OpenMP threads spin while waiting, so on a machine
    # already busy with other processes a tiny two-thread fit can take 10-30 times longer than on
    # one thread (OMP_WAIT_POLICY=passive cures it); the other tests therefore use n_jobs=1.
    codes, _ = data
    first = embed(codes, "tsne", n_iter=50, random_state=7, n_jobs=2)
    second = embed(codes, "tsne", n_iter=50, random_state=7, n_jobs=2)
    assert first.coords.shape == (300, 2)
    np.testing.assert_array_equal(first.coords, second.coords)
    other = embed(codes, "tsne", n_iter=50, random_state=8, n_jobs=2)
    assert not np.array_equal(first.coords, other.coords)


def test_tsne_records_what_ran(tsne_map):
    params = tsne_map.params
    assert params["perplexity"] == 30.0 and params["perplexity_clamped"] is False
    assert params["negative_gradient_method"] == "bh"  # FFT only pays off from 10,000 fitted rows
    assert params["initialization"] == "pca"
    assert params["learning_rate"] == "auto"
    assert params["n_iter"] == 500


def test_seed_may_be_a_generator(data):
    codes, _ = data
    first = embed(codes, "pca", max_fit_samples=50, random_state=np.random.default_rng(5))
    second = embed(codes, "pca", max_fit_samples=50, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(first.fit_indices, second.fit_indices)


# --- quality floor --------------------------------------------------------------------------


def test_tsne_map_of_separated_blobs_keeps_classes_and_neighbours(data, tsne_map):
    codes, labels = data
    assert knn_accuracy(tsne_map.coords, labels, k=10) > 0.95
    assert trustworthiness(codes, tsne_map.coords, k=10) > 0.9


def test_pca_map_of_separated_blobs_keeps_classes(data):
    codes, labels = data
    assert knn_accuracy(embed(codes, "pca").coords, labels, k=10) > 0.9


# --- placing new points ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_transform_places_perturbed_copies_next_to_their_originals(data, tsne_map, method):
    codes, labels = data
    latent_map = tsne_map if method == "tsne" else embed(codes, "pca")
    rng = np.random.default_rng(1)
    rows = rng.choice(len(codes), size=20, replace=False)
    copies = codes[rows] + 0.01 * rng.normal(size=(20, codes.shape[1]))
    placed = latent_map.transform(copies)
    assert placed.shape == (20, 2)
    distance = np.linalg.norm(placed - latent_map.coords[rows], axis=1)
    assert distance.max() < 0.05 * span(latent_map.coords)
    # ... and in the right blob: the nearest fitted point has the original's label.
    nearest = np.argmin(np.linalg.norm(latent_map.coords[None] - placed[:, None], axis=2), axis=1)
    np.testing.assert_array_equal(labels[nearest], labels[rows])


def test_tsne_transform_leaves_the_map_untouched(data, tsne_map):
    codes, _ = data
    before = tsne_map.coords.copy()
    first = tsne_map.transform(codes[:5] + 0.01)
    second = tsne_map.transform(codes[:5] + 0.01)
    np.testing.assert_array_equal(tsne_map.coords, before)
    # openTSNE re-centres its embedding in place while placing points; embed() undoes that exactly.
    np.testing.assert_array_equal(np.asarray(tsne_map.model), before)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_subsample_path_fits_some_rows_and_places_the_rest(data, method):
    codes, labels = data
    latent_map = embed(codes, method, max_fit_samples=100, random_state=2, n_iter=200, n_jobs=1)
    assert latent_map.coords.shape == (300, 2)
    assert np.all(np.isfinite(latent_map.coords))
    fit = latent_map.fit_indices
    assert fit.shape == (100,) and np.all(np.diff(fit) > 0) and fit.min() >= 0 and fit.max() < 300
    assert latent_map.n_fitted == 100
    assert latent_map.params["n_fit"] == 100 and latent_map.params["n_placed"] == 200
    # Placed rows land among their own blob.
    assert knn_accuracy(latent_map.coords, labels, k=10) > 0.9
    again = embed(codes, method, max_fit_samples=100, random_state=2, n_iter=200, n_jobs=1)
    np.testing.assert_array_equal(again.fit_indices, fit)
    np.testing.assert_array_equal(again.coords, latent_map.coords)


# --- small inputs, clamping -----------------------------------------------------------------


def test_perplexity_too_high_for_the_rows_is_lowered_loudly_and_recorded():
    codes, _ = blobs(n=20, n_blobs=2)
    with pytest.warns(UserWarning, match="using perplexity 6.33"):
        latent_map = embed(codes, "tsne", random_state=0, n_iter=50, n_jobs=1)
    assert latent_map.params["perplexity"] == pytest.approx(19 / 3)
    assert latent_map.params["perplexity_requested"] == 30.0
    assert latent_map.params["perplexity_clamped"] is True
    assert latent_map.coords.shape == (20, 2)


def test_no_warning_when_perplexity_fits():
    codes, _ = blobs(n=40, n_blobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        embed(codes, "tsne", perplexity=5, random_state=0, n_iter=20, n_jobs=1)


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_one_dimensional_codes_still_give_a_two_column_map(method):
    codes = np.linspace(0, 1, 30)[:, None] + np.random.default_rng(0).normal(scale=0.01, size=(30, 1))
    latent_map = embed(codes, method, perplexity=5, random_state=0, n_iter=50, n_jobs=1)
    assert latent_map.coords.shape == (30, 2)
    assert np.all(np.isfinite(latent_map.coords))
    assert latent_map.transform(codes[:3]).shape == (3, 2)


# --- UMAP (optional extra) ------------------------------------------------------------------


@pytest.mark.skipif(not HAS_UMAP, reason="umap-learn not installed (pip install genfin[umap])")
# Well-separated blobs make a disconnected neighbour graph, which umap-learn (rightly) remarks on.
@pytest.mark.filterwarnings("ignore:Graph is not fully connected:UserWarning")
def test_umap_shape_determinism_and_transform(data):
    # One test, so numba's just-in-time compilation (~15 s on first use) is paid once.
    codes, labels = data
    first = embed(codes, "umap", random_state=0)
    second = embed(codes, "umap", random_state=0)
    assert first.coords.shape == (300, 2)
    np.testing.assert_array_equal(first.coords, second.coords)
    assert first.params["n_neighbors"] == 15 and first.params["n_jobs"] == 1
    assert knn_accuracy(first.coords, labels, k=10) > 0.95
    placed = first.transform(codes[:10] + 0.01)
    nearest = np.argmin(np.linalg.norm(first.coords[None] - placed[:, None], axis=2), axis=1)
    np.testing.assert_array_equal(labels[nearest], labels[:10])


def test_umap_missing_says_how_to_install(data, monkeypatch):
    codes, _ = data
    monkeypatch.setitem(sys.modules, "umap", None)  # makes `import umap` fail
    with pytest.raises(ImportError, match=r"pip install genfin\[umap\]"):
        embed(codes, "umap")


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "match"),
    [
        (np.zeros(12), r"2-D array.*shape \(12,\).*reshape"),
        (np.zeros((4, 3, 2)), r"shape \(4, 3, 2\)"),
        (np.ones((4, 3)), r"at least 5 rows.*shape \(4, 3\)"),
        (np.ones((10, 0)), r"at least 5 rows and 1 column.*shape \(10, 0\)"),
        (np.array([["a", "b"]] * 6), "real numbers"),
        (np.ones((10, 3)), "identical"),
    ],
)
def test_bad_codes_are_refused_naming_the_shape(codes, match):
    with pytest.raises(DataValidationError, match=match):
        embed(codes, "pca")


def test_non_finite_codes_name_the_first_bad_entry():
    codes, _ = blobs(n=30)
    codes[7, 3] = np.nan
    with pytest.raises(DataValidationError, match=r"codes\[7, 3\]") as error:
        embed(codes, "tsne")
    assert error.value.row == 8 and error.value.column == "3" and error.value.source == "codes"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "isomap"}, "unknown map method 'isomap'"),
        ({"perplexity": 0}, "perplexity must be a positive"),
        ({"perplexity": "30"}, "perplexity must be a positive"),
        ({"max_fit_samples": 2}, "max_fit_samples must be at least 5"),
        ({"n_neighbors": 1}, "n_neighbors must be at least 2"),
        ({"n_iter": 0}, "n_iter must be at least 1"),
        ({"n_jobs": 0}, "n_jobs"),
    ],
)
def test_bad_settings_are_refused(data, kwargs, match):
    codes, _ = data
    with pytest.raises(ValueError, match=match):
        embed(codes, **kwargs)


def test_transform_refuses_codes_of_another_width(data):
    codes, _ = data
    latent_map = embed(codes, "pca")
    with pytest.raises(DataValidationError, match=r"expected 10 columns.*shape \(3, 4\)"):
        latent_map.transform(np.zeros((3, 4)))


def test_a_map_without_model_cannot_place_points():
    latent_map = LatentMap(coords=np.zeros((5, 2)), method="tsne", fit_indices=np.arange(5))
    with pytest.raises(NotFittedError, match="no fitted model"):
        latent_map.transform(np.zeros((1, 3)))


# --- traversals -----------------------------------------------------------------------------


def test_line_traversal_includes_both_ends():
    path = line_traversal([0.0, 0.0, 1.0], [1.0, 2.0, 1.0], steps=5)
    assert path.shape == (5, 3)
    np.testing.assert_array_equal(path[0], [0, 0, 1])
    np.testing.assert_array_equal(path[-1], [1, 2, 1])
    np.testing.assert_allclose(path[2], [0.5, 1.0, 1.0])


def test_grid_traversal_varies_two_dimensions_in_reading_order():
    centre = np.array([1.0, 5.0, -1.0, 0.0])
    grid = grid_traversal(centre, 0, 2, span=2.0, steps=3)
    assert grid.shape == (9, 4)
    # Untouched dimensions stay at the centre.
    np.testing.assert_array_equal(grid[:, 1], 5.0)
    np.testing.assert_array_equal(grid[:, 3], 0.0)
    # x grows along a row, y falls down the rows (top row is +span).
    np.testing.assert_allclose(grid[:3, 0], [-1.0, 1.0, 3.0])
    np.testing.assert_allclose(grid[::3, 2], [1.0, -1.0, -3.0])
    np.testing.assert_array_equal(grid[4], centre)


def test_grid_traversal_takes_a_per_dimension_span():
    grid = grid_traversal(np.zeros(3), 2, 1, span=[9.0, 1.0, 3.0], steps=2)
    np.testing.assert_allclose(sorted(set(grid[:, 2])), [-3.0, 3.0])
    np.testing.assert_allclose(sorted(set(grid[:, 1])), [-1.0, 1.0])


def test_principal_grid_spans_two_standard_deviations_along_the_main_directions():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(2000, 3)) * [3.0, 1.0, 0.1] + [10.0, 0.0, 0.0]
    grid = principal_grid(codes, steps=5)
    assert grid.shape == (25, 3)
    np.testing.assert_allclose(grid[12], codes.mean(axis=0))
    # Corners reach ~2 std along dimension 0 (first direction) and dimension 1 (second).
    assert np.ptp(grid[:, 0]) == pytest.approx(4 * 3.0, rel=0.1)
    assert np.ptp(grid[:, 1]) == pytest.approx(4 * 1.0, rel=0.1)
    assert np.ptp(grid[:, 2]) < 0.5
    np.testing.assert_array_equal(principal_grid(codes, steps=5), grid)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: line_traversal([0, 0], [1, 1, 1], 3), DataValidationError, r"shape \(2,\).*shape \(3,\)"),
        (lambda: line_traversal([0, 0], [1, 1], 1), ValueError, "steps"),
        (lambda: grid_traversal(np.zeros(3), 0, 0), ValueError, "must differ"),
        (lambda: grid_traversal(np.zeros(3), 0, 3), ValueError, r"\[0, 2\]"),
        (lambda: grid_traversal(np.zeros(3), 0, 1, span=[1.0, 2.0]), DataValidationError, r"\(3,\)"),
        (lambda: principal_grid(np.zeros((5, 1))), DataValidationError, "column"),
        (lambda: principal_grid(np.ones((5, 3))), DataValidationError, "fewer than two directions"),
    ],
)
def test_traversals_refuse_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
