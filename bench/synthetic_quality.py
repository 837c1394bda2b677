"""Quality of synthetic frauds: genfin's VAE, SDV's TVAE and CTGAN, and SMOTE, on the same real frauds.

For each seed: a stratified 70/30 split of the real sample; every generator is fitted on the same
training frauds and draws the same number of synthetic frauds (``N_SYNTHETIC``). Judged against the
training frauds:

- genfin's metrics: KS complement and correlation similarity (fidelity), detection AUC of a logistic
  regression and of gradient boosting (0.5 best), and distance to closest record (DCR) with the
  held-out real frauds as the baseline: the ratio of median DCRs (1 or more: synthetic frauds no
  closer to the training frauds than unseen real ones) and the share of near copies (synthetic rows
  closer than the 1% quantile of the held-out frauds' DCRs; about 1% expected);
- SDMetrics' QualityReport: its overall score and its two properties, Column Shapes and Column Pair
  Trends;
- the seconds to fit each generator, in the same run.

SMOTE is a reference, not a generative model: it interpolates between a training fraud and one of
its five nearest fraud neighbours. "held-out real frauds" is the other reference: real frauds no
generator saw, judged by the same metrics (its DCR columns compare it with itself, so are left out).

The card data repeat some rows, and 3-7% of the held-out frauds are exact copies of a training fraud;
they are left out of the DCR baseline (see ``judge``), and their share is printed.

    OMP_WAIT_POLICY=PASSIVE .venv-bench/bin/python bench/synthetic_quality.py [--data PATH] [--seeds 5]
"""

from __future__ import annotations

import os
import time
import warnings

import pandas as pd
import torch

from _common import creditcard_arguments, machine_line
from augmentation import SDV_EPOCHS, SDV_MODELS, SDVGenerator, package_versions, sdv_available, vae_defaults
from genfin.data import load_creditcard, stratified_split
from genfin.evaluate.synthetic import (
    CorrelationSimilarity,
    DetectionAUC,
    DistanceToClosestRecord,
    KSComplement,
)
from genfin.models import VAE
from genfin.pipelines.augment import augment, conform_samples

N_SYNTHETIC = 1_000
# Epochs each genfin VAE fit ran (its default epochs=None depends on the number of rows).
EPOCHS_RUN: list[int] = []
HOLDOUT = "held-out real frauds (reference)"
SMOTE = "SMOTE (reference)"
VAE_NAME = "genfin VAE"
COLUMNS = [
    "KS complement",
    "correlation similarity",
    "detection AUC, logistic",
    "detection AUC, boosting",
    "DCR ratio",
    "near-copy share",
    "SDMetrics quality",
    "Column Shapes",
    "Column Pair Trends",
    "fit s",
]


def smote_frauds(X: pd.DataFrame, y: pd.Series, n: int, seed: int) -> pd.DataFrame:
    """``n`` SMOTE rows: genfin.augment with the ratio that adds exactly ``n`` frauds."""
    n_normal = int((y == 0).sum())
    ratio = (int(y.sum()) + n) / n_normal
    X_aug, _, synthetic = augment(X, y, method="smote", ratio=ratio, random_state=seed, return_mask=True)
    rows = X_aug[synthetic].reset_index(drop=True)
    if len(rows) != n:
        raise RuntimeError(f"SMOTE gave {len(rows)} rows, not {n}")
    return rows


def generate(name: str, X_train: pd.DataFrame, y_train: pd.Series, seed: int) -> tuple[pd.DataFrame, float]:
    """Fit the generator ``name`` on the training frauds; return its synthetic frauds and fit seconds."""
    frauds = X_train[y_train.to_numpy() == 1].reset_index(drop=True)
    started = time.perf_counter()
    if name == SMOTE:
        rows = smote_frauds(X_train, y_train, N_SYNTHETIC, seed)
        return rows, time.perf_counter() - started
    if name == VAE_NAME:
        vae = VAE(random_state=seed).fit(frauds)
        seconds = time.perf_counter() - started
        EPOCHS_RUN.append(len(vae.history_))
        # The schema fix-up that genfin.augment applies (Amount clipped at 0), so that the rows are
        # the ones augment would add.
        rows, _ = conform_samples(vae.sample(N_SYNTHETIC, random_state=seed + 1), frauds)
        return rows, seconds
    generator = SDVGenerator(name, seed, SDV_EPOCHS).fit(frauds)
    return generator.sample(N_SYNTHETIC)[frauds.columns], generator.fit_seconds_


def sdmetrics_quality(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, float]:
    """SDMetrics' QualityReport of ``synthetic`` against ``real``: overall score and its properties."""
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({"frauds": real}).to_dict()["tables"]["frauds"]
    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)
    properties = report.get_properties().set_index("Property")["Score"]
    return {
        "SDMetrics quality": float(report.get_score()),
        "Column Shapes": float(properties["Column Shapes"]),
        "Column Pair Trends": float(properties["Column Pair Trends"]),
    }


