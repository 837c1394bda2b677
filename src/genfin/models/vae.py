"""VAE: the book's variational autoencoder of transactions and of images, as a scikit-learn estimator."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import TransformerMixin

from genfin.data.scaling import SCALER_NAMES, make_scaler
from genfin.exceptions import DataValidationError
from genfin.models._params import Boolean, IntAtLeast, IntSizes, Number, OneOf, PositiveInt, Rule, optional
from genfin.models._validation import (
    check_codes,
    check_features,
    check_images,
    check_is_fitted,
    check_rows_or_images,
    is_positive_int,
)
from genfin.models.base import TorchEstimator
from genfin.models.registry import register
from genfin.nn.activations import ACTIVATION_NAMES
from genfin.nn.vae import VariationalAutoencoder, gaussian_kl, standard_normal
from genfin.training import Callback, Checkpoint, make_generators, torch_threads
from genfin.training.device import fork_rng_seed
from genfin.training.reconstruction_task import train_reconstruction
from genfin.training.vae_task import _CHUNK, VAETask

__all__ = ["VAE"]

_KINDS = ("auto", "tabular", "image")
_OUTPUT_VARIANCES = ("learned", "fixed")
# The default training length (epochs=None): 20 epochs, but at least this many optimiser steps,
# chosen on the real card sample's frauds (bench/vae_choices.py).
_DEFAULT_EPOCHS, _MIN_DEFAULT_STEPS = 20, 2000
# The book's networks (chapter 6): hidden layers, latent size and output distribution of each kind.
_BOOK: dict[str, tuple[tuple[int, ...], int, str]] = {
    "tabular": ((16,), 6, "gaussian"),
    "image": ((256,), 32, "bernoulli"),
}


@register
class VAE(TransformerMixin, TorchEstimator):
    """Variational autoencoder of transactions or images: codes, samples, variations and ELBO scores.

    The networks are the book's two VAEs (chapter 6). Transactions: ``29 -> 16 relu -> (mean,
    log-variance) 6 -> 16 relu -> 29`` with a Gaussian reconstruction term. Images: ``784 -> 256
    relu -> 32 -> 256 relu -> 784`` with binary cross-entropy summed over the pixels. Both add the
    KL divergence of each row's posterior from the standard normal prior; ``beta`` weights it and
    ``kl_warmup_epochs`` ramps it in. The book trains with RMSprop and batch 100; this estimator
    uses Adam and batch 128.

    Three tabular defaults differ from the book's recipe, each chosen by measurement on the real
    card sample's frauds (bench/vae_choices.py, docs/benchmarks_synthetic.md): a learned output
    variance per feature instead of plain squared error (``output_variance``), a power transform
    instead of standardisation (``scaler``), and at least 2,000 optimiser steps on small data
    (``epochs=None``). The book's recipe is ``VAE(output_variance="fixed", scaler="standard",
    epochs=20)``.

    The kind of data is found from the input when ``kind="auto"``: a DataFrame or 2-D array is
    tabular, a 3-D ``(n, height, width)`` or 4-D ``(n, 1, height, width)`` array holds images.
    Flattened images (``(n, 784)`` rows) need ``kind="image"``. Images are ``uint8`` pixels 0..255 or
    floats in [0, 1], as for :class:`ImageAutoencoder`.

    Parameters
    ----------
    kind : {"auto", "tabular", "image"}, default="auto"
        What the rows are; ``"auto"`` decides from the input's shape in ``fit`` (``kind_``).
    hidden_layer_sizes : tuple of int or None, default=None
        Widths of the encoder's hidden layers; the decoder mirrors them. None is the book's: (16,)
        for tabular data, (256,) for images.
    latent_dim : int or None, default=None
        Size of the latent code; None is the book's: 6 for tabular data, 32 for images.
    activation : str, default="relu"
        Activation of the hidden layers (``"relu"``, ``"tanh"``, ``"leaky_relu"``, ``"elu"``, ``"gelu"``).
    scaler : {"power", "standard", "minmax", "none"}, default="power"
        Scaling of tabular features, fitted on the training rows; samples and reconstructions are
        scaled back to the original units. ``"power"`` (:class:`genfin.data.PowerScaler`, a
        Yeo-Johnson transform then standardisation) makes skewed columns such as amounts roughly
        normal, as the Gaussian decoder assumes; its samples matched the real frauds' marginals
        better than with ``"standard"`` (the book's choice; KS complement 0.894 against 0.864 in
        bench/vae_choices.py). Ignored for images (pixels are in [0, 1]).
    output_variance : {"learned", "fixed"}, default="learned"
        Tabular rows only. ``"learned"``: the decoder's Gaussian has one learned variance per
        feature, the reconstruction term is its full negative log-likelihood (nats), and samples
        are drawn from it (decoded mean plus noise of the learned size), so synthetic rows are as
        spread as real ones. ``"fixed"``: the book's squared error, and samples are decoded means,
        which are smoother than real rows (see docs/benchmarks_synthetic.md for the measurement).
    conditional : bool, default=False
        Learn every class in one model (a conditional VAE): ``fit(X, y)`` needs integer class
        labels, which the encoder and decoder both see; :meth:`sample` then draws rows of the asked
        class, and the methods that encode rows need their classes. False models ``X`` alone; to
        model one class, fit on its rows.
    beta : float, default=1.0
        Weight of the KL term (the beta-VAE). 1 is the VAE's evidence lower bound.
    kl_warmup_epochs : int, default=0
        Epochs over which the KL weight rises linearly from 0 to ``beta`` (see
        :func:`genfin.training.vae_task.kl_weight`).
    epochs : int or None, default=None
        Passes over the training rows. None: 20, or more on small data so that training takes at
        least 2,000 optimiser steps (1,000 epochs for the 250 frauds of a typical training split): a
        VAE of a rare class learns little in 20 epochs of 2 batches (docs/benchmarks_synthetic.md).
    batch_size : int, default=128
        Rows per optimiser step (the book uses 100 for MNIST).
    learning_rate : float, default=1e-3
        Adam's step size.
    validation_fraction : float, default=0.1
        Share of the rows held out to report the ``val_`` loss terms each epoch (and for early
        stopping). 0 trains on every row.
    early_stopping : bool, default=False
        Stop when ``val_loss`` has not improved for ``patience`` epochs and keep the best weights.
        During a KL warm-up ``val_loss`` (at the full weight) may rise; set ``patience`` beyond it.
    patience : int, default=5
        Epochs without improvement before early stopping.
    n_score_samples : int, default=16
        Posterior samples per row in :meth:`score_samples`.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds weight initialisation, the validation split, batch order, the reparameterisation noise
        and the noise of :meth:`score_samples`; the same integer gives the same model and scores.
    device : str, default="auto"
        ``"auto"`` uses CUDA when present, else the CPU; or any torch device name.
    n_threads : int or None, default=1
        Torch threads while training and scoring; None leaves torch's setting alone.
    checkpoint_dir : str or None, default=None
        Save the training state there after every epoch; a later ``fit`` with the same settings and
        data resumes from it instead of starting again.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per epoch and a line per finished epoch.

    Attributes
    ----------
    module_ : genfin.nn.VariationalAutoencoder
        The trained network (on scaled rows or flattened images).
    kind_ : str
        ``"tabular"`` or ``"image"``.
    scaler_ : StandardScaler, MinMaxScaler, IdentityScaler or None
        The scaler fitted on the training rows; None for images.
    image_shape_ : tuple of int or None
        ``(height, width)`` of the training images; None for tabular data.
    n_features_in_ : int
        Features (pixels) per row.
    feature_names_in_ : list of str or None
        Column names seen in ``fit``, when ``X`` was a DataFrame.
    score_seed_ : int
        Seed of the posterior noise shared by every row in :meth:`score_samples`.
    history_ : list of dict
        One entry per epoch: ``loss`` (the objective optimised, with the epoch's KL weight),
        ``reconstruction`` and ``kl`` (means per row over the training batches), ``kl_weight``, and
        with validation ``val_reconstruction``, ``val_kl`` and ``val_loss`` (``val_reconstruction +
        beta * val_kl``: the negative ELBO when ``beta=1``), and ``seconds``. Losses are per row,
        summed over features: nats for images.

    Examples
    --------
    >>> from genfin.data import load_mnist_sample  # doctest: +SKIP
    >>> train, test = load_mnist_sample()  # doctest: +SKIP
    >>> vae = VAE(epochs=10, random_state=0).fit(train.images)  # doctest: +SKIP
    >>> digits = vae.sample(16, random_state=1)  # (16, 28, 28) in [0, 1]  # doctest: +SKIP
    >>> sevens = vae.sample_like(test.images[:1], n_per_row=4)  # the book's four sevens  # doctest: +SKIP
    """

    _saved_attributes: ClassVar[tuple[str, ...]] = (
        "kind_",
        "n_features_in_",
        "feature_names_in_",
        "image_shape_",
        "score_seed_",
        "classes_",
        "history_",
    )
    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {
        "kind": OneOf(*_KINDS),
        "hidden_layer_sizes": optional(IntSizes(allow_empty=True)),
        "latent_dim": optional(PositiveInt()),
        "activation": OneOf(*ACTIVATION_NAMES),
        "scaler": OneOf(*SCALER_NAMES),
        "output_variance": OneOf(*_OUTPUT_VARIANCES),
        "conditional": Boolean(),
        "beta": Number(0, math.inf),  # half-open, so an infinite weight on the KL term is refused
        "kl_warmup_epochs": IntAtLeast(0),
        "epochs": optional(PositiveInt()),
        "batch_size": PositiveInt(),
        "patience": PositiveInt(),
        "n_score_samples": PositiveInt(),
        "learning_rate": Number(low=0, low_closed=False),
        "validation_fraction": Number(0, 1),
        "n_threads": optional(PositiveInt()),
    }

    def __init__(
        self,
        *,
        kind: str = "auto",
        hidden_layer_sizes: Sequence[int] | None = None,
        latent_dim: int | None = None,
        activation: str = "relu",
        scaler: str = "power",
        output_variance: str = "learned",
        conditional: bool = False,
        beta: float = 1.0,
        kl_warmup_epochs: int = 0,
        epochs: int | None = None,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        validation_fraction: float = 0.1,
        early_stopping: bool = False,
        patience: int = 5,
        n_score_samples: int = 16,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_threads: int | None = 1,
        checkpoint_dir: str | None = None,
        verbose: int = 0,
    ) -> None:
        self.kind = kind
        self.hidden_layer_sizes = hidden_layer_sizes
        self.latent_dim = latent_dim
        self.activation = activation
        self.scaler = scaler
        self.output_variance = output_variance
        self.conditional = conditional
        self.beta = beta
        self.kl_warmup_epochs = kl_warmup_epochs
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.n_score_samples = n_score_samples
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.checkpoint_dir = checkpoint_dir
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting

    def _check_params(self) -> None:
        super()._check_params()
        if self.early_stopping and self.validation_fraction == 0:
            self._reject("validation_fraction", "must be > 0 when early_stopping=True")

    def _architecture(self) -> tuple[tuple[int, ...], int, str]:
        """Hidden sizes, latent size and output distribution: the hyperparameters, else the book's."""
        hidden, latent, output = _BOOK[self.kind_]
        if self.hidden_layer_sizes is not None:
            hidden = tuple(int(s) for s in self.hidden_layer_sizes)
        if self.latent_dim is not None:
            latent = int(self.latent_dim)
        return hidden, latent, output

    def _build_module(self) -> VariationalAutoencoder:
        hidden, latent, output = self._architecture()
        return VariationalAutoencoder(
            self.n_features_in_,
            hidden,
            latent,
            self.activation,
            output,
            learn_variance=output == "gaussian" and self.output_variance == "learned",
            n_classes=len(getattr(self, "classes_", None) or ()),
        )

    def fit(self, X: Any, y: Any = None, *, callbacks: Iterable[Callback] = ()) -> VAE:
        """Train the VAE on the rows or images of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features), or images
            Tabular rows (column names are kept, checked later and given to samples), or images of
            shape (n, height, width), (n, 1, height, width), or flattened with ``kind="image"``.
        y : array-like of int of shape (n_rows,), optional
            Class labels (e.g. 0 normal, 1 fraud; digits 0-9), used only with ``conditional=True``
            and required then; otherwise ignored. To model one class without conditioning, fit on
            its rows: ``VAE().fit(X[y == 1])``.
        callbacks : iterable of genfin.training.Callback, optional
            Extra callbacks for the training loop (e.g. a test-set ELBO after every epoch); values
            they write into the epoch logs end up in ``history_``.

        Returns
        -------
        VAE
            The fitted estimator.
        """
        self._check_params()
        kind, rows, image_shape, names = check_rows_or_images(X, self.kind)
        if rows.shape[0] < 2:
            raise DataValidationError(
                f"fit needs at least 2 rows, got {rows.shape[0]} sample(s) (shape {rows.shape})", source="X"
            )
        labels = None
        self.classes_ = None
        if self.conditional:
            if y is None:
                raise DataValidationError(
                    "conditional=True needs the class of every row: fit(X, y)", source="y"
                )
            labels = _class_labels(y, rows.shape[0])
            self.classes_ = [int(c) for c in np.unique(labels)]
        rng, generator = make_generators(self.random_state)
        self.kind_ = kind
        self.image_shape_ = image_shape
        self.n_features_in_ = int(rows.shape[1])
        self.feature_names_in_ = names
        device = self._device()
        order = rng.permutation(rows.shape[0])
        n_val = min(int(round(self.validation_fraction * rows.shape[0])), rows.shape[0] - 1)
        val_rows, train_rows = rows[order[:n_val]], rows[order[n_val:]]
        del rows  # the split copies; for images the full float array is not needed while training
        val_labels, train_labels = (
            (None, None) if labels is None else (labels[order[:n_val]], labels[order[n_val:]])
        )
        eval_seed = fork_rng_seed(rng)
        self.score_seed_ = fork_rng_seed(rng)

        # Scaled on the training rows only: validation rows are scaled as unseen rows will be.
        self.scaler_ = make_scaler(self.scaler).fit(train_rows) if kind == "tabular" else None
        X_train = self._as_tensor(train_rows, device, train_labels)
        X_val = self._as_tensor(val_rows, device, val_labels) if n_val > 0 else None
        checkpoint = None
        if self.checkpoint_dir is not None:
            checkpoint = Checkpoint(self.checkpoint_dir, fingerprint=self._fingerprint(X_train, X_val))
        with torch_threads(self.n_threads):
            module, self.history_ = train_reconstruction(
                self._build_module,
                X_train,
                X_val,
                loss="vae",  # unused: the task below computes the VAE's own loss
                epochs=self._epochs(X_train.shape[0]),
                batch_size=int(self.batch_size),
                learning_rate=float(self.learning_rate),
                rng=rng,
                generator=generator,
                early_stopping=bool(self.early_stopping),
                patience=int(self.patience),
                verbose=self.verbose,
                checkpoint=checkpoint,
                callbacks=callbacks,
                make_task=lambda module, optimizer: VAETask(
                    module,
                    optimizer,
                    X_train=X_train,
                    X_val=X_val,
                    batch_size=int(self.batch_size),
                    generator=generator,
                    beta=float(self.beta),
                    kl_warmup_epochs=int(self.kl_warmup_epochs),
                    eval_seed=eval_seed,
                ),
            )
        self.module_ = module.eval()
        return self

    def _epochs(self, n_train: int) -> int:
        """``epochs``, or when None the default: 20, or enough for 2,000 optimiser steps."""
        if self.epochs is not None:
            return int(self.epochs)
        batches_per_epoch = -(-n_train // int(self.batch_size))
        return max(_DEFAULT_EPOCHS, -(-_MIN_DEFAULT_STEPS // batches_per_epoch))

    def _fingerprint(self, X_train: torch.Tensor, X_val: torch.Tensor | None) -> dict[str, Any]:
        return self._run_fingerprint(X_train, X_val, n_features=int(X_train.shape[1]))

    # ------------------------------------------------------------------ using

    def _as_tensor(
        self, rows: np.ndarray, device: torch.device, labels: np.ndarray | None = None
    ) -> torch.Tensor:
        """Scaled rows (or pixel rows), followed by each row's one-hot class for a conditional VAE."""
        # Rows are checked float32; scaling in float32 avoids a float64 copy (as AutoencoderDetector).
        scaled = rows if self.scaler_ is None else self.scaler_.transform_float32(rows)
        if labels is not None:
            scaled = np.hstack([scaled, self._one_hot(labels)])
        return torch.from_numpy(scaled).to(device)

    def _one_hot(self, labels: np.ndarray) -> np.ndarray:
        classes = np.asarray(self.classes_)
        unknown = ~np.isin(labels, classes)
        if unknown.any():
            row = int(np.argmax(unknown))
            raise DataValidationError(
                f"class {labels[row].item()!r} at row index {row} was not seen in fit "
                f"(classes: {self.classes_})",
                source="y",
            )
        return (labels[:, None] == classes[None, :]).astype(np.float32)

    def _labels_for(self, y: Any, n_rows: int, method: str) -> np.ndarray | None:
        """The checked classes of ``n_rows`` rows for a conditional VAE; None (and no ``y``) otherwise."""
        if self.classes_ is None:
            if y is not None:
                raise ValueError(f"{method}: y is only for a conditional VAE (conditional=True)")
            return None
        if y is None:
            raise DataValidationError(
                f"{method}: a conditional VAE needs the class of every row (y); classes: {self.classes_}",
                source="y",
            )
        if np.ndim(y) == 0:
            y = np.full(n_rows, y)
        return _class_labels(y, n_rows)

    def _inputs(self, X: Any, y: Any = None, method: str = "transform") -> torch.Tensor:
        """Check ``X`` (and its classes) against the fit; return the rows as the network takes them."""
        check_is_fitted(self)
        owner = type(self).__name__
        if self.kind_ == "image":
            rows, _ = check_images(X, image_shape=self.image_shape_, owner=owner)
        else:
            # Names are compared only when both sides have them; a plain array is checked by its width.
            names = self.feature_names_in_ if isinstance(X, pd.DataFrame) else None
            rows = check_features(X, n_features=self.n_features_in_, feature_names=names, owner=owner)
        return self._as_tensor(rows, self._device(), self._labels_for(y, rows.shape[0], method))

    def _split(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Rows and their one-hot classes (None without conditioning) from :meth:`_inputs`' tensor."""
        n = self.n_features_in_
        return inputs[:, :n], (inputs[:, n:] if self.classes_ is not None else None)

    def _map(
        self, X: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor], chunk: int = _CHUNK
    ) -> np.ndarray:
        self.module_.eval()
        with torch_threads(self.n_threads), torch.inference_mode():
            return torch.cat([fn(part) for part in X.split(chunk)]).cpu().numpy()

    def _output(self, decoded: np.ndarray, like: Any = None, repeat: int = 1) -> np.ndarray | pd.DataFrame:
        """Decoded rows in the input's space: images, or rows in original units.

        Rows become a DataFrame with the fitted column names when ``like`` is a DataFrame (keeping
        its index, each label repeated ``repeat`` times), or, without ``like``, when fitted on one.
        """
        if self.kind_ == "image":
            return decoded.reshape(-1, *self.image_shape_)
        original = self.scaler_.inverse_transform(decoded)
        if isinstance(like, pd.DataFrame):
            return pd.DataFrame(original, columns=like.columns, index=like.index.repeat(repeat))
        if like is None and self.feature_names_in_ is not None:
            return pd.DataFrame(original, columns=self.feature_names_in_)
        return original

    def transform(self, X: Any, y: Any = None) -> np.ndarray:
        """Latent means of ``X``, shape (n_rows, latent_dim).

        ``y`` is the rows' classes, needed by (and only by) a conditional VAE. ``float32`` for
        images and for ``float32`` tables, else ``float64``.
        """
        out = self._map(
            self._inputs(X, y, "transform"), lambda chunk: self.module_.encode(*self._split(chunk))[0]
        )
        if self.kind_ == "image" or getattr(X, "dtype", None) == np.float32:
            return out
        return out.astype(np.float64)

    def reconstruct(self, X: Any, y: Any = None) -> np.ndarray | pd.DataFrame:
        """Decoded latent means of ``X``: images (n, height, width) in [0, 1], or rows in original units.

        A DataFrame with the input's columns and index when ``X`` is a DataFrame. ``y`` as for
        :meth:`transform`.
        """
        module = self.module_

        def decoded_means(chunk: torch.Tensor) -> torch.Tensor:
            x, condition = self._split(chunk)
            return module.decode(module.encode(x, condition)[0], condition)

        return self._output(self._map(self._inputs(X, y, "reconstruct"), decoded_means), X)

    def decode(self, codes: Any, y: Any = None) -> np.ndarray | pd.DataFrame:
        """Rows or images decoded from latent codes of shape (n, latent_dim): the decoder's means.

        Images come back as pixel probabilities (n, height, width); rows in original units, as a
        DataFrame with the fitted column names when fitted on a DataFrame. A conditional VAE needs
        the class to decode as (``y``: one class for all codes, or one per code).
        """
        check_is_fitted(self)
        codes = torch.from_numpy(check_codes(codes, int(self.module_.latent_dim)))
        condition = self._condition(y, codes.shape[0], "decode")
        inputs = codes if condition is None else torch.cat([codes, condition], 1)
        latent = int(self.module_.latent_dim)

        def means(chunk: torch.Tensor) -> torch.Tensor:
            return self.module_.decode(
                chunk[:, :latent], chunk[:, latent:] if condition is not None else None
            )

        return self._output(self._map(inputs.to(self._device()), means))

    def _condition(self, y: Any, n_rows: int, method: str) -> torch.Tensor | None:
        labels = self._labels_for(y, n_rows, method)
        return None if labels is None else torch.from_numpy(self._one_hot(labels))

    def _draw(
        self, codes: torch.Tensor, condition: torch.Tensor | None, generator: torch.Generator
    ) -> np.ndarray:
        """Rows drawn from the decoder given codes (see ``VariationalAutoencoder.draw``), as numpy."""
        module = self.module_
        module.eval()
        device = self._device()
        with torch_threads(self.n_threads), torch.inference_mode():
            parts = []
            for start in range(0, codes.shape[0], _CHUNK):
                part = slice(start, start + _CHUNK)
                cond = None if condition is None else condition[part].to(device)
                parts.append(module.draw(codes[part].to(device), cond, generator).cpu())
            return torch.cat(parts).numpy()

    def sample(
        self, n: int, y: Any = None, random_state: int | np.random.Generator | None = None
    ) -> np.ndarray | pd.DataFrame:
        """Draw ``n`` new rows or images: codes from the standard normal prior, decoded.

        Parameters
        ----------
        n : int
            How many to draw.
        y : int or array-like of int, optional
            A conditional VAE's class to draw: one class for all ``n``, or ``n`` classes. Required
            for a conditional VAE, refused otherwise.
        random_state : int, numpy.random.Generator or None, default=None
            Seeds the codes (and the output noise); the same integer gives the same samples.
            Global state is not touched.

        Returns
        -------
        numpy.ndarray or pandas.DataFrame
            Images: ``float32`` (n, height, width) pixel probabilities in [0, 1] (the decoder's
            Bernoulli means, not binarised). Tabular: ``float64`` (n, n_features) in the original
            units, a DataFrame with the fitted column names when fitted on a DataFrame; with
            ``output_variance="learned"`` each row is drawn from the decoder's Gaussian (mean plus
            the learned noise), else it is the decoded mean.
        """
        check_is_fitted(self)
        if not is_positive_int(n):
            raise ValueError(f"n must be a positive int, got {n!r}")
        condition = self._condition(y, int(n), "sample")
        _, generator = make_generators(random_state)
        like = torch.empty(0, dtype=torch.float32)
        codes = standard_normal((int(n), int(self.module_.latent_dim)), like=like, generator=generator)
        return self._output(self._draw(codes, condition, generator))

    def sample_like(
        self,
        X: Any,
        n_per_row: int = 4,
        *,
        y: Any = None,
        random_state: int | np.random.Generator | None = None,
    ) -> np.ndarray | pd.DataFrame:
        """Variations of given rows or images: codes drawn around each one's posterior, decoded.

        Each row is encoded to its posterior ``N(mu, sigma^2)``, ``n_per_row`` codes are drawn from
        it and decoded (and, with a learned output variance, drawn from the decoder's Gaussian as in
        :meth:`sample`): the book's four sevens from one seven.

        Parameters
        ----------
        X : array-like, DataFrame or images
            The rows or images to vary, as for :meth:`transform`.
        n_per_row : int, default=4
            Variations per row.
        y : array-like of int, optional
            The rows' classes, for a conditional VAE only; variations keep their row's class.
        random_state : int, numpy.random.Generator or None, default=None
            Seeds the codes; the same integer gives the same variations.

        Returns
        -------
        numpy.ndarray or pandas.DataFrame
            ``len(X) * n_per_row`` rows or images, those of row ``i`` at ``i * n_per_row`` to
            ``(i + 1) * n_per_row - 1``; images as for :meth:`sample`; rows in original units, a
            DataFrame (columns of ``X``, each index label repeated) when ``X`` is a DataFrame.
        """
        if not is_positive_int(n_per_row):
            raise ValueError(f"n_per_row must be a positive int, got {n_per_row!r}")
        inputs = self._inputs(X, y, "sample_like")
        latent = int(self.module_.latent_dim)
        posterior = torch.from_numpy(
            self._map(inputs, lambda chunk: torch.cat(self.module_.encode(*self._split(chunk)), 1))
        )
        mu, logvar = posterior[:, :latent], posterior[:, latent:]
        _, generator = make_generators(random_state)
        eps = standard_normal((mu.shape[0], int(n_per_row), latent), like=mu, generator=generator)
        codes = (mu[:, None] + (0.5 * logvar).exp()[:, None] * eps).reshape(-1, latent)
        condition = self._split(inputs)[1]
        if condition is not None:
            condition = condition.cpu().repeat_interleave(int(n_per_row), dim=0)
        return self._output(self._draw(codes, condition, generator), X, repeat=n_per_row)

    def score_samples(self, X: Any, y: Any = None) -> np.ndarray:
        """Negative ELBO of each row (reconstruction error plus KL term): higher is more anomalous.

        The reconstruction term is averaged over ``n_score_samples`` posterior draws, the KL term is
        exact. Every row uses the same standard normal draws (from ``score_seed_``, fixed in ``fit``),
        so a row's score does not depend on the other rows, the call, or a save and load. Images
        and rows with a learned output variance score in nats; rows with ``output_variance="fixed"``
        in squared scaled units (the Gaussian negative log-likelihood up to a constant). Uses
        ``beta=1`` whatever the training ``beta``. ``y`` as for :meth:`transform`. ``float64`` of
        shape (n,).
        """
        inputs = self._inputs(X, y, "score_samples")
        module = self.module_
        n_draws = int(self.n_score_samples)
        generator = torch.Generator().manual_seed(int(self.score_seed_))
        eps = standard_normal((n_draws, module.latent_dim), like=inputs, generator=generator)

        def negative_elbo(chunk: torch.Tensor) -> torch.Tensor:
            x, condition = self._split(chunk)
            mu, logvar = module.encode(x, condition)
            codes = mu[:, None] + (0.5 * logvar).exp()[:, None] * eps  # (rows, draws, latent)
            decoded = module.decode_logits(codes, condition)
            errors = module.reconstruction_error(decoded, x[:, None].expand_as(decoded))
            return errors.mean(dim=1) + gaussian_kl(mu, logvar)

        # Each row is decoded n_draws times; fewer rows per pass keep the memory per pass the same.
        return self._map(inputs, negative_elbo, chunk=max(1, _CHUNK // n_draws)).astype(np.float64)

    # ------------------------------------------------------------------ saving

    def save(self, folder: str | Path) -> Path:
        """Save to ``folder``: weights as safetensors; parameters, scaler and shapes as JSON.

        Load it back with ``genfin.load(folder)``.
        """
        return super().save(folder)


def _class_labels(y: Any, n_rows: int) -> np.ndarray:
    """``y`` as a 1-D int64 array of ``n_rows`` class labels (integers, or floats holding integers)."""
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise DataValidationError(f"expected {n_rows} class labels, got shape {np.shape(y)}", source="y")
    if array.dtype.kind == "b":
        return array.astype(np.int64)
    if array.dtype.kind not in "iuf":
        raise DataValidationError(f"class labels must be integers, got dtype {array.dtype}", source="y")
    bad = (
        ~np.isfinite(array) | (array != np.round(array))
        if array.dtype.kind == "f"
        else np.zeros(n_rows, bool)
    )
    if bad.any():
        row = int(np.argmax(bad))
        raise DataValidationError(
            f"class labels must be integers; row index {row} holds {array[row]!r}", source="y"
        )
    return array.astype(np.int64)
