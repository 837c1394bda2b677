"""Dense (fully connected) autoencoders for tabular rows and flattened images."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from genfin.nn.activations import make_activation


def dense_stack(
    sizes: Sequence[int], activation: str, *, last_activation: str | None = None
) -> nn.Sequential:
    """Linear layers between consecutive ``sizes``, each followed by an activation.

    Parameters
    ----------
    sizes
        Layer widths, input first: ``(29, 12)`` is one layer from 29 to 12 units.
    activation
        Activation after every layer but the last.
    last_activation
        Activation after the last layer; ``None`` leaves it linear.
    """
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        is_last = i == len(sizes) - 2
        name = last_activation if is_last else activation
        if name is not None:
            layers.append(make_activation(name))
    return nn.Sequential(*layers)


class DenseAutoencoder(nn.Module):
    """A symmetric dense autoencoder: ``n_features -> hidden... -> latent -> ...hidden -> n_features``.

    The book's transaction autoencoder is ``DenseAutoencoder(29, (12,), "tanh", "sigmoid")``: one
    12-unit tanh code layer and a sigmoid output for min-max scaled inputs.

    Parameters
    ----------
    n_features
        Width of the input and of the reconstruction.
    hidden_layer_sizes
        Widths of the encoder's layers; the last is the latent code. The decoder mirrors them.
    activation
        Activation of every hidden layer, the code layer included.
    output_activation
        Activation of the reconstruction. The decoder also exposes the pre-activation output
        (``decode_logits``) so that a cross-entropy loss can use the numerically stable logits form.
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int] = (12,),
        activation: str = "tanh",
        output_activation: str = "sigmoid",
    ) -> None:
        super().__init__()
        if not hidden_layer_sizes:
            raise ValueError("hidden_layer_sizes needs at least one layer (the latent code)")
        encoder_sizes = [n_features, *hidden_layer_sizes]
        self.encoder = dense_stack(encoder_sizes, activation, last_activation=activation)
        self.decoder = dense_stack(encoder_sizes[::-1], activation, last_activation=None)
        self.output_activation = make_activation(output_activation)
        self.latent_dim = int(hidden_layer_sizes[-1])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent codes of a batch of rows."""
        return self.encoder(x)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions before the output activation."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions of latent codes, in the scaled input space."""
        return self.output_activation(self.decoder(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct a batch of rows."""
        return self.decode(self.encode(x))
