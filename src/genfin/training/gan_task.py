"""The training task of a GAN: one discriminator step and one or more generator steps per batch.

:class:`GANTask` is what a GAN gives the one training loop. It owns two Adam optimisers, draws all
of its own randomness (latent vectors, label noise, instance noise, replay choices) from one local
``torch.Generator``, and applies the tricks chosen in a :class:`~genfin.training.gan_tricks.GANTricks`.
Its ``extra_state`` holds that generator, torch's global generator (which dropout and noise layers
use; estimators fork it with :func:`~genfin.training.seeded`), the replay buffer and the historical
averages, so a run resumed from a checkpoint continues exactly as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from genfin.training.gan_stabilisers import (
    AveragedCopy,
    FrozenCopy,
    GeneratorSchedule,
    HistoricalAveraging,
    InstanceNoise,
    ReplayBuffer,
    nearest_neighbour_entropy,
)
from genfin.training.gan_tricks import (
    GANTricks,
    LabelTargets,
    discriminator_loss,
    generator_loss,
    sample_latent,
)
from genfin.training.optim import adam

__all__ = ["GANTask", "frozen"]


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Run a block with ``module``'s parameters excluded from autograd; gradients still flow through it.

    The book's ``discriminator.trainable = False`` while the generator trains, and it saves computing
    gradients nobody uses.
    """
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)


