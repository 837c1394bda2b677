"""The book's GAN training tricks as switches, :class:`GANTricks`, and the loss and latent helpers they set.

Chapter 6 lists the tricks that "make GANs work better" with the remark that it is often not known
why they work. Each one is switched by a field of :class:`GANTricks`, so an experiment can turn any
of them off. The labels, losses and latent vectors those fields choose are here; the stateful
tricks (instance noise, replay buffer, averaged and frozen copies, ...) are in
:mod:`genfin.training.gan_stabilisers`. Everything random draws from a ``torch.Generator`` handed
in, so a checkpointed run resumes exactly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "GANTricks",
    "LabelTargets",
    "discriminator_loss",
    "generator_loss",
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
