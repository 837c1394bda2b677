"""``genfin latent map``: a 2-D map of a saved model's latent codes, with how faithful it is."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from genfin.models import ImageAutoencoder, load
from genfin.pipelines import map_latent_codes, read_images, read_transactions
from genfin.pipelines.latent import quality_table
from genfin.plots import save_figure

app = typer.Typer(
    help="Maps of what a model learned: t-SNE, UMAP or PCA of latent codes.", no_args_is_help=True
)


@app.command("map")
def map_command(
    model_path: Path = typer.Option(..., "--model", help="A model folder saved by genfin."),
    data: Path = typer.Option(
        ..., "--data", help="Rows to map: CSV, CSV.GZ or Parquet with the model's features."
    ),
    out: Path = typer.Option(..., "--out", help="Figure to write: .png, .svg or .pdf."),
    method: str = typer.Option("tsne", "--method", help="tsne, umap (needs genfin[umap]) or pca."),
    label_column: str = typer.Option(
        "Class", "--label-column", help="Colour points by this 0/1 column if present."
    ),
    time_column: str = typer.Option("Time", "--time-column"),
    max_points: int = typer.Option(
        50_000, "--max-points", help="Map at most this many rows (every fraud first, then others at random)."
    ),
    perplexity: float = typer.Option(30.0, "--perplexity", help="t-SNE perplexity (the book's 30)."),
    seed: int = typer.Option(0, "--seed"),
    coords_out: Path | None = typer.Option(
        None, "--coords-out", help="Also write the 2-D coordinates as CSV."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the quality measures as JSON."),
) -> None:
    """Embed the latent codes of --data in 2-D, save the figure, print the map's quality."""
    model = load(model_path)
    if isinstance(model, ImageAutoencoder):
        images = read_images(data, split="test")
        codes, labels, class_names = model.transform(images.images), images.labels, None
    else:
        transactions = read_transactions(data, label_column=label_column, time_column=time_column)
        codes = model.transform(transactions.X)
        labels = None if transactions.y is None else transactions.y.to_numpy()
        class_names = {0: "genuine", 1: "fraud"}
    params = {"perplexity": perplexity} if method == "tsne" else {}
    mapped = map_latent_codes(
        codes, labels, method=method, max_points=max_points, random_state=seed, **params
    )
    save_figure(mapped.figure, out)
    if coords_out is not None:
        frame = pd.DataFrame(mapped.map.coords, columns=["x", "y"])
        frame.insert(0, "row", mapped.rows + 1)
        if labels is not None:
            frame[label_column] = labels[mapped.rows]
        coords_out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(coords_out, index=False)
    table = quality_table(mapped.quality, class_names)
    if as_json:
        typer.echo(json.dumps({str(k): v for k, v in table.items()}, indent=2))
    else:
        for name, value in table.items():
            typer.echo(f"{name:<32} {value:.4f}" if isinstance(value, float) else f"{name:<32} {value}")
    typer.echo(f"map of {len(mapped.rows):,} rows written to {out}")
