"""Failure tracking for GANs: a callback that spots a collapsing or diverging run and says so.

GANs "can fail for random reasons", and "it is possible to see whether a GAN goes completely off
track by observing outputs". :class:`CollapseDetector` watches three signs after every epoch:

* the discriminator has won: it gives the fakes a mean probability of being real below
  ``d_fake_floor``, so its loss sits at its floor and the generator receives no useful gradient
  (measured on the probability rather than the loss, whose floor depends on the soft labels);
* the diversity of a fixed-noise batch of samples (mean pairwise distance) has fallen below
  ``diversity_fraction`` of the real data's: mode collapse;
* with a class predictor, the samples cover fewer than ``min_classes`` classes.

Signs count from the epoch after ``warmup_epochs`` (a freshly initialised generator is not diverse
yet, and the discriminator may win the first rounds) and must persist for ``patience`` epochs. The
detector then warns with :class:`GANCollapseWarning`, writes its findings into the epoch logs (so
into ``history_``), and with ``stop=True`` ends training.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from genfin.training.gan_monitor import FixedNoise, mean_pairwise_distance
from genfin.training.loop import Callback, Trainer

__all__ = ["CollapseDetector", "GANCollapseWarning"]


class GANCollapseWarning(UserWarning):
    """A GAN's training looks collapsed or diverged; the message says which sign and what to try."""


_ADVICE = {
    "discriminator_won": (
        "the discriminator rejects nearly every fake, so the generator gets no gradient; try more "
        "instance noise, softer labels, a lower discriminator learning rate or more dropout"
    ),
    "diversity_collapsed": (
        "the samples have become much less diverse than the data (mode collapse); try a replay "
        "buffer, entropy regularisation, historical averaging or another seed"
    ),
    "classes_missing": (
        "the samples cover few of the classes (mode collapse); try a conditional GAN (fit with y), "
        "a replay buffer or entropy regularisation"
    ),
}


class CollapseDetector(Callback):
    """Warn (and optionally stop) when a GAN's discriminator wins or its samples lose diversity.

    Reads ``trainer.task.sampler`` (the generator samples are drawn from) and the ``d_fake`` epoch log
    of a :class:`~genfin.training.gan_task.GANTask`.

    Parameters
    ----------
    noise
        The fixed latent vectors whose samples are measured every epoch.
    reference_diversity
        Mean pairwise distance of real rows in the same (scaled) space, from
        :func:`~genfin.training.gan_monitor.mean_pairwise_distance`.
    diversity_fraction
        Flag mode collapse when the samples' diversity falls below this share of the reference.
    d_fake_floor
        Flag a won discriminator when the mean probability it gives fakes is below this.
    classify
        Optional function from a batch of samples (as the generator makes them) to predicted class
        indices, e.g. an MNIST classifier; enables the class-coverage check.
    min_classes
        Flag when fewer classes than this are predicted among the samples (needs ``classify``).
    patience
        Epochs a sign must persist before it is reported.
    warmup_epochs
        Epochs at the start in which no sign counts.
    stop
        Also end training when a sign is reported.

    Attributes
    ----------
    events
        One dict per report: ``epoch`` and ``sign``.
    """

    def __init__(
        self,
        noise: FixedNoise,
        reference_diversity: float,
        *,
        diversity_fraction: float = 0.2,
        d_fake_floor: float = 0.02,
        classify: Callable[[torch.Tensor], torch.Tensor] | None = None,
        min_classes: int | None = None,
        patience: int = 2,
        warmup_epochs: int = 3,
        stop: bool = False,
    ) -> None:
        if reference_diversity <= 0:
            raise ValueError(f"reference_diversity must be > 0, got {reference_diversity!r}")
        if min_classes is not None and classify is None:
            raise ValueError("min_classes needs a classify function to predict the samples' classes")
        self.noise = noise
        self.reference_diversity = float(reference_diversity)
        self.diversity_fraction = float(diversity_fraction)
        self.d_fake_floor = float(d_fake_floor)
        self.classify = classify
        self.min_classes = min_classes
        self.patience = int(patience)
        self.warmup_epochs = int(warmup_epochs)
        self.stop = bool(stop)
        self.events: list[dict[str, float | str]] = []
        self._streaks: dict[str, int] = dict.fromkeys(_ADVICE, 0)

    def on_fit_start(self, trainer: Trainer) -> None:  # noqa: D102
        # A resumed run rebuilds its streaks from the saved history, so it reports as the original would.
        self._streaks = dict.fromkeys(_ADVICE, 0)
        for logs in trainer.history:
            for sign in _ADVICE:
                self._streaks[sign] = self._streaks[sign] + 1 if logs.get(sign, 0.0) else 0

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:  # noqa: D102
        samples = self.noise.draw(trainer.task.sampler)
        diversity = mean_pairwise_distance(samples) / self.reference_diversity
        logs["sample_diversity"] = diversity
        signs = {
            "discriminator_won": logs.get("d_fake", 1.0) < self.d_fake_floor,
            "diversity_collapsed": diversity < self.diversity_fraction,
        }
        if self.classify is not None:
            with torch.no_grad():
                predicted = torch.as_tensor(self.classify(samples))
            covered = int(torch.unique(predicted).numel())
            logs["classes_covered"] = float(covered)
            if self.min_classes is not None:
                signs["classes_missing"] = covered < self.min_classes
        reported = []
        counting = int(logs["epoch"]) > self.warmup_epochs
        for sign, present in signs.items():
            present = present and counting
            logs[sign] = float(present)
            self._streaks[sign] = self._streaks[sign] + 1 if present else 0
            if self._streaks[sign] == self.patience:
                reported.append(sign)
        for sign in reported:
            self.events.append({"epoch": int(logs["epoch"]), "sign": sign})
            action = "stopping training" if self.stop else "training continues"
            d_fake = logs.get("d_fake", float("nan"))
            warnings.warn(
                f"GAN failure in epoch {int(logs['epoch'])} ({sign}, {self.patience} epoch(s) in a row; "
                f"sample diversity {diversity:.2f} of the data's, d_fake {d_fake:.3f}): "
                f"{_ADVICE[sign]}; {action}",
                GANCollapseWarning,
                stacklevel=2,
            )
        if reported and self.stop:
            trainer.stop_training = True
