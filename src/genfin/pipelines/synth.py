"""Synthetic rows of one class (fraud) with the schema of a real file, and writing tables to disk.

The rows come from a VAE fitted on that class's rows only, with a learned output variance. Both
were chosen by measurement on the real card sample (``bench/vae_choices.py``,
docs/benchmarks_synthetic.md): against a conditional VAE (one model of every row, the class as an
input: ``VAE(conditional=True)``), the class-fitted VAE's frauds were closer to the real ones in
every fidelity measure, since in a conditional model the 3% of fraud rows weigh little in the
training loss.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genfin.data.tables import SUFFIXES, read_frame, transactions_from_frame
from genfin.exceptions import DataValidationError
from genfin.models._validation import check_is_fitted
from genfin.models.registry import load
from genfin.models.vae import VAE
from genfin.pipelines.augment import conform_samples
from genfin.training.device import fork_rng_seed

__all__ = ["synthesize", "table_format", "write_table"]

_log = logging.getLogger(__name__)


def synthesize(
    data_path: str | PathLike[str],
    n_rows: int,
    *,
    label_column: str = "Class",
    label: int | None = 1,
    time_column: str | None = "Time",
    keep_time: bool = True,
    model: str | PathLike[str] | VAE | None = None,
    epochs: int | None = None,
    save_model: str | PathLike[str] | None = None,
    random_state: int | np.random.Generator | None = None,
    verbose: int = 0,
    log: Callable[[str], None] | None = None,
    **model_params: Any,
) -> pd.DataFrame:
    """Generate ``n_rows`` synthetic rows of one class with the schema of the file they imitate.

    The file is read and validated as :func:`genfin.pipelines.read_transactions` does (every column
    but the label and time columns is a feature). A tabular :class:`genfin.VAE` is fitted on the
    feature columns of the rows of class ``label`` (or taken from ``model``), and ``n_rows`` rows are
    sampled from its prior, in the original units.

    The result has the file's columns in the file's order, with its dtypes:

    - features: integer columns rounded; values below 0 set to 0 in a column whose real values
      (all the file's rows) are all >= 0, such as ``Amount``; see
      :func:`genfin.pipelines.augment.conform_samples`. Each clipped column is reported.
    - the label column: every row ``label``. With ``label=None`` the VAE models every row without
      knowing its class, so the label column is left out (and this is reported).
    - the time column (``Time`` in the credit card data): the VAE models features only, so each
      synthetic row's time is drawn at random, with replacement, from the real times of the class's
      rows. It keeps the class's distribution of times but carries nothing of the relation between
      time and the other columns: do not use it for time-ordered analysis. ``keep_time=False``
      leaves the column out instead.

    What was done (rows fitted on, clipping, the time and label columns) goes to ``log``, one line
    each, or to this module's logger at INFO level when ``log`` is ``None``.

    Parameters
    ----------
    data_path : str or path
        The real transactions: ``.csv``, ``.csv.gz`` or ``.parquet``.
    n_rows : int
        How many synthetic rows to generate.
    label_column : str, default="Class"
        The 0/1 label column; the file may lack it only with ``label=None``.
    label : {1, 0, None}, default=1
        The class to imitate (1 = fraud); ``None`` fits on every row.
    time_column : str or None, default="Time"
        A column kept out of the features when the file has it; ``None`` treats every column but the
        label as a feature.
    keep_time : bool, default=True
        Write the time column, drawn from the class's real times; False leaves it out.
    model : path, VAE or None, default=None
        A tabular VAE to sample from instead of fitting one: a folder saved by ``VAE.save`` (or
        ``genfin synth --save-model``) or a fitted instance. It must know the file's feature
        columns. It is assumed to model class ``label``; the file then gives the schema, the times
        and the sign of each column.
    epochs : int or None, default=None
        Training epochs of the VAE; None is the VAE's default. Not allowed with ``model``.
    save_model : path or None, default=None
        Save the fitted VAE to this folder (reload it with ``genfin.load`` or pass it as ``model``).
        Not allowed with ``model``.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the VAE's training, its samples and the times. The same integer gives the same rows;
        sampling a model saved by a run with seed ``s`` with seed ``s`` gives that run's rows.
    verbose : int, default=0
        1 shows the VAE's training progress.
    log : callable or None, default=None
        Called with one line per step.
    **model_params
        Further :class:`genfin.VAE` hyperparameters (``latent_dim``, ``hidden_layer_sizes``,
        ``beta``, ...). Not allowed with ``model``.

    Returns
    -------
    pandas.DataFrame
        ``n_rows`` synthetic rows, index ``0..n_rows-1``.

    Raises
    ------
    DataValidationError
        For anything :func:`genfin.data.load_table` refuses, a file without the label column (unless
        ``label=None``), fewer than 2 rows of the class to fit on (1 to draw times from), or a model
        that does not know the file's features.
    ValueError, TypeError
        For a bad ``n_rows`` or ``label``, or options that contradict ``model``.
    """
    say = log or _log.info
    if isinstance(n_rows, bool) or not isinstance(n_rows, numbers.Integral) or n_rows < 1:
        raise ValueError(f"n_rows must be a positive int, got {n_rows!r}")
    if label is not None and (isinstance(label, bool) or label not in (0, 1)):
        raise ValueError(f"label must be 0, 1 or None (every row), got {label!r}")
    if model is not None:
        given = [
            name
            for name, value in (("epochs", epochs), ("save_model", save_model), *model_params.items())
            if value is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} set a VAE to fit, but model= gives a fitted one; pass one or the other"
            )
    if "random_state" in model_params or "kind" in model_params:
        raise TypeError("synthesize sets the VAE's random_state and kind itself; do not pass them")

    frame, source = read_frame(data_path)
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    columns = list(frame.columns)
    has_label = label_column in columns
    if label is not None and not has_label:
        raise DataValidationError(
            f"no label column {label_column!r} to pick class {label} by (columns: {columns}); name it "
            "with label_column, or use label=None to fit on every row",
            source=source,
            column=label_column,
        )
    time = time_column if time_column is not None and time_column in columns else None
    transactions = transactions_from_frame(
        frame, source=source, label_column=label_column if has_label else None, time_column=time
    )
    features = list(transactions.X.columns)
    rows = np.ones(len(frame), dtype=bool) if label is None else (transactions.y == label).to_numpy()
    n_class = int(rows.sum())
    which = "rows" if label is None else f"rows of class {label} ({label_column} = {label})"
    need = 2 if model is None else (1 if time is not None and keep_time else 0)
    if n_class < need:
        raise DataValidationError(
            f"has {n_class} {which}; at least {need} needed to "
            + ("fit the VAE" if model is None else f"draw {time!r} from"),
            source=source,
        )
    vae = _fitted_model(model, features, source) if model is not None else None

    # Three seeds drawn in a fixed order whether or not a model is fitted, so that sampling a saved
    # model with the seed of the run that saved it gives that run's rows.
    rng = np.random.default_rng(random_state)
    fit_seed, sample_seed, time_seed = (fork_rng_seed(rng) for _ in range(3))
    if vae is None:
        params: dict[str, Any] = {"kind": "tabular", "random_state": fit_seed, "verbose": verbose}
        if epochs is not None:
            params["epochs"] = epochs
        vae = VAE(**params, **model_params).fit(transactions.X[rows])
        say(f"fitted a VAE on {n_class:,} {which} of {source} ({len(vae.history_)} epochs)")
        if save_model is not None:
            say(f"saved the VAE to {vae.save(save_model)}")
    else:
        say(f"sampling the VAE {'given' if isinstance(model, VAE) else f'saved in {model}'}; not fitted here")

    sampled = vae.sample(int(n_rows), random_state=sample_seed)
    if not isinstance(sampled, pd.DataFrame):
        # A VAE fitted on an array knows no names: its columns are taken as the file's features in order.
        sampled = pd.DataFrame(sampled, columns=features)
    synthetic, clipped = conform_samples(sampled[features], frame[features])
    for column, count in clipped.items():
        say(
            f"clipped {count:,} of {n_rows:,} synthetic values of {column!r} to the real column's range "
            "(0 when it has no negative value)"
        )

    out: dict[str, Any] = dict(synthetic.items())
    if time is not None:
        if keep_time:
            real_times = (frame[time] if _is_numeric(frame[time]) else transactions.time).to_numpy()[rows]
            out[time] = np.random.default_rng(time_seed).choice(real_times, size=int(n_rows))
            say(
                f"{time!r}: each row's value drawn at random from the real values of the {n_class:,} "
                f"{which}, independently of the other columns"
            )
        else:
            say(f"{time!r}: left out")
    if has_label:
        if label is None:
            say(f"label column {label_column!r}: left out, the VAE of every row does not know the class")
        else:
            dtype = frame[label_column].dtype if _is_numeric(frame[label_column]) else np.int64
            out[label_column] = pd.Series(np.full(int(n_rows), label)).astype(dtype).array
    return pd.DataFrame({c: out[c] for c in columns if c in out}, index=pd.RangeIndex(int(n_rows)))


def table_format(path: str | PathLike[str]) -> str:
    """The format of a table file by its name: ``"csv"``, ``"csv.gz"`` or ``"parquet"``.

    Raises
    ------
    ValueError
        If the name ends in none of ``.csv``, ``.csv.gz``, ``.parquet`` and ``.pq``.
    """
    name = Path(path).name.lower()
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        raise ValueError(
            f"{path}: cannot tell the table format; end the name in one of {', '.join(SUFFIXES)}"
        )
    return "parquet" if suffix in (".parquet", ".pq") else suffix.lstrip(".")


def write_table(frame: pd.DataFrame, path: str | PathLike[str]) -> Path:
    """Write ``frame`` without its index to CSV, gzipped CSV or Parquet, by the name's ending.

    Parent folders are created; an existing file is replaced.

    Returns
    -------
    Path
        The file written.
    """
    file = Path(path)
    kind = table_format(file)
    file.parent.mkdir(parents=True, exist_ok=True)
    if kind == "parquet":
        frame.to_parquet(file, index=False)
    else:
        frame.to_csv(file, index=False, compression="gzip" if kind == "csv.gz" else None)
    return file


def _fitted_model(model: str | PathLike[str] | VAE, features: list[str], source: str) -> VAE:
    """The VAE to sample from, after checking it is a fitted tabular VAE of the file's features."""
    vae = model if isinstance(model, VAE) else load(model)
    if not isinstance(vae, VAE):
        raise ValueError(f"{model} holds a {type(vae).__name__}; synthesize needs a tabular VAE")
    check_is_fitted(vae)
    if vae.kind_ != "tabular":
        raise ValueError(f"the model is a VAE of {vae.kind_} data; synthesize needs a tabular VAE")
    names = vae.feature_names_in_
    if names is None:
        if vae.n_features_in_ != len(features):
            raise DataValidationError(
                f"the model has {vae.n_features_in_} features but the file has {len(features)}: {features}",
                source=source,
            )
    elif set(names) != set(features):
        missing, extra = sorted(set(names) - set(features)), sorted(set(features) - set(names))
        raise DataValidationError(
            f"the model's features differ from the file's (missing from the file: {missing}; "
            f"not in the model: {extra})",
            source=source,
        )
    return vae


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
