"""``genfin image``: autoencoders for images (the book's MNIST models): train, score, show, traverse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import typer

from genfin.latent import principal_grid
from genfin.models import ImageAutoencoder, load
from genfin.pipelines import read_images
from genfin.plots import image_grid_figure, save_figure

app = typer.Typer(
    help="Image autoencoders: train, score, show reconstructions, traverse the latent space.",
    no_args_is_help=True,
)

DATA_HELP = "A folder with the four MNIST IDX files (.gz or raw), or 'sample' for 5,000 shipped real digits."


def _image_model(model_path: Path) -> ImageAutoencoder:
    model = load(model_path)
    if not isinstance(model, ImageAutoencoder):
        raise ValueError(f"{model_path} holds a {type(model).__name__}, not an image autoencoder")
    return model


@app.command("train")
def train(
    data: str = typer.Option("sample", "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help="Folder to save the model in."),
    architecture: str = typer.Option(
        "dense", "--architecture", help="dense (the book's 784-32-784) or conv."
    ),
    latent_dim: int = typer.Option(32, "--latent-dim", help="Size of the latent code."),
    epochs: int = typer.Option(
        50, "--epochs", help="The book's 50; lower it for the conv network on full MNIST."
    ),
    batch_size: int = typer.Option(256, "--batch-size"),
    learning_rate: float = typer.Option(1e-3, "--learning-rate"),
    seed: int | None = typer.Option(None, "--seed"),
    threads: int = typer.Option(2, "--threads", help="Torch threads; 1 is faster on a busy machine."),
    device: str = typer.Option("auto", "--device"),
    checkpoint_dir: Path | None = typer.Option(
        None, "--checkpoint-dir", help="Save state every epoch; rerunning the same command resumes."
    ),
    quiet: bool = typer.Option(False, "--quiet"),
) -> None:
    """Train an image autoencoder on the training split of --data and save it to --out."""
    images = read_images(data, split="train")
    model = ImageAutoencoder(
        architecture=architecture,
        latent_dim=latent_dim,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        random_state=seed,
        n_threads=threads,
        device=device,
        checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir),
        verbose=0 if quiet else 1,
    ).fit(images.images)
    model.save(out)
    last = model.history_[-1]
    typer.echo(f"trained on {len(images):,} images; last loss {last['loss']:.4f}; saved to {out}")


@app.command("score")
def score(
    model_path: Path = typer.Option(..., "--model", help="A folder saved by 'genfin image train'."),
    data: str = typer.Option("sample", "--data", help=DATA_HELP),
    split: str = typer.Option("test", "--split", help="train or test."),
    out: Path = typer.Option(..., "--out", help="CSV to write: image, label, score (higher = more unusual)."),
) -> None:
    """Score images by reconstruction error: images unlike the training digits score high."""
    model = _image_model(model_path)
    images = read_images(data, split=split)
    scores = model.score_samples(images.images)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"image": np.arange(len(images)), "label": images.labels, "score": scores}).to_csv(
        out, index=False
    )
    typer.echo(f"scored {len(images):,} images; mean score {scores.mean():.4f}; wrote {out}")


@app.command("show")
def show(
    model_path: Path = typer.Option(..., "--model", help="A folder saved by 'genfin image train'."),
    data: str = typer.Option("sample", "--data", help=DATA_HELP),
    out: Path = typer.Option(..., "--out", help="Figure to write: .png, .svg or .pdf."),
    n_images: int = typer.Option(8, "--n-images", help="How many test images to show."),
) -> None:
    """The book's figure: test images (top row) above their reconstructions (bottom row)."""
    model = _image_model(model_path)
    images = read_images(data, split="test").images[:n_images]
    originals = images.astype(np.float32) / 255.0
    grid = np.concatenate([originals, model.reconstruct(images)])
    titles = ["original"] + [""] * (len(images) - 1) + ["reconstruction"] + [""] * (len(images) - 1)
    save_figure(image_grid_figure(grid, n_cols=len(images), titles=titles), out)
    typer.echo(f"wrote {out}")


@app.command("traverse")
def traverse(
    model_path: Path = typer.Option(..., "--model", help="A folder saved by 'genfin image train'."),
    data: str = typer.Option("sample", "--data", help=DATA_HELP + " Its codes set the grid's directions."),
    out: Path = typer.Option(..., "--out", help="Figure to write: .png, .svg or .pdf."),
    steps: int = typer.Option(8, "--steps", help="Images per side of the grid."),
    span: float = typer.Option(
        2.0, "--span", help="How far to go along each direction, in standard deviations."
    ),
) -> None:
    """Decode a grid of latent codes along the two principal directions of the test images' codes."""
    model = _image_model(model_path)
    codes = model.transform(read_images(data, split="test").images)
    decoded = model.decode(principal_grid(codes, steps=steps, span=span))
    save_figure(image_grid_figure(decoded, n_cols=steps), out)
    typer.echo(f"wrote {out}")
