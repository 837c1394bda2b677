"""The book's GAN training tricks as small objects, and :class:`GANTricks`, one switch per trick.

Chapter 6 lists the tricks that "make GANs work better" with the remark that it is often not known
why they work. Each one here does one thing, says what and the book's reason, and is switched by a
field of :class:`GANTricks`, so an experiment can turn any of them off. Everything random draws from
a ``torch.Generator`` handed in, so a checkpointed run resumes exactly.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "AveragedCopy",
    "FrozenCopy",
    "GANTricks",
    "GeneratorSchedule",
    "HistoricalAveraging",
    "InstanceNoise",
    "LabelTargets",
    "ReplayBuffer",
    "discriminator_loss",
    "generator_loss",
    "nearest_neighbour_entropy",
    "sample_latent",
]

GENERATOR_LOSSES = ("non_saturating", "minimax")
LATENT_DISTRIBUTIONS = ("normal", "uniform")
BATCH_NORM_PLACES = ("none", "generator", "both")


@dataclass(frozen=True)
class GANTricks:
    """Every GAN training trick of the book, one field each; the defaults are what genfin recommends.

    Frozen, so it is a safe scikit-learn hyperparameter (``clone`` copies it, ``get_params`` shows
    it); change one field with ``dataclasses.replace(tricks, replay_buffer=512)`` or pass a dict of
    fields to an estimator. :meth:`book` is the book's MNIST GAN (but for its label noise) and
    :meth:`plain` a GAN with no tricks at all, for ablations.

    Attributes
    ----------
    real_label : float, default=0.9
        Soft labels: the discriminator's target for real rows; 1 is a hard label. Softer targets
        give smaller gradients and keep them "from tipping over".
    label_noise : float, default=0.05
        Noisy labels: each target moves by up to this much (uniformly) towards the other class;
        "adding some random noise to labels also helps to stabilize the system". 0 disables it.
    generator_loss : {"non_saturating", "minimax"}, default="non_saturating"
        ``"non_saturating"`` maximises ``log D(G(z))``; ``"minimax"`` minimises ``log(1 - D(G(z)))``,
        "the theoretical correct loss", whose gradients vanish early in training.
    latent : {"normal", "uniform"}, default="normal"
        Distribution of the latent vectors. A normal one has fewer extreme values, and its latent
        space is a sphere whose relations are easier to describe than a cube's.
    batch_norm : {"none", "generator", "both"}, default="generator"
        Where batch normalisation goes. It curbs extreme activations; in the discriminator it needs
        ``separate_batches`` (the book's DCGAN code has none; DCGAN's authors put it in both).
    separate_batches : bool, default=True
        Give the discriminator real and fake rows in separate batches, so batch statistics never mix
        two very different distributions. False concatenates them, as the book's code does.
    leaky_slope : float, default=0.2
        Negative slope of every LeakyReLU ("avoid ReLU and MaxPool": sparse gradients starve the
        generator). 0 gives plain ReLUs. No genfin GAN uses max pooling.
    instance_noise : float, default=0.1
        Standard deviation of Gaussian noise added to every input of the discriminator, real and
        fake ("add noise to inputs"), in the [-1, 1] units of the data. 0 disables it.
    instance_noise_epochs : int or None, default=None
        Epochs over which that noise falls linearly to 0 ("reduce it over time"); None anneals it
        over the whole run.
    noise_layers : float, default=0.0
        Standard deviation of Gaussian noise layers after each hidden layer of the discriminator
        ("use dropout or noise layers").
    discriminator_dropout : float, default=0.3
        Dropout after each hidden layer of the discriminator, the book's 0.3.
    generator_dropout : float, default=0.0
        Dropout after each hidden layer of the generator.
    dropout_at_sampling : bool, default=False
        Keep the generator's dropout on when sampling ("dropout in G in both the train and test
        phases"); only matters with ``generator_dropout > 0``.
    historical_averaging : float, default=0.0
        Weight of the penalty on the squared distance of each network's weights from their running
        average, against oscillation. 0 disables it.
    replay_buffer : int, default=0
        Earlier fakes kept to show the discriminator again, against oscillation and forgetting.
        0 disables it.
    replay_fraction : float, default=0.5
        Share of each fake batch replaced by fakes from the replay buffer.
    average_generator : float, default=0.999
        Decay of an exponential moving average of the generator's weights (a target network), used
        for sampling: averaged weights oscillate less. 0 disables it and samples from the last
        generator. Early steps use a smaller decay, so short runs are not stuck near the initial
        weights.
    frozen_copies_every : int, default=0
        Target networks: train the generator against a frozen copy of the discriminator and the
        discriminator on fakes of a frozen copy of the generator, both refreshed every this many
        steps. 0 disables it.
    entropy : float, default=0.0
        Weight of an entropy bonus on each generated batch (a nearest-neighbour estimate): rewards
        "outputting more different values", against mode collapse. 0 disables it.
    generator_loss_target : float or None, default=None
        The principled schedule: after each discriminator step, train the generator "while the
        generator loss is above X", up to ``max_generator_steps`` steps. None gives one step each.
    max_generator_steps : int, default=1
        Upper bound of generator steps per discriminator step under that schedule.
    """

    real_label: float = 0.9
    label_noise: float = 0.05
    generator_loss: str = "non_saturating"
    latent: str = "normal"
    batch_norm: str = "generator"
    separate_batches: bool = True
    leaky_slope: float = 0.2
    instance_noise: float = 0.1
    instance_noise_epochs: int | None = None
    noise_layers: float = 0.0
    discriminator_dropout: float = 0.3
    generator_dropout: float = 0.0
    dropout_at_sampling: bool = False
    historical_averaging: float = 0.0
    replay_buffer: int = 0
    replay_fraction: float = 0.5
    average_generator: float = 0.999
    frozen_copies_every: int = 0
    entropy: float = 0.0
    generator_loss_target: float | None = None
    max_generator_steps: int = 1

    def __post_init__(self) -> None:
        def fail(name: str, rule: str) -> None:
            raise ValueError(f"GANTricks: {name} {rule}, got {getattr(self, name)!r}")

        def number(name: str) -> float:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                fail(name, "must be a finite number")
            return float(value)

        if not 0.5 < number("real_label") <= 1:
            fail("real_label", "must be in (0.5, 1]")
        if not 0 <= number("label_noise") < 0.5:
            fail("label_noise", "must be in [0, 0.5)")
        for name, allowed in (
            ("generator_loss", GENERATOR_LOSSES),
            ("latent", LATENT_DISTRIBUTIONS),
            ("batch_norm", BATCH_NORM_PLACES),
        ):
            if getattr(self, name) not in allowed:
                fail(name, f"must be one of {allowed}")
        for name in ("separate_batches", "dropout_at_sampling"):
            if not isinstance(getattr(self, name), bool):
                fail(name, "must be True or False")
        if self.batch_norm == "both" and not self.separate_batches:
            fail("batch_norm", "cannot be 'both' without separate_batches (real and fake statistics mix)")
        for name in ("leaky_slope", "instance_noise", "noise_layers", "historical_averaging", "entropy"):
            if number(name) < 0:
                fail(name, "must be >= 0")
        if number("leaky_slope") >= 1:
            fail("leaky_slope", "must be < 1")
        for name in ("discriminator_dropout", "generator_dropout", "average_generator"):
            if not 0 <= number(name) < 1:
                fail(name, "must be in [0, 1)")
        if not 0 < number("replay_fraction") <= 1:
            fail("replay_fraction", "must be in (0, 1]")
        for name, minimum in (("replay_buffer", 0), ("frozen_copies_every", 0), ("max_generator_steps", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                fail(name, f"must be an int >= {minimum}")
        epochs = self.instance_noise_epochs
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
            fail("instance_noise_epochs", "must be None or a positive int")
        if self.generator_loss_target is not None:
            number("generator_loss_target")

    @classmethod
    def book(cls) -> GANTricks:
        """The book's MNIST GAN: soft (0.9) and noisy labels, one concatenated batch, nothing else.

        One difference from the book's code remains: its label noise adds ``0.05 + U(0, 0.05)`` to
        every target (real targets 0.95 to 1.0, fake ones 0.05 to 0.10), while genfin's noise only
        softens a label (real 0.85 to 0.90, fake 0 to 0.05); the fields cannot express an upward
        shift of both.
        """
        return cls(batch_norm="none", separate_batches=False, instance_noise=0.0, average_generator=0.0)

    @classmethod
    def plain(cls) -> GANTricks:
        """The original GAN with no tricks: hard labels, minimax loss, uniform latents, ReLUs."""
        return cls(
            real_label=1.0,
            label_noise=0.0,
            generator_loss="minimax",
            latent="uniform",
            batch_norm="none",
            separate_batches=False,
            leaky_slope=0.0,
            instance_noise=0.0,
            discriminator_dropout=0.0,
            average_generator=0.0,
        )

    @classmethod
    def coerce(cls, value: GANTricks | dict[str, Any] | None) -> GANTricks:
        """``value`` as :class:`GANTricks`: None gives the defaults, a dict overrides some fields.

        Raises
        ------
        ValueError
            For an unknown field name, a bad value, or a value of another type.
        """
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            known = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(value) - known)
            if unknown:
                raise ValueError(f"GANTricks has no field(s) {unknown}; the fields are {sorted(known)}")
            return cls(**value)
        raise ValueError(
            f"tricks must be None, a GANTricks or a dict of its fields, got {type(value).__name__}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-safe dict (the inverse of ``GANTricks(**d)``)."""
        return dataclasses.asdict(self)


