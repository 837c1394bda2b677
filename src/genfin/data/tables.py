"""Validated reading of numeric tables (CSV, gzipped CSV, Parquet) into :class:`Transactions`.

Every check runs before the data is handed on, and each failure is one
:class:`~genfin.exceptions.DataValidationError` that names the file, the column and the first
offending row. Data rows are numbered from 1, as a user counts the lines after the header, so that
row ``n`` of an error is line ``n + 1`` of a CSV file.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from genfin.exceptions import DataValidationError

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")

_TOKENIZE_LINE = re.compile(r"in line (\d+)")


@dataclass(frozen=True, eq=False)
class Transactions:
    """A validated table of transactions: features, optional labels and optional times.

    Unpacks as ``X, y = transactions``, so a loader can be used like scikit-learn's ``return_X_y``.

    Parameters
    ----------
    X
        Feature columns as float64, column names kept, index ``0..n-1``.
    y
        Labels as int64 0/1 (1 = fraud), or ``None`` when the data has no label column.
    time
        Time of each row (seconds for the credit card data), kept for time-ordered splits even when
        it is not a feature; ``None`` when the data has no time column.
    source
        Where the data came from: a file path, an OpenML id, or a description of synthetic data.
    """

    X: pd.DataFrame
    y: pd.Series | None
    time: pd.Series | None
    source: str

    def __post_init__(self) -> None:
        for name in ("y", "time"):
            part = getattr(self, name)
            if part is not None and len(part) != len(self.X):
                raise DataValidationError(
                    f"{name} has {len(part)} rows but X has {len(self.X)}", source=self.source
                )

    def __iter__(self) -> Iterator[pd.DataFrame | pd.Series | None]:
        """Yield ``X`` then ``y``."""
        yield self.X
        yield self.y

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self.X)


def load_table(
    path: str | PathLike[str],
    *,
    label_column: str | None = "Class",
    feature_columns: Sequence[str] | None = None,
    time_column: str | None = None,
    source: str | None = None,
    require_labels: bool = False,
) -> Transactions:
    """Read a numeric table from ``.csv``, ``.csv.gz`` or ``.parquet`` (``.pq``) and validate it.

    Parameters
    ----------
    path
        The file to read.
    label_column
        Name of the 0/1 label column. It may be absent from the file (then ``y`` is ``None``) unless
        ``require_labels`` is true. ``None`` means the data has no labels.
    feature_columns
        The feature columns, in the order wanted in ``X``. When given, the file must hold exactly
        these columns plus the label and time columns (in any order). When ``None``, every column
        other than the label and time columns is a feature, in file order.
    time_column
        Name of a time column that the file must hold; returned as ``Transactions.time``. It is a
        feature only if it is also listed in ``feature_columns``.
    source
        Name used in error messages and in ``Transactions.source``; defaults to the path.
    require_labels
        Refuse a file without the label column.

    Returns
    -------
    Transactions
        ``X`` as float64, ``y`` as int64 0/1 named after the label column, ``time`` as float64.

    Raises
    ------
    DataValidationError
        For a missing file or unsupported extension; an empty file (no header, or a header but no
        rows); missing, unexpected or duplicate columns; a cell that is not a number; a missing
        (empty field, ``NA``) or infinite value; a label other than 0 and 1. The message names the
        file, the column and the first offending row, with data rows numbered from 1 as a user
        counts the lines after the header (row ``n`` is line ``n + 1`` of a CSV file). Blank lines
        are not skipped: they are reported as missing values, so that row numbers match lines.
    """
    frame, name = read_frame(path, source=source)
    return transactions_from_frame(
        frame,
        source=name,
        label_column=label_column,
        feature_columns=feature_columns,
        time_column=time_column,
        require_labels=require_labels,
    )


def read_frame(path: str | PathLike[str], *, source: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV, gzipped CSV or Parquet file without converting or dropping anything.

    Parameters
    ----------
    path
        The file to read.
    source
        Name used in error messages; defaults to the path.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        The table, index ``0..n-1``, and the name used for it in messages.

    Raises
    ------
    DataValidationError
        If the file is missing, has an unsupported extension, is empty, cannot be parsed, or has
        duplicate column names.
    """
    file = Path(path)
    name = source or str(path)
    lower = file.name.lower()
    suffix = next((s for s in SUFFIXES if lower.endswith(s)), None)
    if suffix is None:
        raise DataValidationError(
            f"unsupported file type {file.suffix or '(none)'!r}; expected one of {', '.join(SUFFIXES)}",
            source=name,
        )
    if not file.is_file():
        raise DataValidationError("file not found", source=name)
    if suffix in (".parquet", ".pq"):
        frame = _read_parquet(file, name)
    else:
        frame = _read_csv(file, name, compressed=suffix == ".csv.gz")
    if frame.shape[0] == 0:
        raise DataValidationError("the file has a header but no data rows", source=name)
    return frame.reset_index(drop=True), name


