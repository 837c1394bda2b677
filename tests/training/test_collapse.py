from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from torch import nn

from genfin.training import Trainer
from genfin.training.collapse import CollapseDetector, GANCollapseWarning
from genfin.training.gan_monitor import FixedNoise, mean_pairwise_distance, sliced_wasserstein_distance
from genfin.training.keep_best import KeepBest
from genfin.training.snapshots import SampleSnapshots, image_grid, write_png


class CollapsedGenerator(nn.Module):
    """Maps every latent vector to the same point: a deliberately collapsed generator."""

    latent_dim = 4

    def __init__(self):
        super().__init__()
        self.point = nn.Parameter(torch.tensor([0.3, -0.2]))

    def forward(self, z, labels=None):
        return self.point.expand(z.shape[0], 2) + 0 * z[:, :2]


class HealthyGenerator(nn.Module):
    """Spreads latent vectors out like the data (a standard normal in 2-D)."""

    latent_dim = 4

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.eye(4)[:, :2].clone())

    def forward(self, z, labels=None):
        return z @ self.weight


class StubTask:
    """A GAN task stand-in: one batch per epoch, a fixed d_fake, and a sampler."""

    def __init__(self, sampler, d_fake=0.4):
        self.sampler = sampler
        self.modules = {"generator": sampler}
        self.optimizers = {}
        self.d_fake = d_fake

    def batches(self, epoch):
        return [torch.zeros(8, 2)]

    def train_step(self, batch):
        return {"d_fake": torch.tensor(self.d_fake)}

    def evaluate(self):
        return {}


REAL = torch.randn(256, 2, generator=torch.Generator().manual_seed(0))


def _detector(**kwargs):
    noise = FixedNoise(128, 4, seed=1)
    return CollapseDetector(noise, mean_pairwise_distance(REAL), warmup_epochs=0, **kwargs)


def test_detector_fires_on_a_collapsed_generator():
    detector = _detector(patience=2)
    trainer = Trainer(StubTask(CollapsedGenerator()), epochs=4, callbacks=[detector])
    with pytest.warns(GANCollapseWarning, match="diversity_collapsed.*mode collapse"):
        history = trainer.fit()
    assert [h["diversity_collapsed"] for h in history] == [1.0, 1.0, 1.0, 1.0]
    assert history[0]["sample_diversity"] < 0.01
    assert detector.events == [{"epoch": 2, "sign": "diversity_collapsed"}]  # reported once, when it persists


def test_detector_stays_quiet_on_a_healthy_generator():
    trainer = Trainer(StubTask(HealthyGenerator()), epochs=4, callbacks=[_detector()])
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANCollapseWarning)
        history = trainer.fit()
    assert all(h["diversity_collapsed"] == 0 and h["discriminator_won"] == 0 for h in history)
    assert history[-1]["sample_diversity"] == pytest.approx(1.0, abs=0.2)


def test_detector_can_stop_training():
    trainer = Trainer(StubTask(CollapsedGenerator()), epochs=10, callbacks=[_detector(stop=True)])
    with pytest.warns(GANCollapseWarning, match="stopping training"):
        history = trainer.fit()
    assert len(history) == 2


def test_detector_sees_a_discriminator_that_has_won():
    detector = _detector(patience=1)
    trainer = Trainer(StubTask(HealthyGenerator(), d_fake=0.001), epochs=1, callbacks=[detector])
    with pytest.warns(GANCollapseWarning, match="discriminator_won"):
        history = trainer.fit()
    assert history[0]["discriminator_won"] == 1.0


def test_detector_counts_covered_classes():
    def classify(samples):
        return (samples[:, 0] > 0).long() + 2 * (samples[:, 1] > 0).long()  # quadrant 0..3

    healthy = Trainer(
        StubTask(HealthyGenerator()), epochs=1, callbacks=[_detector(classify=classify, min_classes=4)]
    )
    assert healthy.fit()[0]["classes_covered"] == 4
    collapsed = Trainer(
        StubTask(CollapsedGenerator()),
        epochs=1,
        callbacks=[_detector(classify=classify, min_classes=3, patience=1)],
    )
    detector = collapsed.callbacks[0]
    with pytest.warns(GANCollapseWarning):
        assert collapsed.fit()[0]["classes_covered"] == 1
    assert {event["sign"] for event in detector.events} == {"classes_missing", "diversity_collapsed"}


