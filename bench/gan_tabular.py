"""Tabular GAN on the real frauds of the card sample, side by side with genfin's VAE.

Claim checked (GAN issue): genfin's ``GAN(kind="tabular")`` makes synthetic fraud rows that can be
judged by the same synthetic-data metrics as the VAE benchmark (``bench/synthetic_quality.py``).

For each seed: ``genfin.data.stratified_split(X, y, random_state=seed)`` (70/30) of the real
sample; every generator is fitted on the TRAINING frauds only and draws as many rows as there are
training frauds. Judged against the training frauds with ``genfin.evaluate.synthetic``:

- KS complement and correlation similarity (fidelity; 1 best);
- detection AUC of a logistic regression and of gradient boosting (0.5 best);
- distance to closest record (DCR) against the held-out real frauds that are not exact copies of
  a training fraud (as in ``bench/synthetic_quality.py``): the ratio of median DCRs (1 or more:
  synthetic frauds no closer to the training frauds than unseen real ones) and the share of near
  copies (below the 1% quantile of the held-out DCRs; about 1% expected);
- fit seconds, in the same run (load average printed).

Generators: genfin's VAE with its defaults; genfin's GAN with its defaults (``epochs=20``: with
about 250 training frauds and batch 128 that is ONE batch per epoch, 20 optimiser steps in all);
and the GAN trained ``--long-epochs`` epochs (default 1,000, so 1,000 steps), because 20 steps
is far too few for any GAN and the comparison would otherwise say nothing about the model.
Samples are put in the data's schema by ``genfin.pipelines.augment.conform_samples`` (Amount
clipped at 0), as ``genfin.augment`` does.

Augmentation (``--no-augmentation`` skips it): a HistGradientBoostingClassifier trained on the
real training rows plus synthetic frauds up to 0.25 frauds per normal row, tested by AUPRC on the
held-out real rows; the generators are the ones fitted above (sampling more rows).

    OMP_WAIT_POLICY=PASSIVE python bench/gan_tabular.py [--data PATH] [--seeds 3] [--long-epochs 1000]
                                                        [--no-augmentation]

Outputs: the tables on stdout; per-seed rows in ``bench/results/gan_tabular_per_seed.csv``.
Torch runs at 1 thread (genfin's choice for MLPs).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score

from _common import CREDITCARD_SAMPLE, machine_line
from genfin.data import load_creditcard, stratified_split
from genfin.evaluate.synthetic import (
    CorrelationSimilarity,
    DetectionAUC,
    DistanceToClosestRecord,
    KSComplement,
)
from genfin.models import GAN, VAE
from genfin.pipelines.augment import conform_samples

RATIO = 0.25
HOLDOUT = "held-out real frauds (reference)"
COLUMNS = [
    "KS complement",
    "correlation similarity",
    "detection AUC, logistic",
    "detection AUC, boosting",
    "DCR ratio",
    "near-copy share",
    "fit s",
]


def generators(long_epochs: int) -> dict[str, dict]:
    """Name -> (estimator class, parameters) of every generator compared."""
    return {
        "genfin VAE (defaults)": {"cls": VAE, "params": {}},
        "genfin GAN (defaults: 20 epochs)": {"cls": GAN, "params": {"kind": "tabular"}},
        f"genfin GAN ({long_epochs:,} epochs)": {
            "cls": GAN,
            "params": {"kind": "tabular", "epochs": long_epochs},
        },
    }


def fit_generator(spec: dict, frauds: pd.DataFrame, seed: int):
    """Fit one generator on the training frauds; return it and the fit seconds."""
    model = spec["cls"](random_state=seed, **spec["params"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the GAN's collapse warnings are read from collapse_events_
        started = time.perf_counter()
        model.fit(frauds)
        return model, time.perf_counter() - started


def draw(model, n: int, frauds: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``n`` synthetic frauds in the schema of the real ones."""
    rows = model.sample(n, random_state=seed)
    rows = pd.DataFrame(rows, columns=frauds.columns) if not isinstance(rows, pd.DataFrame) else rows
    rows, _ = conform_samples(rows[frauds.columns], frauds)
    return rows


def judge(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, seed: int) -> dict:
    """The synthetic-data metrics of ``bench/synthetic_quality.py`` (without SDMetrics)."""
    row = {
        "KS complement": KSComplement().compute(real, synthetic),
        "correlation similarity": CorrelationSimilarity().compute(real, synthetic),
        "detection AUC, logistic": DetectionAUC(random_state=seed).compute(real, synthetic),
        "detection AUC, boosting": DetectionAUC(classifier="gradient_boosting", random_state=seed).compute(
            real, synthetic
        ),
    }
    if holdout is not None:
        # As bench/synthetic_quality.py: held-out frauds that repeat a training fraud are not unseen.
        copies = DistanceToClosestRecord().find_copies(real, holdout)
        unseen = holdout.drop(index=holdout.index[copies])
        dcr = DistanceToClosestRecord(random_state=seed).compute_breakdown(real, synthetic, unseen)
        row |= {
            "DCR ratio": dcr["dcr_ratio"],
            "near-copy share": dcr["near_copy_share"],
            "exact-copy share": dcr["exact_copy_share"],
        }
    return row


def augmentation_auprc(
    X_train: pd.DataFrame,
    y_train: pd.Series,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    extra: pd.DataFrame | None,
    seed: int,
) -> float:
    """AUPRC on the held-out real rows of boosting trained on real rows plus ``extra`` frauds."""
    X_fit, y_fit = X_train, y_train.to_numpy()
    if extra is not None:
        X_fit = pd.concat([X_train, extra[X_train.columns]], ignore_index=True)
        y_fit = np.r_[y_fit, np.ones(len(extra), dtype=int)]
    model = HistGradientBoostingClassifier(random_state=seed).fit(X_fit, y_fit)
    return float(average_precision_score(y_test, model.predict_proba(X_test)[:, 1]))


