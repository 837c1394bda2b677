"""The book's stateful GAN tricks: small objects that hold noise, past fakes or copies of the networks.

Each one does one thing, says what and the book's reason, and is created by the training task when
its field of :class:`~genfin.training.gan_tricks.GANTricks` switches it on. They are apart from the
switches because they carry state across steps (an annealed noise level, stored fakes, running
averages, copies of a network), which a checkpoint saves. Everything random draws from a
``torch.Generator`` handed in, so a checkpointed run resumes exactly.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

__all__ = [
    "AveragedCopy",
    "FrozenCopy",
    "GeneratorSchedule",
    "HistoricalAveraging",
    "InstanceNoise",
    "ReplayBuffer",
    "nearest_neighbour_entropy",
]


class InstanceNoise:
    """Gaussian noise on every discriminator input, annealed linearly to zero.

    "Noise adds stability to GAN training", especially early on, when real and fake distributions
    barely overlap and the discriminator can separate them perfectly; later "it can obfuscate too
    much", so it shrinks to 0 over ``anneal_epochs``.
    """

    def __init__(self, std: float, anneal_epochs: int) -> None:
        self.initial_std = float(std)
        self.anneal_epochs = max(1, int(anneal_epochs))
        self.std = self.initial_std

    def set_epoch(self, epoch: int) -> None:
        """Set the noise of ``epoch`` (0-based): full in the first, 0 from ``anneal_epochs`` on."""
        self.std = self.initial_std * max(0.0, 1.0 - epoch / self.anneal_epochs)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``x`` plus the current noise (``x`` itself when the noise is 0)."""
        if self.std == 0:
            return x
        return x + self.std * torch.randn(x.shape, generator=generator).to(x.device)


