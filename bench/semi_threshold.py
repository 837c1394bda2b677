"""Would the SGAN's ``predict`` gain from a decision threshold chosen on its out-of-fold predictions?

A study on the design splits (seeds 10 and up, never ``bench/semi_fraud.py``'s), not a default:
``SGANClassifier`` predicts fraud when its fraud probability is at least 0.5. With five
cross-fitted members every labelled row has an out-of-fold probability at the returned epoch
(from the member that did not train on it); a threshold can be chosen on those and applied to the
test rows. Per split and budget this prints the test F1 of three decisions on the same fitted
model:

- ``0.5``: the most probable class, ``predict`` as it is;
- ``oof-argmax``: the threshold that maximises the F1 of the out-of-fold predictions (the midpoint
  of the best gap between sorted out-of-fold probabilities; ties to the one nearest 0.5), as
  scikit-learn's ``TunedThresholdClassifierCV`` would choose;
- ``half-f1``: half the best out-of-fold F1, the F1-optimal threshold of a calibrated classifier
  (Lipton, Elkan and Naryanaswamy, 2014: the optimal threshold is F1* / 2), which uses the
  out-of-fold rows only to estimate F1*.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE python bench/semi_threshold.py [--seeds 10 11 12 13]
        [--budgets 100 300 984] [--data PATH]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from _common import CREDITCARD_SAMPLE, load_average
from genfin.models import SGANClassifier
from semi_design import design_splits, load_design_data


def best_threshold(proba: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The F1-maximising threshold (a midpoint between sorted probabilities) and that F1."""
    scores = np.unique(proba)
    candidates = np.r_[(scores[:-1] + scores[1:]) / 2, 0.5]
    f1 = np.array([f1_score(y, proba >= t, zero_division=0) for t in candidates])
    best = np.flatnonzero(f1 == f1.max())
    chosen = candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]]
    return float(chosen), float(f1.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("GENFIN_CREDITCARD", CREDITCARD_SAMPLE))
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[10, 11, 12, 13])
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 300, 984])
    args = parser.parse_args()
    X, y = load_design_data(parser, args)
    rows = []
    for seed, budget, X_train, X_test, y_semi, y_test in design_splits(X, y, args.seeds, args.budgets):
        model = SGANClassifier(random_state=seed).fit(X_train, y_semi)
        # Each labelled row's fraud probability from the member that held it out.
        oof, truth = model.validation_proba_[:, 1], y_semi[model.validation_rows_]
        argmax, oof_f1 = best_threshold(oof, truth)
        test = model.predict_proba(X_test)[:, 1]
        row = {"seed": seed, "budget": budget, "oof-argmax t": argmax, "half-f1 t": oof_f1 / 2}
        for name, threshold in (("0.5", 0.5), ("oof-argmax", argmax), ("half-f1", oof_f1 / 2)):
            row[name] = f1_score(y_test, test >= threshold, zero_division=0)
        rows.append(row)
        print(
            f"seed {seed}, {budget} labels: test F1 at 0.5 {row['0.5']:.3f}, "
            f"oof-argmax (t={argmax:.3f}) {row['oof-argmax']:.3f}, "
            f"half-f1 (t={oof_f1 / 2:.3f}) {row['half-f1']:.3f}",
            flush=True,
        )
    table = pd.DataFrame(rows).groupby("budget")[["0.5", "oof-argmax", "half-f1"]].mean().round(3)
    print(f"\nmean test F1 over seeds {args.seeds}; load {load_average()}\n")
    print(table.to_markdown())


if __name__ == "__main__":
    main()
