"""The optimiser every genfin model trains with: Adam, with torch's fused kernel when it has one."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["adam"]


def adam(
    module: nn.Module, lr: float, *, betas: tuple[float, float] = (0.9, 0.999), weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """Adam over ``module``'s parameters, with the fused kernel (one pass per update) when torch has it.

    The fused kernel exists for CPU and CUDA in recent torch; older builds raise, and get the plain
    loop. Adam is also the book's GAN optimiser: "Adam has been shown to work very well with GANs,
    while many other optimizers do not".
    """
    options = {"lr": lr, "betas": betas, "weight_decay": weight_decay}
    try:
        return torch.optim.Adam(module.parameters(), **options, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(module.parameters(), **options)
