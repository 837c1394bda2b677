"""Augmentation on the real sample: does adding synthetic frauds help a fraud classifier?

The protocol a fraud team would run (issue 4). For each seed: a stratified 70/30 split of the real
sample; the TRAINING rows are augmented with synthetic frauds up to a fixed ratio of frauds to normal
rows by each method; a classifier (gradient boosting, or logistic regression on standardised
features) is trained on them; it is tested on the held-out real rows, which no generator saw.

Methods: no augmentation; SMOTE (``genfin.augment(method="smote")``); genfin's VAE
(``genfin.augment(method="vae")``, its defaults, fitted on the training frauds only); SDV's TVAE and
CTGAN with their defaults (300 epochs), fitted on the same training frauds through SDV's
single-table API with metadata detected from the DataFrame. Every generator adds the same number of
rows.

Metrics on the held-out real rows: AUPRC; F1 at the 0.5 probability threshold; and F1 at a threshold
chosen on a validation part of the training split (never on the test rows): the training rows are
split 75/25 again, every generator and classifier is refitted on the 75% (augmented the same way),
and the threshold that maximises F1 on the real 25% is applied to the test scores of the classifier
trained on all the training rows. Augmentation shifts the predicted probabilities (more frauds in
training, higher scores), so F1 at 0.5 mixes that shift with ranking quality; AUPRC does not.

    OMP_WAIT_POLICY=PASSIVE .venv-bench/bin/python bench/augmentation.py [--data PATH] [--seeds 5]

Needs SDV (``pip install sdv``), which pins an older pandas: run it from a separate venv (see
docs/benchmarks_synthetic.md). Without SDV the TVAE and CTGAN rows are left out.
"""

from __future__ import annotations

import os
import random
import time
import warnings
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_recall_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _common import creditcard_arguments, machine_line
from genfin.data import load_creditcard, stratified_split
from genfin.pipelines.augment import augment

RATIOS = (0.25, 1.0)
VALIDATION_SIZE = 0.25
SDV_MODELS = ("SDV TVAE", "SDV CTGAN")
CLASSIFIERS = ("gradient boosting", "logistic regression")
PEERS = ("SMOTE", *SDV_MODELS)
VAE_NAME = "genfin VAE"
# SDV's default training length (300 epochs) unless $GENFIN_SDV_EPOCHS says otherwise (to smoke-test).
SDV_EPOCHS = int(os.environ["GENFIN_SDV_EPOCHS"]) if os.environ.get("GENFIN_SDV_EPOCHS") else None
PACKAGES = (
    "genfin",
    "torch",
    "scikit-learn",
    "pandas",
    "imbalanced-learn",
    "sdv",
    "ctgan",
    "rdt",
    "sdmetrics",
)


def package_versions() -> str:
    """The versions of the packages whose code runs in this benchmark, as one line."""
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} not installed")
    return ", ".join(found)


def vae_defaults() -> str:
    """The genfin VAE defaults that shape its synthetic rows, as printed beside a table."""
    from genfin.models import VAE

    params = VAE().get_params()
    shown = ("output_variance", "scaler", "epochs", "hidden_layer_sizes", "latent_dim")
    return "genfin VAE defaults: " + ", ".join(f"{name}={params[name]}" for name in shown)


def sdv_available() -> bool:
    """Whether SDV's single-table synthesizers can be imported."""
    try:
        import sdv.single_table  # noqa: F401
    except ImportError:
        return False
    return True


