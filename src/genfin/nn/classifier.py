"""A small convolutional classifier of grey-scale images, whose penultimate layer serves as features."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ConvClassifier"]


class ConvClassifier(nn.Module):
    """A small convolutional network for ``1 x H x W`` grey-scale images (``1 x 28 x 28`` digits).

    Two (or ``len(channels)``) blocks of a 3x3 convolution with padding 1, batch normalisation, a
    ReLU and a 2x2 max pool (28 -> 14 -> 7 pixels), flattened, then a dense feature layer with a
    ReLU, dropout and a linear head of one logit per class. Batch normalisation makes the short
    trainings genfin uses converge faster: 99.2% MNIST test accuracy after 3 epochs, against 98.8%
    to 99.1% without it (measured while choosing the defaults of
    :class:`genfin.models.ImageClassifier`). :meth:`features` returns the feature layer's
    activations: the representation the Frechet distance of :mod:`genfin.evaluate.images`
    compares, as FID compares Inception's last pooling layer.

    The weights are kept in channels-last memory order and inputs are converted to it, the layout
    oneDNN's CPU convolutions work in natively.

    Parameters
    ----------
    n_classes
        Number of classes (logits).
    channels
        Feature maps of each convolution block, first to last.
    feature_dim
        Units of the dense feature layer.
    dropout
        Dropout rate between the feature layer and the head, during training only; the features
        themselves are taken before it.
    image_shape
        ``(height, width)`` of the images; each block halves the sides, rounding down, so they must
        be at least ``2 ** len(channels)`` pixels.

    Examples
    --------
    >>> model = ConvClassifier().eval()
    >>> model(torch.rand(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    >>> model.features(torch.rand(5, 1, 28, 28)).shape
    torch.Size([5, 128])
    """

    def __init__(
        self,
        n_classes: int = 10,
        channels: Sequence[int] = (32, 64),
        feature_dim: int = 128,
        dropout: float = 0.25,
        image_shape: tuple[int, int] = (28, 28),
    ) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if not channels or any(c < 1 for c in channels):
            raise ValueError(f"channels must be a non-empty sequence of positive ints, got {channels!r}")
        if int(n_classes) < 2:
            raise ValueError(f"n_classes must be at least 2, got {n_classes!r}")
        if int(feature_dim) < 1:
            raise ValueError(f"feature_dim must be a positive int, got {feature_dim!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        height, width = (int(s) for s in image_shape)
        smallest = 2 ** len(channels)
        if height < smallest or width < smallest:
            raise ValueError(
                f"image_shape {image_shape!r} is too small for {len(channels)} pooling blocks; "
                f"each side must be at least {smallest} pixels"
            )
        self.n_classes = int(n_classes)
        self.feature_dim = int(feature_dim)
        self.image_shape = (height, width)

        blocks: list[nn.Module] = []
        for n_in, n_out in zip((1, *channels[:-1]), channels, strict=True):
            blocks += [
                nn.Conv2d(n_in, n_out, 3, padding=1),
                nn.BatchNorm2d(n_out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            height, width = height // 2, width // 2
        self.conv = nn.Sequential(*blocks)
        self.dense = nn.Sequential(
            nn.Flatten(), nn.Linear(channels[-1] * height * width, self.feature_dim), nn.ReLU()
        )
        self.dropout = nn.Dropout(float(dropout))
        self.head = nn.Linear(self.feature_dim, self.n_classes)
        self.to(memory_format=torch.channels_last)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the dense feature layer (after its ReLU), shape ``(n, feature_dim)``."""
        return self.dense(self.conv(x.contiguous(memory_format=torch.channels_last)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of a batch of images ``(n, 1, H, W)``, shape ``(n, n_classes)``."""
        return self.head(self.dropout(self.features(x)))
