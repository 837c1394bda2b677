from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import average_precision_score

from genfin import AutoencoderDetector, load
from genfin.exceptions import DataValidationError, NotFittedError
from genfin.training.reconstruction_task import elementwise_error

FAST = dict(hidden_layer_sizes=(3,), epochs=10, batch_size=32, learning_rate=1e-2, random_state=0)


@pytest.fixture(scope="module")
def fitted(anomaly_data):
    # The plain autoencoder: planted anomalies here are not extreme, so the robust rounds, which
    # rely on frauds being extreme, are tested on their own below.
    X, _ = anomaly_data
    return AutoencoderDetector(**FAST, trim_fraction=0.0).fit(X)


def test_every_parameter_receives_a_gradient():
    model = AutoencoderDetector(hidden_layer_sizes=(8, 4))
    model.n_features_in_ = 6
    module = model._build_module()
    loss = elementwise_error(module, torch.rand(16, 6), "mse").mean()
    loss.backward()
    for name, param in module.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_book_architecture_by_default():
    model = AutoencoderDetector()
    model.n_features_in_ = 29
    module = model._build_module()
    shapes = [tuple(p.shape) for p in module.parameters()]
    assert shapes == [(12, 29), (12,), (29, 12), (29,)]
    assert isinstance(module.encoder[1], torch.nn.Tanh)
    assert isinstance(module.output_activation, torch.nn.Sigmoid)


def test_planted_anomalies_reach_auprc_floor(fitted, anomaly_data):
    X, y = anomaly_data
    # Chance is 60 / 3060 = 0.02; a 3-unit code of a 3-dimensional manifold must do far better.
    assert average_precision_score(y, fitted.score_samples(X)) > 0.9


def test_trimming_helps_when_training_data_holds_anomalies():
    from tests.conftest import planted_anomalies

    X, y = planted_anomalies(n_normal=2000, n_anomalies=200, seed=1)
    params = dict(FAST, hidden_layer_sizes=(8,), epochs=10)
    plain = AutoencoderDetector(**params, trim_fraction=0.0).fit(X)
    trimmed = AutoencoderDetector(**params, trim_fraction=0.1).fit(X)
    assert [h["round"] for h in trimmed.history_] == [1] * 10 + [2] * 10
    assert trimmed.history_[4]["rows_trimmed"] > 0
    assert average_precision_score(y, trimmed.score_samples(X)) > average_precision_score(
        y, plain.score_samples(X)
    )


def test_labels_train_on_normal_rows_only(anomaly_data):
    X, y = anomaly_data
    model = AutoencoderDetector(**FAST, validation_fraction=0.0).fit(X, y)
    # The scaler saw only normal rows: its fitted minimum equals the normal rows' minimum.
    np.testing.assert_allclose(model.scaler_.data_min_, X[y == 0].min(axis=0), rtol=1e-6)


def test_same_seed_same_scores(anomaly_data):
    X, _ = anomaly_data
    a = AutoencoderDetector(**FAST).fit(X).score_samples(X)
    b = AutoencoderDetector(**FAST).fit(X).score_samples(X)
    np.testing.assert_array_equal(a, b)
    c = AutoencoderDetector(**{**FAST, "random_state": 1}).fit(X).score_samples(X)
    assert not np.array_equal(a, c)


def test_fit_leaves_global_random_state_alone(anomaly_data):
    X, _ = anomaly_data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    AutoencoderDetector(**{**FAST, "epochs": 1}).fit(X[:200])
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_outputs_shapes_and_units(fitted, anomaly_data):
    X, _ = anomaly_data
    assert fitted.transform(X).shape == (len(X), 3)
    assert fitted.feature_errors(X).shape == X.shape
    assert fitted.reconstruct(X).shape == X.shape
    # Reconstructions are in original units: errors there are close to the inputs' own scale.
    assert np.abs(fitted.reconstruct(X) - X).mean() < X.std()
    np.testing.assert_allclose(fitted.feature_errors(X).mean(axis=1), fitted.score_samples(X), rtol=1e-5)
    assert set(np.unique(fitted.predict(X))) <= {0, 1}
    assert fitted.predict(X).mean() == pytest.approx(fitted.contamination, abs=0.005)
    assert [h["epoch"] for h in fitted.history_] == list(range(1, 11))
    assert all("val_loss" in h for h in fitted.history_)


