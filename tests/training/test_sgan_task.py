import math

import pytest
import torch
from torch import nn

from genfin.nn import MLPGenerator, SGANDiscriminator, book_sgan_body, improved_gan_body
from genfin.training import CollapseGuard, SGANTask, Trainer, seeded
from genfin.training.sgan_task import frozen_batch_statistics, unweighted_logits, validation_scores

N_CLASSES = 3


def _task(formulation: str, *, body: str = "book", **kwargs) -> SGANTask:
    with seeded(0):
        generator = MLPGenerator(4, 6, (8,), batch_norm=True)
        layers = book_sgan_body(6, (12, 8)) if body == "book" else improved_gan_body(6, (12, 8))
        discriminator = SGANDiscriminator(layers, 8, N_CLASSES, separate_real_head=formulation == "book")
    g = torch.Generator().manual_seed(0)
    X_labelled = torch.randn(9, 6, generator=g)
    y_labelled = torch.arange(9) % N_CLASSES
    return SGANTask(
        generator,
        discriminator,
        X_labelled=X_labelled,
        y_labelled=y_labelled,
        X_unlabelled=torch.randn(40, 6, generator=g),
        X_val=X_labelled[:6],
        y_val=y_labelled[:6],
        batch_size=16,
        labelled_batch_size=8,
        formulation=formulation,
        random=torch.Generator().manual_seed(1),
        **kwargs,
    )


@pytest.mark.parametrize("formulation", ["improved", "book"])
def test_unlabelled_rows_never_enter_a_class_loss(formulation, monkeypatch):
    task = _task(formulation)
    calls = []
    original = SGANTask._class_loss

    def spy(self, logits, targets):
        calls.append((logits.shape[0], targets.clone()))
        return original(self, logits, targets)

    monkeypatch.setattr(SGANTask, "_class_loss", spy)
    for batch in task.batches(0):
        unlabelled, labelled, labels = batch
        n_calls = len(calls)
        task.train_step(batch)
        step_calls = calls[n_calls:]
        # The class loss sees the labelled batch with its true classes...
        assert step_calls[0][0] == labelled.shape[0] == 8
        assert torch.equal(step_calls[0][1], labels)
        if formulation == "book":
            # ...and generated rows as the fake class; nothing else, never -1 or a guessed class 0.
            assert len(step_calls) == 2
            assert torch.equal(step_calls[1][1], torch.full((unlabelled.shape[0],), N_CLASSES))
        else:
            assert len(step_calls) == 1
    assert all(int(t.min()) >= 0 for _, t in calls)


def test_class_loss_is_independent_of_unlabelled_rows():
    # Without batch norm, the labelled rows' loss cannot depend on the unlabelled rows at all.
    task = _task("improved", body="improved")
    task.discriminator.eval()
    unlabelled = task.X_unlabelled[:16].clone().requires_grad_(True)
    logits = task.discriminator.heads(task.discriminator.features(torch.cat([task.X_labelled, unlabelled])))[
        1
    ]
    loss = task._class_loss(logits[: len(task.X_labelled), :N_CLASSES], task.y_labelled)
    (grad,) = torch.autograd.grad(loss, unlabelled, allow_unused=True, materialize_grads=True)
    assert torch.equal(grad, torch.zeros_like(grad))


def test_labelled_rows_with_minus_one_are_refused():
    with pytest.raises(ValueError, match="unlabelled rows"):
        task = _task("improved")
        SGANTask(
            task.generator,
            task.discriminator,
            X_labelled=task.X_labelled,
            y_labelled=task.y_labelled - 1,
            X_unlabelled=task.X_unlabelled,
            random=torch.Generator(),
        )


@pytest.mark.parametrize("feature_matching", [True, False])
@pytest.mark.parametrize("formulation", ["improved", "book"])
def test_training_runs_and_logs(formulation, feature_matching):
    task = _task(formulation, feature_matching=feature_matching)
    history = Trainer(task, epochs=2).fit()
    assert len(history) == 2
    for key in ("d_loss", "g_loss", "supervised_loss", "unsupervised_loss", "val_loss", "val_auprc"):
        assert math.isfinite(history[-1][key])
    generator_grads = [p.grad for p in task.generator.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in generator_grads)


