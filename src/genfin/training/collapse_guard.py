"""Keep the best model of a run by a validation metric, and act when the metric falls.

The book's SGAN "learns pretty quickly at first, but then collapses with its F1 score going to
zero", and advises to "save the model every couple of epochs". :class:`CollapseGuard` does that
with a validation metric: it snapshots the training state whenever the metric reaches a new best,
and when the metric has stayed below that best for ``patience`` epochs it rolls training back to
the snapshot (with smaller learning rates, so the run does not take the same path down again) or
stops. Either way the best weights are restored when training ends, so the returned model is the
best one seen. Switched off, it only records the best epoch and leaves the last weights: what the
book's recipe returns.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

from genfin.training.callbacks import match_parameter_layout
from genfin.training.loop import Callback, Trainer
from genfin.training.state import load_state, save_state

__all__ = ["ACTIONS", "CollapseGuard"]

ACTIONS = ("rollback", "stop", "off")


class CollapseGuard(Callback):
    """Best-epoch selection on a higher-is-better validation metric, with rollback or stop on a fall.

    Parameters
    ----------
    monitor
        Key of the metric in the epoch logs (e.g. ``"val_auprc"``); higher is better. NaN counts
        as the worst value.
    tie_breaker
        Key of a metric (e.g. ``"val_loss"``) that decides between epochs with the same
        ``monitor`` value: on a few validation rows accuracy and F1 tie often.
    tie_breaker_mode
        ``"min"`` when the tie-breaker is lower-is-better (a loss), ``"max"`` when higher is
        better (e.g. ``"val_auprc"``).
    patience
        Epochs in a row with ``monitor`` below its best (counted from the best epoch or the last
        rollback) that count as a collapse. Epochs at the best value that lose only on the
        tie-breaker do not count: the metric has not fallen.
    action
        ``"rollback"``: restore the best epoch's weights and optimiser moments, multiply the
        learning rates by ``lr_factor`` and continue; after ``max_rollbacks`` rollbacks, stop.
        ``"stop"``: end training. ``"off"``: train on and keep the last epoch's weights (the best
        epoch is still recorded, in ``best_epoch`` and the logs).
    max_rollbacks
        Rollbacks before the guard stops training instead.
    lr_factor
        Factor of every learning rate at each rollback.
    folder
        Where to keep the best state on disk, so a resumed run (``Checkpoint``) still knows it.
        None keeps it in memory.

    Attributes
    ----------
    best, best_epoch
        The best value of ``monitor`` and its 1-based epoch (``-inf`` and 0 before any epoch).
    rollback_epochs
        The epochs at whose end training was rolled back.

    Notes
    -----
    Each epoch's logs get ``best_epoch`` and ``rolled_back`` (1.0 at a rollback, else 0.0), so
    ``history_`` shows what the guard did; the guard counts earlier rollbacks from the history when
    a run resumes.
    """

    NAME = "best"

    def __init__(
        self,
        monitor: str = "val_auprc",
        *,
        tie_breaker: str | None = "val_loss",
        tie_breaker_mode: str = "min",
        patience: int = 10,
        action: str = "rollback",
        max_rollbacks: int = 3,
        lr_factor: float = 0.5,
        folder: str | Path | None = None,
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {action!r}")
        if tie_breaker_mode not in ("min", "max"):
            raise ValueError(f"tie_breaker_mode must be 'min' or 'max', got {tie_breaker_mode!r}")
        if int(patience) < 1:
            raise ValueError(f"patience must be a positive int, got {patience!r}")
        if not 0 < lr_factor <= 1:
            raise ValueError(f"lr_factor must be in (0, 1], got {lr_factor!r}")
        self.monitor = monitor
        self.tie_breaker = tie_breaker
        self.tie_breaker_mode = tie_breaker_mode
        self.patience = int(patience)
        self.action = action
        self.max_rollbacks = int(max_rollbacks)
        self.lr_factor = float(lr_factor)
        self.folder = None if folder is None else Path(folder)
        self.best = -math.inf
        self._best_key: tuple[float, float] = (-math.inf, -math.inf)
        self.best_epoch = 0
        self.rollback_epochs: list[int] = []
        self._snapshot: dict[str, Any] | None = None

    # ------------------------------------------------------------------ bookkeeping

    def _key(self, logs: dict[str, float]) -> tuple[float, float]:
        if self.monitor not in logs:
            raise KeyError(
                f"the collapse guard monitors {self.monitor!r}, but the epoch logs hold {sorted(logs)}; "
                "is there validation data?"
            )
        value = float(logs[self.monitor])
        tie = float(logs.get(self.tie_breaker, 0.0)) if self.tie_breaker else 0.0
        if self.tie_breaker_mode == "min":
            tie = -tie  # the key is higher-is-better in both places
        return (
            value if math.isfinite(value) else -math.inf,
            tie if math.isfinite(tie) else -math.inf,
        )

    def on_fit_start(self, trainer: Trainer) -> None:  # noqa: D102
        self.rollback_epochs = [int(h["epoch"]) for h in trainer.history if h.get("rolled_back")]
        if self.folder is not None and trainer.history and (self.folder / f"{self.NAME}.json").is_file():
            saved = load_state(self.folder, self.NAME)
            self.best, self.best_epoch = float(saved["best"]), int(saved["epoch"])
            self._best_key = (float(saved["key"][0]), float(saved["key"][1]))
            self._snapshot = saved["state"]

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        epoch = int(logs["epoch"])
        key = self._key(logs)
        logs["rolled_back"] = 0.0
        if self._snapshot is None or key > self._best_key:
            self._best_key, self.best, self.best_epoch = key, key[0], epoch
            self._snapshot = _snapshot(trainer)
            if self.folder is not None:
                save_state(
                    self.folder,
                    self.NAME,
                    {"best": self.best, "key": list(key), "epoch": epoch, "state": self._snapshot},
                )
        elif self.action != "off":
            if self._epochs_fallen(trainer.history) >= self.patience:
                if self.action == "rollback" and len(self.rollback_epochs) < self.max_rollbacks:
                    self._roll_back(trainer)
                    self.rollback_epochs.append(epoch)
                    logs["rolled_back"] = 1.0
                else:
                    trainer.stop_training = True
        logs["best_epoch"] = float(self.best_epoch)

    def _epochs_fallen(self, history: list[dict[str, float]]) -> int:
        """Epochs in a row, up to this one, whose metric is below the best (since the best or a rollback).

        An epoch that equals the best value but loses on the tie-breaker has not fallen: on a few
        validation rows the metric often sits at its best (AUPRC 1 with one validation fraud)
        while the loss wanders, and rolling back then would undo training that did no harm.
        """
        start = max(self.best_epoch, *self.rollback_epochs, 0)
        fallen = 0
        for logs in reversed(history):
            if int(logs["epoch"]) <= start or self._key(logs)[0] >= self.best:
                break
            fallen += 1
        return fallen

    def _roll_back(self, trainer: Trainer) -> None:
        """Put the best epoch's weights and optimiser moments back, with smaller learning rates."""
        assert self._snapshot is not None
        _restore_modules(trainer, self._snapshot)
        for name, optimizer in trainer.task.optimizers.items():
            # Today's rates, not the snapshot's: each rollback lowers them by one more factor.
            rates = [group["lr"] for group in optimizer.param_groups]
            optimizer.load_state_dict(copy.deepcopy(self._snapshot["optimizers"][name]))
            match_parameter_layout(optimizer)
            for group, rate in zip(optimizer.param_groups, rates, strict=True):
                group["lr"] = rate * self.lr_factor

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        if self._snapshot is not None and self.action != "off":
            _restore_modules(trainer, self._snapshot)


def _snapshot(trainer: Trainer) -> dict[str, Any]:
    task = trainer.task
    return {
        "modules": {name: copy.deepcopy(m.state_dict()) for name, m in task.modules.items()},
        "optimizers": {name: copy.deepcopy(o.state_dict()) for name, o in task.optimizers.items()},
    }


def _restore_modules(trainer: Trainer, snapshot: dict[str, Any]) -> None:
    for name, module in trainer.task.modules.items():
        module.load_state_dict(snapshot["modules"][name])
