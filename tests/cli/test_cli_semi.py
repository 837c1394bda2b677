"""genfin semi train end to end on a small synthetic file: metrics table, JSON, report, model, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genfin.cli.main import main
from genfin.data import make_transactions
from genfin.models import SGANClassifier, load

FAST = ["--epochs", "2", "--seed", "0", "--quiet"]


def error_line(capsys) -> str:
    """The one error line a failed command prints (the second line only points to --debug)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("genfin: error: ") and "--debug" in err[1], err
    return err[0]


def _write(path, n=1_500, fraud_rate=0.05, seed=0, hide=None):
    data = make_transactions(n, fraud_rate=fraud_rate, random_state=seed)
    frame = data.X.assign(Time=data.time, Class=data.y)
    if hide is not None:
        frame.loc[hide, "Class"] = -1
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("semi-cli") / "rows.csv")


def test_train_prints_json_saves_the_sgan_and_writes_the_report(rows, tmp_path, capsys):
    # Pseudo labelling, the slow method, is run end to end in tests/pipelines/test_semi.py.
    folder = tmp_path
    args = ["semi", "train", "--data", str(rows), "--labels", "120", "--methods", "sgan,supervised", *FAST]
    args += [
        "--members",
        "2",
        "--steps-per-epoch",
        "3",
        "--out",
        str(folder / "sgan"),
        "--report",
        str(folder / "semi.html"),
        "--json",
    ]
    assert main(args) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["n_labelled"] == 120 and found["n_labelled_frauds"] == 6
    assert found["n_test"] == 450 and found["n_train"] == 1_050 and found["n_unlabelled"] == 930
    assert list(found["metrics"]) == ["sgan", "supervised"]
    for values in found["metrics"].values():
        assert 0 <= values["auprc"] <= 1 and 0 <= values["f1"] <= 1 and "recall" in values
    model = load(folder / "sgan")
    assert isinstance(model, SGANClassifier) and len(model.history_) == 2
    assert model.n_members == 2 and len(model.member_histories_) == 2 and model.steps_per_epoch == 3
    html = (folder / "semi.html").read_text(encoding="utf-8")
    for part in (
        "Semi-supervised learning with few labels",
        "chosen stratified from the training rows only",
        "Precision against recall on the test rows",
        "2 members on their held-out shares of the labelled rows, pooled",
        "2 cross-fitted SGANs, each holding out a different 1/2 of the labelled rows",  # from the model
    ):
        assert part in html
    assert "Pseudo labels per round" not in html
    assert "Validation F1 per epoch of each of the SGAN&#x27;s 2 cross-fitted members" in html
    assert html.count("data:image/png;base64,") == 3  # precision-recall, progress, members


def test_train_prints_the_metrics_table(rows, capsys):
    args = ["semi", "train", "--data", str(rows), "--labels", "60", "--methods", "supervised,sgan", *FAST]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("1,050 training rows (60 labelled, 3 of them frauds; 990 unlabelled)")
    assert out[1].split()[:3] == ["method", "AUPRC", "ROC-AUC"]
    assert out[2].startswith("supervised (HGB)") and out[3].startswith("SGAN")
    assert len(out) == 4


def test_file_with_unlabelled_rows_needs_no_labels_option(tmp_path, capsys):
    hide = np.random.default_rng(0).random(1_500) < 0.9
    path = _write(tmp_path / "partly.csv", hide=hide)
    args = ["semi", "train", "--data", str(path), "--methods", "supervised", "--json", *FAST]
    assert main(args) == 0
    found = json.loads(capsys.readouterr().out)
    n_known = int((~hide).sum())
    assert found["labels_from_file"] is True
    assert found["n_test"] == int(np.ceil(0.3 * n_known))
    assert found["n_labelled"] == n_known - found["n_test"]
    assert found["n_unlabelled"] == int(hide.sum())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--methods", "sgan,boost"], "unknown method 'boost'; choose from sgan, pseudo, supervised"),
        (["--labels", "5000"], "--labels 5000 is more than the 1,050 labelled rows of the training split"),
        (["--labels", "3"], "--labels 3 is too few"),
        (["--label-column", "Fraud"], "no label column 'Fraud'"),
        (["--test-size", "0"], "--test-size must be a share"),
        (["--report", "out.txt"], "end its name in .html"),
        (["--methods", "pseudo", "--out", "model"], "--out saves the SGAN"),
    ],
)
def test_bad_input_exits_2_with_one_line(rows, extra, message, capsys):
    assert main(["semi", "train", "--data", str(rows), *extra, *FAST]) == 2
    assert message in error_line(capsys)