class GANTask:
    """Adversarial training of a generator against a discriminator, with the book's tricks.

    Per batch of real rows: the discriminator takes one step on the real rows and an equally large
    batch of fakes (separate batches unless ``tricks.separate_batches`` is off), aiming at soft and
    noisy targets, with instance noise on both; then the generator takes one step (more under
    ``tricks.generator_loss_target``) on the non-saturating loss. A conditional GAN gives the fakes the
    real batch's labels, so every class is generated as often as it occurs.

    Parameters
    ----------
    generator, discriminator
        The networks: ``generator(z, labels)`` returns samples in the data's [-1, 1] units and
        ``discriminator(x, labels)`` one logit per row. ``labels`` is None when unconditional.
    X
        The real rows (or images), scaled to [-1, 1], on the training device.
    y
        Class indices ``0..n_classes-1`` of the rows for a conditional GAN, else None.
    batch_size
        Real rows per step. The last, smaller batch of an epoch is dropped unless it is the only
        one, so batch statistics never come from a handful of rows.
    epochs
        Length of the run, for annealing the instance noise when ``tricks.instance_noise_epochs`` is None.
    tricks
        Which tricks to use.
    generator_lr, discriminator_lr, betas
        Adam's settings; the book's are 2e-4 and (0.5, 0.999).
    random
        The task's own random stream.

    Attributes
    ----------
    modules
        ``generator``, ``discriminator``, and when enabled ``average_generator``,
        ``frozen_generator`` and ``frozen_discriminator``: everything a checkpoint must restore.
    optimizers
        ``generator`` and ``discriminator``.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        *,
        X: torch.Tensor,
        y: torch.Tensor | None,
        batch_size: int,
        epochs: int,
        tricks: GANTricks,
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        random: torch.Generator,
    ) -> None:
        self.generator, self.discriminator = generator, discriminator
        self.X, self.y = X, y
        self.batch_size = int(batch_size)
        self.tricks = tricks
        self.random = random
        self.latent_dim = int(generator.latent_dim)
        self.optimizers = {
            "generator": adam(generator, generator_lr, betas=betas),
            "discriminator": adam(discriminator, discriminator_lr, betas=betas),
        }
        self.modules: dict[str, nn.Module] = {"generator": generator, "discriminator": discriminator}

        self.targets = LabelTargets(tricks.real_label, tricks.label_noise)
        self.instance_noise = InstanceNoise(tricks.instance_noise, tricks.instance_noise_epochs or epochs)
        self.schedule = GeneratorSchedule(tricks.generator_loss_target, tricks.max_generator_steps)
        self.replay = (
            ReplayBuffer(tricks.replay_buffer, tricks.replay_fraction) if tricks.replay_buffer else None
        )
        self.averaging = (
            {name: HistoricalAveraging(m, tricks.historical_averaging) for name, m in self.modules.items()}
            if tricks.historical_averaging
            else {}
        )
        self.average = AveragedCopy(generator, tricks.average_generator) if tricks.average_generator else None
        if self.average is not None:
            self.modules["average_generator"] = self.average.module
        self.frozen_copies: dict[str, FrozenCopy] = {}
        if tricks.frozen_copies_every:
            for name in ("generator", "discriminator"):
                self.frozen_copies[name] = FrozenCopy(self.modules[name], tricks.frozen_copies_every)
                self.modules[f"frozen_{name}"] = self.frozen_copies[name].module

    @property
    def sampler(self) -> nn.Module:
        """The generator to draw samples from: the averaged copy when there is one."""
        return self.average.module if self.average is not None else self.generator

    def batches(self, epoch: int) -> Sequence[tuple[torch.Tensor, ...]]:
        """Shuffled pre-sliced batches of real rows (with their labels); sets the epoch's instance noise."""
        self.instance_noise.set_epoch(epoch)
        n = self.X.shape[0]
        order = torch.randperm(n, generator=self.random).to(self.X.device)
        n_used = n if n <= self.batch_size else n - n % self.batch_size
        order = order[:n_used]
        # One gather per epoch, then views: faster than a DataLoader for rows already in memory.
        parts = [self.X[order].split(self.batch_size)]
        if self.y is not None:
            parts.append(self.y[order].split(self.batch_size))
        return list(zip(*parts, strict=True))

    def _latent(self, n: int) -> torch.Tensor:
        return sample_latent(n, self.latent_dim, self.tricks.latent, self.random, self.X.device)

    def _noisy(self, x: torch.Tensor) -> torch.Tensor:
        return self.instance_noise(x, self.random)

    def _discriminate(
        self, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: Any, fake_labels: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.tricks.separate_batches:
            return discriminator(real, labels), discriminator(fake, fake_labels)
        both_labels = None if labels is None else torch.cat([labels, fake_labels])
        logits = discriminator(torch.cat([real, fake]), both_labels)
        return logits[: real.shape[0]], logits[real.shape[0] :]

    def train_step(self, batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        """One discriminator step, then the generator's step(s); returns the losses, detached."""
        real = batch[0]
        labels = batch[1] if len(batch) > 1 else None
        n, device = real.shape[0], real.device
        self.generator.train()
        self.discriminator.train()
        logs = self._discriminator_step(real, labels, n, device)
        g_steps = 0
        while True:
            g_loss = self._generator_step(labels, n, logs)
            g_steps += 1
            if not self.schedule.another_step(g_steps, float(g_loss)):
                break
        logs["g_loss"] = g_loss.detach()
        logs["g_steps"] = torch.tensor(float(g_steps))
        for copy_ in self.frozen_copies.values():
            copy_.step()
        return logs

    def _discriminator_step(
        self, real: torch.Tensor, labels: torch.Tensor | None, n: int, device: torch.device
    ) -> dict[str, torch.Tensor]:
        fake_source = self.frozen_copies["generator"].module if self.frozen_copies else self.generator
        with torch.no_grad():
            fake = fake_source(self._latent(n), labels)
        fake_labels = labels
        if self.replay is not None:
            fake, fake_labels = self.replay.mix(fake, labels, self.random)
        real_logits, fake_logits = self._discriminate(
            self.discriminator, self._noisy(real), self._noisy(fake), labels, fake_labels
        )
        loss = discriminator_loss(
            real_logits,
            fake_logits,
            self.targets.real(n, self.random, device),
            self.targets.fake(n, self.random, device),
        )
        logs = {"d_loss": loss.detach()}
        if "discriminator" in self.averaging:
            penalty = self.averaging["discriminator"].penalty()
            loss = loss + penalty
            logs["d_averaging_penalty"] = penalty.detach()
        optimizer = self.optimizers["discriminator"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if "discriminator" in self.averaging:
            self.averaging["discriminator"].update()
        logs["d_real"] = torch.sigmoid(real_logits.detach()).mean()
        logs["d_fake"] = torch.sigmoid(fake_logits.detach()).mean()
        return logs

    def _generator_step(
        self, labels: torch.Tensor | None, n: int, logs: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        critic = self.frozen_copies["discriminator"].module if self.frozen_copies else self.discriminator
        fake = self.generator(self._latent(n), labels)
        with frozen(critic):
            loss = generator_loss(critic(self._noisy(fake), labels), self.tricks.generator_loss)
        total = loss
        if self.tricks.entropy:
            entropy = nearest_neighbour_entropy(fake)
            total = total - self.tricks.entropy * entropy
            logs["entropy"] = entropy.detach()
        if "generator" in self.averaging:
            penalty = self.averaging["generator"].penalty()
            total = total + penalty
            logs["g_averaging_penalty"] = penalty.detach()
        optimizer = self.optimizers["generator"]
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        if "generator" in self.averaging:
            self.averaging["generator"].update()
        if self.average is not None:
            self.average.update()
        return loss.detach()

    def evaluate(self) -> dict[str, float]:
        """The epoch's instance-noise level (there is no validation loss worth the name for a GAN)."""
        return {"instance_noise": float(self.instance_noise.std)} if self.tricks.instance_noise else {}

    def extra_state(self) -> dict[str, Any]:
        """Random streams and trick state that a checkpoint needs beyond weights and optimisers."""
        return {
            "random": self.random.get_state(),
            # Dropout and noise layers draw from torch's global generator (forked by the estimator).
            "global_random": torch.get_rng_state(),
            "replay": None if self.replay is None else self.replay.state_dict(),
            "averaging": {name: h.state_dict() for name, h in self.averaging.items()},
            "average_steps": 0 if self.average is None else self.average.steps,
            "frozen_steps": {name: c.steps for name, c in self.frozen_copies.items()},
        }

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`extra_state`."""
        # The optimisers were restored just before this, in their parameters' memory layout
        # (genfin.training.callbacks.load_task_state).
        self.random.set_state(state["random"])
        torch.set_rng_state(state["global_random"])
        if self.replay is not None and state["replay"] is not None:
            self.replay.load_state_dict(state["replay"])
        for name, saved in state["averaging"].items():
            self.averaging[name].load_state_dict(saved)
        if self.average is not None:
            self.average.steps = int(state["average_steps"])
        for name, steps in state["frozen_steps"].items():
            self.frozen_copies[name].steps = int(steps)
