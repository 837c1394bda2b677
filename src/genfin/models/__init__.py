"""Estimators after scikit-learn's contract: they own the data handling, the loop and fitted state."""

from genfin.models.autoencoder import AutoencoderDetector
from genfin.models.image_autoencoder import ImageAutoencoder
from genfin.models.registry import load
from genfin.models.vae import VAE

__all__ = ["AutoencoderDetector", "ImageAutoencoder", "VAE", "load"]
