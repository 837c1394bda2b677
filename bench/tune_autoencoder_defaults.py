"""How genfin's AutoencoderDetector defaults were chosen: validation AUPRC only, never the test split.

For each seed the real credit card sample is split 70/30 into train and test exactly as
bench/detection_quality.py does; the test rows are never touched here. The train rows are split
again 70/30 into fit and validation rows; each candidate is fitted WITHOUT labels on the fit rows
and scored on the validation rows. Two checks follow: the shortlist again with the fit rows' frauds
thinned to the full data set's 0.17%, and on the built-in synthetic data.

    python bench/tune_autoencoder_defaults.py [--data PATH] [--seeds 5]
"""

from __future__ import annotations

import time

import numpy as np
import torch

from _common import creditcard_arguments, machine_line
from genfin import AutoencoderDetector
from genfin.data import load_creditcard, make_transactions, stratified_split
from genfin.evaluate import auprc

BOOK = dict(trim_fraction=0.0)
CANDIDATES = {
    "book (minmax, 12 tanh, 20 epochs, no trim)": BOOK,
    "trim 0.05, 1 round": dict(trim_fraction=0.05, trim_rounds=1),
    "trim 0.05, 2 rounds": dict(trim_fraction=0.05, trim_rounds=2),
    "trim 0.10, 2 rounds": dict(trim_fraction=0.10, trim_rounds=2),
    "trim 0.05, 3 rounds": dict(trim_fraction=0.05, trim_rounds=3),
    "standard scaling, linear output, trim 0.05, 2 rounds": dict(
        trim_fraction=0.05, scaler="standard", output_activation="linear"
    ),
    "64-12, trim 0.05, 2 rounds": dict(trim_fraction=0.05, hidden_layer_sizes=(64, 12)),
    "40 epochs, trim 0.05, 2 rounds": dict(trim_fraction=0.05, epochs=40),
}


def thin_frauds(X, y, rate: float, seed: int):
    """Keep all genuine rows and just enough frauds for ``rate``: the full data set's 0.17%."""
    rng = np.random.default_rng(seed)
    frauds = np.flatnonzero(y.to_numpy() == 1)
    keep = np.zeros(len(y), dtype=bool)
    keep[y.to_numpy() == 0] = True
    keep[rng.choice(frauds, size=max(1, int(rate * len(y))), replace=False)] = True
    return X[keep], y[keep]


def print_table(title: str, results: dict[str, list[float]]) -> None:
    """One markdown table of mean and std per candidate, best first."""
    print(f"\n{title}\n")
    print("| candidate | AUPRC mean | std |")
    print("|---|---|---|")
    for name, values in sorted(results.items(), key=lambda kv: -np.mean(kv[1])):
        print(f"| {name} | {np.mean(values):.4f} | {np.std(values):.4f} |")


#: Candidates re-run on the built-in synthetic data and at the full data set's fraud rate.
SHORTLIST = ("book (minmax, 12 tanh, 20 epochs, no trim)", "trim 0.05, 1 round", "trim 0.05, 2 rounds")


def main() -> None:
    args = creditcard_arguments(__doc__.splitlines()[0])
    X, y = load_creditcard(args.data)
    started = time.perf_counter()
    real = {name: [] for name in CANDIDATES}
    thinned = {name: [] for name in SHORTLIST}
    for seed in range(args.seeds):
        X_train, _, y_train, _ = stratified_split(X, y, test_size=0.3, random_state=seed)
        X_fit, X_val, y_fit, y_val = stratified_split(X_train, y_train, test_size=0.3, random_state=seed)
        X_thin, _ = thin_frauds(X_fit, y_fit, 0.0017, seed)
        for name, params in CANDIDATES.items():
            model = AutoencoderDetector(random_state=seed, **params).fit(X_fit)
            real[name].append(auprc(y_val, model.score_samples(X_val)))
            if name in SHORTLIST:
                model = AutoencoderDetector(random_state=seed, **params).fit(X_thin)
                thinned[name].append(auprc(y_val, model.score_samples(X_val)))
    synthetic = {name: [] for name in SHORTLIST}
    for seed in range(3):
        X_syn, y_syn = make_transactions(n_samples=50_000, random_state=seed)
        X_a, X_b, _, y_b = stratified_split(X_syn, y_syn, test_size=0.3, random_state=seed)
        for name in SHORTLIST:
            model = AutoencoderDetector(random_state=seed, **CANDIDATES[name]).fit(X_a)
            synthetic[name].append(auprc(y_b, model.score_samples(X_b)))
    print(f"AutoencoderDetector candidates, fitted without labels; {args.seeds} seeds; data {args.data.name}")
    print(f"command: python bench/tune_autoencoder_defaults.py --seeds {args.seeds}")
    print(f"{machine_line()}; torch {torch.__version__}; {time.perf_counter() - started:.0f} s")
    print_table("Validation AUPRC on the real sample (fit rows hold 3.2% frauds):", real)
    print_table(
        "Validation AUPRC with the fit rows' frauds thinned to 0.17%, the full data set's rate:", thinned
    )
    print_table(
        "Held-out AUPRC on built-in synthetic data (make_transactions, 50,000 rows, 3 seeds):", synthetic
    )


if __name__ == "__main__":
    main()
