import numpy as np
import pytest
from scipy.stats import norm

from genfin.latent import prior_quantile_grid


def test_prior_quantile_grid_puts_codes_at_normal_quantiles_in_reading_order():
    grid = prior_quantile_grid(4, low=0.1, high=0.9)
    levels = np.linspace(0.1, 0.9, 4)
    quantiles = norm.ppf(levels)
    assert grid.shape == (16, 2)
    assert grid.dtype == np.float64
    pictured = grid.reshape(4, 4, 2)
    # Dimension 0 grows left to right along every row; dimension 1 falls from the top row down.
    np.testing.assert_allclose(pictured[:, :, 0], np.tile(quantiles, (4, 1)))
    np.testing.assert_allclose(pictured[:, :, 1], np.tile(quantiles[::-1, None], (1, 4)))
    # Each code's quantile levels are the even grid: every tile stands for an equal share of the prior.
    np.testing.assert_allclose(np.unique(norm.cdf(grid[:, 0])), levels)


def test_prior_quantile_grid_defaults_are_the_book_manifold_and_symmetric():
    grid = prior_quantile_grid(15)
    assert grid.shape == (225, 2)
    assert grid[:, 0].min() == pytest.approx(norm.ppf(0.05))
    assert grid[:, 1].max() == pytest.approx(norm.ppf(0.95))
    np.testing.assert_allclose(grid[::-1], -grid, atol=1e-12)
    assert np.all(np.isfinite(grid))


def test_prior_quantile_grid_keeps_extra_dimensions_at_zero():
    grid = prior_quantile_grid(3, latent_dim=5)
    assert grid.shape == (9, 5)
    np.testing.assert_array_equal(grid[:, 2:], 0.0)
    np.testing.assert_allclose(grid[:, :2], prior_quantile_grid(3))


def test_prior_quantile_grid_accepts_numpy_integers():
    assert prior_quantile_grid(np.int64(2), latent_dim=np.int32(2)).shape == (4, 2)


@pytest.mark.parametrize("steps", [1, 0, -3, 2.0, True, "5", None])
def test_prior_quantile_grid_rejects_bad_steps(steps):
    with pytest.raises(ValueError, match="steps must be an integer of at least 2"):
        prior_quantile_grid(steps)


@pytest.mark.parametrize("latent_dim", [1, 0, 2.0, True])
def test_prior_quantile_grid_rejects_bad_latent_dim(latent_dim):
    with pytest.raises(ValueError, match="latent_dim must be an integer of at least 2"):
        prior_quantile_grid(3, latent_dim=latent_dim)


@pytest.mark.parametrize(
    ("low", "high"),
    [(0.0, 0.9), (0.1, 1.0), (0.6, 0.4), (0.5, 0.5), (-0.1, 0.5), (float("nan"), 0.9), (0.1, float("inf"))],
)
def test_prior_quantile_grid_rejects_levels_outside_the_open_unit_interval(low, high):
    with pytest.raises(ValueError, match="0 < low < high < 1"):
        prior_quantile_grid(3, low=low, high=high)


@pytest.mark.parametrize(("low", "high"), [("0.1", 0.9), (0.1, None), (True, 0.9)])
def test_prior_quantile_grid_rejects_levels_that_are_not_numbers(low, high):
    with pytest.raises(ValueError, match="quantile level"):
        prior_quantile_grid(3, low=low, high=high)
