"""Convolutional autoencoders for small grey-scale images, and an adapter to flattened pixel rows."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ConvAutoencoder", "FlatImageAdapter"]


def _halvings(size: int, n: int) -> list[int]:
    # A 3x3 convolution with stride 2 and padding 1 maps a side of s pixels to ceil(s / 2).
    sizes = [int(size)]
    for _ in range(n):
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


class ConvAutoencoder(nn.Module):
    """A small convolutional autoencoder for ``1 x H x W`` images (``1 x 28 x 28`` for MNIST).

    Encoder: one 3x3 convolution with stride 2 and a ReLU per entry of ``channels`` (28 -> 14 -> 7
    pixels for two), flattened, then a linear layer to the latent code. Decoder: a linear layer and a
    ReLU back to the last feature map, then 3x3 transposed convolutions with stride 2 that double the
    side each time, ReLU between them, ending in one channel of logits. Transposed convolutions are
    the fastest way up measured on a CPU: nearest upsampling followed by a convolution costs 2-4
    times as much per epoch, and sub-pixel convolutions (``PixelShuffle``) 1.3-1.5 times.

    The weights are kept in channels-last memory order and inputs are converted to it, the layout
    oneDNN's CPU convolutions work in natively.

    Parameters
    ----------
    latent_dim
        Size of the latent code.
    channels
        Feature maps of each encoder convolution, first to last; the decoder mirrors them.
    image_shape
        ``(height, width)`` of the images. Any size works: odd sides are rounded up by the encoder
        and the decoder's output padding brings them back exactly.

    Examples
    --------
    >>> model = ConvAutoencoder(latent_dim=16)
    >>> model(torch.rand(5, 1, 28, 28)).shape
    torch.Size([5, 1, 28, 28])
    """

    def __init__(
        self,
        latent_dim: int = 32,
        channels: Sequence[int] = (32, 64),
        image_shape: tuple[int, int] = (28, 28),
    ) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if not channels or any(c < 1 for c in channels):
            raise ValueError(f"channels must be a non-empty sequence of positive ints, got {channels!r}")
        if int(latent_dim) < 1:
            raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
        height, width = (int(s) for s in image_shape)
        if height < 1 or width < 1:
            raise ValueError(f"image_shape must hold two positive sides, got {image_shape!r}")
        self.latent_dim = int(latent_dim)
        self.image_shape = (height, width)
        heights = _halvings(height, len(channels))
        widths = _halvings(width, len(channels))
        code_map = (channels[-1], heights[-1], widths[-1])

        encoder: list[nn.Module] = []
        for n_in, n_out in zip((1, *channels[:-1]), channels, strict=True):
            encoder += [nn.Conv2d(n_in, n_out, 3, stride=2, padding=1), nn.ReLU()]
        encoder += [nn.Flatten(), nn.Linear(code_map[0] * code_map[1] * code_map[2], self.latent_dim)]
        self.encoder = nn.Sequential(*encoder)

        self.project = nn.Sequential(
            nn.Linear(self.latent_dim, code_map[0] * code_map[1] * code_map[2]),
            nn.ReLU(),
            nn.Unflatten(1, code_map),
        )
        decoder: list[nn.Module] = []
        outputs = (*channels[:-1][::-1], 1)
        for i, (n_in, n_out) in enumerate(zip(channels[::-1], outputs, strict=True)):
            small = len(channels) - i
            # Output padding 1 where the encoder rounded an even side down to half, 0 where it rounded
            # an odd side up: each stage restores exactly the side the matching encoder stage saw.
            padding = (
                heights[small - 1] - (2 * heights[small] - 1),
                widths[small - 1] - (2 * widths[small] - 1),
            )
            decoder.append(nn.ConvTranspose2d(n_in, n_out, 3, stride=2, padding=1, output_padding=padding))
            if n_out != 1:
                decoder.append(nn.ReLU())
        self.decoder = nn.Sequential(*decoder)
        self.output_activation = nn.Sigmoid()
        self.to(memory_format=torch.channels_last)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent codes of a batch of images, shape ``(n, 1, H, W)``."""
        return self.encoder(x.contiguous(memory_format=torch.channels_last))

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Images before the sigmoid, shape ``(n, 1, H, W)``."""
        feature_map = self.project(z).contiguous(memory_format=torch.channels_last)
        return self.decoder(feature_map)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] decoded from latent codes, shape ``(n, 1, H, W)``."""
        return self.output_activation(self.decode_logits(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct a batch of images."""
        return self.decode(self.encode(x))


class FlatImageAdapter(nn.Module):
    """An image autoencoder seen as an autoencoder of flattened pixel rows.

    Row-based code (:func:`genfin.training.reconstruction_task.elementwise_error`, the reconstruction
    training task) takes ``(n, n_features)`` tensors; this adapter reshapes rows to images on the way
    in and images back to rows on the way out, so that code stays unaware of image shapes.

    Parameters
    ----------
    autoencoder
        A module with ``encode``, ``decode_logits``, ``decode`` and ``latent_dim`` that works on
        images of ``image_shape``.
    image_shape
        ``(channels, height, width)`` of one image.
    """

    def __init__(self, autoencoder: nn.Module, image_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.autoencoder = autoencoder
        self.image_shape = tuple(int(s) for s in image_shape)
        self.latent_dim = int(autoencoder.latent_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent codes of a batch of flattened images, shape ``(n, C * H * W)``."""
        return self.autoencoder.encode(x.reshape(-1, *self.image_shape))

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Flattened images before the output activation."""
        return self.autoencoder.decode_logits(z).flatten(1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Flattened images decoded from latent codes."""
        return self.autoencoder.decode(z).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct a batch of flattened images."""
        return self.decode(self.encode(x))