def seed_everything(seed: int) -> None:
    """Seed the global generators that SDV draws from (it takes no seed of its own)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class SDVGenerator:
    """An SDV single-table synthesizer with its defaults, fitted on one DataFrame of frauds.

    Parameters
    ----------
    name : {"SDV TVAE", "SDV CTGAN"}
        Which synthesizer.
    seed : int
        Seeds the global generators before fitting and before each sampling call.
    epochs : int or None
        None keeps SDV's default (300); a number overrides it (a shortened run, to be stated).
    """

    def __init__(self, name: str, seed: int, epochs: int | None = None) -> None:
        self.name = name
        self.seed = seed
        self.epochs = epochs

    def fit(self, frauds: pd.DataFrame) -> SDVGenerator:
        """Detect the metadata from ``frauds`` and fit the synthesizer on them; record the seconds."""
        from sdv.metadata import Metadata
        from sdv.single_table import CTGANSynthesizer, TVAESynthesizer

        cls = TVAESynthesizer if self.name == "SDV TVAE" else CTGANSynthesizer
        data = {"frauds": frauds.reset_index(drop=True)}
        started = time.perf_counter()
        seed_everything(self.seed)
        self.metadata_ = Metadata.detect_from_dataframes(data)
        params = {} if self.epochs is None else {"epochs": self.epochs}
        self.synthesizer_ = cls(self.metadata_, **params)
        self.synthesizer_.fit(data)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def sample(self, n: int, seed_offset: int = 1) -> pd.DataFrame:
        """Draw ``n`` synthetic frauds, seeded by the global generators."""
        seed_everything(self.seed + seed_offset)
        rows = self.synthesizer_.sample(num_rows=n)
        return rows["frauds"] if isinstance(rows, dict) else rows


def n_new_frauds(y: pd.Series, ratio: float) -> int:
    """Synthetic frauds needed to bring the frauds to ``ratio`` times the normal rows."""
    return round(ratio * int((y == 0).sum())) - int((y == 1).sum())


def augmented_sets(
    X: pd.DataFrame, y: pd.Series, seed: int, methods: list[str]
) -> tuple[dict[tuple[str, float], tuple[pd.DataFrame, np.ndarray]], dict[str, float]]:
    """Every method's augmented training rows at every ratio, and each generator's fit seconds."""
    sets: dict[tuple[str, float], tuple[pd.DataFrame, np.ndarray]] = {}
    seconds: dict[str, float] = {}
    frauds = X[y.to_numpy() == 1]
    sdv = {name: SDVGenerator(name, seed, SDV_EPOCHS).fit(frauds) for name in methods if name in SDV_MODELS}
    seconds.update({name: generator.fit_seconds_ for name, generator in sdv.items()})
    for ratio in RATIOS:
        for method in methods:
            if method == "none" and ratio != RATIOS[0]:
                continue  # nothing is added: one copy is enough
            if method in SDV_MODELS:
                extra = sdv[method].sample(n_new_frauds(y, ratio))
                X_aug = pd.concat([X, extra[X.columns]], ignore_index=True)
                y_aug = np.r_[y.to_numpy(), np.ones(len(extra), dtype=int)]
            else:
                kind = {"none": "none", "SMOTE": "smote", VAE_NAME: "vae"}[method]
                started = time.perf_counter()
                X_aug, y_aug = augment(X, y, method=kind, ratio=ratio, random_state=seed)
                if kind != "none" and ratio == RATIOS[0]:
                    seconds[method] = time.perf_counter() - started
                y_aug = np.asarray(y_aug)
            sets[(method, ratio)] = (X_aug, y_aug)
    return sets, seconds


def make_classifier(name: str, seed: int):
    """A fresh classifier: gradient boosting, or logistic regression on standardised features."""
    if name == "gradient boosting":
        return HistGradientBoostingClassifier(random_state=seed)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, random_state=seed))


def best_threshold(y: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold that maximises F1 on (validation) rows."""
    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    return float(thresholds[int(np.argmax(f1))])


def run_seed(X: pd.DataFrame, y: pd.Series, seed: int, methods: list[str]) -> list[dict]:
    """One seed: thresholds chosen on the validation part, then the scores on the held-out rows."""
    X_train, X_test, y_train, y_test = stratified_split(X, y, random_state=seed)
    X_train, y_train = X_train.reset_index(drop=True), y_train.reset_index(drop=True)
    X_fit, X_val, y_fit, y_val = stratified_split(
        X_train, y_train, test_size=VALIDATION_SIZE, random_state=seed
    )
    X_fit, y_fit = X_fit.reset_index(drop=True), y_fit.reset_index(drop=True)

    thresholds = {}
    sets, _ = augmented_sets(X_fit, y_fit, seed, methods)
    for (method, ratio), (X_aug, y_aug) in sets.items():
        for classifier in CLASSIFIERS:
            model = make_classifier(classifier, seed).fit(X_aug, y_aug)
            scores = model.predict_proba(X_val)[:, 1]
            thresholds[(classifier, method, ratio)] = best_threshold(y_val.to_numpy(), scores)

    rows = []
    sets, seconds = augmented_sets(X_train, y_train, seed, methods)
    for (method, ratio), (X_aug, y_aug) in sets.items():
        for classifier in CLASSIFIERS:
            model = make_classifier(classifier, seed).fit(X_aug, y_aug)
            scores = model.predict_proba(X_test)[:, 1]
            threshold = thresholds[(classifier, method, ratio)]
            rows.append(
                {
                    "classifier": classifier,
                    "ratio": ratio if method != "none" else None,
                    "method": method,
                    "seed": seed,
                    "AUPRC": average_precision_score(y_test, scores),
                    "F1 at 0.5": f1_score(y_test, scores >= 0.5),
                    "F1 at val. threshold": f1_score(y_test, scores >= threshold),
                    "generator fit s": seconds.get(method, np.nan),
                }
            )
    return rows


