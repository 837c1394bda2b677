"""GAN jobs: train on images or a table and sample to files, as ``genfin gan train`` and ``sample`` do.

Next to the model folder, :func:`train_gan` writes ``training_data.json``: where the data came from,
the class trained on, and for tables the file's columns with their dtypes and signs, so that
sampled rows come back in the training file's schema (integer columns rounded, no negative values
in a column that had none). Reading the training data is in :mod:`genfin.pipelines.gan_data`, the
report of a fitted GAN in :mod:`genfin.pipelines.gan_report`.
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genfin.data.tables import SUFFIXES
from genfin.exceptions import DataValidationError
from genfin.models import GAN, load
from genfin.pipelines.augment import conform_samples
from genfin.pipelines.gan_data import GANData, read_gan_data
from genfin.pipelines.gan_data import data_kind as data_kind  # re-exported: it used to live here
from genfin.pipelines.gan_report import write_gan_report
from genfin.pipelines.synth import table_format, write_table
from genfin.plots import (
    image_grid_figure,
    save_figure,
)
from genfin.training.collapse import GANCollapseWarning
from genfin.training.gan_tricks import GANTricks

__all__ = [
    "GANData",
    "GANRun",
    "RECIPES",
    "TRAINING_FILE",
    "load_gan",
    "parse_tricks",
    "read_gan_data",
    "sample_format",
    "sample_gan",
    "train_gan",
]

#: The file next to the model's own two that records what the GAN was trained on.
TRAINING_FILE = "training_data.json"
#: ``--recipe`` names and the tricks they stand for.
RECIPES: dict[str, Callable[[], GANTricks]] = {
    "genfin": GANTricks,
    "book": GANTricks.book,
    "plain": GANTricks.plain,
}
_IMAGE_FORMATS = (".png", ".svg", ".pdf", ".npy")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


# ---------------------------------------------------------------------------- tricks


def parse_tricks(recipe: str = "genfin", overrides: Sequence[str] = ()) -> GANTricks:
    """The tricks of a recipe (``genfin``, ``book`` or ``plain``) with single fields switched.

    Parameters
    ----------
    recipe
        ``"genfin"`` (``GANTricks()``), ``"book"`` (``GANTricks.book()``) or ``"plain"``
        (``GANTricks.plain()``).
    overrides
        ``"name=value"`` strings, one field of :class:`~genfin.training.gan_tricks.GANTricks` each;
        the value is read by the field's type (``true``/``false`` for switches, ``none`` where None
        is allowed).

    Raises
    ------
    ValueError
        For an unknown recipe or field (naming the valid ones), a value of the wrong type, or one
        ``GANTricks`` refuses.
    """
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    fields = {f.name: f for f in dataclasses.fields(GANTricks)}
    changes: dict[str, Any] = {}
    for text in overrides:
        name, sep, value = (part.strip() for part in text.partition("="))
        if not sep or not name:
            raise ValueError(f"--trick takes name=value, got {text!r}")
        if name not in fields:
            raise ValueError(f"unknown trick {name!r}; valid names: {', '.join(fields)}")
        changes[name] = _trick_value(name, str(fields[name].type), fields[name].default, value)
    try:
        return dataclasses.replace(RECIPES[recipe](), **changes)
    except ValueError as exc:
        raise ValueError(f"--trick: {exc}") from None


def _trick_value(name: str, annotation: str, default: Any, value: str) -> Any:
    lower = value.lower()
    if lower == "none" and "None" in annotation:
        return None
    try:
        if isinstance(default, bool) or annotation == "bool":
            if lower in _TRUE | _FALSE:
                return lower in _TRUE
            raise ValueError
        if annotation.startswith("int") or (isinstance(default, int) and not isinstance(default, bool)):
            return int(value)
        if annotation.startswith("float") or isinstance(default, float):
            return float(value)
    except ValueError:
        expected = "true or false" if annotation == "bool" else annotation.replace(" | None", " or none")
        raise ValueError(f"--trick {name}: expected {expected}, got {value!r}") from None
    return value


# ---------------------------------------------------------------------------- training


@dataclass(frozen=True, eq=False)
class GANRun:
    """A finished ``train_gan``: the model, its data, how long it took and what was written."""

    model: GAN
    data: GANData
    seconds: float
    model_dir: Path
    report: Path | None


def train_gan(
    data: str | PathLike[str],
    out: str | PathLike[str],
    *,
    kind: str = "auto",
    label_column: str = "Class",
    conditional: bool = False,
    label: int | None = None,
    max_rows: int | None = None,
    tricks: GANTricks | None = None,
    epochs: int | None = None,
    batch_size: int = 128,
    latent_dim: int | None = None,
    collapse: str = "warn",
    samples_dir: str | PathLike[str] | None = None,
    checkpoint_dir: str | PathLike[str] | None = None,
    report: str | PathLike[str] | None = None,
    random_state: int | None = None,
    n_threads: int | str | None = "auto",
    precision: str = "float32",
    verbose: int = 0,
    log: Callable[[str], None] | None = None,
) -> GANRun:
    """Read the data, fit a :class:`genfin.GAN`, save it to ``out`` and optionally write its report.

    Parameters
    ----------
    data, kind, label_column, conditional, label, max_rows
        As for :func:`read_gan_data`.
    out
        The model folder to write (``genfin.load`` reads it back), with ``training_data.json``.
    tricks
        The training tricks; None is ``GANTricks()``.
    epochs
        Passes over the data; None is the GAN's default (20).
    batch_size, latent_dim, collapse
        The GAN's hyperparameters of those names.
    samples_dir
        Folder for the per-epoch sample grids (PNG) or rows (CSV).
    checkpoint_dir
        Folder for the training state after every epoch; rerunning with the same settings resumes.
    report
        An HTML file for :func:`write_gan_report`, the samples judged against the training data.
    random_state
        Seeds the subset, the GAN and the report's samples.
    n_threads
        Torch threads; ``"auto"`` is the GAN's choice.
    precision
        ``"float32"`` or ``"bfloat16"`` (mixed precision, faster on CPUs with native bfloat16).
    verbose
        1 shows a progress bar per epoch.
    log
        Called with one line for each collapse warning (instead of Python's warning output).

    Returns
    -------
    GANRun
        The fitted model and what was written.

    Raises
    ------
    DataValidationError, ValueError
        For bad data or options, before any training.
    """
    if report is not None and Path(report).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{report}: the report is an HTML file; end its name in .html")
    if Path(out).is_file():
        raise ValueError(f"{out} is a file; --out names the folder to save the model in")
    gan_data = read_gan_data(
        data,
        kind=kind,
        label_column=label_column,
        conditional=conditional,
        label=label,
        max_rows=max_rows,
        random_state=random_state,
    )
    params: dict[str, Any] = {
        "kind": gan_data.kind,
        "batch_size": batch_size,
        "latent_dim": latent_dim,
        "tricks": tricks,
        "collapse": collapse,
        "random_state": random_state,
        "n_threads": n_threads,
        "precision": precision,
        "verbose": verbose,
        "sample_dir": None if samples_dir is None else str(samples_dir),
        "checkpoint_dir": None if checkpoint_dir is None else str(checkpoint_dir),
    }
    if epochs is not None:
        params["epochs"] = epochs
    model = GAN(**params)
    say = log or (lambda line: None)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("always", GANCollapseWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if log is not None and issubclass(category, GANCollapseWarning):
                say(f"warning: {message}")
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        model.fit(gan_data.X, gan_data.y)
    seconds = time.perf_counter() - start
    model_dir = model.save(out)
    (Path(model_dir) / TRAINING_FILE).write_text(json.dumps(gan_data.info, indent=2) + "\n", encoding="utf-8")
    written = None
    if report is not None:
        written = write_gan_report(
            model,
            report,
            real=gan_data.real,
            data=gan_data.description,
            random_state=0 if random_state is None else random_state,
        )
    return GANRun(model=model, data=gan_data, seconds=seconds, model_dir=Path(model_dir), report=written)


# ---------------------------------------------------------------------------- sampling


def load_gan(path: str | PathLike[str]) -> tuple[GAN, dict[str, Any] | None]:
    """A GAN saved to a folder, and what ``train_gan`` recorded of its data (None when it did not).

    Raises
    ------
    ValueError
        If the folder holds another model; :class:`~genfin.exceptions.ModelFileError` if it holds none.
    """
    model = load(path)
    if not isinstance(model, GAN):
        raise ValueError(
            f"{path} holds a {type(model).__name__}, not a GAN (train one with 'genfin gan train')"
        )
    file = Path(path) / TRAINING_FILE
    info = None
    if file.is_file():
        try:
            info = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataValidationError(f"corrupt JSON ({exc})", source=str(file)) from exc
    return model, info


def sample_format(out: str | PathLike[str], kind: str) -> str:
    """The format samples of a GAN of ``kind`` are written in, from the name of ``out``.

    Images: ``.png``, ``.svg`` or ``.pdf`` (a grid) or ``.npy`` (the array). Tables: ``.csv``,
    ``.csv.gz``, ``.parquet`` (the training file's schema) or ``.npy``.

    Raises
    ------
    ValueError
        For any other ending.
    """
    name = str(out).lower()
    if name.endswith(".npy"):
        return "npy"
    if kind == "image":
        suffix = Path(name).suffix
        if suffix not in _IMAGE_FORMATS:
            raise ValueError(f"{out}: images are written as {', '.join(_IMAGE_FORMATS)}")
        return suffix.lstrip(".")
    try:
        return table_format(out)
    except ValueError:
        raise ValueError(f"{out}: rows are written as {', '.join(SUFFIXES)} or .npy") from None


def sample_gan(
    model_path: str | PathLike[str],
    n: int,
    out: str | PathLike[str],
    *,
    label: Any = None,
    random_state: int | None = None,
) -> tuple[Path, str]:
    """Draw ``n`` samples of a saved GAN and write them to ``out`` (format by its name).

    Images go to a grid (PNG, SVG, PDF) or a ``float32`` ``(n, height, width)`` array in [0, 1]
    (``.npy``). Rows go to a table with the training file's columns and dtypes (integer columns
    rounded, values below 0 clipped to 0 where the real column had none below 0), plus the label
    column when the GAN is conditional or was trained on one class; or to a float64 ``.npy`` array.

    Parameters
    ----------
    model_path
        A folder written by :func:`train_gan` (or ``GAN.save``).
    n
        How many samples.
    out
        The file to write.
    label
        The class to draw (a conditional GAN), or the class a one-class GAN was trained on.
    random_state
        Seed; the same seed gives the same samples.

    Returns
    -------
    tuple of (Path, str)
        The file written and a one-line description of it.

    Raises
    ------
    ValueError
        For a bad ``n``, ``out`` or ``label``, or a folder that holds no GAN; all before sampling.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    model, info = load_gan(model_path)
    fmt = sample_format(out, model.kind_)
    info = info or {}
    trained_class = info.get("class")
    y = None
    if label is not None:
        if model.classes_ is not None:
            y = _as_class(label, model.classes_)
        elif trained_class is None or str(label) != str(trained_class):
            only = "" if trained_class is None else f" (it was trained on class {trained_class} only)"
            raise ValueError(
                f"the GAN in {model_path} is not conditional, so it cannot sample class {label}{only}"
            )
    samples, labels = model.sample(n, y=y, random_state=random_state, return_labels=True)
    file = Path(out)
    file.parent.mkdir(parents=True, exist_ok=True)
    if model.kind_ == "image":
        if fmt == "npy":
            np.save(file, samples)
        else:
            titles = None if labels is None or y is not None else [str(c) for c in labels]
            save_figure(image_grid_figure(samples, n_cols=min(n, 10), titles=titles), file)
        height, width = model.image_shape_
        return file, f"{n:,} SYNTHETIC images ({height}x{width})"
    frame = samples if isinstance(samples, pd.DataFrame) else pd.DataFrame(samples)
    if fmt == "npy":
        np.save(file, frame.to_numpy(dtype=np.float64))
        return file, f"{n:,} SYNTHETIC rows ({frame.shape[1]} features, as an array)"
    table = _in_training_schema(frame, labels if labels is not None else trained_class, info)
    write_table(table, file)
    return file, f"{n:,} SYNTHETIC rows, {table.shape[1]} columns"


def _as_class(label: Any, classes: Sequence[Any]) -> Any:
    """``label`` (command-line text or a value) as one of a conditional GAN's classes."""
    for c in classes:
        if str(c) == str(label):
            return c
    raise ValueError(f"class {label!r} is not one of the GAN's classes {list(classes)}")


def _in_training_schema(frame: pd.DataFrame, labels: Any, info: dict[str, Any]) -> pd.DataFrame:
    """Sampled rows with the training file's columns, dtypes and signs (as recorded in ``info``)."""
    columns = info.get("columns")
    if not columns:  # a GAN saved from Python: its own column names, float64
        return frame
    # conform_samples reads dtypes and signs from real rows; one made-up row carries both.
    reference = pd.DataFrame(
        {c["name"]: pd.Series([0 if c["non_negative"] else -1]).astype(c["dtype"]) for c in columns}
    )
    names = [c["name"] for c in columns]
    table, _ = conform_samples(frame.set_axis(names, axis=1), reference)
    label_column = info.get("label_column")
    if label_column is not None and labels is not None:
        values = pd.Series(np.broadcast_to(np.asarray(labels, dtype=object), (len(table),)))
        dtype = info.get("label_dtype") or "int64"
        table[label_column] = values.astype(dtype).to_numpy()
    order = [c for c in info.get("order", names) if c in table.columns]
    return table[order]
