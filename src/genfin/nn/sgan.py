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
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from genfin.nn.gan import BOOK_SLOPE, GaussianNoise

__all__ = [
    "IMPROVED_GAN_MNIST_HIDDEN",
    "SGANDiscriminator",
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


def improved_gan_body(
    n_features: int,
    hidden_layer_sizes: Sequence[int] = IMPROVED_GAN_MNIST_HIDDEN,
    *,
    input_noise: float = 0.3,
    hidden_noise: float = 0.5,
    weight_normalised: bool = True,
) -> nn.Sequential:
    """Salimans et al.'s MNIST discriminator body: noise layers and weight-normalised dense layers.

    ``GaussianNoise(0.3)`` on the input, then per hidden layer a weight-normalised dense layer,
    ``GaussianNoise(0.5)`` and a ReLU (their order: noise on the pre-activation). Noise in train
    mode only. With 784 inputs and the default widths this is the discriminator that reached
    about 99% accuracy on MNIST with 100 labels in the paper (with feature matching).
    """
    sizes = _check_sizes(hidden_layer_sizes)
    if int(n_features) < 1:
        raise ValueError(f"n_features must be a positive int, got {n_features!r}")
    layers: list[nn.Module] = [GaussianNoise(input_noise)] if input_noise else []
    for n_in, n_out in zip((int(n_features), *sizes[:-1]), sizes, strict=True):
        linear = nn.Linear(n_in, n_out)
        layers.append(weight_norm(linear) if weight_normalised else linear)
        if hidden_noise:
            layers.append(GaussianNoise(hidden_noise))
        layers.append(nn.ReLU())
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
        Weight-normalise the class head (Salimans et al. do, for the image variant).
    """

    def __init__(
        self,
        body: nn.Module,
        feature_dim: int,
        n_classes: int,
        *,
        separate_real_head: bool = False,
        weight_normalised_head: bool = False,
    ) -> None:
        super().__init__()
        if int(n_classes) < 2:
            raise ValueError(f"n_classes must be at least 2, got {n_classes!r}")
        self.body = body
        self.n_classes = int(n_classes)
        self.separate_real_head = bool(separate_real_head)
        head = nn.Linear(int(feature_dim), self.n_classes + int(self.separate_real_head))
        self.class_head = weight_norm(head) if weight_normalised_head else head
        self.real_head = nn.Linear(int(feature_dim), 1) if self.separate_real_head else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, ``(n, feature_dim)``; images are flattened first."""
        if x.ndim > 2:
            x = x.flatten(1)
        return self.body(x)

    def heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Real-or-fake logit ``(n,)`` and ``K + 1`` class logits ``(n, K + 1)`` from features ``h``."""
        logits = self.class_head(h)
        if self.real_head is not None:
            return self.real_head(h).squeeze(1), logits
        # The fake class's logit is a constant 0; then log(Z) - log(1) is the logit of "real".
        real = torch.logsumexp(logits, dim=1)
        return real, torch.cat([logits, logits.new_zeros(logits.shape[0], 1)], dim=1)

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


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    checked = tuple(int(s) for s in sizes)
    if not checked or any(s < 1 for s in checked):
        raise ValueError(f"hidden_layer_sizes must be a non-empty sequence of positive ints, got {sizes!r}")
    return checked
