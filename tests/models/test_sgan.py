import numpy as np
import pytest
import torch

import genfin
from genfin.exceptions import DataValidationError, NotFittedError
from genfin.models import SGANClassifier
from genfin.nn import SGANEnsemble, SGANNetworks
from genfin.training import Callback, SGANTask, make_generators
from genfin.training.sgan_task import validation_logs

# Fast settings for tiny data: the book's 2e-4 needs thousands of steps, these tests take ~100.
# One member: most tests are about a single SGAN; the default of five members has its own tests.
FAST = {"epochs": 8, "batch_size": 32, "generator_lr": 2e-3, "discriminator_lr": 2e-3, "n_members": 1}
CLASSES = (3, 7)  # not 0/1, so a mix-up of class indices and labels would show


def blobs(n=400, d=6, sep=3.0, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, d))
    X[:, 0] += sep * y
    X[:, 1] -= sep * y
    return X, np.asarray(CLASSES)[y]


def ten_labels_per_class(y_true, seed=1):
    rng = np.random.default_rng(seed)
    y = np.full(len(y_true), -1)
    for c in np.unique(y_true):
        rows = rng.choice(np.flatnonzero(y_true == c), 10, replace=False)
        y[rows] = c
    return y


@pytest.fixture(scope="module")
def data():
    X, y_true = blobs()
    return X, y_true, ten_labels_per_class(y_true)


@pytest.fixture(scope="module")
def fitted(data):
    X, _, y = data
    return SGANClassifier(random_state=0, **FAST).fit(X, y)


def unlabelled_accuracy(model, data):
    X, y_true, y = data
    rows = y == -1
    return float(np.mean(model.predict(X[rows]) == y_true[rows]))


def test_beats_chance_with_ten_labels_per_class(fitted, data):
    assert fitted._formulation() == "book"
    assert unlabelled_accuracy(fitted, data) >= 0.8  # chance is 0.5


def test_improved_formulation_beats_chance_too(data):
    X, _, y = data
    model = SGANClassifier(formulation="improved", random_state=0, **FAST).fit(X, y)
    assert unlabelled_accuracy(model, data) >= 0.8


def test_predictions_are_real_classes_only(fitted, data):
    X = data[0]
    assert fitted.classes_.tolist() == list(CLASSES)
    assert set(np.unique(fitted.predict(X))) <= set(CLASSES)
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    scores = fitted.decision_function(X)
    assert scores.shape == (len(X),)
    np.testing.assert_array_equal(scores > 0, fitted.predict(X) == CLASSES[1])


def test_history_and_best_epoch(fitted):
    history = fitted.history_
    assert len(history) == FAST["epochs"]
    for key in ("d_loss", "g_loss", "supervised_loss", "val_f1", "val_auprc", "val_accuracy", "best_epoch"):
        assert key in history[-1]
    best = max(h["val_f1"] for h in history)
    assert history[fitted.best_epoch_ - 1]["val_f1"] == best
    assert (fitted.n_labelled_, fitted.n_validation_, fitted.n_unlabelled_) == (16, 4, 380)


def test_unlabelled_rows_never_reach_the_class_loss(data, monkeypatch):
    X, _, y = data
    seen = {}
    original = SGANTask.__init__

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SGANTask, "__init__", spy)
    model = SGANClassifier(random_state=0, **{**FAST, "epochs": 1}).fit(X, y)
    labels = seen["y_labelled"].numpy()
    assert labels.min() >= 0 and len(labels) == model.n_labelled_
    labelled_rows = model._to_model_space(X[y != -1].astype(np.float32)).numpy()
    # Every labelled training row is one of the labelled rows, never an unlabelled one.
    for row in seen["X_labelled"].numpy():
        assert np.isclose(labelled_rows, row).all(axis=1).any()


def test_averaged_discriminator_is_the_saved_classifier(data, tmp_path):
    X, _, y = data
    plain = SGANClassifier(random_state=0, average_discriminator=0.0, **FAST).fit(X, y)
    averaged = SGANClassifier(random_state=0, **FAST).fit(X, y)
    assert averaged.average_discriminator == 0.99
    # Same seed, same training: only the classifier's weights (the average) differ.
    assert not np.array_equal(averaged.predict_proba(X), plain.predict_proba(X))
    assert unlabelled_accuracy(averaged, data) > 0.6
    averaged.save(tmp_path / "averaged")
    loaded = genfin.load(tmp_path / "averaged")
    np.testing.assert_array_equal(loaded.predict_proba(X), averaged.predict_proba(X))


