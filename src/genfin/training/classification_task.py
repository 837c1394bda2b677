"""The training task of a classifier: shuffled pre-sliced batches, cross-entropy, one Adam step.

Each step optionally lowers the learning rate linearly towards 0 (``total_steps``), then takes one
Adam step on the batch's cross-entropy; validation reports ``val_loss`` and ``val_accuracy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ClassificationTask"]

# Images per forward pass at inference: the first feature maps are 32 x 28 x 28 floats per image
# (100 kB), so 1,024 images keep them near 100 MB.
_INFERENCE_CHUNK = 1_024


class ClassificationTask:
    """The training task of a classifier: shuffled pre-sliced batches, cross-entropy, one Adam step.

    Parameters
    ----------
    module
        Maps images ``(n, 1, H, W)`` to logits ``(n, n_classes)``.
    optimizer
        Optimiser of ``module``'s parameters.
    X_train, y_train
        Training images (float, ``(n, 1, H, W)``) and class indices (int64, ``(n,)``), on the
        training device.
    X_val, y_val
        Validation images and class indices, or None for no validation.
    batch_size
        Images per optimiser step.
    generator
        Shuffles the batches; its state is saved in checkpoints so a resumed run is exact.
    total_steps
        When given, the learning rate falls linearly from the optimiser's to 0 over this many
        steps; None keeps it constant.
    inference_chunk
        Images per forward pass when measuring validation metrics.
    """

    def __init__(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        X_train: torch.Tensor,
        y_train: torch.Tensor,
        X_val: torch.Tensor | None,
        y_val: torch.Tensor | None,
        batch_size: int,
        generator: torch.Generator,
        total_steps: int | None = None,
        inference_chunk: int = _INFERENCE_CHUNK,
    ) -> None:
        self.modules = {"classifier": module}
        self.optimizers = {"optimizer": optimizer}
        self.module, self.optimizer = module, optimizer
        self.X_train, self.y_train = X_train, y_train
        self.X_val, self.y_val = X_val, y_val
        self.batch_size = int(batch_size)
        self.generator = generator
        self.inference_chunk = int(inference_chunk)
        self.total_steps = total_steps
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.step = 0

    def batches(self, epoch: int) -> Sequence[tuple[torch.Tensor, torch.Tensor]]:  # noqa: D102
        order = torch.randperm(self.X_train.shape[0], generator=self.generator).to(self.X_train.device)
        # One gather per epoch, then views: much faster than a DataLoader for in-memory images.
        return list(
            zip(
                torch.split(self.X_train[order], self.batch_size),
                torch.split(self.y_train[order], self.batch_size),
                strict=True,
            )
        )

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:  # noqa: D102
        images, labels = batch
        if self.total_steps is not None:
            # Linear decay to 0 at the last step: big steps early, fine ones at the end.
            factor = max(0.0, 1.0 - self.step / self.total_steps)
            for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
                group["lr"] = base_lr * factor
        self.step += 1
        self.module.train()
        loss = F.cross_entropy(self.module(images), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.detach()}

    def evaluate(self) -> dict[str, float]:  # noqa: D102
        if self.X_val is None or self.y_val is None:
            return {}
        self.module.eval()
        loss, correct = 0.0, 0
        with torch.inference_mode():
            for images, labels in zip(
                self.X_val.split(self.inference_chunk), self.y_val.split(self.inference_chunk), strict=True
            ):
                logits = self.module(images)
                loss += float(F.cross_entropy(logits, labels, reduction="sum"))
                correct += int((logits.argmax(dim=1) == labels).sum())
        n = self.X_val.shape[0]
        return {"val_loss": loss / n, "val_accuracy": correct / n}

    def extra_state(self) -> dict[str, Any]:  # noqa: D102
        return {"generator": self.generator.get_state(), "step": self.step}

    def load_extra_state(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.generator.set_state(state["generator"])
        self.step = int(state["step"])
