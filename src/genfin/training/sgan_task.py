"""The training task of a semi-supervised GAN: labelled, unlabelled and generated rows in every step.

Per step the discriminator sees three batches, each in its own forward pass (batch statistics never
mix real and generated rows):

- a **labelled** batch, for the supervised loss: class-weighted cross-entropy over the real classes;
- an **unlabelled** batch, for the unsupervised loss: "this row is real". Unlabelled rows enter
  only the real-or-fake output, never a class loss: they carry no class, and the label ``-1`` of
  scikit-learn's convention never reaches the task (the estimator splits the rows first);
- a **generated** batch: "this row is fake" (and, in the book's formulation, the fake class).

Then the generator takes one step, by feature matching (Salimans et al., 2016: match the mean of
the discriminator's last hidden features on real and generated rows) or by the non-saturating loss
``-log D(G(z))``.

Two discriminator losses, matching :class:`~genfin.nn.sgan.SGANDiscriminator`'s two formulations:

``"improved"`` (Salimans et al.)
    ``L = CE_K(labelled) + w_u * 0.5 * (-log D(x_unlabelled) - log(1 - D(G(z))))``, with ``CE_K``
    the cross-entropy over the ``K`` real classes and ``D(x) = Z / (Z + 1)``.
``"book"`` (chapter 6)
    The sigmoid head learns real versus fake (binary cross-entropy); the softmax head over
    ``K + 1`` classes learns the labelled rows' classes and "fake" for generated rows, weighted
    0.5 / 0.5 as the book compiles its two heads, with the book's class weights.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import average_precision_score, f1_score
from torch import nn

from genfin.nn.sgan import SGANDiscriminator
from genfin.training.gan_stabilisers import AveragedCopy
from genfin.training.gan_task import frozen
from genfin.training.gan_tricks import sample_latent
from genfin.training.optim import adam

__all__ = [
    "FORMULATIONS",
    "SGANTask",
    "frozen_batch_statistics",
    "unweighted_logits",
    "validation_logs",
    "validation_scores",
]

FORMULATIONS = ("improved", "book")
_CHUNK = 4_096


@contextlib.contextmanager
def frozen_batch_statistics(module: nn.Module) -> Iterator[nn.Module]:
    """Run a block in which batch norm layers normalise by the batch but do not update running statistics.

    Generated rows must not move the running mean and variance that classify real rows at
    prediction time: early generators produce rows far from the data, and statistics mixed with
    theirs shift every real row's features (a cause of the sudden falls of the book's SGAN).
    A momentum of 0 keeps the running averages as they are.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 0.0
    try:
        yield module
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum


def unweighted_logits(logits: torch.Tensor, class_weights: torch.Tensor) -> torch.Tensor:
    """Class logits with the class weights of training divided back out of their probabilities.

    A cross-entropy that weights class ``k`` by ``w_k`` is minimised by ``p_k`` proportional to
    ``w_k`` times the class's probability at the labelled rows' class frequencies. Subtracting
    ``log w_k`` from the logits undoes that tilt: balanced weights no longer push every
    borderline row to the rare class, so ``argmax`` (``predict``) makes the decision the labelled
    rows support rather than flagging far too many frauds. Equal weights change nothing, and for two
    classes the ranking (AUPRC, ROC AUC) is unchanged.
    """
    return logits - torch.log(class_weights.to(logits.device, logits.dtype))


