"""``genfin synth``: write synthetic rows of one class, with the schema of a real file, to CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import typer

from genfin.pipelines.data import read_transactions
from genfin.pipelines.synth import synthesize, table_format, write_table
from genfin.pipelines.synthetic_report import write_synthetic_report


def _label(text: str) -> int | None:
    choices = {"0": 0, "1": 1, "all": None}
    if text.lower() not in choices:
        raise typer.BadParameter(f"expected 1 (fraud), 0 (normal) or all, got {text!r}")
    return choices[text.lower()]


def synth(
    data: Path = typer.Option(
        ..., "--data", help="Real transactions (CSV, CSV.GZ or Parquet) to imitate and take the schema from."
    ),
    rows: int = typer.Option(..., "--rows", min=1, help="How many synthetic rows to write."),
    out: Path = typer.Option(..., "--out", help="File to write: .csv, .csv.gz or .parquet."),
    label_column: str = typer.Option("Class", "--label-column", help="The 0/1 label column."),
    label: str = typer.Option(
        "1", "--class", help="Class to imitate: 1 (fraud), 0, or all (every row; no label column written)."
    ),
    time_column: str = typer.Option(
        "Time", "--time-column", help="Column kept out of the features; drawn from the class's real times."
    ),
    drop_time: bool = typer.Option(False, "--drop-time", help="Leave the time column out of --out."),
    model: Path | None = typer.Option(
        None, "--model", help="Sample a VAE saved by --save-model instead of fitting one."
    ),
    save_model: Path | None = typer.Option(None, "--save-model", help="Folder to save the fitted VAE in."),
    epochs: int | None = typer.Option(
        None,
        "--epochs",
        min=1,
        help="Training epochs of the VAE (default: 20, or more for at least 2,000 steps on few rows).",
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed for reproducible rows."),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="Also write an HTML report judging the rows against the real rows of the class "
        "(fidelity and detection metrics, marginal overlays, correlation heatmaps).",
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No training progress."),
) -> None:
    """Fit a VAE on one class of --data and write --rows synthetic rows with the file's columns to --out."""
    # Checked before any fitting: a run should not train for minutes and then fail to write.
    table_format(out)
    if model is not None and (save_model is not None or epochs is not None):
        raise typer.BadParameter("--model samples a saved VAE; --save-model and --epochs are for fitting one")
    frame = synthesize(
        data,
        rows,
        label_column=label_column,
        label=_label(label),
        time_column=time_column,
        keep_time=not drop_time,
        model=model,
        epochs=epochs,
        save_model=save_model,
        random_state=seed,
        verbose=0 if quiet else 1,
        log=typer.echo,
    )
    written = write_table(frame, out)
    typer.echo(f"wrote {len(frame):,} SYNTHETIC rows, {frame.shape[1]} columns, to {written}")
    if report is not None:
        real = read_transactions(data, label_column=label_column, time_column=time_column)
        target = _label(label)
        real_rows = real.X if target is None or real.y is None else real.X[real.y.to_numpy() == target]
        path = write_synthetic_report(
            real_rows,
            frame[list(real.X.columns)],
            report,
            title="genfin synthetic data report",
            subtitle=f"{len(frame):,} synthetic rows against the {len(real_rows):,} real rows they imitate, "
            f"from {data}",
            random_state=seed,
        )
        typer.echo(f"report: {path}")
