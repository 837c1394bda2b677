"""Turning a saved model folder back into the estimator that wrote it."""

from __future__ import annotations

from pathlib import Path

from genfin.exceptions import ModelFileError
from genfin.io import read_model_folder
from genfin.models.base import TorchEstimator

_REGISTRY: dict[str, type[TorchEstimator]] = {}


def register(cls: type[TorchEstimator]) -> type[TorchEstimator]:
    """Class decorator: let :func:`load` rebuild instances of ``cls`` by its name."""
    _REGISTRY[cls.__name__] = cls
    return cls


def load(folder: str | Path) -> TorchEstimator:
    """Load a model saved with ``model.save(folder)``.

    Only genfin's own estimator classes can be named in a folder, and weights are read with
    safetensors: loading a folder from elsewhere never runs code from it.

    Raises
    ------
    ModelFileError
        When the folder is missing, corrupt, of another format version, or names an unknown model.
    """
    saved = read_model_folder(folder)
    cls = _REGISTRY.get(saved.class_name)
    if cls is None:
        raise ModelFileError(
            f"{folder}: unknown model class {saved.class_name!r}; this genfin knows {sorted(_REGISTRY)}"
        )
    return cls._from_saved(saved)
