"""What GAN monitoring callbacks measure: a fixed-noise batch of samples and distances between sets.

The book's "track failures early": watch the outputs, which "should slowly become more like real
data". The same latent vectors every epoch make epochs comparable, and drawing them never touches
the training's random streams, so monitoring does not change what is trained.
"""

from __future__ import annotations

import torch
from torch import nn

from genfin.training.gan_tricks import sample_latent

__all__ = ["FixedNoise", "mean_pairwise_distance", "sliced_wasserstein_distance"]


class FixedNoise:
    """The same latent vectors (and labels) every epoch, and the samples a generator makes of them.

    Parameters
    ----------
    n
        Samples per draw.
    latent_dim
        Size of the latent vectors.
    seed
        Seeds the vectors (and the labels), independently of training.
    distribution
        ``"normal"`` or ``"uniform"``, as the GAN was trained with.
    class_prior
        Probabilities of the classes of a conditional GAN; labels are drawn from them once. None for
        an unconditional GAN.
    """

    def __init__(
        self,
        n: int,
        latent_dim: int,
        seed: int,
        *,
        distribution: str = "normal",
        class_prior: list[float] | None = None,
    ) -> None:
        generator = torch.Generator().manual_seed(int(seed))
        self.z = sample_latent(int(n), int(latent_dim), distribution, generator)
        self.labels = None
        if class_prior is not None:
            prior = torch.as_tensor(class_prior, dtype=torch.float64)
            self.labels = torch.multinomial(prior, int(n), replacement=True, generator=generator)

    @torch.no_grad()
    def draw(self, generator: nn.Module) -> torch.Tensor:
        """The samples of ``generator`` for the fixed vectors, in eval mode, on the CPU.

        Torch's global random state is forked, so a generator that keeps dropout on at sampling does
        not shift the training's random stream.
        """
        device = next(generator.parameters()).device
        was_training = generator.training
        generator.eval()
        try:
            with torch.random.fork_rng(devices=[]):
                labels = None if self.labels is None else self.labels.to(device)
                return generator(self.z.to(device), labels).cpu()
        finally:
            generator.train(was_training)


def mean_pairwise_distance(samples: torch.Tensor, max_rows: int = 512) -> float:
    """Mean Euclidean distance between distinct rows (flattened), over at most ``max_rows`` rows.

    A diversity measure: it falls towards 0 when a generator collapses onto a few outputs.
    """
    flat = samples[:max_rows].flatten(1).float()
    n = flat.shape[0]
    if n < 2:
        return 0.0
    return float(torch.cdist(flat, flat).sum() / (n * (n - 1)))


def sliced_wasserstein_distance(
    a: torch.Tensor, b: torch.Tensor, *, n_projections: int = 64, seed: int = 0
) -> float:
    """Sliced Wasserstein-1 distance between two sets of rows (flattened): lower means more alike.

    Both sets are projected on the same ``n_projections`` random unit directions, and the 1-D
    Wasserstein distances of the projections (mean absolute difference of sorted values, after
    resampling both to a common size by quantiles) are averaged. Cheap, differentiable-free and
    sensitive to missing modes, so it serves as a default quality metric for keeping the best model.
    """
    a, b = a.flatten(1).float().cpu(), b.flatten(1).float().cpu()
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two sets differ in width: {a.shape[1]} and {b.shape[1]} features")
    directions = torch.randn(a.shape[1], n_projections, generator=torch.Generator().manual_seed(seed))
    directions /= directions.norm(dim=0, keepdim=True)
    quantiles = torch.linspace(0, 1, max(a.shape[0], b.shape[0]))
    pa = torch.quantile((a @ directions), quantiles, dim=0)
    pb = torch.quantile((b @ directions), quantiles, dim=0)
    return float((pa - pb).abs().mean())
