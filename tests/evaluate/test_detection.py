from __future__ import annotations

import numpy as np
import pytest

from genfin.evaluate import (
    auprc,
    detection_metrics,
    precision_at_k,
    precision_recall_curve,
    precision_recall_f1,
    recall_at_fpr,
    roc_auc,
)
from genfin.exceptions import DataValidationError

# Ranked from highest score: fraud, genuine, fraud, genuine, fraud.
Y_RANKED = [1, 0, 1, 0, 1]
S_RANKED = [0.9, 0.8, 0.7, 0.6, 0.5]

# A fraud and a genuine row tie at 0.5.
Y_TIED = [1, 0, 1, 0]
S_TIED = [0.9, 0.5, 0.5, 0.1]


def test_auprc_hand_computed():
    # Precision at each fraud's rank: 1/1, 2/3, 3/5, each worth a recall step of 1/3.
    assert auprc(Y_RANKED, S_RANKED) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)


def test_auprc_ties_form_one_threshold():
    # Threshold 0.9: P=1, R=1/2. Threshold 0.5 takes both tied rows at once: P=2/3, R=1.
    assert auprc(Y_TIED, S_TIED) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_auprc_perfect_and_order_free():
    assert auprc([0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(1.0)
    perm = [3, 1, 0, 2]
    assert auprc(np.array(Y_TIED)[perm], np.array(S_TIED)[perm]) == pytest.approx(auprc(Y_TIED, S_TIED))


def test_roc_auc_hand_computed_with_tie_counting_half():
    # Fraud/genuine pairs: (0.9>0.5), (0.9>0.1), (0.5=0.5 -> 1/2), (0.5>0.1).
    assert roc_auc(Y_TIED, S_TIED) == pytest.approx(3.5 / 4)
    # Pairs won: 0.9 beats both, 0.7 beats one, 0.5 beats none -> 3 of 6.
    assert roc_auc(Y_RANKED, S_RANKED) == pytest.approx(3 / 6)


def test_precision_recall_f1_is_strictly_above_threshold():
    # 0.7 is not above 0.7: flagged are 0.9 (fraud) and 0.8 (genuine).
    out = precision_recall_f1(Y_RANKED, S_RANKED, 0.7)
    assert list(out) == ["precision", "recall", "f1"]
    assert out["precision"] == pytest.approx(1 / 2)
    assert out["recall"] == pytest.approx(1 / 3)
    assert out["f1"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))


def test_precision_recall_f1_nothing_flagged_is_zero():
    assert precision_recall_f1(Y_RANKED, S_RANKED, 1.0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_precision_at_k_hand_computed():
    assert precision_at_k(Y_RANKED, S_RANKED, 1) == 1.0
    assert precision_at_k(Y_RANKED, S_RANKED, 3) == pytest.approx(2 / 3)
    assert precision_at_k(Y_RANKED, S_RANKED, 5) == pytest.approx(3 / 5)


def test_precision_at_k_ties_at_the_cut_use_the_group_average():
    # k=2: the 0.9 fraud, then one of two rows tied at 0.5 of which one is fraud -> (1 + 1/2) / 2.
    assert precision_at_k(Y_TIED, S_TIED, 2) == pytest.approx(0.75)
    # The answer must not depend on which tied row comes first.
    assert precision_at_k([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], 2) == pytest.approx(0.75)


def test_recall_at_fpr_hand_computed():
    y = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]  # 3 frauds, 7 genuine
    s = np.arange(10, 0, -1)
    assert recall_at_fpr(y, s, fpr=0.0) == pytest.approx(2 / 3)
    assert recall_at_fpr(y, s, fpr=0.1) == pytest.approx(2 / 3)  # 1/7 > 0.1
    assert recall_at_fpr(y, s, fpr=1 / 7) == pytest.approx(1.0)


def test_recall_at_fpr_cannot_split_ties():
    y = [1, 0, 1, 0, 0]  # 2 frauds, 3 genuine
    s = [0.9, 0.9, 0.8, 0.1, 0.1]
    assert recall_at_fpr(y, s, fpr=0.0) == 0.0
    assert recall_at_fpr(y, s, fpr=0.25) == 0.0
    assert recall_at_fpr(y, s, fpr=1 / 3) == 1.0


def test_precision_recall_curve_ends_at_recall_zero():
    precision, recall, thresholds = precision_recall_curve(Y_TIED, S_TIED)
    assert recall[0] == 1.0 and recall[-1] == 0.0
    assert precision[-1] == 1.0
    assert len(thresholds) == len(precision) - 1


def test_detection_metrics_order_and_values():
    out = detection_metrics(Y_RANKED, S_RANKED, k=3, fpr=0.5)
    assert list(out) == ["auprc", "roc_auc", "precision_at_k", "recall_at_fpr", "n", "n_fraud", "fraud_rate"]
    assert out["auprc"] == pytest.approx(auprc(Y_RANKED, S_RANKED))
    assert out["precision_at_k"] == pytest.approx(2 / 3)
    assert out["recall_at_fpr"] == pytest.approx(2 / 3)  # one genuine of two flagged at 0.7
    assert (out["n"], out["n_fraud"], out["fraud_rate"]) == (5, 3, pytest.approx(0.6))


def test_detection_metrics_with_threshold_adds_precision_recall_f1():
    out = detection_metrics(Y_RANKED, S_RANKED, threshold=0.7, k=2)
    assert list(out)[4:7] == ["precision", "recall", "f1"]
    assert out["recall"] == pytest.approx(1 / 3)


def test_accepts_bool_labels_and_integer_scores():
    assert roc_auc(np.array([True, False, True]), np.array([3, 1, 2])) == 1.0


@pytest.mark.parametrize(
    ("y", "scores", "match"),
    [
        ([0, 1, 1], [0.1, 0.2], r"y has shape \(3,\) but scores has shape \(2,\)"),
        ([[0, 1]], [[0.1, 0.2]], r"1-D array .* shape \(1, 2\)"),
        ([], [], "empty"),
        ([0, 1, 1], [0.1, np.nan, 0.3], "NaN or infinite"),
        ([0, 1, 1], [0.1, 0.2, np.inf], "NaN or infinite"),
        ([0, 2, 1], [0.1, 0.2, 0.3], r"0 \(genuine\) or 1 \(fraud\).*\[2\]"),
        (["a", "b", "a"], [0.1, 0.2, 0.3], "dtype"),
        ([0, 1, 1], ["x", "y", "z"], "must be numbers"),
        ([0, 0, 0], [0.1, 0.2, 0.3], "at least one fraud"),
        ([1, 1, 1], [0.1, 0.2, 0.3], "at least one genuine"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(y, scores, match):
    with pytest.raises(DataValidationError, match=match):
        auprc(y, scores)


def test_bad_input_error_names_the_row():
    with pytest.raises(DataValidationError) as info:
        roc_auc([0, 1, 1, 0], [0.1, 0.2, np.nan, 0.3])
    assert info.value.row == 3 and info.value.source == "scores"


@pytest.mark.parametrize("k", [0, -1, 6, 2.5, True])
def test_bad_k(k):
    with pytest.raises(DataValidationError, match="k"):
        precision_at_k(Y_RANKED, S_RANKED, k)


@pytest.mark.parametrize("fpr", [-0.1, 1.5, "0.01"])
def test_bad_fpr(fpr):
    with pytest.raises(DataValidationError, match="fpr"):
        recall_at_fpr(Y_RANKED, S_RANKED, fpr)


def test_bad_threshold():
    with pytest.raises(DataValidationError, match="threshold"):
        precision_recall_f1(Y_RANKED, S_RANKED, float("nan"))


def test_detection_metrics_refuses_k_larger_than_data():
    with pytest.raises(DataValidationError, match="k=100 is larger than the 5"):
        detection_metrics(Y_RANKED, S_RANKED)


def test_precision_at_k_needs_no_fraud():
    assert precision_at_k([0, 0, 0], [0.3, 0.2, 0.1], 2) == 0.0