def cell(values: pd.Series, digits: int = 3) -> str:
    """Mean ± std over seeds, or '-'."""
    values = values.dropna()
    if values.empty:
        return "-"
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    """Fit every generator on each seed's training frauds and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("GENFIN_CREDITCARD", CREDITCARD_SAMPLE))
    parser.add_argument("--data", type=Path, default=default, help="creditcard.csv(.gz) or the sample")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--long-epochs", type=int, default=1_000, help="epochs of the longer GAN run")
    parser.add_argument("--no-augmentation", action="store_true", help="skip the augmentation AUPRC")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        raise SystemExit(f"no data at {args.data}: pass --data PATH to creditcard.csv(.gz) or the sample")
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    data = load_creditcard(args.data, require_labels=True)
    X, y = data.X, pd.Series(data.y)
    specs = generators(args.long_epochs)
    started, clock = time.strftime("%Y-%m-%d %H:%M"), time.perf_counter()
    loads = [os.getloadavg()[0]]
    rows, auprc_rows = [], []
    for seed in range(args.seeds):
        X_train, X_test, y_train, y_test = stratified_split(X, y, random_state=seed)
        X_train, y_train = X_train.reset_index(drop=True), y_train.reset_index(drop=True)
        frauds = X_train[y_train.to_numpy() == 1].reset_index(drop=True)
        holdout = X_test[y_test.to_numpy() == 1].reset_index(drop=True)
        n = len(frauds)
        rows.append({"generator": HOLDOUT, "seed": seed} | judge(frauds, holdout, None, seed))
        n_extra = round(RATIO * int((y_train == 0).sum())) - int(y_train.sum())
        if not args.no_augmentation:
            auprc = augmentation_auprc(X_train, y_train, X_test, y_test, None, seed)
            auprc_rows.append({"method": "none (real rows only)", "seed": seed, "AUPRC": auprc})
        for name, spec in specs.items():
            model, seconds = fit_generator(spec, frauds, seed)
            synthetic = draw(model, n, frauds, seed + 1)
            row = {"generator": name, "seed": seed, "fit s": seconds, "n": n}
            if isinstance(model, GAN):
                row["collapse events"] = len(model.collapse_events_)
                row["steps"] = sum(1 for _ in model.history_) * max(1, n // model.batch_size)
            rows.append(row | judge(frauds, synthetic, holdout, seed))
            print(f"seed {seed}: {name}: {rows[-1]}", flush=True)
            if not args.no_augmentation:
                extra = draw(model, n_extra, frauds, seed + 2)
                auprc = augmentation_auprc(X_train, y_train, X_test, y_test, extra, seed)
                auprc_rows.append({"method": name, "seed": seed, "AUPRC": auprc})
                print(f"seed {seed}: {name}: augmentation AUPRC {auprc:.3f}", flush=True)
        loads.append(os.getloadavg()[0])
    results = pd.DataFrame(rows)
    os.makedirs("bench/results", exist_ok=True)
    results.to_csv("bench/results/gan_tabular_per_seed.csv", index=False)

    command = "OMP_WAIT_POLICY=PASSIVE python " + " ".join(
        shlex.quote(a) for a in ["bench/gan_tabular.py", *(argv if argv is not None else sys.argv[1:])]
    )
    n_frauds = int(y.sum())
    print()
    print("### Tabular GAN against the VAE: synthetic frauds fitted on the real training frauds")
    print()
    print(f"- command: `{command}`")
    print(
        f"- {machine_line()}; started {started}; load average (1 min) {min(loads):.1f} to {max(loads):.1f}; "
        f"torch {torch.__version__} at 1 thread; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}"
    )
    print(
        f"- data: {args.data.name}, {len(X):,} rows, {n_frauds} frauds; {args.seeds} seeds, stratified 70/30 "
        f"split per seed ({int(results['n'].dropna().iloc[0])} training frauds); each generator samples as "
        f"many rows as training frauds; metrics against the training frauds; "
        f"{time.perf_counter() - clock:.0f} s in all"
    )
    print()
    print("| generator | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---:|" * len(COLUMNS))
    for name in [*specs, HOLDOUT]:
        group = results[results["generator"] == name]
        cells = [cell(group[c], 1 if c.endswith(" s") else 3) if c in group else "-" for c in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    gans = results[results["generator"].str.startswith("genfin GAN")]
    if not gans.empty:
        print()
        print(
            "GAN collapse warnings (runs with any / runs): "
            + "; ".join(
                f"{name}: {int((g['collapse events'] > 0).sum())} / {len(g)}"
                for name, g in gans.groupby("generator", sort=False)
            )
        )
    if auprc_rows:
        auprc = pd.DataFrame(auprc_rows)
        auprc.to_csv("bench/results/gan_tabular_augmentation_per_seed.csv", index=False)
        print()
        print(
            f"Augmentation: HistGradientBoostingClassifier on the real training rows plus synthetic frauds "
            f"up to {RATIO} frauds per normal row; AUPRC on the held-out real rows (mean ± std over seeds)"
        )
        print()
        print("| training rows | AUPRC |")
        print("|---|---:|")
        for name, group in auprc.groupby("method", sort=False):
            print(f"| {name} | {cell(group['AUPRC'])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
