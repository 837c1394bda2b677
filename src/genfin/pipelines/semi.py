"""Semi-supervised fraud detection with few labels: the SGAN against pseudo labels and a supervised baseline.

:func:`run_semi` is the job ``genfin semi train`` runs. It reads a labelled file, splits it into
training and test rows (stratified), keeps a small budget of labels among the TRAINING rows only and
marks every other training row unlabelled (``-1``), then fits each method on the same rows and labels
and scores it on the held-out test rows, whose labels no method ever sees:

- ``"sgan"``: :class:`genfin.models.SGANClassifier` with its defaults (the book's semi-supervised GAN);
- ``"pseudo"``: :class:`genfin.models.pseudo_label.PseudoLabelClassifier` around scikit-learn's
  ``HistGradientBoostingClassifier`` (the book's pseudo labelling);
- ``"supervised"``: the same ``HistGradientBoostingClassifier`` on the labelled rows alone, the
  baseline the other two must beat to show that the unlabelled rows helped.

A file whose label column already holds ``-1`` for unlabelled rows is used as it is: the test rows are
drawn from its labelled rows, every unlabelled row joins the training rows, and all the labels left in
the training rows are kept (unless a smaller budget is asked for). The report section is in
:mod:`genfin.pipelines.semi_report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genfin.data import CREDITCARD_COLUMNS, CREDITCARD_FEATURES, Transactions, stratified_split
from genfin.data.tables import read_frame, transactions_from_frame
from genfin.evaluate import detection_metrics
from genfin.exceptions import DataValidationError
from genfin.models._semi import UNLABELLED
from genfin.pipelines.data import peek_columns, read_transactions

__all__ = [
    "DEFAULT_LABELS",
    "METHODS",
    "METRIC_COLUMNS",
    "SemiData",
    "SemiResult",
    "choose_labels",
    "parse_methods",
    "read_semi_data",
    "run_semi",
]

#: The methods :func:`run_semi` compares, by name, and how reports and tables call them.
METHODS: dict[str, str] = {
    "sgan": "SGAN",
    "pseudo": "pseudo labels (HGB)",
    "supervised": "supervised (HGB)",
}
#: Labels kept in the training rows of a fully labelled file when no budget is given.
DEFAULT_LABELS = 300
#: The metric columns of :attr:`SemiResult.metrics`, in order.
METRIC_COLUMNS = ("auprc", "roc_auc", "f1", "precision", "recall", "precision_at_k", "fit_seconds")
_MIN_PER_CLASS = 2
_K = 100
_LONG_PASS_STEPS = 1_000  # passes longer than this get a hint about --steps-per-epoch


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class SemiData:
    """A labelled file read for semi-supervised learning.

    Attributes
    ----------
    X
        The feature rows (float64), index ``0..n-1`` as the file's data rows.
    y
        int64 labels: 0, 1, or ``-1`` for rows the file leaves unlabelled.
    source
        The file, as named in messages.
    labels_from_file
        Whether the file itself marks unlabelled rows with ``-1``.
    """

    X: pd.DataFrame
    y: np.ndarray
    source: str
    labels_from_file: bool


def _label_values(path: str | PathLike[str], label_column: str) -> pd.Series:
    """Only the label column of a CSV, gzipped CSV or Parquet file (checked later with the rest).

    A file that cannot be read this way gives an empty column: the full loader then reports why,
    naming the row, as it does for every other command.
    """
    file = Path(path)
    try:
        if file.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(file, columns=[label_column])[label_column]
        return pd.read_csv(file, usecols=[label_column], low_memory=False)[label_column]
    except (ValueError, OSError, EOFError, ImportError, pd.errors.ParserError):
        return pd.Series([], dtype=float)


def read_semi_data(
    path: str | PathLike[str], *, label_column: str = "Class", time_column: str | None = "Time"
) -> SemiData:
    """Read a labelled file whose label column holds 0 and 1, and optionally ``-1`` for unlabelled rows.

    A file without ``-1`` goes through :func:`genfin.pipelines.read_transactions` (with
    ``require_labels=True``) and its every check. A file with ``-1`` is checked the same way with
    those rows taken as labelled for the check, so that any other value still stops it.

    Parameters
    ----------
    path
        A CSV, gzipped CSV or Parquet file; every column but the label and time columns is a feature.
    label_column
        The label column: 1 fraud, 0 genuine, -1 unlabelled.
    time_column
        A column kept out of the features when the file has it.

    Returns
    -------
    SemiData
        The checked rows and labels.

    Raises
    ------
    DataValidationError
        For a missing file or label column, or anything the loaders refuse (naming column and row).
    """
    columns = peek_columns(path)
    if label_column not in columns:
        raise DataValidationError(
            f"has no label column {label_column!r} (columns: {columns}); name it with --label-column",
            source=str(path),
        )
    values = _label_values(path, label_column)
    raw = pd.to_numeric(values, errors="coerce")
    _check_semi_labels(values, raw, source=str(path), column=label_column)
    unlabelled = (raw == UNLABELLED).to_numpy()
    if not unlabelled.any():
        data = read_transactions(
            path, label_column=label_column, time_column=time_column, require_labels=True
        )
        return SemiData(X=data.X, y=data.y.to_numpy(np.int64), source=data.source, labels_from_file=False)
    frame, source = read_frame(path)
    frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    # The -1 rows pass the loaders' 0/1 check as 0 and get their -1 back after it.
    frame[label_column] = frame[label_column].mask(unlabelled, 0)
    data = _transactions(frame, source, label_column, time_column)
    y = data.y.to_numpy(np.int64, copy=True)
    y[unlabelled] = UNLABELLED
    return SemiData(X=data.X, y=y, source=source, labels_from_file=True)


def _check_semi_labels(values: pd.Series, numbers: pd.Series, *, source: str, column: str) -> None:
    """Stop at the first label that is not 0, 1 or -1, naming its row (the loaders' check knows only 0/1)."""
    bad = ~np.isin(numbers.to_numpy(np.float64, na_value=np.nan), (0.0, 1.0, float(UNLABELLED)))
    if not bad.any():
        return
    row = int(np.argmax(bad))
    value = values.iloc[row]
    value = value.item() if isinstance(value, np.generic) else value  # 2, not np.int64(2)
    shown = repr(value) if isinstance(value, str) else str(value)
    what = "missing label" if pd.isna(value) else f"label {shown} is not 0, 1 or -1"
    raise DataValidationError(
        f"{what}; the label column must hold 0 (normal), 1 (fraud) or -1 (unlabelled)",
        source=source,
        column=column,
        row=row + 1,
    )


def _transactions(
    frame: pd.DataFrame, source: str, label_column: str, time_column: str | None
) -> Transactions:
    """As :func:`read_transactions`, for a frame in memory: the card schema read as the book does."""
    columns = list(frame.columns)
    if set(columns) == set(CREDITCARD_COLUMNS) and label_column == "Class":
        return transactions_from_frame(
            frame,
            source=source,
            label_column="Class",
            feature_columns=CREDITCARD_FEATURES,
            time_column="Time",
            require_labels=True,
        )
    return transactions_from_frame(
        frame,
        source=source,
        label_column=label_column,
        time_column=time_column if time_column in columns else None,
        require_labels=True,
    )


# ---------------------------------------------------------------------------- options


def parse_methods(methods: str | Sequence[str]) -> tuple[str, ...]:
    """Method names from a comma-separated string or a sequence, checked, duplicates dropped.

    Raises
    ------
    ValueError
        For an unknown name (listing the valid ones) or no name at all.
    """
    names = methods.split(",") if isinstance(methods, str) else list(methods)
    chosen: list[str] = []
    for name in (str(n).strip().lower() for n in names):
        if not name:
            continue
        if name not in METHODS:
            raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ValueError(f"no method given; choose from {', '.join(METHODS)}")
    return tuple(chosen)


def _check_options(
    labels: int | None,
    test_size: float,
    epochs: int | None,
    members: int | None,
    steps: int | None,
    methods: tuple[str, ...],
    report: str | PathLike[str] | None,
    model_out: str | PathLike[str] | None,
) -> None:
    if labels is not None and (isinstance(labels, bool) or not isinstance(labels, (int, np.integer))):
        raise ValueError(f"labels must be a whole number of rows, got {labels!r}")
    if labels is not None and labels < 2 * _MIN_PER_CLASS:
        raise ValueError(
            f"--labels {labels} is too few: every class needs at least {_MIN_PER_CLASS} labelled rows, "
            f"so at least {2 * _MIN_PER_CLASS}"
        )
    if isinstance(test_size, bool) or not isinstance(test_size, (float, int)) or not 0 < test_size < 1:
        raise ValueError(f"--test-size must be a share of the rows in (0, 1), got {test_size!r}")
    for option, value in (("--epochs", epochs), ("--members", members), ("--steps-per-epoch", steps)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{option} must be a positive whole number, got {value!r}")
    if report is not None and Path(report).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{report}: the report is an HTML file; end its name in .html")
    if model_out is not None:
        if "sgan" not in methods:
            raise ValueError("--out saves the SGAN, but the methods do not include sgan")
        if Path(model_out).is_file():
            raise ValueError(f"{model_out} is a file; --out names the folder to save the SGAN in")


# ---------------------------------------------------------------------------- labels


def choose_labels(
    y: np.ndarray, candidates: np.ndarray, n_labels: int, rng: np.random.Generator, *, source: str = "data"
) -> np.ndarray:
    """Pick ``n_labels`` of the ``candidates`` rows, stratified by ``y``, at least 2 of each class.

    Each class gets its share of ``n_labels`` (largest remainders round), raised to 2 for a rare class
    at the cost of the largest one.

    Parameters
    ----------
    y
        Labels 0/1 of every row (``-1`` rows are never candidates).
    candidates
        Row indices that may be chosen: the labelled training rows.
    n_labels
        How many to keep.
    rng
        Draws the rows.
    source
        Named in errors.

    Returns
    -------
    numpy.ndarray
        The chosen row indices, sorted.

    Raises
    ------
    DataValidationError
        If a class has fewer than 2 candidates, or ``n_labels`` exceeds the candidates.
    """
    classes = np.array([0, 1])
    counts = np.array([int(np.sum(y[candidates] == c)) for c in classes])
    names = {0: "genuine (0)", 1: "fraud (1)"}
    for c, count in zip(classes, counts, strict=True):
        if count < _MIN_PER_CLASS:
            raise DataValidationError(
                f"the training split holds {count} labelled {names[int(c)]} row(s); the methods need at "
                f"least {_MIN_PER_CLASS} of each class (one to learn from, one to choose the SGAN's best "
                f"epoch): use a file with more of them or a smaller --test-size",
                source=source,
            )
    total = int(counts.sum())
    if n_labels > total:
        raise DataValidationError(
            f"--labels {n_labels} is more than the {total:,} labelled rows of the training split "
            f"(the test rows are split off first); ask for at most {total:,}",
            source=source,
        )
    exact = n_labels * counts / total
    alloc = np.floor(exact).astype(int)
    for index in np.argsort(-(exact - alloc), kind="stable")[: n_labels - int(alloc.sum())]:
        alloc[index] += 1
    for index in range(len(classes)):
        short = _MIN_PER_CLASS - alloc[index]
        if short > 0:
            alloc[index] += short
            alloc[int(np.argmax(alloc))] -= short
    chosen = [
        rng.choice(candidates[y[candidates] == c], size=int(n), replace=False)
        for c, n in zip(classes, alloc, strict=True)
    ]
    return np.sort(np.concatenate(chosen))


# ---------------------------------------------------------------------------- running


@dataclass(frozen=True, eq=False)
class SemiResult:
    """A finished :func:`run_semi`: the methods' test metrics, the fitted models and the rows used.

    Attributes
    ----------
    metrics
        One row per method (index: the method's name, in the order run), columns
        :data:`METRIC_COLUMNS`: AUPRC, ROC-AUC, and F1, precision and recall of flagging a fraud
        probability above 0.5, precision among the 100 highest scores, and the fit time.
    models
        The fitted models by method name.
    test_scores
        Each method's fraud probabilities of the test rows.
    y_test
        The test rows' labels.
    y_train
        The labels the methods were given for the training rows: 0/1 or ``-1``.
    y_train_true
        The training rows' true labels where the file has them (``-1`` where it does not).
    train_rows, test_rows, labelled_rows
        0-based indices of the file's data rows: training rows (labelled or not), test rows, and the
        labelled training rows; no test row is ever labelled for training.
    source
        The data file.
    labels_from_file
        Whether the file marked unlabelled rows itself.
    test_size, seed
        As given.
    report, model_out
        What was written, or None.
    """

    metrics: pd.DataFrame
    models: dict[str, Any]
    test_scores: dict[str, np.ndarray]
    y_test: np.ndarray
    y_train: np.ndarray
    y_train_true: np.ndarray
    train_rows: np.ndarray
    test_rows: np.ndarray
    labelled_rows: np.ndarray
    source: str
    labels_from_file: bool
    test_size: float
    seed: int | None
    report: Path | None = None
    model_out: Path | None = None

    @property
    def n_labelled(self) -> int:
        """Labelled training rows."""
        return len(self.labelled_rows)

    @property
    def n_labelled_frauds(self) -> int:
        """Labelled training rows that are frauds."""
        return int(np.sum(self.y_train == 1))

    @property
    def n_unlabelled(self) -> int:
        """Training rows given as unlabelled (-1)."""
        return int(np.sum(self.y_train == UNLABELLED))

    def describe(self) -> str:
        """One line: the training rows, labelled and not, and the test rows."""
        return (
            f"{len(self.train_rows):,} training rows ({self.n_labelled:,} labelled, "
            f"{self.n_labelled_frauds:,} of them frauds; {self.n_unlabelled:,} unlabelled) and "
            f"{len(self.test_rows):,} test rows ({int(self.y_test.sum()):,} frauds) from {self.source}"
        )


def _hist_gradient_boosting(seed: int | None) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed)


def _make_model(method: str, *, seed: int | None, verbose: int, **sgan_options: int | None) -> Any:
    if method == "sgan":
        from genfin.models import SGANClassifier

        # Options left at None keep the estimator's defaults.
        chosen = {name: value for name, value in sgan_options.items() if value is not None}
        return SGANClassifier(random_state=seed, verbose=verbose, **chosen)
    if method == "pseudo":
        from genfin.models.pseudo_label import PseudoLabelClassifier

        return PseudoLabelClassifier(_hist_gradient_boosting(seed), random_state=seed)
    return _hist_gradient_boosting(seed)


def _hint_long_epochs(model: Any, n_rows: int, say: Callable[[str], None]) -> None:
    """Say how to shorten the SGAN's epochs when one pass over ``n_rows`` is long."""
    pass_steps = n_rows // model.batch_size
    if model.steps_per_epoch is None and pass_steps > _LONG_PASS_STEPS:
        # The defaults of epochs and patience were chosen on passes of about 120 steps.
        say(
            f"note: an SGAN epoch is one pass of {pass_steps:,} steps over the {n_rows:,} training "
            f"rows; --steps-per-epoch 120 validates (and can stop) every 120 steps instead"
        )


def fraud_probability(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The fitted classifier's probability of class 1 (fraud) for each row."""
    classes = list(np.asarray(model.classes_))
    return np.asarray(model.predict_proba(X))[:, classes.index(1)]


def run_semi(
    data_path: str | PathLike[str],
    *,
    labels: int | None = None,
    label_column: str = "Class",
    time_column: str | None = "Time",
    methods: str | Sequence[str] = ("sgan", "pseudo", "supervised"),
    test_size: float = 0.3,
    epochs: int | None = None,
    members: int | None = None,
    steps_per_epoch: int | None = None,
    seed: int | None = None,
    report: str | PathLike[str] | None = None,
    model_out: str | PathLike[str] | None = None,
    verbose: int = 0,
    log: Callable[[str], None] | None = None,
) -> SemiResult:
    """Compare semi-supervised methods on a labelled file with a small budget of training labels.

    Parameters
    ----------
    data_path
        A CSV, gzipped CSV or Parquet file with a 0/1 label column (and optionally ``-1`` for rows
        it leaves unlabelled).
    labels
        Labelled training rows to keep, stratified, at least 2 of each class. None: 300 for a fully
        labelled file, and for a file with ``-1`` rows every label its training split holds.
    label_column, time_column
        As for :func:`read_semi_data`.
    methods
        Some of ``"sgan"``, ``"pseudo"``, ``"supervised"`` (a sequence or a comma-separated string).
    test_size
        Share of the (labelled) rows held out as test rows, stratified.
    epochs
        The SGAN's epochs; None is its default (50). The other methods have no epochs.
    members
        The SGAN's cross-fitted members (``n_members``); None is its default (5 for rows).
    steps_per_epoch
        The SGAN's steps per epoch at most (``steps_per_epoch``); None: one pass over the training
        rows. For large files.
    seed
        Seeds the split, the choice of labels and every model.
    report
        An HTML file to write the comparison to (:func:`genfin.pipelines.semi_report.semi_section`).
    model_out
        A folder to save the fitted SGAN in (``genfin.load`` reads it back).
    verbose
        1 shows the SGAN's progress bar.
    log
        Called with one line as each method starts.

    Returns
    -------
    SemiResult
        Metrics, models and the rows used.

    Raises
    ------
    DataValidationError, ValueError
        For a bad file or options, before any fitting.
    """
    chosen = parse_methods(methods)
    _check_options(labels, test_size, epochs, members, steps_per_epoch, chosen, report, model_out)
    data = read_semi_data(data_path, label_column=label_column, time_column=time_column)
    y = data.y
    known = np.flatnonzero(y != UNLABELLED)
    rng = np.random.default_rng(seed)
    split_seed = int(rng.integers(2**31 - 1))
    try:
        _, _, y_known_train, y_known_test = stratified_split(
            data.X.iloc[known], pd.Series(y[known], index=known), test_size=test_size, random_state=split_seed
        )
    except DataValidationError as exc:
        reason = str(exc).removeprefix("y: ")
        raise DataValidationError(
            f"cannot split into training and test rows: {reason}", source=data.source
        ) from None
    test_rows = np.sort(y_known_test.index.to_numpy())
    train_rows = np.setdiff1d(np.arange(len(y)), test_rows)
    candidates = np.sort(y_known_train.index.to_numpy())
    if labels is not None:
        budget = int(labels)
    elif data.labels_from_file:
        budget = len(candidates)
    else:
        budget = DEFAULT_LABELS
        if budget > len(candidates):
            raise DataValidationError(
                f"the training split has {len(candidates):,} rows, fewer than the default budget of "
                f"{DEFAULT_LABELS} labels; pass a smaller --labels",
                source=data.source,
            )
    labelled_rows = choose_labels(y, candidates, budget, rng, source=data.source)

    y_given = np.full(len(y), UNLABELLED, dtype=np.int64)
    y_given[labelled_rows] = y[labelled_rows]
    X_train = data.X.iloc[train_rows].reset_index(drop=True)
    y_train = y_given[train_rows]
    X_test = data.X.iloc[test_rows].reset_index(drop=True)
    y_test = y[test_rows]
    is_labelled = y_train != UNLABELLED

    say = log or (lambda line: None)
    models: dict[str, Any] = {}
    scores: dict[str, np.ndarray] = {}
    rows = []
    for method in chosen:
        say(f"fitting {METHODS[method]} ...")
        model = _make_model(
            method,
            seed=seed,
            verbose=verbose,
            epochs=epochs,
            n_members=members,
            steps_per_epoch=steps_per_epoch,
        )
        if method == "sgan":
            _hint_long_epochs(model, len(X_train), say)
        start = time.perf_counter()
        if method == "supervised":
            model.fit(X_train[is_labelled], y_train[is_labelled])
        else:
            model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        models[method] = model
        scores[method] = fraud_probability(model, X_test)
        found = detection_metrics(y_test, scores[method], threshold=0.5, k=min(_K, len(y_test)))
        rows.append({**{m: found[m] for m in METRIC_COLUMNS if m in found}, "fit_seconds": seconds})
    metrics = pd.DataFrame(rows, index=pd.Index(chosen, name="method"), columns=list(METRIC_COLUMNS))

    saved = None
    if model_out is not None:
        saved = Path(models["sgan"].save(model_out))
    result = SemiResult(
        metrics=metrics,
        models=models,
        test_scores=scores,
        y_test=y_test,
        y_train=y_train,
        y_train_true=y[train_rows],
        train_rows=train_rows,
        test_rows=test_rows,
        labelled_rows=labelled_rows,
        source=data.source,
        labels_from_file=data.labels_from_file,
        test_size=float(test_size),
        seed=seed,
        model_out=saved,
    )
    if report is not None:
        from genfin.pipelines.semi_report import write_semi_report

        written = write_semi_report(result, report)
        result = replace(result, report=written)
    return result
