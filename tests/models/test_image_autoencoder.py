from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from genfin import load
from genfin.data import load_mnist_sample
from genfin.exceptions import DataValidationError, NotFittedError
from genfin.models.image_autoencoder import ImageAutoencoder
from genfin.training import Callback
from genfin.training.reconstruction_task import elementwise_error

ARCHITECTURES = ("dense", "conv")
# Small conv channels keep the tests fast; the default (32, 64) is exercised by tests/nn/test_conv.py.
FAST = dict(epochs=2, batch_size=32, learning_rate=5e-3, random_state=0, channels=(8, 16), n_threads=1)


@pytest.fixture(scope="module")
def digits():
    train, test = load_mnist_sample()
    return train.images[:500], test.images[:200]


@pytest.fixture(scope="module", params=ARCHITECTURES)
def fitted(request, digits):
    train, _ = digits
    return ImageAutoencoder(architecture=request.param, **FAST).fit(train)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_parameter_receives_a_gradient(architecture):
    model = ImageAutoencoder(architecture=architecture, channels=(4, 8))
    model.image_shape_ = (28, 28)
    torch.manual_seed(0)
    module = model._build_module()
    loss = elementwise_error(module, torch.rand(16, 784), "bce").mean()
    loss.backward()
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_book_architecture_by_default():
    model = ImageAutoencoder()
    model.image_shape_ = (28, 28)
    module = model._build_module()
    assert [tuple(p.shape) for p in module.parameters()] == [(32, 784), (32,), (784, 32), (784,)]
    assert isinstance(module.encoder[1], torch.nn.ReLU)
    assert isinstance(module.output_activation, torch.nn.Sigmoid)
    assert (model.loss, model.batch_size, model.latent_dim) == ("bce", 256, 32)


def test_output_shapes_and_ranges(fitted, digits):
    _, test = digits
    codes = fitted.transform(test)
    assert codes.shape == (200, 32) and codes.dtype == np.float32
    images = fitted.reconstruct(test)
    assert images.shape == (200, 28, 28) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    decoded = fitted.decode(codes[:7])
    assert decoded.shape == (7, 28, 28)
    np.testing.assert_allclose(decoded, images[:7], atol=1e-5)
    scores = fitted.score_samples(test)
    assert scores.shape == (200,) and scores.dtype == np.float64 and (scores > 0).all()
    assert fitted.n_features_in_ == 784 and fitted.image_shape_ == (28, 28)
    assert [h["epoch"] for h in fitted.history_] == [1, 2]
    assert all("val_loss" in h for h in fitted.history_)


def test_every_input_form_gives_the_same_scores(fitted, digits):
    _, test = digits
    test = test[:20]
    expected = fitted.score_samples(test)
    as_float = test.astype(np.float64) / 255
    for form in (as_float, as_float.astype(np.float32), test.reshape(20, 784), test[:, None], list(test)):
        np.testing.assert_allclose(fitted.score_samples(form), expected, rtol=1e-5)


def test_unlike_images_score_clearly_higher(fitted, digits):
    _, test = digits
    normal = fitted.score_samples(test)
    noise = fitted.score_samples(np.random.default_rng(0).integers(0, 256, (200, 28, 28), dtype=np.uint8))
    inverted = fitted.score_samples(255 - test)
    for unlike in (noise, inverted):
        # Measured 5x (conv) to 30x (dense) over seeds 0-3; AUROC 1.0 throughout.
        assert unlike.mean() > 2 * normal.mean()
        labels = np.r_[np.zeros(len(normal)), np.ones(len(unlike))]
        assert roc_auc_score(labels, np.r_[normal, unlike]) > 0.99


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_loss_decreases_over_epochs(architecture, digits):
    train, _ = digits
    model = ImageAutoencoder(architecture=architecture, **{**FAST, "epochs": 3}).fit(train)
    losses = [h["loss"] for h in model.history_]
    val_losses = [h["val_loss"] for h in model.history_]
    assert losses[0] > losses[1] > losses[2]
    assert val_losses[-1] < val_losses[0]


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_same_seed_same_scores(architecture, digits):
    train, test = digits
    # Two threads, as by default: the result must not depend on how the threads were scheduled.
    # Few images, because two threads crawl when the test machine is busy with other work.
    params = {**FAST, "epochs": 1, "n_threads": 2, "architecture": architecture}
    a = ImageAutoencoder(**params).fit(train[:96]).score_samples(test[:50])
    b = ImageAutoencoder(**params).fit(train[:96]).score_samples(test[:50])
    np.testing.assert_array_equal(a, b)
    c = ImageAutoencoder(**{**params, "random_state": 1}).fit(train[:96]).score_samples(test[:50])
    assert not np.array_equal(a, c)


def test_fit_leaves_global_random_state_alone(digits):
    train, _ = digits
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ImageAutoencoder(**{**FAST, "epochs": 1}).fit(train[:100])
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_save_then_load_gives_identical_results(fitted, digits, tmp_path):
    _, test = digits
    fitted.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert isinstance(loaded, ImageAutoencoder)
    assert loaded.image_shape_ == (28, 28)
    assert loaded.get_params() == {**fitted.get_params(), "channels": list(fitted.channels)}
    np.testing.assert_array_equal(loaded.score_samples(test), fitted.score_samples(test))
    codes = fitted.transform(test[:5])
    np.testing.assert_array_equal(loaded.transform(test[:5]), codes)
    np.testing.assert_array_equal(loaded.decode(codes), fitted.decode(codes))
    assert loaded.history_ == fitted.history_
    assert not any(p.suffix in (".pkl", ".pt", ".pickle") for p in (tmp_path / "model").iterdir())