def print_table(results: pd.DataFrame, methods: list[str]) -> None:
    """Mean ± std over seeds per (classifier, ratio, method)."""
    columns = ["AUPRC", "F1 at 0.5", "F1 at val. threshold", "generator fit s"]
    print("| classifier | frauds per normal row | method | " + " | ".join(columns) + " |")
    print("|---|---|---|" + "---|" * len(columns))
    results = results.assign(ratio=results["ratio"].fillna(0.0))
    order = [(c, 0.0, "none") for c in CLASSIFIERS] + [
        (c, r, m) for c in CLASSIFIERS for r in RATIOS for m in methods if m != "none"
    ]
    order.sort(key=lambda key: CLASSIFIERS.index(key[0]))
    for classifier, ratio, method in order:
        key = (results["classifier"] == classifier) & (results["ratio"] == ratio)
        group = results[key & (results["method"] == method)]
        cells = []
        for column in columns:
            values = group[column].dropna()
            digits = 1 if column.endswith(" s") else 3
            cells.append("-" if values.empty else f"{values.mean():.{digits}f} ± {values.std():.{digits}f}")
        ratio_text = "as is" if ratio == 0 else f"{ratio:g}"
        print(f"| {classifier} | {ratio_text} | {method} | " + " | ".join(cells) + " |")


def print_wins(results: pd.DataFrame, methods: list[str], n_seeds: int) -> list[str]:
    """Per-seed wins of genfin's VAE against each peer and no augmentation; return the verdict lines."""
    verdicts = []
    print(
        "| classifier | frauds per normal row | genfin VAE against | AUPRC difference (mean ± std) | "
        "seeds VAE higher | F1 (val. threshold) difference | seeds VAE higher |"
    )
    print("|---|---|---|---|---|---|---|")
    for classifier in CLASSIFIERS:
        for ratio in RATIOS:
            selected = results[(results["classifier"] == classifier)]
            baseline = selected[selected["method"] == "none"].set_index("seed")
            selected = selected[selected["ratio"] == ratio]
            vae = selected[selected["method"] == VAE_NAME].set_index("seed")
            beaten = []
            for peer in ["none", *[m for m in PEERS if m in methods]]:
                other = baseline if peer == "none" else selected[selected["method"] == peer].set_index("seed")
                cells = []
                for column in ("AUPRC", "F1 at val. threshold"):
                    difference = vae[column] - other[column]
                    cells.append(f"{difference.mean():+.3f} ± {difference.std():.3f}")
                    cells.append(f"{int((difference > 0).sum())} of {n_seeds}")
                name = "no augmentation" if peer == "none" else peer
                print(f"| {classifier} | {ratio:g} | {name} | " + " | ".join(cells) + " |")
                if peer != "none":
                    gap = (vae["AUPRC"] - other["AUPRC"]).mean()
                    beaten.append(f"{peer} {'met' if gap >= 0 else 'NOT met'} ({gap:+.3f})")
            verdicts.append(f"{classifier}, ratio {ratio:g}: " + "; ".join(beaten))
    return verdicts


def main() -> None:
    """Run every seed and print the tables, the per-seed wins and the verdict."""
    args = creditcard_arguments(__doc__.splitlines()[0])
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(1)
    data = load_creditcard(args.data, require_labels=True)
    X, y = data.X, pd.Series(data.y)
    methods = ["none", "SMOTE", VAE_NAME] + (list(SDV_MODELS) if sdv_available() else [])
    started, clock = time.strftime("%Y-%m-%d %H:%M"), time.perf_counter()
    loads = [os.getloadavg()[0]]
    rows = []
    for seed in range(args.seeds):
        rows.extend(run_seed(X, y, seed, methods))
        loads.append(os.getloadavg()[0])
        print(f"seed {seed} done after {time.perf_counter() - clock:.0f} s", flush=True)
    results = pd.DataFrame(rows)
    os.makedirs("bench/results", exist_ok=True)
    results.to_csv("bench/results/augmentation_per_seed.csv", index=False)

    print()
    print("Augmentation on the real sample: classifiers trained on real + synthetic frauds, tested on real")
    command = "OMP_WAIT_POLICY=PASSIVE .venv-bench/bin/python bench/augmentation.py"
    print(f"command: {command} --seeds {args.seeds}")
    print(f"{machine_line()}; started {started}; load average (1 min) {min(loads):.1f} to {max(loads):.1f}")
    print(f"versions: {package_versions()}")
    print(vae_defaults())
    print(
        f"data: {args.data.name}, {len(X):,} rows, {int(y.sum())} frauds; {args.seeds} seeds, "
        f"stratified 70/30 split per seed; synthetic frauds added to the training rows only, up to "
        f"{' or '.join(map(str, RATIOS))} frauds per normal row; thresholds for the last F1 chosen on "
        f"a 25% validation part of the training rows; torch at 1 thread; "
        f"{time.perf_counter() - clock:.0f} s in all"
    )
    if not sdv_available():
        print("SDV is not installed: no TVAE or CTGAN rows")
    if SDV_EPOCHS is not None:
        print(f"SDV's TVAE and CTGAN trained {SDV_EPOCHS} epochs ($GENFIN_SDV_EPOCHS), not their default 300")
    print()
    print_table(results, methods)
    print()
    print("Per seed, genfin VAE against each peer (positive: VAE higher):")
    print()
    verdicts = print_wins(results, methods, args.seeds)
    print()
    print("Target 'genfin VAE at least as good as SMOTE, TVAE and CTGAN' (mean AUPRC over seeds):")
    for line in verdicts:
        print(f"- {line}")


if __name__ == "__main__":
    main()
