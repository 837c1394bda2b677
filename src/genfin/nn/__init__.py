"""Neural network architectures as plain ``torch.nn.Module`` classes: no training, no data files."""

from genfin.nn.activations import make_activation
from genfin.nn.conv import ConvAutoencoder, FlatImageAdapter
from genfin.nn.dense import DenseAutoencoder, dense_stack
from genfin.nn.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    GANNetworks,
    GaussianNoise,
    MLPDiscriminator,
    MLPGenerator,
)
from genfin.nn.vae import VariationalAutoencoder

__all__ = [
    "ConvAutoencoder",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DenseAutoencoder",
    "FlatImageAdapter",
    "GANNetworks",
    "GaussianNoise",
    "MLPDiscriminator",
    "MLPGenerator",
    "VariationalAutoencoder",
    "dense_stack",
    "make_activation",
]