def _read_csv(file: Path, name: str, *, compressed: bool) -> pd.DataFrame:
    opener = gzip.open if compressed else open
    try:
        # pandas renames a repeated header to "V1.1", so the raw header is read first to catch it.
        with opener(file, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"cannot read the file as UTF-8 CSV text: {exc}", source=name) from exc
    if not header or all(not cell.strip() for cell in header):
        raise DataValidationError("the file is empty: no header line", source=name)
    _check_duplicates(header, name)
    try:
        # Blank lines are kept (as all-missing rows) so that row n of an error is line n + 1.
        # low_memory=False: one pass per column, so a column with a stray word is read whole as text
        # rather than part numbers and part text.
        return pd.read_csv(file, engine="c", skip_blank_lines=False, encoding="utf-8", low_memory=False)
    except pd.errors.ParserError as exc:
        match = _TOKENIZE_LINE.search(str(exc))
        row = int(match.group(1)) - 1 if match else None
        raise DataValidationError(f"malformed CSV: {exc}".strip(), source=name, row=row) from exc
    except (OSError, EOFError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(f"cannot read the file as CSV: {exc}", source=name) from exc


def _read_parquet(file: Path, name: str) -> pd.DataFrame:
    import pyarrow
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(file)
        names = [n for n in schema.names if not n.startswith("__index_level_")]
        _check_duplicates(names, name)
        if not names:
            raise DataValidationError("the file is empty: no columns", source=name)
        return pd.read_parquet(file, engine="pyarrow")
    except (pyarrow.ArrowException, OSError) as exc:
        raise DataValidationError(f"cannot read the file as Parquet: {exc}", source=name) from exc


def _check_duplicates(names: Sequence[str], source: str) -> None:
    repeated = [n for n, count in Counter(names).items() if count > 1]
    if repeated:
        raise DataValidationError(
            f"duplicate column names: {', '.join(map(repr, repeated))}",
            source=source,
            column=repeated[0],
        )


def transactions_from_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    label_column: str | None = "Class",
    feature_columns: Sequence[str] | None = None,
    time_column: str | None = None,
    require_labels: bool = False,
) -> Transactions:
    """Validate a table already in memory and build :class:`Transactions` from it.

    Parameters
    ----------
    frame
        The table; its rows are numbered from 1 in messages, in order.
    source
        Name used in error messages and in ``Transactions.source``.
    label_column, feature_columns, time_column, require_labels
        As in :func:`load_table`.

    Returns
    -------
    Transactions
        The validated data.

    Raises
    ------
    DataValidationError
        As :func:`load_table`, for the checks that do not concern the file itself.
    """
    columns = [str(c) for c in frame.columns]
    _check_duplicates(columns, source)
    frame = frame.set_axis(columns, axis=1).reset_index(drop=True)
    if feature_columns is not None and label_column is not None and label_column in feature_columns:
        raise ValueError(f"label_column {label_column!r} cannot also be a feature column")
    has_label = label_column is not None and label_column in columns
    if require_labels and not has_label:
        raise DataValidationError(
            f"no label column {label_column!r}; the file has columns {columns}",
            source=source,
            column=label_column,
        )
    features = _select_features(columns, feature_columns, label_column, time_column, source)
    numeric = features + ([time_column] if time_column is not None and time_column not in features else [])
    # Numbers and labels are both checked before raising, so that the error reported is the first
    # bad row of the file whichever column it is in.
    errors: list[DataValidationError] = []
    values = np.empty((0, 0))
    y = None
    try:
        values = _numeric_block(frame, numeric, source)
    except DataValidationError as exc:
        errors.append(exc)
    if has_label:
        try:
            y = _labels(frame[label_column], source)
        except DataValidationError as exc:
            errors.append(exc)
    if errors:
        raise min(errors, key=lambda e: e.row or 0)
    X = pd.DataFrame(values[:, : len(features)], columns=features)
    time = None
    if time_column is not None:
        time = pd.Series(values[:, numeric.index(time_column)].copy(), name=time_column)
    return Transactions(X=X, y=y, time=time, source=source)


