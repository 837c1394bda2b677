from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from genfin.training import Callback, Checkpoint, EarlyStopping, Trainer, TrainingDivergedError, seeded
from genfin.training.state import flatten_state, load_state, save_state, unflatten_state


class LineTask:
    """Fit y = 2x with one weight: a task small enough to check the loop's bookkeeping by hand."""

    def __init__(self, lr=0.1, val_losses=None):
        self.net = nn.Linear(1, 1, bias=False)
        nn.init.zeros_(self.net.weight)
        self.modules = {"net": self.net}
        self.optimizers = {"sgd": torch.optim.SGD(self.net.parameters(), lr=lr)}
        self.x = torch.linspace(-1, 1, 8).unsqueeze(1)
        self.val_losses = list(val_losses or [])

    def batches(self, epoch):
        return [self.x[:4], self.x[4:6], self.x[6:]]

    def train_step(self, batch):
        loss = (self.net(batch) - 2 * batch).square().mean()
        self.optimizers["sgd"].zero_grad()
        loss.backward()
        self.optimizers["sgd"].step()
        return {"loss": loss.detach()}

    def evaluate(self):
        return {"val_loss": self.val_losses.pop(0)} if self.val_losses else {}


def test_history_holds_batch_size_weighted_means():
    seen = []

    class Record(Callback):
        def on_batch_end(self, trainer, losses):
            seen.append((len(trainer.task.batches(0)[trainer.batch_index]), float(losses["loss"])))

    history = Trainer(LineTask(), epochs=2, callbacks=[Record()]).fit()
    assert [h["epoch"] for h in history] == [1, 2]
    first_epoch = seen[:3]
    expected = sum(n * loss for n, loss in first_epoch) / 8
    assert history[0]["loss"] == pytest.approx(expected)
    assert history[1]["loss"] < history[0]["loss"]


def test_early_stopping_stops_and_restores_best_weights():
    task = LineTask(val_losses=[5.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    weights = []

    class Keep(Callback):
        def on_epoch_end(self, trainer, logs):
            weights.append(task.net.weight.detach().clone())

    stopper = EarlyStopping("val_loss", patience=2)
    history = Trainer(task, epochs=6, callbacks=[Keep(), stopper]).fit()
    assert len(history) == 4
    assert stopper.best_epoch == 2
    torch.testing.assert_close(task.net.weight, weights[1])


def test_divergence_is_reported_with_the_epoch():
    task = LineTask(lr=1e6)
    with pytest.raises(TrainingDivergedError, match="epoch"):
        Trainer(task, epochs=50).fit()


def test_checkpoint_resume_matches_uninterrupted_run(tmp_path):
    full = LineTask(lr=0.05)
    Trainer(full, epochs=5).fit()

    first = LineTask(lr=0.05)
    assert Checkpoint(tmp_path, fingerprint={"run": 1}).resume(first) is None  # nothing saved yet
    Trainer(first, epochs=2, callbacks=[Checkpoint(tmp_path, fingerprint={"run": 1})]).fit()
    resumed = LineTask(lr=0.05)
    checkpoint = Checkpoint(tmp_path, fingerprint={"run": 1})
    history = checkpoint.resume(resumed)
    assert len(history) == 2
    Trainer(resumed, epochs=5, history=history, callbacks=[checkpoint]).fit()
    torch.testing.assert_close(resumed.net.weight, full.net.weight)
    with pytest.raises(ValueError, match="different run"):
        Checkpoint(tmp_path, fingerprint={"run": 2}).restore(LineTask())


def test_state_round_trip_keeps_types(tmp_path):
    net = nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    state = {
        "opt": opt.state_dict(),
        "gen": torch.Generator().manual_seed(3).get_state(),
        "n": 1.5,
        "x": None,
    }
    skeleton, tensors = flatten_state(state)
    back = unflatten_state(skeleton, tensors)
    assert set(back["opt"]["state"]) == {0, 1}
    save_state(tmp_path, "s", state)
    loaded = load_state(tmp_path, "s")
    fresh = torch.optim.Adam(net.parameters())
    fresh.load_state_dict(loaded["opt"])
    torch.testing.assert_close(
        fresh.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"]
    )
    assert loaded["n"] == 1.5 and loaded["x"] is None
    assert not math.isnan(float(loaded["gen"].float().sum()))


def test_seeded_restores_the_callers_random_stream():
    torch.manual_seed(7)
    expected = torch.rand(2)
    torch.manual_seed(7)
    with seeded(1):
        inside = torch.rand(2)
    assert torch.equal(torch.rand(2), expected)
    with seeded(1):
        assert torch.equal(torch.rand(2), inside)


class DtypeTask(LineTask):
    """Records the dtype a matrix product runs in during each step."""

    def __init__(self):
        super().__init__()
        self.dtypes = []

    def train_step(self, batch):
        self.dtypes.append(self.net(batch).dtype)
        return super().train_step(batch)


def test_bfloat16_precision_runs_the_steps_under_autocast_and_keeps_float32_weights():
    task = DtypeTask()
    history = Trainer(task, epochs=2, precision="bfloat16").fit()
    assert set(task.dtypes) == {torch.bfloat16}
    assert task.net.weight.dtype == torch.float32
    assert history[1]["loss"] < history[0]["loss"]
    task = DtypeTask()
    Trainer(task, epochs=1).fit()
    assert set(task.dtypes) == {torch.float32}


def test_an_unknown_precision_is_rejected_before_training():
    task = LineTask()
    with pytest.raises(ValueError, match="precision must be one of"):
        Trainer(task, epochs=1, precision="float16")
    assert float(task.net.weight.detach()) == 0.0
