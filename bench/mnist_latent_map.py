"""A t-SNE map of the 10,000 MNIST test-set codes and its 10-nearest-neighbour label accuracy.

The book's dense autoencoder (784-32-784) and genfin's conv autoencoder are trained on the 60,000
training images; their test codes are mapped with genfin.latent.embed and measured.

    OMP_WAIT_POLICY=PASSIVE python bench/mnist_latent_map.py [--data ../shared/data/mnist] [--epochs 10]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _common import SHARED_DATA, machine_line
from genfin import ImageAutoencoder
from genfin.data import load_mnist
from genfin.latent import embed, knn_accuracy, trustworthiness
from genfin.plots import latent_scatter_figure, save_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "mnist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--architectures", default="dense,conv")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"no MNIST folder at {args.data}: pass --data with the four IDX files")
    train, test = load_mnist(args.data)
    rows = []
    for architecture in args.architectures.split(","):
        started = time.perf_counter()
        model = ImageAutoencoder(architecture=architecture, epochs=args.epochs, random_state=0, n_threads=1)
        model.fit(train.images)
        fit_seconds = time.perf_counter() - started
        codes = model.transform(test.images)
        started = time.perf_counter()
        latent = embed(codes, "tsne", random_state=0, n_jobs=1)
        map_seconds = time.perf_counter() - started
        rows.append(
            (
                architecture,
                fit_seconds,
                map_seconds,
                trustworthiness(codes, latent.coords, k=10, random_state=0),
                knn_accuracy(latent.coords, test.labels, k=10),
                knn_accuracy(codes, test.labels, k=10),
            )
        )
        out = Path(__file__).parent / "results" / f"mnist_tsne_{architecture}.png"
        save_figure(
            latent_scatter_figure(latent.coords, test.labels, title=f"MNIST test codes ({architecture})"), out
        )
    print("t-SNE maps of the 10,000 MNIST test-set codes (genfin.latent.embed, perplexity 30)")
    print(
        f"command: OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')} python bench/mnist_latent_map.py "
        f"--epochs {args.epochs}"
    )
    print(f"{machine_line()}; 1 thread; load average {os.getloadavg()[0]:.2f} at the end\n")
    print(
        "| autoencoder | fit s | t-SNE s | trustworthiness (k=10) "
        "| 10-NN label accuracy, map | 10-NN accuracy, codes |"
    )
    print("|---|---|---|---|---|---|")
    for name, fit_s, map_s, trust, acc_map, acc_codes in rows:
        print(
            f"| {name} ({args.epochs} epochs) | {fit_s:.0f} | {map_s:.0f} | {trust:.4f} "
            f"| {acc_map:.4f} | {acc_codes:.4f} |"
        )


if __name__ == "__main__":
    main()
