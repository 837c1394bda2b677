"""The semi-supervised GAN's discriminator: one body, a real-or-fake output and a class output.

A semi-supervised GAN (SGAN) trains its discriminator as a classifier too. For ``K`` classes it
outputs ``K + 1`` class logits (the ``K`` real classes and "fake") and a real-or-fake logit. Two
formulations are supported, chosen by ``separate_real_head``:

``separate_real_head=True`` (the book's, chapter 6)
    A sigmoid head for real-or-fake and a softmax head over ``K + 1`` classes, both on the same
    features, so that "the real or not classification [shares] weights with the which-class
    classifier".
``separate_real_head=False`` (Salimans et al., 2016, "Improved techniques for training GANs")
    Only ``K`` logits are learnt; the fake class's logit is fixed at 0. A softmax over
    ``K + 1`` logits is unchanged by subtracting the same value from every logit, so fixing one
    loses nothing: this *is* a ``K + 1``-class classifier. The probability of "real" is then
    ``Z / (Z + 1)`` with ``Z = sum_k exp(l_k)``, so the real-or-fake logit is ``logsumexp(l)``.

Either way :meth:`SGANDiscriminator.forward` returns the real logit ``(n,)`` and all ``K + 1``
class logits ``(n, K + 1)`` (the last column is the fake class), so the training task and the
estimator need not know which formulation they hold. :meth:`~SGANDiscriminator.features` gives the
last hidden layer, which feature matching compares between real and generated batches.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from genfin.nn.gan import BOOK_SLOPE, GaussianNoise

__all__ = [
    "IMPROVED_GAN_MNIST_HIDDEN",
    "NormalisedLinear",
    "SGANDiscriminator",
    "SGANEnsemble",
    "SGANNetworks",
    "book_sgan_body",
    "improved_gan_body",
]

#: The hidden widths of Salimans et al.'s MNIST discriminator.
IMPROVED_GAN_MNIST_HIDDEN = (1000, 500, 250, 250, 250)
#: Keras's BatchNormalization(momentum=0.8) keeps 0.8 of the running average per step; torch's
#: ``momentum`` is the weight of the new batch, so the book's setting is 0.2 here.
BOOK_BN_MOMENTUM = 0.2


def book_sgan_body(
    n_features: int,
    hidden_layer_sizes: Sequence[int] = (31, 16),
    *,
    dropout: float = 0.25,
    slope: float = BOOK_SLOPE,
) -> nn.Sequential:
    """The book's tabular discriminator body: ``29 -> 31 -> 16`` for the card data.

    Each hidden layer is dense then LeakyReLU(0.2); every layer but the last adds batch
    normalisation (Keras momentum 0.8) and dropout 0.25, as in the book's code. Other widths give a
    deeper or wider body of the same pattern.
    """
    sizes = _check_sizes(hidden_layer_sizes)
    if int(n_features) < 1:
        raise ValueError(f"n_features must be a positive int, got {n_features!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip((int(n_features), *sizes[:-1]), sizes, strict=True)):
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(slope)]
        if i < len(sizes) - 1:
            layers.append(nn.BatchNorm1d(n_out, momentum=BOOK_BN_MOMENTUM))
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class NormalisedLinear(nn.Module):
    """A dense layer with weight normalisation: unit ``i``'s weights are ``scale_i * v_i / |v_i|``.

    As in Salimans et al.'s MNIST code, the hidden layers' scales are not trained
    (``train_scale=False``: a buffer): :meth:`initialise` sets them once from data, so that every
    unit's pre-activation has unit variance on real images, and training then only turns the
    weight directions. With the scales fixed the discriminator cannot grow its activations until
    the noise layers between them stop mattering, which keeps their regularisation in force all
    through training. Only the class head trains its scales.
    """

    def __init__(self, n_in: int, n_out: int, *, train_scale: bool = False) -> None:
        super().__init__()
        self.direction = nn.Parameter(0.1 * torch.randn(int(n_out), int(n_in)))
        scale = torch.ones(int(n_out))
        if train_scale:
            self.scale = nn.Parameter(scale)
        else:
            self.register_buffer("scale", scale)
        self.bias = nn.Parameter(torch.zeros(int(n_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ W.T + b`` with the normalised weights ``W``."""
        weight = self.direction * (self.scale / self.direction.norm(dim=1)).unsqueeze(1)
        return F.linear(x, weight, self.bias)

    @torch.no_grad()
    def initialise(self, x: torch.Tensor) -> torch.Tensor:
        """Set scale and bias so that each unit's outputs on ``x`` have mean 0 and variance 1.

        Salimans and Kingma's data-dependent initialisation. Returns the new outputs on ``x``, so
        that the next layer can be initialised on them.
        """
        self.scale.fill_(1.0)
        self.bias.zero_()
        out = self(x)
        mean, std = out.mean(dim=0), out.std(dim=0, unbiased=False).clamp_min(1e-6)
        self.scale.div_(std)
        self.bias.copy_(-mean / std)
        return (out - mean) / std

    def extra_repr(self) -> str:  # noqa: D102
        n_out, n_in = self.direction.shape
        return f"in_features={n_in}, out_features={n_out}, train_scale={isinstance(self.scale, nn.Parameter)}"


