from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from genfin import load
from genfin.data import load_mnist_sample
from genfin.exceptions import DataValidationError, NotFittedError
from genfin.models.vae import VAE
from genfin.training import Callback, VAETask
from genfin.training.vae_task import kl_weight

TABULAR = dict(
    hidden_layer_sizes=(16,), latent_dim=3, epochs=20, batch_size=32, learning_rate=1e-2, random_state=0
)
IMAGES = dict(
    hidden_layer_sizes=(64,), latent_dim=8, epochs=20, batch_size=50, learning_rate=3e-3, random_state=0
)
COLUMNS = [f"f{i}" for i in range(8)]


def _table(n_normal=600, n_anomalies=0, seed=3):
    """Rows on a 3-dimensional manifold in 8 features, in units far from standard (offsets, scales)."""
    from tests.conftest import planted_anomalies

    X, y = planted_anomalies(n_normal=n_normal, n_anomalies=n_anomalies, n_features=8, seed=seed)
    return pd.DataFrame(X * np.arange(1, 9) * 10 + np.arange(8) * 100, columns=COLUMNS), y


@pytest.fixture(scope="module")
def table():
    return _table()[0]


@pytest.fixture(scope="module")
def tabular(table):
    return VAE(**TABULAR).fit(table)


@pytest.fixture(scope="module")
def digits():
    train, test = load_mnist_sample()
    return train.images[:500], test.images[:100]


@pytest.fixture(scope="module")
def images(digits):
    return VAE(**IMAGES).fit(digits[0])


@pytest.fixture(params=["tabular", "images"])
def fitted_and_data(request, tabular, table, images, digits):
    if request.param == "tabular":
        return tabular, table.iloc[:50]
    return images, digits[1][:50]


# ---------------------------------------------------------------------- architecture and training


def test_book_architectures_by_default():
    model = VAE()
    model.kind_, model.n_features_in_ = "tabular", 29
    module = model._build_module()
    assert [tuple(p.shape) for p in module.mean.parameters()] == [(6, 16), (6,)]
    assert (module.n_features, module.latent_dim, module.output) == (29, 6, "gaussian")
    assert [m.out_features for m in module.decoder if isinstance(m, torch.nn.Linear)] == [16, 29]
    model.kind_, model.n_features_in_ = "image", 784
    module = model._build_module()
    assert (module.n_features, module.latent_dim, module.output) == (784, 32, "bernoulli")
    assert [m.out_features for m in module.encoder if isinstance(m, torch.nn.Linear)] == [256]
    assert (model.beta, model.batch_size, model.scaler, model.activation) == (1.0, 128, "power", "relu")


def test_kind_is_found_from_the_input(tabular, images, digits):
    assert tabular.kind_ == "tabular" and tabular.image_shape_ is None
    assert tabular.feature_names_in_ == COLUMNS
    assert images.kind_ == "image" and images.image_shape_ == (28, 28) and images.n_features_in_ == 784
    assert images.scaler_ is None
    flat = VAE(**{**IMAGES, "epochs": 1, "kind": "image"}).fit(digits[0][:100].reshape(100, 784))
    assert flat.kind_ == "image" and flat.image_shape_ == (28, 28)


def test_every_parameter_receives_a_gradient_in_a_training_step():
    model = VAE(kind="image", hidden_layer_sizes=(16, 8), latent_dim=4)
    model.kind_, model.n_features_in_ = "image", 49
    torch.manual_seed(0)
    module = model._build_module()
    task = VAETask(
        module,
        torch.optim.SGD(module.parameters(), lr=0.0),
        X_train=torch.rand(32, 49),
        X_val=None,
        batch_size=16,
        generator=torch.Generator().manual_seed(0),
        beta=1.0,
        kl_warmup_epochs=0,
        eval_seed=0,
    )
    losses = task.train_step(task.batches(0)[0])
    assert set(losses) == {"loss", "reconstruction", "kl"}
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


