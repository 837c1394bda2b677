"""The command line end to end on small data the tests write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genfin.cli.main import main
from genfin.data import make_transactions


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    data = make_transactions(n_samples=3000, fraud_rate=0.02, random_state=0)
    frame = data.X.assign(Time=data.time, Class=data.y)
    frame.iloc[:2000].to_csv(folder / "train.csv", index=False)
    frame.iloc[2000:].to_csv(folder / "test.csv.gz", index=False)
    frame.iloc[2000:].drop(columns="Class").to_parquet(folder / "unlabelled.parquet")
    return folder


def test_train_score_evaluate(files, capsys):
    model = files / "model"
    args = [
        "detect",
        "train",
        "--data",
        str(files / "train.csv"),
        "--out",
        str(model),
        "--epochs",
        "3",
        "--seed",
        "0",
        "--quiet",
    ]
    assert main(args) == 0
    assert "saved to" in capsys.readouterr().out
    assert (model / "model.json").is_file()

    scores = files / "scores.csv"
    assert (
        main(
            [
                "detect",
                "score",
                "--model",
                str(model),
                "--data",
                str(files / "unlabelled.parquet"),
                "--out",
                str(scores),
            ]
        )
        == 0
    )
    table = pd.read_csv(scores)
    assert list(table.columns) == ["row", "score", "flagged", "top_features"]
    assert len(table) == 1000 and table["score"].ge(0).all()
    assert set(table["top_features"].iloc[0].split()) <= {f"V{i}" for i in range(1, 29)} | {"Amount"}

    capsys.readouterr()
    assert (
        main(["detect", "evaluate", "--model", str(model), "--data", str(files / "test.csv.gz"), "--json"])
        == 0
    )
    import json

    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n"] == 1000 and 0 <= metrics["auprc"] <= 1 and "f1" in metrics


def test_bad_input_is_one_line_without_traceback(files, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(files / "train.csv").head(20).astype(object)
    frame.loc[6, "V3"] = "abc"
    frame.to_csv(bad, index=False)
    code = main(["detect", "train", "--data", str(bad), "--out", str(tmp_path / "m"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.csv" in err and "V3" in err and "row 7" in err
    assert "Traceback" not in err

    code = main(["--debug", "detect", "train", "--data", str(bad), "--out", str(tmp_path / "m"), "--quiet"])
    assert code == 2 and "Traceback" in capsys.readouterr().err


def test_missing_model_folder(files, tmp_path, capsys):
    code = main(
        [
            "detect",
            "score",
            "--model",
            str(tmp_path / "none"),
            "--data",
            str(files / "test.csv.gz"),
            "--out",
            str(tmp_path / "s.csv"),
        ]
    )
    assert code == 2 and "no such model folder" in capsys.readouterr().err


def test_usage_error_exits_non_zero(capsys):
    assert main(["detect", "train"]) == 2
    assert "--data" in capsys.readouterr().err


def test_demo_writes_report_with_metrics(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--n-samples", "4000", "--epochs", "2", "--quiet"]) == 0
    assert "report:" in capsys.readouterr().out
    html = (out / "report.html").read_text()
    for name in ("auprc", "roc_auc", "precision_at_k", "recall_at_fpr", "IsolationForest", "SYNTHETIC"):
        assert name in html
    assert html.count("data:image/png;base64,") >= 4
    assert "Synthetic frauds" in html and "distance_to_closest_record" in html
    scores = pd.read_csv(out / "test_scores.csv")
    assert len(scores) == 1200 and set(scores["label"]) == {0, 1}
    assert np.isfinite(scores["score"]).all()


def test_demo_on_a_user_file(files, tmp_path):
    out = tmp_path / "demo"
    assert (
        main(["demo", "--data", str(files / "train.csv"), "--out", str(out), "--epochs", "2", "--quiet"]) == 0
    )
    assert "train.csv" in (out / "report.html").read_text()


def test_latent_map_writes_figure_coords_and_quality(files, tmp_path, capsys):
    model = tmp_path / "model"
    assert (
        main(
            [
                "detect",
                "train",
                "--data",
                str(files / "train.csv"),
                "--out",
                str(model),
                "--epochs",
                "2",
                "--seed",
                "0",
                "--quiet",
            ]
        )
        == 0
    )
    out, coords = tmp_path / "map.png", tmp_path / "coords.csv"
    capsys.readouterr()
    args = [
        "latent",
        "map",
        "--model",
        str(model),
        "--data",
        str(files / "test.csv.gz"),
        "--out",
        str(out),
        "--method",
        "pca",
        "--coords-out",
        str(coords),
        "--json",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    import json

    quality = json.loads(printed[: printed.rindex("}") + 1])
    assert 0.5 < quality["trustworthiness"] <= 1 and "neighbourhood purity: fraud" in quality
    assert out.read_bytes()[:4] == b"\x89PNG"
    table = pd.read_csv(coords)
    assert list(table.columns) == ["row", "x", "y", "Class"] and len(table) == 1000
