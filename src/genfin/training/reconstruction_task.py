"""The training task of an autoencoder: shuffled pre-sliced batches, one Adam step per batch.

:class:`ReconstructionTask` is what the reconstruction estimators (AutoencoderDetector,
ImageAutoencoder, and the VAE through :class:`~genfin.training.vae_task.VAETask`) give the one
training loop: each step minimises the mean reconstruction error of the batch. :class:`TrimWorstRows`
drops the worst-reconstructed training rows halfway through training, and
:func:`train_reconstruction` is the part of fitting they all share: seeded weight initialisation,
the task, early stopping, progress bar and resumable checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genfin.training.callbacks import Checkpoint, EarlyStopping, ProgressBar
from genfin.training.device import fork_rng_seed, seeded
from genfin.training.loop import Callback, Trainer
from genfin.training.optim import adam

__all__ = ["ReconstructionTask", "TrimWorstRows", "elementwise_error", "row_errors", "train_reconstruction"]

# Rows scored per forward pass at inference: large enough to amortise Python overhead, small enough
# that a chunk's activations (8,192 x 29 float32 = 1 MB) stay in the CPU's L2 cache.
_INFERENCE_CHUNK = 8_192


def elementwise_error(module: nn.Module, x: torch.Tensor, loss: str) -> torch.Tensor:
    """Per-feature reconstruction error of each row, shape (n_rows, n_features).

    ``"bce"`` uses the decoder's logits with ``binary_cross_entropy_with_logits``, which is stable
    where a sigmoid followed by a log is not.
    """
    if loss == "bce":
        logits = module.decode_logits(module.encode(x))
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return (module(x) - x).square()


def row_errors(
    module: nn.Module, X: torch.Tensor, loss: str, *, chunk_size: int = _INFERENCE_CHUNK
) -> torch.Tensor:
    """Mean reconstruction error of each row of ``X``, in eval mode and without gradients.

    ``chunk_size`` rows go through the network at a time; convolutional networks need far fewer
    than dense ones to keep their feature maps in memory.
    """
    module.eval()
    with torch.inference_mode():
        return torch.cat(
            [elementwise_error(module, chunk, loss).mean(dim=1) for chunk in X.split(chunk_size)]
        )


class ReconstructionTask:
    """The training task of an autoencoder: shuffled pre-sliced batches, one Adam step per batch."""

    def __init__(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        loss: str,
        X_train: torch.Tensor,
        X_val: torch.Tensor | None,
        batch_size: int,
        generator: torch.Generator,
        inference_chunk: int = _INFERENCE_CHUNK,
    ) -> None:
        self.modules = {"autoencoder": module}
        self.optimizers = {"optimizer": optimizer}
        self.module, self.optimizer, self.loss = module, optimizer, loss
        self.X_train, self.X_val = X_train, X_val
        self.batch_size = batch_size
        self.generator = generator
        self.inference_chunk = inference_chunk
        # Indices of the training rows still in use; robust training drops the worst-reconstructed.
        self.active_rows: torch.Tensor | None = None

    def batches(self, epoch: int) -> Sequence[torch.Tensor]:  # noqa: D102
        rows = self.X_train if self.active_rows is None else self.X_train[self.active_rows]
        order = torch.randperm(rows.shape[0], generator=self.generator).to(rows.device)
        # One gather per epoch, then views: much faster than a DataLoader for in-memory rows.
        return torch.split(rows[order], self.batch_size)

    def train_step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:  # noqa: D102
        self.module.train()
        loss = elementwise_error(self.module, batch, self.loss).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.detach()}

    def row_errors(self, X: torch.Tensor) -> torch.Tensor:
        """Mean reconstruction error of each row of ``X``, without gradients."""
        return row_errors(self.module, X, self.loss, chunk_size=self.inference_chunk)

    def evaluate(self) -> dict[str, float]:  # noqa: D102
        if self.X_val is None:
            return {}
        return {"val_loss": float(self.row_errors(self.X_val).mean())}

    def extra_state(self) -> dict[str, Any]:  # noqa: D102
        return {"generator": self.generator.get_state(), "active_rows": self.active_rows}

    def load_extra_state(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.generator.set_state(state["generator"])
        self.active_rows = state["active_rows"]


class TrimWorstRows(Callback):
    """Halfway through training, drop the training rows the model reconstructs worst.

    Unlabelled training data holds some frauds, and an autoencoder trained on them learns to
    reconstruct them too. Frauds are among the worst-reconstructed rows early in training, so
    continuing without that tail makes the model a model of normal rows only.
    """

    def __init__(self, fraction: float, at_epoch: int) -> None:
        self.fraction = fraction
        self.at_epoch = at_epoch

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        task = trainer.task
        if trainer.epoch + 1 != self.at_epoch or task.active_rows is not None:
            return
        errors = task.row_errors(task.X_train)
        n_keep = max(1, int(round(errors.shape[0] * (1.0 - self.fraction))))
        task.active_rows = torch.argsort(errors, stable=True)[:n_keep].sort().values.cpu()
        logs["rows_trimmed"] = float(errors.shape[0] - n_keep)


def train_reconstruction(
    build_module: Callable[[], nn.Module],
    X_train: torch.Tensor,
    X_val: torch.Tensor | None,
    *,
    loss: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float = 0.0,
    rng: np.random.Generator,
    generator: torch.Generator,
    early_stopping: bool = False,
    patience: int = 5,
    verbose: int = 0,
    checkpoint: Checkpoint | None = None,
    callbacks: Iterable[Callback] = (),
    inference_chunk: int = _INFERENCE_CHUNK,
    make_task: Callable[[nn.Module, torch.optim.Optimizer], ReconstructionTask] | None = None,
) -> tuple[nn.Module, list[dict[str, float]]]:
    """Train a freshly built autoencoder on rows with Adam through the one Trainer loop.

    The part of fitting that every reconstruction estimator shares: seeded weight initialisation,
    the :class:`ReconstructionTask`, early stopping, progress bar and resumable checkpoint.

    Parameters
    ----------
    build_module
        Returns the untrained module; called under a seed drawn from ``rng``.
    X_train, X_val
        Training and validation rows, already on the training device; ``X_val`` may be None.
    loss, epochs, batch_size, learning_rate, weight_decay
        As the estimators' hyperparameters of the same names.
    rng, generator
        From :func:`genfin.training.make_generators`: ``rng`` seeds the weights, ``generator``
        shuffles the batches.
    early_stopping, patience
        Stop when ``val_loss`` has not improved for ``patience`` epochs; keep the best weights.
    verbose
        Non-zero adds a progress bar.
    checkpoint
        Resume from it when it holds a state, and save to it after every epoch.
    callbacks
        Further callbacks, run before the built-in ones, so that values they add to the epoch logs
        are shown by the progress bar and saved in checkpoints.
    inference_chunk
        Rows per forward pass when measuring validation loss.
    make_task
        Builds the task from the fresh module and its optimiser, for models whose step differs
        (a VAE's two-term loss); its ``evaluate`` must report ``val_loss`` for early stopping.
        None builds a :class:`ReconstructionTask` from the arguments above.

    Returns
    -------
    tuple
        The trained module in eval mode and the history (one dict per epoch).
    """
    with seeded(fork_rng_seed(rng)):
        module = build_module().to(X_train.device)
        optimizer = adam(module, learning_rate, weight_decay=weight_decay)
        if make_task is not None:
            task = make_task(module, optimizer)
        else:
            task = ReconstructionTask(
                module,
                optimizer,
                loss=loss,
                X_train=X_train,
                X_val=X_val,
                batch_size=int(batch_size),
                generator=generator,
                inference_chunk=inference_chunk,
            )
        all_callbacks = list(callbacks)
        if early_stopping:
            all_callbacks.append(EarlyStopping("val_loss", patience=patience))
        if verbose:
            all_callbacks.append(ProgressBar())
        history = None
        if checkpoint is not None:
            history = checkpoint.resume(task)
            all_callbacks.append(checkpoint)
        history = Trainer(task, epochs=epochs, callbacks=all_callbacks, history=history).fit()
    return module.eval(), history
