import pytest
from matplotlib.figure import Figure

from genfin.exceptions import DataValidationError
from genfin.plots import members_figure, progress_figure

HISTORY = [
    {"epoch": e, "val_f1": f, "val_auprc": a, "best_epoch": b, "rolled_back": r}
    for e, f, a, b, r in [
        (1, 0.2, 0.3, 1, 0),
        (2, 0.6, 0.7, 2, 0),
        (3, 0.1, 0.2, 2, 0),
        (4, 0.0, 0.1, 2, 1),
        (5, 0.5, 0.6, 2, 0),
    ]
]


def test_progress_figure_draws_both_scores_and_marks_the_best_epoch():
    fig = progress_figure(HISTORY)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "F1" in labels and "AUPRC" in labels
    assert "best epoch (2)" in labels and "rolled back" in labels
    f1 = next(line for line in ax.get_lines() if line.get_label() == "F1")
    assert list(f1.get_ydata()) == [0.2, 0.6, 0.1, 0.0, 0.5]


def test_progress_figure_takes_an_explicit_best_epoch_and_metrics():
    fig = progress_figure(HISTORY, metrics=["val_f1"], best_epoch=5)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "returned epoch (5)" in labels and "AUPRC" not in labels


def test_progress_figure_errors_name_the_problem():
    with pytest.raises(DataValidationError, match="empty"):
        progress_figure([])
    with pytest.raises(DataValidationError, match="validation"):
        progress_figure([{"epoch": 1, "d_loss": 0.5}])


def test_members_figure_draws_one_line_per_member_and_dots_its_returned_epoch():
    other = [{**h, "val_f1": 0.0} for h in HISTORY]  # a member that never flagged its fraud
    fig = members_figure([HISTORY, other], [2, 1])
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert list(lines["member 1"].get_ydata()) == [0.2, 0.6, 0.1, 0.0, 0.5]
    assert list(lines["member 2"].get_ydata()) == [0.0] * 5
    dots = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o" and len(line.get_xdata())]
    assert sorted((int(d.get_xdata()[0]), float(d.get_ydata()[0])) for d in dots) == [(1, 0.0), (2, 0.6)]


def test_members_figure_errors_name_the_problem():
    with pytest.raises(DataValidationError, match="one returned epoch per member"):
        members_figure([HISTORY], [1, 2])
    with pytest.raises(DataValidationError, match="no 'val_auprc'"):
        members_figure([[{"epoch": 1, "val_f1": 0.5}]], [1], metric="val_auprc")