@pytest.mark.parametrize("which", ["tabular", "images"])
def test_elbo_improves_and_both_terms_are_logged(which, tabular, images):
    history = (tabular if which == "tabular" else images).history_
    expected = {
        "epoch",
        "loss",
        "reconstruction",
        "kl",
        "kl_weight",
        "val_reconstruction",
        "val_kl",
        "val_loss",
    }
    assert all(expected <= set(h) for h in history)
    # The book's quality floor: validation negative ELBO clearly lower at the end than after epoch 1.
    assert history[-1]["val_loss"] < 0.8 * history[0]["val_loss"]
    assert all(h["kl"] >= 0 and h["val_kl"] >= 0 for h in history)
    for h in history:
        assert h["loss"] == pytest.approx(h["reconstruction"] + h["kl"], rel=1e-5)
        assert h["val_loss"] == pytest.approx(h["val_reconstruction"] + h["val_kl"], rel=1e-9)


def test_kl_warmup_schedule(table):
    assert [kl_weight(e, 3) for e in range(5)] == [0.0, 1 / 3, 2 / 3, 1.0, 1.0]
    assert kl_weight(0, 0) == 1.0
    model = VAE(**{**TABULAR, "epochs": 4, "kl_warmup_epochs": 2, "beta": 2.0}).fit(table)
    assert [h["kl_weight"] for h in model.history_] == [0.0, 0.5, 1.0, 1.0]
    for h in model.history_:
        assert h["loss"] == pytest.approx(h["reconstruction"] + 2.0 * h["kl_weight"] * h["kl"], rel=1e-5)
        assert h["val_loss"] == pytest.approx(h["val_reconstruction"] + 2.0 * h["val_kl"], rel=1e-9)


# ---------------------------------------------------------------------- outputs


def test_tabular_outputs_in_original_units_with_column_names(tabular, table):
    codes = tabular.transform(table)
    assert codes.shape == (len(table), 3) and codes.dtype == np.float64
    samples = tabular.sample(3000, random_state=1)
    assert (
        isinstance(samples, pd.DataFrame) and list(samples.columns) == COLUMNS and samples.shape == (3000, 8)
    )
    # Column means of the samples match the training data's, in its own (shifted, scaled) units.
    assert (np.abs(samples.mean() - table.mean()) / table.std()).max() < 0.2
    assert ((samples.std() / table.std()).between(0.5, 1.5)).all()
    rebuilt = tabular.reconstruct(table)
    assert list(rebuilt.index) == list(table.index) and list(rebuilt.columns) == COLUMNS
    assert (np.abs(rebuilt - table).mean() < 0.5 * table.std()).all()
    decoded = tabular.decode(codes[:5])
    assert isinstance(decoded, pd.DataFrame)
    np.testing.assert_allclose(decoded.to_numpy(), rebuilt.to_numpy()[:5], rtol=1e-4, atol=1e-3)


def test_plain_arrays_in_plain_arrays_out(table):
    model = VAE(**{**TABULAR, "epochs": 1}).fit(table.to_numpy())
    assert model.feature_names_in_ is None
    assert isinstance(model.sample(4, random_state=0), np.ndarray)
    assert model.sample(4, random_state=0).shape == (4, 8)
    assert isinstance(model.sample_like(table.to_numpy()[:2], 3), np.ndarray)


def test_image_outputs(images, digits):
    _, test = digits
    samples = images.sample(6, random_state=0)
    assert samples.shape == (6, 28, 28) and samples.dtype == np.float32
    assert samples.min() >= 0 and samples.max() <= 1
    assert images.transform(test).shape == (100, 8)
    rebuilt = images.reconstruct(test[:5])
    assert rebuilt.shape == (5, 28, 28)
    np.testing.assert_allclose(images.decode(images.transform(test[:5])), rebuilt, atol=1e-6)
    assert images.sample_like(test[:3], n_per_row=4, random_state=0).shape == (12, 28, 28)


