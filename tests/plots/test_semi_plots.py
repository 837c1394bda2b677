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


def test_members_figure_draws_each_member_thin_and_the_pooled_score_that_chose_the_epoch():
    other = [{**h, "val_f1": 0.0} for h in HISTORY]  # a member that never flagged its fraud
    pooled = [{**h, "val_f1": 0.3} for h in HISTORY]
    fig = members_figure([HISTORY, other], pooled)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert list(lines["member 1"].get_ydata()) == [0.2, 0.6, 0.1, 0.0, 0.5]
    assert list(lines["member 2"].get_ydata()) == [0.0] * 5
    assert list(lines["pooled (chooses the epoch)"].get_ydata()) == [0.3] * 5
    assert list(lines["returned epoch (2)"].get_xdata()) == [2, 2]  # the pooled history's best_epoch
    labels = [
        line.get_label() for line in members_figure([HISTORY], pooled, best_epoch=5).axes[0].get_lines()
    ]
    assert "returned epoch (5)" in labels


def test_members_figure_errors_name_the_problem():
    with pytest.raises(DataValidationError, match="need 'val_f1'"):
        members_figure([], HISTORY)
    with pytest.raises(DataValidationError, match="need 'val_auprc'"):
        members_figure([[{"epoch": 1, "val_f1": 0.5}]], HISTORY, metric="val_auprc")
