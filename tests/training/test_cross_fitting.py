import io

import pytest
import torch
from torch import nn

from genfin.training import ProgressBar, Trainer
from genfin.training.cross_fitting import CrossFittedTask, split_member_logs
from genfin.training.sgan_task import validation_logs


class LinearMember:
    """A tiny member task: a linear classifier of 2 features, one fold of validation rows."""

    def __init__(self, X_val, y_val, seed):
        torch.manual_seed(seed)
        self.model = nn.Linear(2, 2)
        self.modules = {"model": self.model}
        self.optimizers = {"model": torch.optim.SGD(self.model.parameters(), lr=0.1)}
        self.X_val, self.y_val = X_val, y_val
        self.steps = 0
        self.X = torch.randn(8, 2, generator=torch.Generator().manual_seed(seed))
        self.y = (self.X[:, 0] > 0).long()

    def batches(self, epoch):
        return [(self.X[:4], self.y[:4]), (self.X[4:], self.y[4:])]

    def train_step(self, batch):
        X, y = batch
        loss = nn.functional.cross_entropy(self.model(X), y)
        self.optimizers["model"].zero_grad()
        loss.backward()
        self.optimizers["model"].step()
        self.steps += 1
        return {"loss": loss.detach()}

    @torch.no_grad()
    def predict_proba(self, X):
        return torch.softmax(self.model(X), dim=1)

    def extra_state(self):
        return {"steps": self.steps}

    def load_extra_state(self, state):
        self.steps = state["steps"]


def members():
    folds = [
        (torch.tensor([[1.0, 0.0], [-1.0, 0.0]]), torch.tensor([1, 0])),
        (torch.tensor([[2.0, 0.0], [-2.0, 1.0], [0.5, 0.5]]), torch.tensor([1, 0, 1])),
    ]
    return [LinearMember(X, y, seed) for seed, (X, y) in enumerate(folds)]


def test_an_epoch_runs_every_member_and_names_their_modules_apart():
    tasks = members()
    task = CrossFittedTask(tasks, validation_logs)
    assert sorted(task.modules) == ["member1_model", "member2_model"]
    assert task.optimizers["member2_model"] is tasks[1].optimizers["model"]
    batches = task.batches(0)
    assert [batch[-1] for batch in batches] == [0, 0, 1, 1]  # member after member, tag last
    Trainer(task, epochs=3).fit()
    assert [t.steps for t in tasks] == [6, 6]


def test_validation_pools_the_folds_and_keeps_each_members_own_scores():
    tasks = members()
    logs = CrossFittedTask(tasks, validation_logs).evaluate()
    pooled = validation_logs(
        torch.cat([t.y_val for t in tasks]), torch.cat([t.predict_proba(t.X_val) for t in tasks])
    )
    assert {k: logs[k] for k in pooled} == pytest.approx(pooled)
    for i, t in enumerate(tasks, 1):
        own = validation_logs(t.y_val, t.predict_proba(t.X_val))
        assert {k: logs[f"member{i}_{k}"] for k in own} == pytest.approx(own)
    # The pooled loss weights each fold by its rows (2 and 3), so it is not any member's.
    assert logs["val_loss"] == pytest.approx(
        (2 * logs["member1_val_loss"] + 3 * logs["member2_val_loss"]) / 5
    )


def test_members_without_validation_rows_give_no_scores():
    tasks = members()
    for t in tasks:
        t.X_val = t.y_val = None
    assert CrossFittedTask(tasks, validation_logs).evaluate() == {}


def test_extra_state_round_trips_every_member():
    tasks = members()
    task = CrossFittedTask(tasks, validation_logs)
    tasks[1].steps = 5
    state = task.extra_state()
    tasks[1].steps = 0
    task.load_extra_state(state)
    assert [t.steps for t in tasks] == [0, 5]


def test_split_member_logs_parts_the_pooled_and_each_members_history():
    history = [
        {
            "epoch": 1,
            "loss": 0.5,
            "val_f1": 0.4,
            "member1_val_f1": 0.0,
            "member2_val_f1": 1.0,
            "best_epoch": 1,
        },
        {
            "epoch": 2,
            "loss": 0.4,
            "val_f1": 0.6,
            "member1_val_f1": 0.5,
            "member2_val_f1": 0.7,
            "best_epoch": 2,
        },
    ]
    pooled, per_member = split_member_logs(history, 2)
    assert pooled == [{k: v for k, v in h.items() if not k.startswith("member")} for h in history]
    assert per_member[1] == [
        {"epoch": 1, "best_epoch": 1, "val_f1": 1.0},
        {"epoch": 2, "best_epoch": 2, "val_f1": 0.7},
    ]


def test_an_empty_list_of_members_is_refused():
    with pytest.raises(ValueError, match="at least one member"):
        CrossFittedTask([], validation_logs)


def test_the_progress_lines_show_the_pooled_scores_and_hide_each_members():
    out = io.StringIO()
    Trainer(
        CrossFittedTask(members(), validation_logs),
        epochs=1,
        callbacks=[ProgressBar(file=out, hide=("member",))],
    ).fit()
    line = out.getvalue().strip().splitlines()[-1]
    assert "val_f1" in line and "member" not in line
