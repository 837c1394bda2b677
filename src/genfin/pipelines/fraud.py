"""The fraud detection job: split, fit an autoencoder on unlabelled rows, evaluate, write a report.

This is what ``genfin demo`` runs. Labels are used only to choose the flagging threshold on a
validation split and to measure the result on held-out test rows; the autoencoder never sees them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from genfin.data import Transactions, make_transactions, stratified_split
from genfin.evaluate import detection_metrics
from genfin.models import AutoencoderDetector
from genfin.pipelines.data import read_transactions
from genfin.pipelines.latent import map_latent_codes, quality_table
from genfin.pipelines.synthetic_report import fraud_synthesis_section
from genfin.plots import (
    precision_recall_figure,
    reconstruction_figure,
    score_histogram_figure,
    training_curve_figure,
)
from genfin.report import Report

#: Share of the frauds the threshold must catch on the validation rows.
TARGET_RECALL = 0.8


@dataclass
class FraudReport:
    """What :func:`run_fraud_report` produced."""

    report_path: Path
    model_path: Path
    scores_path: Path
    metrics: pd.DataFrame
    model: AutoencoderDetector
    seconds: float
    notes: list[str] = field(default_factory=list)


def run_fraud_report(
    *,
    data: str | Path | None = None,
    out: str | Path = "genfin-demo",
    n_samples: int = 50_000,
    test_size: float = 0.3,
    epochs: int = 20,
    random_state: int = 0,
    verbose: int = 1,
    log: Callable[[str], None] | None = None,
) -> FraudReport:
    """Train and evaluate an autoencoder fraud detector and write an HTML report.

    Parameters
    ----------
    data
        A labelled transaction file (CSV, CSV.GZ or Parquet with a ``Class`` column); ``None`` uses
        the built-in synthetic transactions (:func:`genfin.data.make_transactions`).
    out
        Folder for ``report.html``, the saved ``model/`` and ``test_scores.csv``.
    n_samples
        Rows of built-in data to generate (ignored with ``data``).
    test_size
        Share of the rows held out for testing, stratified by class.
    epochs
        Training epochs of the autoencoder.
    random_state
        Seed of the data, the splits and the models.
    verbose
        1 shows training progress.
    log
        Called with one line per step (the command line prints them); ``None`` is silent.
    """
    started = time.perf_counter()
    say = log or (lambda line: None)
    out = Path(out)
    transactions = (
        make_transactions(n_samples=n_samples, random_state=random_state)
        if data is None
        else read_transactions(data, require_labels=True)
    )
    X, y = transactions.X, transactions.y
    say(f"data: {len(X):,} rows, {int(y.sum()):,} frauds ({y.mean():.2%}) from {transactions.source}")

    X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=test_size, random_state=random_state)
    X_fit, X_val, _, y_val = stratified_split(X_train, y_train, test_size=0.2, random_state=random_state)
    say(f"split: {len(X_fit):,} rows to fit, {len(X_val):,} to choose the threshold, {len(X_test):,} to test")

    model = AutoencoderDetector(epochs=epochs, random_state=random_state, verbose=verbose).fit(X_fit)
    model.tune_threshold(X_val, y_val, recall=TARGET_RECALL)
    scores = model.score_samples(X_test)

    forest = IsolationForest(random_state=random_state, n_jobs=1).fit(X_fit)
    forest_scores = -forest.score_samples(X_test)

    k = min(100, len(y_test))
    metrics = pd.DataFrame(
        {
            "genfin AutoencoderDetector": detection_metrics(y_test, scores, threshold=model.threshold_, k=k),
            "scikit-learn IsolationForest": detection_metrics(y_test, forest_scores, k=k),
        }
    ).T
    say(f"test AUPRC {metrics.iloc[0]['auprc']:.3f} (IsolationForest {metrics.iloc[1]['auprc']:.3f})")

    out.mkdir(parents=True, exist_ok=True)
    model_path = model.save(out / "model")
    scores_path = out / "test_scores.csv"
    pd.DataFrame(
        {"row": X_test.index, "score": scores, "flagged": model.predict(X_test), "label": y_test.to_numpy()}
    ).to_csv(scores_path, index=False)

    report = build_report(
        transactions,
        model,
        X_test,
        y_test,
        scores,
        forest_scores,
        metrics,
        k=k,
        data=data,
        X_train=X_train,
        y_train=y_train,
        random_state=random_state,
    )
    seconds = time.perf_counter() - started
    report.add_section("Run").table(
        {
            "seconds": round(seconds, 1),
            "random_state": random_state,
            "epochs": epochs,
            "command": _command(data),
        }
    )
    report_path = report.write(out / "report.html")
    return FraudReport(report_path, model_path, scores_path, metrics, model, seconds)


def _command(data: str | Path | None) -> str:
    return "genfin demo" + (f" --data {data}" if data is not None else "")


def build_report(
    transactions: Transactions,
    model: AutoencoderDetector,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    scores: np.ndarray,
    baseline_scores: np.ndarray,
    metrics: pd.DataFrame,
    *,
    k: int,
    data: str | Path | None,
    X_train: pd.DataFrame | None = None,
    y_train: pd.Series | None = None,
    random_state: int = 0,
) -> Report:
    """The fraud report: data, training, detection on held-out rows, why rows were flagged, the map.

    With the training rows (``X_train`` and ``y_train``) it ends with synthetic frauds: a VAE fitted
    on the training frauds, judged against them (:func:`fraud_synthesis_section`, seeded by
    ``random_state``); without them that section is left out.
    """
    synthetic = data is None
    report = Report(
        "genfin fraud detection report",
        subtitle="Autoencoder anomaly detection on "
        + ("built-in synthetic transactions" if synthetic else "your transactions"),
    )
    y = transactions.y
    section = report.add_section(
        "Data",
        "Built-in SYNTHETIC transactions (genfin.data.make_transactions): the credit card schema with "
        "planted fraud patterns, for demonstration only."
        if synthetic
        else f"Transactions read from {transactions.source}.",
    )
    section.table(
        {
            "rows": len(y),
            "features": transactions.X.shape[1],
            "frauds": int(y.sum()),
            "fraud rate": float(y.mean()),
        }
    )

    report.add_section(
        "Training",
        "The autoencoder learned to reconstruct the training rows without their labels. Unlabelled "
        "data holds frauds that it should not learn to reconstruct, so halfway through a round the "
        "worst-reconstructed rows were dropped (dotted lines), and a second network was trained from "
        "fresh weights on the rows the first reconstructed best (dashed line).",
    ).figure(training_curve_figure(model.history_), caption="Reconstruction loss per epoch")

    section = report.add_section(
        "Detection on held-out rows",
        f"Scores on the {len(y_test):,} test rows, never seen in training. The threshold was chosen on "
        f"separate validation rows to catch {TARGET_RECALL:.0%} of their frauds. IsolationForest, fitted "
        "on the same rows, is the reference.",
    )
    section.table(metrics, caption=f"precision_at_k with k = {k}; recall_at_fpr at a 1% false-positive rate")
    section.figure(
        precision_recall_figure(y_test, {"autoencoder": scores, "IsolationForest": baseline_scores}),
        caption="Precision against recall on the test rows",
    )
    section.figure(
        score_histogram_figure(scores, y_test, threshold=model.threshold_),
        caption="Reconstruction error by class, with the flagging threshold",
    )

    errors = model.feature_errors(X_test)
    flagged_frauds = np.flatnonzero(y_test.to_numpy() == 1)
    section = report.add_section(
        "Why a transaction was flagged",
        "The autoencoder's reconstruction of the highest-scoring test fraud over its original values "
        "(scaled to [0, 1]). Features it could not rebuild carry the anomaly.",
    )
    if flagged_frauds.size:
        top = flagged_frauds[np.argmax(scores[flagged_frauds])]
        row = X_test.iloc[[top]]
        section.figure(
            reconstruction_figure(
                model.scaler_.transform(row)[0],
                model.scaler_.transform(model.reconstruct(row))[0],
                list(X_test.columns),
                errors=errors.iloc[top].to_numpy(),
                title=f"test row {X_test.index[top]}: score {scores[top]:.4g}",
            )
        )
    worst = np.argsort(-scores)[:10]
    section.table(
        pd.DataFrame(
            {
                "row": X_test.index[worst],
                "score": scores[worst],
                "fraud": y_test.to_numpy()[worst],
                "top features": [", ".join(errors.iloc[i].nlargest(3).index) for i in worst],
            }
        ),
        caption="The ten highest-scoring test rows and the features they were worst reconstructed on",
    )
    latent_section(report, model, X_test, y_test)
    if X_train is not None and y_train is not None:
        fraud_synthesis_section(report, X_train, y_train, X_test, y_test, random_state=random_state)
    return report


#: Test rows mapped in the report: all frauds first, then genuine rows, so the map takes seconds.
MAP_POINTS = 5_000


def latent_section(
    report: Report, model: AutoencoderDetector, X_test: pd.DataFrame, y_test: pd.Series
) -> None:
    """Add the book's map: t-SNE of the test rows' latent codes, frauds red, with how faithful it is."""
    mapped = map_latent_codes(
        model.transform(X_test), y_test.to_numpy(), method="tsne", max_points=MAP_POINTS, random_state=0
    )
    section = report.add_section(
        "What the autoencoder learned",
        f"A t-SNE map of the {model.module_.latent_dim}-dimensional latent codes of "
        f"{len(mapped.rows):,} test rows (every fraud, then genuine rows at random), learned without "
        "labels. Frauds that gather apart from the genuine crowd are what the book shows. "
        "Trustworthiness near 1 means points close on the map are close in the code space; fraud "
        "purity is the share of a fraud's 10 nearest map neighbours that are frauds too.",
    )
    section.figure(mapped.figure, caption="Latent codes of test rows: frauds red, genuine blue")
    section.table(
        quality_table(mapped.quality, {0: "genuine", 1: "fraud"}), caption="How faithful the map is"
    )
