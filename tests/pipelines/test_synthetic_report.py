from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genfin.data import make_transactions, stratified_split
from genfin.pipelines.synthetic_report import (
    fraud_synthesis_section,
    synthetic_section,
    write_synthetic_report,
)
from genfin.report import Report, Section

RNG = np.random.default_rng(0)
COLUMNS = [f"c{i}" for i in range(4)]


def _table(n, shift=0.0):
    mixing = np.array(
        [[1.0, 0.6, 0.0, 0.0], [0.0, 0.8, 0.3, 0.0], [0.0, 0.0, 1.0, 0.5], [0.0, 0.0, 0.0, 1.0]]
    )
    return pd.DataFrame(RNG.normal(size=(n, 4)) @ mixing + shift, columns=COLUMNS)


REAL, SYNTHETIC, HOLDOUT = _table(200), _table(150, shift=0.2), _table(100)


def _figures(html):
    return html.count("data:image/png;base64,")


@pytest.fixture
def kept_figures(monkeypatch):
    """Keep the figures sections add instead of rendering them to PNG, which takes most of the time."""
    kept = []

    def figure(self, fig, *, caption=None, alt=None, dpi=110):
        kept.append(fig)
        self._blocks.append(f"<figure>{caption}</figure>")
        return self

    monkeypatch.setattr(Section, "figure", figure)
    return kept


def test_section_holds_counts_metric_table_and_both_figures():
    section = synthetic_section(REAL, SYNTHETIC, real_holdout=HOLDOUT, title="Synthetic rows")
    assert isinstance(section, Section)
    html = section.to_html()
    assert "<h2>Synthetic rows</h2>" in html
    assert "150 synthetic rows" in html and "200 real rows" in html and "100 real rows" in html
    for metric in ("ks_complement", "correlation_similarity", "detection_auc", "distance_to_closest_record"):
        assert f"<td>{metric}</td>" in html
    assert "train_synthetic_test_real (needs class labels for the rows)" in html  # skipped, and why
    assert "No sign of copying" in html
    assert _figures(html) == 2


def test_section_flags_copied_rows(kept_figures):
    copies = pd.concat([REAL.iloc[:120], SYNTHETIC.iloc[:30]], ignore_index=True)
    html = synthetic_section(REAL, copies, real_holdout=HOLDOUT).to_html()
    assert "Warning: 80.0% of the synthetic rows are exact copies" in html
    assert "near copies" in html and "No sign of copying" not in html


def test_section_with_labels_adds_utility_and_keeps_labels_out_of_the_figures(kept_figures):
    labels = {
        name: (table["c0"] > 0).astype(int).to_numpy()
        for name, table in (("real", REAL), ("synthetic", SYNTHETIC), ("holdout", HOLDOUT))
    }
    report = Report("r")
    section = synthetic_section(
        REAL,
        SYNTHETIC,
        real_holdout=HOLDOUT,
        real_labels=labels["real"],
        synthetic_labels=labels["synthetic"],
        holdout_labels=labels["holdout"],
        report=report,
    )
    assert report.sections == [section]
    html = section.to_html()
    assert "<td>train_synthetic_test_real</td>" in html and "Not computed" not in html
    assert "over 4 columns" in html
    marginals, correlations = kept_figures
    assert [ax.get_title(loc="left").split()[0] for ax in marginals.axes] == COLUMNS
    assert len([ax for ax in correlations.axes if ax.images]) == 3


def test_section_of_arrays_without_holdout(kept_figures):
    html = synthetic_section(REAL.to_numpy(), SYNTHETIC.to_numpy()).to_html()
    assert "distance_to_closest_record (needs real_holdout" in html
    assert "copies" not in html
    assert len(kept_figures) == 2
    assert [ax.get_title(loc="left").split()[0] for ax in kept_figures[0].axes] == ["x0", "x1", "x2", "x3"]


def test_refused_input_leaves_the_report_alone():
    report = Report("r")
    with pytest.raises(ValueError, match=r"missing \['c3'\]"):
        synthetic_section(REAL, SYNTHETIC.drop(columns="c3"), report=report)
    with pytest.raises(ValueError, match="missing synthetic_labels"):
        synthetic_section(REAL, SYNTHETIC, real_labels=np.zeros(len(REAL)), report=report)
    with pytest.raises(ValueError, match="without real_holdout"):
        synthetic_section(REAL, SYNTHETIC, holdout_labels=np.zeros(3), report=report)
    assert report.sections == []


def test_write_synthetic_report(tmp_path):
    path = write_synthetic_report(
        REAL, SYNTHETIC, tmp_path / "out" / "synthetic.html", real_holdout=HOLDOUT, subtitle="a test"
    )
    assert path == tmp_path / "out" / "synthetic.html"
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Synthetic against real data" in html and "a test" in html
    assert "<td>ks_complement</td>" in html and _figures(html) == 2


def test_fraud_synthesis_section_fits_on_training_frauds_only(kept_figures):
    data = make_transactions(n_samples=3000, fraud_rate=0.02, random_state=0)
    X_train, X_test, y_train, y_test = stratified_split(data.X, data.y, test_size=0.3, random_state=0)
    report = Report("r")
    section = fraud_synthesis_section(report, X_train, y_train, X_test, y_test, epochs=3, random_state=0)
    assert report.sections == [section]
    html = section.to_html()
    assert "fitted on the 42 frauds among the training rows" in html
    # At least 200 synthetic frauds, though there are only 18 test frauds.
    assert "200 synthetic rows compared with the 42 real rows" in html
    assert "18 real rows it never saw" in html
    assert "<td>distance_to_closest_record</td>" in html
    marginals, correlations = kept_figures
    # 29 feature columns: the 12 worst get a panel.
    assert len([ax for ax in marginals.axes if ax.get_visible()]) == 12
    assert "12 of 29 columns" in marginals.get_suptitle()
    assert len([ax for ax in correlations.axes if ax.images]) == 3


def test_fraud_synthesis_section_with_too_few_frauds():
    data = make_transactions(n_samples=400, fraud_rate=0.01, random_state=0)
    report = Report("r")
    fraud_synthesis_section(report, data.X, data.y, data.X, data.y, epochs=3)
    assert "Skipped: 4 training frauds" in report.sections[0].to_html()
