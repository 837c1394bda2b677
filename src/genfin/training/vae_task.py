"""The training task of a VAE: the autoencoder's shuffled batches, a loss of two terms.

Each step minimises ``reconstruction + beta * kl_weight * kl`` (means over the batch of per-row
sums), with the KL weight of a linear warm-up (:func:`kl_weight`). :class:`VAETask` is a
:class:`~genfin.training.reconstruction_task.ReconstructionTask` subclass: the autoencoder's
batching, a step that adds the KL term, and reparameterisation noise from the task's own
generator, so a resumed run is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from genfin.nn.vae import VariationalAutoencoder
from genfin.training.reconstruction_task import ReconstructionTask

__all__ = ["VAETask", "kl_weight"]

# Decoded rows per forward pass at inference: 8,192 x 784 float32 is 25 MB for images, and small
# enough tables stay in cache.
_CHUNK = 8_192


def kl_weight(epoch: int, warmup_epochs: int) -> float:
    """Weight of the KL term during ``epoch`` (0-based) under a linear warm-up of ``warmup_epochs``.

    0 in the first epoch, rising by ``1 / warmup_epochs`` per epoch to 1 from epoch ``warmup_epochs``
    on; always 1 without warm-up. Starting as a plain autoencoder lets the decoder learn to use the
    code before the KL term pulls every posterior towards the prior (posterior collapse).
    """
    if warmup_epochs <= 0:
        return 1.0
    return min(1.0, epoch / warmup_epochs)


class VAETask(ReconstructionTask):
    """The training task of a VAE: the autoencoder's shuffled batches, a loss of two terms.

    Each step minimises ``reconstruction + beta * kl_weight * kl`` (means over the batch of per-row
    sums). The reparameterisation noise comes from the same local generator as the batch order, so a
    checkpoint (which saves that generator) resumes the exact same run. Validation uses noise from a
    fixed seed, the same every epoch, so epoch-to-epoch changes of ``val_loss`` are the model's and
    not the noise's.
    """

    def __init__(
        self,
        module: VariationalAutoencoder,
        optimizer: torch.optim.Optimizer,
        *,
        X_train: torch.Tensor,
        X_val: torch.Tensor | None,
        batch_size: int,
        generator: torch.Generator,
        beta: float,
        kl_warmup_epochs: int,
        eval_seed: int,
        inference_chunk: int = _CHUNK,
    ) -> None:
        super().__init__(
            module,
            optimizer,
            loss=module.output,
            X_train=X_train,
            X_val=X_val,
            batch_size=batch_size,
            generator=generator,
            inference_chunk=inference_chunk,
        )
        self.modules = {"vae": module}
        # A conditional VAE's rows carry their one-hot class in the last n_classes columns, so the
        # autoencoder's batching and chunking serve it unchanged; the steps split it off.
        self.n_features = module.n_features
        self.beta = float(beta)
        self.kl_warmup_epochs = int(kl_warmup_epochs)
        self.eval_seed = int(eval_seed)
        self.kl_weight = kl_weight(0, self.kl_warmup_epochs)

    def batches(self, epoch: int) -> Sequence[torch.Tensor]:  # noqa: D102
        # The loop asks for each epoch's batches first (also when resuming), so the weight is set here.
        self.kl_weight = kl_weight(epoch, self.kl_warmup_epochs)
        return super().batches(epoch)

    def _terms(self, rows: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x, condition = rows[:, : self.n_features], rows[:, self.n_features :]
        return self.module.loss_terms(x, generator, condition=condition if condition.shape[1] else None)

    def train_step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:  # noqa: D102
        self.module.train()
        reconstruction, kl = (term.mean() for term in self._terms(batch, self.generator))
        loss = reconstruction + (self.beta * self.kl_weight) * kl
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.detach(), "reconstruction": reconstruction.detach(), "kl": kl.detach()}

    def row_terms(self, X: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction error (one posterior sample) and KL term of each row, without gradients."""
        self.module.eval()
        with torch.inference_mode():
            parts = [self._terms(chunk, generator) for chunk in X.split(self.inference_chunk)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])

    def row_errors(self, X: torch.Tensor) -> torch.Tensor:
        """One-sample negative ELBO of each row, with the fixed validation noise."""
        reconstruction, kl = self.row_terms(X, torch.Generator().manual_seed(self.eval_seed))
        return reconstruction + kl

    def evaluate(self) -> dict[str, float]:  # noqa: D102
        # The KL weight goes into each epoch's logs from here, the loop's one per-epoch hook of a task.
        logs = {"kl_weight": self.kl_weight}
        if self.X_val is None:
            return logs
        reconstruction, kl = self.row_terms(self.X_val, torch.Generator().manual_seed(self.eval_seed))
        val_reconstruction, val_kl = float(reconstruction.mean()), float(kl.mean())
        logs.update(
            val_reconstruction=val_reconstruction,
            val_kl=val_kl,
            val_loss=val_reconstruction + self.beta * val_kl,
        )
        return logs