def sample_latent(
    n: int, latent_dim: int, distribution: str, generator: torch.Generator, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """``n`` latent vectors from a standard normal or from uniform [-1, 1] (``distribution``).

    Drawn on the CPU from ``generator`` and then moved, so a seed gives the same vectors on any device.
    """
    if distribution == "normal":
        z = torch.randn(n, latent_dim, generator=generator)
    elif distribution == "uniform":
        z = torch.rand(n, latent_dim, generator=generator) * 2 - 1
    else:
        raise ValueError(f"distribution must be one of {LATENT_DISTRIBUTIONS}, got {distribution!r}")
    return z.to(device)


class LabelTargets:
    """The discriminator's targets with soft and noisy labels.

    Real rows aim at ``real_label`` (the book: 0.9) and fakes at 0. With ``noise``, each target moves
    towards the other class by a uniform amount in ``[0, noise]``: noise only ever softens a label.
    """

    def __init__(self, real_label: float = 0.9, noise: float = 0.05) -> None:
        self.real_label = float(real_label)
        self.noise = float(noise)

    def _jitter(self, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        if self.noise == 0:
            return torch.zeros(n, device=device)
        return (torch.rand(n, generator=generator) * self.noise).to(device)

    def real(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        """Targets of ``n`` real rows."""
        return self.real_label - self._jitter(n, generator, torch.device(device))

    def fake(self, n: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
        """Targets of ``n`` fake rows."""
        return self._jitter(n, generator, torch.device(device))


def discriminator_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_targets: torch.Tensor,
    fake_targets: torch.Tensor,
) -> torch.Tensor:
    """Binary cross-entropy on logits, the mean of the real and the fake halves."""
    real = F.binary_cross_entropy_with_logits(real_logits, real_targets)
    fake = F.binary_cross_entropy_with_logits(fake_logits, fake_targets)
    return 0.5 * (real + fake)


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """The generator's loss from the discriminator's logits for its fakes.

    ``"non_saturating"``: ``-log D(G(z))`` (the book's "maximise the discriminator output"), strong
    gradients when the discriminator rejects the fakes. ``"minimax"``: ``log(1 - D(G(z)))``, the
    theoretical objective, whose gradient vanishes exactly then, at the start of training.
    """
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    raise ValueError(f"kind must be one of {GENERATOR_LOSSES}, got {kind!r}")


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