@pytest.mark.parametrize("which", ["tabular", "images"])
def test_variations_are_closest_to_their_source(which, tabular, table, images, digits):
    if which == "tabular":
        model, rows = tabular, table.iloc[:20]
        source = tabular.scaler_.transform(rows)
        varied = tabular.scaler_.transform(tabular.sample_like(rows, n_per_row=5, random_state=0).to_numpy())
    else:
        model, rows = images, digits[1][:20]
        source = rows.reshape(20, -1) / 255.0
        varied = model.sample_like(rows, n_per_row=5, random_state=0).reshape(100, -1)
    distances = np.linalg.norm(varied[:, None, :] - source[None, :, :], axis=2)  # (100 variations, 20 rows)
    own = distances[np.arange(100), np.repeat(np.arange(20), 5)]
    others = (distances.sum(axis=1) - own) / 19
    # Measured: 0.34 (tabular), 0.69 (images, blurrier after 20 epochs on 450 digits).
    assert own.mean() < {"tabular": 0.5, "images": 0.8}[which] * others.mean()
    # Variations differ from one another: they are drawn, not the posterior mean repeated.
    assert np.abs(varied[0] - varied[1]).max() > 1e-3


def test_sample_like_keeps_the_index(tabular, table):
    rows = table.iloc[[5, 9]]
    varied = tabular.sample_like(rows, n_per_row=3, random_state=0)
    assert list(varied.index) == [5, 5, 5, 9, 9, 9] and list(varied.columns) == COLUMNS


def test_score_is_a_negative_elbo_and_flags_off_manifold_rows():
    X, y = _table(n_normal=600, n_anomalies=40, seed=5)
    model = VAE(**TABULAR).fit(X[y == 0])
    scores = model.score_samples(X)
    assert scores.shape == (len(X),) and scores.dtype == np.float64 and (scores > 0).all()
    assert roc_auc_score(y, scores) > 0.9
    np.testing.assert_array_equal(model.score_samples(X), scores)
    # The same posterior draws for every row: a row's score does not depend on the others.
    np.testing.assert_allclose(model.score_samples(X.iloc[::-1][:30]), scores[::-1][:30], rtol=1e-5)


# ---------------------------------------------------------------------- randomness


def test_same_seed_same_model_samples_and_scores(table):
    params = {**TABULAR, "epochs": 3}
    a, b = VAE(**params).fit(table), VAE(**params).fit(table)
    assert [h["loss"] for h in a.history_] == [h["loss"] for h in b.history_]
    np.testing.assert_array_equal(a.score_samples(table), b.score_samples(table))
    pd.testing.assert_frame_equal(a.sample(10, random_state=4), b.sample(10, random_state=4))
    pd.testing.assert_frame_equal(
        a.sample_like(table[:3], random_state=4), b.sample_like(table[:3], random_state=4)
    )
    assert not a.sample(10, random_state=4).equals(a.sample(10, random_state=5))
    c = VAE(**{**params, "random_state": 1}).fit(table)
    assert not np.array_equal(a.score_samples(table), c.score_samples(table))


def test_global_torch_random_state_is_untouched(table, digits):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    model = VAE(**{**TABULAR, "epochs": 1}).fit(table)
    model.sample(5)
    model.sample_like(table[:2])
    model.score_samples(table)
    VAE(**{**IMAGES, "epochs": 1}).fit(digits[0][:60]).sample(2)
    np.testing.assert_array_equal(torch.rand(3), expected)


# ---------------------------------------------------------------------- saving and resuming


def test_save_then_load_gives_the_same_everything(fitted_and_data, tmp_path):
    model, X = fitted_and_data
    model.save(tmp_path / "vae")
    loaded = load(tmp_path / "vae")
    assert (
        isinstance(loaded, VAE) and loaded.kind_ == model.kind_ and loaded.image_shape_ == model.image_shape_
    )
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))
    np.testing.assert_array_equal(
        np.asarray(loaded.sample(7, random_state=3)), np.asarray(model.sample(7, random_state=3))
    )
    np.testing.assert_array_equal(
        np.asarray(loaded.sample_like(X[:2], random_state=3)),
        np.asarray(model.sample_like(X[:2], random_state=3)),
    )
    assert loaded.history_ == model.history_
    assert not any(p.suffix in (".pkl", ".pt", ".pickle") for p in (tmp_path / "vae").iterdir())


