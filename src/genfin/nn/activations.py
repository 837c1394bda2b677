"""Activation functions by name, so that estimators can store them as JSON-safe strings."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    # 0.2 is the slope the book (and the DCGAN paper) uses.
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
}

ACTIVATION_NAMES = tuple(_ACTIVATIONS)


def make_activation(name: str) -> nn.Module:
    """Return a new activation module for ``name``.

    Parameters
    ----------
    name
        One of ``ACTIVATION_NAMES``: "tanh", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "linear".

    Raises
    ------
    ValueError
        When the name is unknown; the message lists the known names.
    """
    try:
        return _ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}"
        ) from None
