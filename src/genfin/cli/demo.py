"""``genfin demo``: the main job on built-in data, or on your own labelled file."""

from __future__ import annotations

from pathlib import Path

import typer

from genfin.pipelines import run_fraud_report


def demo(
    data: Path | None = typer.Option(
        None,
        "--data",
        help="Labelled transactions (CSV, CSV.GZ or Parquet with a Class column). "
        "Default: built-in synthetic transactions.",
    ),
    out: Path = typer.Option(
        Path("genfin-demo"), "--out", help="Folder for report.html, model/ and test_scores.csv."
    ),
    n_samples: int = typer.Option(50_000, "--n-samples", help="Rows of built-in data to generate."),
    epochs: int = typer.Option(20, "--epochs", help="Training epochs of the autoencoder."),
    seed: int = typer.Option(0, "--seed", help="Seed of the data, splits and models."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Train an autoencoder fraud detector, evaluate it on held-out rows and write an HTML report."""
    log = None if quiet else typer.echo
    result = run_fraud_report(
        data=data,
        out=out,
        n_samples=n_samples,
        epochs=epochs,
        random_state=seed,
        verbose=0 if quiet else 1,
        log=log,
    )
    typer.echo(f"report: {result.report_path.resolve()}")
    if not quiet:
        typer.echo(
            f"model:  {result.model_path.resolve()}  (score new data: genfin detect score --model ...)"
        )
        typer.echo(f"done in {result.seconds:.1f} s")
