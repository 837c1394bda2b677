"""run_semi end to end on small synthetic files: labels from the training split only, metrics, report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genfin.data import make_transactions
from genfin.exceptions import DataValidationError
from genfin.models import SGANClassifier, load
from genfin.models.pseudo_label import PseudoLabelClassifier
from genfin.pipelines import semi
from genfin.pipelines.semi import (
    METRIC_COLUMNS,
    SemiResult,
    choose_labels,
    parse_methods,
    read_semi_data,
    run_semi,
)
from genfin.pipelines.semi_report import pseudo_label_rounds, semi_section, write_semi_report
from genfin.report import Report


def _frame(n=1_500, fraud_rate=0.05, seed=0):
    data = make_transactions(n, fraud_rate=fraud_rate, random_state=seed)
    return data.X.assign(Time=data.time, Class=data.y)


@pytest.fixture(scope="module")
def labelled_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("semi") / "rows.csv"
    _frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def full_run(labelled_file):
    """All three methods once, shared: the pseudo-labelling rounds are the slow part."""
    return run_semi(labelled_file, labels=120, epochs=2, seed=0)


def test_all_methods_give_metrics_on_the_test_rows(full_run):
    result = full_run
    assert isinstance(result, SemiResult)
    assert list(result.metrics.index) == ["sgan", "pseudo", "supervised"]
    assert list(result.metrics.columns) == list(METRIC_COLUMNS)
    values = result.metrics.drop(columns="fit_seconds").to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()
    assert isinstance(result.models["sgan"], SGANClassifier) and len(result.models["sgan"].history_) == 2
    assert isinstance(result.models["pseudo"], PseudoLabelClassifier)
    assert set(result.test_scores) == {"sgan", "pseudo", "supervised"}
    assert all(len(s) == len(result.y_test) for s in result.test_scores.values())


def test_labelled_rows_come_from_the_training_split_only(full_run):
    result = full_run
    n = len(result.train_rows) + len(result.test_rows)
    assert n == 1_500 and len(result.test_rows) == 450  # 30% test, stratified
    assert not set(result.labelled_rows) & set(result.test_rows)
    assert set(result.labelled_rows) <= set(result.train_rows)
    assert result.n_labelled == 120 and result.n_unlabelled == len(result.train_rows) - 120
    # Stratified: 5% of 120 is 6 frauds; the test rows keep the file's fraud rate (75 frauds * 0.3).
    assert result.n_labelled_frauds == 6 and int(result.y_test.sum()) in (22, 23)
    # The labels given are the true ones, and the SGAN saw exactly those.
    given = result.y_train != -1
    assert (result.y_train[given] == result.y_train_true[given]).all()
    sgan = result.models["sgan"]
    assert sgan.n_labelled_ + sgan.n_validation_ == 120


def test_same_seed_same_split_and_labels(labelled_file, full_run):
    again = run_semi(labelled_file, labels=120, methods="supervised", seed=0)
    assert (again.labelled_rows == full_run.labelled_rows).all()
    assert (again.test_rows == full_run.test_rows).all()
    assert again.metrics.loc["supervised", "auprc"] == full_run.metrics.loc["supervised", "auprc"]


def test_report_holds_every_part(full_run, tmp_path):
    path = write_semi_report(full_run, tmp_path / "semi.html")
    html = path.read_text(encoding="utf-8")
    assert "Semi-supervised learning with few labels" in html
    assert "120 labelled (6 frauds, 114 genuine" in html and "450 rows" in html
    for name in ("SGAN", "pseudo labels (HGB)", "supervised (HGB)", "AUPRC", "F1 at 0.5"):
        assert name in html
    assert "Precision against recall on the test rows" in html
    assert "The F1 and AUPRC of the SGAN" in html and "epoch" in html
    assert "Pseudo labels per round" in html and "new wrong" in html
    assert "cross-fitted members" in html  # the default five members get their own figure
    assert html.count("data:image/png;base64,") == 3


def test_a_long_pass_gets_a_hint_about_steps_per_epoch(labelled_file, monkeypatch):
    monkeypatch.setattr(semi, "_LONG_PASS_STEPS", 10)  # the 1,050 training rows make 16 steps a pass
    lines = []
    options = {"labels": 60, "methods": "sgan", "epochs": 1, "members": 1, "seed": 0, "log": lines.append}
    run_semi(labelled_file, **options)
    assert any("one pass of 16 steps over the 1,050 training rows; --steps-per-epoch" in x for x in lines)
    lines.clear()
    run_semi(labelled_file, **options, steps_per_epoch=4)
    assert not any("--steps-per-epoch" in line for line in lines)


def test_section_leaves_out_methods_not_run(labelled_file):
    result = run_semi(labelled_file, labels=60, methods=("supervised",), seed=1)
    report = Report("t")
    section = semi_section(report, result)
    html = section.to_html()
    assert report.sections == [section]
    assert "supervised (HGB)" in html and "Pseudo labels per round" not in html
    assert html.count("<figure>") == 1
    with pytest.raises(ValueError, match="SemiResult"):
        semi_section(report, object())


def test_pseudo_label_rounds_table(full_run):
    pseudo = full_run.models["pseudo"]
    rounds = pseudo_label_rounds(pseudo, full_run.y_train_true)
    assert len(rounds) == len(pseudo.history_) == pseudo.n_iter_ + 1
    assert rounds["round"].tolist() == list(range(len(rounds)))
    assert rounds.loc[0, "new"] == 0 and rounds["new"].sum() == rounds["pseudo labels"].iloc[-1]
    assert (rounds["new wrong"] <= rounds["new"]).all()


def test_model_out_saves_the_sgan(labelled_file, tmp_path):
    result = run_semi(labelled_file, labels=60, methods="sgan", epochs=1, seed=0, model_out=tmp_path / "sgan")
    model = load(tmp_path / "sgan")
    assert result.model_out == tmp_path / "sgan" and isinstance(model, SGANClassifier)
    X = read_semi_data(labelled_file).X.iloc[:20]
    np.testing.assert_allclose(model.predict_proba(X), result.models["sgan"].predict_proba(X))


def test_file_with_unlabelled_rows_uses_its_own_labels(tmp_path):
    frame = _frame(seed=2)
    rng = np.random.default_rng(0)
    hidden = rng.random(len(frame)) < 0.9  # 90% of the rows unlabelled, about 150 labelled
    frame.loc[hidden, "Class"] = -1
    path = tmp_path / "partly.csv"
    frame.to_csv(path, index=False)

    data = read_semi_data(path)
    assert data.labels_from_file and (data.y == -1).sum() == hidden.sum()
    result = run_semi(path, methods="supervised", seed=0)
    known = np.flatnonzero(~hidden)
    # Test rows come from the labelled rows; every unlabelled row is a training row; every label
    # left in the training split is used.
    assert set(result.test_rows) <= set(known)
    assert len(result.test_rows) == int(np.ceil(0.3 * len(known)))
    assert set(np.flatnonzero(hidden)) <= set(result.train_rows)
    assert set(result.labelled_rows) == set(known) - set(result.test_rows)
    # A budget picks some of them.
    smaller = run_semi(path, labels=40, methods="supervised", seed=0)
    assert smaller.n_labelled == 40 and set(smaller.labelled_rows) <= set(result.labelled_rows)


def test_unlabelled_marker_does_not_let_other_labels_through(tmp_path):
    frame = _frame(200, 0.2)
    frame.loc[3, "Class"] = -1
    frame.loc[7, "Class"] = 2
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataValidationError, match=r"row 8.*label 2 is not 0, 1 or -1"):
        read_semi_data(tmp_path / "bad.csv")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2", r"label 2 is not 0, 1 or -1"),
        ("fraud", r"label 'fraud' is not 0, 1 or -1"),
        ("", r"missing label"),
        ("-2", r"label -2 is not 0, 1 or -1"),
    ],
)
def test_bad_labels_are_named_with_the_values_semi_accepts(tmp_path, value, message):
    path = tmp_path / "bad.csv"
    _frame(200, 0.2).to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines[6] = lines[6].rsplit(",", 1)[0] + "," + value  # data row 6
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataValidationError, match=rf"column 'Class', row 6: {message}.*-1 \(unlabelled\)"):
        read_semi_data(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels": 3}, "at least 2 labelled rows"),
        ({"labels": 2_000}, "more than the 1,050 labelled rows of the training split"),
        ({"methods": "sgan,gan"}, "unknown method 'gan'"),
        ({"methods": ""}, "no method"),
        ({"test_size": 1.5}, "--test-size"),
        ({"members": 0}, "--members must be a positive whole number"),
        ({"steps_per_epoch": 1.5}, "--steps-per-epoch must be a positive whole number"),
        ({"report": "report.txt"}, "HTML"),
        ({"methods": "supervised", "model_out": "m"}, "do not include sgan"),
        ({"label_column": "Fraud"}, "no label column 'Fraud'"),
    ],
)
def test_bad_options_fail_before_any_fit(labelled_file, kwargs, message):
    with pytest.raises((ValueError, DataValidationError), match=message):
        run_semi(labelled_file, **{"labels": 100, **kwargs})


def test_too_few_frauds_in_the_training_split(tmp_path):
    frame = _frame(400, 0.0).assign(Class=0)
    frame.loc[[10, 20], "Class"] = 1  # one goes to the test rows, one stays: fewer than 2
    frame.to_csv(tmp_path / "rare.csv", index=False)
    with pytest.raises(DataValidationError, match=r"holds 1 labelled fraud \(1\) row"):
        run_semi(tmp_path / "rare.csv", labels=100, methods="supervised", seed=0)
    small = _frame(300, 0.1)
    small.to_csv(tmp_path / "small.csv", index=False)
    with pytest.raises(DataValidationError, match="fewer than the default budget of 300"):
        run_semi(tmp_path / "small.csv", methods="supervised")


def test_choose_labels_is_stratified_with_two_per_class():
    y = np.r_[np.zeros(990, int), np.ones(10, int)]
    rng = np.random.default_rng(0)
    chosen = choose_labels(y, np.arange(1_000), 100, rng)
    assert len(chosen) == 100 and y[chosen].sum() == 2  # 1% would be 1 fraud: raised to 2
    chosen = choose_labels(y, np.arange(1_000), 1_000, rng)
    assert (chosen == np.arange(1_000)).all()


def test_parse_methods():
    assert parse_methods(" SGAN , supervised,sgan") == ("sgan", "supervised")
    assert parse_methods(["pseudo"]) == ("pseudo",)


def test_metrics_frame_round_trips_to_records(full_run):
    records = full_run.metrics.reset_index().to_dict("records")
    assert [r["method"] for r in records] == ["sgan", "pseudo", "supervised"]
    assert isinstance(full_run.metrics, pd.DataFrame)