class ReplayBuffer:
    """A store of earlier fakes, some of which replace each new fake batch shown to the discriminator.

    The discriminator then keeps rejecting what the generator produced before, which damps the
    oscillation of a generator that hops between modes. New fakes go in at random slots once the
    buffer is full, so it holds a spread of ages. Labels travel with conditional fakes.

    Parameters
    ----------
    capacity
        Fakes kept.
    fraction
        Share of each batch replaced by stored fakes (once the buffer holds any).
    """

    def __init__(self, capacity: int, fraction: float = 0.5) -> None:
        self.capacity = int(capacity)
        self.fraction = float(fraction)
        self.samples: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        self.size = 0

    def mix(
        self, fakes: torch.Tensor, labels: torch.Tensor | None, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return ``fakes`` with a ``fraction`` of its rows swapped for stored fakes, then store ``fakes``."""
        fakes = fakes.detach()
        mixed, mixed_labels = fakes, labels
        n_old = min(int(round(self.fraction * fakes.shape[0])), self.size)
        if n_old > 0:
            rows = torch.randperm(fakes.shape[0], generator=generator)[:n_old].to(fakes.device)
            stored = torch.randint(self.size, (n_old,), generator=generator).to(fakes.device)
            mixed = fakes.clone()
            mixed[rows] = self.samples[stored]
            if labels is not None:
                mixed_labels = labels.clone()
                mixed_labels[rows] = self.labels[stored]
        self._store(fakes, labels, generator)
        return mixed, mixed_labels

    def _store(self, fakes: torch.Tensor, labels: torch.Tensor | None, generator: torch.Generator) -> None:
        if self.samples is None:
            self.samples = torch.empty(
                (self.capacity, *fakes.shape[1:]), dtype=fakes.dtype, device=fakes.device
            )
            if labels is not None:
                self.labels = torch.empty(self.capacity, dtype=labels.dtype, device=labels.device)
        n_free = min(self.capacity - self.size, fakes.shape[0])
        slots = torch.arange(self.size, self.size + n_free)
        if n_free < fakes.shape[0]:
            extra = fakes.shape[0] - n_free
            slots = torch.cat([slots, torch.randint(self.capacity, (extra,), generator=generator)])
        slots = slots.to(fakes.device)
        # Several new fakes may land in one slot; any one of them winning is fine.
        self.samples[slots] = fakes[: len(slots)]
        if labels is not None:
            self.labels[slots] = labels[: len(slots)]
        self.size += n_free

    def state_dict(self) -> dict[str, Any]:
        """The stored fakes, so a checkpoint resumes exactly."""
        return {"samples": self.samples, "labels": self.labels, "size": self.size}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`state_dict`."""
        self.samples, self.labels, self.size = state["samples"], state["labels"], int(state["size"])


class HistoricalAveraging:
    """A penalty on weights far from their running average (Salimans et al. 2016).

    "GANs tend to oscillate, with their weights moving rapidly around a mean"; the penalty
    ``weight * sum ||theta - mean(theta)||^2`` pulls them back towards that mean. Call
    :meth:`penalty` in the loss and :meth:`update` after each optimiser step.
    """

    def __init__(self, module: nn.Module, weight: float) -> None:
        self.module = module
        self.weight = float(weight)
        self.averages = [p.detach().clone() for p in module.parameters()]
        self.count = 1

    def penalty(self) -> torch.Tensor:
        """``weight`` times the summed squared distance of the weights from their average."""
        terms = [
            (p - avg).square().sum() for p, avg in zip(self.module.parameters(), self.averages, strict=True)
        ]
        return self.weight * torch.stack(terms).sum()

    @torch.no_grad()
    def update(self) -> None:
        """Fold the current weights into the running average."""
        self.count += 1
        for p, avg in zip(self.module.parameters(), self.averages, strict=True):
            avg.add_(p.detach() - avg, alpha=1.0 / self.count)

    def state_dict(self) -> dict[str, Any]:
        """The averages and their count, so a checkpoint resumes exactly."""
        return {"averages": list(self.averages), "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`state_dict`."""
        for avg, saved in zip(self.averages, state["averages"], strict=True):
            avg.copy_(saved)
        self.count = int(state["count"])


class AveragedCopy:
    """A target network: a copy of a module whose weights are an exponential moving average.

    The copy (``.module``, in eval mode) is what a GAN samples from: it smooths out the oscillation
    of the trained generator. Step ``t`` uses decay ``min(decay, (1 + t) / (10 + t))`` so that the
    average of a short run is not dominated by the random initial weights. Buffers (batch-norm
    statistics) are copied, not averaged.
    """

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.source = module
        self.decay = float(decay)
        self.module = copy.deepcopy(module).eval().requires_grad_(False)
        self.steps = 0
        # Walking the module tree every step costs more than the update itself on a small network.
        self._pairs = (list(self.module.parameters()), list(module.parameters()))
        self._buffers = list(zip(self.module.buffers(), module.buffers(), strict=True))

    @torch.no_grad()
    def update(self) -> None:
        """Move the average one step towards the source's current weights."""
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        self.steps += 1
        averages, sources = self._pairs
        torch._foreach_lerp_(averages, sources, 1.0 - decay)
        for avg, b in self._buffers:
            avg.copy_(b)


class FrozenCopy:
    """A target network: a frozen copy of a module, refreshed every ``every`` steps.

    The book's "train the generator with a frozen copy of the discriminator and train the
    discriminator with a frozen copy of the generator": each side aims at a target that holds still
    for a while, which damps the chase around an equilibrium. The copy stays in train mode, so its
    dropout and noise layers behave as in training.
    """

    def __init__(self, module: nn.Module, every: int) -> None:
        self.source = module
        self.every = int(every)
        self.module = copy.deepcopy(module).requires_grad_(False)
        self.steps = 0

    @torch.no_grad()
    def step(self) -> None:
        """Count a training step; copy the source's weights in when ``every`` steps have passed."""
        self.steps += 1
        if self.steps % self.every == 0:
            self.module.load_state_dict(self.source.state_dict())


def nearest_neighbour_entropy(samples: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Entropy estimate of a batch up to constants: the mean log distance to each row's nearest neighbour.

    The Kozachenko-Leonenko estimator without its constant terms. It grows when samples spread out
    and falls to ``log(eps)`` when rows coincide, so maximising it rewards "outputting more
    different values": the book's entropy regularisation against mode collapse.
    """
    flat = samples.flatten(1)
    distances = torch.cdist(flat, flat)
    # The diagonal (a row's distance to itself) must never be the minimum.
    distances = distances + torch.eye(flat.shape[0], device=flat.device) * distances.detach().max().clamp_min(
        1.0
    )
    return torch.log(distances.min(dim=1).values + eps).mean()


class GeneratorSchedule:
    """The principled schedule: "train the generator while the generator loss is above X".

    After each discriminator step the generator takes one step, and further steps while its loss
    is above ``target``, up to ``max_steps``. Without a target it is one step each, the usual
    alternation. The rule depends on the generator's own loss, not on comparing the two players'
    statistics, which the book warns "usually does not work".
    """

    def __init__(self, target: float | None, max_steps: int = 1) -> None:
        self.target = target
        self.max_steps = int(max_steps) if target is not None else 1

    def another_step(self, steps_taken: int, loss: float) -> bool:
        """Whether to take one more generator step after ``steps_taken`` steps that ended at ``loss``."""
        return self.target is not None and steps_taken < self.max_steps and loss > self.target
