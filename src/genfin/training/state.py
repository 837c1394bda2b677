"""Nested training state (module weights, optimiser moments, RNG states) as safetensors plus JSON.

PyTorch's own ``torch.save`` pickles, and loading a pickle can run code. Here every tensor goes into a
safetensors file and everything else into JSON, so a checkpoint or a saved model from elsewhere is
data, never code.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

_TENSOR = "__tensor__"
_DICT = "__dict__"


def flatten_state(state: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    """Split a nested structure into a JSON-safe skeleton and a flat ``name -> tensor`` dict.

    Dicts whose keys are not all strings (an optimiser's per-parameter state is keyed by int) are
    stored as key-value pairs so that the keys come back with their types.
    """
    tensors: dict[str, torch.Tensor] = {}

    def walk(obj: Any, path: str) -> Any:
        if isinstance(obj, torch.Tensor):
            # safetensors refuses views that share storage; a contiguous CPU copy is always accepted.
            tensors[path] = obj.detach().to("cpu").contiguous().clone()
            return {_TENSOR: path}
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                return {k: walk(v, f"{path}.{k}") for k, v in obj.items()}
            return {_DICT: [[k, walk(v, f"{path}.{k}")] for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            return [walk(v, f"{path}.{i}") for i, v in enumerate(obj)]
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        raise TypeError(f"cannot store {type(obj).__name__} at {path!r} in a checkpoint")

    return walk(state, "state"), tensors


def unflatten_state(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`flatten_state`."""
    if isinstance(skeleton, dict):
        if set(skeleton) == {_TENSOR}:
            return tensors[skeleton[_TENSOR]]
        if set(skeleton) == {_DICT}:
            return {k: unflatten_state(v, tensors) for k, v in skeleton[_DICT]}
        return {k: unflatten_state(v, tensors) for k, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [unflatten_state(v, tensors) for v in skeleton]
    return skeleton


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, allow_nan=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_tensors_atomic(
    path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
):
    """Write a safetensors file through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_state(folder: Path, name: str, state: Any) -> None:
    """Save a nested state as ``folder/name.safetensors`` and ``folder/name.json``.

    The tensors are written first: a JSON file therefore always describes a complete tensor file.
    """
    skeleton, tensors = flatten_state(state)
    write_tensors_atomic(Path(folder) / f"{name}.safetensors", tensors)
    write_json_atomic(Path(folder) / f"{name}.json", skeleton)


def load_state(folder: Path, name: str) -> Any:
    """Load a state written by :func:`save_state`."""
    folder = Path(folder)
    with open(folder / f"{name}.json", encoding="utf-8") as f:
        skeleton = json.load(f)
    tensors = load_file(folder / f"{name}.safetensors")
    return unflatten_state(skeleton, tensors)