def test_generated_rows_leave_running_statistics_alone():
    norm = nn.BatchNorm1d(3)
    before = norm.running_mean.clone()
    with frozen_batch_statistics(norm):
        norm(torch.randn(8, 3) + 5)
    assert torch.equal(norm.running_mean, before) and norm.momentum == 0.1
    norm(torch.randn(8, 3) + 5)
    assert not torch.equal(norm.running_mean, before)


def test_validation_scores():
    proba = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]).numpy()
    scores = validation_scores(torch.tensor([0, 1, 1, 0]).numpy(), proba)
    assert scores["accuracy"] == 0.5 and scores["f1"] == 0.5 and 0 < scores["auprc"] <= 1


def test_steps_per_epoch_caps_an_epoch_and_draws_fresh_rows_each_time():
    whole = _task("book").batches(0)
    assert len(whole) == 40 // 16  # one pass: the last, smaller batch is dropped
    capped = _task("book", steps_per_epoch=1)
    first, second = capped.batches(0), capped.batches(1)
    assert len(first) == len(second) == 1 and first[0][0].shape == (16, 6)
    assert not torch.equal(first[0][0], second[0][0])  # a new draw of unlabelled rows
    assert len(_task("book", steps_per_epoch=99).batches(0)) == len(whole)  # a cap above a pass
    with pytest.raises(ValueError, match="steps_per_epoch"):
        _task("book", steps_per_epoch=0)


# ---------------------------------------------------------------------- the collapse guard


class ScriptedTask:
    """One weight that grows by 1 per epoch, and a scripted validation score."""

    def __init__(self, scores):
        self.scores = list(scores)
        self.layer = nn.Linear(1, 1, bias=False)
        nn.init.zeros_(self.layer.weight)
        self.modules = {"layer": self.layer}
        self.optimizers = {"layer": torch.optim.SGD(self.layer.parameters(), lr=1.0)}
        self.epoch = 0

    def batches(self, epoch):
        self.epoch = epoch
        return [torch.zeros(1, 1)]

    def train_step(self, batch):
        with torch.no_grad():
            self.layer.weight += 1
        return {"loss": torch.tensor(0.0)}

    def evaluate(self):
        return {"val_score": self.scores[self.epoch], "val_loss": 0.0}


