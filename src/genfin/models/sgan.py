"""SGANClassifier: a semi-supervised GAN whose discriminator is the classifier, as an estimator."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import ClassifierMixin

from genfin.data.scaling import make_scaler, scaler_from_dict
from genfin.exceptions import DataValidationError
from genfin.io import SavedModel
from genfin.models._params import (
    AnyOf,
    Boolean,
    IntSizes,
    Number,
    OneOf,
    PositiveInt,
    Rule,
    TwoNumbers,
    optional,
)
from genfin.models._semi import UNLABELLED, check_semi_supervised_labels, cross_fitted_folds, held_out_share
from genfin.models._validation import (
    check_features,
    check_images,
    check_is_fitted,
    check_rows_or_images,
    is_number,
)
from genfin.models.base import TorchEstimator
from genfin.models.registry import register
from genfin.nn.gan import MLPGenerator
from genfin.nn.sgan import (
    IMPROVED_GAN_MNIST_HIDDEN,
    SGANDiscriminator,
    SGANEnsemble,
    SGANNetworks,
    book_sgan_body,
    improved_gan_body,
)
from genfin.training import Callback, Checkpoint, ProgressBar, Trainer, make_generators, seeded, torch_threads
from genfin.training.collapse_guard import ACTIONS, CollapseGuard
from genfin.training.cross_fitting import CrossFittedTask, split_member_logs
from genfin.training.device import PRECISIONS, fork_rng_seed
from genfin.training.sgan_task import FORMULATIONS, SGANTask, unweighted_logits, validation_logs

__all__ = ["SGANClassifier", "UNLABELLED"]

_KINDS = ("auto", "tabular", "image")
_METRICS = ("auto", "auprc", "f1", "accuracy")
_CLASS_WEIGHTS = ("book", "balanced")
# The book's tabular SGAN (chapter 6) and Salimans et al.'s MNIST networks.
_LATENT = {"tabular": 10, "image": 100}
_GENERATOR_HIDDEN = {"tabular": (16, 32), "image": (500, 500)}
_DISCRIMINATOR_HIDDEN = {"tabular": (31, 16), "image": IMPROVED_GAN_MNIST_HIDDEN}
# Salimans et al.'s noise: 0.3 on pixels in [0, 1] is 0.6 on the [-1, 1] pixels used here.
_INPUT_NOISE, _HIDDEN_NOISE = 0.6, 0.5
# Cross-fitted members by default: five for rows (every label trains four of them), one for images.
_MEMBERS = {"tabular": 5, "image": 1}
# Real images that set the weight-normalised layers' scales before training (Salimans et al.'s 500).
_INIT_ROWS = 500
_THREADS = {"image": 2, "tabular": 1}
# Adam's step: the book's 2e-4 for rows; for images the 1e-3 of Salimans et al.'s MNIST script.
# Their other published version's 3e-3 learns faster with 100 or more labels (MNIST held-out
# 97.7% against 96.9% after 30 epochs with 100) but fell back with 50 (71% against 86%) and 20.
_LEARNING_RATE = {"tabular": 2e-4, "image": 1e-3}
_CHUNK = 4_096


@register
class SGANClassifier(ClassifierMixin, TorchEstimator):
    """Semi-supervised GAN classifier: learns from a few labelled rows and many unlabelled ones.

    The discriminator of a GAN learns to tell real rows from generated ones and, on the labelled
    rows, their classes; the unlabelled rows teach it what real rows look like, which a classifier
    trained on the labels alone never sees. ``fit(X, y)`` follows scikit-learn's semi-supervised
    convention: ``y`` is ``-1`` for unlabelled rows.

    Tabular rows (``kind="tabular"``) get the book's networks (chapter 6): a generator
    ``latent 10 -> 16 -> 32 -> n_features`` (LeakyReLU 0.2, batch normalisation, tanh) and a
    discriminator ``n_features -> 31 -> 16`` (LeakyReLU, batch normalisation, dropout 0.25) with a
    real-or-fake output and a class output. Images (``kind="image"``) get Salimans et al.'s MNIST
    discriminator: an MLP of 1000-500-250-250-250 weight-normalised units with Gaussian noise
    layers, and a 500-500 MLP generator. Rows are min-max scaled to [-1, 1] on all rows given to
    ``fit`` (labelled or not); pixels are mapped to [-1, 1].

    A stratified share of the labelled rows (``validation_fraction``) is held out; after every
    epoch the model is scored on it, the best epoch's weights are kept, and the collapse guard
    rolls back or stops training when the score has stayed below its best for ``patience``
    epochs. The returned model is the best one seen. Rows get five cross-fitted members by
    default (``n_members``), validated together on their pooled held-out folds.

    Parameters
    ----------
    kind : {"auto", "tabular", "image"}, default="auto"
        ``"auto"``: a DataFrame or 2-D array is tabular, a 3-D ``(n, H, W)`` or 4-D
        ``(n, 1, H, W)`` array holds images.
    formulation : {"auto", "improved", "book"}, default="auto"
        ``"improved"``: Salimans et al.'s ``K`` class logits with the fake logit fixed at 0
        (equivalent to ``K + 1`` classes) and real-or-fake read from them. ``"book"``: the book's
        separate sigmoid head and softmax over ``K + 1`` classes. ``"auto"``: the book's for rows
        (it measured as well or better on the card data), Salimans et al.'s for images (their
        MNIST recipe).
    feature_matching : bool, default=True
        Train the generator to match the mean of the discriminator's last hidden features on real
        rows (Salimans et al.), else by the non-saturating loss as the book does.
    latent_dim : int or None, default=None
        Size of the latent vector; None: 10 for rows (the book's), 100 for images.
    generator_hidden, discriminator_hidden : tuple of int or None, default=None
        Hidden widths; None: the book's (16, 32) and (31, 16) for rows, (500, 500) and
        (1000, 500, 250, 250, 250) for images.
    input_noise, hidden_noise : float or None, default=None
        Standard deviations of the image discriminator's Gaussian noise layers on its input and
        after each hidden layer; None: Salimans et al.'s, 0.6 (their 0.3 on pixels in [0, 1];
        pixels here are in [-1, 1]) and 0.5. Unused for rows.
    epochs : int, default=50
        Passes over all training rows (labelled rows are reused as often as needed), or epochs of
        ``steps_per_epoch`` steps.
    batch_size : int, default=64
        Unlabelled (and generated) rows per step; the book's half batch.
    labelled_batch_size : int or None, default=None
        Labelled rows per step; None: ``batch_size``.
    steps_per_epoch : int or None, default=None
        At most this many steps per epoch, each epoch on a fresh random draw of the rows; None:
        one pass over the training rows. Large files want it: on the full 284,807-row card file
        a pass is about 3,100 steps, so validation, the collapse guard and checkpoints would come
        once every 3,100 steps and 50 epochs would be 50 passes. A pass over the card sample's
        training split is about 120 steps: ``steps_per_epoch=120`` gives a large file the epochs
        on which the defaults of ``epochs`` and ``patience`` were chosen.
    generator_lr, discriminator_lr : float or None, default=None
        Adam's step sizes; None: the book's 2e-4 for rows, Salimans et al.'s 1e-3 for images
        (3e-3 reaches a given MNIST accuracy sooner with 100 labels or more, but fell back with
        20 and 50 labels; docs/benchmarks_semi.md).
    betas : tuple of float, default=(0.5, 0.999)
        Adam's moment decays (the book's).
    class_weight : {"balanced", "book"}, dict, or None, default="balanced"
        Weights of each labelled row's class loss. ``"balanced"``: inversely proportional to the
        class counts of the labelled rows (fake class 1). ``"book"``: the book's ``K / b`` for
        every real class and ``1 / b`` for the fake class (``b`` the labelled batch size), which
        makes the class loss ``b / K`` times smaller than the real-or-fake loss; on the card data
        with 300 labels it learnt slowly and failed for one of two seeds, so it is not the default.
        A dict maps class labels to weights (others 1). None: all 1. The weights shape what the
        network learns; predictions divide them back out (``class_weights_``).
    unsupervised_weight : float, default=1.0
        Weight of the real-or-fake loss beside the class loss.
    average_discriminator : float, default=0.99
        Decay of an exponential moving average of the discriminator's weights (Polyak averaging),
        updated after every discriminator step; validation, checkpoint selection and prediction
        then use the average. 0 classifies with the trained weights themselves (the book).
        On the card sample's design splits (``bench/semi_design.py``, seeds kept apart from the
        benchmark's) it lifts test AUPRC a little: 0.807 -> 0.815 with 100 labels and 0.880 ->
        0.882 with 984 (means of 3 splits); a decay of 0.999 measured the same.
    validation_fraction : float, default=0.2
        Share of each class's labelled rows held out for model selection (at least one per
        class). 0 uses every label for training and returns the last epoch.
    n_members : int or "auto", default="auto"
        Number of SGANs to train and average; ``"auto"``: 5 for rows, 1 for images. Several
        members cross-fit: the labelled rows are dealt into ``n_members`` stratified folds, member
        ``i`` holds out fold ``i`` and trains on the rest, so every label trains all members but
        one, and ``predict_proba`` is the mean of the members' probabilities. The members train
        side by side, an epoch of each per epoch, and are validated together: each member scores
        its own fold and the scores are pooled (out-of-fold, as in cross-validation), so the epoch
        is chosen, and the collapse guard acts, on every held-out label at once rather than on
        one member's fifth of them (one fraud of five with 100 labels). The held-out share is then
        ``1 / n_members`` (``validation_fraction`` only switches validation off when 0, and then
        every member trains on every label). Costs ``n_members`` times the training time. One
        member keeps a fifth of the few labels out of training for good; on the card sample's
        design splits (seeds 10-17) five members raised mean test AUPRC at every label budget,
        and choosing their epoch on the pooled folds rather than each on its own raised test F1
        with 100 and 300 labels at the same AUPRC (docs/benchmarks_semi.md). Images default to
        one: an MNIST run is long, and with 100 labels one member already reaches 98%.
    selection_metric : {"auto", "auprc", "f1", "accuracy"}, default="auto"
        Validation score that picks the best epoch (ties go to the lower validation loss);
        ``"auto"``: F1 of the positive class for two classes (the score of the book's "SGAN
        progress" plot), accuracy for more. On the card sample's design splits F1 picked epochs
        with the same or a higher test AUPRC than AUPRC did (``bench/semi_design.py``).
    collapse_guard : {"rollback", "stop", "off"}, default="rollback"
        What to do when the validation score has stayed below its best for ``patience`` epochs:
        roll back to the best epoch with half the learning rates (at most 3 times, then stop),
        or stop; either way the best epoch is returned. ``"off"``: train all ``epochs`` and
        return the last one, as the book does (the validation scores are still recorded).
    patience : int, default=10
        Epochs in a row below the best score that count as a collapse (epochs at the best score
        whose validation loss is higher do not count; the loss only breaks ties between epochs).
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the split, the weights and every random draw; the same integer gives the same model.
    device : str, default="auto"
        ``"auto"`` uses CUDA when present, else the CPU.
    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` runs each training step under bfloat16 autocast (weights, optimiser state
        and losses stay float32): faster on CPUs with AVX512-BF16 or AMX (the image SGAN's steps
        0.060 against 0.079 CPU s on one thread, ``bench/semi_mnist.py --measure``), slower on
        CPUs without them. Prediction is always float32.
    n_threads : int, "auto" or None, default="auto"
        Torch threads: "auto" is 1 for rows and 2 for images; None leaves torch's setting.
    checkpoint_dir : str or None, default=None
        Save the training state there after every epoch; a later ``fit`` with the same settings
        and data resumes from it.
    verbose : int, default=0
        1 shows a progress bar per epoch and a line per finished epoch.

    Attributes
    ----------
    module_ : genfin.nn.SGANNetworks or genfin.nn.SGANEnsemble
        The generator and the discriminator (the classifier); with several members, all of them.
    classes_ : numpy.ndarray
        The class labels seen among the labelled rows, sorted; column order of ``predict_proba``.
    kind_ : str
        ``"tabular"`` or ``"image"``.
    n_features_in_ : int
        Features (pixels) per row.
    feature_names_in_ : list of str or None
        Column names seen in ``fit``, when ``X`` was a DataFrame.
    image_shape_ : tuple of int or None
        ``(height, width)`` of the training images.
    scaler_ : MinMaxScaler or None
        The scaler of rows (None for images).
    n_labelled_, n_unlabelled_, n_validation_ : int
        Labelled training rows, unlabelled rows, and labelled rows held out for validation (per
        member: the first member's, with several).
    history_ : list of dict
        One entry per epoch: ``d_loss``, ``supervised_loss``, ``unsupervised_loss``, ``g_loss``,
        ``d_real``, ``d_fake``, ``train_accuracy``, and with validation ``val_loss``,
        ``val_accuracy``, ``val_f1``, ``val_auprc``, ``best_epoch``, ``rolled_back``.
        With several members the losses are means over all members' steps and the validation
        scores are those of the pooled folds. :func:`genfin.plots.progress_figure` draws the
        validation curves.
    best_epoch_ : int
        The 1-based epoch whose weights were returned, the same for every member (the last one
        with ``collapse_guard="off"`` or without validation rows).
    member_histories_ : list of list of dict
        Per member and epoch, the validation scores on its own fold (``val_loss``, ``val_f1``,
        ...) and ``best_epoch``; with one member, ``[history_]``.
    validation_rows_ : numpy.ndarray of int
        The labelled rows (indices into the ``X`` given to ``fit``) held out for validation, sorted;
        empty with ``validation_fraction=0``.
    validation_proba_ : numpy.ndarray of shape (len(validation_rows_), n_classes)
        Each of those rows' class probabilities from the returned model's member(s) that did not
        train on it (averaged when a class with fewer rows than members lent a row to several
        folds): out-of-fold predictions, the ones that chose the returned epoch. They judge the
        model or choose a decision threshold without a test split, e.g. with
        ``sklearn.metrics.precision_recall_curve(y[validation_rows_], validation_proba_[:, 1])``.
    class_weights_ : list of float
        The ``K + 1`` class weights of training (the fake class last). They are divided back out
        of the predictions: ``predict_proba`` gives probabilities at the labelled rows' class
        frequencies, not at the balanced prior the weights trained under, so ``predict`` does
        not flag every borderline row as the rare class.

    Examples
    --------
    >>> from genfin.data import make_transactions
    >>> import numpy as np
    >>> data = make_transactions(2_000, fraud_rate=0.05, random_state=0)
    >>> y = np.full(len(data.y), -1)
    >>> labelled = np.r_[np.flatnonzero(data.y == 1)[:20], np.flatnonzero(data.y == 0)[:80]]
    >>> y[labelled] = data.y.to_numpy()[labelled]
    >>> model = SGANClassifier(epochs=5, random_state=0).fit(data.X, y)  # doctest: +SKIP
    >>> model.predict_proba(data.X).shape  # doctest: +SKIP
    (2000, 2)
    """

    _saved_attributes: ClassVar[tuple[str, ...]] = (
        "kind_",
        "latent_dim_",
        "image_shape_",
        "n_features_in_",
        "feature_names_in_",
        "n_labelled_",
        "n_unlabelled_",
        "n_validation_",
        "history_",
        "best_epoch_",
        "member_histories_",
    )
    # Decides between epochs with the same validation score (frequent with a few validation
    # frauds): the pooled validation loss, lower first. Design studies set other keys here.
    _tie_breaker: ClassVar[tuple[str, str]] = ("val_loss", "min")
    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {
        "kind": OneOf(*_KINDS),
        "formulation": OneOf("auto", *FORMULATIONS),
        "selection_metric": OneOf(*_METRICS),
        "collapse_guard": OneOf(*ACTIONS),
        "precision": OneOf(*PRECISIONS),
        "feature_matching": Boolean(),
        "epochs": PositiveInt(),
        "batch_size": PositiveInt(),
        "steps_per_epoch": optional(PositiveInt()),
        "patience": PositiveInt(),
        "n_members": AnyOf("auto", PositiveInt()),
        "latent_dim": optional(PositiveInt()),
        "labelled_batch_size": optional(PositiveInt()),
        "generator_hidden": optional(IntSizes()),
        "discriminator_hidden": optional(IntSizes()),
        "generator_lr": optional(Number(low=0, low_closed=False)),
        "discriminator_lr": optional(Number(low=0, low_closed=False)),
        "input_noise": optional(Number(low=0)),
        "hidden_noise": optional(Number(low=0)),
        "unsupervised_weight": Number(low=0),
        "average_discriminator": Number(0, 1),
        "validation_fraction": Number(0, 1),
        "betas": TwoNumbers(0, 1),
        "n_threads": AnyOf("auto", None, PositiveInt()),
    }

    def __init__(
        self,
        *,
        kind: str = "auto",
        formulation: str = "auto",
        feature_matching: bool = True,
        latent_dim: int | None = None,
        generator_hidden: tuple[int, ...] | None = None,
        discriminator_hidden: tuple[int, ...] | None = None,
        input_noise: float | None = None,
        hidden_noise: float | None = None,
        epochs: int = 50,
        batch_size: int = 64,
        labelled_batch_size: int | None = None,
        steps_per_epoch: int | None = None,
        generator_lr: float | None = None,
        discriminator_lr: float | None = None,
        betas: tuple[float, float] = (0.5, 0.999),
        class_weight: str | dict[Any, float] | None = "balanced",
        unsupervised_weight: float = 1.0,
        average_discriminator: float = 0.99,
        validation_fraction: float = 0.2,
        n_members: int | str = "auto",
        selection_metric: str = "auto",
        collapse_guard: str = "rollback",
        patience: int = 10,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        precision: str = "float32",
        n_threads: int | str | None = "auto",
        checkpoint_dir: str | None = None,
        verbose: int = 0,
    ) -> None:
        self.kind = kind
        self.formulation = formulation
        self.feature_matching = feature_matching
        self.latent_dim = latent_dim
        self.generator_hidden = generator_hidden
        self.discriminator_hidden = discriminator_hidden
        self.input_noise = input_noise
        self.hidden_noise = hidden_noise
        self.epochs = epochs
        self.batch_size = batch_size
        self.labelled_batch_size = labelled_batch_size
        self.steps_per_epoch = steps_per_epoch
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.betas = betas
        self.class_weight = class_weight
        self.unsupervised_weight = unsupervised_weight
        self.average_discriminator = average_discriminator
        self.validation_fraction = validation_fraction
        self.n_members = n_members
        self.selection_metric = selection_metric
        self.collapse_guard = collapse_guard
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.precision = precision
        self.n_threads = n_threads
        self.checkpoint_dir = checkpoint_dir
        self.verbose = verbose

    # ------------------------------------------------------------------ checks

    def _check_params(self) -> None:
        super()._check_params()
        # Not a table rule: an unknown name and a bad weight in a dict need different messages.
        weight = self.class_weight
        if not (weight is None or weight in _CLASS_WEIGHTS or isinstance(weight, dict)):
            self._reject("class_weight", f"must be one of {_CLASS_WEIGHTS}, a dict of class weights, or None")
        if isinstance(weight, dict) and not all(is_number(w) and w > 0 for w in weight.values()):
            self._reject("class_weight", "must map classes to numbers > 0")

    def _check_y(self, y: Any, n_rows: int) -> np.ndarray:
        """Class indices of ``y`` with -1 for unlabelled rows; sets ``classes_``."""
        array = check_semi_supervised_labels(y, n_rows, owner=type(self).__name__)
        labelled = array != UNLABELLED
        classes, counts = np.unique(array[labelled], return_counts=True)
        if self.validation_fraction > 0 and counts.min() < 2:
            rare = [int(c) for c, n in zip(classes, counts, strict=True) if n < 2]
            raise DataValidationError(
                f"class(es) {rare} have fewer than 2 labelled rows; each class needs one for training "
                f"and one for the validation split (or set validation_fraction=0)",
                source="y",
            )
        self.classes_ = classes
        indices = np.full(n_rows, UNLABELLED, dtype=np.int64)
        indices[labelled] = np.searchsorted(classes, array[labelled])
        return indices

    # ------------------------------------------------------------------ building

    def _threads(self) -> int | None:
        return _THREADS[self.kind_] if self.n_threads == "auto" else self.n_threads

    def _build_module(self) -> SGANNetworks | SGANEnsemble:
        if self._n_members() == 1:
            return self._build_networks()
        return SGANEnsemble([self._build_networks() for _ in range(self._n_members())])

    def _build_networks(self) -> SGANNetworks:
        kind, n_features = self.kind_, self.n_features_in_
        generator = MLPGenerator(
            self.latent_dim_,
            n_features,
            tuple(self.generator_hidden or _GENERATOR_HIDDEN[kind]),
            batch_norm=True,
        )
        hidden = tuple(self.discriminator_hidden or _DISCRIMINATOR_HIDDEN[kind])
        if kind == "image":
            body = improved_gan_body(
                n_features,
                hidden,
                input_noise=_INPUT_NOISE if self.input_noise is None else float(self.input_noise),
                hidden_noise=_HIDDEN_NOISE if self.hidden_noise is None else float(self.hidden_noise),
            )
        else:
            body = book_sgan_body(n_features, hidden)
        hidden_noise = _HIDDEN_NOISE if self.hidden_noise is None else float(self.hidden_noise)
        discriminator = SGANDiscriminator(
            body,
            hidden[-1],
            len(self.classes_),
            separate_real_head=self._formulation() == "book",
            weight_normalised_head=kind == "image",
            feature_noise=hidden_noise if kind == "image" else 0.0,
        )
        return SGANNetworks(generator, discriminator)

    def _class_weights(self, labels: np.ndarray) -> torch.Tensor:
        """``K + 1`` weights by class index, the fake class last."""
        n_classes = len(self.classes_)
        weights = np.ones(n_classes + 1)
        if self.class_weight == "book":
            # The book: {i: num_classes / half_batch} for real classes, 1 / half_batch for fake.
            batch = float(self.labelled_batch_size or self.batch_size)
            weights[:n_classes], weights[n_classes] = n_classes / batch, 1 / batch
        elif self.class_weight == "balanced":
            counts = np.bincount(labels, minlength=n_classes)
            weights[:n_classes] = len(labels) / (n_classes * counts)
        elif isinstance(self.class_weight, dict):
            for label, weight in self.class_weight.items():
                matches = np.flatnonzero(self.classes_ == label)
                if not len(matches):
                    raise ValueError(
                        f"class_weight names class {label!r}, which is not among the labelled classes "
                        f"{self.classes_.tolist()}"
                    )
                weights[matches[0]] = float(weight)
        return torch.tensor(weights, dtype=torch.float32)

    # ------------------------------------------------------------------ fitting

    def fit(self, X: Any, y: Any, *, callbacks: Iterable[Callback] = ()) -> SGANClassifier:
        """Train on labelled and unlabelled rows; ``y`` is ``-1`` for unlabelled rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features), or images
            Rows (column names are kept and checked later), or images ``(n, H, W)`` or
            ``(n, 1, H, W)`` as uint8 0..255 or floats in [0, 1].
        y : array-like of shape (n_rows,)
            Integer class labels, -1 for unlabelled rows. Each class needs at least two labelled
            rows while ``validation_fraction > 0``.
        callbacks : iterable of genfin.training.Callback, optional
            Extra callbacks for the training loop (run before the collapse guard); with several
            members the loop's task is a :class:`~genfin.training.cross_fitting.CrossFittedTask`
            whose epochs run every member in turn.

        Returns
        -------
        SGANClassifier
            The fitted estimator.
        """
        self._check_params()
        kind, rows, image_shape, names = check_rows_or_images(X, self.kind)
        labels = self._check_y(y, rows.shape[0])
        self.kind_, self.image_shape_ = kind, image_shape
        self.n_features_in_, self.feature_names_in_ = int(rows.shape[1]), names
        self.latent_dim_ = int(self.latent_dim or _LATENT[kind])
        self.scaler_ = make_scaler("minmax").fit(rows) if kind == "tabular" else None

        rng, random = make_generators(self.random_state)
        labelled = np.flatnonzero(labels != UNLABELLED)
        folds = self._validation_folds(labels, rng)
        # One set of class weights for every member: the validation folds are stratified, so the
        # members' training labels have the class shares of all labels.
        self.class_weights_ = self._class_weights(labels[labelled]).tolist()
        self.n_unlabelled_ = int(rows.shape[0] - len(labelled))
        self.n_validation_ = len(folds[0])
        self.n_labelled_ = len(labelled) - self.n_validation_
        inputs = self._to_model_space(rows)

        with torch_threads(self._threads()), seeded(fork_rng_seed(rng)):
            tasks = []
            for validation in folds:
                if len(folds) > 1:
                    # Each member its own streams, drawn from the estimator's in order.
                    rng, random = make_generators(fork_rng_seed(rng))
                tasks.append(self._member_task(inputs, labels, validation, (rng, random)))
            history, self.best_epoch_ = self._train(tasks, inputs, labels, folds, callbacks)
        if len(tasks) == 1:
            self.history_, self.member_histories_ = history, [history]
        else:
            self.history_, self.member_histories_ = split_member_logs(history, len(tasks))
        # The classifier of each member is its averaged discriminator when there is one.
        members = [SGANNetworks(task.generator, task.classifier) for task in tasks]
        self.module_ = (members[0] if len(members) == 1 else SGANEnsemble(members)).eval()
        self.validation_rows_, self.validation_proba_ = self._held_out_proba(inputs, folds)
        return self

    def _held_out_proba(self, inputs: torch.Tensor, folds: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The held-out rows and their probabilities from the returned member(s) that held each one out."""
        rows = np.unique(np.concatenate(folds))
        total = np.zeros((len(rows), len(self.classes_)))
        times_held_out = np.zeros(len(rows))
        for member, fold in zip(self._members(), folds, strict=True):
            if len(fold):
                at = np.searchsorted(rows, fold)
                total[at] += torch.exp(self._member_log_proba(member, inputs[fold])).numpy()
                times_held_out[at] += 1
        return rows.astype(np.int64), total / np.maximum(times_held_out, 1)[:, None]

    def _validation_folds(self, labels: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """The labelled rows each member holds out for validation (empty arrays without validation)."""
        n_members = self._n_members()
        if self.validation_fraction == 0:
            return [np.empty(0, np.int64)] * n_members
        if n_members == 1:
            return [held_out_share(labels, float(self.validation_fraction), rng)]
        return cross_fitted_folds(labels, n_members, rng)

    def _member_task(
        self,
        inputs: torch.Tensor,
        labels: np.ndarray,
        validation: np.ndarray,
        generators: tuple[np.random.Generator, torch.Generator],
    ) -> SGANTask:
        """A member's training task (its networks inside), holding out the labelled rows ``validation``.

        ``generators`` are the member's numpy and torch random streams; the weights draw from
        torch's global stream (seeded by ``fit``); the class weights are the estimator's
        ``class_weights_``, shared by all members.
        """
        rng, random = generators
        training = np.setdiff1d(np.flatnonzero(labels != UNLABELLED), validation)
        # Labelled training rows are real rows too; validation rows stay out of training entirely.
        pool = np.setdiff1d(np.arange(inputs.shape[0]), validation)
        device = self._device()
        as_labels = lambda index: torch.from_numpy(labels[index]).to(device)  # noqa: E731
        module = self._build_networks().to(device)
        if self.kind_ == "image":
            init_rows = rng.choice(pool, size=min(_INIT_ROWS, len(pool)), replace=False)
            module.discriminator.initialise(inputs[init_rows].to(device))
        return SGANTask(
            module.generator,
            module.discriminator,
            X_labelled=inputs[training].to(device),
            y_labelled=as_labels(training),
            X_unlabelled=inputs[pool].to(device),
            X_val=inputs[validation].to(device) if len(validation) else None,
            y_val=as_labels(validation) if len(validation) else None,
            batch_size=int(self.batch_size),
            labelled_batch_size=int(self.labelled_batch_size or self.batch_size),
            steps_per_epoch=None if self.steps_per_epoch is None else int(self.steps_per_epoch),
            formulation=self._formulation(),
            feature_matching=self.feature_matching,
            class_weights=torch.tensor(self.class_weights_, dtype=torch.float32),
            unsupervised_weight=float(self.unsupervised_weight),
            average_discriminator=float(self.average_discriminator),
            generator_lr=float(self.generator_lr or _LEARNING_RATE[self.kind_]),
            discriminator_lr=float(self.discriminator_lr or _LEARNING_RATE[self.kind_]),
            betas=(float(self.betas[0]), float(self.betas[1])),
            random=random,
        )

    def _train(
        self,
        tasks: list[SGANTask],
        inputs: torch.Tensor,
        labels: np.ndarray,
        folds: list[np.ndarray],
        callbacks: Iterable[Callback],
    ) -> tuple[list[dict[str, Any]], int]:
        """Train the members in one loop (side by side when several); the history and returned epoch.

        Several members validate on their folds pooled and share one collapse guard
        (:class:`~genfin.training.cross_fitting.CrossFittedTask`): one epoch for all, chosen on
        every held-out label rather than on one member's few.
        """
        task = tasks[0] if len(tasks) == 1 else CrossFittedTask(tasks, validation_logs)
        all_callbacks = list(callbacks)
        guard = None
        if any(len(fold) for fold in folds):
            folder = None if self.checkpoint_dir is None else Path(self.checkpoint_dir) / "best"
            tie_breaker, tie_breaker_mode = self._tie_breaker
            guard = CollapseGuard(
                f"val_{self._selection_metric()}",
                tie_breaker=tie_breaker,
                tie_breaker_mode=tie_breaker_mode,
                patience=int(self.patience),
                action=self.collapse_guard,
                folder=folder,
            )
            all_callbacks.append(guard)
        if self.verbose:
            # Each member's own scores stay in the history; the lines show the pooled ones.
            prefix = f"{len(tasks)} members, " if len(tasks) > 1 else ""
            all_callbacks.append(ProgressBar(prefix=prefix, hide=("member",)))
        history = None
        if self.checkpoint_dir is not None:
            fingerprint = self._run_fingerprint(inputs, labels, *folds, n_classes=len(self.classes_))
            checkpoint = Checkpoint(self.checkpoint_dir, fingerprint=fingerprint)
            history = checkpoint.resume(task)
            all_callbacks.append(checkpoint)
        history = Trainer(
            task,
            epochs=int(self.epochs),
            callbacks=all_callbacks,
            history=history,
            precision=self.precision,
            device=self._device(),
        ).fit()
        selected = guard is not None and self.collapse_guard != "off"
        return history, guard.best_epoch if selected else len(history)

    def _n_members(self) -> int:
        if self.n_members != "auto":
            return int(self.n_members)
        return _MEMBERS[self.kind_]

    def _formulation(self) -> str:
        if self.formulation != "auto":
            return self.formulation
        return "improved" if self.kind_ == "image" else "book"

    def _selection_metric(self) -> str:
        if self.selection_metric != "auto":
            return self.selection_metric
        return "f1" if len(self.classes_) == 2 else "accuracy"

    # ------------------------------------------------------------------ predicting

    def _to_model_space(self, rows: np.ndarray) -> torch.Tensor:
        """Checked float32 rows (or flattened pixels) to the networks' [-1, 1] space."""
        if self.kind_ == "image":
            return torch.from_numpy(rows * 2 - 1)
        return torch.from_numpy(self.scaler_.transform_float32(rows) * 2 - 1)

    def _logits(self, X: Any) -> torch.Tensor:
        """Logits (float64) of the ``K`` real classes for the rows or images of ``X``."""
        check_is_fitted(self)
        owner = type(self).__name__
        if self.kind_ == "image":
            rows, _ = check_images(X, image_shape=tuple(self.image_shape_), owner=owner)
        else:
            names = self.feature_names_in_ if isinstance(X, pd.DataFrame) else None
            rows = check_features(X, n_features=self.n_features_in_, feature_names=names, owner=owner)
        inputs = self._to_model_space(rows).to(self._device())  # once for all members
        members = self._members()
        log_probas = [self._member_log_proba(member, inputs) for member in members]
        # The log of the members' mean probabilities (softmax turns it back into them); for one
        # member its log-probabilities, which differ from its logits by a constant per row.
        return torch.logsumexp(torch.stack(log_probas), dim=0) - np.log(len(members))

    def _members(self) -> list[SGANNetworks]:
        module = self.module_.eval()
        return list(module.members) if isinstance(module, SGANEnsemble) else [module]

    def _member_log_proba(self, member: SGANNetworks, inputs: torch.Tensor) -> torch.Tensor:
        """One member's log-probabilities (float64, on the CPU) of the real classes, training weights out."""
        weights = torch.tensor(self.class_weights_[: len(self.classes_)])
        inputs = inputs.to(self._device())
        with torch_threads(self._threads()), torch.inference_mode():
            logits = torch.cat([member(chunk) for chunk in inputs.split(_CHUNK)]).cpu().double()
        return torch.log_softmax(unweighted_logits(logits, weights), dim=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class in ``classes_`` order, shape (n, n_classes).

        The discriminator's fake class is dropped and the real classes' probabilities renormalised.
        """
        return torch.softmax(self._logits(X), dim=1).numpy()

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores: for two classes the log-odds of ``classes_[1]`` (shape (n,)), else the class logits."""
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return (logits[:, 1] - logits[:, 0]).numpy()
        return logits.numpy()

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row; the fake class is never predicted."""
        indices = self._logits(X).argmax(dim=1).numpy()  # checks fitted state and input first
        return self.classes_[indices]

    # ------------------------------------------------------------------ saving

    def _extra_saved_state(self) -> dict[str, Any]:
        return {
            "classes": self.classes_.tolist(),
            "class_weights": self.class_weights_,
            "scaler": None if self.scaler_ is None else self.scaler_.to_dict(),
            "validation_rows": self.validation_rows_.tolist(),
            "validation_proba": self.validation_proba_.tolist(),
        }

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.classes_ = np.asarray(state["classes"], dtype=np.int64)
        # Models saved before the weights were divided out of predictions used none.
        self.class_weights_ = state.get("class_weights") or [1.0] * (len(self.classes_) + 1)
        if self.image_shape_ is not None:
            self.image_shape_ = tuple(int(s) for s in self.image_shape_)
        self.scaler_ = None if state.get("scaler") is None else scaler_from_dict(state["scaler"])
        # Models saved before the held-out predictions were kept have none.
        self.validation_rows_ = np.asarray(state.get("validation_rows", []), dtype=np.int64)
        proba = state.get("validation_proba", [])
        self.validation_proba_ = np.asarray(proba, dtype=np.float64).reshape(len(proba), len(self.classes_))

    @classmethod
    def _from_saved(cls, saved: SavedModel) -> SGANClassifier:
        params = dict(saved.params)
        for name in ("betas", "generator_hidden", "discriminator_hidden"):
            if params.get(name) is not None:
                params[name] = tuple(params[name])
        if isinstance(params.get("class_weight"), dict):
            # JSON keys are strings; the classes are ints.
            params["class_weight"] = {int(k): v for k, v in params["class_weight"].items()}
        return super()._from_saved(dataclasses.replace(saved, params=params))
