"""Cross-fitted members trained as one task, chosen together on their pooled held-out folds.

Several copies of a model, each holding out a different fold of the few labels, give every label
back to training (each trains all members but one) and average out one model's luck. Each member
could pick its own best epoch on its own fold, but with a hundred labels of which five are frauds
a fold holds one fraud: its F1 is 0 or 1 or a tie at 0 for the whole run, and the member's choice
of epoch is little better than chance (on the card sample's benchmark splits, several members
never scored above 0 and kept an early epoch). :class:`CrossFittedTask` runs the members side by
side in the one training loop instead, an epoch of each per epoch, and validates on all folds
pooled: every member's predictions for its own held-out rows, scored together (the out-of-fold
score of cross-validation, with all five frauds). One collapse guard on that pooled score then
chooses one epoch for all members, and rolls them back together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch
from torch import nn

__all__ = ["CrossFittedTask", "MemberTask", "split_member_logs"]

_PREFIX = "member"


class MemberTask(Protocol):
    """A training task with its own held-out rows: ``X_val``, ``y_val`` and ``predict_proba``."""

    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    X_val: torch.Tensor | None
    y_val: torch.Tensor | None

    def batches(self, epoch: int) -> Sequence[tuple[Any, ...]]:
        """The member's batches of one epoch, each a tuple whose first element is a batch of rows."""

    def train_step(self, batch: Any) -> dict[str, torch.Tensor]:
        """One optimisation step on ``batch``; the losses to log."""

    def predict_proba(self, X: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``(n, K)`` of rows ``X``."""

    def extra_state(self) -> dict[str, Any]:
        """State beyond modules and optimisers (random streams), for an exact resume."""

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`extra_state`."""


class CrossFittedTask:
    """Member tasks trained in lockstep: one epoch is an epoch of each member, in turn.

    Parameters
    ----------
    tasks
        The members, each with its own modules, optimisers, random stream and held-out rows
        (``X_val``, ``y_val``: its fold; None for none).
    scores
        ``scores(y, proba)`` turns class indices and class probabilities into the validation
        logs (``{"val_loss": ..., "val_f1": ...}``); it scores the pooled folds and each fold.

    Attributes
    ----------
    modules, optimizers
        Every member's, named ``member1_generator``, ``member2_discriminator``, ...: the collapse
        guard snapshots and restores them all together, and a checkpoint holds them all.

    Notes
    -----
    :meth:`evaluate` returns the pooled logs under their own names (what the collapse guard
    monitors) and each member's own as ``member1_val_f1``, ...; :func:`split_member_logs` parts
    a history into the two. Training losses are means over all members' steps.
    """

    def __init__(
        self,
        tasks: Sequence[MemberTask],
        scores: Callable[[torch.Tensor, torch.Tensor], dict[str, float]],
    ) -> None:
        if not tasks:
            raise ValueError("CrossFittedTask needs at least one member task")
        self.tasks = list(tasks)
        self.scores = scores
        self.modules: dict[str, nn.Module] = {
            f"{_PREFIX}{i}_{name}": module
            for i, task in enumerate(self.tasks, 1)
            for name, module in task.modules.items()
        }
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            f"{_PREFIX}{i}_{name}": optimizer
            for i, task in enumerate(self.tasks, 1)
            for name, optimizer in task.optimizers.items()
        }

    def batches(self, epoch: int) -> list[tuple[Any, ...]]:
        """Every member's batches of this epoch, member after member, each tagged with its member.

        The tag goes last: the training loop reads a batch's size from its first element.
        """
        return [(*batch, index) for index, task in enumerate(self.tasks) for batch in task.batches(epoch)]

    def train_step(self, batch: tuple[Any, ...]) -> dict[str, torch.Tensor]:
        """One step of the member that owns ``batch``."""
        *member_batch, index = batch
        return self.tasks[index].train_step(tuple(member_batch))

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Scores of the pooled held-out folds, and of each member's fold as ``member<i>_<name>``."""
        folds = [
            (i, task.y_val, task.predict_proba(task.X_val))
            for i, task in enumerate(self.tasks, 1)
            if task.X_val is not None and task.y_val is not None and len(task.y_val)
        ]
        if not folds:
            return {}
        logs = self.scores(torch.cat([y for _, y, _ in folds]), torch.cat([p for _, _, p in folds]))
        for i, y, proba in folds:
            logs.update({f"{_PREFIX}{i}_{name}": value for name, value in self.scores(y, proba).items()})
        return logs

    def extra_state(self) -> list[dict[str, Any]]:
        """Each member's extra state (random streams), for an exact resume."""
        return [task.extra_state() for task in self.tasks]

    def load_extra_state(self, state: list[dict[str, Any]]) -> None:
        """Inverse of :meth:`extra_state`."""
        for task, member_state in zip(self.tasks, state, strict=True):
            task.load_extra_state(member_state)


def split_member_logs(
    history: list[dict[str, float]], n_members: int
) -> tuple[list[dict[str, float]], list[list[dict[str, float]]]]:
    """Part a :class:`CrossFittedTask` history into the pooled logs and each member's validation logs.

    Returns the history without the ``member<i>_`` entries, and per member a list of
    ``{"epoch": ..., "val_loss": ..., "val_f1": ..., "best_epoch": ...}`` (the epoch the
    members returned, which they share).
    """
    shared = ("epoch", "best_epoch")
    pooled = [{k: v for k, v in logs.items() if not k.startswith(_PREFIX)} for logs in history]
    members = []
    for i in range(1, n_members + 1):
        prefix = f"{_PREFIX}{i}_"
        members.append(
            [
                {
                    **{k: logs[k] for k in shared if k in logs},
                    **{k[len(prefix) :]: v for k, v in logs.items() if k.startswith(prefix)},
                }
                for logs in history
            ]
        )
    return pooled, members
