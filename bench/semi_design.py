"""Design splits for SGANClassifier's defaults, kept apart from semi_fraud.py's seeds.

Choices of defaults (``average_discriminator``, ``n_members``, the collapse guard's settings) are
made on these splits, seeds 10 and up, never on ``bench/semi_fraud.py``'s seeds 0-4. Per seed one
stratified 70/30 split of the card sample, labels drawn from the training split as
``semi_fraud.draw_labels`` does, the rest unlabelled; each variant is
``SGANClassifier(random_state=seed, **variant)`` with every other setting at its default, a
variant being ``name=value`` pairs joined by commas (values read as Python literals; ``default``
sets nothing; ``tie_breaker=val_auprc`` or ``tie_breaker=None``, the first of tied epochs, sets
the collapse guard's tie-breaker, which is not a parameter); gradient boosting on the labelled
rows beside them. Printed: test AUPRC and the F1 of ``predict``, per run and as means per
budget and variant.

``--held-out-cost`` adds two more gradient boosting rows that measure, with a model that fits in
a tenth of a second, what holding labels out for validation costs: boosting on 80% of the
labels (a fifth of each class held out at random, as one SGAN holds them out) and the average of
five boosting models cross-fitted like ``SGANClassifier(n_members=5)``'s members (each on all
labels but one stratified fifth). ``--variants`` may then be empty.

``--refit`` retrains each SGAN's members on every label (``validation_fraction=0``) for the
epochs its cross-fitted members chose, and scores the refit alone and averaged with them.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE python bench/semi_design.py [--seeds 10 11 12]
        [--budgets 100 984] [--variants average_discriminator=0 average_discriminator=0.99 ...]
        [--held-out-cost] [--refit] [--data PATH]

Runs split over processes (seeds 10-13 in one, 14-17 in another) are pooled from their printouts:
``--report-from A.txt B.txt [--reference "SGAN, n_members=5"]`` reads the per-split lines, fits
nothing, and prints the means over all splits (from the printed 3-decimal figures) and, per
budget, on how many splits each method is at least as good as the reference, with the paired
difference's 95% t-interval. ``semi_fraud.py``'s per-run CSV files may be given too, to pool the
benchmark's splits with the design splits.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
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
from genfin.training import Callback
from semi_fraud import cross_fitted_boosting, draw_labels, hgb, members_proba, paired_interval


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


def em_prior(proba: np.ndarray, prior: np.ndarray, iterations: int = 1000, tol: float = 1e-8) -> np.ndarray:
    """The class prior of the rows behind ``proba`` by Saerens, Latinne and Decaestecker's EM (2002).

    ``proba`` (n, K) are posteriors calibrated to the class prior ``prior``; each step reweights
    them by the current prior estimate over ``prior`` and takes their mean as the next estimate.
    """
    estimate = prior.copy()
    for _ in range(iterations):
        adjusted = shift_proba(proba, prior, estimate)
        new = adjusted.mean(axis=0)
        if np.abs(new - estimate).max() < tol:
            return new
        estimate = new
    return estimate


def shift_proba(proba: np.ndarray, prior: np.ndarray, new_prior: np.ndarray) -> np.ndarray:
    """Posteriors ``proba`` under class prior ``prior`` moved to ``new_prior`` (Bayes' rule)."""
    weighted = proba * (new_prior / prior)
    return weighted / weighted.sum(axis=1, keepdims=True)


class PriorShifted:
    """A fitted two-class model whose probabilities move to the class prior EM finds in ``X_unlabelled``."""

    def __init__(self, model, X_unlabelled: pd.DataFrame, y_labelled: np.ndarray) -> None:
        self.model = model
        self.prior = np.bincount(y_labelled, minlength=2) / len(y_labelled)
        self.new_prior = em_prior(model.predict_proba(X_unlabelled), self.prior)

    def predict_proba(self, X) -> np.ndarray:
        return shift_proba(self.model.predict_proba(X), self.prior, self.new_prior)

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


class EpochTestProba(Callback):
    """The members' mean test fraud probability after every epoch (read only to study averaging)."""

    def __init__(self, model: SGANClassifier, X_test: pd.DataFrame) -> None:
        self.model, self.X_test = model, X_test
        self.proba: dict[int, np.ndarray] = {}
        self._inputs: torch.Tensor | None = None

    def on_epoch_end(self, trainer, logs) -> None:  # noqa: D102
        if self._inputs is None:  # the scaler exists once fit has started
            self._inputs = self.model._to_model_space(self.X_test.to_numpy(np.float32))
        self.proba[int(logs["epoch"])] = members_proba(trainer, self._inputs)[:, 1].astype(np.float64)


class TopEpochsAveraged:
    """The test probabilities of the ``k`` epochs of best pooled validation F1 (ties: lower loss), averaged.

    A checkpoint ensemble scored after the fact: the probabilities were recorded during the one fit.
    """

    def __init__(self, history: list[dict], test_proba: dict[int, np.ndarray], k: int) -> None:
        ranked = sorted(history, key=lambda h: (-h["val_f1"], h["val_loss"], h["epoch"]))
        self.epochs = [int(h["epoch"]) for h in ranked[:k]]
        fraud = np.mean([test_proba[e] for e in self.epochs], axis=0)
        self.proba = np.c_[1 - fraud, fraud]

    def predict_proba(self, X) -> np.ndarray:
        return self.proba

    def predict(self, X) -> np.ndarray:
        return (self.proba[:, 1] > 0.5).astype(int)


class Averaged:
    """Two fitted classifiers' probabilities averaged, weights ``w`` and ``1 - w``; predicts the likeliest."""

    def __init__(self, first, second, w: float) -> None:
        self.first, self.second, self.w = first, second, w

    def predict_proba(self, X) -> np.ndarray:
        return self.w * self.first.predict_proba(X) + (1 - self.w) * self.second.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


def refit_on_all_labels(model: SGANClassifier, params: dict[str, object], X_train, y_semi, seed: int):
    """The same number of members retrained on every label for the epochs the cross-fitted ones chose.

    Cross-validation picks the epoch and a refit on all labels uses it: each member then sees every
    fraud (at 100 labels five, not four) but nothing checks its last epoch, which is the returned one.
    """
    refit = params | {"validation_fraction": 0, "epochs": int(model.best_epoch_)}
    return SGANClassifier(random_state=seed, **refit).fit(X_train, y_semi)


def params_without_tie_breaker(params: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in params.items() if name != "tie_breaker"}


def held_out_boosting(X_train: pd.DataFrame, y_semi: np.ndarray, seed: int) -> dict[str, object]:
    """Boosting on 80% of the labels (one SGAN's share), and five cross-fitted boosting models averaged."""
    held_out = held_out_share(y_semi, 0.2, np.random.default_rng(seed))  # as one SGAN holds out
    kept = np.setdiff1d(np.flatnonzero(y_semi >= 0), held_out)
    return {
        "HistGradientBoosting, 80% of labels": hgb(seed).fit(X_train.iloc[kept], y_semi[kept]),
        "HistGradientBoosting, 5 cross-fitted, averaged": cross_fitted_boosting(X_train, y_semi, seed),
    }


def load_design_data(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[pd.DataFrame, pd.Series]:
    """Refuse the benchmark's seeds, set one thread, print the machine line, and read ``args.data``."""
    if min(args.seeds) < 5:
        parser.error("seeds 0-4 are bench/semi_fraud.py's: design on other splits")
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    print(f"{machine_line()}; torch {torch.__version__} (1 thread); load {load_average()}", flush=True)
    return load_creditcard(args.data)


def design_splits(X: pd.DataFrame, y: pd.Series, seeds: list[int], budgets: list[int]):
    """Per seed and budget: ``(seed, budget, X_train, X_test, y_semi, y_test)``.

    One stratified 70/30 split per seed, labels drawn from its training split as
    ``semi_fraud.draw_labels`` does (``y_semi`` is -1 for the unlabelled rows).
    """
    for seed in seeds:
        X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.3, random_state=seed)
        y_train, y_test = y_train.to_numpy(), y_test.to_numpy()
        for budget in budgets:
            yield seed, budget, X_train, X_test, draw_labels(y_train, budget, seed), y_test


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
    parser.add_argument(
        "--snapshots",
        type=int,
        nargs="*",
        default=[],
        help="also score each SGAN as the average of its K best epochs (pooled validation F1, ties to the "
        "lower loss), from test probabilities recorded during the fit; K=1 checks the recording",
    )
    parser.add_argument(
        "--prior-shift",
        action="store_true",
        help="also score each SGAN with its probabilities moved to the class prior EM estimates on the "
        "unlabelled rows (Saerens et al. 2002)",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="also score each SGAN's members refitted on all labels for its chosen epochs, alone and "
        "averaged half and half with the cross-fitted members",
    )
    parser.add_argument(
        "--report-from",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="pool earlier printouts (or semi_fraud CSVs)",
    )
    parser.add_argument(
        "--reference", default="HistGradientBoosting, labels only", help="method to count wins against"
    )
    args = parser.parse_args()
    if args.report_from:
        pooled_report(args.report_from, args.reference)
        return
    X, y = load_design_data(parser, args)
    rows = []
    for seed, budget, X_train, X_test, y_semi, y_test in design_splits(X, y, args.seeds, args.budgets):
        labelled = y_semi >= 0
        models = {"HistGradientBoosting, labels only": hgb(seed).fit(X_train[labelled], y_semi[labelled])}
        if args.held_out_cost:
            models |= held_out_boosting(X_train, y_semi, seed)
        for variant in args.variants:
            params = parse_variant(variant)
            model = SGANClassifier(random_state=seed, **params_without_tie_breaker(params))
            if "tie_breaker" in params:  # a design knob, not a parameter
                tie_breaker = params["tie_breaker"]  # None: ties keep the first epoch
                mode = "min" if tie_breaker is None or tie_breaker.endswith("loss") else "max"
                model._tie_breaker = (tie_breaker, mode)
            recorder = EpochTestProba(model, X_test)
            callbacks = [recorder] if args.snapshots else []
            models[f"SGAN, {variant}"] = model.fit(X_train, y_semi, callbacks=callbacks)
            for k in args.snapshots:
                averaged = TopEpochsAveraged(model.history_, recorder.proba, k)
                if k == 1:  # the returned model itself: a check of the recording
                    same = np.allclose(averaged.proba[:, 1], model.predict_proba(X_test)[:, 1], atol=1e-5)
                    print(f"seed {seed}, {budget} labels: top epoch {averaged.epochs} = returned: {same}")
                    continue
                print(f"seed {seed}, {budget} labels, {variant}: top {k} epochs {averaged.epochs}")
                models[f"SGAN, {variant}, top {k} epochs averaged"] = averaged
            if args.refit:
                refit = refit_on_all_labels(model, params_without_tie_breaker(params), X_train, y_semi, seed)
                print(f"seed {seed}, {budget} labels, {variant}: refit for {refit.best_epoch_} epochs")
                models[f"SGAN, {variant}, refit on all labels"] = refit
                models[f"SGAN, {variant}, cross-fitted and refit averaged"] = Averaged(model, refit, 0.5)
            if args.prior_shift:
                shifted = PriorShifted(model, X_train[~labelled], y_semi[labelled])
                print(
                    f"seed {seed}, {budget} labels, {variant}: labelled fraud share {shifted.prior[1]:.4f}, "
                    f"EM on the unlabelled rows {shifted.new_prior[1]:.4f} (true {np.mean(y_test):.4f})",
                    flush=True,
                )
                models[f"SGAN, {variant}, prior from unlabelled rows"] = shifted
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


_SPLIT_LINE = re.compile(r"seed (\d+), (\d+) labels, (.+): AUPRC ([\d.]+) F1 ([\d.]+)$")
_PRIOR_LINE = re.compile(
    r"seed (\d+), (\d+) labels, .+: labelled fraud share ([\d.]+), EM on the unlabelled rows ([\d.]+) "
    r"\(true ([\d.]+)\)$"
)


def pooled_report(files: list[Path], reference: str) -> None:
    """Means over the splits printed in ``files``; per budget, splits where each method >= ``reference``.

    ``files`` may include ``bench/semi_fraud.py``'s per-run CSV files (their splits are drawn the
    same way); their "genfin SGANClassifier, defaults" rows count as "SGAN, default".
    """
    rows = [row for path in files for row in split_results(path)]
    # A split run in two files (the boosting rows of each process) counts once.
    results = pd.DataFrame(rows).drop_duplicates(["seed", "budget", "method"])
    seeds = sorted(int(seed) for seed in results["seed"].unique())
    print(f"pooled from {', '.join(p.name for p in files)}: seeds {seeds}\n")
    means = results.groupby(["budget", "method"])[["auprc", "f1"]].mean().round(3)
    print(means.to_markdown())
    names = ("labelled", "EM", "true")
    shares = [
        {"seed": int(m[1]), "budget": int(m[2]), **dict(zip(names, map(float, m.groups()[2:]), strict=True))}
        for path in files
        for m in map(_PRIOR_LINE.match, path.read_text(encoding="utf-8").splitlines())
        if m
    ]
    if shares:  # from --prior-shift runs
        print("\nfraud share, mean over splits: labelled rows, EM on the unlabelled rows, test rows:")
        print()
        table = pd.DataFrame(shares).drop_duplicates(["seed", "budget"]).groupby("budget")
        print(table[["labelled", "EM", "true"]].mean().round(4).to_markdown())
    print(f"\nsplits where the method >= {reference!r} (AUPRC / F1):\n")
    for budget, part in results.groupby("budget"):
        wide = {m: part.pivot(index="seed", columns="method", values=m) for m in ("auprc", "f1")}
        for method in wide["auprc"].columns.drop(reference, errors="ignore"):
            wins = [int((wide[m][method] >= wide[m][reference]).sum()) for m in ("auprc", "f1")]
            n = int(wide["auprc"][[method, reference]].notna().all(axis=1).sum())
            gaps = [paired_interval(wide[m][method] - wide[m][reference]) for m in ("auprc", "f1")]
            print(
                f"- {budget} labels, {method}: {wins[0]} / {wins[1]} of {n}; "
                f"paired difference [95% t-interval] AUPRC {gaps[0]}, F1 {gaps[1]}"
            )


def split_results(path: Path) -> list[dict[str, object]]:
    """Per-split ``seed, budget, method, auprc, f1`` from a printout of this script or a semi_fraud CSV."""
    if path.suffix == ".csv":
        table = pd.read_csv(path).replace({"method": {"genfin SGANClassifier, defaults": "SGAN, default"}})
        return table[["seed", "budget", "method", "auprc", "f1"]].round(3).to_dict("records")
    return [
        {"seed": int(m[1]), "budget": int(m[2]), "method": m[3], "auprc": float(m[4]), "f1": float(m[5])}
        for m in map(_SPLIT_LINE.match, path.read_text(encoding="utf-8").splitlines())
        if m
    ]


if __name__ == "__main__":
    main()
