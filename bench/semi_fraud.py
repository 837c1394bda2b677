"""Semi-supervised fraud detection on the real card sample: SGANs, pseudo labels, supervised baselines.

Issue 6. Per seed one stratified 70/30 split (``stratified_split(random_state=seed)``); per label
budget (100, 300, 984) labelled rows are drawn from the TRAINING split only, the rest of the
training split is unlabelled (``y = -1``); every method is scored on the same held-out test rows.

Label draw: ``max(5, round(budget * fraud share of the training split))`` frauds (5 / 10 / 32 for
100 / 300 / 984 labels on the sample, whose training split holds 252 frauds in 7,851 rows), drawn
at random without replacement from the training split's frauds, and the rest of the budget from its
genuine rows; the generator is seeded by (seed, budget). The floor of 5 keeps two frauds for
training and one for validation in the SGANs' held-out labels at 100 labels (3 would be the
stratified count). Nothing is drawn from the test rows: the book's notebook undersamples the whole
file to 492 + 492 rows before it splits, so its test frauds were training frauds; here the split
comes first.

Methods, on the same rows:

- the book's SGAN recipe: ``SGANClassifier(formulation="book", class_weight="book",
  feature_matching=False, collapse_guard="off", average_discriminator=0, n_members=1)``, batch 64 (the book's
  half batch of 128) and as many epochs as make the book's 5,000 steps (one book "epoch" is one
  step of 64 rows); the FINAL weights are scored (the book keeps no checkpoint;
  ``collapse_guard="off"`` returns the last epoch);
- with ``--labelled-only`` (off by default: slow), the same recipe fitted on the labelled rows only,
  as the book's notebook trains (it has no unlabelled rows: its real batches are drawn from the
  undersampled labelled set);
- genfin's SGAN: ``SGANClassifier`` defaults (collapse guard and best-epoch selection on);
- ``PseudoLabelClassifier`` around ``HistGradientBoostingClassifier`` (defaults);
- scikit-learn's ``SelfTrainingClassifier`` around the same (defaults);
- ``HistGradientBoostingClassifier`` and a standardised ``LogisticRegression`` on the labelled rows only;
- for reference (not a target of the issue), five gradient boosting models cross-fitted like
  ``SGANClassifier``'s five members (each on all labels but one stratified fifth) and averaged:
  the ensemble's gain without any unlabelled row.

Metrics on the test rows: AUPRC of ``predict_proba[:, 1]`` and F1 of ``predict`` (the model's own
decision: the most probable class, i.e. a 0.5 threshold on the fraud probability; for the SGANs
after dropping the fake class). For the SGANs, from ``history_``: the validation F1 of the
returned model over the best validation F1 of any epoch, and of the last epoch over the best; the
validation F1 is on the labels the SGAN holds out (the book's recipe: 20%; genfin's five members:
each its own fifth, scored pooled). Each epoch's test F1 and AUPRC are recorded too, for the collapse
curves only (they choose nothing).

    python bench/semi_fraud.py [--data PATH] [--seeds 5] [--budgets 100 300 984] [--epochs 50]
                               [--book-steps 5000] [--labelled-only]

On two cores, the seeds can run in two processes and be reported together (the figures are the
same as from one process; only the times differ):

    python bench/semi_fraud.py --seed-list 0 1 2 --csv semi_fraud_a.csv > a.txt &
    python bench/semi_fraud.py --seed-list 3 4 --csv semi_fraud_b.csv > b.txt
    python bench/semi_fraud.py --report-from semi_fraud_a.csv semi_fraud_b.csv
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from _common import CREDITCARD_SAMPLE, machine_line
from genfin.data import load_creditcard, stratified_split
from genfin.models._semi import cross_fitted_folds
from genfin.models.pseudo_label import PseudoLabelClassifier
from genfin.models.sgan import SGANClassifier
from genfin.plots import progress_figure
from genfin.training import Callback

RESULTS = Path(__file__).resolve().parent / "results"
BOOK_BATCH = 64  # its half batch: 64 real and 64 generated rows per discriminator step
MIN_FRAUDS = 5

BOOK = "book's SGAN recipe (final model)"
BOOK_LABELLED = "(reference) book's recipe, labelled rows only"
GENFIN = "genfin SGANClassifier, defaults"
PSEUDO = "PseudoLabelClassifier(HGB)"
SELF = "sklearn SelfTrainingClassifier(HGB)"
HGB = "HistGradientBoosting, labels only"
HGB_MEMBERS = "(reference) 5 HistGradientBoosting cross-fitted on the labels, averaged"
LOGREG = "LogisticRegression (standardised), labels only"
GANS = (BOOK, BOOK_LABELLED, GENFIN)
SUPERVISED = (HGB, LOGREG)
BASELINES = (BOOK, BOOK_LABELLED, PSEUDO, SELF, HGB, LOGREG, HGB_MEMBERS)
METHODS = {
    "book": BOOK,
    "book-labelled": BOOK_LABELLED,
    "genfin": GENFIN,
    "pseudo": PSEUDO,
    "self-training": SELF,
    "hgb": HGB,
    "logreg": LOGREG,
    "hgb-members": HGB_MEMBERS,
}


def arguments() -> argparse.Namespace:
    """Parse ``--data``, ``--seeds``, ``--budgets`` and ``--epochs``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("GENFIN_CREDITCARD", CREDITCARD_SAMPLE))
    parser.add_argument("--data", type=Path, default=default, help="creditcard.csv(.gz) or the sample")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1")
    parser.add_argument("--seed-list", type=int, nargs="+", help="these seeds instead of --seeds")
    parser.add_argument(
        "--csv", default="semi_fraud_per_seed.csv", help="per-seed results file in bench/results/"
    )
    parser.add_argument(
        "--report-from",
        nargs="+",
        metavar="CSV",
        help="fit nothing: report the per-seed files of earlier runs (in bench/results/) together",
    )
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 300, 984])
    parser.add_argument("--epochs", type=int, default=50, help="genfin SGAN epochs (its default: 50)")
    parser.add_argument("--book-steps", type=int, default=5_000, help="the book's recipe: steps (5,000)")
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=list(METHODS),
        help="run only these (default: all but book-labelled, which --labelled-only adds)",
    )
    parser.add_argument(
        "--labelled-only",
        action="store_true",
        help="also run the book's recipe on the labelled rows only, as its notebook (slow: up to "
        "5,000 one-step epochs)",
    )
    args = parser.parse_args()
    args.seed_list = args.seed_list or list(range(args.seeds))
    args.seeds = len(args.seed_list)
    if not args.data.is_file():
        raise SystemExit(f"no data at {args.data}: pass --data PATH to creditcard.csv(.gz) or the sample")
    return args


