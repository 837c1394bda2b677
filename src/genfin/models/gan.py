"""GAN: the book's DCGAN for images and an MLP GAN for transaction rows, as a scikit-learn estimator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from genfin.data.scaling import make_scaler
from genfin.exceptions import DataValidationError
from genfin.io import SavedModel
from genfin.models._params import AnyOf, IntSizes, Number, OneOf, PositiveInt, Rule, TwoNumbers, optional
from genfin.models._validation import (
    check_features,
    check_images,
    check_is_fitted,
    check_rows_or_images,
    is_positive_int,
)
from genfin.models.base import TorchEstimator
from genfin.models.registry import register
from genfin.nn.gan import DCGANDiscriminator, DCGANGenerator, GANNetworks, MLPDiscriminator, MLPGenerator
from genfin.training import Callback, Checkpoint, ProgressBar, Trainer, make_generators, seeded, torch_threads
from genfin.training.collapse import CollapseDetector
from genfin.training.device import PRECISIONS, fork_rng_seed
from genfin.training.gan_monitor import FixedNoise, mean_pairwise_distance, sliced_wasserstein_distance
from genfin.training.gan_task import GANTask
from genfin.training.gan_tricks import GANTricks, sample_latent
from genfin.training.keep_best import KeepBest
from genfin.training.snapshots import SampleSnapshots, image_grid, write_png

__all__ = ["GAN"]

_KINDS = ("auto", "tabular", "image")
_COLLAPSE = ("warn", "stop", "ignore")
# The book's latent size for MNIST; rows of a few dozen features need far fewer dimensions.
_LATENT = {"image": 100, "tabular": 32}
_TABULAR_HIDDEN = (128, 128)
# Threads that train fastest on a CPU: convolutions gain from a second thread, small MLPs do not.
_THREADS = {"image": 2, "tabular": 1}
# epochs=None: 20 epochs, but at least this many steps (as the VAE; bench/gan_tabular.py).
_DEFAULT_EPOCHS, _MIN_DEFAULT_STEPS = 20, 2000
_MONITOR_ROWS = 256  # fixed-noise samples (and real rows) measured after every epoch
_CHUNK = 4_096


@register
class GAN(TorchEstimator):
    """Generative adversarial network for images (the book's DCGAN) or table rows (an MLP GAN).

    Images: the book's DCGAN (chapter 6) with Adam at 2e-4 and beta1 0.5, pixels scaled to [-1, 1]
    and a tanh output. Rows: LeakyReLU MLPs of ``hidden_layer_sizes`` for both players, features
    min-max scaled to [-1, 1] on the training rows and samples scaled back to the original units.
    Given labels ``y``, the GAN is conditional: ``sample`` can then be asked for a class ("if you
    have labels, use them").

    Every training trick of the book is a field of ``tricks`` (see
    :class:`~genfin.training.gan_tricks.GANTricks` for each one, its default and the book's reason).
    Training is watched for failure: a collapse detector warns (or stops, ``collapse="stop"``) when
    the discriminator wins or the samples lose diversity, ``sample_dir`` receives a grid of
    fixed-noise samples after every epoch, ``keep_best`` keeps the epoch whose samples are closest
    to the data, and ``checkpoint_dir`` makes an interrupted run resumable.

    Parameters
    ----------
    kind : {"auto", "tabular", "image"}, default="auto"
        What the rows are; ``"auto"``: a DataFrame or 2-D array is tabular, a 3-D ``(n, height,
        width)`` or 4-D ``(n, 1, height, width)`` array holds images.
    latent_dim : int or None, default=None
        Size of the latent vector; None is 100 for images (the book's) and 32 for rows.
    hidden_layer_sizes : tuple of int or None, default=None
        Hidden widths of the tabular generator and discriminator; None is (128, 128). Ignored for
        images, whose networks are the book's.
    epochs : int or None, default=None
        Passes over the training rows (the book trains MNIST for 50). None: 20, or more on small
        data so that training takes at least 2,000 steps: 20 epochs of the 252 training frauds of
        the card sample are 20 steps, after which the samples are still noise (KS complement 0.64
        against 0.87 after 2,000 steps in bench/gan_tabular.py).
    batch_size : int, default=128
        Real rows per step; the discriminator sees as many fakes.
    generator_lr, discriminator_lr : float, default=2e-4
        Adam's step sizes, the book's.
    betas : tuple of float, default=(0.5, 0.999)
        Adam's moment decays; the book's smaller-than-usual momentum of 0.5.
    tricks : GANTricks, dict or None, default=None
        The training tricks; None is ``GANTricks()``, a dict overrides some of its fields.
    collapse : {"warn", "stop", "ignore"}, default="warn"
        What the collapse detector does when a failure persists for two epochs.
    keep_best : bool, default=False
        Measure after every epoch the sliced Wasserstein distance of fixed-noise samples from real
        rows (``quality`` in ``history_``; or the ``quality_metric`` given to ``fit``) and keep the
        best epoch's weights.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the weights, the batches and every random draw of training; the same integer gives
        the same model and samples.
    device : str, default="auto"
        ``"auto"`` uses CUDA when present, else the CPU; or any torch device name.
    n_threads : int, "auto" or None, default="auto"
        Torch threads while training and sampling: "auto" is 2 for images and 1 for rows; None
        leaves torch's setting alone.
    precision : {"float32", "bfloat16"}, default="float32"
        Arithmetic of the training steps. ``"bfloat16"`` is mixed precision (weights and losses
        stay float32): on CPUs with native bfloat16 (AVX512-BF16 or AMX, recent Xeon and EPYC) the
        DCGAN trains about 1.6 times as fast; elsewhere it is emulated and slower. Sampling is
        always float32.
    checkpoint_dir : str or None, default=None
        Save the training state there after every epoch; a later ``fit`` with the same settings and
        data resumes from it.
    sample_dir : str or None, default=None
        Write the fixed-noise samples there after every epoch: ``samples_epoch_001.png`` grids for
        images, ``samples_epoch_001.csv`` rows (original units) for tables.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per epoch and a line per finished epoch.

    Attributes
    ----------
    module_ : genfin.nn.GANNetworks
        The generator, the discriminator and (with ``tricks.average_generator``) the averaged
        generator that samples are drawn from.
    kind_ : str
        ``"tabular"`` or ``"image"``.
    latent_dim_ : int
        Size of the latent vector.
    n_samples_fit_ : int
        Rows (images) trained on.
    n_epochs_ : int
        Epochs planned: ``epochs``, or the default's choice for this many rows.
    classes_ : list or None
        The labels of a conditional GAN, in the order of its class indices; None when unconditional.
    class_prior_ : list of float or None
        Share of each class in the training rows; ``sample`` draws classes from it by default.
    scaler_ : MinMaxScaler or None
        The scaler fitted on the training rows (to [0, 1], then mapped to [-1, 1]); None for images.
    image_shape_ : tuple of int or None
        ``(height, width)`` of the training images; None for tabular data.
    n_features_in_ : int
        Features (pixels) per row.
    feature_names_in_ : list of str or None
        Column names seen in ``fit``, when ``X`` was a DataFrame.
    history_ : list of dict
        One entry per epoch: ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake`` (the discriminator's
        mean probability of "real" for real rows and for fakes), ``g_steps``, ``instance_noise``,
        the collapse detector's ``sample_diversity`` and flags, ``quality`` with ``keep_best``,
        ``seconds``. Loss curves are these columns.
    collapse_events_ : list of dict
        The failures the collapse detector reported: ``epoch`` and ``sign``.

    Examples
    --------
    >>> from genfin.data import load_mnist_sample  # doctest: +SKIP
    >>> train, _ = load_mnist_sample()  # doctest: +SKIP
    >>> gan = GAN(epochs=20, random_state=0).fit(train.images, train.labels)  # doctest: +SKIP
    >>> sevens = gan.sample(16, y=7, random_state=1)  # (16, 28, 28) in [0, 1]  # doctest: +SKIP
    """

    _saved_attributes: ClassVar[tuple[str, ...]] = (
        "kind_",
        "latent_dim_",
        "classes_",
        "class_prior_",
        "image_shape_",
        "n_features_in_",
        "feature_names_in_",
        "n_epochs_",
        "n_samples_fit_",
        "history_",
        "collapse_events_",
    )
    _RUN_INDEPENDENT_PARAMS: ClassVar[tuple[str, ...]] = (
        *TorchEstimator._RUN_INDEPENDENT_PARAMS,
        "sample_dir",
        "collapse",
    )
    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {
        "kind": OneOf(*_KINDS),
        "hidden_layer_sizes": optional(IntSizes()),
        "latent_dim": optional(PositiveInt()),
        "epochs": optional(PositiveInt()),
        "batch_size": PositiveInt(),
        "generator_lr": Number(low=0, low_closed=False),
        "discriminator_lr": Number(low=0, low_closed=False),
        "betas": TwoNumbers(0, 1),
        "collapse": OneOf(*_COLLAPSE),
        "n_threads": AnyOf("auto", None, PositiveInt()),
        "precision": OneOf(*PRECISIONS),
    }

    def __init__(
        self,
        *,
        kind: str = "auto",
        latent_dim: int | None = None,
        hidden_layer_sizes: tuple[int, ...] | None = None,
        epochs: int | None = None,
        batch_size: int = 128,
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        tricks: GANTricks | dict[str, Any] | None = None,
        collapse: str = "warn",
        keep_best: bool = False,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_threads: int | str | None = "auto",
        precision: str = "float32",
        checkpoint_dir: str | None = None,
        sample_dir: str | None = None,
        verbose: int = 0,
    ) -> None:
        self.kind = kind
        self.latent_dim = latent_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.epochs = epochs
        self.batch_size = batch_size
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.betas = betas
        self.tricks = tricks
        self.collapse = collapse
        self.keep_best = keep_best
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.precision = precision
        self.checkpoint_dir = checkpoint_dir
        self.sample_dir = sample_dir
        self.verbose = verbose

    # ------------------------------------------------------------------ checks

    def _epochs(self, n_rows: int) -> int:
        """``epochs``, or when None the default: 20, or enough for 2,000 steps on small data."""
        if self.epochs is not None:
            return int(self.epochs)
        batches_per_epoch = -(-n_rows // int(self.batch_size))
        return max(_DEFAULT_EPOCHS, -(-_MIN_DEFAULT_STEPS // batches_per_epoch))

    def _check_params(self) -> GANTricks:
        super()._check_params()
        try:
            return GANTricks.coerce(self.tricks)
        except ValueError as exc:
            raise ValueError(f"{type(self).__name__}: tricks: {exc}") from None

    def _check_y(self, y: Any, n_rows: int) -> np.ndarray | None:
        """Class indices of ``y`` (setting ``classes_`` and ``class_prior_``), or None without labels."""
        if y is None:
            self.classes_, self.class_prior_ = None, None
            return None
        array = np.asarray(y)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1 or array.shape[0] != n_rows:
            raise DataValidationError(
                f"expected {n_rows} labels, one per row of X, got shape {np.shape(y)}", source="y"
            )
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            row = int(np.argmin(np.isfinite(array)))
            raise DataValidationError(f"contains NaN or inf (first at row index {row})", source="y")
        if array.dtype.kind not in "biuUO":
            raise DataValidationError(
                f"labels must be integers or strings, got dtype {array.dtype}", source="y"
            )
        classes, indices, counts = np.unique(array, return_inverse=True, return_counts=True)
        self.classes_ = [c.item() if isinstance(c, np.generic) else c for c in classes]
        self.class_prior_ = [float(c) / n_rows for c in counts]
        return indices.astype(np.int64)

    # ------------------------------------------------------------------ building

    @property
    def _tricks(self) -> GANTricks:
        return GANTricks.coerce(self.tricks)

    def _threads(self) -> int | None:
        return _THREADS[self.kind_] if self.n_threads == "auto" else self.n_threads

    def _build_networks(self, tricks: GANTricks) -> tuple[torch.nn.Module, torch.nn.Module]:
        n_classes = 0 if self.classes_ is None else len(self.classes_)
        generator_options = {
            "batch_norm": tricks.batch_norm != "none",
            "dropout": tricks.generator_dropout,
            "dropout_at_sampling": tricks.dropout_at_sampling,
            "slope": tricks.leaky_slope,
        }
        discriminator_options = {
            "batch_norm": tricks.batch_norm == "both",
            "dropout": tricks.discriminator_dropout,
            "noise_std": tricks.noise_layers,
            "slope": tricks.leaky_slope,
        }
        if self.kind_ == "image":
            shape = tuple(self.image_shape_)
            generator = DCGANGenerator(self.latent_dim_, shape, n_classes=n_classes, **generator_options)
            discriminator = DCGANDiscriminator(shape, n_classes=n_classes, **discriminator_options)
        else:
            hidden = tuple(self.hidden_layer_sizes or _TABULAR_HIDDEN)
            generator = MLPGenerator(
                self.latent_dim_, self.n_features_in_, hidden, n_classes, **generator_options
            )
            discriminator = MLPDiscriminator(self.n_features_in_, hidden, n_classes, **discriminator_options)
        return generator, discriminator

    def _build_module(self) -> GANNetworks:
        tricks = self._tricks
        generator, discriminator = self._build_networks(tricks)
        # The averaged generator has the generator's architecture; its weights come from the file.
        average = self._build_networks(tricks)[0] if tricks.average_generator else None
        return GANNetworks(generator, discriminator, average)

    # ------------------------------------------------------------------ fitting

    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        callbacks: Iterable[Callback] = (),
        classify: Callable[[torch.Tensor], torch.Tensor] | None = None,
        min_classes: int | None = None,
        quality_metric: Callable[[Trainer], float] | None = None,
    ) -> GAN:
        """Train the GAN on the rows or images of ``X`` (conditionally on ``y`` when given).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features), or images
            Tabular rows (column names are kept, checked later and given to samples), or images of
            shape (n, height, width) or (n, 1, height, width) as uint8 0..255 or floats in [0, 1].
        y : array-like of shape (n_rows,), optional
            Class labels (ints or strings); given, the GAN is conditional on them.
        callbacks : iterable of genfin.training.Callback, optional
            Extra callbacks for the training loop; values they write into the epoch logs end up in
            ``history_``.
        classify : callable, optional
            Maps a batch of generated samples (the generator's output: ``(n, 1, H, W)`` images or
            scaled rows in [-1, 1]) to class indices; the collapse detector then logs
            ``classes_covered``.
        min_classes : int, optional
            With ``classify``, report a collapse when fewer classes are covered.
        quality_metric : callable, optional
            ``quality_metric(trainer)``, lower is better, for ``keep_best`` instead of the sliced
            Wasserstein distance (e.g. an FID).

        Returns
        -------
        GAN
            The fitted estimator.
        """
        tricks = self._check_params()
        kind, rows, image_shape, names = check_rows_or_images(X, self.kind)
        if rows.shape[0] < 2:
            raise DataValidationError(
                f"fit needs at least 2 rows, got {rows.shape[0]} sample(s) (shape {rows.shape})", source="X"
            )
        labels = self._check_y(y, rows.shape[0])
        if min_classes is not None and classify is None:
            raise ValueError("min_classes needs classify, a function that predicts the samples' classes")
        self.kind_ = kind
        self.image_shape_ = image_shape
        self.n_features_in_ = int(rows.shape[1])
        self.feature_names_in_ = names
        self.latent_dim_ = int(self.latent_dim or _LATENT[kind])
        self.n_samples_fit_ = int(rows.shape[0])
        self.n_epochs_ = self._epochs(self.n_samples_fit_)
        self.scaler_ = make_scaler("minmax").fit(rows) if kind == "tabular" else None
        device = self._device()
        X_train = self._to_model_space(rows).to(device)
        y_train = None if labels is None else torch.from_numpy(labels).to(device)

        rng, random = make_generators(self.random_state)
        build_seed, monitor_seed = fork_rng_seed(rng), fork_rng_seed(rng)
        with torch_threads(self._threads()), seeded(build_seed):
            generator, discriminator = self._build_networks(tricks)
            generator, discriminator = generator.to(device), discriminator.to(device)
            task = GANTask(
                generator,
                discriminator,
                X=X_train,
                y=y_train,
                batch_size=int(self.batch_size),
                epochs=self.n_epochs_,
                tricks=tricks,
                generator_lr=float(self.generator_lr),
                discriminator_lr=float(self.discriminator_lr),
                betas=(float(self.betas[0]), float(self.betas[1])),
                random=random,
            )
            monitors, collapse = self._monitors(
                X_train, tricks, monitor_seed, classify, min_classes, quality_metric
            )
            all_callbacks = [*callbacks, *monitors]
            if self.verbose:
                all_callbacks.append(ProgressBar())
            history = None
            if self.checkpoint_dir is not None:
                checkpoint = Checkpoint(
                    Path(self.checkpoint_dir), fingerprint=self._run_fingerprint(X_train, y_train)
                )
                history = checkpoint.resume(task)
                all_callbacks.append(checkpoint)
            self.history_ = Trainer(
                task,
                epochs=self.n_epochs_,
                callbacks=all_callbacks,
                history=history,
                precision=self.precision,
                device=device,
            ).fit()
        average = task.average.module if task.average is not None else None
        self.module_ = GANNetworks(generator, discriminator, average).eval()
        self.collapse_events_ = [] if collapse is None else list(collapse.events)
        return self

    def _monitors(
        self,
        X_train: torch.Tensor,
        tricks: GANTricks,
        seed: int,
        classify: Callable[[torch.Tensor], torch.Tensor] | None,
        min_classes: int | None,
        quality_metric: Callable[[Trainer], float] | None,
    ) -> tuple[list[Callback], CollapseDetector | None]:
        """The failure-tracking callbacks: collapse detector, sample snapshots, keep-best."""
        noise = FixedNoise(
            _MONITOR_ROWS, self.latent_dim_, seed, distribution=tricks.latent, class_prior=self.class_prior_
        )
        reference_rows = torch.randperm(X_train.shape[0], generator=torch.Generator().manual_seed(seed))
        reference = X_train[reference_rows[:_MONITOR_ROWS]].cpu()
        callbacks: list[Callback] = []
        collapse = None
        diversity = mean_pairwise_distance(reference)
        if self.collapse != "ignore" and diversity > 0:
            collapse = CollapseDetector(
                noise, diversity, classify=classify, min_classes=min_classes, stop=self.collapse == "stop"
            )
            callbacks.append(collapse)
        if self.sample_dir is not None:
            callbacks.append(SampleSnapshots(noise, self._snapshot_writer(Path(self.sample_dir))))
        if self.keep_best:
            metric = quality_metric or (
                lambda trainer: sliced_wasserstein_distance(
                    noise.draw(trainer.task.sampler), reference, seed=seed
                )
            )
            folder = None if self.checkpoint_dir is None else Path(self.checkpoint_dir) / "best"
            callbacks.append(KeepBest(metric, name="quality", folder=folder))
        return callbacks, collapse

    def _snapshot_writer(self, folder: Path) -> Callable[[np.ndarray, int], None]:
        def write(samples: np.ndarray, epoch: int) -> None:
            if self.kind_ == "image":
                grid = image_grid((samples[:64, 0] + 1) / 2, n_cols=8)
                write_png(folder / f"samples_epoch_{epoch:03d}.png", grid)
            else:
                rows = self._from_model_space(torch.from_numpy(samples))
                folder.mkdir(parents=True, exist_ok=True)
                pd.DataFrame(rows, columns=self.feature_names_in_).to_csv(
                    folder / f"samples_epoch_{epoch:03d}.csv", index=False
                )

        return write

    # ------------------------------------------------------------------ spaces

    def _to_model_space(self, rows: np.ndarray) -> torch.Tensor:
        """Checked float32 rows to the networks' [-1, 1] space: images ``(n, 1, H, W)``, or scaled rows."""
        if self.kind_ == "image":
            return torch.from_numpy(rows * 2 - 1).reshape(-1, 1, *self.image_shape_)
        return torch.from_numpy(self.scaler_.transform_float32(rows) * 2 - 1)

    def _from_model_space(self, out: torch.Tensor) -> np.ndarray:
        """Generator output back to pixels in [0, 1] ``(n, H, W)``, or rows in the original units."""
        values = (out.detach().cpu().numpy().astype(np.float64) + 1) / 2
        if self.kind_ == "image":
            return values.reshape(-1, *self.image_shape_).clip(0, 1).astype(np.float32)
        return self.scaler_.inverse_transform(values.reshape(-1, self.n_features_in_))

    # ------------------------------------------------------------------ sampling

    def _label_indices(self, y: Any, n: int, random: torch.Generator) -> torch.Tensor | None:
        if self.classes_ is None:
            if y is not None:
                raise ValueError(
                    "this GAN was fitted without labels, so it cannot sample a class; pass y=None"
                )
            return None
        if y is None:
            prior = torch.as_tensor(self.class_prior_, dtype=torch.float64)
            return torch.multinomial(prior, n, replacement=True, generator=random)
        wanted = np.full(n, y, dtype=object) if np.ndim(y) == 0 else np.asarray(y, dtype=object)
        if wanted.shape != (n,):
            raise DataValidationError(
                f"expected one label or {n} labels, got shape {np.shape(y)}", source="y"
            )
        lookup = {c: i for i, c in enumerate(self.classes_)}
        indices = []
        for position, label in enumerate(wanted):
            key = label.item() if isinstance(label, np.generic) else label
            if key not in lookup:
                raise DataValidationError(
                    f"label {key!r} (position {position}) is not one of the fitted classes {self.classes_}",
                    source="y",
                )
            indices.append(lookup[key])
        return torch.tensor(indices, dtype=torch.long)

    def sample(
        self,
        n: int,
        y: Any = None,
        random_state: int | np.random.Generator | None = None,
        *,
        return_labels: bool = False,
    ) -> Any:
        """Draw ``n`` new images or rows from the (averaged) generator.

        Parameters
        ----------
        n : int
            How many to draw.
        y : label, array-like of n labels, or None, default=None
            For a conditional GAN, the class of every sample or of each one; None draws the classes
            in their training proportions. Must be None for an unconditional GAN.
        random_state : int, numpy.random.Generator or None, default=None
            Seeds the latent vectors (and classes, and dropout at sampling); the same integer gives
            the same samples. Global random state is not touched.
        return_labels : bool, default=False
            Also return the class of each sample (None when unconditional).

        Returns
        -------
        numpy.ndarray or pandas.DataFrame, or a tuple with the labels
            Images: ``float32`` (n, height, width) in [0, 1]. Rows: ``float64`` (n, n_features) in the
            original units, a DataFrame with the fitted column names when fitted on a DataFrame.
        """
        check_is_fitted(self)
        if not is_positive_int(n):
            raise ValueError(f"n must be a positive int, got {n!r}")
        rng, random = make_generators(random_state)
        labels = self._label_indices(y, int(n), random)
        z = sample_latent(int(n), self.latent_dim_, self._tricks.latent, random)
        sampler = self.module_.sampler.eval()
        device = self._device()
        with torch_threads(self._threads()), seeded(fork_rng_seed(rng)), torch.inference_mode():
            parts = [
                sampler(chunk.to(device), None if labels is None else labels[i : i + len(chunk)].to(device))
                for i, chunk in zip(range(0, int(n), _CHUNK), z.split(_CHUNK), strict=True)
            ]
        samples: Any = self._from_model_space(torch.cat(parts))
        if self.kind_ == "tabular" and self.feature_names_in_ is not None:
            samples = pd.DataFrame(samples, columns=self.feature_names_in_)
        if not return_labels:
            return samples
        return samples, None if labels is None else np.asarray(self.classes_, dtype=object)[labels.numpy()]

    def discriminate(self, X: Any, y: Any = None) -> np.ndarray:
        """The discriminator's probability that each row or image of ``X`` is real, shape (n,).

        ``y`` gives the classes of the rows for a conditional GAN (required then).
        """
        check_is_fitted(self)
        owner = type(self).__name__
        if self.kind_ == "image":
            rows, _ = check_images(X, image_shape=tuple(self.image_shape_), owner=owner)
        else:
            names = self.feature_names_in_ if isinstance(X, pd.DataFrame) else None
            rows = check_features(X, n_features=self.n_features_in_, feature_names=names, owner=owner)
        if (self.classes_ is None) != (y is None):
            raise ValueError("pass y exactly when the GAN was fitted with labels")
        labels = None if y is None else self._label_indices(y, rows.shape[0], torch.Generator())
        inputs = self._to_model_space(rows).to(self._device())
        discriminator = self.module_.discriminator.eval()
        with torch_threads(self._threads()), torch.inference_mode():
            parts = [
                torch.sigmoid(
                    discriminator(
                        chunk, None if labels is None else labels[i : i + len(chunk)].to(chunk.device)
                    )
                )
                for i, chunk in zip(range(0, len(inputs), _CHUNK), inputs.split(_CHUNK), strict=True)
            ]
        return torch.cat(parts).cpu().numpy().astype(np.float64)

    # ------------------------------------------------------------------ saving

    def save(self, folder: str | Path) -> Path:
        """Save to ``folder``: the networks as safetensors; parameters, tricks, scaler and classes as JSON.

        Load it back with ``genfin.load(folder)``.
        """
        # The tricks go into JSON as a dict of their fields and come back as GANTricks in _from_saved.
        return super().save(folder)

    @classmethod
    def _from_saved(cls, saved: SavedModel) -> GAN:
        params = dict(saved.params)
        if isinstance(params.get("tricks"), dict):  # a GANTricks or a dict of some fields
            params["tricks"] = GANTricks.coerce(params["tricks"])
        params["betas"] = tuple(params.get("betas", (0.5, 0.999)))
        if params.get("hidden_layer_sizes") is not None:
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        return super()._from_saved(dataclasses.replace(saved, params=params))
