"""genfin's own MNIST classifier, which judges generated digits: built once, with fixed settings, and cached.

The image-quality metrics of :mod:`genfin.evaluate.images` need a classifier of 28 x 28 grey
digits. The usual yardstick, the Inception network of FID, is a poor judge of them (it was trained
on colour photographs, at 299 x 299 pixels) and a heavy download, so genfin uses a classifier of
its own: :class:`~genfin.models.ImageClassifier` trained on MNIST with fixed settings and seed
(:data:`MNIST_CLASSIFIER_PARAMS`; :func:`load_mnist_classifier`, built by
``bench/build_mnist_classifier.py``; 99.25% test accuracy), kept in a folder of the data cache.

This module holds the building and caching: reading or downloading MNIST, training, and writing
the model folder atomically. It is apart from the metrics, which take any classifier with
``features(images)`` and ``predict_proba(images)`` and know nothing of MNIST files or the cache.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from genfin.data.cache import default_data_home
from genfin.exceptions import DownloadError, GenfinError

__all__ = [
    "MNIST_CLASSIFIER_FOLDER",
    "MNIST_CLASSIFIER_PARAMS",
    "load_mnist_classifier",
]

logger = logging.getLogger(__name__)

#: Subfolder of the data home that holds the cached MNIST classifier (a genfin model folder).
MNIST_CLASSIFIER_FOLDER = "mnist_classifier"

#: The fixed settings :func:`load_mnist_classifier` trains with: the :class:`ImageClassifier`
#: defaults on all 60,000 training images, with seed 0.
MNIST_CLASSIFIER_PARAMS: dict[str, Any] = {"validation_fraction": 0.0, "random_state": 0, "n_threads": 2}

_BUILD_INFO = "build.json"


def load_mnist_classifier(
    data_home: str | os.PathLike[str] | None = None,
    *,
    train_if_missing: bool = True,
    mnist_folder: str | os.PathLike[str] | None = None,
) -> Any:
    """Return the MNIST classifier for image quality from the cache; train and cache it if missing.

    The classifier lives in ``<data_home>/mnist_classifier/``, a genfin model folder (load it with
    ``genfin.load`` too) with a ``build.json`` beside it that records the settings, the test
    accuracy and the training time. When it is missing and ``train_if_missing`` is true, an
    :class:`~genfin.models.ImageClassifier` is trained with :data:`MNIST_CLASSIFIER_PARAMS` (its
    defaults, seed 0, all 60,000 training images; a few minutes on two CPU cores) on MNIST read
    from ``mnist_folder``, or else from :func:`genfin.data.fetch_mnist`'s cache (downloading it if
    needed). The folder is written under a temporary name and renamed into place, so an interrupted
    run never leaves a folder that looks complete, and two processes building it at once both end
    with the same complete folder. ``bench/build_mnist_classifier.py`` builds it and prints its
    accuracy and a sanity table of the metrics.

    Parameters
    ----------
    data_home : str, path or None, default=None
        Root of genfin's data cache: the environment variable ``GENFIN_DATA``, else
        ``~/.cache/genfin``.
    train_if_missing : bool, default=True
        Train the classifier when it is not cached; if false, raise instead.
    mnist_folder : str, path or None, default=None
        A folder holding the four MNIST IDX files (see :func:`genfin.data.load_mnist`); None uses
        :func:`genfin.data.fetch_mnist` with ``data_home``.

    Returns
    -------
    ImageClassifier
        The fitted classifier.

    Raises
    ------
    FileNotFoundError
        When the classifier is not cached and ``train_if_missing`` is false.
    DownloadError
        When it must be trained, no ``mnist_folder`` is given and MNIST cannot be downloaded.
    GenfinError
        When the cached folder holds another kind of model.
    """
    from genfin.models import ImageClassifier, load

    home = default_data_home(data_home)
    folder = home / MNIST_CLASSIFIER_FOLDER
    if (folder / "model.json").is_file():
        model = load(folder)
        if not isinstance(model, ImageClassifier):
            raise GenfinError(
                f"{folder} holds a {type(model).__name__}, not an ImageClassifier; delete the folder "
                "to have the MNIST classifier trained again"
            )
        return model
    if not train_if_missing:
        raise FileNotFoundError(
            f"no MNIST classifier cached in {folder}; build it with "
            f"`python bench/build_mnist_classifier.py --data-home {home}`, or call "
            "load_mnist_classifier(train_if_missing=True, mnist_folder=PATH_TO_MNIST)"
        )
    train, test = _mnist_for_training(home, mnist_folder)
    logger.info("training the MNIST classifier for image quality into %s", folder)
    started = time.perf_counter()
    model = ImageClassifier(**MNIST_CLASSIFIER_PARAMS).fit(train.images, train.labels)
    seconds = time.perf_counter() - started
    info = {
        "params": MNIST_CLASSIFIER_PARAMS,
        "train_images": int(len(train.labels)),
        "train_source": train.source,
        "test_images": int(len(test.labels)),
        "test_accuracy": float(model.score(test.images, test.labels)),
        "training_seconds": round(seconds, 1),
        "history": model.history_,
    }
    return _save_atomically(model, folder, info)


def _mnist_for_training(home: Path, mnist_folder: str | os.PathLike[str] | None) -> tuple[Any, Any]:
    from genfin.data.mnist import fetch_mnist, load_mnist

    if mnist_folder is not None:
        return load_mnist(mnist_folder)
    try:
        return fetch_mnist(home)
    except DownloadError as exc:
        raise DownloadError(
            f"the MNIST classifier is not cached in {home / MNIST_CLASSIFIER_FOLDER} and MNIST could not "
            "be downloaded to train it; pass mnist_folder= a folder holding the four MNIST IDX files. "
            f"The download failed with: {exc}"
        ) from exc


def _save_atomically(model: Any, folder: Path, info: dict[str, Any]) -> Any:
    from genfin.models import load

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".part"))
    try:
        model.save(tmp)
        with open(tmp / _BUILD_INFO, "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)
        # mkdtemp creates the folder private to its owner; a cache is ordinary readable data.
        tmp.chmod(0o755)
        try:
            os.rename(tmp, folder)
        except OSError:
            # Another process finished first (rename onto a non-empty folder fails): use its model,
            # so every caller ends with the same classifier.
            if (folder / "model.json").is_file():
                return load(folder)
            raise GenfinError(
                f"cannot put the trained MNIST classifier into {folder}: the folder exists but holds no "
                "model.json; delete or empty it and try again"
            ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model
