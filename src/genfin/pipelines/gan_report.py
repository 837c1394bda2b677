"""The report section of a fitted GAN: its data and tricks, collapse signs, losses and samples.

:func:`gan_section` lays out a fitted GAN for a report (what it learned from, the tricks on, the
collapse detector's findings, its losses, a grid of samples, one row per class when conditional, and
for tables the synthetic rows judged against real ones); :func:`write_gan_report` writes it alone.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genfin.evaluate.synthetic import evaluate_synthetic
from genfin.exceptions import DataValidationError
from genfin.models import GAN
from genfin.models._validation import check_is_fitted
from genfin.pipelines.augment import conform_samples
from genfin.plots import (
    correlation_heatmap_figure,
    gan_losses_figure,
    image_grid_figure,
    marginal_overlay_figure,
)
from genfin.report import Report, Section
from genfin.training.gan_tricks import GANTricks

__all__ = ["describe_tricks", "gan_section", "write_gan_report"]

#: Most rows drawn to compare a tabular GAN with its real rows in a report.
_MAX_COMPARED = 5_000
_MAX_MARGINALS = 12
# The recipes a report names instead of listing fields.
_NAMED_RECIPES = (
    ("genfin's defaults", "GANTricks()", GANTricks),
    ("the book recipe", "GANTricks.book()", GANTricks.book),
    ("no tricks", "GANTricks.plain()", GANTricks.plain),
)


def describe_tricks(tricks: GANTricks) -> str:
    """Name the recipe ``tricks`` is, or list the fields that differ from genfin's defaults.

    For example ``"the book recipe (GANTricks.book())"``, or ``"genfin's defaults with
    separate_batches=False, latent='uniform'"``.
    """
    for name, spelled, make in _NAMED_RECIPES:
        if tricks == make():
            return f"{name} ({spelled})"
    defaults = GANTricks()
    changed = [
        f"{field.name}={getattr(tricks, field.name)!r}"
        for field in dataclasses.fields(GANTricks)
        if getattr(tricks, field.name) != getattr(defaults, field.name)
    ]
    return "genfin's defaults with " + ", ".join(changed)


def gan_section(
    report: Report | None,
    model: GAN,
    *,
    real: Any = None,
    n_samples: int = 64,
    random_state: int | None = 0,
    title: str = "GAN",
    data: str | None = None,
) -> Section:
    """Lay out a fitted GAN: its data and tricks, the collapse detector's findings, losses and samples.

    The section holds, in order: a paragraph (the data, the epochs trained, the tricks that differ
    from genfin's defaults, the collapse events and the last epoch's discriminator outputs), the
    losses figure (:func:`genfin.plots.gan_losses_figure`), and samples:

    - images: a grid of ``n_samples`` (one row per class for a conditional GAN, the class written
      in the row's first tile), and a grid of as many ``real`` images for comparison when given;
    - rows: a table of a few samples (a few per class when conditional); with ``real``, the
      synthetic-data metrics (:func:`genfin.evaluate.synthetic.evaluate_synthetic`), each column's
      distribution overlaid and the correlation matrices, of as many samples as real rows (at most
      5,000), conformed to ``real``'s dtypes and signs as ``genfin gan sample`` writes them.

    Parameters
    ----------
    report
        Add the section to this report; None returns a stand-alone section.
    model
        A fitted :class:`genfin.GAN`.
    real
        The real images (``(n, height, width)``, uint8 or floats in [0, 1]) or rows (a DataFrame
        with the GAN's columns) to compare with, such as the training data.
    n_samples
        Images in the grid (rows in the table for a tabular GAN).
    random_state
        Seed of the samples and the metrics.
    title
        The section's heading.
    data
        A description of the training data for the first paragraph.

    Returns
    -------
    genfin.report.Section
        The filled section.

    Raises
    ------
    ValueError
        For an unfitted model or something else than a GAN, or ``real`` that does not match it;
        nothing is added to ``report`` then.
    """
    if not isinstance(model, GAN):
        raise ValueError(f"gan_section needs a genfin GAN, got {type(model).__name__}")
    check_is_fitted(model)
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    losses = gan_losses_figure(model.history_, events=model.collapse_events_)
    blocks: list[Callable[[Section], Any]] = []
    if model.kind_ == "image":
        blocks += _image_blocks(model, real, n_samples, random_state)
    else:
        blocks += _table_blocks(model, real, n_samples, random_state)

    # Everything is computed before the section is made, so a refused input leaves the report as it was.
    section = report.add_section(title) if report is not None else Section(title, anchor="gan")
    section.text(_summary(model, data))
    section.figure(
        losses,
        caption=(
            "Losses of both players per epoch, the discriminator's mean probability of 'real' for real "
            "rows and fakes (0.5: it cannot tell them apart), and the collapse detector's measures; "
            "shaded epochs had a collapse sign, dashed lines mark reported failures."
        ),
    )
    for block in blocks:
        block(section)
    return section


def write_gan_report(
    model: GAN,
    path: str | PathLike[str],
    *,
    real: Any = None,
    n_samples: int = 64,
    random_state: int | None = 0,
    data: str | None = None,
    title: str = "genfin GAN report",
    subtitle: str | None = None,
) -> Path:
    """Write a standalone HTML report with one section: :func:`gan_section` of ``model``.

    Parameters
    ----------
    model, real, n_samples, random_state, data
        As for :func:`gan_section`.
    path
        The HTML file to write; parent folders are created.
    title
        The report's heading.
    subtitle
        A line under the heading; by default the data's description.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    report = Report(title, subtitle=subtitle if subtitle is not None else data)
    gan_section(report, model, real=real, n_samples=n_samples, random_state=random_state, data=data)
    return report.write(path)


def _summary(model: GAN, data: str | None) -> str:
    history = model.history_
    kind = (
        f"images of {model.image_shape_[0]}x{model.image_shape_[1]} pixels (the book's DCGAN)"
        if model.kind_ == "image"
        else f"rows of {model.n_features_in_} features (an MLP GAN)"
    )
    parts = [f"A GAN of {kind}, trained on {data}" if data else f"A GAN of {kind}"]
    if model.classes_ is not None:
        parts[0] += f", conditional on {len(model.classes_)} classes ({', '.join(map(str, model.classes_))})"
    planned = int(model.n_epochs_)
    epochs = f"{len(history)} epoch{'s' if len(history) != 1 else ''}"
    if len(history) < planned:
        epochs += (
            f" of {planned} (stopped by the collapse detector)"
            if model.collapse == "stop"
            else f" of {planned}"
        )
    parts[0] += f", for {epochs} of batch {model.batch_size}, latent size {model.latent_dim_}."
    parts.append(f"Tricks: {describe_tricks(GANTricks.coerce(model.tricks))}.")
    events = model.collapse_events_ or []
    if model.collapse == "ignore":
        parts.append("The collapse detector was off.")
    elif events:
        found = "; ".join(f"{e['sign']} in epoch {e['epoch']}" for e in events)
        parts.append(f"The collapse detector reported {len(events)} failure(s): {found}.")
    else:
        parts.append("The collapse detector reported no failure.")
    last = history[-1] if history else {}
    if _finite(last.get("d_real")) and _finite(last.get("d_fake")):
        sentence = (
            f"In the last epoch the discriminator gave real rows a mean probability of {last['d_real']:.2f} "
            f"of being real and fakes {last['d_fake']:.2f}"
        )
        if _finite(last.get("sample_diversity")):
            sentence += f"; the samples were {last['sample_diversity']:.2f} times as diverse as the data"
        parts.append(sentence + ".")
    return " ".join(parts)


def _image_blocks(
    model: GAN, real: Any, n_samples: int, random_state: int | None
) -> list[Callable[[Section], Any]]:
    blocks: list[Callable[[Section], Any]] = []
    if model.classes_ is not None:
        classes = list(model.classes_)
        per_class = max(1, min(10, n_samples // len(classes)))
        wanted = [c for c in classes for _ in range(per_class)]
        images = model.sample(len(wanted), y=np.asarray(wanted, dtype=object), random_state=random_state)
        titles = [str(c) if i % per_class == 0 else "" for i, c in enumerate(wanted)]
        grid = image_grid_figure(images, n_cols=per_class, titles=titles)
        caption = f"{per_class} samples of each class, one row per class (the class in the first tile)"
    else:
        images = model.sample(n_samples, random_state=random_state)
        grid = image_grid_figure(images, n_cols=min(8, n_samples))
        caption = f"{n_samples} samples from the {'averaged ' if _averaged(model) else ''}generator"
    blocks.append(lambda section: section.figure(grid, caption=caption))
    if real is not None:
        pictures = _real_images(real, model.image_shape_)[: len(images)]
        real_grid = image_grid_figure(
            pictures, n_cols=per_class if model.classes_ is not None else min(8, len(pictures))
        )
        blocks.append(
            lambda section: section.figure(real_grid, caption=f"{len(pictures)} real images, for comparison")
        )
    return blocks


def _real_images(real: Any, shape: Sequence[int]) -> np.ndarray:
    array = np.asarray(real)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3 or tuple(array.shape[1:]) != tuple(shape) or len(array) == 0:
        raise DataValidationError(
            f"expected real images of shape (n, {shape[0]}, {shape[1]}), got shape {np.shape(real)}",
            source="real",
        )
    return array.astype(np.float32) / 255.0 if array.dtype == np.uint8 else array.astype(np.float32)


def _table_blocks(
    model: GAN, real: Any, n_samples: int, random_state: int | None
) -> list[Callable[[Section], Any]]:
    blocks: list[Callable[[Section], Any]] = []
    names = model.feature_names_in_ or [f"x{j}" for j in range(model.n_features_in_)]
    reference = None
    if real is not None:
        reference = real if isinstance(real, pd.DataFrame) else pd.DataFrame(np.asarray(real), columns=names)
        if list(map(str, reference.columns)) != list(names):
            raise DataValidationError(
                f"has columns {list(reference.columns)}, the GAN was fitted on {list(names)}", source="real"
            )
    if model.classes_ is not None:
        per_class = max(1, min(5, n_samples // len(model.classes_)))
        wanted = np.asarray([c for c in model.classes_ for _ in range(per_class)], dtype=object)
        rows = pd.DataFrame(
            np.asarray(model.sample(len(wanted), y=wanted, random_state=random_state)), columns=names
        )
        caption = f"{per_class} synthetic rows of each class"
    else:
        wanted = None
        rows = pd.DataFrame(
            np.asarray(model.sample(min(n_samples, 10), random_state=random_state)), columns=names
        )
        caption = f"{len(rows)} synthetic rows"
    if reference is not None:
        rows, _ = conform_samples(rows, reference)
        caption += ", in the original units and the real rows' dtypes"
    else:
        caption += ", in the original units"
    preview = (
        rows if wanted is None else rows.assign(**{"class": [str(c) for c in wanted]})[["class", *names]]
    )
    blocks.append(lambda section: section.table(preview, caption=caption, float_format="{:.4g}"))
    if reference is None:
        return blocks
    n_rows = max(2, min(len(reference), _MAX_COMPARED))
    drawn = model.sample(n_rows, random_state=None if random_state is None else random_state + 1)
    synthetic, _ = conform_samples(pd.DataFrame(np.asarray(drawn), columns=names), reference)
    evaluation = evaluate_synthetic(reference, synthetic, random_state=random_state)
    table = evaluation.to_frame()
    if "target" in table and table["target"].isna().all():
        table = table.drop(columns="target")
    marginals = marginal_overlay_figure(reference, synthetic, max_columns=_MAX_MARGINALS)
    correlations = correlation_heatmap_figure(reference, synthetic) if len(names) >= 2 else None
    shown_columns = min(len(names), _MAX_MARGINALS)
    blocks.append(
        lambda section: section.table(
            table,
            caption=(
                f"{n_rows:,} synthetic rows against {len(reference):,} real ones (ks_complement and "
                "correlation_similarity 1 best, detection_auc 0.5 best)"
            ),
            float_format="{:.3f}",
        )
    )
    blocks.append(
        lambda section: section.figure(
            marginals,
            caption=(
                "Each column's distribution, real (grey) against synthetic (orange)"
                + (
                    f": the {shown_columns} of {len(names)} columns with the largest KS statistic"
                    if shown_columns < len(names)
                    else ""
                )
            ),
        )
    )
    if correlations is not None:
        blocks.append(
            lambda section: section.figure(
                correlations,
                caption="Pearson correlations of the real and synthetic rows, and synthetic minus real",
            )
        )
    return blocks


def _averaged(model: GAN) -> bool:
    return GANTricks.coerce(model.tricks).average_generator > 0


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
