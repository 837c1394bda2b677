"""The fraud cluster on the real sample: do the autoencoder's codes separate frauds better than the inputs?

For each seed, one stratified 70/30 split of the real credit card sample. Two AutoencoderDetectors
are fitted WITHOUT labels on the training rows (frauds included): genfin's defaults (robust
trimming) and the book's recipe (trim_fraction=0). On the held-out rows, the fraud neighbourhood
purity (the mean share of a fraud's 10 nearest neighbours that are frauds too; chance level is the
fraud rate) and the leave-one-out 10-NN accuracy are measured in:

- the raw 29 features, min-max scaled on the training rows (the scaling the autoencoder uses),
- the 12-d codes of each autoencoder,
- the 2-D t-SNE map (genfin.latent.embed, openTSNE) of the raw scaled features and of each set of codes.

Each map's trustworthiness (k=10, all points) against the space it was drawn from is shown too.
Mean ± standard deviation over the seeds. The seed-0 maps are saved to bench/results/.

    OMP_WAIT_POLICY=PASSIVE python bench/fraud_cluster.py [--data PATH] [--seeds 5]
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import openTSNE
import pandas as pd
import sklearn
import torch
from threadpoolctl import threadpool_limits

from _common import creditcard_arguments, machine_line
from genfin import AutoencoderDetector
from genfin.data import MinMaxScaler, load_creditcard, stratified_split
from genfin.latent import embed, knn_accuracy, neighbourhood_purity, trustworthiness
from genfin.plots import latent_scatter_figure, save_figure

K = 10
RESULTS = Path(__file__).resolve().parent / "results"
DETECTORS = {
    "genfin defaults": {},
    "book's recipe (trim_fraction=0)": {"trim_fraction": 0.0},
}


def spaces_of_seed(X: pd.DataFrame, y: pd.Series, seed: int) -> tuple[dict[str, tuple], np.ndarray]:
    """Name -> (points, the space a map was drawn from or None) for one split; and the test labels."""
    X_train, X_test, _, y_test = stratified_split(X, y, test_size=0.3, random_state=seed)
    raw = MinMaxScaler().fit(X_train).transform(X_test)
    spaces: dict[str, tuple] = {
        "raw 29 features (min-max)": (raw, None),
        "t-SNE map of the raw features": (embed(raw, "tsne", random_state=seed, n_jobs=1).coords, raw),
    }
    for name, params in DETECTORS.items():
        detector = AutoencoderDetector(random_state=seed, **params).fit(X_train)
        codes = detector.transform(X_test)
        spaces[f"12-d codes, {name}"] = (codes, None)
        spaces[f"t-SNE map of the codes, {name}"] = (
            embed(codes, "tsne", random_state=seed, n_jobs=1).coords,
            codes,
        )
    return spaces, y_test.to_numpy()


def save_maps(spaces: dict[str, tuple], labels: np.ndarray) -> list[Path]:
    """The seed-0 maps: fraud_cluster_map.png (genfin defaults' codes) and two more for comparison."""
    RESULTS.mkdir(exist_ok=True)
    files = {
        "t-SNE map of the codes, genfin defaults": ("fraud_cluster_map.png", "Codes, genfin defaults"),
        "t-SNE map of the codes, book's recipe (trim_fraction=0)": (
            "fraud_cluster_map_book.png",
            "Codes, book's recipe",
        ),
        "t-SNE map of the raw features": ("fraud_cluster_map_raw.png", "Raw scaled features"),
    }
    saved = []
    for name, (file, short) in files.items():
        # latent_scatter_figure does not wrap its title, so keep it short enough for the figure.
        fig = latent_scatter_figure(spaces[name][0], labels, title=f"t-SNE: {short} (test rows, seed 0)")
        saved.append(save_figure(fig, RESULTS / file))
    return saved


def main() -> None:
    args = creditcard_arguments(__doc__.splitlines()[0])
    started = datetime.now()
    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    X, y = load_creditcard(args.data)
    rows = []
    tic = time.perf_counter()
    with threadpool_limits(limits=1):
        for seed in range(args.seeds):
            spaces, labels = spaces_of_seed(X, y, seed)
            for name, (points, source) in spaces.items():
                rows.append(
                    {
                        "space": name,
                        "seed": seed,
                        "fraud_purity": neighbourhood_purity(points, labels, k=K)[1],
                        "genuine_purity": neighbourhood_purity(points, labels, k=K)[0],
                        "knn_accuracy": knn_accuracy(points, labels, k=K),
                        "trust": np.nan
                        if source is None
                        else trustworthiness(source, points, k=K, max_samples=None),
                    }
                )
            if seed == 0:
                saved = save_maps(spaces, labels)
            print(f"seed {seed} done, {time.perf_counter() - tic:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - tic
    load_after = " / ".join(f"{v:.2f}" for v in os.getloadavg())

    n_test, n_fraud = len(labels), int(labels.sum())
    table = pd.DataFrame(rows).groupby("space", sort=False).agg(["mean", "std"])
    command = "OMP_WAIT_POLICY=PASSIVE python bench/fraud_cluster.py " + " ".join(sys.argv[1:])
    print(
        f"The fraud cluster on held-out rows of {args.data.name}: {len(X):,} rows, {int(y.sum())} frauds; "
        f"{args.seeds} seeds, stratified 70/30 splits ({n_test:,} test rows, {n_fraud} frauds: chance "
        f"fraud purity {n_fraud / n_test:.4f}, all-genuine kNN accuracy {1 - n_fraud / n_test:.4f})"
    )
    print(f"command: {command.strip()}")
    print(f"{machine_line()}; 1 thread (OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')})")
    print(
        f"load average (1/5/15 min): {load_before} at start, {load_after} at end; "
        f"started {started:%Y-%m-%d %H:%M}, {seconds:.0f} s in all"
    )
    print(
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, openTSNE {openTSNE.__version__}, "
        f"numpy {np.__version__}"
    )
    print(
        f"autoencoders fitted without labels on the training rows, random_state=seed; maps: "
        f"genfin.latent.embed(..., 'tsne', random_state=seed); k={K} everywhere; mean ± std over seeds\n"
    )
    print("| space | fraud purity | genuine purity | kNN accuracy | map trustworthiness |")
    print("|---|---|---|---|---|")

    def cell(r: pd.Series, column: str) -> str:
        mean, std = r[(column, "mean")], r[(column, "std")]
        return "-" if np.isnan(mean) else f"{mean:.4f} ± {std:.4f}"

    for name, r in table.iterrows():
        columns = ("fraud_purity", "genuine_purity", "knn_accuracy", "trust")
        print(f"| {name} | " + " | ".join(cell(r, c) for c in columns) + " |")
    per_seed = pd.DataFrame(rows).pivot(index="seed", columns="space", values="fraud_purity")
    print("\nFraud purity per seed:\n")
    print(per_seed[list(table.index)].round(4).T.to_markdown())
    print("\nseed-0 maps: " + ", ".join(str(p.relative_to(RESULTS.parent.parent)) for p in saved))


if __name__ == "__main__":
    main()