def test_interrupted_fit_resumes_from_checkpoint(digits, tmp_path):
    train, test = digits
    params = {**FAST, "epochs": 3, "checkpoint_dir": str(tmp_path / "ckpt")}
    full = ImageAutoencoder(**{**params, "checkpoint_dir": None}).fit(train)

    class Interrupt(Exception):
        pass

    class StopAfterTwoEpochs(Callback):
        def on_epoch_end(self, trainer, logs):
            if trainer.epoch == 1:
                raise Interrupt

    with pytest.raises(Interrupt):
        ImageAutoencoder(**params).fit(train, callbacks=[StopAfterTwoEpochs()])
    resumed = ImageAutoencoder(**params).fit(train)
    assert [h["epoch"] for h in resumed.history_] == [1, 2, 3]
    np.testing.assert_array_equal(resumed.score_samples(test), full.score_samples(test))
    with pytest.raises(ValueError, match="different"):
        ImageAutoencoder(**{**params, "learning_rate": 2e-3}).fit(train)


def test_extra_callbacks_write_into_history(digits):
    train, _ = digits

    class Marker(Callback):
        def on_epoch_end(self, trainer, logs):
            logs["marker"] = float(trainer.epoch)

    model = ImageAutoencoder(**{**FAST, "validation_fraction": 0.0}).fit(train[:100], callbacks=[Marker()])
    assert [h["marker"] for h in model.history_] == [0.0, 1.0]
    assert all("val_loss" not in h for h in model.history_)


def test_pipeline_friendly(digits):
    train, _ = digits
    labels = np.arange(100) % 10
    model = ImageAutoencoder(**{**FAST, "epochs": 1, "early_stopping": True, "patience": 1})
    codes = clone(model).fit_transform(train[:100], labels)
    assert codes.shape == (100, 32)


def test_verbose_prints_one_line_per_epoch(digits, capsys):
    train, _ = digits
    ImageAutoencoder(**{**FAST, "epochs": 1, "verbose": 1}).fit(train[:100])
    assert "epoch 1/1: loss" in capsys.readouterr().err


def _with_nan():
    images = np.full((3, 28, 28), 0.5)
    images[1, 3, 4] = np.nan
    return images


def _with_negative():
    images = np.zeros((3, 28, 28), dtype=np.int16)
    images[2, 0, 0] = -1
    return images


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_with_nan(), "image 1 contains NaN"),
        (np.full((3, 28, 28), 255.0), r"must be in \[0.0, 1.0\].*divide 0..255 pixel values by 255"),
        (_with_negative(), r"must be in \[0, 255\], but image 2 holds -1"),
        (np.full((3, 28, 28), 256, dtype=np.int32), r"must be in \[0, 255\]"),
        (np.zeros((3, 28)), "square number of pixels.*images\\[None\\]"),
        (np.zeros(784), "shape \\(784,\\).*images\\[None\\]"),
        (np.zeros((2, 3, 28, 28)), "expected images of shape"),
        (np.zeros((0, 28, 28)), "no images"),
        (np.array([["a"] * 4] * 3), "must be numbers"),
        (np.zeros((1, 28, 28), dtype=np.uint8), "at least 2 images"),
    ],
)
def test_bad_images_at_fit_time(bad, message):
    model = ImageAutoencoder(**FAST)
    with pytest.raises(DataValidationError, match=message):
        model.fit(bad)
    assert not hasattr(model, "module_")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((2, 27, 27)), "images are 27 x 27 pixels, but ImageAutoencoder was fitted on 28 x 28"),
        (np.zeros((2, 729)), "rows of 729 pixels, but ImageAutoencoder was fitted on 28 x 28"),
        (np.zeros((28, 28), dtype=np.uint8), r"single image needs a leading axis: images\[None\]"),
        (np.full((2, 28, 28), np.inf), "image 0 contains NaN or infinite"),
    ],
)
def test_bad_images_after_fit(fitted, bad, message):
    with pytest.raises(DataValidationError, match=message):
        fitted.score_samples(bad)


def test_bad_codes(fitted):
    with pytest.raises(DataValidationError, match=r"expected codes of shape \(n, 32\).*codes\[None\]"):
        fitted.decode(np.zeros(32))
    with pytest.raises(DataValidationError, match=r"\(n, 32\), got shape \(2, 3\)"):
        fitted.decode(np.zeros((2, 3)))
    with pytest.raises(DataValidationError, match="code 1 contains NaN"):
        fitted.decode(np.array([[0.0] * 32, [np.nan] * 32]))


def test_not_fitted_and_bad_params(digits):
    train, _ = digits
    with pytest.raises(NotFittedError, match="not fitted"):
        ImageAutoencoder().transform(train)
    for params, message in [
        ({"architecture": "rnn"}, "architecture"),
        ({"loss": "l1"}, "loss"),
        ({"channels": ()}, "channels"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"epochs": 1.5}, "epochs"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"early_stopping": True, "validation_fraction": 0.0}, "validation_fraction"),
        ({"n_threads": 0}, "n_threads"),
    ]:
        with pytest.raises(ValueError, match=message):
            ImageAutoencoder(**params).fit(train[:10])
