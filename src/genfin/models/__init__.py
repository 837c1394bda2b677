"""Estimators after scikit-learn's contract: they own the data handling, the loop and fitted state."""

from genfin.models.aae import AdversarialAutoencoder
from genfin.models.autoencoder import AutoencoderDetector
from genfin.models.gan import GAN
from genfin.models.image_autoencoder import ImageAutoencoder
from genfin.models.image_classifier import ImageClassifier
from genfin.models.pseudo_label import PseudoLabelClassifier
from genfin.models.registry import load
from genfin.models.sgan import SGANClassifier
from genfin.models.vae import VAE

__all__ = [
    "AdversarialAutoencoder",
    "AutoencoderDetector",
    "GAN",
    "ImageAutoencoder",
    "ImageClassifier",
    "PseudoLabelClassifier",
    "SGANClassifier",
    "VAE",
    "load",
]
