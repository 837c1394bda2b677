"""t-SNE speed and faithfulness: genfin's map of autoencoder codes against the book's scikit-learn recipe.

The codes are those of the book's 29-12-29 autoencoder (genfin's AutoencoderDetector, defaults,
random_state=0) fitted on 100,000 SYNTHETIC credit-card-shaped transactions (make_transactions,
random_state=0), taken on --rows rows of a second draw (random_state=1); 28,481 is the book's
test-set size. With --data the autoencoder is fitted, without labels, on a real creditcard file
instead and the codes are those of its first --rows rows (the shared sample has only 11,216).

All methods run in the same process, one after the other, on the same codes and with the same
thread count (--n-jobs, also applied to BLAS and OpenMP with threadpoolctl, because scikit-learn's
Barnes-Hut gradient otherwise uses every core whatever its n_jobs). Every map is scored with the
same measures: genfin.latent.trustworthiness (k=10, estimated on the same 5,000 points, seed 0) and
genfin.latent.knn_preservation (k=10, all points).

The book calls ``TSNE(verbose=1, n_iter=5000)`` with the scikit-learn of its time (0.20), whose
defaults were perplexity 30, early_exaggeration 12, learning_rate 200, init "random", method
"barnes_hut", angle 0.5. scikit-learn 1.2 changed learning_rate to "auto" and init to "pca", and
1.7 removed n_iter in favour of max_iter, so the book's recipe is restated here explicitly.

Run with OMP_WAIT_POLICY=PASSIVE on a shared machine: OpenMP threads that spin while waiting make
openTSNE (and scikit-learn) many times slower when other processes compete for the cores.

    OMP_WAIT_POLICY=PASSIVE python bench/tsne_speed.py [--rows 28481] [--n-jobs 1] [--skip-book] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import openTSNE
import sklearn
import torch
from sklearn.manifold import TSNE
from threadpoolctl import threadpool_limits

from _common import machine_line
from genfin import AutoencoderDetector
from genfin.data import load_creditcard, make_transactions
from genfin.latent import embed, knn_preservation, trustworthiness

BOOK_TEST_ROWS = 28_481  # 284,807 // 10: the book's test-set size
TRAIN_ROWS = 100_000
K = 10
TRUST_SAMPLES = 5_000
BOOK_ITERATIONS = 5_000
TARGET_SPEEDUP = 5.0
TARGET_TRUST_GAP = 0.01
BOOK = "scikit-learn TSNE, book's recipe"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=BOOK_TEST_ROWS, help="codes to map (default 28,481)")
    parser.add_argument("--n-jobs", type=int, default=1, help="threads for every method (default 1)")
    parser.add_argument("--skip-book", action="store_true", help="leave out the book's 5,000-iteration run")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2,000 codes, 20,000 training rows")
    parser.add_argument("--data", type=Path, default=None, help="a real creditcard file instead")
    args = parser.parse_args()
    if args.quick and args.rows == BOOK_TEST_ROWS:
        args.rows = 2_000
    if args.data is not None and not args.data.is_file():
        raise SystemExit(f"no data at {args.data}")
    return args


def make_codes(args: argparse.Namespace) -> tuple[np.ndarray, str, float]:
    """The autoencoder's 12-d codes of the rows to map, a description of them, and the fit seconds."""
    tic = time.perf_counter()
    if args.data is None:
        n_train = 20_000 if args.quick else TRAIN_ROWS
        train = make_transactions(n_samples=n_train, random_state=0)
        detector = AutoencoderDetector(random_state=0).fit(train.X)
        rows = make_transactions(n_samples=args.rows, random_state=1).X
        source = (
            f"{args.rows:,} codes of SYNTHETIC make_transactions(random_state=1) rows, autoencoder fitted on "
            f"{n_train:,} make_transactions(random_state=0) rows"
        )
    else:
        table = load_creditcard(args.data)
        detector = AutoencoderDetector(random_state=0).fit(table.X)
        rows = table.X.iloc[: args.rows]
        source = (
            f"{len(rows):,} codes of the first rows of {args.data.name} ({len(table.X):,} rows), "
            "autoencoder fitted on all of them without labels"
        )
    codes = detector.transform(rows)
    return codes, source, time.perf_counter() - tic