def judge(
    real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, seed: int, with_sdv: bool
) -> dict[str, float]:
    """Every metric of ``synthetic`` against the training frauds ``real`` (DCR only with a holdout)."""
    row = {
        "KS complement": KSComplement().compute(real, synthetic),
        "correlation similarity": CorrelationSimilarity().compute(real, synthetic),
        "detection AUC, logistic": DetectionAUC(random_state=seed).compute(real, synthetic),
        "detection AUC, boosting": DetectionAUC(classifier="gradient_boosting", random_state=seed).compute(
            real, synthetic
        ),
    }
    if holdout is not None:
        dcr = DistanceToClosestRecord(random_state=seed).compute_breakdown(real, synthetic, holdout)
        row["exact-copy share, held-out frauds"] = dcr["exact_copy_share_holdout"]
        # The card data repeat some rows: 3-7% of the held-out frauds are exact copies of training
        # frauds, so the 1% quantile of their DCRs is 0 and no synthetic row can fall below it. A
        # repeated row is not unseen, so the baseline is the held-out frauds that are not copies.
        copies = DistanceToClosestRecord().find_copies(real, holdout)
        unseen = holdout.drop(index=holdout.index[copies])
        dcr = DistanceToClosestRecord(random_state=seed).compute_breakdown(real, synthetic, unseen)
        row |= {
            "DCR ratio": dcr["dcr_ratio"],
            "near-copy share": dcr["near_copy_share"],
            "exact-copy share": dcr["exact_copy_share"],
            "median DCR": dcr["median_dcr_synthetic"],
            "median DCR, held-out frauds": dcr["median_dcr_holdout"],
        }
    if with_sdv:
        row |= sdmetrics_quality(real, synthetic)
    return row


def cell(values: pd.Series, column: str) -> str:
    """Mean ± std over seeds, or '-' when the metric does not apply."""
    values = values.dropna()
    if values.empty:
        return "-"
    digits = 1 if column.endswith(" s") else 3
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def main() -> None:
    """Fit every generator on each seed's training frauds and print the table."""
    args = creditcard_arguments(__doc__.splitlines()[0])
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(1)
    data = load_creditcard(args.data, require_labels=True)
    X, y = data.X, pd.Series(data.y)
    with_sdv = sdv_available()
    generators = [SMOTE, VAE_NAME] + (list(SDV_MODELS) if with_sdv else [])
    started, clock = time.strftime("%Y-%m-%d %H:%M"), time.perf_counter()
    loads, rows = [os.getloadavg()[0]], []
    for seed in range(args.seeds):
        X_train, X_test, y_train, y_test = stratified_split(X, y, random_state=seed)
        X_train, y_train = X_train.reset_index(drop=True), y_train.reset_index(drop=True)
        frauds = X_train[y_train.to_numpy() == 1].reset_index(drop=True)
        holdout = X_test[y_test.to_numpy() == 1].reset_index(drop=True)
        rows.append({"generator": HOLDOUT, "seed": seed} | judge(frauds, holdout, None, seed, with_sdv))
        for name in generators:
            synthetic, seconds = generate(name, X_train, y_train, seed)
            row = {"generator": name, "seed": seed, "fit s": seconds}
            rows.append(row | judge(frauds, synthetic, holdout, seed, with_sdv))
            print(f"seed {seed}: {name}: {rows[-1]}", flush=True)
        loads.append(os.getloadavg()[0])
    results = pd.DataFrame(rows)
    os.makedirs("bench/results", exist_ok=True)
    results.to_csv("bench/results/synthetic_quality_per_seed.csv", index=False)
    n_frauds = int(y.sum())

    print()
    print("Quality of synthetic frauds, each generator fitted on the same real training frauds")
    command = "OMP_WAIT_POLICY=PASSIVE .venv-bench/bin/python bench/synthetic_quality.py"
    print(f"command: {command} --seeds {args.seeds}")
    print(f"{machine_line()}; started {started}; load average (1 min) {min(loads):.1f} to {max(loads):.1f}")
    print(f"versions: {package_versions()}")
    print(f"{vae_defaults()}; epochs run: {sorted(set(EPOCHS_RUN))}")
    print(
        f"data: {args.data.name}, {len(X):,} rows, {n_frauds} frauds; {args.seeds} seeds, stratified 70/30 "
        f"split per seed (about {round(0.7 * n_frauds)} training and {n_frauds - round(0.7 * n_frauds)} "
        f"held-out frauds); {N_SYNTHETIC:,} synthetic frauds per generator; metrics against the training "
        f"frauds; torch at 1 thread; {time.perf_counter() - clock:.0f} s in all"
    )
    if SDV_EPOCHS is not None:
        print(f"SDV's TVAE and CTGAN trained {SDV_EPOCHS} epochs ($GENFIN_SDV_EPOCHS), not their default 300")
    print()
    print("| generator | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for name in [*generators, HOLDOUT]:
        group = results[results["generator"] == name]
        cells = [cell(group[c], c) if c in group else "-" for c in COLUMNS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print(
        "DCR breakdown (distances in training standard deviations). Baseline: the held-out real frauds "
        "that are not exact copies of a training fraud (the exact-copy share of all held-out frauds is "
        "shown); near copies: closer than the 1% quantile of that baseline's DCRs"
    )
    print()
    extra = [
        "median DCR",
        "median DCR, held-out frauds",
        "exact-copy share",
        "exact-copy share, held-out frauds",
        "near-copy share",
    ]
    print("| generator | " + " | ".join(extra) + " |")
    print("|---|" + "---|" * len(extra))
    for name in generators:
        group = results[results["generator"] == name]
        print(f"| {name} | " + " | ".join(cell(group[c], c) for c in extra) + " |")


if __name__ == "__main__":
    main()
