"""Report sections that judge synthetic rows against real ones, and the demo's synthetic frauds.

:func:`synthetic_section` runs every synthetic-data metric the data allow
(:func:`genfin.evaluate.evaluate_synthetic`) and lays out the table with the figures that show where
the synthetic rows are off: each column's distribution and the correlation matrices.
:func:`write_synthetic_report` writes that section as a report of its own (``genfin synth
--report``); :func:`fraud_synthesis_section` is the demo's: a VAE fitted on the training frauds.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genfin.evaluate.synthetic import DistanceToClosestRecord, SyntheticEvaluation, evaluate_synthetic
from genfin.exceptions import DataValidationError
from genfin.models import VAE
from genfin.pipelines.augment import conform_samples
from genfin.plots import correlation_heatmap_figure, marginal_overlay_figure
from genfin.report import Report, Section

__all__ = ["fraud_synthesis_section", "synthetic_section", "write_synthetic_report"]

#: Fewest training frauds the demo fits a VAE on; below it the section says why it is missing.
MIN_FRAUDS = 10
#: Fewest synthetic frauds the demo draws, so the metrics rest on more than a handful of rows.
MIN_SYNTHETIC = 200
#: Most panels in the marginal overlay; with more columns, the worst ones by KS statistic are shown.
MAX_MARGINALS = 12

# How to read each metric's value, for the sentence under the table.
_READING = {
    "ks_complement": "ks_complement 1 means each column has the real distribution",
    "correlation_similarity": "correlation_similarity 1 means every pair of columns is correlated as in "
    "the real rows",
    "detection_auc": "detection_auc 0.5 means a classifier cannot tell synthetic rows from real ones",
    "train_synthetic_test_real": "train_synthetic_test_real 1 means a classifier trained on synthetic "
    "rows does as well on real test rows as one trained on real rows",
    "distance_to_closest_record": "distance_to_closest_record 1 or more means synthetic rows are no "
    "closer to the training rows than unseen real rows are",
}


def synthetic_section(
    real: Any,
    synthetic: Any,
    *,
    real_holdout: Any = None,
    real_labels: Any = None,
    synthetic_labels: Any = None,
    holdout_labels: Any = None,
    title: str = "Synthetic data",
    random_state: int | np.random.Generator | None = 0,
    description: str | None = None,
    report: Report | None = None,
) -> Section:
    """A report section judging synthetic rows against the real rows their generator learned from.

    The section holds, in order: what was compared (row and column counts), the table of every
    metric :func:`genfin.evaluate.evaluate_synthetic` could compute (and which it skipped, and why),
    each column's real and synthetic distributions overlaid (the worst 12 columns by the
    Kolmogorov-Smirnov statistic when there are more), the real and synthetic correlation matrices
    with their difference, and, when there is a holdout, whether synthetic rows sit suspiciously
    close to training rows (exact or near copies).

    Parameters
    ----------
    real
        The real rows the generator was trained on: a DataFrame of numeric feature columns, or a 2-D
        array (columns ``x0``, ``x1``, ...).
    synthetic
        The generator's rows, with the same columns in the same order.
    real_holdout
        Real rows the generator never saw, with the same columns; enables the privacy metric (and,
        with labels, the utility metric).
    real_labels, synthetic_labels, holdout_labels
        0/1 labels of the rows of each table (1 for the positive class, such as fraud), for the
        utility metric (train a classifier on synthetic rows, test on real ones). Give all that
        belong to the given tables, or none. Rows of a single class (a VAE of frauds only) need none.
    title
        The section's heading.
    random_state
        Seed or ``numpy.random.Generator`` of the metrics' classifiers and sampling.
    description
        A paragraph put first, such as how the synthetic rows were made.
    report
        Add the section to this report (as :meth:`genfin.report.Report.add_section` does); without
        it the section stands alone, for the caller to place.

    Returns
    -------
    genfin.report.Section
        The filled section.

    Raises
    ------
    ValueError
        A :class:`~genfin.exceptions.DataValidationError` if the tables' columns differ, a value is
        not finite, a table has fewer than 2 rows, or the labels are incomplete or not 0/1; nothing
        is added to ``report`` then.
    """
    tables, label_column = _labelled_tables(
        real, synthetic, real_holdout, real_labels, synthetic_labels, holdout_labels
    )
    evaluation = evaluate_synthetic(
        tables["real"],
        tables["synthetic"],
        tables.get("real_holdout"),
        label_column=label_column,
        random_state=random_state,
    )
    # The figures show features only: a label column would be a meaningless 0/1 panel.
    features = {
        name: table.drop(columns=[label_column]) if label_column is not None else table
        for name, table in tables.items()
    }
    marginals = marginal_overlay_figure(features["real"], features["synthetic"], max_columns=MAX_MARGINALS)
    n_columns = int(np.shape(features["real"])[1])
    correlations = (
        correlation_heatmap_figure(features["real"], features["synthetic"]) if n_columns >= 2 else None
    )

    # Everything is computed before the section is made, so a refused input leaves the report as it was.
    section = report.add_section(title) if report is not None else Section(title, anchor=_anchor(title))
    if description is not None:
        section.text(description)
    section.text(_comparison(features, n_columns))
    section.table(
        _metric_table(evaluation),
        caption="Synthetic against real rows, every metric the data allow",
        float_format="{:.3f}",
    )
    readings = [_READING[name] for name in evaluation.results if name in _READING]
    section.text("score puts every metric on one scale, 1 best. " + "; ".join(readings) + ".")
    if evaluation.skipped:
        # The metrics speak of their own parameters; a report reader knows the labels as labels.
        reasons = {
            name: "needs class labels for the rows" if why == "needs label_column" else why
            for name, why in evaluation.skipped.items()
        }
        section.text("Not computed: " + "; ".join(f"{name} ({why})" for name, why in reasons.items()) + ".")
    if "distance_to_closest_record" in evaluation.results:
        section.text(_copies(evaluation))
    shown = min(n_columns, MAX_MARGINALS)
    section.figure(
        marginals,
        caption=(
            "Each column's distribution, real (grey) against synthetic (orange)"
            + (
                f": the {shown} of {n_columns} columns with the largest KS statistic"
                if shown < n_columns
                else ""
            )
            + "; each x-axis spans the real values' central 99% and a margin."
        ),
    )
    if correlations is not None:
        section.figure(
            correlations,
            caption="Pearson correlations of the real and synthetic rows, and synthetic minus real",
        )
    return section


def write_synthetic_report(
    real: Any,
    synthetic: Any,
    path: str | Path,
    *,
    real_holdout: Any = None,
    real_labels: Any = None,
    synthetic_labels: Any = None,
    holdout_labels: Any = None,
    title: str = "genfin synthetic data report",
    subtitle: str | None = None,
    random_state: int | np.random.Generator | None = 0,
) -> Path:
    """Write a standalone HTML report with one section: :func:`synthetic_section` of the tables.

    Parameters
    ----------
    real, synthetic, real_holdout, real_labels, synthetic_labels, holdout_labels, random_state
        As for :func:`synthetic_section`.
    path
        The HTML file to write; parent folders are created.
    title
        The report's heading.
    subtitle
        A line under the heading, such as the data file and the generator.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        As :func:`synthetic_section`; no file is written then.
    """
    report = Report(title, subtitle=subtitle)
    synthetic_section(
        real,
        synthetic,
        real_holdout=real_holdout,
        real_labels=real_labels,
        synthetic_labels=synthetic_labels,
        holdout_labels=holdout_labels,
        title="Synthetic against real data",
        random_state=random_state,
        report=report,
    )
    return report.write(path)


def fraud_synthesis_section(
    report: Report,
    X_train: pd.DataFrame,
    y_train: pd.Series,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    *,
    epochs: int | None = None,
    random_state: int | None = 0,
) -> Section:
    """Add the demo's synthetic frauds to a report: a VAE of the training frauds, judged.

    A tabular :class:`genfin.models.VAE` is fitted on the frauds among the training rows only, and
    draws as many synthetic frauds as there are frauds among the test rows (at least 200). They are
    compared with the real training frauds; the test frauds, which the VAE never saw, are the
    privacy metric's baseline. With fewer than 10 training frauds or 2 test frauds the section says
    so instead.

    Parameters
    ----------
    report
        The report to add the section to.
    X_train, y_train
        The training rows and their 0/1 labels (1 for fraud).
    X_test, y_test
        The held-out rows and their labels.
    epochs
        Training epochs of the VAE; None is the VAE's default, which on a few hundred frauds (a
        couple of optimiser steps an epoch) trains for at least 2,000 steps.
    random_state
        Seed of the VAE, its samples and the metrics.

    Returns
    -------
    genfin.report.Section
        The section added.
    """
    title = "Synthetic frauds"
    frauds = X_train[np.asarray(y_train) == 1]
    unseen = X_test[np.asarray(y_test) == 1]
    if len(frauds) < MIN_FRAUDS or len(unseen) < 2:
        return report.add_section(
            title,
            f"Skipped: {len(frauds)} training frauds and {len(unseen)} test frauds; a VAE needs at least "
            f"{MIN_FRAUDS} frauds to learn from and the comparison 2 unseen ones.",
        )
    vae = VAE(epochs=epochs, random_state=random_state, n_threads=1).fit(frauds)
    # A seed apart from the fit's, so the codes drawn are not the ones the training noise started from.
    sampled = vae.sample(
        max(len(unseen), MIN_SYNTHETIC), random_state=None if random_state is None else random_state + 1
    )
    # As `genfin synth` and `augment` deliver them: integer columns rounded, impossible negatives clipped.
    synthetic, _ = conform_samples(sampled, frauds)
    return synthetic_section(
        frauds,
        synthetic,
        real_holdout=unseen,
        title=title,
        random_state=random_state,
        description=(
            f"A variational autoencoder (genfin.models.VAE, {epochs} epochs) was fitted on the "
            f"{len(frauds):,} frauds among the training rows only and drew {len(synthetic):,} new ones "
            "from its prior: more frauds to train a detector on, if they are faithful and not copies. "
            f"The {len(unseen):,} test frauds, never seen by the VAE, show how close unseen real frauds "
            "come to the training frauds."
        ),
        report=report,
    )


def _labelled_tables(
    real: Any,
    synthetic: Any,
    real_holdout: Any,
    real_labels: Any,
    synthetic_labels: Any,
    holdout_labels: Any,
) -> tuple[dict[str, Any], str | None]:
    """The tables by name; with labels, as DataFrames carrying the labels as one more column."""
    tables = {"real": real, "synthetic": synthetic}
    labels = {"real": real_labels, "synthetic": synthetic_labels}
    if real_holdout is not None:
        tables["real_holdout"] = real_holdout
        labels["real_holdout"] = holdout_labels
    elif holdout_labels is not None:
        raise DataValidationError("holdout_labels given without real_holdout", source="holdout_labels")
    given = [name for name, y in labels.items() if y is not None]
    if given and len(given) < len(labels):
        missing = [_labels_name(name) for name in labels if name not in given]
        raise DataValidationError(
            f"labels are needed for every table or none; missing {', '.join(missing)}", source="labels"
        )

    if not given:
        return tables, None
    # The labels travel as one more column, under a name no feature column has.
    reference = next((list(t.columns) for t in tables.values() if isinstance(t, pd.DataFrame)), None)
    frames = {name: _as_frame(table, name, reference) for name, table in tables.items()}
    label_column = "label"
    while any(label_column in frame.columns for frame in frames.values()):
        label_column = f"_{label_column}"
    for name, frame in frames.items():
        y = np.asarray(labels[name])
        if y.ndim != 1 or len(y) != len(frame):
            raise DataValidationError(
                f"expected {len(frame)} labels (one per row of {name}), got shape {y.shape}",
                source=_labels_name(name),
            )
        frames[name] = frame.assign(**{label_column: y})
    return frames, label_column


def _labels_name(table: str) -> str:
    return "holdout_labels" if table == "real_holdout" else f"{table}_labels"


def _as_frame(table: Any, source: str, reference: list[Any] | None) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True)
    array = np.asarray(table)
    if array.ndim != 2:
        raise DataValidationError(
            f"expected a 2-D table of shape (n_rows, n_columns), got shape {array.shape}", source=source
        )
    # An array beside DataFrames takes their column names, as the metrics' checks allow.
    if reference is not None and len(reference) == array.shape[1]:
        return pd.DataFrame(array, columns=reference)
    return pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "synthetic"


def _comparison(tables: dict[str, pd.DataFrame], n_columns: int) -> str:
    text = (
        f"{len(tables['synthetic']):,} synthetic rows compared with the {len(tables['real']):,} real rows "
        f"their generator was trained on, over {n_columns:,} columns"
    )
    if "real_holdout" in tables:
        text += f"; {len(tables['real_holdout']):,} real rows it never saw are the baseline for privacy"
    return text + "."


def _metric_table(evaluation: SyntheticEvaluation) -> pd.DataFrame:
    table = evaluation.to_frame()
    # A target is only set for metrics aimed at a value; a column of NaN would only be noise.
    if table["target"].isna().all():
        table = table.drop(columns="target")
    return table


def _copies(evaluation: SyntheticEvaluation) -> str:
    breakdown = evaluation["distance_to_closest_record"].breakdown
    exact = breakdown["exact_copy_share"]
    exact_holdout = breakdown["exact_copy_share_holdout"]
    near = breakdown["near_copy_share"]
    n = int(breakdown["n_synthetic_sampled"])
    expected = DistanceToClosestRecord().near_copy_quantile
    # Unseen real rows have `expected` of them below the threshold by construction; flag only a share
    # beyond what sampling noise of n rows explains (three binomial standard deviations) and double.
    limit = max(2 * expected, expected + 3 * math.sqrt(expected * (1 - expected) / max(n, 1)))
    sentences = []
    if exact > exact_holdout:
        sentences.append(
            f"Warning: {exact:.1%} of the synthetic rows are exact copies of training rows "
            f"({exact_holdout:.1%} of the unseen real rows are)."
        )
    if near > limit:
        sentences.append(
            f"Warning: {near:.1%} of the synthetic rows are near copies of training rows, closer to one "
            f"than all but {expected:.0%} of unseen real rows are; the generator may be memorising them."
        )
    if not sentences:
        sentences.append(
            f"No sign of copying: {exact:.1%} of the synthetic rows are exact copies of training rows and "
            f"{near:.1%} are near copies (closer to one than all but {expected:.0%} of unseen real rows), "
            "about what unseen real rows would show."
        )
    return " ".join(sentences)
