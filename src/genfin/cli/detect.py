"""``genfin detect``: train an autoencoder fraud detector, score files with it, evaluate it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from genfin.cli._text import metric_lines
from genfin.models import AutoencoderDetector, load
from genfin.pipelines import read_transactions

app = typer.Typer(help="Autoencoder fraud detection: train, score, evaluate.", no_args_is_help=True)

DATA_HELP = "Transactions: CSV, CSV.GZ or Parquet. Every column but the label and time columns is a feature."


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated widths such as 64,12, got {text!r}") from None
    return sizes


@app.command("train")
def train(
    data: Path = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help="Folder to save the model in."),
    label_column: str = typer.Option(
        "Class", "--label-column", help="0/1 label column, if the file has one."
    ),
    time_column: str = typer.Option("Time", "--time-column", help="Time column kept out of the features."),
    use_labels: bool = typer.Option(
        True, "--use-labels/--ignore-labels", help="With labels in the file, learn the normal rows only."
    ),
    hidden: str = typer.Option("12", "--hidden", help="Encoder widths, the last is the code: 12 or 64,12."),
    activation: str = typer.Option("tanh", "--activation", help="tanh, relu, leaky_relu, elu or gelu."),
    scaler: str = typer.Option("minmax", "--scaler", help="minmax, standard or none."),
    epochs: int = typer.Option(20, "--epochs"),
    batch_size: int = typer.Option(128, "--batch-size"),
    learning_rate: float = typer.Option(1e-3, "--learning-rate"),
    trim_fraction: float = typer.Option(
        0.05,
        "--trim-fraction",
        help="Share of worst-reconstructed rows dropped halfway (unlabelled training).",
    ),
    contamination: float = typer.Option(0.01, "--contamination", help="Share of training rows flagged."),
    seed: int | None = typer.Option(None, "--seed", help="Seed for a reproducible model."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    checkpoint_dir: Path | None = typer.Option(
        None, "--checkpoint-dir", help="Save state every epoch; rerunning the same command resumes."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Train an autoencoder on the transactions in --data and save it to --out."""
    transactions = read_transactions(data, label_column=label_column, time_column=time_column)
    model = AutoencoderDetector(
        hidden_layer_sizes=_hidden_sizes(hidden),
        activation=activation,
        output_activation="sigmoid" if scaler == "minmax" else "linear",
        scaler=scaler,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        trim_fraction=trim_fraction,
        contamination=contamination,
        random_state=seed,
        device=device,
        checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir),
        verbose=0 if quiet else 1,
    )
    labels = transactions.y if use_labels else None
    model.fit(transactions.X, labels)
    model.save(out)
    rows = "normal rows" if labels is not None else "rows (labels not used)"
    typer.echo(f"trained on {len(transactions):,} {rows}; threshold {model.threshold_:.6g}; saved to {out}")


@app.command("score")
def score(
    model_path: Path = typer.Option(..., "--model", help="A model folder saved by 'genfin detect train'."),
    data: Path = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help="CSV to write: row, score, flagged, and the top features."),
    label_column: str = typer.Option("Class", "--label-column"),
    time_column: str = typer.Option("Time", "--time-column"),
    top_features: int = typer.Option(
        3, "--top-features", help="How many worst-reconstructed features to list."
    ),
) -> None:
    """Score every row of --data: higher is more anomalous; 'flagged' is 1 above the model's threshold."""
    model = load(model_path)
    transactions = read_transactions(data, label_column=label_column, time_column=time_column)
    X = transactions.X
    scores = model.score_samples(X)
    result = pd.DataFrame({"row": np.arange(1, len(X) + 1), "score": scores, "flagged": model.predict(X)})
    if top_features > 0:
        errors = model.feature_errors(X)
        columns = np.asarray(errors.columns)
        worst = np.argsort(-errors.to_numpy(), axis=1)[:, :top_features]
        result["top_features"] = [" ".join(names) for names in columns[worst]]
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False)
    typer.echo(f"scored {len(X):,} rows, {int(result['flagged'].sum()):,} flagged; wrote {out}")


@app.command("evaluate")
def evaluate(
    model_path: Path = typer.Option(..., "--model", help="A model folder saved by 'genfin detect train'."),
    data: Path = typer.Option(..., "--data", help="Labelled transactions not used in training."),
    label_column: str = typer.Option("Class", "--label-column"),
    time_column: str = typer.Option("Time", "--time-column"),
    k: int = typer.Option(100, "--k", help="Review-queue size for precision at k."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Detection metrics of a saved model on labelled data: AUPRC, ROC-AUC, precision at k, ..."""
    from genfin.evaluate import detection_metrics

    model = load(model_path)
    transactions = read_transactions(
        data, label_column=label_column, time_column=time_column, require_labels=True
    )
    scores = model.score_samples(transactions.X)
    metrics = detection_metrics(transactions.y, scores, threshold=model.threshold_, k=min(k, len(scores)))
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    for line in metric_lines(metrics):
        typer.echo(line)
