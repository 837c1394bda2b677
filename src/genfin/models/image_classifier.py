"""ImageClassifier: a small convolutional classifier of grey-scale images, as a scikit-learn estimator.

genfin trains one on MNIST to judge generated digits (:mod:`genfin.evaluate.images`): its
penultimate layer gives the features of a Frechet distance, its predictions the class coverage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import ClassifierMixin

from genfin.exceptions import DataValidationError, ModelFileError
from genfin.models._params import IntSizes, Number, OneOf, PositiveInt, Rule, optional
from genfin.models._validation import check_images, check_is_fitted
from genfin.models.base import TorchEstimator
from genfin.models.registry import register
from genfin.nn.classifier import ConvClassifier
from genfin.training import (
    Callback,
    Checkpoint,
    ProgressBar,
    Trainer,
    make_generators,
    seeded,
    torch_threads,
)
from genfin.training.classification_task import _INFERENCE_CHUNK, ClassificationTask
from genfin.training.device import fork_rng_seed
from genfin.training.optim import adam

__all__ = ["ImageClassifier"]

_SCHEDULES = ("linear", "constant")


@register
class ImageClassifier(ClassifierMixin, TorchEstimator):
    """Classifier of grey-scale images with a small convolutional network; also a feature extractor.

    The network (:class:`genfin.nn.classifier.ConvClassifier`) has two blocks of a 3x3 convolution,
    batch normalisation, ReLU and 2x2 max pooling (32 and 64 feature maps), a dense feature layer
    of 128 ReLU units, dropout 0.25 and a linear head; it trains with cross-entropy and Adam whose
    step size falls linearly to 0. With the defaults it reaches about 99.2% accuracy on the MNIST
    test set after 3 epochs on all 60,000 training images (a few minutes on two CPU cores;
    ``bench/build_mnist_classifier.py`` and docs/benchmarks_image_quality.md). :meth:`features` returns
    the feature layer's activations, which :mod:`genfin.evaluate.images` uses for the Frechet
    distance of generated digits.

    Images are ``(n, height, width)`` or ``(n, 1, height, width)`` arrays of ``uint8`` pixels
    0..255 (divided by 255) or of floats already in [0, 1]; flattened ``(n, height * width)`` rows
    of square images are accepted too. Labels may be any values ``numpy.unique`` can sort (ints,
    strings); they are kept in ``classes_``.

    Parameters
    ----------
    channels : tuple of int, default=(32, 64)
        Feature maps of the convolution blocks; each block halves the image sides.
    feature_dim : int, default=128
        Units of the dense feature layer (the length of :meth:`features`).
    dropout : float, default=0.25
        Dropout rate before the head while training.
    epochs : int, default=3
        Passes over the training images.
    batch_size : int, default=128
        Images per optimiser step.
    learning_rate : float, default=2e-3
        Adam's step size at the start of training.
    learning_rate_schedule : {"linear", "constant"}, default="linear"
        ``"linear"`` lowers the step size linearly to 0 at the last optimiser step: large steps
        early, fine ones at the end, which suits short trainings.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    validation_fraction : float, default=0.1
        Share of the images held out (stratified by class) to report ``val_loss`` and
        ``val_accuracy`` in ``history_`` after each epoch. 0 trains on every image.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds weight initialisation, dropout, the validation split and batch order; the same
        integer gives the same model (with the same ``n_threads``).
    device : str, default="auto"
        ``"auto"`` uses CUDA when present, else the CPU; or any torch device name.
    n_threads : int or None, default=2
        Torch threads while training and predicting. When other jobs share the cores, set the
        environment variable ``OMP_WAIT_POLICY=PASSIVE`` before starting Python, or use 1. None
        leaves torch's setting alone.
    checkpoint_dir : str or None, default=None
        Save the training state there after every epoch; a later ``fit`` with the same settings and
        images resumes from it instead of starting again.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per epoch and a line per finished epoch.

    Attributes
    ----------
    module_ : ConvClassifier
        The trained network; it takes ``(n, 1, height, width)`` images and returns logits.
    classes_ : numpy.ndarray
        The class labels, sorted; column ``j`` of :meth:`predict_proba` belongs to ``classes_[j]``.
    image_shape_ : tuple of int
        ``(height, width)`` of the training images; later inputs must match it.
    n_features_in_ : int
        Pixels per image.
    history_ : list of dict
        One entry per epoch: ``loss`` (mean cross-entropy), ``val_loss`` and ``val_accuracy`` (with
        validation), ``seconds``.

    Examples
    --------
    >>> from genfin.data import load_mnist_sample  # doctest: +SKIP
    >>> train, test = load_mnist_sample()  # doctest: +SKIP
    >>> model = ImageClassifier(random_state=0).fit(train.images, train.labels)  # doctest: +SKIP
    >>> model.score(test.images, test.labels)  # accuracy  # doctest: +SKIP
    >>> model.features(test.images).shape  # doctest: +SKIP
    (1000, 128)
    """

    _saved_attributes: ClassVar[tuple[str, ...]] = ("image_shape_", "n_features_in_", "history_")
    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {
        "feature_dim": PositiveInt(),
        "epochs": PositiveInt(),
        "batch_size": PositiveInt(),
        "channels": IntSizes(),
        "dropout": Number(0, 1),
        "learning_rate": Number(low=0, low_closed=False),
        "learning_rate_schedule": OneOf(*_SCHEDULES),
        "weight_decay": Number(low=0),
        "validation_fraction": Number(0, 1),
        "n_threads": optional(PositiveInt()),
    }

    def __init__(
        self,
        *,
        channels: Sequence[int] = (32, 64),
        feature_dim: int = 128,
        dropout: float = 0.25,
        epochs: int = 3,
        batch_size: int = 128,
        learning_rate: float = 2e-3,
        learning_rate_schedule: str = "linear",
        weight_decay: float = 0.0,
        validation_fraction: float = 0.1,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_threads: int | None = 2,
        checkpoint_dir: str | None = None,
        verbose: int = 0,
    ) -> None:
        self.channels = channels
        self.feature_dim = feature_dim
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.checkpoint_dir = checkpoint_dir
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting

    def _build_module(self) -> ConvClassifier:
        return ConvClassifier(
            n_classes=len(self.classes_),
            channels=tuple(int(c) for c in self.channels),
            feature_dim=int(self.feature_dim),
            dropout=float(self.dropout),
            image_shape=self.image_shape_,
        )

    def fit(self, images: Any, y: Any, *, callbacks: Iterable[Callback] = ()) -> ImageClassifier:
        """Train the classifier on labelled images.

        Parameters
        ----------
        images : array-like of shape (n, height, width), (n, 1, height, width) or (n, height * width)
            ``uint8`` pixels 0..255 or floats in [0, 1]. Flattened rows must be square images.
        y : array-like of shape (n,)
            The class of each image; at least two distinct classes.
        callbacks : iterable of genfin.training.Callback, optional
            Extra callbacks for the training loop; values they write into the epoch logs end up in
            ``history_``.

        Returns
        -------
        ImageClassifier
            The fitted estimator.
        """
        self._check_params()
        pixels, image_shape = check_images(images)
        labels = _check_targets(y, pixels.shape[0])
        classes, indices = np.unique(labels, return_inverse=True)
        if classes.size < 2:
            raise DataValidationError(
                f"fit needs at least 2 classes, but every one of the {labels.size} labels is {classes[0]!r}",
                source="y",
            )
        smallest = 2 ** len(tuple(self.channels))
        if min(image_shape) < smallest:
            raise DataValidationError(
                f"images are {image_shape[0]} x {image_shape[1]} pixels; {len(tuple(self.channels))} "
                f"pooling blocks need at least {smallest} x {smallest}",
                source="images",
            )
        rng, generator = make_generators(self.random_state)
        self.classes_ = classes
        self.image_shape_ = image_shape
        self.n_features_in_ = int(pixels.shape[1])
        device = self._device()

        val_rows = _stratified_holdout(indices, self.validation_fraction, rng)
        train_mask = np.ones(indices.size, dtype=bool)
        train_mask[val_rows] = False

        X_train, y_train = _to_tensors(pixels, indices, np.flatnonzero(train_mask), image_shape, device)
        X_val, y_val = (
            _to_tensors(pixels, indices, val_rows, image_shape, device) if val_rows.size else (None, None)
        )
        del pixels  # the splits copy; the full float array is not needed while training

        checkpoint = None
        if self.checkpoint_dir is not None:
            fingerprint = self._run_fingerprint(
                X_train, y_train, X_val, y_val, image_shape=list(image_shape), classes=classes.tolist()
            )
            checkpoint = Checkpoint(self.checkpoint_dir, fingerprint=fingerprint)
        with torch_threads(self.n_threads), seeded(fork_rng_seed(rng)):
            # Weight initialisation and dropout draw from torch's global generator, forked here.
            module = self._build_module().to(device)
            task = ClassificationTask(
                module,
                adam(module, float(self.learning_rate), weight_decay=float(self.weight_decay)),
                X_train=X_train,
                y_train=y_train,
                X_val=X_val,
                y_val=y_val,
                batch_size=int(self.batch_size),
                generator=generator,
                total_steps=(
                    int(self.epochs) * -(-X_train.shape[0] // int(self.batch_size))
                    if self.learning_rate_schedule == "linear"
                    else None
                ),
            )
            all_callbacks = list(callbacks)
            if self.verbose:
                all_callbacks.append(ProgressBar())
            history = None
            if checkpoint is not None:
                history = checkpoint.resume(task)
                all_callbacks.append(checkpoint)
            trainer = Trainer(task, epochs=int(self.epochs), callbacks=all_callbacks, history=history)
            self.history_ = trainer.fit()
        self.module_ = module.eval()
        return self

    # ------------------------------------------------------------------ using

    def _images(self, images: Any) -> torch.Tensor:
        check_is_fitted(self)
        pixels, _ = check_images(images, image_shape=self.image_shape_, owner=type(self).__name__)
        return torch.from_numpy(pixels).reshape(-1, 1, *self.image_shape_).to(self._device())

    def _map(self, images: Any, *, features: bool = False) -> np.ndarray:
        """Logits (or features) of ``images``, chunk by chunk, as a numpy array."""
        X = self._images(images)
        module = self.module_.eval()
        fn = module.features if features else module
        with torch_threads(self.n_threads), torch.inference_mode():
            parts = [fn(chunk) for chunk in X.split(_INFERENCE_CHUNK)]
        return torch.cat(parts).cpu().numpy()

    def predict_proba(self, images: Any) -> np.ndarray:
        """Class probabilities of each image, ``float64`` of shape (n, n_classes); rows sum to 1.

        Column ``j`` belongs to ``classes_[j]``.
        """
        # Softmax in float64 so rows sum to 1 to double precision.
        logits = self._map(images).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return probabilities

    def predict_log_proba(self, images: Any) -> np.ndarray:
        """Logarithms of :meth:`predict_proba`, computed stably from the logits."""
        logits = self._map(images).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, images: Any) -> np.ndarray:
        """The most probable class of each image, shape (n,), values from ``classes_``."""
        logits = self._map(images)
        return self.classes_[logits.argmax(axis=1)]

    def features(self, images: Any) -> np.ndarray:
        """Activations of the dense feature layer, ``float32`` of shape (n, feature_dim).

        The representation :func:`genfin.evaluate.images.frechet_distance` compares between real
        and generated images.
        """
        return self._map(images, features=True)

    # ``score`` (mean accuracy) comes from scikit-learn's ClassifierMixin.

    # ------------------------------------------------------------------ saving

    def _extra_saved_state(self) -> dict[str, Any]:
        return {**super()._extra_saved_state(), "classes_": self.classes_.tolist()}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        super()._restore_extra_state(state)  # gives image_shape_ back its tuple form
        # JSON has no tuples or arrays; the channels and the classes come back as lists.
        self.channels = tuple(int(c) for c in self.channels)
        if "classes_" not in state:
            raise ModelFileError("the saved state of ImageClassifier lacks 'classes_'")
        self.classes_ = np.asarray(state["classes_"])

    def save(self, folder: str | Path) -> Path:
        """Save to ``folder``: weights as safetensors; parameters, classes and image shape as JSON.

        Load it back with ``genfin.load(folder)``.
        """
        return super().save(folder)


def _check_targets(y: Any, n_images: int) -> np.ndarray:
    if y is None:
        raise DataValidationError("fit needs the class of each image: fit(images, y)", source="y")
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.shape[0] != n_images:
        raise DataValidationError(
            f"expected {n_images} labels (one per image), got shape {np.shape(y)}", source="y"
        )
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            raise DataValidationError(
                f"contains NaN or inf (first at index {int(np.argmin(finite))})", source="y"
            )
    if array.dtype.kind not in "biufUS":
        raise DataValidationError(f"labels must be numbers or strings, got dtype {array.dtype}", source="y")
    return array


def _to_tensors(
    pixels: np.ndarray,
    indices: np.ndarray,
    rows: np.ndarray,
    image_shape: tuple[int, int],
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.from_numpy(pixels[rows]).reshape(-1, 1, *image_shape).to(device)
    return X, torch.from_numpy(indices[rows].astype(np.int64)).to(device)


def _stratified_holdout(indices: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Rows held out for validation: ``fraction`` of each class, leaving each class one training row."""
    if fraction <= 0:
        return np.empty(0, dtype=np.int64)
    held: list[np.ndarray] = []
    for label in np.unique(indices):
        members = rng.permutation(np.flatnonzero(indices == label))
        n_val = min(int(round(fraction * members.size)), members.size - 1)
        held.append(members[:n_val])
    return np.sort(np.concatenate(held))
