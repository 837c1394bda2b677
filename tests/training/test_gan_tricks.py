from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from genfin.nn.gan import MLPDiscriminator, MLPGenerator
from genfin.training import Checkpoint, Trainer, seeded
from genfin.training.gan_stabilisers import (
    AveragedCopy,
    FrozenCopy,
    GeneratorSchedule,
    HistoricalAveraging,
    InstanceNoise,
    ReplayBuffer,
    nearest_neighbour_entropy,
)
from genfin.training.gan_task import GANTask, frozen
from genfin.training.gan_tricks import GANTricks, LabelTargets, generator_loss, sample_latent


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- the switches


def test_defaults_are_valid_and_round_trip_through_a_dict():
    tricks = GANTricks()
    assert GANTricks(**tricks.to_dict()) == tricks
    assert GANTricks.coerce(None) == tricks
    assert GANTricks.coerce({"replay_buffer": 64}).replay_buffer == 64
    assert GANTricks.book().separate_batches is False and GANTricks.book().real_label == 0.9
    plain = GANTricks.plain()
    assert (plain.real_label, plain.generator_loss, plain.latent) == (1.0, "minimax", "uniform")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"real_label": 0.4}, "real_label"),
        ({"label_noise": -0.1}, "label_noise"),
        ({"generator_loss": "wasserstein"}, "generator_loss"),
        ({"latent": "cauchy"}, "latent"),
        ({"batch_norm": "both", "separate_batches": False}, "batch_norm"),
        ({"instance_noise": float("nan")}, "instance_noise"),
        ({"discriminator_dropout": 1.0}, "discriminator_dropout"),
        ({"replay_buffer": 2.5}, "replay_buffer"),
        ({"max_generator_steps": 0}, "max_generator_steps"),
        ({"instance_noise_epochs": 0}, "instance_noise_epochs"),
        ({"separate_batches": 1}, "separate_batches"),
    ],
)
def test_bad_tricks_name_the_field(change, field):
    with pytest.raises(ValueError, match=field):
        GANTricks(**change)


def test_coerce_rejects_unknown_fields_and_types():
    with pytest.raises(ValueError, match="no field"):
        GANTricks.coerce({"soft_labels": 0.9})
    with pytest.raises(ValueError, match="tricks must be"):
        GANTricks.coerce([0.9])


# ---------------------------------------------------------------- each trick does what it says


def test_soft_and_noisy_labels_change_the_discriminator_targets():
    hard = LabelTargets(real_label=1.0, noise=0.0)
    assert torch.equal(hard.real(5, _gen()), torch.ones(5))
    assert torch.equal(hard.fake(5, _gen()), torch.zeros(5))
    soft = LabelTargets(real_label=0.9, noise=0.0)
    assert torch.allclose(soft.real(5, _gen()), torch.full((5,), 0.9))
    noisy = LabelTargets(real_label=0.9, noise=0.05)
    real, fake = noisy.real(1000, _gen()), noisy.fake(1000, _gen(1))
    assert real.max() <= 0.9 and real.min() >= 0.85 and real.std() > 0.01
    assert fake.min() >= 0 and fake.max() <= 0.05 and fake.std() > 0.01


def test_non_saturating_loss_keeps_gradients_when_the_discriminator_wins():
    logits = torch.full((4,), -8.0, requires_grad=True)  # D is sure the fakes are fake
    generator_loss(logits, "minimax").backward()
    minimax_grad = logits.grad.abs().mean().item()
    logits.grad = None
    generator_loss(logits, "non_saturating").backward()
    assert logits.grad.abs().mean().item() > 1000 * minimax_grad


def test_latents_are_normal_or_uniform():
    normal = sample_latent(20_000, 2, "normal", _gen())
    uniform = sample_latent(20_000, 2, "uniform", _gen())
    assert normal.std().item() == pytest.approx(1.0, abs=0.03) and normal.abs().max() > 3
    assert uniform.min() >= -1 and uniform.max() <= 1


def test_instance_noise_is_annealed_to_zero():
    noise = InstanceNoise(0.2, anneal_epochs=4)
    stds = []
    for epoch in range(6):
        noise.set_epoch(epoch)
        stds.append(noise.std)
    assert stds == pytest.approx([0.2, 0.15, 0.1, 0.05, 0.0, 0.0])
    noise.set_epoch(0)
    x = torch.zeros(10_000)
    assert noise(x, _gen()).std().item() == pytest.approx(0.2, rel=0.05)
    noise.set_epoch(4)
    assert noise(x, _gen()) is x