def test_too_few_frauds_for_the_budget_exits_2(tmp_path, capsys):
    path = _write(tmp_path / "rare.csv", n=600, fraud_rate=2 / 600)  # 2 frauds: 1 left for training
    assert main(["semi", "train", "--data", str(path), "--labels", "100", *FAST]) == 2
    assert "holds 1 labelled fraud (1) row(s)" in error_line(capsys)


def test_missing_file_and_bad_labels_exit_2(tmp_path, capsys):
    assert main(["semi", "train", "--data", str(tmp_path / "none.csv"), *FAST]) == 2
    assert "none.csv" in error_line(capsys)
    path = _write(tmp_path / "bad.csv", n=200, fraud_rate=0.2)
    text = path.read_text().splitlines()
    text[5] = text[5].rsplit(",", 1)[0] + ",7"
    path.write_text("\n".join(text) + "\n")
    assert main(["semi", "train", "--data", str(path), *FAST]) == 2
    assert "column 'Class', row 5: label 7 is not 0, 1 or -1" in error_line(capsys)


@pytest.fixture(scope="module")
def saved_sgan(tmp_path_factory):
    data = make_transactions(500, fraud_rate=0.1, random_state=0)
    y = np.full(500, -1)
    y[:60] = data.y[:60]
    folder = tmp_path_factory.mktemp("semi-score-cli") / "sgan"
    SGANClassifier(epochs=2, n_members=1, random_state=0, verbose=0).fit(data.X, y).save(folder)
    return folder


def test_score_writes_the_scores_and_judges_the_labelled_rows(saved_sgan, rows, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["semi", "score", "--model", str(saved_sgan), "--data", str(rows), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["row", "fraud_probability", "flagged"] and len(scores) == 1_500
    flagged = int((scores["fraud_probability"] > 0.5).sum())
    assert lines[0] == f"scored 1,500 rows, {flagged:,} flagged (fraud probability above 0.5); wrote {out}"
    assert lines[1] == "on the labelled rows:" and any(line.split()[:2] == ["n", "1,500"] for line in lines)
    assert (
        main(["semi", "score", "--model", str(saved_sgan), "--data", str(rows), "--out", str(out), "--json"])
        == 0
    )
    found = json.loads(capsys.readouterr().out)
    assert found["n"] == 1_500 and found["n_flagged"] == flagged and 0 <= found["metrics"]["auprc"] <= 1
    assert found["threshold"] == 0.5
    args = ["semi", "score", "--model", str(saved_sgan), "--data", str(rows), "--out", str(out)]
    assert main([*args, "--threshold", "0.2"]) == 0
    assert "flagged (fraud probability above 0.2)" in capsys.readouterr().out
    assert pd.read_csv(out)["flagged"].sum() == (scores["fraud_probability"] > 0.2).sum()


def test_score_with_other_columns_exits_2(saved_sgan, rows, tmp_path, capsys):
    pd.read_csv(rows).drop(columns="V2").to_csv(tmp_path / "fewer.csv", index=False)
    args = ["semi", "score", "--model", str(saved_sgan), "--data", str(tmp_path / "fewer.csv")]
    assert main([*args, "--out", str(tmp_path / "s.csv")]) == 2
    assert "feature columns differ from those the SGAN was trained on (missing ['V2'])" in error_line(capsys)
    assert not (tmp_path / "s.csv").exists()