def improved_gan_body(
    n_features: int,
    hidden_layer_sizes: Sequence[int] = IMPROVED_GAN_MNIST_HIDDEN,
    *,
    input_noise: float = 0.6,
    hidden_noise: float = 0.5,
    weight_normalised: bool = True,
) -> nn.Sequential:
    """Salimans et al.'s MNIST discriminator body: noise layers and weight-normalised dense layers.

    ``GaussianNoise(input_noise)`` on the input, then per hidden layer a dense layer with fixed
    weight-normalisation scales (:class:`NormalisedLinear`), a ReLU, and ``GaussianNoise
    (hidden_noise)`` on the activations: their order, noise after the ReLU. The last hidden
    layer's noise belongs to :class:`SGANDiscriminator` (``feature_noise``), because feature
    matching reads the features before it. Noise in train mode only. With 784 inputs and the
    default widths this is the discriminator that reached about 99% accuracy on MNIST with 100
    labels in the paper (with feature matching). The default input noise 0.6 is for pixels in
    [-1, 1], genfin's scale: their 0.3 on pixels in [0, 1].
    """
    sizes = _check_sizes(hidden_layer_sizes)
    if int(n_features) < 1:
        raise ValueError(f"n_features must be a positive int, got {n_features!r}")
    layers: list[nn.Module] = [GaussianNoise(input_noise)] if input_noise else []
    for i, (n_in, n_out) in enumerate(zip((int(n_features), *sizes[:-1]), sizes, strict=True)):
        layers += [NormalisedLinear(n_in, n_out) if weight_normalised else nn.Linear(n_in, n_out), nn.ReLU()]
        if hidden_noise and i < len(sizes) - 1:
            layers.append(GaussianNoise(hidden_noise))
    return nn.Sequential(*layers)


class SGANDiscriminator(nn.Module):
    """A body shared by a real-or-fake output and a classifier over ``n_classes`` + "fake".

    Parameters
    ----------
    body
        Maps a batch ``(n, n_features)`` (images flattened) to features ``(n, feature_dim)``.
    feature_dim
        Width of the body's output.
    n_classes
        Number of real classes ``K`` (at least 2).
    separate_real_head
        True: the book's sigmoid head plus ``K + 1`` learnt class logits. False: Salimans et al.'s
        ``K`` learnt logits with the fake logit fixed at 0 and the real logit ``logsumexp``.
    weight_normalised_head
        Weight-normalise the class head with trained scales (Salimans et al. do, for images).
    feature_noise
        Standard deviation of Gaussian noise added to the features before the heads, in train
        mode (Salimans et al.'s last noise layer); feature matching reads the features before it.
    """

    def __init__(
        self,
        body: nn.Module,
        feature_dim: int,
        n_classes: int,
        *,
        separate_real_head: bool = False,
        weight_normalised_head: bool = False,
        feature_noise: float = 0.0,
    ) -> None:
        super().__init__()
        if int(n_classes) < 2:
            raise ValueError(f"n_classes must be at least 2, got {n_classes!r}")
        self.body = body
        self.n_classes = int(n_classes)
        self.separate_real_head = bool(separate_real_head)
        n_logits = self.n_classes + int(self.separate_real_head)
        self.class_head = (
            NormalisedLinear(int(feature_dim), n_logits, train_scale=True)
            if weight_normalised_head
            else nn.Linear(int(feature_dim), n_logits)
        )
        self.real_head = nn.Linear(int(feature_dim), 1) if self.separate_real_head else None
        self.feature_noise = GaussianNoise(feature_noise)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, ``(n, feature_dim)``; images are flattened first."""
        if x.ndim > 2:
            x = x.flatten(1)
        return self.body(x)

    def heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Real-or-fake logit ``(n,)`` and ``K + 1`` class logits ``(n, K + 1)`` from features ``h``."""
        h = self.feature_noise(h)
        logits = self.class_head(h)
        if self.real_head is not None:
            return self.real_head(h).squeeze(1), logits
        # The fake class's logit is a constant 0; then log(Z) - log(1) is the logit of "real".
        real = torch.logsumexp(logits, dim=1)
        return real, torch.cat([logits, logits.new_zeros(logits.shape[0], 1)], dim=1)

    @torch.no_grad()
    def initialise(self, x: torch.Tensor) -> None:
        """Data-dependent initialisation of every :class:`NormalisedLinear`, in order, on real rows ``x``.

        Noise is off while the layers are measured; the module's train/eval mode is kept.
        """
        was_training = self.training
        self.eval()
        h = x.flatten(1) if x.ndim > 2 else x
        body = list(self.body) if isinstance(self.body, nn.Sequential) else [self.body]
        for layer in (*body, self.class_head):
            h = layer.initialise(h) if isinstance(layer, NormalisedLinear) else layer(h)
        self.train(was_training)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Real-or-fake logit ``(n,)`` (positive: looks real) and class logits ``(n, K + 1)``.

        The last class column is "fake"; classify with the first ``K`` columns only.
        """
        return self.heads(self.features(x))


class SGANNetworks(nn.Module):
    """A trained SGAN's generator and discriminator in one module, so that they save together."""

    def __init__(self, generator: nn.Module, discriminator: SGANDiscriminator) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of the ``K`` real classes for a batch ``x`` (the fake class dropped)."""
        return self.discriminator(x)[1][:, : self.discriminator.n_classes]


class SGANEnsemble(nn.Module):
    """Several trained SGANs (cross-fitted members) in one module, so that they save together."""

    def __init__(self, members: Sequence[SGANNetworks]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's logits of the ``K`` real classes, stacked: ``(n_members, n, K)``.

        The caller combines them after any per-class correction (the estimator averages the
        members' probabilities).
        """
        return torch.stack([member(x) for member in self.members])


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    checked = tuple(int(s) for s in sizes)
    if not checked or any(s < 1 for s in checked):
        raise ValueError(f"hidden_layer_sizes must be a non-empty sequence of positive ints, got {sizes!r}")
    return checked
