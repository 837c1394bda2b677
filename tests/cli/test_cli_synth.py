"""genfin synth and the synthesize pipeline: the input's schema in CSV and Parquet, end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genfin.cli.main import main
from genfin.data import make_transactions
from genfin.exceptions import DataValidationError
from genfin.models import VAE
from genfin.pipelines.synth import synthesize, write_table

SMALL = {"epochs": 2, "batch_size": 16}


@pytest.fixture(scope="module")
def frame():
    data = make_transactions(n_samples=400, fraud_rate=0.05, random_state=0)
    # The real file's order (Time first, Class last), an integer Time and a float32 column.
    return (
        data.X.assign(Amount=data.X["Amount"].astype(np.float32))
        .assign(Count=(np.arange(400) % 5).astype(np.int64))
        .assign(Time=data.time.astype(np.int64), Class=data.y)[["Time", *data.X.columns, "Count", "Class"]]
    )


@pytest.fixture(scope="module")
def files(frame, tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    frame.to_csv(folder / "real.csv", index=False)
    frame.to_parquet(folder / "real.parquet", index=False)
    return folder


@pytest.mark.parametrize("name", ["real.csv", "real.parquet"])
def test_synthesize_has_the_input_schema(files, frame, name):
    lines = []
    out = synthesize(files / name, 30, random_state=0, log=lines.append, **SMALL)
    # The dtypes the file holds: Parquet keeps float32, CSV has no such thing and reads float64.
    real = pd.read_parquet(files / name) if name.endswith("parquet") else pd.read_csv(files / name)
    assert list(out.columns) == list(frame.columns) and out.dtypes.equals(real.dtypes)
    assert (out["Amount"].dtype == np.float32) == name.endswith("parquet")
    assert len(out) == 30 and (out["Class"] == 1).all()
    assert (out["Amount"] >= 0).all() and (out["Count"] >= 0).all()
    assert set(out["Time"]) <= set(frame.loc[frame["Class"] == 1, "Time"])
    assert any("fitted a VAE on 20 rows of class 1" in line for line in lines)

    written = write_table(out, files / f"synthetic-{name}")
    back = pd.read_parquet(written) if name.endswith("parquet") else pd.read_csv(written)
    pd.testing.assert_frame_equal(back, out)


def test_same_seed_same_rows_and_saved_model(files, tmp_path):
    first = synthesize(files / "real.csv", 20, random_state=3, save_model=tmp_path / "vae", **SMALL)
    again = synthesize(files / "real.csv", 20, random_state=3, **SMALL)
    from_saved = synthesize(files / "real.csv", 20, random_state=3, model=tmp_path / "vae")
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, from_saved)


def test_all_rows_without_label_and_time(files, frame):
    lines = []
    out = synthesize(
        files / "real.csv", 10, label=None, keep_time=False, random_state=0, log=lines.append, **SMALL
    )
    assert list(out.columns) == [c for c in frame.columns if c not in ("Time", "Class")]
    assert any("fitted a VAE on 400 rows" in line for line in lines)
    assert any("'Class': left out" in line for line in lines) and any(
        "'Time': left out" in line for line in lines
    )


def test_synthesize_refusals(files, frame, tmp_path):
    frame.drop(columns="Class").to_csv(tmp_path / "unlabelled.csv", index=False)
    with pytest.raises(DataValidationError, match="no label column 'Class'"):
        synthesize(tmp_path / "unlabelled.csv", 5)
    frame.assign(Class=0).head(50).assign(Class=lambda f: (f.index == 3).astype(int)).to_csv(
        tmp_path / "one.csv", index=False
    )
    with pytest.raises(DataValidationError, match="has 1 rows of class 1"):
        synthesize(tmp_path / "one.csv", 5)
    with pytest.raises(ValueError, match="n_rows must be a positive int"):
        synthesize(files / "real.csv", 0)
    with pytest.raises(ValueError, match="pass one or the other"):
        synthesize(files / "real.csv", 5, model=tmp_path, epochs=3)
    other = VAE(**SMALL, random_state=0).fit(frame[["V1", "V2"]])
    with pytest.raises(DataValidationError, match="features differ"):
        synthesize(files / "real.csv", 5, model=other)
    with pytest.raises(ValueError, match="cannot tell the table format"):
        write_table(frame, tmp_path / "out.xlsx")


def test_cli_end_to_end(files, tmp_path, capsys):
    out, model = tmp_path / "fraud.csv.gz", tmp_path / "vae"
    args = ["synth", "--data", str(files / "real.csv"), "--rows", "25", "--out", str(out)]
    report = tmp_path / "report.html"
    assert (
        main(
            [
                *args,
                "--epochs",
                "2",
                "--seed",
                "0",
                "--quiet",
                "--save-model",
                str(model),
                "--report",
                str(report),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "fitted a VAE on 20 rows of class 1" in printed and "wrote 25 SYNTHETIC rows" in printed
    html = report.read_text()
    assert f"report: {report}" in printed and "25 synthetic rows against the 20 real rows" in html
    assert "ks_complement" in html and html.count("data:image/png;base64,") == 2
    table = pd.read_csv(out)
    real = pd.read_csv(files / "real.csv")
    assert list(table.columns) == list(real.columns) and table.dtypes.equals(real.dtypes)
    assert (table["Class"] == 1).all() and (model / "model.json").is_file()

    parquet = tmp_path / "again.parquet"
    args = ["synth", "--data", str(files / "real.csv"), "--rows", "25", "--out", str(parquet)]
    assert main([*args, "--model", str(model), "--seed", "0"]) == 0
    assert "not fitted here" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), table)


def test_cli_refusals_before_fitting(files, tmp_path, capsys):
    base = ["synth", "--data", str(files / "real.csv"), "--rows", "5"]
    assert main([*base, "--out", str(tmp_path / "out.txt")]) == 2
    assert "cannot tell the table format" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "o.csv"), "--class", "2"]) == 2
    assert "expected 1 (fraud), 0 (normal) or all" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "o.csv"), "--model", str(tmp_path), "--epochs", "2"]) == 2
    assert "--model samples a saved VAE" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "o.csv"), "--model", str(tmp_path / "none")]) == 2
    assert "no such model folder" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
