"""A dense variational autoencoder: encoder to a Gaussian posterior, reparameterisation, mirrored decoder."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from genfin.nn.dense import dense_stack

__all__ = ["OUTPUTS", "VariationalAutoencoder", "gaussian_kl", "reconstruction_error", "standard_normal"]

#: Output distributions of the decoder: Bernoulli pixels in [0, 1], or Gaussian means.
OUTPUTS = ("bernoulli", "gaussian")


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL divergence of ``N(mu, exp(logvar))`` from the prior ``N(0, I)``, per row (summed over dims).

    The closed form the book derives, ``-0.5 * sum(1 + log sigma^2 - mu^2 - sigma^2)``; never negative.

    Parameters
    ----------
    mu, logvar
        Posterior means and log-variances, shape ``(n, latent_dim)``.

    Returns
    -------
    torch.Tensor
        Shape ``(n,)``.
    """
    return -0.5 * (1.0 + logvar - mu.square() - logvar.exp()).sum(dim=-1)


def reconstruction_error(decoded: torch.Tensor, x: torch.Tensor, output: str) -> torch.Tensor:
    """Reconstruction term of the negative ELBO per row, summed over the features.

    Parameters
    ----------
    decoded
        The decoder's raw output: logits for ``"bernoulli"``, means for ``"gaussian"``.
    x
        The rows being reconstructed, same shape.
    output
        ``"bernoulli"``: binary cross-entropy (on the logits, the numerically stable form), which is
        the negative log-likelihood in nats for pixels in [0, 1]. ``"gaussian"``: squared error, the
        negative log-likelihood of a Gaussian of variance 1/2 up to a constant.

    Returns
    -------
    torch.Tensor
        Shape ``decoded.shape[:-1]``.
    """
    if output == "bernoulli":
        return F.binary_cross_entropy_with_logits(decoded, x, reduction="none").sum(dim=-1)
    return (decoded - x).square().sum(dim=-1)


def standard_normal(
    shape: Sequence[int], *, like: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Standard normal noise of ``shape`` with the dtype and device of ``like``.

    With a ``generator`` the noise is drawn on the generator's device (a CPU generator can feed a
    CUDA model) and moved, so the same generator state gives the same noise on any device. Without
    one it comes from torch's global generator: reproducible under :func:`genfin.training.seeded`.
    """
    if generator is None:
        return torch.randn(tuple(shape), dtype=like.dtype, device=like.device)
    noise = torch.randn(tuple(shape), generator=generator, dtype=like.dtype, device=generator.device)
    return noise.to(like.device)


class VariationalAutoencoder(nn.Module):
    """A dense VAE: ``x -> hidden... -> (mu, logvar) -> z -> ...hidden -> decoder output``.

    The book's networks (chapter 6): images ``VariationalAutoencoder(784, (256,), 32, "relu",
    "bernoulli")``; transactions ``VariationalAutoencoder(29, (16,), 6, "relu", "gaussian")``.

    Parameters
    ----------
    n_features
        Width of the input and of the reconstruction.
    hidden_sizes
        Widths of the encoder's hidden layers; the decoder mirrors them. May be empty (linear maps).
    latent_dim
        Size of the latent code.
    activation
        Activation of every hidden layer (see :func:`genfin.nn.make_activation`).
    output
        ``"bernoulli"``: the decoder gives logits and ``decode`` their sigmoid, for pixels in [0, 1].
        ``"gaussian"``: the decoder gives means, for scaled real-valued features.
    """

    def __init__(
        self,
        n_features: int,
        hidden_sizes: Sequence[int] = (256,),
        latent_dim: int = 32,
        activation: str = "relu",
        output: str = "bernoulli",
    ) -> None:
        super().__init__()
        hidden = tuple(int(s) for s in hidden_sizes)
        if int(n_features) < 1 or int(latent_dim) < 1 or any(s < 1 for s in hidden):
            raise ValueError(
                f"n_features, latent_dim and hidden_sizes must be positive, got {n_features!r}, "
                f"{latent_dim!r}, {hidden_sizes!r}"
            )
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        self.n_features, self.latent_dim, self.output = int(n_features), int(latent_dim), output
        encoder_sizes = [self.n_features, *hidden]
        self.encoder = dense_stack(encoder_sizes, activation, last_activation=activation)
        # Two linear heads on the last hidden layer, as the book's z_mean and z_log_var.
        self.mean = nn.Linear(encoder_sizes[-1], self.latent_dim)
        self.log_var = nn.Linear(encoder_sizes[-1], self.latent_dim)
        self.decoder = dense_stack([self.latent_dim, *hidden[::-1], self.n_features], activation)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior means and log-variances of a batch of rows, each ``(n, latent_dim)``."""
        h = self.encoder(x)
        return self.mean(h), self.log_var(h)

    def reparameterize(
        self,
        mu: torch.Tensor,
        logvar: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Draw ``z = mu + sigma * eps`` with ``eps ~ N(0, I)``: differentiable in ``mu`` and ``logvar``.

        ``eps`` comes from ``generator`` when given, else from torch's global generator.
        """
        eps = standard_normal(mu.shape, like=mu, generator=generator)
        return mu + (0.5 * logvar).exp() * eps

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's raw output: logits (Bernoulli) or means (Gaussian), ``(n, n_features)``."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoded rows: pixel probabilities (Bernoulli) or means in the scaled space (Gaussian)."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.output == "bernoulli" else out

    def forward(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode, draw one code per row and decode; returns ``(decoder logits or means, mu, logvar)``."""
        mu, logvar = self.encode(x)
        return self.decode_logits(self.reparameterize(mu, logvar, generator)), mu, logvar

    def loss_terms(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction error (one posterior sample) and KL term of each row, each shape ``(n,)``.

        Their sum is a one-sample estimate of the negative ELBO of each row.
        """
        decoded, mu, logvar = self(x, generator)
        return reconstruction_error(decoded, x, self.output), gaussian_kl(mu, logvar)
