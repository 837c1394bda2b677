from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from genfin.data import load_mnist_sample
from genfin.exceptions import NotFittedError
from genfin.latent import prior_quantile_grid
from genfin.models import VAE
from genfin.pipelines.vae_figures import vae_image_figures


@pytest.fixture(scope="module")
def digits():
    train, test = load_mnist_sample()
    return train.images[:300], test.images[:3]


def _fit(images, latent_dim):
    return VAE(latent_dim=latent_dim, epochs=1, validation_fraction=0.0, random_state=0).fit(images)


def _mosaic(figure: Figure) -> np.ndarray:
    return np.asarray(figure.axes[0].images[0].get_array())


@pytest.fixture(scope="module")
def vae2(digits):
    return _fit(digits[0], latent_dim=2)


def test_figures_of_a_2d_vae_are_samples_variations_and_manifold(vae2, digits):
    _, originals = digits
    figures = vae_image_figures(vae2, originals, n_samples=12, n_per_row=4, manifold_steps=5)
    assert set(figures) == {"samples", "variations", "manifold"}
    assert all(isinstance(f, Figure) for f in figures.values())
    # 12 samples tile as 4 x 3 28-pixel digits; the last row is full.
    assert _mosaic(figures["samples"]).shape == (3 * 28, 4 * 28)
    # One row per original: the original, then its four variations.
    variations = _mosaic(figures["variations"])
    assert variations.shape == (3 * 28, 5 * 28)
    np.testing.assert_allclose(variations[28:56, :28], originals[1] / 255.0, atol=1e-6)
    np.testing.assert_allclose(
        variations[:28, 28:56], vae2.sample_like(originals, n_per_row=4, random_state=0)[0], atol=1e-6
    )
    manifold = _mosaic(figures["manifold"])
    assert manifold.shape == (5 * 28, 5 * 28)
    np.testing.assert_allclose(manifold[:28, -28:], vae2.decode(prior_quantile_grid(5))[4], atol=1e-6)


def test_figures_are_reproducible_and_follow_random_state(vae2):
    first = _mosaic(vae_image_figures(vae2, n_samples=4, random_state=3)["samples"])
    again = _mosaic(vae_image_figures(vae2, n_samples=4, random_state=3)["samples"])
    other = _mosaic(vae_image_figures(vae2, n_samples=4, random_state=4)["samples"])
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_no_manifold_beyond_two_latent_dimensions_and_no_variations_without_images(digits):
    figures = vae_image_figures(_fit(digits[0], latent_dim=3), n_samples=2)
    assert set(figures) == {"samples"}


def test_rejects_unfitted_tabular_and_bad_arguments(vae2):
    with pytest.raises(NotFittedError):
        vae_image_figures(VAE())
    rng = np.random.default_rng(0)
    tabular = VAE(epochs=1, validation_fraction=0.0, random_state=0).fit(rng.normal(size=(40, 3)))
    with pytest.raises(ValueError, match="fitted on images"):
        vae_image_figures(tabular)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_samples must be a positive integer"):
            vae_image_figures(vae2, n_samples=bad)
