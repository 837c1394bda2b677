"""The one training loop of genfin.

Every model trains through :class:`Trainer`. A model contributes a :class:`TrainingTask`: how to cut
an epoch into batches, what one optimisation step does (one optimiser for an autoencoder, two for a
GAN), and what to measure on validation rows. Progress bars, history, early stopping and
checkpoints are callbacks, shared by all models.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from genfin.exceptions import GenfinError
from genfin.training.device import PRECISIONS, autocast


class TrainingDivergedError(GenfinError, FloatingPointError):
    """A loss became NaN or infinite; the message says where and what to try."""


@runtime_checkable
class TrainingTask(Protocol):
    """What a model gives the loop.

    Attributes
    ----------
    modules
        The networks whose weights are trained, by name (saved in checkpoints).
    optimizers
        Their optimisers, by name (saved in checkpoints so a resumed run continues exactly).
    """

    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]

    def batches(self, epoch: int) -> Sequence[Any]:
        """The batches of one epoch, in order (a sized sequence, for progress bars)."""

    def train_step(self, batch: Any) -> dict[str, torch.Tensor]:
        """One optimisation step on ``batch``; returns its losses, detached."""

    def evaluate(self) -> dict[str, float]:
        """Validation metrics at the end of an epoch (``{}`` when there are none)."""


class Callback:
    """Hooks the loop calls. Subclasses override the ones they need."""

    def on_fit_start(self, trainer: Trainer) -> None:
        """Before the first epoch (also when resuming)."""

    def on_epoch_start(self, trainer: Trainer) -> None:
        """Before each epoch."""

    def on_batch_end(self, trainer: Trainer, losses: dict[str, torch.Tensor]) -> None:
        """After each optimisation step."""

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        """After each epoch, with the epoch's mean losses and validation metrics in ``logs``."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """After the last epoch, also when a callback stopped training early."""


class Trainer:
    """Runs epochs of a :class:`TrainingTask` and calls the callbacks.

    Parameters
    ----------
    task
        The model's batches, step and validation.
    epochs
        Total number of epochs, counting those already run before a resume.
    callbacks
        Called in order at each hook.
    history
        Epoch logs of an earlier run, when resuming; the loop continues after them.
    precision
        ``"float32"``, or ``"bfloat16"`` to run each training step under mixed-precision autocast
        on ``device`` (validation and callbacks stay float32).
    device
        Where the task's tensors live; only autocast needs it.

    Attributes
    ----------
    history
        One dict per epoch: ``epoch``, the mean of each training loss, validation metrics, ``seconds``.
    epoch
        The epoch being run (0-based).
    stop_training
        Set by a callback to end training after the current epoch.
    """

    def __init__(
        self,
        task: TrainingTask,
        *,
        epochs: int,
        callbacks: Iterable[Callback] = (),
        history: list[dict[str, float]] | None = None,
        precision: str = "float32",
        device: torch.device | str = "cpu",
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.task = task
        self.precision = precision
        self.device = device
        self.epochs = int(epochs)
        self.callbacks = list(callbacks)
        self.history: list[dict[str, float]] = list(history or [])
        self.epoch = len(self.history)
        self.batch_index = 0
        self.n_batches = 0
        self.stop_training = False

    def fit(self) -> list[dict[str, float]]:
        """Train from the epoch after the last one in ``history`` to ``epochs``; return the history."""
        self._call("on_fit_start")
        for epoch in range(len(self.history), self.epochs):
            self.epoch = epoch
            batches = self.task.batches(epoch)
            self.n_batches = len(batches)
            self._call("on_epoch_start")
            started = time.perf_counter()
            logs: dict[str, float] = {"epoch": epoch + 1, **self.run_epoch(epoch, batches)}
            logs.update(self.task.evaluate())
            logs["seconds"] = time.perf_counter() - started
            self.history.append(logs)
            self._call("on_epoch_end", logs)
            if self.stop_training:
                break
        self._call("on_fit_end")
        return self.history

    def run_epoch(self, epoch: int, batches: Sequence[Any]) -> dict[str, float]:
        """Run every batch of one epoch; return the batch-size weighted mean of each loss."""
        totals: dict[str, torch.Tensor] = {}
        n_rows = 0
        for self.batch_index, batch in enumerate(batches):
            with autocast(self.precision, self.device):
                losses = self.task.train_step(batch)
            size = _batch_size(batch)
            for name, value in losses.items():
                totals[name] = totals.get(name, 0.0) + value.detach() * size
            n_rows += size
            self._call("on_batch_end", losses)
        means = {name: float(total) / max(n_rows, 1) for name, total in totals.items()}
        for name, value in means.items():
            if not math.isfinite(value):
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch + 1}: {name} is {value}; "
                    "lower the learning rate or check the input scaling"
                )
        return means

    def _call(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)


def _batch_size(batch: Any) -> int:
    first = batch[0] if isinstance(batch, (tuple, list)) else batch
    return int(first.shape[0])