def validation_scores(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Accuracy, F1 and AUPRC of class probabilities ``proba`` ``(n, K)`` against class indices ``y``.

    Binary: F1 and AUPRC of class index 1 (the positive class, fraud). Multiclass: macro averages
    over classes, AUPRC one-versus-rest. A class absent from ``y`` gives no AUPRC term.
    """
    predicted = proba.argmax(axis=1)
    scores = {"accuracy": float(np.mean(predicted == y))}
    if proba.shape[1] == 2:
        scores["f1"] = float(f1_score(y, predicted, pos_label=1, average="binary", zero_division=0))
        scores["auprc"] = float(average_precision_score(y == 1, proba[:, 1])) if (y == 1).any() else 0.0
    else:
        present = np.unique(y)
        scores["f1"] = float(f1_score(y, predicted, labels=present, average="macro", zero_division=0))
        scores["auprc"] = float(np.mean([average_precision_score(y == k, proba[:, k]) for k in present]))
    return scores


def validation_logs(y: torch.Tensor, proba: torch.Tensor) -> dict[str, float]:
    """``val_loss``, ``val_accuracy``, ``val_f1`` and ``val_auprc`` of probabilities ``proba`` for ``y``."""
    loss = F.nll_loss(torch.log(proba.clamp_min(1e-12)), y)
    scores = validation_scores(y.cpu().numpy(), proba.cpu().numpy())
    return {"val_loss": float(loss), **{f"val_{name}": value for name, value in scores.items()}}


class SGANTask:
    """Semi-supervised adversarial training of a two-headed discriminator against a generator.

    Parameters
    ----------
    generator
        ``generator(z)`` returns rows (or images) in the data's [-1, 1] units; has ``latent_dim``.
    discriminator
        The two-headed :class:`~genfin.nn.sgan.SGANDiscriminator`.
    X_labelled, y_labelled
        Labelled training rows and their class indices ``0..K-1``.
    X_unlabelled
        Rows for the unsupervised loss: every training row without a label, and usually the
        labelled training rows too (they are real as well). An epoch is one pass over these.
    X_val, y_val
        Labelled validation rows and class indices, for :meth:`evaluate`; None for none.
    batch_size
        Unlabelled rows per step, and as many generated rows. The last, smaller batch of an epoch
        is dropped unless it is the only one, so batch statistics never come from a few rows.
    labelled_batch_size
        Labelled rows per step; they are drawn from reshuffled passes over the labelled rows, so a
        few labels repeat within an epoch (as Salimans et al. tile their 100 labels).
    steps_per_epoch
        At most this many steps per epoch, on a fresh random draw of unlabelled rows each epoch;
        None: one pass over the unlabelled rows. On large data it makes validation (and with it
        the collapse guard and checkpoints) come every few hundred steps instead of once a pass.
    formulation
        ``"improved"`` or ``"book"``; must match the discriminator's ``separate_real_head``.
    feature_matching
        Train the generator by feature matching, else by the non-saturating loss.
    class_weights
        ``K + 1`` weights per class index, the last one the fake class's (used by ``"book"``
        only). Each row's cross-entropy is multiplied by its class's weight, as Keras's
        ``class_weight`` does. Weighting class ``k`` by ``w_k`` is training under a class prior
        tilted by ``w_k``; :meth:`predict_proba` divides it back out (see :func:`unweighted_logits`).
    unsupervised_weight
        Weight of the real-or-fake loss against the class loss.
    average_discriminator
        Decay of an exponential moving average of the discriminator's weights, updated after each
        of its steps; 0 for none. With one, validation and :meth:`predict_proba` use the average
        (Polyak averaging, as Salimans et al. classify with averaged weights): it smooths the
        step-to-step swings of a classifier trained against a moving generator.
    generator_lr, discriminator_lr, betas
        Adam's settings (the book's: 2e-4, (0.5, 0.999)).
    random
        The task's own random stream (batch order, latent vectors).

    Attributes
    ----------
    modules
        ``generator`` and ``discriminator``.
    optimizers
        ``generator`` and ``discriminator``.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: SGANDiscriminator,
        *,
        X_labelled: torch.Tensor,
        y_labelled: torch.Tensor,
        X_unlabelled: torch.Tensor,
        X_val: torch.Tensor | None = None,
        y_val: torch.Tensor | None = None,
        batch_size: int = 64,
        labelled_batch_size: int = 64,
        steps_per_epoch: int | None = None,
        formulation: str = "improved",
        feature_matching: bool = True,
        class_weights: torch.Tensor | None = None,
        unsupervised_weight: float = 1.0,
        average_discriminator: float = 0.0,
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        random: torch.Generator,
    ) -> None:
        if formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}, got {formulation!r}")
        if discriminator.separate_real_head != (formulation == "book"):
            raise ValueError(
                f"formulation {formulation!r} needs a discriminator with separate_real_head="
                f"{formulation == 'book'}"
            )
        n_classes = discriminator.n_classes
        if X_labelled.shape[0] != y_labelled.shape[0] or X_labelled.shape[0] == 0:
            raise ValueError(
                f"X_labelled and y_labelled must hold the same number (> 0) of rows, got "
                f"{X_labelled.shape[0]} and {y_labelled.shape[0]}"
            )
        if int(y_labelled.min()) < 0 or int(y_labelled.max()) >= n_classes:
            raise ValueError(
                f"y_labelled must hold class indices 0..{n_classes - 1}; unlabelled rows (-1) go in "
                f"X_unlabelled, got values {int(y_labelled.min())}..{int(y_labelled.max())}"
            )
        if X_unlabelled.shape[0] == 0:
            raise ValueError("X_unlabelled is empty; pass at least the labelled training rows")
        if steps_per_epoch is not None and int(steps_per_epoch) < 1:
            raise ValueError(f"steps_per_epoch must be a positive int or None, got {steps_per_epoch!r}")
        self.generator, self.discriminator = generator, discriminator
        self.X_labelled, self.y_labelled, self.X_unlabelled = X_labelled, y_labelled, X_unlabelled
        self.X_val, self.y_val = X_val, y_val
        self.batch_size, self.labelled_batch_size = int(batch_size), int(labelled_batch_size)
        self.steps_per_epoch = None if steps_per_epoch is None else int(steps_per_epoch)
        self.formulation = formulation
        self.feature_matching = bool(feature_matching)
        weights = torch.ones(n_classes + 1) if class_weights is None else class_weights.float()
        if weights.shape != (n_classes + 1,):
            raise ValueError(f"class_weights must have shape ({n_classes + 1},), got {tuple(weights.shape)}")
        self.class_weights = weights.to(X_labelled.device)
        self.unsupervised_weight = float(unsupervised_weight)
        self.random = random
        self.latent_dim = int(generator.latent_dim)
        self.modules: dict[str, nn.Module] = {"generator": generator, "discriminator": discriminator}
        if not 0 <= average_discriminator < 1:
            raise ValueError(f"average_discriminator must be in [0, 1), got {average_discriminator!r}")
        self.average = AveragedCopy(discriminator, average_discriminator) if average_discriminator else None
        if self.average is not None:
            # A module of the task: checkpoints and the collapse guard's snapshots keep it too.
            self.modules["averaged_discriminator"] = self.average.module
        self.optimizers = {
            "generator": adam(generator, generator_lr, betas=betas),
            "discriminator": adam(discriminator, discriminator_lr, betas=betas),
        }

    # ------------------------------------------------------------------ batches

    def batches(self, epoch: int) -> Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Batches of unlabelled rows, each paired with a batch of labelled rows.

        One pass over the unlabelled rows, or its first ``steps_per_epoch`` batches: a fresh random
        draw each epoch.
        """
        n_unlabelled, n_labelled = self.X_unlabelled.shape[0], self.X_labelled.shape[0]
        n_steps = max(1, n_unlabelled // self.batch_size)
        if self.steps_per_epoch is not None:
            n_steps = min(n_steps, self.steps_per_epoch)
        size = min(self.batch_size, n_unlabelled)
        device = self.X_unlabelled.device
        unlabelled = torch.randperm(n_unlabelled, generator=self.random)[: n_steps * size].to(device)
        # Labelled rows come from as many reshuffled passes as needed: every label is used about
        # equally often, however few labels there are.
        needed = n_steps * self.labelled_batch_size
        passes = [torch.randperm(n_labelled, generator=self.random) for _ in range(-(-needed // n_labelled))]
        labelled = torch.cat(passes)[:needed].to(device)
        return list(
            zip(
                self.X_unlabelled[unlabelled].split(size),
                self.X_labelled[labelled].split(self.labelled_batch_size),
                self.y_labelled[labelled].split(self.labelled_batch_size),
                strict=True,
            )
        )

    def _latent(self, n: int) -> torch.Tensor:
        return sample_latent(n, self.latent_dim, "normal", self.random, self.X_unlabelled.device)

    # ------------------------------------------------------------------ losses

    def _class_loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean of each row's cross-entropy times its class weight (Keras's ``class_weight``)."""
        per_row = F.cross_entropy(logits, targets, reduction="none")
        return (per_row * self.class_weights[targets]).mean()

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One discriminator step on labelled, unlabelled and generated rows, then one generator step."""
        unlabelled, labelled, labels = batch
        self.generator.train()
        self.discriminator.train()
        n_classes, n_labelled = self.discriminator.n_classes, labelled.shape[0]
        # One generated batch serves both players (detached for the discriminator's step).
        fake = self.generator(self._latent(unlabelled.shape[0]))

        # Labelled and unlabelled rows are all real: one pass, one set of batch statistics.
        real_features = self.discriminator.features(torch.cat([labelled, unlabelled]))
        real_logit, class_logits_real = self.discriminator.heads(real_features)
        class_logits = class_logits_real[:n_labelled]
        real_unlabelled = real_logit[n_labelled:]
        with frozen_batch_statistics(self.discriminator):
            real_fake, class_logits_fake = self.discriminator(fake.detach())
        # -log D(x) for real rows and -log(1 - D(G(z))) for generated ones, on the real logit.
        unsupervised = 0.5 * (F.softplus(-real_unlabelled).mean() + F.softplus(real_fake).mean())
        if self.formulation == "book":
            fake_class = torch.full((fake.shape[0],), n_classes, device=fake.device)
            supervised = self._class_loss(class_logits, labels)
            d_loss = self.unsupervised_weight * unsupervised + 0.5 * (
                supervised + self._class_loss(class_logits_fake, fake_class)
            )
        else:
            supervised = self._class_loss(class_logits[:, :n_classes], labels)
            d_loss = supervised + self.unsupervised_weight * unsupervised
        optimizer = self.optimizers["discriminator"]
        optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        optimizer.step()
        if self.average is not None:
            self.average.update()

        # Feature matching aims at the real rows' mean features (unlabelled ones, as Salimans et al.).
        target = real_features[n_labelled:].detach().mean(0)
        g_loss = self._generator_step(fake, target)
        with torch.no_grad():
            accuracy = (class_logits[:, :n_classes].argmax(1) == labels).float().mean()
        return {
            "d_loss": d_loss.detach(),
            "supervised_loss": supervised.detach(),
            "unsupervised_loss": unsupervised.detach(),
            "g_loss": g_loss,
            "d_real": torch.sigmoid(real_unlabelled.detach()).mean(),
            "d_fake": torch.sigmoid(real_fake.detach()).mean(),
            "train_accuracy": accuracy,
        }

    def _generator_step(self, fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # The generator's pass must not move the discriminator's running statistics either.
        with frozen(self.discriminator), frozen_batch_statistics(self.discriminator):
            if self.feature_matching:
                loss = (self.discriminator.features(fake).mean(0) - target).pow(2).mean()
            else:
                loss = F.softplus(-self.discriminator(fake)[0]).mean()
        optimizer = self.optimizers["generator"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

    # ------------------------------------------------------------------ validation

    @property
    def classifier(self) -> SGANDiscriminator:
        """The discriminator that classifies: the averaged copy when there is one."""
        return self.discriminator if self.average is None else self.average.module

    @torch.no_grad()
    def predict_proba(self, X: torch.Tensor) -> torch.Tensor:
        """Probabilities of the ``K`` real classes (the fake class dropped and the rest renormalised)."""
        classifier = self.classifier
        was_training = classifier.training
        classifier.eval()
        try:
            logits = torch.cat([classifier(chunk)[1] for chunk in X.split(_CHUNK)])
        finally:
            classifier.train(was_training)
        n_classes = self.discriminator.n_classes
        return torch.softmax(unweighted_logits(logits[:, :n_classes], self.class_weights[:n_classes]), dim=1)

    def evaluate(self) -> dict[str, float]:
        """``val_loss`` (cross-entropy over the real classes), ``val_accuracy``, ``val_f1``, ``val_auprc``."""
        if self.X_val is None or self.y_val is None:
            return {}
        return validation_logs(self.y_val, self.predict_proba(self.X_val))

    # ------------------------------------------------------------------ checkpoints

    def extra_state(self) -> dict[str, Any]:
        """The task's random stream and torch's global one (dropout, noise layers), for exact resume."""
        return {
            "random": self.random.get_state(),
            "global_random": torch.get_rng_state(),
            "average_steps": 0 if self.average is None else self.average.steps,
        }

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`extra_state`."""
        self.random.set_state(state["random"])
        torch.set_rng_state(state["global_random"])
        if self.average is not None:
            self.average.steps = int(state.get("average_steps", 0))