def draw_labels(y_train: np.ndarray, budget: int, seed: int) -> np.ndarray:
    """``y`` for the training split: ``budget`` labels (at least MIN_FRAUDS frauds), else -1."""
    rng = np.random.default_rng([seed, budget])
    frauds, genuine = np.flatnonzero(y_train == 1), np.flatnonzero(y_train == 0)
    n_fraud = max(MIN_FRAUDS, round(budget * len(frauds) / len(y_train)))
    chosen = np.r_[
        rng.choice(frauds, n_fraud, replace=False), rng.choice(genuine, budget - n_fraud, replace=False)
    ]
    y = np.full(len(y_train), -1, dtype=np.int64)
    y[chosen] = y_train[chosen]
    return y


def members_proba(trainer, inputs: torch.Tensor) -> np.ndarray:
    """Class probabilities of ``inputs`` (model space) as ``predict_proba`` gives them: the members' mean."""
    tasks = getattr(trainer.task, "tasks", [trainer.task])  # a CrossFittedTask's members
    return torch.stack([task.predict_proba(inputs) for task in tasks]).mean(0).numpy()


class TestCurve(Callback):
    """Test F1 and AUPRC every ``every`` epochs and at the end (for the curves only; they choose nothing).

    With several members the model's test probabilities are the mean of the members' (as
    ``predict_proba``), each member at its current epoch. ``self.curve``: lists of ``epochs``,
    ``f1`` and ``auprc``.
    """

    def __init__(
        self, model: SGANClassifier, X_test: pd.DataFrame, y_test: np.ndarray, every: int = 1
    ) -> None:
        self.model, self.X_test, self.y_test, self.every = model, X_test, y_test, int(every)
        self.curve: dict[str, list[float]] = {"epochs": [], "f1": [], "auprc": []}
        self._inputs: torch.Tensor | None = None

    def _score(self, trainer) -> None:
        if self._inputs is None:  # the scaler exists once fit has started
            self._inputs = self.model._to_model_space(self.X_test.to_numpy(np.float32))
        proba = members_proba(trainer, self._inputs)
        self.curve["epochs"].append(len(trainer.history))
        self.curve["f1"].append(float(f1_score(self.y_test, proba.argmax(1), zero_division=0)))
        self.curve["auprc"].append(float(average_precision_score(self.y_test, proba[:, 1])))

    def on_epoch_end(self, trainer, logs) -> None:  # noqa: D102
        if int(logs["epoch"]) % self.every == 0:
            self._score(trainer)

    def on_fit_end(self, trainer) -> None:  # noqa: D102
        epochs = self.curve["epochs"]
        if not epochs or epochs[-1] != len(trainer.history):
            self._score(trainer)  # the last weights: the guard has not restored the best ones yet


