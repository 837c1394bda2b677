"""Design splits for SGANClassifier's defaults, kept apart from semi_fraud.py's seeds.

Choices of defaults (``average_discriminator``, ``n_members``, the collapse guard's settings) are
made on these splits, seeds 10 and up, never on ``bench/semi_fraud.py``'s seeds 0-4. Per seed one
stratified 70/30 split of the card sample, labels drawn from the training split as
``semi_fraud.draw_labels`` does, the rest unlabelled; each variant is
``SGANClassifier(random_state=seed, **variant)`` with every other setting at its default, a
variant being ``name=value`` pairs joined by commas (values read as Python literals; ``default``
sets nothing); gradient boosting on the labelled rows beside them. Printed: test AUPRC and the F1
of ``predict``, per run and as means per budget and variant.

``--held-out-cost`` adds two more gradient boosting rows that measure, with a model that fits in
a tenth of a second, what holding labels out for validation costs: boosting on 80% of the
labels (a fifth of each class held out at random, as one SGAN holds them out) and the average of
five boosting models cross-fitted like ``SGANClassifier(n_members=5)``'s members (each on all
labels but one stratified fifth). ``--variants`` may then be empty.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE python bench/semi_design.py [--seeds 10 11 12]
        [--budgets 100 984] [--variants average_discriminator=0 average_discriminator=0.99 ...]
        [--held-out-cost] [--data PATH]
"""

from __future__ import annotations

import argparse
import ast
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score, f1_score

from _common import CREDITCARD_SAMPLE, load_average, machine_line
from genfin.data import load_creditcard, stratified_split
from genfin.models import SGANClassifier
from genfin.models._semi import held_out_share
from semi_fraud import cross_fitted_boosting, draw_labels, hgb


def parse_variant(text: str) -> dict[str, object]:
    """``"patience=20,collapse_guard='stop'"`` -> ``{"patience": 20, "collapse_guard": "stop"}``."""
    if text == "default":
        return {}
    params = {}
    for pair in text.split(","):
        name, _, value = pair.partition("=")
        try:
            params[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            params[name.strip()] = value.strip()  # a bare word: a string
    return params


def held_out_boosting(X_train: pd.DataFrame, y_semi: np.ndarray, seed: int) -> dict[str, object]:
    """Boosting on 80% of the labels (one SGAN's share), and five cross-fitted boosting models averaged."""
    held_out = held_out_share(y_semi, 0.2, np.random.default_rng(seed))  # as one SGAN holds out
    kept = np.setdiff1d(np.flatnonzero(y_semi >= 0), held_out)
    return {
        "HistGradientBoosting, 80% of labels": hgb(seed).fit(X_train.iloc[kept], y_semi[kept]),
        "HistGradientBoosting, 5 cross-fitted, averaged": cross_fitted_boosting(X_train, y_semi, seed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("GENFIN_CREDITCARD", CREDITCARD_SAMPLE))
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[10, 11, 12])
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 984])
    parser.add_argument(
        "--variants",
        nargs="*",
        default=[f"average_discriminator={d}" for d in (0, 0.99, 0.999)],
        help="each: name=value[,name=value...] of SGANClassifier parameters, or 'default'",
    )
    parser.add_argument("--held-out-cost", action="store_true", help="add the boosting rows above")
    args = parser.parse_args()
    if min(args.seeds) < 5:
        parser.error("seeds 0-4 are bench/semi_fraud.py's: design on other splits")
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    print(f"{machine_line()}; torch {torch.__version__} (1 thread); load {load_average()}", flush=True)
    X, y = load_creditcard(args.data)
    rows = []
    for seed in args.seeds:
        X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.3, random_state=seed)
        y_train, y_test = y_train.to_numpy(), y_test.to_numpy()
        for budget in args.budgets:
            y_semi = draw_labels(y_train, budget, seed)
            labelled = y_semi >= 0
            models = {"HistGradientBoosting, labels only": hgb(seed).fit(X_train[labelled], y_semi[labelled])}
            if args.held_out_cost:
                models |= held_out_boosting(X_train, y_semi, seed)
            for variant in args.variants:
                model = SGANClassifier(random_state=seed, **parse_variant(variant))
                models[f"SGAN, {variant}"] = model.fit(X_train, y_semi)
            for name, model in models.items():
                proba = model.predict_proba(X_test)[:, 1]
                rows.append(
                    {
                        "seed": seed,
                        "budget": budget,
                        "method": name,
                        "auprc": average_precision_score(y_test, proba),
                        "f1": f1_score(y_test, model.predict(X_test), zero_division=0),
                    }
                )
                print(
                    f"seed {seed}, {budget} labels, {name}: "
                    f"AUPRC {rows[-1]['auprc']:.3f} F1 {rows[-1]['f1']:.3f}",
                    flush=True,
                )
    table = pd.DataFrame(rows).groupby(["budget", "method"])[["auprc", "f1"]].mean().round(3)
    print(f"\nmeans over seeds {args.seeds}; load {load_average()}\n")
    print(table.to_markdown())


if __name__ == "__main__":
    main()
