"""``genfin gan``: train a GAN on images or a table, and draw samples from a saved one."""

from __future__ import annotations

from pathlib import Path

import typer

from genfin.pipelines.gan import RECIPES, parse_tricks, sample_gan, train_gan
from genfin.training.device import PRECISIONS

app = typer.Typer(help="GANs: train on MNIST or a table, draw samples.", no_args_is_help=True)

DATA_HELP = (
    "An MNIST folder (the four IDX files) or 'sample' (5,000 shipped digits) for images; a CSV, CSV.GZ or "
    "Parquet file for a table."
)
_KINDS = ("auto", "image", "tabular")
_COLLAPSE = ("warn", "stop", "ignore")


def _choice(value: str, choices: tuple[str, ...] | list[str], option: str) -> str:
    if value not in choices:
        raise ValueError(f"{option}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def _class(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"--class: expected a class number (0/1, or a digit), got {text!r}") from None


@app.command("train")
def train(
    data: str = typer.Option(..., "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help="Folder to save the GAN in."),
    kind: str = typer.Option("auto", "--kind", help="image, tabular, or auto (from --data)."),
    label_column: str = typer.Option("Class", "--label-column", help="A table's 0/1 label column."),
    conditional: bool = typer.Option(
        False, "--conditional/--no-conditional", help="Condition on the labels (digits or the label column)."
    ),
    label: str | None = typer.Option(
        None, "--class", help="Train on the rows of one class only (e.g. 1, the frauds; or a digit)."
    ),
    epochs: int | None = typer.Option(
        None,
        "--epochs",
        min=1,
        help="Passes over the data (default 20, or more for at least 2,000 steps on few rows).",
    ),
    batch_size: int = typer.Option(128, "--batch-size", min=1),
    latent_dim: int | None = typer.Option(
        None, "--latent-dim", min=1, help="Latent size (default 100 for images, 32 for rows)."
    ),
    recipe: str = typer.Option(
        "genfin", "--recipe", help="Tricks: genfin (defaults), book (GANTricks.book()) or plain (none)."
    ),
    trick: list[str] = typer.Option(
        [], "--trick", help="Switch one trick, name=value (a GANTricks field); repeatable."
    ),
    collapse: str = typer.Option("warn", "--collapse", help="On a collapse: warn, stop or ignore."),
    samples_dir: Path | None = typer.Option(
        None, "--samples-dir", help="Write a grid of samples (CSV rows for tables) after every epoch."
    ),
    checkpoint_dir: Path | None = typer.Option(
        None, "--checkpoint-dir", help="Save state every epoch; rerunning the same command resumes."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="HTML report: losses, sample grids, synthetic rows against real ones."
    ),
    max_rows: int | None = typer.Option(
        None, "--max-rows", min=2, help="Train on a random subset of this many rows or images (quick runs)."
    ),
    seed: int | None = typer.Option(None, "--seed"),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="Torch threads (default 2 for images, 1 for rows)."
    ),
    precision: str = typer.Option(
        "float32",
        "--precision",
        help="float32, or bfloat16 mixed precision (about 1.6x faster on CPUs with AVX512-BF16 or AMX).",
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No training progress."),
) -> None:
    """Train a GAN on --data (the book's DCGAN for images, an MLP GAN for rows) and save it to --out."""
    # Everything a user can get wrong is checked before training.
    _choice(kind, _KINDS, "--kind")
    _choice(recipe, list(RECIPES), "--recipe")
    _choice(collapse, _COLLAPSE, "--collapse")
    _choice(precision, list(PRECISIONS), "--precision")
    tricks = parse_tricks(recipe, trick)
    label_value = _class(label)
    run = train_gan(
        data,
        out,
        kind=kind,
        label_column=label_column,
        conditional=conditional,
        label=label_value,
        max_rows=max_rows,
        tricks=tricks,
        epochs=epochs,
        batch_size=batch_size,
        latent_dim=latent_dim,
        collapse=collapse,
        samples_dir=samples_dir,
        checkpoint_dir=checkpoint_dir,
        report=report,
        random_state=seed,
        n_threads="auto" if threads is None else threads,
        precision=precision,
        verbose=0 if quiet else 1,
        log=lambda line: typer.echo(line, err=True),
    )
    model = run.model
    events = model.collapse_events_
    found = (
        "collapse detector off"
        if collapse == "ignore"
        else f"{len(events)} collapse event(s): "
        + ", ".join(f"{e['sign']} in epoch {e['epoch']}" for e in events)
        if events
        else "no collapse events"
    )
    typer.echo(
        f"trained a GAN on {run.data.description} for {len(model.history_)} epoch(s) in {run.seconds:.1f} s; "
        f"{found}"
    )
    typer.echo(f"model: {run.model_dir}")
    if samples_dir is not None:
        typer.echo(f"samples per epoch: {samples_dir}")
    if run.report is not None:
        typer.echo(f"report: {run.report}")


@app.command("sample")
def sample(
    model_path: Path = typer.Option(..., "--model", help="A folder saved by 'genfin gan train'."),
    n: int = typer.Option(..., "--n", min=1, help="How many samples."),
    out: Path = typer.Option(
        ..., "--out", help="Images: .png (a grid) or .npy; rows: .csv, .csv.gz, .parquet or .npy."
    ),
    label: str | None = typer.Option(
        None, "--class", help="The class to draw (a conditional GAN; or a one-class GAN's own class)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="The same seed gives the same samples."),
) -> None:
    """Draw --n samples from a saved GAN and write them to --out (rows in the training file's schema)."""
    written, what = sample_gan(model_path, n, out, label=label, random_state=seed)
    typer.echo(f"wrote {what} to {written}")
