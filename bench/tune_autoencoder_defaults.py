"""How genfin's AutoencoderDetector defaults were chosen: validation AUPRC only, never the test split.

For each seed the real credit card sample is split 70/30 into train and test exactly as
bench/detection_quality.py does; the test rows are never touched here. The train rows are split
again 70/30 into fit and validation rows; each candidate is fitted WITHOUT labels on the fit rows
and scored on the validation rows.

    python bench/tune_autoencoder_defaults.py [--data PATH] [--seeds 5]
"""

from __future__ import annotations

import time

import numpy as np
import torch

from _common import creditcard_arguments, machine_line
from genfin import AutoencoderDetector
from genfin.data import load_creditcard, stratified_split
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


def main() -> None:
    args = creditcard_arguments(__doc__.splitlines()[0])
    X, y = load_creditcard(args.data)
    results: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    started = time.perf_counter()
    for seed in range(args.seeds):
        X_train, _, y_train, _ = stratified_split(X, y, test_size=0.3, random_state=seed)
        X_fit, X_val, _, y_val = stratified_split(X_train, y_train, test_size=0.3, random_state=seed)
        for name, params in CANDIDATES.items():
            model = AutoencoderDetector(random_state=seed, **params).fit(X_fit)
            results[name].append(auprc(y_val, model.score_samples(X_val)))
    print(f"Validation AUPRC (unsupervised fit), {args.seeds} seeds, data {args.data.name}")
    print(f"command: python bench/tune_autoencoder_defaults.py --seeds {args.seeds}")
    print(f"{machine_line()}; torch {torch.__version__}; {time.perf_counter() - started:.0f} s\n")
    print("| candidate | validation AUPRC mean | std |")
    print("|---|---|---|")
    for name, values in sorted(results.items(), key=lambda kv: -np.mean(kv[1])):
        print(f"| {name} | {np.mean(values):.4f} | {np.std(values):.4f} |")


if __name__ == "__main__":
    main()