def _select_features(
    columns: list[str],
    feature_columns: Sequence[str] | None,
    label_column: str | None,
    time_column: str | None,
    source: str,
) -> list[str]:
    if feature_columns is None:
        required = [time_column] if time_column is not None else []
        features = [c for c in columns if c not in (label_column, time_column)]
    else:
        features = list(feature_columns)
        required = features + ([time_column] if time_column not in (None, *features) else [])
    missing = [c for c in required if c not in columns]
    allowed = set(required) | {label_column}
    unexpected = [c for c in columns if c not in allowed] if feature_columns is not None else []
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(map(repr, missing))}")
        if unexpected:
            parts.append(f"unexpected column(s) {', '.join(map(repr, unexpected))}")
        wrong = missing + unexpected
        raise DataValidationError(
            "; ".join(parts) + f" (the file has columns {columns})",
            source=source,
            column=wrong[0] if len(wrong) == 1 else None,
        )
    if not features:
        raise DataValidationError(f"no feature columns (the file has columns {columns})", source=source)
    return features


def _numeric_block(frame: pd.DataFrame, columns: list[str], source: str) -> np.ndarray:
    """Return ``frame[columns]`` as a finite float64 array, or raise at the first bad cell."""
    block = frame[columns]
    text = [c for c in columns if _is_bool(block[c]) or not pd.api.types.is_numeric_dtype(block[c].dtype)]
    if text:
        # Only columns pandas could not read as numbers pay for this: numbers written as text (e.g.
        # quoted) convert, anything else becomes NaN and is told apart from a missing cell below.
        block = block.assign(
            **{
                c: np.nan if _is_bool(block[c]) else pd.to_numeric(block[c].astype(object), errors="coerce")
                for c in text
            }
        )
    values = block.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    if finite.all():
        return values
    row, col = _first_true(~finite)
    column = columns[col]
    original = frame[column].iloc[row]
    if column in text and not pd.isna(original):
        message = f"value {_show(original)} is not a number"
    elif np.isnan(values[row, col]):
        if frame.iloc[row].isna().all():
            raise DataValidationError(
                "blank line: every field is missing; remove the line", source=source, row=row + 1
            )
        message = "missing value (an empty field, NA or NaN); fill or remove it, genfin does not impute"
    else:
        message = f"infinite value {_show(original)}; every value must be a finite number"
    raise DataValidationError(message, source=source, column=column, row=row + 1)


def _is_bool(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series.dtype)


def _show(value: object) -> str:
    """Show a cell as the user wrote it: text quoted, numbers plain (no numpy type names)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _labels(series: pd.Series, source: str) -> pd.Series:
    raw = series.astype(object) if not pd.api.types.is_numeric_dtype(series.dtype) else series
    if pd.api.types.is_bool_dtype(raw.dtype):
        raw = raw.astype(np.int64)
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isin(numbers, (0.0, 1.0))
    if bad.any():
        row = int(np.argmax(bad))
        value = series.iloc[row]
        what = "missing label" if pd.isna(value) else f"label {_show(value)} is not 0 or 1"
        raise DataValidationError(
            f"{what}; the label column must hold 0 (normal) or 1 (fraud)",
            source=source,
            column=str(series.name),
            row=row + 1,
        )
    return pd.Series(numbers.astype(np.int64), name=str(series.name))


def _first_true(mask: np.ndarray) -> tuple[int, int]:
    row = int(np.argmax(mask.any(axis=1)))
    return row, int(np.argmax(mask[row]))