COLLAPSE = [0.2, 0.5, 0.9, 0.4, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_guard_stops_and_returns_the_best_epoch():
    task = ScriptedTask(COLLAPSE)
    guard = CollapseGuard("val_score", patience=2, action="stop")
    history = Trainer(task, epochs=10, callbacks=[guard]).fit()
    assert len(history) == 5 and guard.best_epoch == 3
    assert task.layer.weight.item() == 3.0  # the weights after epoch 3


def test_guard_rolls_back_with_smaller_learning_rates_then_stops():
    task = ScriptedTask(COLLAPSE)
    guard = CollapseGuard("val_score", patience=2, action="rollback", max_rollbacks=2, lr_factor=0.5)
    history = Trainer(task, epochs=10, callbacks=[guard]).fit()
    assert [h["epoch"] for h in history if h["rolled_back"]] == [5, 7]
    assert len(history) == 9  # a third collapse stops training
    assert task.optimizers["layer"].param_groups[0]["lr"] == 0.25
    # After a rollback training continues from the best weights: 3 + 2 epochs, not 5 + 2.
    assert task.layer.weight.item() == 3.0 and history[-1]["best_epoch"] == 3


def test_guard_off_trains_on_and_keeps_the_last_weights():
    task = ScriptedTask(COLLAPSE)
    guard = CollapseGuard("val_score", action="off")
    history = Trainer(task, epochs=10, callbacks=[guard]).fit()
    assert len(history) == 10 and task.layer.weight.item() == 10.0
    assert guard.best_epoch == 3 and history[-1]["best_epoch"] == 3


def test_guard_breaks_ties_by_the_lower_loss_and_treats_nan_as_worst():
    task = ScriptedTask([0.5, float("nan"), 0.5, 0.5])
    losses = iter([1.0, 0.0, 0.5, 0.7])
    original = task.evaluate
    task.evaluate = lambda: {**original(), "val_loss": next(losses)}
    guard = CollapseGuard("val_score", action="off")
    Trainer(task, epochs=4, callbacks=[guard]).fit()
    assert guard.best_epoch == 3


def test_guard_breaks_ties_by_a_higher_is_better_metric_in_max_mode():
    task = ScriptedTask([0.5, 0.9, 0.9, 0.9])
    auprc = iter([0.99, 0.6, 0.8, 0.7])
    original = task.evaluate
    task.evaluate = lambda: {**original(), "val_auprc": next(auprc)}
    guard = CollapseGuard("val_score", tie_breaker="val_auprc", tie_breaker_mode="max", action="off")
    Trainer(task, epochs=4, callbacks=[guard]).fit()
    assert guard.best_epoch == 3  # the highest AUPRC among the tied F1s, not epoch 1's 0.99
    with pytest.raises(ValueError, match="tie_breaker_mode"):
        CollapseGuard("val_score", tie_breaker_mode="lower")


def test_guard_acts_on_a_fall_not_on_a_tie_that_loses_on_the_tie_breaker():
    # The metric sits at its best (AUPRC 1 with one validation fraud) while the loss wanders: no fall.
    task = ScriptedTask([1.0] * 6 + [0.5, 0.5])
    losses = iter([0.5, 0.1, 0.3, 0.4, 0.2, 0.6, 0.9, 0.9])
    original = task.evaluate
    task.evaluate = lambda: {**original(), "val_loss": next(losses)}
    guard = CollapseGuard("val_score", patience=2, action="stop")
    history = Trainer(task, epochs=8, callbacks=[guard]).fit()
    assert guard.best_epoch == 2  # the tie with the lowest loss
    assert len(history) == 8  # epochs 3-6 did not fall; 7 and 8 did, and then it stops
    assert guard.rollback_epochs == [] and task.layer.weight.item() == 2.0


def test_guard_needs_its_metric():
    task = ScriptedTask([0.5])
    with pytest.raises(KeyError, match="val_auprc"):
        Trainer(task, epochs=1, callbacks=[CollapseGuard("val_auprc")]).fit()


def test_averaged_discriminator_classifies_and_lags_the_trained_one():
    task = _task("book", average_discriminator=0.9)
    assert "averaged_discriminator" in task.modules and task.classifier is task.average.module
    Trainer(task, epochs=2).fit()
    trained = dict(task.discriminator.named_parameters())
    averaged = dict(task.average.module.named_parameters())
    assert all(not torch.equal(trained[n], averaged[n]) for n in trained)
    with torch.no_grad():
        expected = torch.softmax(task.average.module.eval()(task.X_val)[1][:, :N_CLASSES], dim=1)
    torch.testing.assert_close(task.predict_proba(task.X_val), expected)
    assert task.discriminator.training and not task.average.module.training
    assert task.extra_state()["average_steps"] == task.average.steps > 0
    with pytest.raises(ValueError, match="average_discriminator"):
        _task("book", average_discriminator=1.0)


def test_unweighted_logits_divide_the_weights_out_of_the_probabilities():
    logits = torch.tensor([[0.0, 0.0], [1.0, -1.0]])
    proba = torch.softmax(unweighted_logits(logits, torch.tensor([1.0, 3.0])), dim=1)
    # p_k / w_k renormalised: [0.5, 0.5] -> [0.75, 0.25].
    torch.testing.assert_close(proba[0], torch.tensor([0.75, 0.25]))
    same = unweighted_logits(logits, torch.tensor([2.0, 2.0]))
    torch.testing.assert_close(torch.softmax(same, 1), torch.softmax(logits, 1))
