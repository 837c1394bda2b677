"""Build genfin's cached MNIST classifier for image quality, and check that its metrics move the right way.

Claim checked: ``genfin.evaluate.load_mnist_classifier`` trains an ``ImageClassifier`` with fixed
settings and seed (``MNIST_CLASSIFIER_PARAMS``: the estimator's defaults, 3 epochs, all 60,000
training images, seed 0) to at least 99% test accuracy in a few minutes on two CPU threads, and
the image-quality values computed on its features (FID, class coverage, entropy of the predicted
classes) rank degraded and collapsed image sets below real ones.

The script builds the classifier into ``<data home>/mnist_classifier/`` (or loads it when it is
already there; ``--rebuild`` trains it again), prints its test accuracy and training time, then
a sanity table. The reference ("real") set is 10,000 training images; each row is a set of 10,000
images derived from the MNIST test set:

- the test set itself, and 10,000 other training images (FID near 0: two samples of one
  distribution differ by sampling noise only);
- the test set with Gaussian pixel noise, and blurred with a Gaussian filter (quality degrades:
  FID rises, confidence falls);
- test digits of five classes only, or one class only, drawn with replacement, and a single test
  image repeated (mode collapse: coverage and entropy fall; a single repeated image has no feature
  covariance at all);
- uniform random pixels (no digits at all).

    python bench/build_mnist_classifier.py [--mnist /work/shared/data/mnist] [--data-home DIR]
                                           [--rebuild] [--n 10000] [--out FILE]

Set ``OMP_WAIT_POLICY=PASSIVE`` when other jobs share the cores (see ImageClassifier's n_threads).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from _common import SHARED_DATA, machine_line
from genfin.data import load_mnist
from genfin.data.cache import default_data_home
from genfin.evaluate.images import ImageQuality
from genfin.evaluate.mnist_classifier import (
    MNIST_CLASSIFIER_FOLDER,
    MNIST_CLASSIFIER_PARAMS,
    load_mnist_classifier,
)
from genfin.exceptions import DataValidationError


def noisy(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of ``sigma`` on pixels in [0, 1], clipped back to [0, 1]."""
    unit = images.astype(np.float32) / 255
    return np.clip(unit + rng.normal(0, sigma, size=unit.shape).astype(np.float32), 0, 1)


def blurred(images: np.ndarray, sigma: float) -> np.ndarray:
    """Each image blurred by a Gaussian filter of ``sigma`` pixels."""
    return np.clip(gaussian_filter(images.astype(np.float32) / 255, sigma=(0, sigma, sigma)), 0, 1)


