"""Keep the best model of a run by a quality metric, and put it back at the end.

A GAN's losses do not fall as it improves ("the loss of a GAN will not decrease even as the GAN makes
progress"), so the last epoch is not necessarily the best. :class:`KeepBest` measures a quality
metric after every epoch and restores the weights of the best epoch when training ends.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path

import torch

from genfin.training.loop import Callback, Trainer
from genfin.training.state import load_state, save_state

__all__ = ["KeepBest"]


class KeepBest(Callback):
    """Measure ``metric`` after every epoch and restore the best epoch's weights when training ends.

    Parameters
    ----------
    metric
        ``metric(trainer)`` returns a quality score, lower is better (e.g. a sliced Wasserstein
        distance of samples from real rows, or an FID).
    name
        The key under which the score goes into the epoch logs (so into ``history_``).
    folder
        Where to keep the best weights on disk, so that a resumed run still knows the best epoch
        before the interruption. None keeps them in memory only.

    Attributes
    ----------
    best, best_epoch
        The best score and its 1-based epoch (``inf`` and 0 before the first epoch).
    """

    NAME = "best"

    def __init__(
        self, metric: Callable[[Trainer], float], *, name: str = "quality", folder: str | Path | None = None
    ) -> None:
        self.metric = metric
        self.name = name
        self.folder = None if folder is None else Path(folder)
        self.best = math.inf
        self.best_epoch = 0
        self._weights: dict[str, dict[str, torch.Tensor]] | None = None

    def on_fit_start(self, trainer: Trainer) -> None:  # noqa: D102
        if self.folder is not None and (self.folder / f"{self.NAME}.json").is_file() and trainer.history:
            saved = load_state(self.folder, self.NAME)
            self.best, self.best_epoch, self._weights = (
                float(saved["best"]),
                int(saved["epoch"]),
                saved["weights"],
            )

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        score = float(self.metric(trainer))
        logs[self.name] = score
        if score < self.best:
            self.best, self.best_epoch = score, int(logs["epoch"])
            self._weights = {
                name: copy.deepcopy(module.state_dict()) for name, module in trainer.task.modules.items()
            }
            if self.folder is not None:
                save_state(
                    self.folder,
                    self.NAME,
                    {"best": score, "epoch": self.best_epoch, "weights": self._weights},
                )

    def on_fit_end(self, trainer: Trainer) -> None:  # noqa: D102
        if self._weights is not None:
            for name, module in trainer.task.modules.items():
                module.load_state_dict(self._weights[name])
