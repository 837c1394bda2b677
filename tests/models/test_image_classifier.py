from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone

from genfin import load
from genfin.data import load_mnist_sample
from genfin.exceptions import DataValidationError, NotFittedError
from genfin.models import ImageClassifier
from genfin.nn.classifier import ConvClassifier

# Small channels and a subset keep the tests fast; the defaults are measured by
# bench/build_mnist_classifier.py on the full MNIST.
FAST = dict(
    epochs=2,
    batch_size=32,
    learning_rate=3e-3,
    learning_rate_schedule="constant",
    channels=(8, 16),
    feature_dim=32,
    random_state=0,
    n_threads=1,
)


@pytest.fixture(scope="module")
def digits():
    train, test = load_mnist_sample()
    return train.images[:1000], train.labels[:1000], test.images[:300], test.labels[:300]


@pytest.fixture(scope="module")
def fitted(digits):
    images, labels, _, _ = digits
    return ImageClassifier(**FAST).fit(images, labels)


def test_network_shapes_and_channels_last():
    module = ConvClassifier().eval()
    x = torch.rand(3, 1, 28, 28)
    assert module(x).shape == (3, 10)
    assert module.features(x).shape == (3, 128)
    assert module.conv[0].weight.is_contiguous(memory_format=torch.channels_last)
    # features are the input of the head: the logits are a linear map of them
    torch.testing.assert_close(module.head(module.features(x)), module(x))


def test_every_parameter_receives_a_gradient():
    module = ConvClassifier(channels=(4, 8), feature_dim=16)
    loss = torch.nn.functional.cross_entropy(module(torch.rand(8, 1, 28, 28)), torch.arange(8))
    loss.backward()
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_learns_digits_well_above_chance(fitted, digits):
    _, _, test_images, test_labels = digits
    assert fitted.score(test_images, test_labels) > 0.7  # chance is 0.1
    assert list(fitted.classes_) == list(range(10))
    history = fitted.history_
    assert [row["epoch"] for row in history] == [1, 2]
    assert {"loss", "val_loss", "val_accuracy", "seconds"} <= set(history[-1])
    assert history[-1]["loss"] < history[0]["loss"]
    assert 0.5 < history[-1]["val_accuracy"] <= 1.0


def test_outputs(fitted, digits):
    _, _, images, _ = digits
    proba = fitted.predict_proba(images)
    assert proba.shape == (300, 10) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert (proba >= 0).all()
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(images)), proba, atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(images), fitted.classes_[proba.argmax(axis=1)])
    features = fitted.features(images)
    assert features.shape == (300, 32) and features.dtype == np.float32
    assert (features >= 0).all()  # after the ReLU


def test_accepts_other_layouts_and_floats(fitted, digits):
    _, _, images, _ = digits
    expected = fitted.predict_proba(images)
    np.testing.assert_allclose(fitted.predict_proba(images[:, None]), expected, atol=1e-6)
    np.testing.assert_allclose(fitted.predict_proba(images / 255.0), expected, atol=1e-5)
    np.testing.assert_allclose(fitted.predict_proba(images.reshape(300, -1)), expected, atol=1e-6)


def test_save_load_round_trip(fitted, digits, tmp_path):
    _, _, images, _ = digits
    fitted.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert isinstance(loaded, ImageClassifier)
    assert loaded.image_shape_ == (28, 28) and loaded.history_ == fitted.history_
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(images), fitted.predict_proba(images))
    np.testing.assert_array_equal(loaded.features(images), fitted.features(images))


def test_same_seed_same_model_and_global_rng_untouched(digits):
    images, labels, test_images, _ = digits
    params = {**FAST, "epochs": 1}
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = ImageClassifier(**params).fit(images[:300], labels[:300])
    assert torch.rand(1) == before  # fit forked torch's global generator and gave it back
    b = ImageClassifier(**params).fit(images[:300], labels[:300])
    c = ImageClassifier(**{**params, "random_state": 1}).fit(images[:300], labels[:300])
    np.testing.assert_array_equal(a.predict_proba(test_images), b.predict_proba(test_images))
    assert not np.array_equal(a.predict_proba(test_images), c.predict_proba(test_images))


def test_checkpoint_is_written_and_a_finished_run_resumes_without_training(digits, tmp_path):
    images, labels, test_images, _ = digits
    params = {**FAST, "epochs": 1, "checkpoint_dir": str(tmp_path / "ckpt")}
    first = ImageClassifier(**params).fit(images[:200], labels[:200])
    assert (tmp_path / "ckpt" / "checkpoint.json").is_file()
    again = ImageClassifier(**params).fit(images[:200], labels[:200])
    assert again.history_ == first.history_
    np.testing.assert_array_equal(again.predict_proba(test_images), first.predict_proba(test_images))
    with pytest.raises(ValueError, match="different"):
        ImageClassifier(**params).fit(images[:100], labels[:100])


def test_string_labels_and_no_validation(digits):
    images, labels, test_images, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    model = ImageClassifier(**{**FAST, "epochs": 1, "validation_fraction": 0.0}).fit(
        images[:200], names[labels[:200]]
    )
    assert "val_accuracy" not in model.history_[0]
    assert set(model.predict(test_images[:20])) <= set(names)
    assert list(model.classes_) == sorted(names)


def test_clone_and_params():
    model = ImageClassifier(**FAST)
    assert clone(model).get_params() == model.get_params()
    defaults = ImageClassifier()
    assert (defaults.channels, defaults.feature_dim, defaults.n_threads) == ((32, 64), 128, 2)


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        ImageClassifier().predict(np.zeros((2, 28, 28), dtype=np.uint8))


def test_bad_inputs_raise_clear_errors(fitted):
    images = np.zeros((10, 28, 28), dtype=np.uint8)
    labels = np.arange(10)
    with pytest.raises(DataValidationError, match=r"expected 10 labels .* got shape \(9,\)"):
        ImageClassifier(**FAST).fit(images, labels[:9])
    with pytest.raises(DataValidationError, match="at least 2 classes"):
        ImageClassifier(**FAST).fit(images, np.zeros(10))
    with pytest.raises(DataValidationError, match="class of each image"):
        ImageClassifier(**FAST).fit(images, None)
    with pytest.raises(DataValidationError, match=r"got shape \(784,\)"):
        ImageClassifier(**FAST).fit(images[0].ravel(), labels[:1])
    with pytest.raises(DataValidationError, match="at least 4 x 4"):
        ImageClassifier(**FAST).fit(np.zeros((10, 3, 3), dtype=np.uint8), labels)
    with pytest.raises(
        DataValidationError, match=r"images are 27 x 27 pixels, but ImageClassifier was fitted on 28 x 28"
    ):
        fitted.predict(np.zeros((2, 27, 27), dtype=np.uint8))
    with pytest.raises(DataValidationError, match=r"must be in \[0.0, 1.0\]"):
        fitted.predict(np.full((2, 28, 28), 3.0))
    with pytest.raises(DataValidationError, match="single flattened image needs a leading axis"):
        fitted.predict(np.zeros(784))


@pytest.mark.parametrize(
    ("param", "value"),
    [("epochs", 0), ("channels", ()), ("dropout", 1.0), ("validation_fraction", 1.0), ("learning_rate", 0)],
)
def test_bad_parameters(param, value):
    with pytest.raises(ValueError, match=param):
        ImageClassifier(**{**FAST, param: value}).fit(np.zeros((4, 28, 28), dtype=np.uint8), [0, 1, 0, 1])