def test_interrupted_fit_resumes_from_checkpoint(table, tmp_path):
    params = {**TABULAR, "epochs": 6, "kl_warmup_epochs": 3, "checkpoint_dir": str(tmp_path / "ckpt")}
    full = VAE(**{**params, "checkpoint_dir": None}).fit(table)

    class Interrupt(Exception):
        pass

    class StopAfterThirdEpoch(Callback):
        def on_epoch_end(self, trainer, logs):
            if trainer.epoch == 2:
                raise Interrupt

    with pytest.raises(Interrupt):
        VAE(**params).fit(table, callbacks=[StopAfterThirdEpoch()])

    class CountEpochs(Callback):
        run = 0

        def on_epoch_end(self, trainer, logs):
            CountEpochs.run += 1

    resumed = VAE(**params).fit(table, callbacks=[CountEpochs()])
    # Epochs 3 to 6: epochs 1 and 2 come from the checkpoint; the interrupt came before epoch 3's.
    assert CountEpochs.run == 4
    assert [h["kl_weight"] for h in resumed.history_] == [h["kl_weight"] for h in full.history_]
    np.testing.assert_allclose(
        [h["val_loss"] for h in resumed.history_], [h["val_loss"] for h in full.history_], rtol=1e-5
    )
    np.testing.assert_allclose(resumed.score_samples(table), full.score_samples(table), rtol=1e-4)
    with pytest.raises(ValueError, match="different"):
        VAE(**{**params, "beta": 0.5}).fit(table)


def test_early_stopping_keeps_the_best_epoch(table):
    model = VAE(**{**TABULAR, "epochs": 40, "early_stopping": True, "patience": 2}).fit(table)
    losses = [h["val_loss"] for h in model.history_]
    assert len(losses) < 40
    best = int(np.argmin(losses))
    assert len(losses) - 1 - best == 2


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(kind="text"), "kind"),
        (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=8), "hidden_layer_sizes"),
        (dict(latent_dim=0), "latent_dim"),
        (dict(activation="swish"), "activation"),
        (dict(scaler="robust"), "scaler"),
        (dict(beta=-1.0), "beta"),
        (dict(kl_warmup_epochs=-1), "kl_warmup_epochs"),
        (dict(epochs=0), "epochs"),
        (dict(n_score_samples=0), "n_score_samples"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(early_stopping=True, validation_fraction=0.0), "validation_fraction"),
    ],
)
def test_bad_hyperparameters(params, message):
    with pytest.raises(ValueError, match=message):
        VAE(**params).fit(np.ones((4, 3)))


def test_bad_input_at_fit_time():
    with pytest.raises(DataValidationError, match="NaN"):
        VAE().fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(DataValidationError, match="at least 2 rows"):
        VAE().fit(np.ones((1, 3)))
    with pytest.raises(DataValidationError, match="pixel values must be in"):
        VAE().fit(np.full((3, 28, 28), 2.0))
    with pytest.raises(DataValidationError, match="square number of pixels"):
        VAE(kind="image").fit(np.ones((3, 10)))
    with pytest.raises(DataValidationError, match="non-numeric"):
        VAE().fit(pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0]}))