def test_warmup_epochs_are_not_judged():
    detector = CollapseDetector(FixedNoise(64, 4, seed=1), 1.0, warmup_epochs=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANCollapseWarning)
        history = Trainer(StubTask(CollapsedGenerator()), epochs=3, callbacks=[detector]).fit()
    assert all(h["diversity_collapsed"] == 0 for h in history)


def test_a_resumed_detector_remembers_the_streak():
    detector = _detector(patience=2)
    earlier = [{"epoch": 1, "diversity_collapsed": 1.0}]
    with pytest.warns(GANCollapseWarning):
        Trainer(StubTask(CollapsedGenerator()), epochs=2, callbacks=[detector], history=earlier).fit()
    assert detector.events == [{"epoch": 2, "sign": "diversity_collapsed"}]


def test_bad_detector_arguments():
    with pytest.raises(ValueError, match="reference_diversity"):
        CollapseDetector(FixedNoise(4, 4, seed=0), 0.0)
    with pytest.raises(ValueError, match="classify"):
        CollapseDetector(FixedNoise(4, 4, seed=0), 1.0, min_classes=3)


def test_fixed_noise_is_the_same_every_draw_and_leaves_global_state_alone():
    noise = FixedNoise(16, 4, seed=3, class_prior=[0.5, 0.5])
    assert set(noise.labels.tolist()) == {0, 1}
    gen = HealthyGenerator()
    before = torch.get_rng_state()
    torch.testing.assert_close(noise.draw(gen), noise.draw(gen))
    assert torch.equal(torch.get_rng_state(), before)
    assert gen.training  # its mode is put back


def test_distances_between_sample_sets():
    assert mean_pairwise_distance(torch.ones(10, 3)) == 0.0
    same = sliced_wasserstein_distance(REAL[:128], REAL[128:])
    shifted = sliced_wasserstein_distance(REAL[:128], REAL[128:] + 2)
    assert same < 0.2 < 1.0 < shifted
    with pytest.raises(ValueError, match="width"):
        sliced_wasserstein_distance(torch.zeros(3, 2), torch.zeros(3, 4))


def test_png_grid_round_trips(tmp_path):
    images = np.linspace(0, 1, 5 * 3 * 4).reshape(5, 3, 4)
    grid = image_grid(images, n_cols=3, gap=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 2)
    path = write_png(tmp_path / "grid.png", grid)
    np.testing.assert_allclose(imread(path), np.round(grid * 255) / 255, atol=1e-6)


def test_sample_snapshots_write_each_epoch():
    written = []
    snapshots = SampleSnapshots(
        FixedNoise(8, 4, seed=0), lambda samples, epoch: written.append((samples.shape, epoch))
    )
    Trainer(StubTask(HealthyGenerator()), epochs=2, callbacks=[snapshots]).fit()
    assert written == [((8, 2), 1), ((8, 2), 2)]


def test_keep_best_restores_the_best_epoch_and_resumes_from_disk(tmp_path):
    gen = HealthyGenerator()
    scores = iter([3.0, 1.0, 2.0])
    weights = []

    class Drift(StubTask):
        def train_step(self, batch):
            with torch.no_grad():
                gen.weight.add_(1.0)
            weights.append(gen.weight.clone())
            return super().train_step(batch)

    keep = KeepBest(lambda trainer: next(scores), folder=tmp_path)
    history = Trainer(Drift(gen), epochs=3, callbacks=[keep]).fit()
    assert [h["quality"] for h in history] == [3.0, 1.0, 2.0]
    assert keep.best_epoch == 2 and torch.equal(gen.weight, weights[1])
    # A resumed run (history given) picks the best epoch up from the folder.
    resumed = KeepBest(lambda trainer: 5.0, folder=tmp_path)
    with torch.no_grad():
        gen.weight.zero_()
    Trainer(StubTask(gen), epochs=4, callbacks=[resumed], history=history).fit()
    assert resumed.best_epoch == 2 and torch.equal(gen.weight, weights[1])
