"""AutoencoderDetector: learn what normal rows look like, flag the rows it cannot reconstruct."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import TransformerMixin
from torch import nn

from genfin.data.scaling import make_scaler
from genfin.models._params import IntSizes, Number, OneOf, PositiveInt, Rule, optional
from genfin.models._threshold import (
    threshold_for_contamination,
    threshold_for_precision,
    threshold_for_recall,
)
from genfin.models._validation import check_features, check_is_fitted, check_labels, feature_names_of
from genfin.models.base import TorchEstimator
from genfin.models.registry import register
from genfin.nn import DenseAutoencoder
from genfin.nn.activations import ACTIVATION_NAMES
from genfin.training import Callback, Checkpoint, make_generators, torch_threads
from genfin.training.reconstruction_task import (
    _INFERENCE_CHUNK,
    TrimWorstRows,
    elementwise_error,
    row_errors,
    train_reconstruction,
)

_LOSSES = ("mse", "bce")


@register
class AutoencoderDetector(TransformerMixin, TorchEstimator):
    """Anomaly detector that flags rows a dense autoencoder cannot reconstruct.

    The defaults are the book's transaction autoencoder: min-max scaled inputs, one 12-unit tanh
    code layer, a sigmoid output, mean squared error, Adam, 20 epochs of batch 128. One addition is
    on by default when training without labels: robust trimming. Unlabelled data contains frauds,
    and an autoencoder trained on them learns to reconstruct them too. So halfway through training
    the worst-reconstructed 5% of the rows are dropped, and a second network is then trained from
    fresh weights on the rows the first reconstructs best (``trim_fraction``, ``trim_rounds``; see
    docs/benchmarks.md for the measured effect). ``trim_fraction=0`` gives the book's recipe exactly.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(12,)
        Widths of the encoder's layers; the last one is the latent code. The decoder mirrors them.
    activation : str, default="tanh"
        Activation of the hidden layers (``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"gelu"``).
    output_activation : str, default="sigmoid"
        Activation of the reconstruction; ``"sigmoid"`` suits min-max scaling, ``"linear"`` suits
        standard scaling.
    scaler : {"minmax", "standard", "none"}, default="minmax"
        How features are scaled, fitted on the training rows only.
    loss : {"mse", "bce"}, default="mse"
        Reconstruction loss; ``"bce"`` needs inputs in [0, 1] (min-max scaling, images).
    epochs : int, default=20
        Passes over the training rows.
    batch_size : int, default=128
        Rows per optimiser step.
    learning_rate : float, default=1e-3
        Adam's step size.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    validation_fraction : float, default=0.1
        Share of the training rows held out to report ``val_loss`` each epoch (and for early stopping).
        0 disables validation.
    early_stopping : bool, default=False
        Stop when ``val_loss`` has not improved for ``patience`` epochs and keep the best weights.
    patience : int, default=5
        Epochs without improvement before early stopping.
    normal_only : bool, default=True
        When ``y`` is given to ``fit``, train on the normal rows (``y == 0``) only.
    trim_fraction : float, default=0.05
        Share of the worst-reconstructed training rows dropped halfway through training, and again
        before each new round, when no labels are used (``y`` is None, or ``normal_only=False``).
        0 disables it: the book's recipe.
    trim_rounds : int, default=2
        Training rounds when trimming. Each round after the first trains a freshly initialised
        network on the rows the previous round's network reconstructs best, so frauds it had
        started to learn are not learned again. Costs ``trim_rounds`` times the training time.
    contamination : float, default=0.01
        Share of the fitting rows that ``predict`` flags, until ``tune_threshold`` sets the threshold
        from labelled validation rows.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds weight initialisation, the validation split and batch order; the same integer gives
        the same model.
    device : str, default="auto"
        ``"auto"`` uses CUDA when present, else the CPU; or any torch device name.
    n_threads : int or None, default=1
        Torch threads while training and scoring. One thread is fastest for small dense models on a
        CPU (measured in bench/speed_autoencoder.py); None leaves torch's setting alone.
    checkpoint_dir : str or None, default=None
        Save the training state there after every epoch; a later ``fit`` with the same settings and
        data resumes from it instead of starting again.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar per epoch and a line per finished epoch.

    Attributes
    ----------
    module_ : DenseAutoencoder
        The trained network.
    scaler_ : MinMaxScaler or StandardScaler
        The scaler fitted on the training rows.
    threshold_ : float
        Rows with ``score_samples(X) > threshold_`` are flagged by ``predict``.
    history_ : list of dict
        One entry per epoch: ``loss``, ``val_loss`` (with validation), ``seconds``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : list of str or None
        Column names seen in ``fit``, when ``X`` was a DataFrame.
    """

    _saved_attributes: ClassVar[tuple[str, ...]] = (
        "n_features_in_",
        "feature_names_in_",
        "threshold_",
        "history_",
        "training_score_quantiles_",
    )
    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {
        "hidden_layer_sizes": IntSizes(),
        "activation": OneOf(*ACTIVATION_NAMES),
        "output_activation": OneOf(*ACTIVATION_NAMES),
        "scaler": OneOf("minmax", "standard", "none"),
        "loss": OneOf(*_LOSSES),
        "epochs": PositiveInt(),
        "batch_size": PositiveInt(),
        "patience": PositiveInt(),
        "trim_rounds": PositiveInt(),
        "learning_rate": Number(low=0, low_closed=False),
        "weight_decay": Number(low=0),
        "validation_fraction": Number(0, 1),
        "trim_fraction": Number(0, 0.5),
        "contamination": Number(0, 0.5, low_closed=False),
        "n_threads": optional(PositiveInt()),
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes: Sequence[int] = (12,),
        activation: str = "tanh",
        output_activation: str = "sigmoid",
        scaler: str = "minmax",
        loss: str = "mse",
        epochs: int = 20,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        validation_fraction: float = 0.1,
        early_stopping: bool = False,
        patience: int = 5,
        normal_only: bool = True,
        trim_fraction: float = 0.05,
        trim_rounds: int = 2,
        contamination: float = 0.01,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        n_threads: int | None = 1,
        checkpoint_dir: str | None = None,
        verbose: int = 0,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.scaler = scaler
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.normal_only = normal_only
        self.trim_fraction = trim_fraction
        self.trim_rounds = trim_rounds
        self.contamination = contamination
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

    def _build_module(self) -> nn.Module:
        return DenseAutoencoder(
            self.n_features_in_,
            tuple(int(s) for s in self.hidden_layer_sizes),
            self.activation,
            self.output_activation,
        )

    def fit(self, X: Any, y: Any = None) -> AutoencoderDetector:
        """Train the autoencoder on the rows of ``X`` and set the flagging threshold.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Training rows. Column names are kept and checked at scoring time.
        y : array-like of 0/1, optional
            Labels (1 = fraud). With ``normal_only=True`` only the rows labelled 0 are learned.

        Returns
        -------
        AutoencoderDetector
            The fitted estimator.
        """
        self._check_params()
        X_all = check_features(X)
        names = feature_names_of(X)
        labels = None if y is None else check_labels(y, X_all.shape[0])
        rows = X_all if labels is None or not self.normal_only else X_all[labels == 0]
        if rows.shape[0] < 2:
            raise ValueError(f"fit needs at least 2 training rows, got {rows.shape[0]} sample(s)")
        unsupervised = labels is None or not self.normal_only

        rng, generator = make_generators(self.random_state)
        self.n_features_in_ = int(X_all.shape[1])
        self.feature_names_in_ = names
        device = self._device()
        order = rng.permutation(rows.shape[0])
        n_val = min(int(round(self.validation_fraction * rows.shape[0])), rows.shape[0] - 1)
        val_rows, train_rows = rows[order[:n_val]], rows[order[n_val:]]

        robust = unsupervised and self.trim_fraction > 0
        n_rounds = int(self.trim_rounds) if robust else 1
        fingerprint = self._fingerprint(rows, labels)
        self.history_ = []
        with torch_threads(self.n_threads):
            for round_index in range(1, n_rounds + 1):
                # Each round fits its own scaler on its own rows. Once the worst rows are gone, the
                # min-max range is that of normal traffic, and extreme rows fall outside [0, 1],
                # where a sigmoid output cannot follow them: their errors grow.
                self.scaler_ = make_scaler(self.scaler).fit(train_rows)
                X_train = self._to_tensor(train_rows, device)
                X_val = self._to_tensor(val_rows, device) if n_val > 0 else None
                module, history = self._train_round(
                    X_train, X_val, rng, generator, round_index, robust=robust, fingerprint=fingerprint
                )
                self.history_ += [{"round": round_index, **logs} for logs in history]
                if round_index < n_rounds:
                    # The next round starts afresh on the rows this model reconstructs best: the
                    # frauds it has already half-learned are gone before they can be learned again.
                    errors = row_errors(module, X_train, self.loss).cpu().numpy()
                    train_rows = train_rows[errors <= np.quantile(errors, 1.0 - self.trim_fraction)]

        self.module_ = module
        scores = self.score_samples(X_all if names is None else pd.DataFrame(X_all, columns=names))
        self.threshold_ = threshold_for_contamination(scores, self.contamination)
        # Kept so that a loaded model can tell how unusual a new score is without the training data.
        self.training_score_quantiles_ = {
            str(q): float(np.quantile(scores, q)) for q in (0.5, 0.9, 0.95, 0.99, 0.999)
        }
        return self

    def _train_round(
        self,
        X_train: torch.Tensor,
        X_val: torch.Tensor | None,
        rng: np.random.Generator,
        generator: torch.Generator,
        round_index: int,
        *,
        robust: bool,
        fingerprint: dict[str, Any],
    ) -> tuple[nn.Module, list[dict[str, float]]]:
        """Train a freshly initialised network on ``X_train`` for ``epochs``; return it and its history."""
        callbacks: list[Callback] = []
        if robust and self.epochs >= 2:
            callbacks.append(TrimWorstRows(self.trim_fraction, at_epoch=self.epochs // 2))
        checkpoint = None
        if self.checkpoint_dir is not None:
            folder = Path(self.checkpoint_dir) / f"round-{round_index}"
            checkpoint = Checkpoint(folder, fingerprint=fingerprint)
        return train_reconstruction(
            self._build_module,
            X_train,
            X_val,
            loss=self.loss,
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            rng=rng,
            generator=generator,
            early_stopping=self.early_stopping,
            patience=self.patience,
            verbose=self.verbose,
            checkpoint=checkpoint,
            callbacks=callbacks,
        )

    def _fingerprint(self, rows: np.ndarray, labels: np.ndarray | None) -> dict[str, Any]:
        return self._run_fingerprint(
            rows, n_features=int(rows.shape[1]), labels=None if labels is None else int(labels.sum())
        )

    def tune_threshold(
        self, X: Any, y: Any, *, recall: float | None = None, precision: float | None = None
    ) -> AutoencoderDetector:
        """Set ``threshold_`` from labelled validation rows, aiming at a recall or a precision.

        Parameters
        ----------
        X, y
            Validation rows and their 0/1 labels (never the test rows you report on).
        recall
            Flag as few rows as possible while catching at least this share of the frauds.
        precision
            Catch as many frauds as possible while at least this share of the flagged rows are frauds.

        Returns
        -------
        AutoencoderDetector
            The estimator, with the new threshold.
        """
        if (recall is None) == (precision is None):
            raise ValueError("give exactly one of recall= or precision=")
        scores = self.score_samples(X)
        labels = check_labels(y, scores.shape[0])
        if recall is not None:
            self.threshold_ = threshold_for_recall(labels, scores, recall)
        else:
            self.threshold_ = threshold_for_precision(labels, scores, precision)
        return self

    # ------------------------------------------------------------------ using

    def _to_tensor(self, rows: np.ndarray, device: torch.device) -> torch.Tensor:
        # rows come from check_features: float32, finite, of the fitted width. Scaling them in
        # float32 skips the scaler's float64 copy and second NaN scan, a third of a scoring call.
        return torch.from_numpy(self.scaler_.transform_float32(rows)).to(device)

    def _scaled(self, X: Any) -> torch.Tensor:
        check_is_fitted(self)
        array = check_features(
            X,
            n_features=self.n_features_in_,
            feature_names=self._expected_names(X),
            owner=type(self).__name__,
        )
        return self._to_tensor(array, self._device())

    def _expected_names(self, X: Any) -> list[str] | None:
        # Names are compared only when both sides have them; a plain array is checked by its width.
        return self.feature_names_in_ if isinstance(X, pd.DataFrame) and self.feature_names_in_ else None

    def _map(self, X: Any, fn: Any) -> np.ndarray:
        scaled = self._scaled(X)
        self.module_.eval()
        # The same thread setting as training: for a small network, more threads mostly add waiting.
        with torch_threads(self.n_threads), torch.inference_mode():
            out = torch.cat([fn(chunk) for chunk in scaled.split(_INFERENCE_CHUNK)]).cpu().numpy()
        # The network computes in float32; results come back in float32 only when the input was.
        return out if getattr(X, "dtype", None) == np.float32 else out.astype(np.float64)

    def transform(self, X: Any) -> np.ndarray:
        """Latent codes of ``X`` (the book's encoder), shape (n_rows, latent size)."""
        return self._map(X, self.module_.encode)

    def feature_errors(self, X: Any) -> np.ndarray | pd.DataFrame:
        """Per-feature reconstruction error of each row, in scaled units.

        Shows which features made a row anomalous. A DataFrame with the input's columns and index
        when ``X`` is a DataFrame.
        """
        errors = self._map(X, lambda chunk: elementwise_error(self.module_, chunk, self.loss))
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(errors, columns=X.columns, index=X.index)
        return errors

    def score_samples(self, X: Any) -> np.ndarray:
        """Anomaly score of each row: its mean reconstruction error. Higher is more anomalous.

        Note that scikit-learn's outlier detectors use the opposite sign; genfin follows PyOD here
        because a fraud team reads "higher score, more suspicious".
        """
        return self._map(X, lambda chunk: elementwise_error(self.module_, chunk, self.loss).mean(dim=1))

    def decision_function(self, X: Any) -> np.ndarray:
        """``score_samples(X) - threshold_``: positive for flagged rows."""
        return self.score_samples(X) - self.threshold_

    def predict(self, X: Any) -> np.ndarray:
        """1 for rows whose score exceeds ``threshold_`` (suspected fraud), else 0."""
        return (self.score_samples(X) > self.threshold_).astype(np.int64)

    def reconstruct(self, X: Any) -> np.ndarray | pd.DataFrame:
        """Reconstructions of ``X`` in the original units (the scaling undone)."""
        scaled = self._map(X, self.module_)
        original = self.scaler_.inverse_transform(scaled)
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(original, columns=X.columns, index=X.index)
        return original

    # ------------------------------------------------------------------ saving

    def save(self, folder: str | Path) -> Path:
        """Save to ``folder``: weights as safetensors; parameters, scaler and threshold as JSON.

        Load it back with ``genfin.load(folder)``.
        """
        return super().save(folder)