def test_dataframe_columns_kept_and_checked(anomaly_data):
    X, _ = anomaly_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = AutoencoderDetector(**{**FAST, "epochs": 1}).fit(frame)
    assert model.feature_names_in_ == list(frame.columns)
    assert list(model.feature_errors(frame).columns) == list(frame.columns)
    with pytest.raises(DataValidationError, match="missing.*f0"):
        model.score_samples(frame.rename(columns={"f0": "other"}))


def test_tune_threshold_reaches_target_recall(fitted, anomaly_data):
    X, y = anomaly_data
    model = clone(fitted)
    model.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    model.tune_threshold(X, y, recall=0.8)
    flagged = model.predict(X)
    assert flagged[y == 1].mean() >= 0.8
    model.tune_threshold(X, y, precision=0.9)
    flagged = model.predict(X)
    assert y[flagged == 1].mean() >= 0.9


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.ones((5, 9)), "X has 9 features, but AutoencoderDetector is expecting 10"),
        (np.ones(10), "2-D"),
        (np.full((3, 10), np.nan), "NaN"),
        (np.empty((0, 10)), "0 sample"),
    ],
)
def test_bad_input_at_predict_time(fitted, bad, message):
    with pytest.raises(DataValidationError, match=message):
        fitted.score_samples(bad)


def test_not_fitted_and_bad_params():
    with pytest.raises(NotFittedError, match="not fitted"):
        AutoencoderDetector().score_samples(np.ones((2, 3)))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        AutoencoderDetector(hidden_layer_sizes=()).fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="activation"):
        AutoencoderDetector(activation="swish").fit(np.ones((4, 3)))
    with pytest.raises(DataValidationError, match=r"labels must be one of \[0, 1\]"):
        AutoencoderDetector().fit(np.ones((4, 3)), [0, 1, 2, 0])


def test_save_then_load_gives_identical_scores(fitted, anomaly_data, tmp_path):
    X, _ = anomaly_data
    fitted.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert isinstance(loaded, AutoencoderDetector)
    np.testing.assert_array_equal(loaded.score_samples(X), fitted.score_samples(X))
    assert loaded.threshold_ == fitted.threshold_
    assert loaded.get_params() == {**fitted.get_params(), "hidden_layer_sizes": [3]}
    assert not any(p.suffix in (".pkl", ".pt", ".pickle") for p in (tmp_path / "model").iterdir())


def test_interrupted_fit_resumes_from_checkpoint(anomaly_data, tmp_path):
    X, _ = anomaly_data
    params = {**FAST, "trim_fraction": 0.0, "checkpoint_dir": str(tmp_path / "ckpt")}
    full = AutoencoderDetector(**{**params, "checkpoint_dir": None}).fit(X)

    class Interrupt(Exception):
        pass

    from genfin.training import Callback

    class StopAfter(Callback):
        def on_epoch_end(self, trainer, logs):
            if trainer.epoch == 2:
                raise Interrupt

    import genfin.training.reconstruction_task as ae

    original = ae.ProgressBar
    try:
        ae.ProgressBar = lambda: StopAfter()
        with pytest.raises(Interrupt):
            AutoencoderDetector(**{**params, "verbose": 1}).fit(X)
    finally:
        ae.ProgressBar = original
    resumed = AutoencoderDetector(**params).fit(X)
    assert len(resumed.history_) == 10
    np.testing.assert_allclose(resumed.score_samples(X), full.score_samples(X), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="different"):
        AutoencoderDetector(**{**params, "learning_rate": 2e-2}).fit(X)
