"""``genfin semi score``: score transactions with an SGAN that ``genfin semi train --out`` saved.

The SGAN flags a row when its fraud probability is above 0.5 (its ``predict``: the more probable
class) or above another threshold, chosen for example on the out-of-fold probabilities the model
keeps (``validation_proba_``). A file with a label column gets its labelled rows (0 or 1; ``-1``
rows are scored but not counted) judged as ``genfin semi train`` judges its test rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from genfin.evaluate import detection_metrics
from genfin.exceptions import DataValidationError
from genfin.models import SGANClassifier, load
from genfin.pipelines.data import peek_columns, read_transactions
from genfin.pipelines.semi import fraud_probability, read_semi_data

__all__ = ["SemiScores", "score_with_sgan", "write_scores"]

#: The SGAN's own decision (``predict``): a row is flagged when its fraud probability is above this.
THRESHOLD = 0.5


@dataclass(frozen=True)
class SemiScores:
    """The scores of every row of a file, and the metrics on its labelled rows when it has labels."""

    #: ``row`` (data rows from 1, as in the file), ``fraud_probability``, ``flagged`` (0 or 1).
    scores: pd.DataFrame
    source: str
    #: A row is flagged when its fraud probability is above this.
    threshold: float
    #: ``detection_metrics`` on the rows labelled 0 or 1; ``None`` without a label column.
    metrics: dict[str, float] | None
    #: Why there are no metrics although the file has a label column (one class only), else ``None``.
    no_metrics_reason: str | None = None

    @property
    def n_flagged(self) -> int:
        """Rows whose fraud probability is above the threshold."""
        return int(self.scores["flagged"].sum())


def score_with_sgan(
    model_path: str | PathLike[str],
    data_path: str | PathLike[str],
    *,
    label_column: str = "Class",
    time_column: str | None = "Time",
    k: int = 100,
    threshold: float = THRESHOLD,
) -> SemiScores:
    """Score every row of ``data_path`` with the SGAN saved in ``model_path``.

    Parameters
    ----------
    model_path
        A folder saved by ``genfin semi train --out`` (or ``SGANClassifier.save``) from rows.
    data_path
        Transactions (CSV, gzipped CSV or Parquet) with the columns the SGAN was trained on; the
        label column (0, 1, or -1 for unlabelled rows) and the time column are optional.
    label_column, time_column
        Columns kept out of the features, as in training.
    k
        Review-queue size for precision at k (at most the number of labelled rows).
    threshold
        Flag a row when its fraud probability is above this (0.5: the SGAN's ``predict``).

    Returns
    -------
    SemiScores

    Raises
    ------
    ModelFileError
        When the folder holds no saved model.
    DataValidationError
        When the folder holds another model, or the file's feature columns differ from the
        training columns, or anything the file checks refuse (naming file, column and row).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1 (a fraud probability), got {threshold}")
    model = load(model_path)
    if not isinstance(model, SGANClassifier) or model.kind_ != "tabular":
        kind = type(model).__name__ + (" of images" if isinstance(model, SGANClassifier) else "")
        raise DataValidationError(
            f"holds a saved {kind}, not an SGAN of transaction rows as 'genfin semi train --out' saves",
            source=str(model_path),
        )
    if label_column in peek_columns(data_path):
        data = read_semi_data(data_path, label_column=label_column, time_column=time_column)
        X, y, source = data.X, data.y, data.source
    else:
        table = read_transactions(data_path, label_column=label_column, time_column=time_column)
        X, y, source = table.X, None, table.source
    X = _training_columns(model, X, str(source))

    proba = fraud_probability(model, X)
    scores = pd.DataFrame(
        {
            "row": np.arange(1, len(X) + 1),
            "fraud_probability": proba,
            "flagged": (proba > threshold).astype(np.int64),
        }
    )
    if y is None:
        return SemiScores(scores, str(source), threshold, None)
    labelled = y >= 0
    if len(np.unique(y[labelled])) < 2:
        n = int(labelled.sum())
        reason = f"its {n:,} labelled rows are all of one class" if n else "every row is unlabelled (-1)"
        return SemiScores(scores, str(source), threshold, None, no_metrics_reason=reason)
    metrics = detection_metrics(
        y[labelled], proba[labelled], threshold=threshold, k=min(k, int(labelled.sum()))
    )
    return SemiScores(scores, str(source), threshold, metrics)


def _training_columns(model: SGANClassifier, X: pd.DataFrame, source: str) -> pd.DataFrame:
    """The file's features in the training order; any column missing or added stops it, before scoring."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:  # trained on arrays: only the count can be checked
        if X.shape[1] != model.n_features_in_:
            raise DataValidationError(
                f"has {X.shape[1]} feature columns; the SGAN was trained on {model.n_features_in_}",
                source=source,
            )
        return X
    expected = [str(n) for n in names]
    missing = [n for n in expected if n not in X.columns]
    extra = [str(c) for c in X.columns if c not in expected]
    if missing or extra:
        detail = "; ".join(
            part
            for part in (f"missing {missing}" if missing else "", f"not in training {extra}" if extra else "")
            if part
        )
        raise DataValidationError(
            f"feature columns differ from those the SGAN was trained on ({detail}); the label and time "
            "columns are named with --label-column and --time-column",
            source=source,
        )
    return X[expected]  # the same columns, perhaps in another order


def write_scores(scores: SemiScores, out: str | PathLike[str]) -> Path:
    """Write the per-row scores as CSV (the folder is created); the path written."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    scores.scores.to_csv(path, index=False)
    return path