def test_class_weights_are_divided_out_of_the_probabilities(data):
    X, _, y = data
    model = SGANClassifier(random_state=0, class_weight={7: 4.0}, **FAST).fit(X, y)
    assert model.class_weights_ == [1.0, 4.0, 1.0]
    with torch.no_grad():
        raw = model.module_(model._to_model_space(X.astype(np.float32))).double()
    expected = torch.softmax(raw - torch.log(torch.tensor([1.0, 4.0], dtype=torch.float64)), dim=1)
    np.testing.assert_allclose(model.predict_proba(X), expected.numpy(), rtol=1e-5)
    # The tilt of the weights is gone: class 7 is predicted less often than by the raw logits.
    assert (model.predict(X) == 7).sum() < (raw.argmax(1) == 1).sum()


def test_same_seed_same_predictions(fitted, data):
    X, _, y = data
    again = SGANClassifier(random_state=0, **FAST).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))


def test_save_then_load_gives_the_same_predictions(fitted, data, tmp_path):
    X = data[0]
    fitted.save(tmp_path / "sgan")
    loaded = genfin.load(tmp_path / "sgan")
    assert isinstance(loaded, SGANClassifier)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.best_epoch_ == fitted.best_epoch_ and loaded.history_ == fitted.history_
    assert not list(tmp_path.rglob("*.pkl"))


