"""GAN generators and discriminators: the book's DCGAN for images and MLPs for transaction rows.

Every discriminator returns one *logit* per row; training uses ``binary_cross_entropy_with_logits``,
which is stable where a sigmoid followed by a log is not. Apply ``torch.sigmoid`` outside training to
read the logit as the probability that a row is real.

Conditional variants (``n_classes > 0``) follow "if you have labels, use them": the generator
concatenates a learnt embedding of the label to the latent vector, and the discriminator adds a
projection term (the inner product of a label embedding with its penultimate features, Miyato and
Koyama 2018), which conditions the decision without widening the input.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "GANNetworks",
    "GaussianNoise",
    "MLPDiscriminator",
    "MLPGenerator",
    "SamplingDropout",
]

#: The book's slope for negative inputs of LeakyReLU (and the DCGAN paper's).
BOOK_SLOPE = 0.2
#: The book initialises the generator's first dense layer and the discriminator's first convolution
#: from N(0, 0.02): a Gaussian has fewer extreme values than the default uniform initialisers.
BOOK_INIT_STD = 0.02


class GaussianNoise(nn.Module):
    """Add ``N(0, std^2)`` noise to activations in train mode only (Keras's ``GaussianNoise`` layer).

    The book's "noise layers" trick: noise keeps the discriminator from becoming too sure too early.
    ``std`` is a plain attribute, so a schedule may change it during training. The noise is drawn
    from torch's global generator, which estimators fork with ``genfin.training.seeded`` and
    checkpoints save, like dropout's.
    """

    def __init__(self, std: float) -> None:
        super().__init__()
        if std < 0:
            raise ValueError(f"std must be >= 0, got {std!r}")
        self.std = float(std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` plus noise in train mode; ``x`` itself in eval mode or when ``std`` is 0."""
        if not self.training or self.std == 0:
            return x
        return x + self.std * torch.randn_like(x)

    def extra_repr(self) -> str:  # noqa: D102
        return f"std={self.std}"


class SamplingDropout(nn.Dropout):
    """Dropout that can stay on in eval mode: the book's "dropout in G in both train and test phases".

    With ``at_sampling=True`` the generator keeps dropping units when it samples, which some find
    gives better samples; with ``False`` it is ordinary dropout.
    """

    def __init__(self, p: float, at_sampling: bool = False) -> None:
        super().__init__(p)
        self.at_sampling = bool(at_sampling)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Dropout when training, or always with ``at_sampling``."""
        return F.dropout(x, self.p, self.training or self.at_sampling)


def _check_common(latent_dim: int | None, n_classes: int, dropout: float, noise_std: float) -> None:
    if latent_dim is not None and int(latent_dim) < 1:
        raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
    if int(n_classes) < 0:
        raise ValueError(f"n_classes must be >= 0 (0 for an unconditional GAN), got {n_classes!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if noise_std < 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std!r}")


def _check_sizes(name: str, sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(int(s) for s in sizes)
    if not sizes or any(s < 1 for s in sizes):
        raise ValueError(f"{name} must be a non-empty sequence of positive ints, got {sizes!r}")
    return sizes


class _Conditioned(nn.Module):
    """Shared label handling: an embedding of the class, checked against ``n_classes``."""

    n_classes: int

    def _check_labels(self, x: torch.Tensor, labels: torch.Tensor | None) -> None:
        if self.n_classes and labels is None:
            raise ValueError(
                f"this {type(self).__name__} is conditional ({self.n_classes} classes): pass labels"
            )
        if not self.n_classes and labels is not None:
            raise ValueError(
                f"this {type(self).__name__} is unconditional (n_classes=0): labels must be None"
            )
        if labels is not None and labels.shape != (x.shape[0],):
            raise ValueError(f"labels must have shape ({x.shape[0]},), got {tuple(labels.shape)}")


class _Generator(_Conditioned):
    """Latent vector (plus label embedding) in, sample out; subclasses define ``body``."""

    def __init__(self, latent_dim: int, n_classes: int) -> None:
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.n_classes = int(n_classes)
        # As wide as the latent vector, so the label carries as much weight as the noise at first.
        self.label_embedding = nn.Embedding(self.n_classes, self.latent_dim) if self.n_classes else None
        self.input_dim = self.latent_dim * (2 if self.n_classes else 1)

    def _input(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent vectors must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        self._check_labels(z, labels)
        if self.label_embedding is None:
            return z
        return torch.cat([z, self.label_embedding(labels)], dim=1)


class _Discriminator(_Conditioned):
    """Features from ``features``, then one logit, plus the projection term when conditional."""

    def __init__(self, n_features: int, n_classes: int) -> None:
        super().__init__()
        self.n_classes = int(n_classes)
        self.head = nn.Linear(n_features, 1)
        self.label_projection = nn.Embedding(self.n_classes, n_features) if self.n_classes else None

    def features(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """Penultimate features of a batch, shape ``(n, n_features)``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """One logit per row, shape ``(n,)``: positive means "looks real"."""
        self._check_labels(x, labels)
        h = self.features(x)
        logits = self.head(h).squeeze(1)
        if self.label_projection is not None:
            logits = logits + (self.label_projection(labels) * h).sum(dim=1)
        return logits


def _halved(side: int) -> int:
    # A 5x5 convolution with stride 2 and padding 2 maps a side of s pixels to ceil(s / 2).
    return (side + 1) // 2


def _book_init(layer: nn.Linear | nn.Conv2d) -> None:
    nn.init.normal_(layer.weight, 0.0, BOOK_INIT_STD)
    nn.init.zeros_(layer.bias)


class DCGANGenerator(_Generator):
    """The book's DCGAN generator, for ``1 x H x W`` images with pixels in [-1, 1].

    ``latent -> dense 128 x H/4 x W/4 -> LeakyReLU(0.2) -> upsample x2 -> conv 5x5 64 -> LeakyReLU ->
    upsample x2 -> conv 5x5 1 -> tanh`` (``7 x 7 -> 28 x 28`` for MNIST). Sides that are not multiples
    of 4 are rounded up and the output is cropped. Nearest-neighbour upsampling followed by a
    convolution, as in the book, avoids the checkerboard artefacts of transposed convolutions.
    Weights are kept channels-last, the layout oneDNN's CPU convolutions work in.

    Parameters
    ----------
    latent_dim
        Size of the latent vector (the book: 100).
    image_shape
        ``(height, width)`` of the images.
    channels
        Feature maps after the dense layer and after the first convolution (the book: 128, 64).
    n_classes
        0 for an unconditional generator; else the label is embedded and joined to the latent.
    batch_norm
        Batch normalisation after the dense layer and the first convolution (a book trick; off in
        the book's code).
    dropout
        Dropout after each hidden LeakyReLU; 0 disables it.
    dropout_at_sampling
        Keep that dropout on in eval mode, when sampling.
    noise_std
        Standard deviation of :class:`GaussianNoise` layers after each hidden LeakyReLU (train mode).
    slope
        Negative slope of the LeakyReLUs; the book: 0.2 (0 would be a ReLU, with its sparse gradients).
    """

    def __init__(
        self,
        latent_dim: int = 100,
        image_shape: tuple[int, int] = (28, 28),
        channels: Sequence[int] = (128, 64),
        n_classes: int = 0,
        *,
        batch_norm: bool = False,
        dropout: float = 0.0,
        dropout_at_sampling: bool = False,
        noise_std: float = 0.0,
        slope: float = BOOK_SLOPE,
    ) -> None:
        _check_common(latent_dim, n_classes, dropout, noise_std)
        super().__init__(latent_dim, n_classes)
        channels = _check_sizes("channels", channels)
        if len(channels) != 2:
            raise ValueError(f"channels must hold two sizes (dense map, first convolution), got {channels!r}")
        height, width = (int(s) for s in image_shape)
        if height < 1 or width < 1:
            raise ValueError(f"image_shape must hold two positive sides, got {image_shape!r}")
        self.image_shape = (height, width)
        self.start_shape = (channels[0], -(-height // 4), -(-width // 4))

        def hidden(n: int, two_d: bool) -> list[nn.Module]:
            layers: list[nn.Module] = []
            if batch_norm:
                layers.append(nn.BatchNorm2d(n) if two_d else nn.BatchNorm1d(n))
            layers.append(nn.LeakyReLU(slope))
            if dropout:
                layers.append(SamplingDropout(dropout, dropout_at_sampling))
            if noise_std:
                layers.append(GaussianNoise(noise_std))
            return layers

        dense = nn.Linear(self.input_dim, channels[0] * self.start_shape[1] * self.start_shape[2])
        _book_init(dense)
        self.project = nn.Sequential(
            dense, *hidden(dense.out_features, False), nn.Unflatten(1, self.start_shape)
        )
        self.body = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(channels[0], channels[1], 5, padding=2),
            *hidden(channels[1], True),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(channels[1], 1, 5, padding=2),
            nn.Tanh(),
        )
        self.to(memory_format=torch.channels_last)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] of shape ``(n, 1, H, W)`` from latent vectors ``(n, latent_dim)``."""
        start = self.project(self._input(z, labels)).contiguous(memory_format=torch.channels_last)
        images = self.body(start)
        height, width = self.image_shape
        return images[:, :, :height, :width]


class DCGANDiscriminator(_Discriminator):
    """The book's DCGAN discriminator: real or fake for ``1 x H x W`` images in [-1, 1].

    ``conv 5x5 stride 2 64 -> LeakyReLU(0.2) -> dropout 0.3 -> conv 5x5 stride 2 128 -> LeakyReLU ->
    dropout -> dense 1`` (a logit; the book's sigmoid is folded into the loss). No max pooling: its
    gradients are sparse, and strided convolutions downsample instead.

    Parameters
    ----------
    image_shape
        ``(height, width)`` of the images.
    channels
        Feature maps of the two convolutions (the book: 64, 128).
    n_classes
        0 for an unconditional discriminator; else a projection term conditions the logit on the label.
    dropout
        Dropout after each LeakyReLU (the book: 0.3, "also just before the last layer").
    batch_norm
        Batch normalisation after the second convolution (not the first, as in DCGAN). Train it on
        separate real and fake batches so that batch statistics do not mix the two.
    noise_std
        Standard deviation of :class:`GaussianNoise` layers after each LeakyReLU (train mode).
    slope
        Negative slope of the LeakyReLUs.
    """

    def __init__(
        self,
        image_shape: tuple[int, int] = (28, 28),
        channels: Sequence[int] = (64, 128),
        n_classes: int = 0,
        *,
        dropout: float = 0.3,
        batch_norm: bool = False,
        noise_std: float = 0.0,
        slope: float = BOOK_SLOPE,
    ) -> None:
        _check_common(None, n_classes, dropout, noise_std)
        channels = _check_sizes("channels", channels)
        if len(channels) != 2:
            raise ValueError(f"channels must hold two sizes (the two convolutions), got {channels!r}")
        height, width = (int(s) for s in image_shape)
        if height < 1 or width < 1:
            raise ValueError(f"image_shape must hold two positive sides, got {image_shape!r}")
        out_h, out_w = _halved(_halved(height)), _halved(_halved(width))
        super().__init__(channels[1] * out_h * out_w, n_classes)
        self.image_shape = (height, width)
        first = nn.Conv2d(1, channels[0], 5, stride=2, padding=2)
        _book_init(first)
        layers: list[nn.Module] = []
        for i, conv in enumerate((first, nn.Conv2d(channels[0], channels[1], 5, stride=2, padding=2))):
            layers.append(conv)
            if batch_norm and i == 1:
                layers.append(nn.BatchNorm2d(conv.out_channels))
            layers.append(nn.LeakyReLU(slope))
            if noise_std:
                layers.append(GaussianNoise(noise_std))
            if dropout:
                layers.append(nn.Dropout(dropout))
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.to(memory_format=torch.channels_last)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Flattened feature maps of images ``(n, 1, H, W)``."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, *self.image_shape):
            raise ValueError(
                f"images must have shape (n, 1, {self.image_shape[0]}, {self.image_shape[1]}), "
                f"got {tuple(x.shape)}"
            )
        return self.body(x.contiguous(memory_format=torch.channels_last))


class MLPGenerator(_Generator):
    """A dense generator of table rows scaled to [-1, 1]: LeakyReLU hidden layers, a tanh output.

    Parameters
    ----------
    latent_dim
        Size of the latent vector.
    n_features
        Width of a generated row.
    hidden_layer_sizes
        Widths of the hidden layers.
    n_classes
        0 for an unconditional generator; else the label is embedded and joined to the latent.
    batch_norm, dropout, dropout_at_sampling, noise_std, slope
        As for :class:`DCGANGenerator`, applied after every hidden layer.
    """

    def __init__(
        self,
        latent_dim: int,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (128, 128),
        n_classes: int = 0,
        *,
        batch_norm: bool = False,
        dropout: float = 0.0,
        dropout_at_sampling: bool = False,
        noise_std: float = 0.0,
        slope: float = BOOK_SLOPE,
    ) -> None:
        _check_common(latent_dim, n_classes, dropout, noise_std)
        super().__init__(latent_dim, n_classes)
        sizes = _check_sizes("hidden_layer_sizes", hidden_layer_sizes)
        if int(n_features) < 1:
            raise ValueError(f"n_features must be a positive int, got {n_features!r}")
        self.n_features = int(n_features)
        layers: list[nn.Module] = []
        for n_in, n_out in zip((self.input_dim, *sizes[:-1]), sizes, strict=True):
            layers.append(nn.Linear(n_in, n_out))
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(nn.LeakyReLU(slope))
            if dropout:
                layers.append(SamplingDropout(dropout, dropout_at_sampling))
            if noise_std:
                layers.append(GaussianNoise(noise_std))
        self.body = nn.Sequential(*layers, nn.Linear(sizes[-1], self.n_features), nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Rows in [-1, 1] of shape ``(n, n_features)`` from latent vectors ``(n, latent_dim)``."""
        return self.body(self._input(z, labels))


class MLPDiscriminator(_Discriminator):
    """A dense discriminator of table rows (or latent codes): LeakyReLU hidden layers, one logit.

    Parameters
    ----------
    n_features
        Width of an input row.
    hidden_layer_sizes
        Widths of the hidden layers.
    n_classes
        0 for an unconditional discriminator; else a projection term conditions the logit.
    dropout, batch_norm, noise_std, slope
        As for :class:`DCGANDiscriminator`, applied after every hidden layer (batch norm after all
        but the first, as DCGAN does).
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (128, 128),
        n_classes: int = 0,
        *,
        dropout: float = 0.3,
        batch_norm: bool = False,
        noise_std: float = 0.0,
        slope: float = BOOK_SLOPE,
    ) -> None:
        _check_common(None, n_classes, dropout, noise_std)
        sizes = _check_sizes("hidden_layer_sizes", hidden_layer_sizes)
        if int(n_features) < 1:
            raise ValueError(f"n_features must be a positive int, got {n_features!r}")
        super().__init__(sizes[-1], n_classes)
        self.n_features = int(n_features)
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip((self.n_features, *sizes[:-1]), sizes, strict=True)):
            layers.append(nn.Linear(n_in, n_out))
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(nn.LeakyReLU(slope))
            if noise_std:
                layers.append(GaussianNoise(noise_std))
            if dropout:
                layers.append(nn.Dropout(dropout))
        self.body = nn.Sequential(*layers)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer's activations of rows ``(n, n_features)``."""
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"rows must have shape (n, {self.n_features}), got {tuple(x.shape)}")
        return self.body(x)


class GANNetworks(nn.Module):
    """A trained GAN's networks in one module, so that they save and load together.

    Parameters
    ----------
    generator, discriminator
        The two adversaries.
    average_generator
        An exponential moving average of the generator's weights (a target network), or None.
        When present it is the one :attr:`sampler` returns: averaged weights oscillate less than the
        last step's and usually give better samples.
    """

    def __init__(
        self, generator: nn.Module, discriminator: nn.Module, average_generator: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.average_generator = average_generator

    @property
    def sampler(self) -> nn.Module:
        """The generator to draw samples from: the averaged one when there is one."""
        return self.average_generator if self.average_generator is not None else self.generator

    @property
    def latent_dim(self) -> int:
        """Size of the generator's latent vector."""
        return int(self.generator.latent_dim)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Samples from latent vectors (and labels, when conditional), by :attr:`sampler`."""
        return self.sampler(z, labels)
