from __future__ import annotations

import gzip
import json
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from genfin import load
from genfin.data import mnist
from genfin.evaluate import (
    IMAGE_QUALITY_METRICS,
    ImageQuality,
    class_coverage,
    class_shares,
    classifier_score,
    fid,
    frechet_distance,
    image_quality,
    load_mnist_classifier,
    mean_confidence,
    mnist_classifier,
    predicted_class_entropy,
)
from genfin.exceptions import DataValidationError, DownloadError, NotFittedError
from genfin.models import ImageClassifier


class StubClassifier:
    """Returns fixed probabilities and features, whatever the images: the metrics' arithmetic alone."""

    def __init__(self, probabilities=None, features=None):
        self.probabilities = probabilities
        self._features = features

    def predict_proba(self, images):
        return self.probabilities

    def features(self, images):
        return self._features[: len(images)]


def one_hot(classes, n_classes=10):
    return np.eye(n_classes)[np.asarray(classes)]


IMAGES = np.zeros((100, 28, 28), dtype=np.uint8)  # ignored by the stub


# --- frechet_distance ------------------------------------------------------------------------------


def test_frechet_distance_is_zero_for_identical_features():
    features = np.random.default_rng(0).normal(size=(500, 16))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_is_positive_and_symmetric():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(400, 8))
    b = rng.normal(loc=0.5, scale=1.5, size=(300, 8))
    d_ab, d_ba = frechet_distance(a, b), frechet_distance(b, a)
    assert d_ab > 1.0
    assert d_ab == pytest.approx(d_ba, rel=1e-9)


def test_frechet_distance_matches_closed_form_for_1d_gaussians():
    rng = np.random.default_rng(2)
    a = rng.normal(1.0, 2.0, size=(1000, 1))
    b = rng.normal(-0.5, 0.5, size=(800, 1))
    # For 1-D Gaussians: (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2, with the sample moments.
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-10)
    # ... and close to the population value (1.5^2 + 1.5^2 = 4.5).
    assert frechet_distance(a, b) == pytest.approx(4.5, rel=0.1)


def test_frechet_distance_sums_over_independent_dimensions():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(200_000, 2)) * [1.0, 3.0]
    b = rng.normal(size=(200_000, 2)) * [2.0, 3.0] + [1.0, 0.0]
    assert frechet_distance(a, b) == pytest.approx(1.0 + 1.0, rel=0.02)


def test_frechet_distance_handles_singular_covariances():
    rng = np.random.default_rng(4)
    few = rng.normal(size=(5, 32))  # fewer samples than features: rank-deficient covariance
    constant = np.ones((50, 32))  # a collapsed set: zero covariance
    value = frechet_distance(few, constant)
    assert np.isfinite(value) and value > 0
    assert frechet_distance(constant, constant) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (np.zeros((10, 3)), np.zeros((10, 4)), r"features_a has 3 features .* features_b has 4"),
        (np.zeros(10), np.zeros((10, 1)), r"features_a.*shape \(n_samples, n_features\), got shape \(10,\)"),
        (np.zeros((1, 3)), np.zeros((10, 3)), "at least 2 samples"),
        (np.zeros((10, 3)), np.full((10, 3), np.nan), "features_b: sample 0 has NaN"),
    ],
)
def test_frechet_distance_refuses_bad_input(a, b, match):
    with pytest.raises(DataValidationError, match=match):
        frechet_distance(a, b)


# --- class statistics ------------------------------------------------------------------------------


def test_coverage_of_one_class_and_of_balanced_classes():
    single = StubClassifier(one_hot(np.full(100, 3)))
    balanced = StubClassifier(one_hot(np.arange(100) % 10))
    assert class_coverage(IMAGES, single) == pytest.approx(0.1)
    assert class_coverage(IMAGES, balanced) == 1.0
    np.testing.assert_allclose(class_shares(IMAGES, balanced), np.full(10, 0.1))


def test_coverage_threshold():
    # 91 images of class 0, one of each other class: each rare class holds 1% of the images
    classes = np.r_[np.zeros(91, dtype=int), np.arange(1, 10)]
    stub = StubClassifier(one_hot(classes))
    assert class_coverage(IMAGES, stub, min_share=0.01) == 1.0
    assert class_coverage(IMAGES, stub, min_share=0.02) == pytest.approx(0.1)
    assert class_coverage(IMAGES, stub, n_classes=20) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="min_share"):
        class_coverage(IMAGES, stub, min_share=0)
    with pytest.raises(ValueError, match="n_classes=5"):
        class_coverage(IMAGES, stub, n_classes=5)