def drawn(images: np.ndarray, labels: np.ndarray, classes, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of the given classes, drawn with replacement."""
    pool = np.flatnonzero(np.isin(labels, classes))
    rows = rng.choice(pool, size=n, replace=True)
    return images[rows], labels[rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mnist", default=str(SHARED_DATA / "mnist"), help="folder with the four MNIST IDX files"
    )
    parser.add_argument(
        "--data-home", default=None, help="genfin data home (default $GENFIN_DATA or ~/.cache/genfin)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="delete the cached classifier and train it again"
    )
    parser.add_argument("--n", type=int, default=10_000, help="images per set in the sanity table")
    parser.add_argument("--out", help="also write the markdown report to this file")
    args = parser.parse_args(argv)

    try:
        train, test = load_mnist(args.mnist)
    except DataValidationError as exc:
        print(f"error: cannot load MNIST from {args.mnist!r}: {exc}", file=sys.stderr)
        return 2
    home = default_data_home(args.data_home)
    folder = home / MNIST_CLASSIFIER_FOLDER
    if args.rebuild and folder.exists():
        shutil.rmtree(folder)
    built_now = not (folder / "model.json").is_file()
    print(f"{'building' if built_now else 'loading'} the MNIST classifier in {folder}", flush=True)
    started = time.perf_counter()
    model = load_mnist_classifier(home, mnist_folder=args.mnist)
    seconds = time.perf_counter() - started
    info = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    accuracy = model.score(test.images, test.labels)
    n_params = sum(p.numel() for p in model.module_.parameters())

    rng = np.random.default_rng(0)
    n = args.n
    order = rng.permutation(len(train.labels))
    reference = train.images[order[:n]]
    other_train = train.images[order[n : 2 * n]], train.labels[order[n : 2 * n]]
    test_rows = rng.choice(len(test.labels), size=n, replace=n > len(test.labels))
    test_images, test_labels = test.images[test_rows], test.labels[test_rows]
    sets: list[tuple[str, np.ndarray, np.ndarray | None]] = [
        ("MNIST test set", test_images, test_labels),
        ("10,000 other training images", *other_train),
    ]
    for sigma in (0.1, 0.25, 0.5):
        sets.append((f"test + Gaussian noise, sigma {sigma}", noisy(test_images, sigma, rng), test_labels))
    for sigma in (0.5, 1.0, 2.0):
        sets.append((f"test blurred, sigma {sigma} px", blurred(test_images, sigma), test_labels))
    sets.append(
        ("test digits 0-4 only (drawn with replacement)", *drawn(test.images, test.labels, range(5), n, rng))
    )
    sets.append(("test digit 1 only (drawn with replacement)", *drawn(test.images, test.labels, [1], n, rng)))
    single = int(np.flatnonzero(test.labels == 7)[0])
    sets.append(("one test 7 repeated", np.repeat(test.images[single : single + 1], n, axis=0), None))
    sets.append(("uniform random pixels", rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), None))

    timer = time.perf_counter()
    quality = ImageQuality(model).fit(reference)
    rows = []
    for name, images, labels in sets:
        values = quality.compute(images)
        accuracy_here = float(np.mean(model.predict(images) == labels)) if labels is not None else None
        rows.append((name, values, accuracy_here))
        print(f"  {name}: {values}", flush=True)
    metric_seconds = time.perf_counter() - timer

    command = "python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])])
    history = ", ".join(f"{h['loss']:.4f}" for h in info["history"])
    lines = [
        "### The MNIST classifier of genfin.evaluate.images",
        "",
        f"- command: `{command}`",
        f"- {machine_line()}; torch {torch.__version__}, {MNIST_CLASSIFIER_PARAMS.get('n_threads')} threads, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}",
        f"- classifier: {folder} ({'built by this run' if built_now else 'loaded from the cache'}); "
        f"ImageClassifier({', '.join(f'{k}={v!r}' for k, v in MNIST_CLASSIFIER_PARAMS.items())}), "
        f"{n_params:,} parameters",
        f"- trained on {info['train_images']:,} images in {info['training_seconds']:.0f} s "
        f"(training loss per epoch: {history}); this run took {seconds:.0f} s to "
        f"{'train and save' if built_now else 'load'} it",
        f"- **test accuracy: {accuracy:.4f}** on {len(test.labels):,} MNIST test images "
        f"(at build time: {info['test_accuracy']:.4f})",
        "",
        f'Sanity table: each set of {n:,} images against {n:,} training images (the "real" set). '
        "FID on the classifier's 128 features; coverage = share of the 10 classes predicted for >= 1% "
        "of the images; entropy of the mean predicted class distribution, normalised to [0, 1]; "
        "classifier score = exp(mean KL(p(y|x) || p(y))), 1..10; confidence = mean top probability; "
        f"accuracy against the test labels where they apply. Metrics took {metric_seconds:.0f} s for "
        f"{len(sets)} sets.",
        "",
        "| images | FID | coverage | entropy | classifier score | confidence | accuracy |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, values, accuracy_here in rows:
        lines.append(
            f"| {name} | {values['fid']:.2f} | {values['class_coverage']:.2f} "
            f"| {values['class_entropy']:.3f} | {values['classifier_score']:.2f} "
            f"| {values['mean_confidence']:.3f} | "
            f"{'-' if accuracy_here is None else f'{accuracy_here:.4f}'} |"
        )
    report = "\n".join(lines)
    print()
    print(report)
    if args.out:
        Path(args.out).write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
