from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import genfin
from genfin.exceptions import DataValidationError
from genfin.models.aae import AdversarialAutoencoder
from genfin.nn.aae import AdversarialAutoencoderNet


def correlated_rows(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 2))
    mixing = rng.normal(size=(2, 6))
    return pd.DataFrame(base @ mixing + 0.05 * rng.normal(size=(n, 6)), columns=[f"f{i}" for i in range(6)])


@pytest.fixture(scope="module")
def fitted():
    X = correlated_rows()
    return AdversarialAutoencoder(latent_dim=2, epochs=20, random_state=0).fit(X), X


def test_every_parameter_receives_a_gradient():
    torch.manual_seed(0)
    net = AdversarialAutoencoderNet(5, (8,), 3)
    x = torch.randn(6, 5)
    (net(x) - x).square().mean().add(net.discriminator(net.encode(x)).mean()).backward()
    for name, param in net.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_codes_follow_the_prior_and_rows_are_reconstructed(fitted):
    aae, X = fitted
    codes = aae.transform(X)
    assert codes.shape == (len(X), 2)
    assert np.abs(codes.mean(axis=0)).max() < 0.5
    assert np.all((codes.std(axis=0) > 0.4) & (codes.std(axis=0) < 2.0))
    history = aae.history_
    assert history[-1]["reconstruction"] < 0.5 * history[0]["reconstruction"]
    assert {"d_loss", "g_loss"} <= set(history[-1])
    rebuilt = aae.reconstruct(X)
    assert list(rebuilt.columns) == list(X.columns)
    assert np.mean((rebuilt.to_numpy() - X.to_numpy()) ** 2) < 0.2 * X.to_numpy().var()


def test_samples_look_like_the_data_and_are_seeded(fitted):
    aae, X = fitted
    samples = aae.sample(2000, random_state=1)
    assert isinstance(samples, pd.DataFrame) and list(samples.columns) == list(X.columns)
    # The data's correlation structure survives: sample correlations near the data's.
    np.testing.assert_allclose(np.corrcoef(samples.T), np.corrcoef(X.T), atol=0.25)
    pd.testing.assert_frame_equal(aae.sample(5, random_state=2), aae.sample(5, random_state=2))


def test_save_then_load(fitted, tmp_path):
    aae, X = fitted
    loaded = genfin.load(aae.save(tmp_path / "aae"))
    np.testing.assert_array_equal(loaded.transform(X), aae.transform(X))
    pd.testing.assert_frame_equal(loaded.sample(4, random_state=0), aae.sample(4, random_state=0))


def test_images_round_trip_shapes():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(40, 6, 6), dtype=np.uint8)
    aae = AdversarialAutoencoder(epochs=1, batch_size=16, random_state=0).fit(images)
    assert aae.transform(images).shape == (40, 8)
    out = aae.reconstruct(images[:3])
    assert out.shape == (3, 6, 6) and out.min() >= 0 and out.max() <= 1
    assert aae.sample(2, random_state=0).shape == (2, 6, 6)


def test_resume_continues_exactly(tmp_path):
    X = correlated_rows(200)
    settings = {"epochs": 2, "batch_size": 64, "random_state": 3}
    straight = AdversarialAutoencoder(**settings).fit(X)
    AdversarialAutoencoder(checkpoint_dir=str(tmp_path), **{**settings, "epochs": 2}).fit(X)
    again = AdversarialAutoencoder(checkpoint_dir=str(tmp_path), **settings).fit(X)
    np.testing.assert_array_equal(again.transform(X), straight.transform(X))


def test_bad_input_and_parameters():
    with pytest.raises(ValueError, match="latent_dim"):
        AdversarialAutoencoder(latent_dim=0).fit(correlated_rows(10))
    with pytest.raises(DataValidationError, match="at least 2 rows"):
        AdversarialAutoencoder().fit(correlated_rows(1))
    with pytest.raises(DataValidationError, match="codes"):
        AdversarialAutoencoder(epochs=1).fit(correlated_rows(20)).decode(np.zeros((2, 3)))
