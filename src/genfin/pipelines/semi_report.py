"""The report section of a :func:`genfin.pipelines.semi.run_semi` comparison.

:func:`semi_section` lays out the comparison: what the methods learned from (the data, the label
budget, the split), their metrics on the test rows, their precision-recall curves in one figure, the
SGAN's validation scores per epoch (the book's "SGAN progress" figure) and the pseudo labels given in
each round; :func:`write_semi_report` writes it alone.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genfin.models._semi import UNLABELLED
from genfin.pipelines.semi import METHODS, SemiResult
from genfin.plots import members_figure, precision_recall_figure, progress_figure
from genfin.report import Report, Section

__all__ = ["pseudo_label_rounds", "semi_section", "write_semi_report"]

_METRIC_NAMES = {
    "auprc": "AUPRC",
    "roc_auc": "ROC-AUC",
    "f1": "F1 at 0.5",
    "precision": "precision at 0.5",
    "recall": "recall at 0.5",
    "precision_at_k": "precision at k",
    "fit_seconds": "fit (s)",
}
# The SGAN's selection metrics (``SGANClassifier._selection_metric()``) as captions name them.
_SELECTION_NAMES = {"f1": "F1", "auprc": "AUPRC", "accuracy": "accuracy"}


def pseudo_label_rounds(model: Any, y_true: np.ndarray | None = None) -> pd.DataFrame:
    """One row per fit of a fitted PseudoLabelClassifier: the labels it trained on, and the new ones.

    Parameters
    ----------
    model
        A fitted :class:`genfin.models.pseudo_label.PseudoLabelClassifier`.
    y_true
        The true labels of its training rows, ``-1`` where unknown; when given, the table counts the
        new pseudo labels that are wrong among the rows whose label is known.

    Returns
    -------
    pandas.DataFrame
        Columns ``round`` (0: true labels only), ``true labels``, ``pseudo labels`` (all so far),
        ``new``, ``new frauds``, ``lowest new confidence`` and, with ``y_true``, ``new wrong``.
    """
    iters = np.asarray(model.labeled_iter_)
    given = np.asarray(model.transduction_)
    rows = []
    for entry in model.history_:
        round_ = int(entry["round"])
        new = iters == round_ if round_ > 0 else np.zeros(len(iters), dtype=bool)
        row: dict[str, Any] = {
            "round": round_,
            "true labels": int(entry["n_true"]),
            "pseudo labels": int(entry["n_pseudo"]),
            "new": int(entry["n_new"]),
            "new frauds": int(np.sum(given[new] == 1)),
            "lowest new confidence": float(entry["min_new_confidence"]),
        }
        if y_true is not None:
            known = new & (np.asarray(y_true) != UNLABELLED)
            row["new wrong"] = int(np.sum(given[known] != np.asarray(y_true)[known]))
        rows.append(row)
    return pd.DataFrame(rows)


def _metrics_table(result: SemiResult) -> pd.DataFrame:
    table = result.metrics.rename(columns=_METRIC_NAMES)
    table.index = pd.Index([METHODS[m] for m in result.metrics.index], name="method")
    return table


def _summary(result: SemiResult) -> str:
    train, test = len(result.train_rows), len(result.test_rows)
    frauds = result.n_labelled_frauds
    genuine = result.n_labelled - frauds
    if result.labels_from_file:
        labels = (
            f"The file marks {int(np.sum(result.y_train_true == UNLABELLED)):,} rows unlabelled (-1); "
            f"the test rows were drawn from its labelled rows (stratified, {result.test_size:.0%}) and "
            f"every unlabelled row joined the training rows."
        )
    else:
        labels = (
            f"Every row of the file is labelled; a stratified {result.test_size:.0%} of them are the test "
            f"rows, and of the other rows only the label budget keeps its labels."
        )
    seed = "no seed" if result.seed is None else f"seed {result.seed}"
    return (
        f"Data: {result.source}. {labels} Training: {train:,} rows, of which {result.n_labelled:,} "
        f"labelled ({frauds:,} frauds, {genuine:,} genuine, chosen stratified from the training rows "
        f"only) and {result.n_unlabelled:,} unlabelled. Test: {test:,} rows ({int(result.y_test.sum()):,} "
        f"frauds), whose labels no method saw; {seed}.\n\n"
        f"Methods: the SGAN ({_sgan_description(result.models.get('sgan'))}) and pseudo labelling "
        "(PseudoLabelClassifier around a "
        "HistGradientBoostingClassifier) learn from the labelled and the unlabelled rows; the supervised "
        "baseline (the same HistGradientBoostingClassifier) from the labelled rows alone. A method that "
        "does not beat the baseline got nothing from the unlabelled rows."
    )


def _sgan_description(model: Any) -> str:
    n_members = 1 if model is None else len(model.member_histories_)
    if n_members == 1:
        return "genfin's SGANClassifier; it holds out a share of the labelled rows to choose its best epoch"
    return (
        f"genfin's SGANClassifier: {n_members} cross-fitted SGANs, each holding out a different "
        f"1/{n_members} of the labelled rows, their probabilities averaged; the held-out shares, "
        f"pooled, choose the members' common best epoch"
    )


def _progress_caption(model: Any) -> str:
    history = model.history_
    rollbacks = [int(h.get("epoch", i + 1)) for i, h in enumerate(history) if h.get("rolled_back")]
    n_members = len(model.member_histories_)
    metric = _SELECTION_NAMES[model._selection_metric()]
    if n_members == 1:
        scored = f"the SGAN on its held-out labelled rows ({model.n_validation_} rows)"
    else:
        scored = (
            f"the SGAN's {n_members} members on their held-out shares of the labelled rows, pooled "
            f"(each row scored by the member that did not train on it)"
        )
    text = (
        f"The F1 and AUPRC of {scored} after each of its {len(history)} epochs; the weights kept are "
        f"epoch {model.best_epoch_}'s (best validation {metric})."
    )
    if rollbacks:
        text += (
            " Dotted lines: the collapse guard rolled back to the best weights after epoch(s) "
            + ", ".join(map(str, rollbacks))
        )
        text += "."
    else:
        text += " No rollback was needed."
    return text


def semi_section(
    report: Report | None,
    result: SemiResult,
    *,
    title: str = "Semi-supervised learning with few labels",
) -> Section:
    """Lay out a semi-supervised comparison: data and budget, test metrics, curves and rounds.

    The section holds, in order: a paragraph (the data, the label budget and the split), the metrics
    table of the methods on the test rows, their precision-recall curves in one figure
    (:func:`genfin.plots.precision_recall_figure`), the SGAN's validation F1 and AUPRC per epoch with
    its best epoch and rollbacks marked (:func:`genfin.plots.progress_figure`), and the pseudo labels
    given in each round (:func:`pseudo_label_rounds`). Parts of methods not run are left out.

    Parameters
    ----------
    report
        The report to add the section to; None returns a section not attached to any report.
    result
        What :func:`genfin.pipelines.semi.run_semi` returned.
    title
        The section's heading.

    Returns
    -------
    genfin.report.Section
        The filled section.
    """
    if not isinstance(result, SemiResult):
        raise ValueError(f"semi_section needs a SemiResult from run_semi, got {type(result).__name__}")
    # Everything is computed before the section is made, so a failure leaves the report as it was.
    metrics = _metrics_table(result)
    curves = precision_recall_figure(
        result.y_test,
        {METHODS[m]: s for m, s in result.test_scores.items()},
        title="Precision-recall on the test rows",
    )
    sgan = result.models.get("sgan")
    progress = None
    if sgan is not None and any("val_auprc" in h for h in sgan.history_):
        progress = progress_figure(sgan.history_, best_epoch=int(sgan.best_epoch_))
    pseudo = result.models.get("pseudo")
    rounds = None
    if pseudo is not None:
        known = None if np.all(result.y_train_true == UNLABELLED) else result.y_train_true
        rounds = pseudo_label_rounds(pseudo, known)

    section = report.add_section(title) if report is not None else Section(title, anchor="semi")
    section.text(_summary(result))
    n_test = len(result.y_test)
    section.table(
        metrics,
        caption=(
            f"Each method on the {n_test:,} test rows. AUPRC and ROC-AUC rank the fraud probabilities; F1, "
            f"precision and recall flag a probability above 0.5; precision at k is the share of frauds "
            f"among the {min(100, n_test)} highest; fit time in seconds."
        ),
        float_format="{:.3f}",
    )
    section.figure(
        curves,
        caption=(
            "Precision against recall on the test rows, one curve per method, with its AUPRC; the dashed "
            "line is the fraud rate (flagging at random)."
        ),
    )
    if progress is not None:
        section.figure(progress, caption=_progress_caption(sgan))
    if progress is not None and len(sgan.member_histories_) > 1:
        metric, n_members = sgan._selection_metric(), len(sgan.member_histories_)
        section.figure(
            members_figure(
                sgan.member_histories_, sgan.history_, best_epoch=sgan.best_epoch_, metric=f"val_{metric}"
            ),
            caption=(
                f"Validation {_SELECTION_NAMES[metric]} per epoch of each of the SGAN's {n_members} "
                f"cross-fitted members on its own share of the labelled rows (thin lines), and of all "
                f"shares pooled (bold), which chose the one epoch all members return (dashed). A "
                f"member's share holds few frauds, so its line jumps; a line flat at 0 is a member "
                f"that never flagged its own validation frauds."
            ),
        )
    if rounds is not None:
        last = rounds.iloc[-1]
        why = {
            "max_iter": "the most rounds were run",
            "no_change": "no unlabelled row was confident enough",
            "all_labeled": "every row was labelled",
        }.get(pseudo.termination_condition_, pseudo.termination_condition_)
        section.text(
            f"Pseudo labelling ran {pseudo.n_iter_} round(s) after its first fit on the true labels and "
            f"stopped because {why}; the last fit used {int(last['true labels']):,} true and "
            f"{int(last['pseudo labels']):,} pseudo labels, a true label counting "
            f"{pseudo.true_label_weight:g} times as much (threshold {pseudo.threshold:g})."
        )
        caption = "Pseudo labels per round: the rows given a label in that round and the lowest confidence"
        caption += " among them" + (
            "; 'new wrong' counts those whose true label (known here, hidden from the method) differs."
            if "new wrong" in rounds
            else "."
        )
        # Round 0 gave no pseudo labels, so it has no lowest confidence: a blank cell, not "NaN".
        shown = rounds.astype(object).where(rounds.notna(), None)
        section.table(shown, caption=caption, float_format="{:.4f}")
    return section


def write_semi_report(
    result: SemiResult,
    path: str | PathLike[str],
    *,
    title: str = "genfin semi-supervised report",
    subtitle: str | None = None,
) -> Path:
    """Write a standalone HTML report with one section: :func:`semi_section` of ``result``.

    Parameters
    ----------
    result
        What :func:`genfin.pipelines.semi.run_semi` returned.
    path
        The HTML file to write; parent folders are created.
    title
        The report's heading.
    subtitle
        A line under the heading; by default the rows used.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    report = Report(title, subtitle=subtitle if subtitle is not None else result.describe())
    semi_section(report, result)
    return report.write(path)