def test_entropy_bounds_and_units():
    single = StubClassifier(one_hot(np.full(100, 3)))
    balanced = StubClassifier(one_hot(np.arange(100) % 10))
    half = StubClassifier(one_hot(np.arange(100) % 5))
    assert predicted_class_entropy(IMAGES, single) == pytest.approx(0.0, abs=1e-12)
    assert predicted_class_entropy(IMAGES, balanced) == pytest.approx(1.0)
    assert predicted_class_entropy(IMAGES, balanced, normalize=False) == pytest.approx(np.log(10))
    assert predicted_class_entropy(IMAGES, half) == pytest.approx(np.log(5) / np.log(10))
    # Uncertain images that are each uniform also give a uniform mean distribution.
    uniform = StubClassifier(np.full((100, 10), 0.1))
    assert predicted_class_entropy(IMAGES, uniform) == pytest.approx(1.0)


def test_classifier_score_and_confidence():
    balanced = StubClassifier(one_hot(np.arange(100) % 10))
    single = StubClassifier(one_hot(np.full(100, 3)))
    uniform = StubClassifier(np.full((100, 10), 0.1))
    assert classifier_score(IMAGES, balanced) == pytest.approx(10.0)
    assert classifier_score(IMAGES, single) == pytest.approx(1.0)
    assert classifier_score(IMAGES, uniform) == pytest.approx(1.0)
    assert mean_confidence(IMAGES, balanced) == pytest.approx(1.0)
    assert mean_confidence(IMAGES, uniform) == pytest.approx(0.1)


def test_image_quality_reports_every_declared_metric():
    rng = np.random.default_rng(5)
    stub = StubClassifier(one_hot(np.arange(100) % 10), rng.normal(size=(100, 4)))
    result = image_quality(IMAGES, IMAGES, stub)
    assert set(result) == set(IMAGE_QUALITY_METRICS)
    assert result["fid"] == pytest.approx(0.0, abs=1e-8)
    assert result["class_coverage"] == 1.0 and result["class_entropy"] == pytest.approx(1.0)
    for name, value in result.items():
        bounds = IMAGE_QUALITY_METRICS[name]
        assert bounds["min_value"] - 1e-9 <= value <= bounds["max_value"] + 1e-9, name


def test_image_quality_object_reuses_the_real_features():
    rng = np.random.default_rng(6)
    real = StubClassifier(one_hot(np.arange(100) % 10), rng.normal(size=(100, 4)))
    quality = ImageQuality(real).fit(IMAGES)
    assert quality.n_real_ == 100 and quality.real_cov_.shape == (4, 4)
    shifted = rng.normal(loc=1.0, size=(100, 4))
    quality.classifier = StubClassifier(one_hot(np.full(100, 2)), shifted)
    result = quality.compute(IMAGES)
    assert result["fid"] == pytest.approx(frechet_distance(real._features, shifted), rel=1e-9)
    assert result["class_coverage"] == pytest.approx(0.1)
    with pytest.raises(NotFittedError, match="fit"):
        ImageQuality(real).compute(IMAGES)
    quality.classifier = StubClassifier(one_hot(np.full(100, 2)), rng.normal(size=(100, 5)))
    with pytest.raises(DataValidationError, match="5 features, but 4"):
        quality.compute(IMAGES)


def test_refuses_a_classifier_without_the_methods():
    with pytest.raises(TypeError, match="lacks features"):
        fid(IMAGES, IMAGES, object())
    with pytest.raises(TypeError, match="lacks predict_proba"):
        class_coverage(IMAGES, object())


# --- with a real (tiny) classifier -------------------------------------------------------------------


def blobs(rng, n):
    """Images of a bright square whose position is the class (0..3): learnable in one epoch."""
    labels = rng.integers(0, 4, size=n)
    images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 2)
        images[i, 2 + 14 * row : 12 + 14 * row, 2 + 14 * col : 12 + 14 * col] = 255
    return images, labels


TINY = dict(
    epochs=2, batch_size=16, learning_rate=2e-2, channels=(4, 8), feature_dim=8, random_state=0, n_threads=1
)