def methods(n_jobs: int, skip_book: bool) -> dict[str, Callable[[np.ndarray], tuple[np.ndarray, str]]]:
    """Name -> function from codes to (2-D coordinates, iterations run)."""

    def sklearn_tsne(**params: object) -> Callable[[np.ndarray], tuple[np.ndarray, str]]:
        def run(codes: np.ndarray) -> tuple[np.ndarray, str]:
            model = TSNE(perplexity=30.0, random_state=0, n_jobs=n_jobs, **params)
            coords = model.fit_transform(codes)
            return coords, f"{model.n_iter_ + 1:,}"

        return run

    def genfin(method: str) -> Callable[[np.ndarray], tuple[np.ndarray, str]]:
        def run(codes: np.ndarray) -> tuple[np.ndarray, str]:
            latent_map = embed(codes, method, random_state=0, n_jobs=n_jobs)
            p = latent_map.params
            if method == "tsne":
                done = f"{p['early_exaggeration_iter']} + {p['n_iter']} ({p['negative_gradient_method']})"
            elif method == "umap":
                # n_epochs=None means umap-learn's default: 500 epochs up to 10,000 rows, 200 above.
                epochs = latent_map.model.n_epochs or (500 if codes.shape[0] <= 10_000 else 200)
                done = f"{epochs} epochs"
            else:
                done = "-"
            return latent_map.coords, done

        return run

    table: dict[str, Callable[[np.ndarray], tuple[np.ndarray, str]]] = {}
    if not skip_book:
        table[f"{BOOK} (max_iter=5000, lr 200, init random, Barnes-Hut 0.5)"] = sklearn_tsne(
            max_iter=BOOK_ITERATIONS,
            learning_rate=200.0,
            init="random",
            method="barnes_hut",
            angle=0.5,
            early_exaggeration=12.0,
        )
    table["scikit-learn TSNE, today's defaults (max_iter=1000, lr auto, init pca)"] = sklearn_tsne()
    table["genfin embed(codes, 'tsne') (openTSNE)"] = genfin("tsne")
    try:
        import umap  # noqa: F401
    except ImportError:
        print("umap-learn is not installed: no UMAP row", file=sys.stderr)
    else:
        # Compile umap-learn's numba functions first, untimed: a one-off cost per Python process of
        # ~40 s here. It needs over 4,096 rows, or umap-learn skips the NN-descent index (its
        # exact path), and the index's compilation would then be timed with the real map.
        warm_up = np.random.default_rng(0).normal(size=(5_000, 12))
        embed(warm_up, "umap", random_state=0, n_iter=2)
        table["genfin embed(codes, 'umap') (umap-learn, seeded: 1 thread)"] = genfin("umap")
    table["genfin embed(codes, 'pca')"] = genfin("pca")
    return table


def versions() -> str:
    parts = [f"scikit-learn {sklearn.__version__}", f"openTSNE {openTSNE.__version__}"]
    try:
        import umap

        parts.append(f"umap-learn {umap.__version__}")
    except ImportError:
        pass
    parts += [f"numpy {np.__version__}", f"torch {torch.__version__}", f"Python {sys.version.split()[0]}"]
    return ", ".join(parts)


def load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    args = arguments()
    warnings.filterwarnings("ignore", category=FutureWarning)
    started = datetime.now()
    load_before = load()
    print(f"started {started:%Y-%m-%d %H:%M}, load average (1/5/15 min) {load_before}", flush=True)
    with threadpool_limits(limits=args.n_jobs):
        codes, source, ae_seconds = make_codes(args)
        print(f"codes: {source}; {ae_seconds:.0f} s", flush=True)
        rows = []
        for name, run in methods(args.n_jobs, args.skip_book).items():
            load_at_start = os.getloadavg()[0]
            tic = time.perf_counter()
            coords, iterations = run(codes)
            seconds = time.perf_counter() - tic
            trust = trustworthiness(codes, coords, k=K, max_samples=TRUST_SAMPLES, random_state=0)
            kept = knn_preservation(codes, coords, k=K)
            rows.append((name, seconds, iterations, trust, kept, load_at_start))
            print(f"  {name}: {seconds:.1f} s, T={trust:.4f}, kNN kept {kept:.4f}", flush=True)

    book = next((r for r in rows if r[0].startswith(BOOK)), None)
    command = "OMP_WAIT_POLICY=PASSIVE python bench/tsne_speed.py " + " ".join(sys.argv[1:])
    print()
    print(f"t-SNE speed and faithfulness: {codes.shape[0]:,} x {codes.shape[1]} autoencoder codes")
    print(f"command: {command.strip()}")
    print(
        f"{machine_line()}; {args.n_jobs} thread(s) for every method (OMP_WAIT_POLICY="
        f"{os.environ.get('OMP_WAIT_POLICY', 'unset')})"
    )
    print(
        f"load average (1/5/15 min): {load_before} at start, {load()} at end; "
        f"started {started:%Y-%m-%d %H:%M}, ended {datetime.now():%H:%M}"
    )
    print(f"{versions()}")
    print(f"data: {source} (autoencoder fit {ae_seconds:.0f} s, not counted below)")
    print(
        f"trustworthiness: k={K}, estimated on the same {min(TRUST_SAMPLES, len(codes)):,} points (seed 0) "
        "for every map; "
        f"kNN kept = knn_preservation, k={K}, all points; load = 1-min load average as the method started\n"
    )
    print("| method | iterations | wall s | speed-up vs book | trustworthiness | kNN kept | load at start |")
    print("|---|---|---|---|---|---|---|")
    for name, seconds, iterations, trust, kept, load_at_start in rows:
        speedup = f"{book[1] / seconds:.1f}x" if book else "-"
        cells = [
            name,
            iterations,
            f"{seconds:.1f}" if seconds >= 1 else f"{seconds:.2f}",
            speedup,
            f"{trust:.4f}",
            f"{kept:.4f}",
            f"{load_at_start:.2f}",
        ]
        print("| " + " | ".join(cells) + " |")
    if book:
        ours = next(r for r in rows if r[0].startswith("genfin embed(codes, 'tsne')"))
        speedup, gap = book[1] / ours[1], ours[3] - book[3]
        met = speedup >= TARGET_SPEEDUP and gap >= -TARGET_TRUST_GAP
        print(
            f"\ntarget (>= {TARGET_SPEEDUP:g}x faster than the book's recipe, trustworthiness within "
            f"{TARGET_TRUST_GAP}): {'MET' if met else 'MISSED'} - genfin t-SNE is {speedup:.1f}x faster, "
            f"trustworthiness {gap:+.4f}"
        )


if __name__ == "__main__":
    main()
