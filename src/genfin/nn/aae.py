"""The adversarial autoencoder's networks: a dense autoencoder and a discriminator of its codes.

The book names the adversarial autoencoder (Makhzani et al. 2015) among the GANs that work well: an
autoencoder whose codes are pushed towards a prior (a standard normal) by a discriminator that tells
the encoder's codes from draws of the prior, instead of by a VAE's KL term.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from genfin.nn.dense import dense_stack
from genfin.nn.gan import MLPDiscriminator

__all__ = ["AdversarialAutoencoderNet"]


class AdversarialAutoencoderNet(nn.Module):
    """Encoder, decoder and latent discriminator of an adversarial autoencoder.

    ``n_features -> hidden... -> latent_dim`` (a linear code) ``-> ...hidden -> n_features``, with
    LeakyReLU hidden layers (the GAN trick against sparse gradients), and an MLP discriminator on
    codes that returns logits.

    Parameters
    ----------
    n_features
        Width of the input and of the reconstruction.
    hidden_layer_sizes
        Widths of the encoder's hidden layers; the decoder mirrors them.
    latent_dim
        Size of the code.
    output
        ``"bernoulli"`` (a sigmoid output, cross-entropy loss: pixels in [0, 1]) or ``"gaussian"``
        (a linear output, squared error: standardised rows).
    discriminator_sizes
        Hidden widths of the code discriminator.
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (16,),
        latent_dim: int = 6,
        output: str = "gaussian",
        discriminator_sizes: Sequence[int] = (64, 64),
    ) -> None:
        super().__init__()
        if output not in ("gaussian", "bernoulli"):
            raise ValueError(f"output must be 'gaussian' or 'bernoulli', got {output!r}")
        if int(latent_dim) < 1 or int(n_features) < 1:
            raise ValueError(
                f"n_features and latent_dim must be positive, got {n_features!r}, {latent_dim!r}"
            )
        hidden = tuple(int(s) for s in hidden_layer_sizes)
        sizes = [int(n_features), *hidden, int(latent_dim)]
        self.encoder = dense_stack(sizes, "leaky_relu", last_activation=None)
        self.decoder = dense_stack(sizes[::-1], "leaky_relu", last_activation=None)
        self.discriminator = MLPDiscriminator(int(latent_dim), discriminator_sizes, dropout=0.0)
        self.output = output
        self.latent_dim = int(latent_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes of a batch of rows, shape ``(n, latent_dim)``."""
        return self.encoder(x)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions before the output activation."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Rows decoded from codes: probabilities for ``"bernoulli"``, values for ``"gaussian"``."""
        logits = self.decoder(z)
        return torch.sigmoid(logits) if self.output == "bernoulli" else logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct a batch of rows."""
        return self.decode(self.encode(x))
