"""Detection quality on the real credit card sample: genfin against PyOD and scikit-learn.

Five seeds; for each, one stratified 70/30 split. Every method is fitted WITHOUT labels on the
same training rows (frauds included, as in real unlabelled data; scalers fitted on those rows only)
and scored on the same held-out rows. "genfin, normal rows only" uses the training labels and is
shown for reference, not as a competitor.

    python bench/detection_quality.py [--data PATH] [--seeds 5]
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.ensemble import IsolationForest

from _common import creditcard_arguments, machine_line
from genfin import AutoencoderDetector
from genfin.data import load_creditcard, stratified_split
from genfin.evaluate import auprc, roc_auc


def pyod_autoencoder(seed: int, **params):
    """PyOD's AutoEncoder with its defaults (standard scaling, 64-32 relu, batch norm, dropout)."""
    from pyod.models.auto_encoder import AutoEncoder

    return AutoEncoder(random_state=seed, verbose=0, **params)


def methods(seed: int) -> dict[str, tuple[object, bool]]:
    """Name -> (unfitted detector, whether it is given the training labels)."""
    return {
        "genfin AutoencoderDetector, defaults": (AutoencoderDetector(random_state=seed), False),
        "genfin AutoencoderDetector, book's recipe (trim_fraction=0)": (
            AutoencoderDetector(random_state=seed, trim_fraction=0.0),
            False,
        ),
        "PyOD AutoEncoder, defaults": (pyod_autoencoder(seed), False),
        "PyOD AutoEncoder, book's network (29-12-29, 20 epochs, batch 128)": (
            pyod_autoencoder(
                seed,
                hidden_neuron_list=[12],
                hidden_activation_name="tanh",
                batch_norm=False,
                dropout_rate=0.0,
                epoch_num=20,
                batch_size=128,
            ),
            False,
        ),
        "scikit-learn IsolationForest, defaults": (IsolationForest(random_state=seed), False),
        "(reference) genfin, normal rows only, uses labels": (AutoencoderDetector(random_state=seed), True),
    }


def anomaly_scores(model: object, X: pd.DataFrame) -> np.ndarray:
    """Higher = more anomalous, whatever the library's sign convention."""
    if isinstance(model, IsolationForest):
        return -model.score_samples(X)
    if isinstance(model, AutoencoderDetector):
        return model.score_samples(X)
    return model.decision_function(X.to_numpy())  # PyOD: higher is more anomalous


def main() -> None:
    args = creditcard_arguments(__doc__.splitlines()[0])
    warnings.filterwarnings("ignore", category=FutureWarning)
    X, y = load_creditcard(args.data)
    rows = []
    started = time.perf_counter()
    for seed in range(args.seeds):
        X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.3, random_state=seed)
        for name, (model, uses_labels) in methods(seed).items():
            tic = time.perf_counter()
            if uses_labels:
                model.fit(X_train, y_train)
            else:
                model.fit(
                    X_train
                    if isinstance(model, (AutoencoderDetector, IsolationForest))
                    else X_train.to_numpy()
                )
            fit_seconds = time.perf_counter() - tic
            scores = anomaly_scores(model, X_test)
            rows.append(
                dict(
                    method=name,
                    seed=seed,
                    auprc=auprc(y_test, scores),
                    roc_auc=roc_auc(y_test, scores),
                    fit_s=fit_seconds,
                )
            )
    table = pd.DataFrame(rows).groupby("method", sort=False).agg(["mean", "std"])
    import pyod

    print(
        f"Detection on held-out rows of {args.data.name}: {len(X):,} rows, {int(y.sum())} frauds; "
        f"{args.seeds} seeds, stratified 70/30 splits"
    )
    print(f"command: python bench/detection_quality.py --seeds {args.seeds}")
    print(
        f"{machine_line()}; torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, pyod {pyod.__version__}"
    )
    print(f"{time.perf_counter() - started:.0f} s in all\n")
    print("| method | AUPRC | ROC-AUC | fit seconds |")
    print("|---|---|---|---|")
    for name, r in table.iterrows():
        print(
            f"| {name} | {r[('auprc', 'mean')]:.4f} ± {r[('auprc', 'std')]:.4f} "
            f"| {r[('roc_auc', 'mean')]:.4f} ± {r[('roc_auc', 'std')]:.4f} | {r[('fit_s', 'mean')]:.1f} |"
        )
    per_seed = pd.DataFrame(rows).pivot(index="seed", columns="method", values="auprc")
    print("\nAUPRC per seed:\n")
    print(per_seed.round(4).T.to_markdown())


if __name__ == "__main__":
    main()