@pytest.fixture(scope="module")
def tiny_classifier():
    images, labels = blobs(np.random.default_rng(0), 200)
    return ImageClassifier(**TINY, validation_fraction=0.0).fit(images, labels)


def test_fid_with_a_classifier_moves_the_right_way(tiny_classifier):
    rng = np.random.default_rng(1)
    real, _ = blobs(rng, 300)
    other, _ = blobs(rng, 300)
    noise = rng.integers(0, 256, size=(300, 28, 28)).astype(np.uint8)
    assert fid(real, real, tiny_classifier) == pytest.approx(0.0, abs=1e-6)
    assert fid(real, other, tiny_classifier) < fid(real, noise, tiny_classifier)
    balanced = image_quality(real, other, tiny_classifier)
    assert balanced["class_coverage"] == 1.0 and balanced["class_entropy"] > 0.95
    assert balanced["mean_confidence"] > 0.9 and balanced["classifier_score"] > 3.0
    result = image_quality(real, np.repeat(real[:1], 300, axis=0), tiny_classifier)
    assert result["class_coverage"] == pytest.approx(0.25)
    assert result["class_entropy"] < 0.1


def test_fid_names_the_wrong_image_set(tiny_classifier):
    real, _ = blobs(np.random.default_rng(2), 10)
    with pytest.raises(DataValidationError, match="generated_images: .*27 x 27"):
        fid(real, np.zeros((10, 27, 27), dtype=np.uint8), tiny_classifier)


# --- load_mnist_classifier ---------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fake_mnist(folder: Path) -> None:
    """The four MNIST IDX files, gzipped, with 64 training and 16 test images of 10 classes."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 64), ("t10k", 16)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 30, size=(n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 * label : 2 * label + 6, 4:24] = 255  # a bar whose height is the class
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))


def test_load_mnist_classifier_trains_caches_and_reloads(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path / "mnist")
    home = tmp_path / "home"
    # The fixed settings train on 60,000 images for minutes; on 64 images one small epoch suffices.
    monkeypatch.setitem(mnist_classifier.MNIST_CLASSIFIER_PARAMS, "epochs", 1)
    monkeypatch.setitem(mnist_classifier.MNIST_CLASSIFIER_PARAMS, "channels", (4, 8))
    model = load_mnist_classifier(home, mnist_folder=tmp_path / "mnist")
    assert isinstance(model, ImageClassifier) and list(model.classes_) == list(range(10))
    folder = home / "mnist_classifier"
    assert (folder / "model.json").is_file() and (folder / "weights.safetensors").is_file()
    assert sorted(p.name for p in home.iterdir()) == ["mnist_classifier"]  # no temporary folder left
    info = json.loads((folder / "build.json").read_text())
    assert info["train_images"] == 64 and info["test_images"] == 16 and 0 <= info["test_accuracy"] <= 1
    assert isinstance(load(folder), ImageClassifier)

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been loaded, not trained")

    monkeypatch.setattr(ImageClassifier, "fit", no_training)
    cached = load_mnist_classifier(home, train_if_missing=False)
    images = np.random.default_rng(1).integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    np.testing.assert_array_equal(cached.predict_proba(images), model.predict_proba(images))
    assert load_mnist_classifier(home, mnist_folder=tmp_path / "nowhere").get_params() == model.get_params()


def test_load_mnist_classifier_without_cache_or_data(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="bench/build_mnist_classifier.py"):
        load_mnist_classifier(tmp_path, train_if_missing=False)

    def offline(url, timeout):
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(mnist, "_urlopen", offline)
    with pytest.raises(DownloadError, match="mnist_folder="):
        load_mnist_classifier(tmp_path)
    with pytest.raises(DataValidationError, match="folder not found"):
        load_mnist_classifier(tmp_path, mnist_folder=tmp_path / "missing")
    assert not (tmp_path / "mnist_classifier").exists()


def test_load_mnist_classifier_refuses_another_model(tmp_path, tiny_classifier):
    from genfin.models import ImageAutoencoder

    images, _ = blobs(np.random.default_rng(0), 20)
    ImageAutoencoder(epochs=1, random_state=0, n_threads=1).fit(images).save(tmp_path / "mnist_classifier")
    with pytest.raises(Exception, match="not an ImageClassifier"):
        load_mnist_classifier(tmp_path)