def test_replay_buffer_returns_earlier_samples():
    buffer = ReplayBuffer(capacity=8, fraction=0.5)
    first = torch.arange(8.0).reshape(8, 1)
    out, _ = buffer.mix(first, None, _gen())
    assert torch.equal(out, first)  # nothing stored yet
    second = 100 + torch.arange(8.0).reshape(8, 1)
    out, _ = buffer.mix(second, None, _gen())
    from_first = out[out < 100]
    assert len(from_first) == 4 and set(from_first.tolist()) <= set(first.flatten().tolist())
    # The buffer is full now; the newest fakes overwrite random slots.
    assert buffer.size == 8 and (buffer.samples >= 100).any()


def test_replay_buffer_keeps_labels_with_their_samples():
    buffer = ReplayBuffer(capacity=4, fraction=1.0)
    buffer.mix(torch.tensor([[1.0], [2.0], [3.0], [4.0]]), torch.tensor([1, 2, 3, 4]), _gen())
    out, labels = buffer.mix(torch.zeros(4, 1), torch.zeros(4, dtype=torch.long), _gen())
    assert torch.equal(out.flatten().long(), labels)
    state = buffer.state_dict()
    restored = ReplayBuffer(capacity=4)
    restored.load_state_dict(state)
    assert restored.size == 4 and torch.equal(restored.samples, buffer.samples)


def test_historical_averaging_adds_a_penalty_towards_the_average():
    layer = nn.Linear(2, 1)
    averaging = HistoricalAveraging(layer, weight=0.5)
    assert averaging.penalty().item() == 0.0
    with torch.no_grad():
        layer.weight.add_(1.0)
    # Two weights each 1 away from their average: 0.5 * (1 + 1).
    assert averaging.penalty().item() == pytest.approx(1.0)
    averaging.penalty().backward()
    assert (layer.weight.grad > 0).all()  # descent moves the weights back down
    averaging.update()
    assert averaging.penalty().item() == pytest.approx(0.5 * 2 * 0.25)  # average moved halfway


def test_averaged_copy_follows_the_source_slowly():
    source = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(source.weight)
    average = AveragedCopy(source, decay=0.99)
    with torch.no_grad():
        source.weight.fill_(1.0)
    average.update()  # first step: decay min(0.99, 1/10)
    assert average.module.weight.item() == pytest.approx(0.9)
    for _ in range(500):
        average.update()
    assert average.module.weight.item() == pytest.approx(1.0, abs=1e-3)
    assert not average.module.weight.requires_grad and not average.module.training


def test_frozen_copy_is_refreshed_every_k_steps():
    source = nn.Linear(1, 1, bias=False)
    copy_ = FrozenCopy(source, every=3)
    before = copy_.module.weight.clone()
    with torch.no_grad():
        source.weight.add_(1.0)
    copy_.step()
    copy_.step()
    assert torch.equal(copy_.module.weight, before)
    copy_.step()
    assert torch.equal(copy_.module.weight, source.weight)


def test_entropy_rewards_spread_and_pushes_samples_apart():
    collapsed = torch.zeros(16, 2) + 0.001 * torch.randn(16, 2, generator=_gen())
    spread = torch.randn(16, 2, generator=_gen())
    assert nearest_neighbour_entropy(spread) > nearest_neighbour_entropy(collapsed) + 3
    x = spread.clone().requires_grad_(True)
    (-nearest_neighbour_entropy(x)).backward()
    stepped = x.detach() - 0.1 * x.grad
    assert nearest_neighbour_entropy(stepped) > nearest_neighbour_entropy(spread)


def test_generator_schedule_trains_while_the_loss_is_above_the_target():
    schedule = GeneratorSchedule(target=1.0, max_steps=3)
    assert schedule.another_step(1, 2.0) and schedule.another_step(2, 2.0)
    assert not schedule.another_step(3, 2.0)  # at most three
    assert not schedule.another_step(1, 0.5)  # good enough
    assert not GeneratorSchedule(None, 5).another_step(1, 9.0)


def test_frozen_blocks_parameter_gradients_but_not_input_gradients():
    layer = nn.Linear(2, 1)
    x = torch.randn(3, 2, requires_grad=True)
    with frozen(layer):
        layer(x).sum().backward()
    assert layer.weight.grad is None and x.grad is not None
    assert layer.weight.requires_grad


