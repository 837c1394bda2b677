"""The adversarial autoencoder's training task: three steps per batch.

Reconstruction (encoder and decoder), then the discriminator of codes against draws of the standard
normal prior, then the encoder's adversarial step; see :class:`AAETask`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from genfin.nn.aae import AdversarialAutoencoderNet
from genfin.training.gan_task import frozen
from genfin.training.gan_tricks import LabelTargets, discriminator_loss, generator_loss
from genfin.training.optim import adam

__all__ = ["AAETask"]


class AAETask:
    """The adversarial autoencoder's training task: three steps per batch.

    1. Reconstruction: encoder and decoder minimise the reconstruction error.
    2. Regularisation, discriminator: tell codes of the batch (fake) from draws of the standard
       normal prior (real), with the book's soft and noisy labels.
    3. Regularisation, generator: the encoder learns to make codes the discriminator takes for
       prior draws (the non-saturating loss).

    Prior draws come from the task's own generator, saved in checkpoints with the optimisers.
    """

    def __init__(
        self,
        net: AdversarialAutoencoderNet,
        *,
        X: torch.Tensor,
        batch_size: int,
        learning_rate: float,
        adversarial_lr: float,
        random: torch.Generator,
    ) -> None:
        self.net, self.X, self.batch_size, self.random = net, X, int(batch_size), random
        self.modules = {"aae": net}
        autoencoder = torch.nn.ModuleList([net.encoder, net.decoder])
        self.optimizers = {
            "autoencoder": adam(autoencoder, learning_rate),
            "discriminator": adam(net.discriminator, adversarial_lr, betas=(0.5, 0.999)),
            "encoder": adam(net.encoder, adversarial_lr, betas=(0.5, 0.999)),
        }
        self.targets = LabelTargets(0.9, 0.05)

    def batches(self, epoch: int) -> Sequence[torch.Tensor]:  # noqa: D102
        order = torch.randperm(self.X.shape[0], generator=self.random).to(self.X.device)
        return self.X[order].split(self.batch_size)

    def reconstruction_error(self, x: torch.Tensor) -> torch.Tensor:
        """Per-row reconstruction error, summed over features (nats for pixels)."""
        logits = self.net.decode_logits(self.net.encode(x))
        if self.net.output == "bernoulli":
            return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)
        return (logits - x).square().sum(dim=1)

    def _step(self, name: str, loss: torch.Tensor) -> None:
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def train_step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:  # noqa: D102
        self.net.train()
        reconstruction = self.reconstruction_error(batch).mean()
        self._step("autoencoder", reconstruction)

        n, device = batch.shape[0], batch.device
        prior = torch.randn(n, self.net.latent_dim, generator=self.random).to(device)
        codes = self.net.encode(batch).detach()
        d_loss = discriminator_loss(
            self.net.discriminator(prior),
            self.net.discriminator(codes),
            self.targets.real(n, self.random, device),
            self.targets.fake(n, self.random, device),
        )
        self._step("discriminator", d_loss)

        with frozen(self.net.discriminator):
            g_loss = generator_loss(self.net.discriminator(self.net.encode(batch)))
        self._step("encoder", g_loss)
        return {
            "reconstruction": reconstruction.detach(),
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
        }

    def evaluate(self) -> dict[str, float]:  # noqa: D102
        return {}

    def extra_state(self) -> dict[str, Any]:  # noqa: D102
        return {"random": self.random.get_state()}

    def load_extra_state(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.random.set_state(state["random"])
