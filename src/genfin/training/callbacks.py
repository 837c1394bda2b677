"""Callbacks shared by every model: progress bar, early stopping and checkpoints."""

from __future__ import annotations

import copy
import math
import sys
from pathlib import Path
from typing import Any

import torch

from genfin.training.loop import Callback, Trainer, TrainingTask
from genfin.training.state import load_state, save_state, write_json_atomic


def task_state(task: TrainingTask) -> dict[str, Any]:
    """Everything needed to continue a task exactly: weights, optimiser moments, extra state."""
    state: dict[str, Any] = {
        "modules": {name: module.state_dict() for name, module in task.modules.items()},
        "optimizers": {name: opt.state_dict() for name, opt in task.optimizers.items()},
    }
    extra = getattr(task, "extra_state", None)
    if extra is not None:
        state["extra"] = extra()
    return state


def load_task_state(task: TrainingTask, state: dict[str, Any]) -> None:
    """Put a state from :func:`task_state` back into ``task``."""
    for name, module in task.modules.items():
        module.load_state_dict(state["modules"][name])
    for name, opt in task.optimizers.items():
        opt.load_state_dict(state["optimizers"][name])
        match_parameter_layout(opt)
    if "extra" in state:
        task.load_extra_state(state["extra"])


def match_parameter_layout(optimizer: torch.optim.Optimizer) -> None:
    """Give each optimiser state tensor the memory layout (strides) of its parameter.

    A checkpoint stores tensors contiguously, so the Adam moments of a channels-last convolution come
    back in the other layout; the fused Adam kernel then pairs moments with the wrong weights, and a
    resumed run drifts from the uninterrupted one.
    """
    for group in optimizer.param_groups:
        for param in group["params"]:
            state = optimizer.state.get(param, {})
            for key, value in state.items():
                if (
                    isinstance(value, torch.Tensor)
                    and value.shape == param.shape
                    and value.stride() != param.stride()
                ):
                    state[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


class ProgressBar(Callback):
    """A tqdm bar over each epoch's batches with the running loss, and one line per finished epoch.

    Parameters
    ----------
    refresh_every
        Update the shown loss every this many batches; reading a loss costs a device sync.
    prefix
        Text before "epoch" on the bar and the lines (e.g. ``"5 members, "`` for cross-fitted runs).
    hide
        Log keys starting with any of these are left out of the epoch lines (they stay in the
        history), e.g. ``("member",)`` for the per-member scores of a cross-fitted task.
    """

    def __init__(
        self, *, refresh_every: int = 20, file: Any = None, prefix: str = "", hide: tuple[str, ...] = ()
    ) -> None:
        self.refresh_every = refresh_every
        self.file = file
        self.prefix = prefix
        self.hide = tuple(hide)
        self._bar: Any = None

    def on_epoch_start(self, trainer: Trainer) -> None:  # noqa: D102
        from tqdm.auto import tqdm

        self._bar = tqdm(
            total=trainer.n_batches,
            desc=f"{self.prefix}epoch {trainer.epoch + 1}/{trainer.epochs}",
            unit="batch",
            leave=False,
            file=self.file or sys.stderr,
            dynamic_ncols=True,
            # No bar when output is not a terminal (logs, CI): the per-epoch lines say enough there.
            disable=None,
        )

    def on_batch_end(self, trainer: Trainer, losses: dict[str, torch.Tensor]) -> None:  # noqa: D102
        self._bar.update(1)
        if trainer.batch_index % self.refresh_every == 0:
            self._bar.set_postfix({k: f"{float(v):.4g}" for k, v in losses.items()}, refresh=False)

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        self._bar.close()
        shown = ", ".join(
            f"{k} {v:.4g}"
            for k, v in logs.items()
            if k not in ("epoch", "seconds") and not k.startswith(self.hide)
        )
        print(
            f"{self.prefix}epoch {trainer.epoch + 1}/{trainer.epochs}: {shown} ({logs['seconds']:.1f} s)",
            file=self.file or sys.stderr,
        )


class EarlyStopping(Callback):
    """Stop when a monitored metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor
        Name of a metric in the epoch logs, e.g. ``"val_loss"``.
    patience
        Epochs without improvement before stopping.
    min_delta
        Smallest change that counts as an improvement.
    mode
        ``"min"`` when lower is better, ``"max"`` when higher is.
    restore_best
        Put the best epoch's weights back at the end, so the returned model is the best one seen.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.restore_best = restore_best
        self.best: float = math.inf if mode == "min" else -math.inf
        self.best_epoch = 0
        self._best_weights: dict[str, dict[str, torch.Tensor]] | None = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        if self.monitor not in logs:
            raise KeyError(
                f"early stopping monitors {self.monitor!r}, but the epoch logs hold {sorted(logs)}"
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch = value, int(logs["epoch"])
            if self.restore_best:
                self._best_weights = {
                    name: copy.deepcopy(module.state_dict()) for name, module in trainer.task.modules.items()
                }
        elif int(logs["epoch"]) - self.best_epoch >= self.patience:
            trainer.stop_training = True

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        if self.restore_best and self._best_weights is not None:
            for name, module in trainer.task.modules.items():
                module.load_state_dict(self._best_weights[name])


class Checkpoint(Callback):
    """Save the whole training state after every ``every`` epochs, so an interrupted run can resume.

    A resumed run loses at most ``every`` epochs. Files are written atomically: a crash while
    saving leaves the previous checkpoint intact.

    Parameters
    ----------
    folder
        Where ``checkpoint.safetensors`` and ``checkpoint.json`` go.
    fingerprint
        JSON-safe description of the run (hyperparameters, data shape); a resume with a different
        fingerprint is refused instead of mixing two runs.
    """

    NAME = "checkpoint"

    def __init__(self, folder: str | Path, *, fingerprint: dict[str, Any], every: int = 1) -> None:
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.every = every

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        if (trainer.epoch + 1) % self.every == 0 or trainer.stop_training:
            self.save(trainer)

    def save(self, trainer: Trainer) -> None:
        """Write the current state now."""
        state = {"task": task_state(trainer.task), "history": trainer.history}
        save_state(self.folder, self.NAME, state)
        write_json_atomic(self.folder / "fingerprint.json", self.fingerprint)

    def exists(self) -> bool:
        """Whether the folder holds a complete checkpoint."""
        return (self.folder / f"{self.NAME}.json").is_file() and (self.folder / "fingerprint.json").is_file()

    def resume(self, task: TrainingTask) -> list[dict[str, float]] | None:
        """Load the saved state into ``task`` when the folder holds one; the history to continue from.

        None when there is no checkpoint yet (a fresh run). Raises as :meth:`restore` does for a
        checkpoint of another run.
        """
        return self.restore(task) if self.exists() else None

    def restore(self, task: TrainingTask) -> list[dict[str, float]]:
        """Load the saved state into ``task`` and return the history to continue from.

        Raises
        ------
        ValueError
            When the checkpoint belongs to a run with other settings or other data.
        """
        import json

        with open(self.folder / "fingerprint.json", encoding="utf-8") as f:
            saved = json.load(f)
        if saved != json.loads(json.dumps(self.fingerprint)):
            changed = sorted(
                k for k in set(saved) | set(self.fingerprint) if saved.get(k) != self.fingerprint.get(k)
            )
            raise ValueError(
                f"the checkpoint in {self.folder} is from a run with different {', '.join(changed)}; "
                "delete that folder or choose another checkpoint folder to start afresh"
            )
        state = load_state(self.folder, self.NAME)
        load_task_state(task, state["task"])
        return [dict(epoch_logs) for epoch_logs in state["history"]]
