"""``genfin semi``: semi-supervised fraud detection with few labels, the SGAN against its alternatives."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from genfin.cli._text import metric_lines
from genfin.pipelines.semi import METHODS, SemiResult, parse_methods, run_semi
from genfin.pipelines.semi_score import THRESHOLD, score_with_sgan, write_scores

app = typer.Typer(
    help="Semi-supervised learning with few labels: train and compare, score with the saved SGAN.",
    no_args_is_help=True,
)

_NAMES = {
    "auprc": "AUPRC",
    "roc_auc": "ROC-AUC",
    "f1": "F1",
    "precision": "precision",
    "recall": "recall",
    "precision_at_k": "prec@k",
    "fit_seconds": "fit s",
}


def metrics_text(metrics: pd.DataFrame) -> str:
    """The metrics table as aligned plain text, one line per method."""
    rows = [["method", *(_NAMES.get(c, c) for c in metrics.columns)]]
    for method, values in metrics.iterrows():
        cells = [f"{v:.1f}" if c == "fit_seconds" else f"{v:.4f}" for c, v in values.items()]
        rows.append([METHODS.get(str(method), str(method)), *cells])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(lines)


def _as_json(result: SemiResult) -> str:
    metrics = {
        method: {name: float(value) for name, value in values.items()}
        for method, values in result.metrics.iterrows()
    }
    return json.dumps(
        {
            "data": str(result.source),
            "labels_from_file": result.labels_from_file,
            "n_train": len(result.train_rows),
            "n_labelled": result.n_labelled,
            "n_labelled_frauds": result.n_labelled_frauds,
            "n_unlabelled": result.n_unlabelled,
            "n_test": len(result.test_rows),
            "n_test_frauds": int(result.y_test.sum()),
            "metrics": metrics,
            "model": None if result.model_out is None else str(result.model_out),
            "report": None if result.report is None else str(result.report),
        },
        indent=2,
    )


@app.command("train")
def train(
    data: Path = typer.Option(
        ...,
        "--data",
        help="Labelled transactions (CSV, CSV.GZ or Parquet); the label column may mark unlabelled rows -1.",
    ),
    labels: int | None = typer.Option(
        None,
        "--labels",
        help="Labelled training rows to keep, stratified, at least 2 per class (default 300; for a file "
        "with -1 labels, all of its training labels).",
    ),
    label_column: str = typer.Option("Class", "--label-column", help="The label column: 1, 0, or -1."),
    time_column: str = typer.Option("Time", "--time-column", help="Column kept out of the features."),
    methods: str = typer.Option(
        "sgan,pseudo,supervised", "--methods", help="Comma-separated: sgan, pseudo, supervised."
    ),
    test_size: float = typer.Option(0.3, "--test-size", help="Share of labelled rows held out for testing."),
    epochs: int | None = typer.Option(None, "--epochs", help="The SGAN's epochs (default 50)."),
    members: int | None = typer.Option(
        None,
        "--members",
        help="The SGAN's cross-fitted members, each holding out its own share of the labels; the "
        "shares, pooled, choose one epoch for all (default 5; 1 is five times faster).",
    ),
    steps_per_epoch: int | None = typer.Option(
        None,
        "--steps-per-epoch",
        help="The SGAN's steps per epoch at most, each epoch on a fresh draw of rows (default: one pass "
        "over the training rows). For large files: 120 gives the full card file the card sample's epochs.",
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seeds the split, the labels kept and every model."),
    out: Path | None = typer.Option(None, "--out", help="Folder to save the fitted SGAN in."),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="HTML report: the metrics, precision-recall curves, the SGAN's progress, pseudo-label rounds.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the rows used and the metrics as JSON."),
    quiet: bool = typer.Option(False, "--quiet", help="No training progress."),
) -> None:
    """Keep --labels labels of the training rows, fit each method, and print their test metrics."""
    # Options are checked in run_semi before the file is read; the file before any fitting.
    parse_methods(methods)
    result = run_semi(
        data,
        labels=labels,
        label_column=label_column,
        time_column=time_column,
        methods=methods,
        test_size=test_size,
        epochs=epochs,
        members=members,
        steps_per_epoch=steps_per_epoch,
        seed=seed,
        report=report,
        model_out=out,
        verbose=0 if quiet else 1,
        log=None if quiet else (lambda line: typer.echo(line, err=True)),
    )
    if as_json:
        typer.echo(_as_json(result))
        return
    typer.echo(result.describe())
    typer.echo(metrics_text(result.metrics))
    if result.model_out is not None:
        typer.echo(f"SGAN saved to {result.model_out}")
    if result.report is not None:
        typer.echo(f"report: {result.report}")


@app.command("score")
def score(
    model_path: Path = typer.Option(..., "--model", help="A folder saved by 'genfin semi train --out'."),
    data: Path = typer.Option(
        ...,
        "--data",
        help="Transactions (CSV, CSV.GZ or Parquet) with the training columns; a label column (1, 0 or -1) "
        "is optional and, when there, judges the scores.",
    ),
    out: Path = typer.Option(..., "--out", help="CSV to write: row, fraud_probability, flagged."),
    label_column: str = typer.Option(
        "Class", "--label-column", help="The label column, if the file has one."
    ),
    time_column: str = typer.Option("Time", "--time-column", help="Column kept out of the features."),
    k: int = typer.Option(100, "--k", help="Review-queue size for precision at k."),
    threshold: float = typer.Option(
        THRESHOLD,
        "--threshold",
        help="Flag a row when its fraud probability is above this (0.5: the SGAN's own decision).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts and metrics as JSON."),
) -> None:
    """Score every row of --data with a saved SGAN: its fraud probability, flagged above --threshold."""
    result = score_with_sgan(
        model_path, data, label_column=label_column, time_column=time_column, k=k, threshold=threshold
    )
    written = write_scores(result, out)
    if as_json:
        summary = {
            "data": result.source,
            "n": len(result.scores),
            "n_flagged": result.n_flagged,
            "threshold": result.threshold,
            "scores": str(written),
            "metrics": result.metrics,
            "no_metrics_reason": result.no_metrics_reason,
        }
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(
        f"scored {len(result.scores):,} rows, {result.n_flagged:,} flagged (fraud probability above "
        f"{result.threshold:g}); wrote {written}"
    )
    if result.no_metrics_reason is not None:
        typer.echo(f"no metrics: {result.no_metrics_reason}")
    if result.metrics is not None:
        typer.echo("on the labelled rows:")
        for line in metric_lines(result.metrics, indent="  "):
            typer.echo(line)
