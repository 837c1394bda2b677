"""genfin: generative models for financial data.

The most used names are importable from here: ``genfin.AutoencoderDetector``,
``genfin.ImageAutoencoder``, ``genfin.ImageClassifier``, ``genfin.VAE``, ``genfin.GAN`` (with
``genfin.GANTricks``), ``genfin.AdversarialAutoencoder``, ``genfin.SGANClassifier``,
``genfin.PseudoLabelClassifier``, ``genfin.augment`` and ``genfin.load``.
They are imported on first use, so that ``import genfin.data`` stays free of torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "AdversarialAutoencoder": "genfin.models",
    "AutoencoderDetector": "genfin.models",
    "GAN": "genfin.models",
    "GANTricks": "genfin.training",
    "ImageAutoencoder": "genfin.models",
    "ImageClassifier": "genfin.models",
    "PseudoLabelClassifier": "genfin.models",
    "SGANClassifier": "genfin.models",
    "VAE": "genfin.models",
    "load": "genfin.models",
    "augment": "genfin.pipelines",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'genfin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
