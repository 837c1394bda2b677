"""SGANClassifier on a file the size of the full card data: what ``steps_per_epoch`` saves.

The full ULB / Kaggle card file has 284,807 rows (0.17% frauds); a 70/30 split leaves about
199,000 training rows, so one epoch of ``SGANClassifier`` (a pass at batch 64) is about 3,100
steps of each of its five members, against about 120 on the card sample, where the defaults of
``epochs`` and ``patience`` were chosen. This script measures, on one split:

1. one uncapped epoch (``epochs=1``): the time of a pass;
2. a full fit with ``steps_per_epoch`` (default 120): its time, epochs run and returned epoch;
3. gradient boosting on the labels only, for a sense of the scores.

Labels are drawn from the training split as ``semi_fraud.draw_labels`` does (at least 5 frauds).
Without ``--data`` the rows are genfin's SYNTHETIC transactions (``make_transactions``) with the
full file's size and fraud rate: good for the time, not evidence about fraud. With ``--data`` a
user's own copy of the full ``creditcard.csv`` is used instead.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE python bench/semi_large.py [--rows 284807]
        [--fraud-rate 0.00173] [--labels 300] [--steps-per-epoch 120] [--seed 0] [--data PATH]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import torch
from sklearn.metrics import average_precision_score, f1_score

from _common import load_average, machine_line
from genfin.data import load_creditcard, make_transactions, stratified_split
from genfin.models import SGANClassifier
from semi_fraud import draw_labels, hgb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=284_807, help="synthetic rows (the full file's count)")
    parser.add_argument("--fraud-rate", type=float, default=492 / 284_807, help="the full file's share")
    parser.add_argument("--labels", type=int, default=300)
    parser.add_argument("--steps-per-epoch", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, help="a real creditcard.csv(.gz) instead of synthetic rows")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    print(f"{machine_line()}; torch {torch.__version__} (1 thread); load {load_average()}", flush=True)
    if args.data is not None:
        X, y = load_creditcard(args.data)
        source = str(args.data)
    else:
        data = make_transactions(args.rows, fraud_rate=args.fraud_rate, random_state=args.seed)
        X, y = data.X, data.y
        source = f"synthetic make_transactions({args.rows:,}, fraud_rate={args.fraud_rate:.5f})"
    X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.3, random_state=args.seed)
    y_semi = draw_labels(y_train.to_numpy(), args.labels, args.seed)
    labelled = y_semi >= 0
    print(
        f"{source}: {len(X_train):,} training rows ({int(labelled.sum())} labelled, "
        f"{int(y_semi[labelled].sum())} frauds), {len(X_test):,} test rows ({int(y_test.sum())} frauds)",
        flush=True,
    )
    rows = []

    def score(name: str, model, seconds: float, note: str) -> None:
        proba = model.predict_proba(X_test)[:, 1]
        auprc = average_precision_score(y_test, proba)
        f1 = f1_score(y_test, model.predict(X_test), zero_division=0)
        rows.append(f"| {name} | {seconds:.0f} | {note} | {auprc:.3f} | {f1:.3f} |")
        print(rows[-1], flush=True)

    start = time.perf_counter()
    one_pass = SGANClassifier(epochs=1, random_state=args.seed).fit(X_train, y_semi)
    pass_steps = len(X_train) // one_pass.batch_size
    score("SGAN, 1 epoch = 1 pass", one_pass, time.perf_counter() - start, f"1 epoch of {pass_steps:,} steps")

    start = time.perf_counter()
    capped = SGANClassifier(steps_per_epoch=args.steps_per_epoch, random_state=args.seed)
    capped.fit(X_train, y_semi)
    seconds = time.perf_counter() - start
    note = (
        f"{len(capped.history_)} epochs of {args.steps_per_epoch} steps run, epoch "
        f"{capped.best_epoch_} returned"
    )
    score(f"SGAN, steps_per_epoch={args.steps_per_epoch} (defaults otherwise)", capped, seconds, note)

    start = time.perf_counter()
    boosting = hgb(args.seed).fit(X_train[labelled], y_semi[labelled])
    score("gradient boosting, labels only", boosting, time.perf_counter() - start, "")

    print(f"\nload {load_average()}\n")
    print("| method | fit s (5 members, 1 thread) | training | test AUPRC | test F1 |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
