from __future__ import annotations

import json

import numpy as np
import pytest

from genfin import AutoencoderDetector, load
from genfin.exceptions import ModelFileError


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    folder = tmp_path_factory.mktemp("model")
    AutoencoderDetector(epochs=1, random_state=0, hidden_layer_sizes=(2,)).fit(X).save(folder)
    return folder, X


def _copy(saved, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(saved[0], folder)
    return folder


def test_folder_holds_json_and_safetensors_only(saved):
    folder, _ = saved
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.safetensors"]
    config = json.loads((folder / "model.json").read_text())
    assert config["format_version"] == 1 and config["class"] == "AutoencoderDetector"
    assert config["state"]["scaler"]["kind"] == "minmax"


def test_missing_folder_and_files(saved, tmp_path):
    with pytest.raises(ModelFileError, match="no such model folder"):
        load(tmp_path / "nowhere")
    folder = _copy(saved, tmp_path)
    (folder / "weights.safetensors").unlink()
    with pytest.raises(ModelFileError, match="weights.safetensors is missing"):
        load(folder)


def test_corrupt_json(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    (folder / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="corrupt JSON"):
        load(folder)


def test_newer_format_version_is_refused(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    config = json.loads((folder / "model.json").read_text())
    config["format_version"] = 99
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="format version 99"):
        load(folder)


def test_weights_from_another_save_are_detected(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    other = tmp_path / "other"
    AutoencoderDetector(epochs=1, random_state=1, hidden_layer_sizes=(2,)).fit(saved[1]).save(other)
    (folder / "weights.safetensors").write_bytes((other / "weights.safetensors").read_bytes())
    with pytest.raises(ModelFileError, match="do not match"):
        load(folder)


def test_unknown_class_is_refused(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    config = json.loads((folder / "model.json").read_text())
    config["class"] = "os.system"
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="unknown model class 'os.system'"):
        load(folder)


def test_mismatched_configuration_is_refused(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    config = json.loads((folder / "model.json").read_text())
    config["params"]["hidden_layer_sizes"] = [3]
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="wrong shape"):
        load(folder)


def test_a_model_saved_by_an_older_layout_says_what_it_lacks_and_what_to_do(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    config = json.loads((folder / "model.json").read_text())
    del config["state"]["threshold_"]  # as if saved before the estimator kept it
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(
        ModelFileError, match=r"lacks 'threshold_'.*fit it again and save it with this genfin"
    ):
        load(folder)
