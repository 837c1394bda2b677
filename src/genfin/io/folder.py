"""Read and write genfin's model folders: ``model.json`` beside ``weights.safetensors``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from genfin.exceptions import ModelFileError
from genfin.training.state import write_json_atomic, write_tensors_atomic

FORMAT = "genfin-model"
FORMAT_VERSION = 1
CONFIG_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"


@dataclass(frozen=True)
class SavedModel:
    """The contents of a model folder, checked for consistency."""

    class_name: str
    params: dict[str, Any]
    state: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    genfin_version: str


def _genfin_version() -> str:
    try:
        return metadata.version("genfin")
    except metadata.PackageNotFoundError:
        return "dev"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model_folder(
    folder: str | Path,
    *,
    class_name: str,
    params: dict[str, Any],
    state: dict[str, Any],
    tensors: dict[str, torch.Tensor],
) -> Path:
    """Write a model folder and return its path.

    The weights go first and their SHA-256 into ``model.json``, so that a folder whose two files
    come from different saves is detected at load time.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    write_tensors_atomic(folder / WEIGHTS_FILE, weights)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "genfin_version": _genfin_version(),
        "class": class_name,
        "params": params,
        "state": state,
        "weights_sha256": _sha256(folder / WEIGHTS_FILE),
    }
    try:
        json.dumps(config, allow_nan=True)
    except TypeError as exc:
        raise ModelFileError(
            f"cannot save {class_name}: a parameter or state is not JSON-safe ({exc})"
        ) from exc
    write_json_atomic(folder / CONFIG_FILE, config)
    return folder


def read_model_folder(folder: str | Path) -> SavedModel:
    """Read and check a model folder.

    Raises
    ------
    ModelFileError
        When the folder or a file is missing, the JSON is corrupt, the format or its version is not
        one this genfin reads, or the weights file is not the one the JSON was saved with.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileError(f"{folder}: no such model folder (save one with model.save(folder))")
    config_path, weights_path = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    for path in (config_path, weights_path):
        if not path.is_file():
            raise ModelFileError(
                f"{folder}: {path.name} is missing; this is not a complete genfin model folder"
            )
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{config_path}: corrupt JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{config_path}: not a genfin model file (no 'format': {FORMAT!r})")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{config_path}: format version {version!r}, but this genfin ({_genfin_version()}) reads version "
            f"{FORMAT_VERSION}; use the genfin version that saved it "
            f"({config.get('genfin_version', 'unknown')})"
        )
    missing = [key for key in ("class", "params", "state", "weights_sha256") if key not in config]
    if missing:
        raise ModelFileError(f"{config_path}: missing key(s) {', '.join(missing)}")
    if _sha256(weights_path) != config["weights_sha256"]:
        raise ModelFileError(
            f"{weights_path}: the weights do not match {CONFIG_FILE} (different save, or a corrupt file)"
        )
    try:
        tensors = load_file(weights_path)
    except (SafetensorError, OSError) as exc:
        raise ModelFileError(f"{weights_path}: corrupt safetensors file ({exc})") from exc
    return SavedModel(
        class_name=config["class"],
        params=config["params"],
        state=config["state"],
        tensors=tensors,
        genfin_version=config.get("genfin_version", "unknown"),
    )