def book_epochs(n_pool: int, steps: int) -> int:
    """Epochs of ``SGANClassifier`` that make ``steps`` steps of 64 rows over ``n_pool`` rows."""
    return max(1, round(steps / max(1, n_pool // BOOK_BATCH)))


def n_held_out(y: np.ndarray, fraction: float = 0.2) -> int:
    """Labelled rows ``SGANClassifier`` holds out for validation (its rule: a share per class, >= 1)."""
    counts = np.bincount(y[y >= 0])
    return int(sum(min(n - 1, max(1, round(fraction * n))) for n in counts))


def book_model(seed: int, epochs: int) -> SGANClassifier:
    """The book's chapter 6 settings in ``SGANClassifier``."""
    return SGANClassifier(
        formulation="book",
        class_weight="book",
        feature_matching=False,
        collapse_guard="off",
        average_discriminator=0.0,
        n_members=1,
        epochs=epochs,
        batch_size=BOOK_BATCH,
        labelled_batch_size=BOOK_BATCH,
        random_state=seed,
    )


def hgb(seed: int) -> HistGradientBoostingClassifier:
    """Gradient boosting with scikit-learn's defaults."""
    return HistGradientBoostingClassifier(random_state=seed)


class AveragedProba:
    """The mean of fitted classifiers' probabilities, and the class it makes most probable."""

    def __init__(self, models: list) -> None:
        self.models = models

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.models[0].classes_[self.predict_proba(X).argmax(1)]


def cross_fitted_boosting(X_train: pd.DataFrame, y_semi: np.ndarray, seed: int, k: int = 5) -> AveragedProba:
    """``k`` boosting models, each on all labels but one stratified fold, averaged."""
    labelled = np.flatnonzero(y_semi >= 0)
    members = []
    for fold in cross_fitted_folds(y_semi, k, np.random.default_rng(seed)):  # as the SGAN's members
        train = np.setdiff1d(labelled, fold)
        members.append(hgb(seed).fit(X_train.iloc[train], y_semi[train]))
    return AveragedProba(members)


def run_ratios(history: list[dict], returned_epoch: int, curve: dict[str, list]) -> dict[str, float]:
    """An SGAN's validation F1 of the returned and the last epoch over its best, and its test F1 curve.

    With several members the validation F1 is that of their held-out folds pooled, the score that
    chose their one common epoch.
    """
    f1 = np.array([h["val_f1"] for h in history])
    best = float(f1.max())
    returned, last = float(f1[returned_epoch - 1]), float(f1[-1])
    return {
        "val_f1_best": best,
        "val_f1_best_epoch": int(f1.argmax()) + 1,
        "val_f1_returned": returned,
        "val_f1_last": last,
        "ratio_returned": returned / best if best > 0 else math.nan,
        "ratio_last": last / best if best > 0 else math.nan,
        "returned_epoch": returned_epoch,
        "epochs_run": len(f1),
        "rollbacks": int(sum(h.get("rolled_back", 0) for h in history)),
        "test_f1_curve_best": float(max(curve["f1"])),
        "test_f1_curve_last": float(curve["f1"][-1]),
    }


def fit_gan(
    name: str,
    seed: int,
    X_fit: pd.DataFrame,
    y_fit: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    genfin_epochs: int,
    book_steps: int,
) -> tuple[SGANClassifier, dict[str, float]]:
    """Fit one SGAN; return it and the figures of its validation history (pooled over members)."""
    if name == GENFIN:
        model = SGANClassifier(random_state=seed, epochs=genfin_epochs)
    else:
        model = book_model(seed, book_epochs(len(y_fit) - n_held_out(y_fit), book_steps))
    curve = TestCurve(model, X_test, y_test, every=max(1, model.epochs // 200))
    model.fit(X_fit, y_fit, callbacks=[curve])
    # The book's recipe has no guard: its best_epoch_ is its last.
    extra = run_ratios(model.history_, model.best_epoch_, curve.curve)
    # Members whose own fold's F1 stayed 0 all run: what per-member selection could not score.
    blind = sum(all(h["val_f1"] == 0 for h in history) for history in model.member_histories_)
    extra |= {"n_members": len(model.member_histories_), "members_never_flagging": blind}
    model.test_curve_ = curve
    return model, extra


def save_progress(model: SGANClassifier, name: str, budget: int, seed: int) -> Path:
    """The book's "SGAN progress" figure of one run, with the test F1 per epoch beside the validation F1."""
    curve = model.test_curve_.curve
    test_f1 = dict(zip(curve["epochs"], curve["f1"], strict=True))
    history = [
        {**h, "test_f1": test_f1[i + 1]} if i + 1 in test_f1 else h for i, h in enumerate(model.history_)
    ]
    tag = "book" if name == BOOK else "genfin"
    returned = "last epoch returned" if name == BOOK else f"epoch {model.best_epoch_} returned"
    if len(model.member_histories_) > 1:
        returned += f"; {len(model.member_histories_)} members, validation pooled"
    fig = progress_figure(
        history,
        metrics=("val_f1", "val_auprc", "test_f1"),
        best_epoch=None if name == GENFIN else len(history),
        title=f"{name}: {budget} labels, seed {seed} ({returned})",
    )
    path = RESULTS / f"semi_fraud_progress_{tag}_{budget}labels_seed{seed}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def mean_std(values: pd.Series, digits: int = 3) -> str:
    """``mean ± std`` of a column."""
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def main() -> None:
    args = arguments()
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    RESULTS.mkdir(exist_ok=True)
    load_start = os.getloadavg()
    X, y = load_creditcard(args.data)
    if args.report_from:
        results = pd.concat([pd.read_csv(RESULTS / name) for name in args.report_from], ignore_index=True)
        args.seed_list = sorted(results["seed"].unique().tolist())
        args.seeds, args.budgets = len(args.seed_list), sorted(results["budget"].unique().tolist())
        args.epochs = int(results["genfin_epochs"].iloc[0])
        args.book_steps = int(results["book_steps"].iloc[0])
        report(args, results, X, y, None, None, load_start, [])
        return
    rows, figures = [], []
    started, cpu_started = time.perf_counter(), time.process_time()
    methods = (
        [METHODS[m] for m in args.methods]
        if args.methods
        else [
            BOOK,
            *([BOOK_LABELLED] if args.labelled_only else []),
            GENFIN,
            PSEUDO,
            SELF,
            HGB,
            LOGREG,
            HGB_MEMBERS,
        ]
    )
    for seed in args.seed_list:
        X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.3, random_state=seed)
        y_train, y_test = y_train.to_numpy(), y_test.to_numpy()
        for budget in args.budgets:
            y_semi = draw_labels(y_train, budget, seed)
            labelled = np.flatnonzero(y_semi >= 0)
            X_lab, y_lab = X_train.iloc[labelled], y_semi[labelled]
            for name in methods:
                tic, cpu = time.perf_counter(), time.process_time()
                extra: dict[str, float] = {}
                if name in GANS:
                    X_fit, y_fit = (X_lab, y_lab) if name == BOOK_LABELLED else (X_train, y_semi)
                    model, extra = fit_gan(
                        name, seed, X_fit, y_fit, X_test, y_test, args.epochs, args.book_steps
                    )
                    if seed == 0 and name in (BOOK, GENFIN):
                        figures.append(save_progress(model, name, budget, seed))
                elif name == PSEUDO:
                    model = PseudoLabelClassifier(hgb(seed), random_state=seed).fit(X_train, y_semi)
                    extra = {"pseudo_labels": int((model.labeled_iter_ > 0).sum())}
                elif name == SELF:
                    model = SelfTrainingClassifier(hgb(seed)).fit(X_train, y_semi)
                    extra = {"pseudo_labels": int((model.labeled_iter_ > 0).sum())}
                elif name == HGB:
                    model = hgb(seed).fit(X_lab, y_lab)
                elif name == HGB_MEMBERS:
                    model = cross_fitted_boosting(X_train, y_semi, seed)
                else:
                    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5_000)).fit(
                        X_lab, y_lab
                    )
                seconds, cpu_seconds = time.perf_counter() - tic, time.process_time() - cpu
                proba = model.predict_proba(X_test)[:, 1]
                rows.append(
                    dict(
                        budget=budget,
                        method=name,
                        seed=seed,
                        labelled_frauds=int((y_lab == 1).sum()),
                        auprc=float(average_precision_score(y_test, proba)),
                        f1=float(f1_score(y_test, model.predict(X_test), zero_division=0)),
                        fit_s=seconds,
                        cpu_s=cpu_seconds,
                        genfin_epochs=args.epochs,
                        book_steps=args.book_steps,
                        **extra,
                    )
                )
                r = rows[-1]
                print(
                    f"seed {seed} budget {budget} {name}: AUPRC {r['auprc']:.3f} F1 {r['f1']:.3f} "
                    f"({seconds:.0f} s)",
                    flush=True,
                )
    results = pd.DataFrame(rows)
    results.to_csv(RESULTS / args.csv, index=False)
    report(args, results, X, y, started, cpu_started, load_start, figures)


def report(args, results, X, y, started, cpu_started, load_start, figures) -> None:
    """Print the tables and verdicts."""
    budgets = " ".join(map(str, args.budgets))
    print(
        f"\nSemi-supervised fraud detection on held-out rows of {args.data.name}: {len(X):,} rows, "
        f"{int(y.sum())} frauds; {args.seeds} seeds, stratified 70/30 splits; labels from the training "
        f"split only (at least {MIN_FRAUDS} frauds), the rest of it unlabelled"
    )
    seeds = " ".join(map(str, args.seed_list))
    if args.report_from:
        command = f"--report-from {' '.join(args.report_from)} (seeds {seeds})"
    else:
        command = (
            f"--seed-list {seeds} --budgets {budgets} --epochs {args.epochs} --book-steps {args.book_steps}"
            + (" --labelled-only" if args.labelled_only else "")
        )
    print(f"command: OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE python bench/semi_fraud.py {command}")
    print(f"{machine_line()}; torch {torch.__version__} (1 thread), scikit-learn {sklearn.__version__}")
    loads = f"load average (1/5/15 min) at start {' / '.join(f'{v:.2f}' for v in load_start)}, at end "
    loads += " / ".join(f"{v:.2f}" for v in os.getloadavg())
    if started is None:
        print(f"{loads} of the report; {results['fit_s'].sum():.0f} s of fitting in the runs reported")
    else:
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"{loads}; {wall:.0f} s wall, {cpu:.0f} s CPU in all")
    print(
        f"genfin SGAN: {args.epochs} epochs (its default 50), batch 64; book's recipe: "
        f"{args.book_steps:,} steps of {BOOK_BATCH} rows as epochs over the pool; "
        "F1 of predict (the most probable class)"
    )
    for budget, part in results.groupby("budget", sort=True):
        frauds = sorted(part["labelled_frauds"].unique())
        print(f"\n### {budget} labels ({', '.join(map(str, frauds))} frauds)\n")
        print("| method | test AUPRC | test F1 | val F1 returned / best (min over seeds) | fit s |")
        print("|---|---|---|---|---|")
        for name, m in part.groupby("method", sort=False):
            ratios = m["ratio_returned"] if name in GANS else None
            ratio = "" if ratios is None else f"{ratios.mean():.2f} ({ratios.min():.2f})"
            print(
                f"| {name} | {mean_std(m['auprc'])} | {mean_std(m['f1'])} | {ratio} "
                f"| {m['fit_s'].mean():.1f} |"
            )
        present = set(part["method"])
        if GENFIN in present:
            print_seed_wins(part, args.seeds)
        if present & set(GANS):
            print_gan_runs(part)
        print("\nVerdicts:\n")
        print_verdicts(part)
    print("\nFigures: " + ", ".join(str(p.relative_to(RESULTS.parent.parent)) for p in figures))


def print_seed_wins(part: pd.DataFrame, n_seeds: int) -> None:
    """Per method: on how many seeds genfin's SGAN is at least as good, and the paired differences.

    The splits are paired (every method sees the same rows), so the spread that decides whether a
    mean difference is more than noise is that of the per-seed differences: a 95% t-interval over
    seeds (seed-to-seed variation only; each test set's own sampling noise is not in it).
    """
    by_seed = {
        metric: part.pivot(index="seed", columns="method", values=metric) for metric in ("auprc", "f1")
    }
    print("\ngenfin SGAN per seed against each method (seeds where genfin >= it / seeds; mean paired")
    print("difference genfin - method [95% t-interval over seeds]):\n")
    print("| against | AUPRC | F1 | AUPRC difference | F1 difference |")
    print("|---|---|---|---|---|")
    for other in [b for b in BASELINES if b in set(part["method"])]:
        wins = [int((by_seed[m][GENFIN] >= by_seed[m][other]).sum()) for m in ("auprc", "f1")]
        gaps = [paired_interval(by_seed[m][GENFIN] - by_seed[m][other]) for m in ("auprc", "f1")]
        print(f"| {other} | {wins[0]}/{n_seeds} | {wins[1]}/{n_seeds} | {gaps[0]} | {gaps[1]} |")


def paired_interval(differences: pd.Series) -> str:
    """``"+0.005 [-0.010, +0.020]"``: the mean of paired differences and its 95% t-interval."""
    values = differences.dropna().to_numpy()
    mean = float(values.mean())
    if len(values) < 2:
        return f"{mean:+.3f}"
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return f"{mean:+.3f} [{mean - half:+.3f}, {mean + half:+.3f}]"


def print_gan_runs(part: pd.DataFrame) -> None:
    """The SGANs' validation and test F1 histories, one row per run."""
    print("\nSGAN runs per seed (validation F1 on the held-out labels; test F1 curve only read):\n")
    print(
        "With several members the validation F1 is that of their held-out folds pooled (the score "
        "that chose their common epoch); 'own F1 0' counts the members whose own fold's F1 was 0 "
        "at every epoch.\n"
    )
    print(
        "| method | seed | members (own F1 0) | epochs run | returned epoch | best val F1 (epoch) "
        "| val F1 returned | val F1 last | returned/best | test F1 best epoch | test F1 last | rollbacks |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for _, r in part[part["method"].isin(GANS)].iterrows():
        print(
            f"| {r['method']} | {r['seed']} "
            f"| {r['n_members']:.0f} ({r.get('members_never_flagging', math.nan):.0f}) "
            f"| {r['epochs_run']:.0f} | {r['returned_epoch']:.0f} "
            f"| {r['val_f1_best']:.2f} ({r['val_f1_best_epoch']:.0f}) | {r['val_f1_returned']:.2f} "
            f"| {r['val_f1_last']:.2f} | {r['ratio_returned']:.2f} | {r['test_f1_curve_best']:.3f} "
            f"| {r['test_f1_curve_last']:.3f} | {r['rollbacks']:.0f} |"
        )


def print_verdicts(part: pd.DataFrame) -> None:
    """The issue's targets for genfin's SGAN, and whether the book's recipe collapsed."""
    present = set(part["method"])
    if GENFIN in present:
        genfin = part[part["method"] == GENFIN].set_index("seed")
        for other in [m for m in SUPERVISED if m in present]:
            base = part[part["method"] == other].set_index("seed")
            for metric in ("auprc", "f1"):
                ok = genfin[metric].mean() >= base[metric].mean()
                print(
                    f"- genfin SGAN {metric.upper()} {genfin[metric].mean():.3f} vs {other} "
                    f"{base[metric].mean():.3f}: {'met' if ok else 'MISSED'} (at least as good on the mean)"
                )
        ratios = genfin["ratio_returned"]
        low = ratios[~(ratios >= 0.9)]
        print(
            f"- genfin SGAN returned/best validation F1 >= 0.9 on every seed: "
            f"{'met' if low.empty else 'MISSED'} (min {ratios.min():.2f}"
            + ("" if low.empty else f"; seeds {', '.join(map(str, low.index))} below or undefined")
            + ")"
        )
        # A validation F1 of 0 at every epoch gives no ratio: say so rather than leave the seed out.
        undefined = genfin.index[genfin["val_f1_best"] == 0]
        if len(undefined):
            print(
                f"  (a validation F1 of 0 at every epoch has no ratio and is left out of that minimum: "
                f"seeds {', '.join(map(str, undefined))})"
            )
    for name in [b for b in (BOOK, BOOK_LABELLED) if b in present]:
        book = part[part["method"] == name]
        val_collapsed = int((book["val_f1_last"] < 0.5 * book["val_f1_best"]).sum())
        test_collapsed = int((book["test_f1_curve_last"] < 0.5 * book["test_f1_curve_best"]).sum())
        zero = int((book["test_f1_curve_last"] == 0).sum())
        print(
            f"- {name}: final validation F1 below half its best on {val_collapsed}/{len(book)} seeds; "
            f"final test F1 below half its best epoch's on {test_collapsed}/{len(book)}, zero on {zero}"
        )


if __name__ == "__main__":
    main()
