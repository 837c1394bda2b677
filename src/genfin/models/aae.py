"""AdversarialAutoencoder: an autoencoder whose codes a discriminator pushes towards a normal prior."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import TransformerMixin

from genfin.data.scaling import make_scaler
from genfin.exceptions import DataValidationError
from genfin.models._params import IntSizes, Number, OneOf, PositiveInt, Rule, optional
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
from genfin.nn.aae import AdversarialAutoencoderNet
from genfin.training import Callback, Checkpoint, ProgressBar, Trainer, make_generators, seeded, torch_threads
from genfin.training.aae_task import AAETask
from genfin.training.device import fork_rng_seed

__all__ = ["AdversarialAutoencoder"]

_KINDS = ("auto", "tabular", "image")
# Hidden layers, code size and output distribution of each kind, after the book's VAEs.
_DEFAULTS: dict[str, tuple[tuple[int, ...], int, str]] = {
    "tabular": ((16,), 6, "gaussian"),
    "image": ((256,), 8, "bernoulli"),
}
_CHUNK = 8_192


@register
class AdversarialAutoencoder(TransformerMixin, TorchEstimator):
    """Adversarial autoencoder of rows or images: codes shaped like a standard normal, and samples.

    An autoencoder trained with a second, adversarial objective: a discriminator tells its codes
    from draws of ``N(0, I)`` and the encoder learns to fool it, so the codes fill the prior and
    decoding prior draws gives new rows. The book names it among the GANs that work well.

    Parameters
    ----------
    kind : {"auto", "tabular", "image"}, default="auto"
        What the rows are; ``"auto"``: a DataFrame or 2-D array is tabular, 3-D or 4-D arrays hold
        images (pixels 0..255 as uint8 or floats in [0, 1]).
    hidden_layer_sizes : tuple of int or None, default=None
        Hidden widths of the encoder (mirrored by the decoder); None: (16,) for rows, (256,) for images.
    latent_dim : int or None, default=None
        Size of the code; None: 6 for rows, 8 for images.
    scaler : {"standard", "minmax", "none"}, default="standard"
        Scaling of tabular features, fitted on the training rows.
    epochs : int, default=20
        Passes over the training rows.
    batch_size : int, default=128
        Rows per step.
    learning_rate : float, default=1e-3
        Adam's step size for reconstruction.
    adversarial_lr : float, default=1e-3
        Adam's step size (with beta1 0.5, the book's GAN setting) for the discriminator and the
        encoder's adversarial step. As large as the reconstruction's, so that the codes are shaped
        while the autoencoder learns; at the book's image-GAN rate of 2e-4 the codes of a 20-epoch
        run were still far from the prior.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds weights, batches and prior draws; the same integer gives the same model.
    device : str, default="auto"
        ``"auto"`` uses CUDA when present, else the CPU.
    n_threads : int or None, default=1
        Torch threads while training and mapping; None leaves torch's setting alone.
    checkpoint_dir : str or None, default=None
        Save the training state there after every epoch; a later ``fit`` resumes from it.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar.

    Attributes
    ----------
    module_ : genfin.nn.aae.AdversarialAutoencoderNet
        The trained networks.
    kind_, image_shape_, n_features_in_, feature_names_in_, scaler_
        As for :class:`genfin.models.VAE`.
    history_ : list of dict
        One entry per epoch: ``reconstruction`` (per row), ``d_loss``, ``g_loss``, ``seconds``.
    """

    _saved_attributes: ClassVar[tuple[str, ...]] = (
        "kind_",
        "n_features_in_",
        "feature_names_in_",
        "image_shape_",
        "history_",
    )
    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {
        "kind": OneOf(*_KINDS),
        "hidden_layer_sizes": optional(IntSizes(allow_empty=True)),
        "latent_dim": optional(PositiveInt()),
        "scaler": OneOf("standard", "minmax", "none"),
        "epochs": PositiveInt(),
        "batch_size": PositiveInt(),
        "learning_rate": Number(low=0, low_closed=False),
        "adversarial_lr": Number(low=0, low_closed=False),
        "n_threads": optional(PositiveInt()),
    }

    def __init__(
        self,
        *,
        kind: str = "auto",
        hidden_layer_sizes: Sequence[int] | None = None,
        latent_dim: int | None = None,
        scaler: str = "standard",
        epochs: int = 20,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        adversarial_lr: float = 1e-3,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_threads: int | None = 1,
        checkpoint_dir: str | None = None,
        verbose: int = 0,
    ) -> None:
        self.kind = kind
        self.hidden_layer_sizes = hidden_layer_sizes
        self.latent_dim = latent_dim
        self.scaler = scaler
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.adversarial_lr = adversarial_lr
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.checkpoint_dir = checkpoint_dir
        self.verbose = verbose

    def _build_module(self) -> AdversarialAutoencoderNet:
        hidden, latent, output = _DEFAULTS[self.kind_]
        if self.hidden_layer_sizes is not None:
            hidden = tuple(int(s) for s in self.hidden_layer_sizes)
        return AdversarialAutoencoderNet(self.n_features_in_, hidden, int(self.latent_dim or latent), output)

    def fit(self, X: Any, y: Any = None, *, callbacks: Iterable[Callback] = ()) -> AdversarialAutoencoder:
        """Train on the rows or images of ``X``; ``y`` is ignored.

        Returns
        -------
        AdversarialAutoencoder
            The fitted estimator.
        """
        self._check_params()
        kind, rows, self.image_shape_, self.feature_names_in_ = check_rows_or_images(X, self.kind)
        if rows.shape[0] < 2:
            raise DataValidationError(f"fit needs at least 2 rows, got shape {rows.shape}", source="X")
        self.kind_, self.n_features_in_ = kind, int(rows.shape[1])
        self.scaler_ = make_scaler(self.scaler).fit(rows) if kind == "tabular" else None
        X_train = self._as_tensor(rows)
        rng, random = make_generators(self.random_state)
        with torch_threads(self.n_threads), seeded(fork_rng_seed(rng)):
            net = self._build_module().to(X_train.device)
            task = AAETask(
                net,
                X=X_train,
                batch_size=int(self.batch_size),
                learning_rate=float(self.learning_rate),
                adversarial_lr=float(self.adversarial_lr),
                random=random,
            )
            all_callbacks = list(callbacks)
            if self.verbose:
                all_callbacks.append(ProgressBar())
            history = None
            if self.checkpoint_dir is not None:
                checkpoint = Checkpoint(Path(self.checkpoint_dir), fingerprint=self._run_fingerprint(X_train))
                history = checkpoint.resume(task)
                all_callbacks.append(checkpoint)
            self.history_ = Trainer(
                task, epochs=int(self.epochs), callbacks=all_callbacks, history=history
            ).fit()
        self.module_ = net.eval()
        return self

    def _as_tensor(self, rows: np.ndarray) -> torch.Tensor:
        scaled = rows if self.scaler_ is None else self.scaler_.transform_float32(rows)
        return torch.from_numpy(scaled).to(self._device())

    def _inputs(self, X: Any) -> torch.Tensor:
        check_is_fitted(self)
        owner = type(self).__name__
        if self.kind_ == "image":
            rows, _ = check_images(X, image_shape=tuple(self.image_shape_), owner=owner)
        else:
            names = self.feature_names_in_ if isinstance(X, pd.DataFrame) else None
            rows = check_features(X, n_features=self.n_features_in_, feature_names=names, owner=owner)
        return self._as_tensor(rows)

    def _map(self, X: torch.Tensor, fn: Any) -> np.ndarray:
        self.module_.eval()
        with torch_threads(self.n_threads), torch.inference_mode():
            return torch.cat([fn(chunk) for chunk in X.split(_CHUNK)]).cpu().numpy()

    def _output(self, decoded: np.ndarray, like: Any = None) -> np.ndarray | pd.DataFrame:
        if self.kind_ == "image":
            return decoded.reshape(-1, *self.image_shape_)
        original = self.scaler_.inverse_transform(decoded)
        if isinstance(like, pd.DataFrame):
            return pd.DataFrame(original, columns=like.columns, index=like.index)
        if like is None and self.feature_names_in_ is not None:
            return pd.DataFrame(original, columns=self.feature_names_in_)
        return original

    def transform(self, X: Any) -> np.ndarray:
        """Codes of ``X``, shape (n_rows, latent_dim), distributed roughly as a standard normal."""
        return self._map(self._inputs(X), self.module_.encode)

    def reconstruct(self, X: Any) -> np.ndarray | pd.DataFrame:
        """Reconstructions of ``X``: images in [0, 1], or rows in the original units."""
        return self._output(self._map(self._inputs(X), self.module_), X)

    def decode(self, codes: Any) -> np.ndarray | pd.DataFrame:
        """Rows or images decoded from codes of shape (n, latent_dim)."""
        check_is_fitted(self)
        tensor = torch.from_numpy(check_codes(codes, self.module_.latent_dim)).to(self._device())
        return self._output(self._map(tensor, self.module_.decode))

    def sample(
        self, n: int, random_state: int | np.random.Generator | None = None
    ) -> np.ndarray | pd.DataFrame:
        """Draw ``n`` new rows or images: codes from the standard normal prior, decoded.

        Returns
        -------
        numpy.ndarray or pandas.DataFrame
            Images ``(n, height, width)`` in [0, 1], or rows in the original units (a DataFrame
            with the fitted column names when fitted on one).
        """
        check_is_fitted(self)
        if not is_positive_int(n):
            raise ValueError(f"n must be a positive int, got {n!r}")
        _, generator = make_generators(random_state)
        codes = torch.randn(int(n), self.module_.latent_dim, generator=generator)
        return self._output(self._map(codes.to(self._device()), self.module_.decode))
