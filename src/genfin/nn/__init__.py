"""Neural network architectures as plain ``torch.nn.Module`` classes: no training, no data files."""

from genfin.nn.activations import make_activation
from genfin.nn.classifier import ConvClassifier
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
from genfin.nn.sgan import SGANDiscriminator, SGANEnsemble, SGANNetworks, book_sgan_body, improved_gan_body
from genfin.nn.vae import VariationalAutoencoder

__all__ = [
    "ConvClassifier",
    "ConvAutoencoder",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DenseAutoencoder",
    "FlatImageAdapter",
    "GANNetworks",
    "GaussianNoise",
    "MLPDiscriminator",
    "MLPGenerator",
    "SGANDiscriminator",
    "SGANEnsemble",
    "SGANNetworks",
    "VariationalAutoencoder",
    "book_sgan_body",
    "dense_stack",
    "improved_gan_body",
    "make_activation",
]