# ---------------------------------------------------------------- the task


def _task(tricks: GANTricks, *, conditional=False, n=64, epochs=3, seed=0) -> GANTask:
    data = torch.Generator().manual_seed(123)
    X = torch.rand(n, 2, generator=data) * 2 - 1
    y = torch.randint(3, (n,), generator=data) if conditional else None
    n_classes = 3 if conditional else 0
    with seeded(seed):
        gen = MLPGenerator(
            4, 2, (16,), n_classes, batch_norm=tricks.batch_norm != "none", dropout=tricks.generator_dropout
        )
        disc = MLPDiscriminator(
            2,
            (16, 16),
            n_classes,
            dropout=tricks.discriminator_dropout,
            batch_norm=tricks.batch_norm == "both",
            noise_std=tricks.noise_layers,
        )
    return GANTask(gen, disc, X=X, y=y, batch_size=16, epochs=epochs, tricks=tricks, random=_gen(seed))


ALL_TRICKS = GANTricks(
    batch_norm="both",
    noise_layers=0.05,
    generator_dropout=0.1,
    historical_averaging=0.01,
    replay_buffer=32,
    frozen_copies_every=2,
    entropy=0.01,
    generator_loss_target=0.1,
    max_generator_steps=2,
)


@pytest.mark.parametrize("tricks", [GANTricks(), GANTricks.book(), GANTricks.plain(), ALL_TRICKS])
@pytest.mark.parametrize("conditional", [False, True])
def test_a_step_trains_every_parameter_and_logs_the_game(tricks, conditional):
    task = _task(tricks, conditional=conditional)
    before = {name: [p.clone() for p in m.parameters()] for name, m in task.modules.items()}
    batches = task.batches(0)
    assert len(batches) == 4 and all(b[0].shape == (16, 2) for b in batches)
    with seeded(0):
        logs = task.train_step(batches[0])
    assert {"d_loss", "g_loss", "d_real", "d_fake", "g_steps"} <= set(logs)
    assert 0 < logs["d_real"] < 1 and 0 < logs["d_fake"] < 1
    for name in ("generator", "discriminator"):
        for old, new in zip(before[name], task.modules[name].parameters(), strict=True):
            assert not torch.equal(old, new), name
    if tricks.entropy:
        assert "entropy" in logs and "g_averaging_penalty" in logs and "d_averaging_penalty" in logs


def test_last_small_batch_is_dropped_unless_it_is_the_only_one():
    task = _task(GANTricks(), n=40)
    assert [b[0].shape[0] for b in task.batches(0)] == [16, 16]
    small = _task(GANTricks(), n=10)
    assert [b[0].shape[0] for b in small.batches(0)] == [10]


def test_average_generator_is_a_module_of_the_task_and_the_sampler():
    task = _task(GANTricks())
    assert task.sampler is task.modules["average_generator"]
    without = _task(GANTricks(average_generator=0.0))
    assert without.sampler is without.generator and "average_generator" not in without.modules


def _run(task, epochs, folder=None, seed=0):
    callbacks = [Checkpoint(folder, fingerprint={"run": 1})] if folder else []
    with seeded(seed):
        history = None
        if folder and callbacks[0].exists():
            history = callbacks[0].restore(task)
        return Trainer(task, epochs=epochs, callbacks=callbacks, history=history).fit()


def test_a_resumed_run_continues_exactly_with_every_stateful_trick(tmp_path):
    straight = _task(ALL_TRICKS, conditional=True)
    _run(straight, 3)
    interrupted = _task(ALL_TRICKS, conditional=True)
    _run(interrupted, 2, tmp_path)
    resumed = _task(ALL_TRICKS, conditional=True, seed=0)
    history = _run(resumed, 3, tmp_path)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for name, module in straight.modules.items():
        for key, value in module.state_dict().items():
            torch.testing.assert_close(resumed.modules[name].state_dict()[key], value, rtol=0, atol=0)
    assert torch.equal(resumed.replay.samples, straight.replay.samples)


def test_tricks_can_be_replaced_one_at_a_time():
    tricks = dataclasses.replace(GANTricks(), replay_buffer=16)
    assert tricks.replay_buffer == 16 and _task(tricks).replay is not None
