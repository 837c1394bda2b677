from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots import training_curve_figure


def test_training_curve_draws_each_metric_and_marks_rounds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    history = [
        {"round": r, "epoch": e, "loss": 1.0 / (e + r), "val_loss": 1.1 / (e + r), "seconds": 0.1}
        for r in (1, 2)
        for e in (1, 2, 3)
    ]
    history[1]["rows_trimmed"] = 5.0
    fig = training_curve_figure(history)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels.count("loss") == 1 and labels.count("val_loss") == 1
    assert "new round, fresh weights" in labels and "worst rows dropped" in labels
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert list(tmp_path.iterdir()) == []


def test_empty_history_is_refused():
    with pytest.raises(DataValidationError, match="empty"):
        training_curve_figure([])