def test_bad_input_after_fitting(tabular, table, images):
    with pytest.raises(NotFittedError, match="not fitted"):
        VAE().sample(3)
    with pytest.raises(DataValidationError, match="missing.*f0"):
        tabular.score_samples(table.rename(columns={"f0": "other"}))
    with pytest.raises(DataValidationError, match="X has 7 features, but VAE is expecting 8"):
        tabular.transform(np.ones((2, 7)))
    with pytest.raises(DataValidationError, match="2-D"):
        tabular.sample_like(np.ones(8))
    with pytest.raises(DataValidationError, match="fitted on 28 x 28"):
        images.transform(np.zeros((2, 20, 20), dtype=np.uint8))
    with pytest.raises(DataValidationError, match=r"shape \(n, 8\)"):
        images.decode(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n must be a positive int"):
        tabular.sample(0)
    with pytest.raises(ValueError, match="n_per_row"):
        tabular.sample_like(table[:2], n_per_row=0)


def test_clone_and_params():
    model = VAE(kind="image", beta=4.0)
    assert clone(model).get_params() == model.get_params()
    assert model.get_params()["kl_warmup_epochs"] == 0


@parametrize_with_checks([VAE(epochs=2, batch_size=16, random_state=0, validation_fraction=0.0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------- conditional VAE


@pytest.fixture(scope="module")
def two_classes(table):
    """Class 1 is the table's rows moved in four of the eight features: a classifier tells them apart."""
    shifted = table.copy()
    shifted[COLUMNS[:4]] += 3 * table[COLUMNS[:4]].std()
    X = pd.concat([table, shifted.iloc[:200]], ignore_index=True)
    return X, np.r_[np.zeros(len(table), int), np.ones(200, int)]


@pytest.fixture(scope="module")
def conditional(two_classes):
    X, y = two_classes
    return VAE(**{**TABULAR, "conditional": True}).fit(X, y)


def test_conditional_samples_are_of_the_asked_class(conditional, two_classes):
    from sklearn.linear_model import LogisticRegression

    X, y = two_classes
    judge = LogisticRegression(max_iter=1000).fit(X, y)
    assert conditional.classes_ == [0, 1]
    for label in (0, 1):
        samples = conditional.sample(400, y=label, random_state=0)
        assert list(samples.columns) == COLUMNS
        assert (judge.predict(samples) == label).mean() > 0.8
    asked = np.tile([1, 0], 200)
    assert (judge.predict(conditional.sample(400, y=asked, random_state=0)) == asked).mean() > 0.8
    varied = conditional.sample_like(X.iloc[-3:], n_per_row=5, y=y[-3:], random_state=0)
    assert (judge.predict(varied) == 1).mean() > 0.8
    assert conditional.transform(X[:5], y[:5]).shape == (5, 3)
    assert conditional.score_samples(X[:5], y[:5]).shape == (5,)
    assert conditional.reconstruct(X[:5], y[:5]).shape == (5, 8)
    np.testing.assert_array_equal(
        np.asarray(conditional.sample(5, y=1, random_state=2)),
        np.asarray(conditional.sample(5, y=1, random_state=2)),
    )


def test_conditional_needs_classes_and_unconditional_refuses_them(
    conditional, tabular, two_classes, tmp_path
):
    X, y = two_classes
    with pytest.raises(DataValidationError, match="needs the class of every row"):
        VAE(**{**TABULAR, "conditional": True, "epochs": 1}).fit(X)
    with pytest.raises(DataValidationError, match="class labels must be integers"):
        VAE(**{**TABULAR, "conditional": True, "epochs": 1}).fit(X, np.full(len(X), 0.5))
    with pytest.raises(DataValidationError, match="needs the class of every row"):
        conditional.sample(3)
    with pytest.raises(DataValidationError, match="class 7 at row index 0 was not seen in fit"):
        conditional.sample(3, y=7)
    with pytest.raises(DataValidationError, match="expected 5 class labels"):
        conditional.transform(X[:5], y[:4])
    with pytest.raises(ValueError, match="only for a conditional VAE"):
        tabular.sample(3, y=1)
    conditional.save(tmp_path / "cvae")
    loaded = load(tmp_path / "cvae")
    assert loaded.classes_ == [0, 1]
    pd.testing.assert_frame_equal(
        loaded.sample(6, y=1, random_state=1), conditional.sample(6, y=1, random_state=1)
    )


def test_learned_output_variance_makes_samples_as_spread_as_the_data(table):
    fixed = VAE(**{**TABULAR, "output_variance": "fixed"}).fit(table)
    assert fixed.module_.output_log_var is None

    # With the book's squared error, samples are decoded means; with a learned variance they carry
    # the noise the decoder could not explain, so their spread is closer to the data's.
    def spread_error(model):
        return float(np.abs(np.log(model.sample(4000, random_state=0).std() / table.std())).mean())

    learned = VAE(**TABULAR).fit(table)
    assert learned.module_.output_log_var is not None
    assert spread_error(learned) < spread_error(fixed)
