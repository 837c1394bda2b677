"""MNIST autoencoders: the book's dense network against genfin's convolutional one, epoch by epoch.

Claim checked: chapter 6 trains ``784 -> 32 (relu) -> 784 (sigmoid)`` with binary cross-entropy,
batch 256 and Keras' adadelta for 50 epochs, and reports a test loss of about 0.104 (mean binary
cross-entropy per pixel). genfin's ``ImageAutoencoder`` trains the same network with Adam
(lr 1e-3); this script measures how many epochs and how much CPU time each architecture needs to
reach 0.104 on the 10,000 MNIST test images, and where it ends after ``--epochs``.

Both models train on all 60,000 training images (``validation_fraction=0``, as the book, which
validates on the test set) with seed 0. After every epoch the test-set loss is measured by a
callback; that measurement is excluded from the times. Times are cumulative training time: "CPU"
is the process's CPU seconds over all threads (``time.process_time``), "wall" is elapsed seconds.
On a machine shared with other jobs wall time depends on their load, so the load average is printed
too.

    python bench/mnist_autoencoders.py [--data ../shared/data/mnist] [--epochs 20]
                                       [--architectures dense,conv] [--threads 2]
                                       [--budget-minutes 15] [--target 0.104] [--quick] [--out FILE]

``--quick`` is a smoke run: 6,000 training and 1,000 test images, 2 epochs. ``--budget-minutes``
stops an architecture after the epoch that exhausts its share of the budget (each architecture may
use the budget minus what the ones before it used), and the table says so.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from _common import load_average
from genfin.data import load_mnist
from genfin.exceptions import DataValidationError
from genfin.models.image_autoencoder import ImageAutoencoder
from genfin.training import Callback
from genfin.training.reconstruction_task import elementwise_error

BOOK_LOSS = 0.104
DEFAULT_DATA = "../shared/data/mnist"
LABELS = {
    "dense": "dense (book): 784-32-784, relu/sigmoid",
    "conv": "conv: 2x conv3x3/2 (32, 64) -> 32 -> 2x convT",
}


class TestSetLoss(Callback):
    """After every epoch: the mean per-pixel BCE on the test images, and the training time so far."""

    def __init__(self, X_test: torch.Tensor, *, name: str, deadline: float | None) -> None:
        self.X_test = X_test
        self.name = name
        self.deadline = deadline
        self.cpu = 0.0
        self.wall = 0.0
        self.stopped_by_budget = False

    def on_epoch_start(self, trainer) -> None:  # noqa: D102
        self._cpu0, self._wall0 = time.process_time(), time.perf_counter()

    def on_epoch_end(self, trainer, logs) -> None:  # noqa: D102
        self.cpu += time.process_time() - self._cpu0
        self.wall += time.perf_counter() - self._wall0
        module = trainer.task.module
        module.eval()
        with torch.inference_mode():
            total = sum(
                float(elementwise_error(module, chunk, "bce").sum()) for chunk in self.X_test.split(2_000)
            )
        logs["test_bce"] = total / self.X_test.numel()
        logs["cpu_seconds"] = self.cpu
        logs["wall_seconds"] = self.wall
        print(
            f"  {self.name} epoch {int(logs['epoch']):>3}: train {logs['loss']:.4f}"
            f"  test {logs['test_bce']:.4f}  cpu {self.cpu:7.1f} s  wall {self.wall:7.1f} s",
            flush=True,
        )
        if (
            self.deadline is not None
            and time.perf_counter() > self.deadline
            and trainer.epoch + 1 < trainer.epochs
        ):
            self.stopped_by_budget = True
            trainer.stop_training = True


def first_reaching(history: list[dict[str, float]], target: float) -> dict[str, float] | None:
    return next((h for h in history if h["test_bce"] <= target), None)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="folder with the four MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--architectures", default="dense,conv")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (ImageAutoencoder n_threads)")
    parser.add_argument("--budget-minutes", type=float, default=15.0, help="wall-clock budget, all models")
    parser.add_argument("--target", type=float, default=BOOK_LOSS, help="test BCE to reach (the book's)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 6,000 / 1,000 images, 2 epochs")
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    architectures = [a.strip() for a in args.architectures.split(",") if a.strip()]
    unknown = [a for a in architectures if a not in LABELS]
    if unknown:
        parser.error(f"unknown architecture(s) {unknown}; choose from {sorted(LABELS)}")

    try:
        train, test = load_mnist(args.data)
    except DataValidationError as exc:
        print(
            f"error: cannot load MNIST from {args.data!r}: {exc}\n"
            "Pass --data FOLDER with train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), "
            "t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz). To download them once: "
            "python -c 'import genfin.data as d; d.fetch_mnist()', then pass --data ~/.cache/genfin/mnist "
            "(or $GENFIN_DATA/mnist when that variable is set).",
            file=sys.stderr,
        )
        return 2
    train_images, test_images = train.images, test.images
    epochs = args.epochs
    if args.quick:
        train_images, test_images, epochs = train_images[:6_000], test_images[:1_000], 2
    X_test = torch.from_numpy(test_images.reshape(len(test_images), -1).astype(np.float32) / 255)

    started = datetime.now(UTC)
    load_before = load_average()
    budget_end = time.perf_counter() + args.budget_minutes * 60
    print(
        f"MNIST {len(train_images)} train / {len(test_images)} test images, {epochs} epochs, "
        f"{args.threads} thread(s), load average {load_before}",
        flush=True,
    )
    results = {}
    for name in architectures:
        model = ImageAutoencoder(
            architecture=name,
            epochs=epochs,
            batch_size=256,
            learning_rate=1e-3,
            validation_fraction=0.0,
            random_state=0,
            n_threads=args.threads,
        )
        meter = TestSetLoss(X_test, name=name, deadline=budget_end)
        model.fit(train_images, callbacks=[meter])
        n_params = sum(p.numel() for p in model.module_.parameters())
        results[name] = (model.history_, n_params, meter.stopped_by_budget)
    load_after = load_average()

    command = "python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])])
    lines = [
        f"### MNIST autoencoders: test-set reconstruction BCE (target {args.target}, the book's figure)",
        "",
        f"- command: `{command}`",
        f"- machine: {machine()}; torch {torch.__version__}, {args.threads} thread(s), "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}",
        f"- date: {started:%Y-%m-%d %H:%M} UTC; load average (1/5/15 min) {load_before} before, "
        f"{load_after} after",
        f"- data: {len(train_images):,} training images (all used for training), {len(test_images):,} test "
        "images; Adam lr 1e-3, batch 256, seed 0; BCE = mean binary cross-entropy per pixel",
        "",
        f"| architecture | parameters | epochs run | first epoch with test BCE <= {args.target} "
        f"| CPU s to reach it | wall s to reach it | final test BCE | CPU s per epoch | wall s per epoch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (history, n_params, stopped) in results.items():
        hit = first_reaching(history, args.target)
        last = history[-1]
        n = len(history)
        ran = f"{n}" + (" (budget)" if stopped else "")
        reach = (
            (f"{int(hit['epoch'])}", f"{hit['cpu_seconds']:.0f}", f"{hit['wall_seconds']:.0f}")
            if hit
            else (f"not within {n}", "-", "-")
        )
        lines.append(
            f"| {LABELS[name]} | {n_params:,} | {ran} | {reach[0]} | {reach[1]} | {reach[2]} "
            f"| {last['test_bce']:.4f} | {last['cpu_seconds'] / n:.1f} | {last['wall_seconds'] / n:.1f} |"
        )
    lines += ["", "Test BCE after each epoch:", ""]
    lines.append("| epoch | " + " | ".join(results) + " |")
    lines.append("|---:|" + "---:|" * len(results))
    longest = max(len(h) for h, _, _ in results.values())
    for i in range(longest):
        cells = [f"{h[i]['test_bce']:.4f}" if i < len(h) else "" for h, _, _ in results.values()]
        lines.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print("\n" + table)
    if args.out:
        Path(args.out).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
