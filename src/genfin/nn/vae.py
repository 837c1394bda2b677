"""A dense variational autoencoder: encoder to a Gaussian posterior, reparameterisation, mirrored decoder.

Optionally conditional (a one-hot class fed to the encoder and the decoder) and, for real-valued
rows, with a learned variance of each output feature so that samples carry the data's own noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from genfin.nn.dense import dense_stack

__all__ = ["OUTPUTS", "VariationalAutoencoder", "gaussian_kl", "reconstruction_error", "standard_normal"]

#: Output distributions of the decoder: Bernoulli pixels in [0, 1], or Gaussian means.
OUTPUTS = ("bernoulli", "gaussian")

# Floor of a learned output variance (scaled units): a feature the decoder reproduces exactly (a
# constant column) would otherwise drive its variance, and the likelihood, to infinity.
_MIN_OUTPUT_LOG_VAR = math.log(1e-4)
_LOG_2PI = math.log(2 * math.pi)


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


def reconstruction_error(
    decoded: torch.Tensor, x: torch.Tensor, output: str, log_var: torch.Tensor | None = None
) -> torch.Tensor:
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
        negative log-likelihood of a Gaussian of variance 1/2 up to a constant (the book's).
    log_var
        With ``"gaussian"``: log-variances of the output features (broadcast against ``x``); the
        term is then the exact Gaussian negative log-likelihood in nats,
        ``0.5 * (log 2 pi + log_var + (x - mean)^2 / exp(log_var))``.

    Returns
    -------
    torch.Tensor
        Shape ``decoded.shape[:-1]``.
    """
    if output == "bernoulli":
        return F.binary_cross_entropy_with_logits(decoded, x, reduction="none").sum(dim=-1)
    if log_var is None:
        return (decoded - x).square().sum(dim=-1)
    return 0.5 * (_LOG_2PI + log_var + (decoded - x).square() * (-log_var).exp()).sum(dim=-1)


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
    learn_variance
        Only with ``"gaussian"``: learn one output log-variance per feature (``output_log_var``), so
        the reconstruction term is the full Gaussian negative log-likelihood and :meth:`draw` can add
        noise of the data's own size. Without it the term is the book's squared error.
    n_classes
        0 for an unconditional VAE. Otherwise a conditional VAE: every method takes ``condition``, a
        one-hot ``(n, n_classes)`` tensor of each row's class, which the encoder sees beside the row
        and the decoder beside the code, so one model learns every class and samples the asked one.
    """

    def __init__(
        self,
        n_features: int,
        hidden_sizes: Sequence[int] = (256,),
        latent_dim: int = 32,
        activation: str = "relu",
        output: str = "bernoulli",
        *,
        learn_variance: bool = False,
        n_classes: int = 0,
    ) -> None:
        super().__init__()
        hidden = tuple(int(s) for s in hidden_sizes)
        if int(n_features) < 1 or int(latent_dim) < 1 or any(s < 1 for s in hidden) or int(n_classes) < 0:
            raise ValueError(
                f"n_features, latent_dim and hidden_sizes must be positive and n_classes >= 0, got "
                f"{n_features!r}, {latent_dim!r}, {hidden_sizes!r}, {n_classes!r}"
            )
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if learn_variance and output != "gaussian":
            raise ValueError(f"learn_variance needs output='gaussian', got output={output!r}")
        self.n_features, self.latent_dim, self.output = int(n_features), int(latent_dim), output
        self.n_classes = int(n_classes)
        encoder_sizes = [self.n_features + self.n_classes, *hidden]
        self.encoder = dense_stack(encoder_sizes, activation, last_activation=activation)
        # Two linear heads on the last hidden layer, as the book's z_mean and z_log_var.
        self.mean = nn.Linear(encoder_sizes[-1], self.latent_dim)
        self.log_var = nn.Linear(encoder_sizes[-1], self.latent_dim)
        self.decoder = dense_stack(
            [self.latent_dim + self.n_classes, *hidden[::-1], self.n_features], activation
        )
        # Starts at variance 1/2, the one the book's squared error implies, so training begins alike.
        self.output_log_var = (
            nn.Parameter(torch.full((self.n_features,), math.log(0.5))) if learn_variance else None
        )

    def _with(self, values: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """``values`` with the one-hot class appended (conditional VAE), else unchanged.

        ``values`` may have more leading dimensions than ``condition`` (several codes per row, as in
        ``(rows, draws, latent)``); the condition is repeated over them.
        """
        if self.n_classes == 0:
            return values
        if (
            condition is None
            or condition.shape[0] != values.shape[0]
            or condition.shape[-1] != self.n_classes
        ):
            got = None if condition is None else tuple(condition.shape)
            raise ValueError(
                "a conditional VAE needs a one-hot condition of shape "
                f"({values.shape[0]}, {self.n_classes}), got {got}"
            )
        while condition.ndim < values.ndim:
            condition = condition.unsqueeze(-2)
        condition = condition.to(values.dtype).expand(*values.shape[:-1], self.n_classes)
        return torch.cat([values, condition], dim=-1)

    def output_variance_log(self) -> torch.Tensor | None:
        """Log-variances of the output features (floored), or None when not learned."""
        if self.output_log_var is None:
            return None
        return self.output_log_var.clamp(min=_MIN_OUTPUT_LOG_VAR)

    def encode(
        self, x: torch.Tensor, condition: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior means and log-variances of a batch of rows, each ``(n, latent_dim)``."""
        h = self.encoder(self._with(x, condition))
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

    def decode_logits(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's raw output: logits (Bernoulli) or means (Gaussian), ``(..., n_features)``.

        ``z`` may carry more leading dimensions than ``condition`` (several codes per row).
        """
        return self.decoder(self._with(z, condition))

    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Decoded rows: pixel probabilities (Bernoulli) or means in the scaled space (Gaussian)."""
        out = self.decode_logits(z, condition)
        return torch.sigmoid(out) if self.output == "bernoulli" else out

    def draw(
        self, z: torch.Tensor, condition: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Rows drawn from the decoder's distribution given codes: means plus the learned output noise.

        With a learned output variance this is a sample of ``p(x | z)``: what a synthetic row is.
        Otherwise (Bernoulli pixels, the book's squared error) it is :meth:`decode`, the means.
        """
        means = self.decode(z, condition)
        log_var = self.output_variance_log()
        if log_var is None:
            return means
        noise = standard_normal(means.shape, like=means, generator=generator)
        return means + (0.5 * log_var).exp() * noise

    def forward(
        self,
        x: torch.Tensor,
        generator: torch.Generator | None = None,
        *,
        condition: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode, draw one code per row and decode; returns ``(decoder logits or means, mu, logvar)``."""
        mu, logvar = self.encode(x, condition)
        return self.decode_logits(self.reparameterize(mu, logvar, generator), condition), mu, logvar

    def reconstruction_error(self, decoded: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction term of each row (see :func:`reconstruction_error`)."""
        return reconstruction_error(decoded, x, self.output, self.output_variance_log())

    def loss_terms(
        self,
        x: torch.Tensor,
        generator: torch.Generator | None = None,
        *,
        condition: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction error (one posterior sample) and KL term of each row, each shape ``(n,)``.

        Their sum is a one-sample estimate of the negative ELBO of each row.
        """
        decoded, mu, logvar = self(x, generator, condition=condition)
        return self.reconstruction_error(decoded, x), gaussian_kl(mu, logvar)
