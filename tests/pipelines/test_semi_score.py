"""Scoring files with a saved SGAN: the model's own probabilities and decisions, checks before scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genfin.data import make_transactions
from genfin.exceptions import DataValidationError
from genfin.models import AutoencoderDetector, SGANClassifier
from genfin.pipelines.semi_score import score_with_sgan, write_scores


def _frame(n=400, seed=1):
    data = make_transactions(n, fraud_rate=0.1, random_state=seed)
    return data.X.assign(Time=data.time, Class=data.y)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """An SGAN fitted on 60 labels of 500 rows, saved; and its folder."""
    data = make_transactions(500, fraud_rate=0.1, random_state=0)
    y = np.full(500, -1)
    y[:60] = data.y[:60]
    model = SGANClassifier(epochs=2, n_members=1, random_state=0, verbose=0).fit(data.X, y)
    folder = tmp_path_factory.mktemp("semi-score") / "sgan"
    model.save(folder)
    return model, folder


def test_scores_are_the_saved_models_probabilities_and_decisions(saved, tmp_path):
    model, folder = saved
    frame = _frame()
    frame.to_csv(tmp_path / "rows.csv", index=False)
    result = score_with_sgan(folder, tmp_path / "rows.csv")
    X = frame.drop(columns=["Time", "Class"])
    assert list(result.scores.columns) == ["row", "fraud_probability", "flagged"]
    assert result.scores["row"].tolist() == list(range(1, len(frame) + 1))
    np.testing.assert_allclose(result.scores["fraud_probability"], model.predict_proba(X)[:, 1], rtol=1e-6)
    assert result.scores["flagged"].tolist() == model.predict(X).tolist()
    assert result.metrics is not None and result.metrics["n"] == len(frame)
    assert result.metrics["n_fraud"] == frame["Class"].sum()
    written = pd.read_csv(write_scores(result, tmp_path / "out" / "scores.csv"))
    pd.testing.assert_frame_equal(written, result.scores, check_dtype=False)


def test_unlabelled_rows_are_scored_but_not_judged(saved, tmp_path):
    _, folder = saved
    frame = _frame()
    frame.loc[:99, "Class"] = -1
    frame.to_csv(tmp_path / "rows.csv", index=False)
    result = score_with_sgan(folder, tmp_path / "rows.csv", k=10)
    assert len(result.scores) == 400 and result.metrics["n"] == 300
    assert result.metrics["n_fraud"] == frame["Class"].iloc[100:].sum()


def test_without_labels_or_with_one_class_there_are_scores_and_no_metrics(saved, tmp_path):
    _, folder = saved
    frame = _frame()
    frame.drop(columns="Class").to_csv(tmp_path / "bare.csv", index=False)
    bare = score_with_sgan(folder, tmp_path / "bare.csv")
    assert len(bare.scores) == 400 and bare.metrics is None and bare.no_metrics_reason is None
    frame.assign(Class=0).to_csv(tmp_path / "genuine.csv", index=False)
    genuine = score_with_sgan(folder, tmp_path / "genuine.csv")
    assert genuine.metrics is None and "400 labelled rows are all of one class" in genuine.no_metrics_reason


def test_columns_in_another_order_are_put_back_in_the_training_order(saved, tmp_path):
    _, folder = saved
    frame = _frame()
    frame.to_csv(tmp_path / "rows.csv", index=False)
    frame[frame.columns[::-1]].to_csv(tmp_path / "reversed.csv", index=False)
    straight = score_with_sgan(folder, tmp_path / "rows.csv").scores
    reversed_ = score_with_sgan(folder, tmp_path / "reversed.csv").scores
    np.testing.assert_array_equal(straight["fraud_probability"], reversed_["fraud_probability"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="V3"), r"missing \['V3'\]"),
        (lambda f: f.assign(Merchant=1.0), r"not in training \['Merchant'\]"),
    ],
)
def test_other_feature_columns_stop_it_naming_them(saved, tmp_path, change, message):
    _, folder = saved
    change(_frame()).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(DataValidationError, match=rf"rows.csv: feature columns differ.*{message}"):
        score_with_sgan(folder, tmp_path / "rows.csv")


def test_a_folder_of_another_model_is_refused(tmp_path):
    frame = _frame()
    AutoencoderDetector(epochs=1, random_state=0, verbose=0).fit(frame.drop(columns=["Time", "Class"])).save(
        tmp_path / "ae"
    )
    frame.to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(DataValidationError, match="holds a saved AutoencoderDetector, not an SGAN"):
        score_with_sgan(tmp_path / "ae", tmp_path / "rows.csv")


def test_bad_labels_and_k_stop_it(saved, tmp_path):
    _, folder = saved
    frame = _frame()
    frame.loc[4, "Class"] = 3
    frame.to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(DataValidationError, match=r"column 'Class', row 5: label 3 is not 0, 1 or -1"):
        score_with_sgan(folder, tmp_path / "rows.csv")
    with pytest.raises(ValueError, match="k must be at least 1"):
        score_with_sgan(folder, tmp_path / "rows.csv", k=0)
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        score_with_sgan(folder, tmp_path / "rows.csv", threshold=1.0)


def test_another_threshold_flags_and_judges_at_it(saved, tmp_path):
    _, folder = saved
    _frame().to_csv(tmp_path / "rows.csv", index=False)
    own = score_with_sgan(folder, tmp_path / "rows.csv")
    proba = own.scores["fraud_probability"].to_numpy()
    threshold = float(np.quantile(proba, 0.8))  # flags the top fifth, whatever the model learned
    lower = score_with_sgan(folder, tmp_path / "rows.csv", threshold=threshold)
    assert lower.threshold == threshold and own.threshold == 0.5
    assert lower.scores["flagged"].tolist() == (proba > threshold).astype(int).tolist()
    flagged = int((proba > threshold).sum())
    assert lower.n_flagged == flagged and lower.metrics["precision"] * flagged == pytest.approx(
        ((proba > threshold) & (_frame()["Class"].to_numpy() == 1)).sum()
    )
