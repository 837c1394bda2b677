"""Which VAE should generate frauds? Class-fitted or conditional, fixed or learned output variance.

Issue 4 asks to choose between a VAE fitted on the fraud rows only and a conditional VAE (one model
of every row, the class as an input) by measurement; the output variance (the book's squared error,
whose samples are smooth decoded means, against a learned variance per feature, whose samples carry
noise) is chosen the same way. Each variant is fitted on the training split of the real sample and
judged on its synthetic frauds:

- fidelity and detection against the real training frauds (KS complement, correlation similarity,
  detection AUC of a logistic regression and of gradient boosting: 0.5 is best);
- usefulness: AUPRC on the held-out real rows of a gradient-boosting classifier trained on the real
  training rows plus synthetic frauds up to one fraud per four normal rows (no augmentation and
  SMOTE in the same run as references).

Only the training split is used to fit and choose; the held-out rows are touched once per variant
for the usefulness column, which is reported, not tuned on.

    OMP_WAIT_POLICY=PASSIVE python bench/vae_choices.py [--data PATH] [--seeds 3]
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score

from _common import creditcard_arguments, machine_line
from genfin.data import load_creditcard, stratified_split
from genfin.evaluate.synthetic import CorrelationSimilarity, DetectionAUC, KSComplement
from genfin.models import VAE
from genfin.pipelines.augment import augment

RATIO = 0.25
# (name, class-fitted or conditional, VAE parameters); epochs=None is the VAE's default: 20, or at
# least 2,000 optimiser steps (1,000 epochs for the ~225 training frauds left after validation).
VARIANTS = [
    (
        "fraud-only, book: fixed variance, standard scaler, 20 epochs",
        "class",
        dict(output_variance="fixed", scaler="standard", epochs=20),
    ),
    (
        "fraud-only, fixed variance, standard scaler, default epochs",
        "class",
        dict(output_variance="fixed", scaler="standard"),
    ),
    (
        "fraud-only, learned variance, standard scaler, 20 epochs",
        "class",
        dict(output_variance="learned", scaler="standard", epochs=20),
    ),
    (
        "fraud-only, learned variance, standard scaler, default epochs",
        "class",
        dict(output_variance="learned", scaler="standard"),
    ),
    (
        "fraud-only, learned variance, power scaler, 300 epochs (600 steps)",
        "class",
        dict(output_variance="learned", scaler="power", epochs=300),
    ),
    (
        "fraud-only, learned variance, power scaler, default epochs",
        "class",
        dict(output_variance="learned", scaler="power"),
    ),
    (
        "conditional, fixed variance, standard scaler, default epochs",
        "conditional",
        dict(output_variance="fixed", scaler="standard"),
    ),
    (
        "conditional, learned variance, standard scaler, default epochs",
        "conditional",
        dict(output_variance="learned", scaler="standard"),
    ),
    (
        "conditional, learned variance, power scaler, default epochs",
        "conditional",
        dict(output_variance="learned", scaler="power"),
    ),
]


def synthetic_frauds(kind: str, params: dict, X: pd.DataFrame, y: pd.Series, n: int, seed: int):
    """Fit the variant on the training rows and draw ``n`` synthetic frauds."""
    if kind == "class":
        vae = VAE(**params, random_state=seed).fit(X[y.to_numpy() == 1])
        return vae.sample(n, random_state=seed + 1)
    vae = VAE(**params, conditional=True, random_state=seed).fit(X, y)
    return vae.sample(n, y=1, random_state=seed + 1)


def auprc_with(X_train, y_train, extra: pd.DataFrame | None, X_test, y_test, seed: int) -> float:
    """AUPRC on real held-out rows of gradient boosting trained on real rows plus ``extra`` frauds."""
    if extra is not None:
        X_train = pd.concat([X_train, extra], ignore_index=True)
        y_train = np.r_[y_train.to_numpy(), np.ones(len(extra), dtype=int)]
    model = HistGradientBoostingClassifier(random_state=seed).fit(X_train, y_train)
    return average_precision_score(y_test, model.predict_proba(X_test)[:, 1])


def main() -> None:
    """Fit every variant on each seed's training split and print the table."""
    args = creditcard_arguments(__doc__.splitlines()[0])
    data = load_creditcard(args.data, require_labels=True)
    X, y = data.X, pd.Series(data.y)
    started, rows = time.strftime("%Y-%m-%d %H:%M"), []
    for seed in range(args.seeds):
        X_train, X_test, y_train, y_test = stratified_split(X, y, random_state=seed)
        X_train, y_train = X_train.reset_index(drop=True), y_train.reset_index(drop=True)
        frauds = X_train[y_train.to_numpy() == 1]
        n_new = round(RATIO * int((y_train == 0).sum())) - len(frauds)
        rows.append(
            {
                "variant": "no augmentation (reference)",
                "seed": seed,
                "AUPRC": auprc_with(X_train, y_train, None, X_test, y_test, seed),
            }
        )
        X_smote, y_smote = augment(X_train, y_train, method="smote", ratio=RATIO, random_state=seed)
        smote_rows = X_smote.iloc[len(X_train) :]
        rows.append(
            _judge("SMOTE (reference)", seed, frauds, smote_rows, 0.0)
            | {"AUPRC": auprc_with(X_train, y_train, smote_rows, X_test, y_test, seed)}
        )
        for name, kind, params in VARIANTS:
            t0 = time.perf_counter()
            fake = synthetic_frauds(kind, params, X_train, y_train, n_new, seed)
            seconds = time.perf_counter() - t0
            row = _judge(name, seed, frauds, fake, seconds)
            row["AUPRC"] = auprc_with(X_train, y_train, fake, X_test, y_test, seed)
            rows.append(row)
            print(f"seed {seed}: {name}: {row}", flush=True)
    table = pd.DataFrame(rows).groupby("variant", sort=False).agg(["mean", "std"])
    print()
    print("VAE variants for synthetic frauds on the real sample")
    print(f"command: OMP_WAIT_POLICY=PASSIVE python bench/vae_choices.py --seeds {args.seeds}")
    print(f"{machine_line()}; started {started}; load {os.getloadavg()[0]:.1f}")
    print(
        f"data: {args.data.name}, {len(X):,} rows, {int(y.sum())} frauds; stratified 70/30 per seed; "
        f"synthetic frauds up to {RATIO:g} frauds per normal row"
    )
    print()
    columns = [
        "KS complement",
        "correlation similarity",
        "detection AUC",
        "detection AUC (GB)",
        "AUPRC",
        "fit s",
    ]
    print("| variant | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for variant, values in table.iterrows():
        cells = []
        for column in columns:
            if (column, "mean") not in values or pd.isna(values[(column, "mean")]):
                cells.append("-")
            else:
                cells.append(f"{values[(column, 'mean')]:.3f} ± {values[(column, 'std')]:.3f}")
        print(f"| {variant} | " + " | ".join(cells) + " |")


def _judge(name: str, seed: int, real: pd.DataFrame, fake: pd.DataFrame, seconds: float) -> dict:
    return {
        "variant": name,
        "seed": seed,
        "KS complement": KSComplement().compute(real, fake),
        "correlation similarity": CorrelationSimilarity().compute(real, fake),
        "detection AUC": DetectionAUC(random_state=seed).compute(real, fake),
        "detection AUC (GB)": DetectionAUC(classifier="gradient_boosting", random_state=seed).compute(
            real, fake
        ),
        "fit s": seconds,
    }


if __name__ == "__main__":
    main()