class Sabotage(Callback):
    """Before (1-based) ``epoch``, flip the class head's weights and stop learning: the classifier collapses
    and stays collapsed (on these easy blobs it would otherwise recover within an epoch)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_start(self, trainer):
        if trainer.epoch + 1 == self.epoch:
            with torch.no_grad():
                trainer.task.discriminator.class_head.weight.mul_(-1)
            for optimizer in trainer.task.optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = 0.0


@pytest.mark.parametrize("guard", ["stop", "rollback"])
def test_collapse_guard_returns_the_best_checkpoint(data, guard):
    X, _, y = data
    model = SGANClassifier(random_state=0, collapse_guard=guard, patience=2, **FAST)
    model.fit(X, y, callbacks=[Sabotage(epoch=5)])
    history = model.history_
    assert history[4]["val_f1"] < history[3]["val_f1"]  # the collapse happened
    if guard == "stop":
        assert len(history) < FAST["epochs"] and model.best_epoch_ <= 4
    else:
        assert any(h["rolled_back"] for h in history)
    # The returned weights are those of the best epoch seen, not the collapsed ones.
    assert history[model.best_epoch_ - 1]["val_f1"] == max(h["val_f1"] for h in history)
    assert unlabelled_accuracy(model, data) >= 0.8


def test_image_variant_on_small_digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    y = ten_labels_per_class(digits.target)
    model = SGANClassifier(
        generator_hidden=(64,),
        discriminator_hidden=(128, 64),
        random_state=0,
        **{**FAST, "epochs": 4, "batch_size": 64, "n_members": "auto"},
    ).fit(images, y)
    assert model.kind_ == "image" and model._formulation() == "improved"
    assert isinstance(model.module_, SGANNetworks)  # images default to one member
    rows = y == -1
    accuracy = np.mean(model.predict(images[rows]) == digits.target[rows])
    assert accuracy >= 0.6  # chance is 0.1
    assert model.predict_proba(images[:3]).shape == (3, 10)


def test_errors_before_any_work(data):
    X, _, y = data
    model = SGANClassifier(**FAST)
    with pytest.raises(DataValidationError, match="all 400 rows are unlabelled"):
        model.fit(X, np.full(400, -1))
    with pytest.raises(DataValidationError, match="single class"):
        model.fit(X, np.where(y == 3, 3, -1))
    one = y.copy()
    one[np.flatnonzero(one == 7)[1:]] = -1
    with pytest.raises(DataValidationError, match=r"\[7\] have fewer than 2 labelled rows"):
        model.fit(X, one)
    with pytest.raises(DataValidationError, match="expected 400 labels"):
        model.fit(X, y[:-1])
    bad = y.copy()
    bad[5] = -2
    with pytest.raises(DataValidationError, match="row index 5 holds -2"):
        model.fit(X, bad)
    with pytest.raises(DataValidationError, match="whole numbers"):
        model.fit(X, y + 0.5)
    with pytest.raises(ValueError, match="collapse_guard"):
        SGANClassifier(collapse_guard="maybe").fit(X, y)
    with pytest.raises(ValueError, match="precision"):
        SGANClassifier(precision="float16").fit(X, y)
    for members in (0, "many", 2.5):
        with pytest.raises(ValueError, match="n_members must be 'auto' or a positive int"):
            SGANClassifier(n_members=members).fit(X, y)
    with pytest.raises(ValueError, match="not among the labelled classes"):
        SGANClassifier(**{**FAST, "epochs": 1, "class_weight": {5: 2.0}}).fit(X, y)


def test_steps_per_epoch_sets_the_steps_of_each_epoch(data):
    X, _, y = data

    class CountSteps(Callback):
        steps = 0

        def on_batch_end(self, trainer, logs):
            CountSteps.steps += 1

    SGANClassifier(random_state=0, **{**FAST, "epochs": 3, "steps_per_epoch": 2}).fit(
        X, y, callbacks=[CountSteps()]
    )
    assert CountSteps.steps == 3 * 2  # a pass would be 400 // 32 = 12 steps
    with pytest.raises(ValueError, match="steps_per_epoch"):
        SGANClassifier(steps_per_epoch=0).fit(X, y)


def test_predict_checks_its_input(fitted):
    with pytest.raises(DataValidationError, match="expecting 6 features"):
        fitted.predict(np.zeros((2, 5)))
    with pytest.raises(NotFittedError):
        SGANClassifier().predict(np.zeros((2, 6)))


def test_cross_fitted_members_each_validate_on_their_own_fold(data):
    X, _, y = data
    model = SGANClassifier(random_state=0, **{**FAST, "epochs": 3, "n_members": 3}).fit(X, y)
    labels = model._check_y(y, len(y))
    folds = model._validation_folds(labels, make_generators(0)[0])  # as fit draws them
    labelled = np.flatnonzero(y != -1)
    # Every label validates exactly one member; every member validates on both classes.
    np.testing.assert_array_equal(np.sort(np.concatenate(folds)), labelled)
    assert all(set(labels[fold]) == {0, 1} for fold in folds)
    assert len(model.member_histories_) == 3
    # The history's validation scores pool the three folds: its loss is the members' losses
    # weighted by their fold sizes, not the first member's.
    sizes = np.array([len(fold) for fold in folds])
    for epoch, pooled in enumerate(model.history_):
        member_losses = [history[epoch]["val_loss"] for history in model.member_histories_]
        assert pooled["val_loss"] == pytest.approx(np.dot(sizes, member_losses) / sizes.sum())
        assert not any(name.startswith("member") for name in pooled)
    # The ensemble's probabilities are the mean of its members'.
    inputs = model._to_model_space(X.astype(np.float32))
    with torch.no_grad():
        members = [torch.softmax(m(inputs).double(), dim=1) for m in model.module_.members]
    np.testing.assert_allclose(model.predict_proba(X), torch.stack(members).mean(0).numpy(), rtol=1e-6)
    assert unlabelled_accuracy(model, data) >= 0.8


def test_rows_default_to_five_cross_fitted_members(data):
    X, _, y = data
    model = SGANClassifier(random_state=0, **{**FAST, "epochs": 1, "n_members": "auto"}).fit(X, y)
    assert isinstance(model.module_, SGANEnsemble) and len(model.module_.members) == 5
    assert len(model.member_histories_) == 5
    # 20 labels in 5 folds: each member validates on 4 and trains on the other 16.
    assert model.n_validation_ == 4 and model.n_labelled_ == 16


def test_cross_fitting_with_fewer_rows_than_members_still_validates_every_class(data):
    X, _, y = data
    few = y.copy()
    few[np.flatnonzero(y == 7)[2:]] = -1  # two labelled rows of class 7, three members
    model = SGANClassifier(n_members=3, random_state=0)
    model._check_params()
    labels = model._check_y(few, len(few))
    folds = model._validation_folds(labels, np.random.default_rng(0))
    assert all(set(labels[fold]) == {0, 1} for fold in folds)
    # Each member still trains on a row of class 7.
    rare = set(np.flatnonzero(labels == 1))
    assert all(rare - set(fold) for fold in folds)


def test_an_ensemble_saves_and_loads(data, tmp_path):
    X, _, y = data
    model = SGANClassifier(random_state=0, **{**FAST, "epochs": 2, "n_members": 2}).fit(X, y)
    model.save(tmp_path / "ensemble")
    loaded = genfin.load(tmp_path / "ensemble")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.member_histories_ == model.member_histories_ and loaded.best_epoch_ == model.best_epoch_


def test_members_return_the_epoch_of_the_best_pooled_score(data):
    X, _, y = data
    model = SGANClassifier(random_state=0, **{**FAST, "n_members": 3, "patience": 2}).fit(X, y)
    # The guard keeps the first epoch of the highest pooled F1, ties to the lower pooled loss.
    keys = [(logs["val_f1"], -logs["val_loss"]) for logs in model.history_]
    assert model.best_epoch_ == keys.index(max(keys)) + 1
    assert model.best_epoch_ < len(model.history_)  # so the members were put back to an earlier epoch
    # Every member is returned as it was at that epoch: its fold's scores then are its own now.
    labels = model._check_y(y, len(y))
    folds = model._validation_folds(labels, make_generators(0)[0])  # as fit draws them
    inputs = model._to_model_space(X.astype(np.float32))
    for member, fold, history in zip(model.module_.members, folds, model.member_histories_, strict=True):
        with torch.no_grad():
            proba = torch.softmax(member(inputs[fold]), dim=1)
        scores = validation_logs(torch.from_numpy(labels[fold]), proba)
        assert scores["val_loss"] == pytest.approx(history[model.best_epoch_ - 1]["val_loss"], rel=1e-5)


def test_held_out_probabilities_are_those_that_chose_the_epoch(data, tmp_path):
    X, _, y = data
    model = SGANClassifier(random_state=0, **{**FAST, "n_members": 3, "patience": 2}).fit(X, y)
    # Every labelled row was held out by one member: its probabilities come from that member.
    np.testing.assert_array_equal(model.validation_rows_, np.flatnonzero(y != -1))
    assert model.validation_proba_.shape == (20, 2)
    np.testing.assert_allclose(model.validation_proba_.sum(axis=1), 1.0)
    # They are the pooled out-of-fold predictions the returned epoch was chosen on.
    chosen = model.history_[model.best_epoch_ - 1]
    labels = model._check_y(y, len(y))[model.validation_rows_]
    proba = torch.from_numpy(model.validation_proba_)
    scores = validation_logs(torch.from_numpy(labels), proba)
    for name in ("val_f1", "val_auprc", "val_loss"):
        assert scores[name] == pytest.approx(chosen[name], rel=1e-5), name
    # Not the ensemble's: each row's own member never trained on it.
    assert not np.allclose(model.validation_proba_, model.predict_proba(X[model.validation_rows_]))
    model.save(tmp_path / "sgan")
    loaded = genfin.load(tmp_path / "sgan")
    np.testing.assert_array_equal(loaded.validation_rows_, model.validation_rows_)
    np.testing.assert_array_equal(loaded.validation_proba_, model.validation_proba_)


def test_one_member_holds_out_its_validation_share_and_none_without_validation(fitted, data):
    X, _, y = data
    # One member: the held-out rows' probabilities are the model's own.
    assert len(fitted.validation_rows_) == fitted.n_validation_ and set(y[fitted.validation_rows_]) == set(
        CLASSES
    )
    np.testing.assert_allclose(fitted.validation_proba_, fitted.predict_proba(X[fitted.validation_rows_]))
    without = SGANClassifier(random_state=0, **{**FAST, "epochs": 1, "validation_fraction": 0}).fit(X, y)
    assert without.validation_rows_.shape == (0,) and without.validation_proba_.shape == (0, 2)


def test_bfloat16_training_still_learns(data):
    X, _, y = data
    model = SGANClassifier(random_state=0, precision="bfloat16", **FAST).fit(X, y)
    assert unlabelled_accuracy(model, data) >= 0.8
    assert model.predict_proba(X).dtype == np.float64  # prediction is not in bfloat16


def test_an_interrupted_ensemble_resumes_where_it_stopped(data, tmp_path, interrupt_at):
    X, _, y = data
    settings = {**FAST, "epochs": 4, "n_members": 2, "random_state": 0}
    straight = SGANClassifier(**settings).fit(X, y)
    with pytest.raises(KeyboardInterrupt):
        SGANClassifier(checkpoint_dir=str(tmp_path), **settings).fit(X, y, callbacks=[interrupt_at(2)])
    resumed = SGANClassifier(checkpoint_dir=str(tmp_path), **settings).fit(X, y)
    assert [logs["epoch"] for logs in resumed.history_] == [1, 2, 3, 4]
    assert resumed.best_epoch_ == straight.best_epoch_
    np.testing.assert_array_equal(resumed.predict_proba(X), straight.predict_proba(X))
