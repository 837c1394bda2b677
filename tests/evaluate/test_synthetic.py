from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits

from genfin.evaluate.synthetic import (
    CorrelationSimilarity,
    DetectionAUC,
    DistanceToClosestRecord,
    KSComplement,
    SyntheticMetric,
    TrainSyntheticTestReal,
    evaluate_synthetic,
)
from genfin.evaluate.synthetic.fidelity import ks_statistic
from genfin.exceptions import DataValidationError

COLUMNS = ["amount", "v1", "v2", "v3"]
MIXING = np.array(
    [
        [1.0, 0.0, 0.0, 0.0],
        [0.8, 0.6, 0.0, 0.0],
        [0.0, 0.5, 0.9, 0.0],
        [0.0, 0.0, 0.3, 1.0],
    ]
)


def table(n: int, seed: int) -> pd.DataFrame:
    """Correlated Gaussian columns on different scales, as transaction features are."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, 4)) @ MIXING.T * [100.0, 1.0, 3.0, 0.1] + [50.0, 0.0, -2.0, 0.0]
    return pd.DataFrame(values, columns=COLUMNS)


def labelled(n: int, seed: int, n_features: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A logistic class rule on two of the features; about a quarter positives."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    logits = 2.5 * X[:, 0] - 2.0 * X[:, 1] - 2.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return table(500, seed=1)


@pytest.fixture(scope="module")
def fresh() -> pd.DataFrame:
    return table(500, seed=2)


@pytest.fixture(scope="module")
def shifted(fresh) -> pd.DataFrame:
    moved = fresh.copy()
    moved["v2"] += 1.5 * moved["v2"].std()
    return moved


# --- declarations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric",
    [KSComplement, CorrelationSimilarity, DetectionAUC, TrainSyntheticTestReal, DistanceToClosestRecord],
)
def test_every_metric_declares_how_to_read_it(metric):
    assert issubclass(metric, SyntheticMetric)
    assert metric.goal in ("maximize", "minimize", "target")
    assert metric.family in ("fidelity", "detection", "utility", "privacy")
    assert metric.min_value < metric.max_value
    assert (metric.target is not None) == (metric.goal == "target")
    assert metric.__doc__ and metric.name


def test_normalize_puts_values_on_zero_to_one_best_one():
    assert KSComplement.normalize(0.7) == pytest.approx(0.7)
    # 1 - 2 |AUC - 0.5|, in both directions, unlike SDMetrics' clipping at 0.5.
    assert DetectionAUC.normalize(0.5) == 1.0
    assert DetectionAUC.normalize(0.8) == pytest.approx(0.4)
    assert DetectionAUC.normalize(0.3) == pytest.approx(0.6)
    assert DetectionAUC.normalize(1.0) == 0.0
    assert DistanceToClosestRecord.normalize(1.4) == 1.0
    assert DistanceToClosestRecord.normalize(0.25) == 0.25
    assert TrainSyntheticTestReal.normalize(math.inf) == 1.0
    assert math.isnan(KSComplement.normalize(math.nan))


def test_settings_are_stored_untouched():
    metric = DetectionAUC(classifier="gradient_boosting", n_splits=3, random_state=7)
    assert (metric.classifier, metric.n_splits, metric.max_rows, metric.random_state) == (
        "gradient_boosting",
        3,
        None,
        7,
    )
    assert "n_splits=3" in repr(metric)


# --- fidelity --------------------------------------------------------------------------------------


def test_ks_statistic_equals_scipys_with_ties():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 200).astype(float), rng.normal(2, 1.5, 150).round()
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)
    a, b = rng.normal(size=300), rng.normal(0.3, 1, 100)
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)


def test_ks_complement_one_on_same_rows_and_near_one_on_fresh_draws(real, fresh):
    assert KSComplement().compute(real, real) == 1.0
    breakdown = KSComplement().compute_breakdown(real, fresh)
    assert list(breakdown) == COLUMNS
    # Two samples of 500: a column's statistic exceeds 1.36 * sqrt(2 / 500) = 0.086 5% of the time.
    assert min(breakdown.values()) > 0.88
    assert KSComplement().compute(real, fresh) == pytest.approx(np.mean(list(breakdown.values())))


def test_ks_complement_shift_lowers_only_that_column(real, fresh, shifted):
    before = KSComplement().compute_breakdown(real, fresh)
    after = KSComplement().compute_breakdown(real, shifted)
    assert after["v2"] < 0.6 < before["v2"]
    for column in ("amount", "v1", "v3"):
        assert after[column] == before[column]
    # Disjoint samples are as different as can be.
    assert KSComplement().compute(real, real + 1e6) == 0.0


def test_correlation_similarity_one_on_same_rows_lower_when_correlation_broken(real, fresh):
    metric = CorrelationSimilarity()
    assert metric.compute(real, real) == pytest.approx(1.0)
    assert metric.compute(real, fresh) > 0.95

    broken = fresh.copy()
    broken["v1"] = np.random.default_rng(3).permutation(broken["v1"].to_numpy())
    breakdown = metric.compute_breakdown(real, broken)
    assert breakdown["correlation_similarity"] < metric.compute(real, fresh) - 0.05
    assert "v1" in breakdown["worst_pair"]
    # amount and v1 are correlated 0.8 in the real rows, about 0 once v1 is shuffled.
    assert breakdown["max_abs_difference"] == pytest.approx(0.8, abs=0.1)
    assert len(breakdown["pairs"]) == 6
    assert breakdown["correlation_similarity"] == pytest.approx(np.mean(list(breakdown["pairs"].values())))


def test_correlation_similarity_counts_a_collapsed_column_as_uncorrelated(real, fresh):
    collapsed = fresh.copy()
    collapsed["v1"] = 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        breakdown = CorrelationSimilarity().compute_breakdown(real, collapsed)
    assert 0.0 < breakdown["correlation_similarity"] < 1.0
    assert math.isfinite(breakdown["max_abs_difference"])


def test_correlation_similarity_needs_two_columns(real):
    with pytest.raises(DataValidationError, match="at least 2 columns"):
        CorrelationSimilarity().compute(real[["v1"]], real[["v1"]])


# --- detection -------------------------------------------------------------------------------------


def test_detection_auc_near_half_for_same_distribution_and_high_for_a_shift(real, fresh, shifted):
    same = DetectionAUC(random_state=0).compute_breakdown(real, fresh)
    # Cross-validated AUC on null data has a spread of about 0.025 here, and leans below 0.5.
    assert same["auc"] == pytest.approx(0.5, abs=0.08)
    assert same["score"] == pytest.approx(1 - 2 * abs(same["auc"] - 0.5))
    moved = DetectionAUC(random_state=0).compute(real, shifted)
    # A shift of 1.5 standard deviations in one column alone gives AUC = Phi(1.5 / sqrt 2) = 0.86; the
    # columns correlated with it make the shift stand out more.
    assert 0.8 < moved < 0.95


def test_detection_auc_balances_the_sides_and_repeats_with_a_seed(real, fresh):
    breakdown = DetectionAUC(random_state=0).compute_breakdown(real, fresh.iloc[:60])
    assert breakdown["n_rows_per_side"] == 60
    capped = DetectionAUC(max_rows=50, n_splits=3, random_state=1).compute_breakdown(real, fresh)
    assert (capped["n_rows_per_side"], capped["n_splits"]) == (50, 3)
    assert DetectionAUC(random_state=4).compute(real, fresh) == DetectionAUC(random_state=4).compute(
        real, fresh
    )


def test_detection_auc_gradient_boosting_sees_a_non_linear_difference():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 2))
    # Same means, variances and correlation, but the mass sits on a ring: no linear rule finds it.
    angle = rng.uniform(0, 2 * np.pi, 300)
    ring = np.c_[np.cos(angle), np.sin(angle)] * np.sqrt(2)
    linear = DetectionAUC(random_state=0, n_splits=3).compute(real, ring)
    # On tiny data boosting's OpenMP threads only wait on each other, and on a busy machine each wait
    # can cost a time slice: one thread keeps this test at a tenth of a second instead of minutes.
    with threadpool_limits(limits=1, user_api="openmp"):
        boosted = DetectionAUC(classifier="gradient_boosting", random_state=0, n_splits=3).compute(real, ring)
    assert linear < 0.62
    assert boosted > 0.75


# --- utility ---------------------------------------------------------------------------------------


def test_tstr_ratio_near_one_for_fresh_draws_and_low_for_shuffled_labels():
    X_real, y_real = labelled(800, seed=0)
    X_synthetic, y_synthetic = labelled(800, seed=1)
    X_test, y_test = labelled(800, seed=2)
    metric = TrainSyntheticTestReal(random_state=0)
    good = metric.compute_breakdown(
        X_real, X_synthetic, X_test, y_real=y_real, y_synthetic=y_synthetic, y_test=y_test
    )
    assert good["auprc_ratio"] == pytest.approx(1.0, abs=0.05)
    assert good["auprc_real"] > 0.7
    assert good["f1_ratio"] == pytest.approx(1.0, abs=0.1)

    shuffled = np.random.default_rng(3).permutation(y_synthetic)
    bad = metric.compute(X_real, X_synthetic, X_test, y_real=y_real, y_synthetic=shuffled, y_test=y_test)
    # A classifier trained on noise ranks about at random: AUPRC near the positive rate, a ratio near
    # 0.25 / 0.8; by chance its coefficients may still lean towards the true rule.
    assert bad < 0.7


def test_tstr_reads_labels_from_a_column_and_never_uses_them_as_features():
    frames = []
    for seed in (0, 1, 2):
        X, y = labelled(300, seed=seed, n_features=3)
        frame = pd.DataFrame(X, columns=["a", "b", "c"])
        frame.insert(1, "is_fraud", y)
        frames.append(frame)
    breakdown = TrainSyntheticTestReal(random_state=0).compute_breakdown(*frames, label_column="is_fraud")
    # A leaked label would give a perfect classifier.
    assert breakdown["auprc_real"] < 0.99
    assert breakdown["auprc_ratio"] == pytest.approx(1.0, abs=0.1)


def test_tstr_refuses_one_class_and_ambiguous_labels():
    X, y = labelled(200, seed=0)
    metric = TrainSyntheticTestReal()
    with pytest.raises(DataValidationError, match="synthetic labels.*both classes"):
        metric.compute(X, X, X, y_real=y, y_synthetic=np.ones_like(y), y_test=y)
    with pytest.raises(DataValidationError, match="no labels for \\['y_test'\\]"):
        metric.compute(X, X, X, y_real=y, y_synthetic=y)
    with pytest.raises(DataValidationError, match="labels given twice"):
        metric.compute(X, X, X, label_column="y", y_real=y)
    with pytest.raises(DataValidationError, match="0 or 1"):
        metric.compute(X, X, X, y_real=y, y_synthetic=y * 2, y_test=y)
    with pytest.raises(DataValidationError, match="needs DataFrames"):
        metric.compute(X, X, X, label_column="y")


# --- privacy ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def train_and_holdout() -> tuple[pd.DataFrame, pd.DataFrame]:
    return table(1000, seed=10), table(400, seed=11)


def test_dcr_flags_copies_of_training_rows(train_and_holdout):
    train, holdout = train_and_holdout
    copies = train.sample(300, random_state=0)
    breakdown = DistanceToClosestRecord().compute_breakdown(train, copies, holdout)
    assert breakdown["exact_copy_share"] == 1.0
    assert breakdown["near_copy_share"] == 1.0
    assert breakdown["median_dcr_synthetic"] == 0.0
    assert breakdown["dcr_ratio"] == 0.0
    assert breakdown["exact_copy_share_holdout"] == 0.0


def test_dcr_ratio_near_one_for_fresh_draws(train_and_holdout):
    train, holdout = train_and_holdout
    breakdown = DistanceToClosestRecord().compute_breakdown(train, table(400, seed=12), holdout)
    assert breakdown["dcr_ratio"] == pytest.approx(1.0, abs=0.12)
    assert breakdown["exact_copy_share"] == 0.0
    assert breakdown["near_copy_share"] < 0.04


def test_dcr_memorising_generator_is_closer_than_holdout(train_and_holdout):
    train, holdout = train_and_holdout
    # Training rows plus a little noise: no exact copies, but far too close.
    noisy = train.iloc[:400] + np.random.default_rng(0).normal(size=(400, 4)) * train.std().to_numpy() * 0.05
    breakdown = DistanceToClosestRecord().compute_breakdown(train, noisy, holdout)
    assert breakdown["exact_copy_share"] == 0.0
    assert breakdown["dcr_ratio"] < 0.5
    assert breakdown["near_copy_share"] > 0.5


def test_dcr_still_flags_copies_when_the_holdout_repeats_training_rows(train_and_holdout):
    # Real data repeat rows (the card data do): a holdout in which 5% of the rows copy a training row
    # must not pull the near-copy threshold to 0 and hide a generator's copies.
    train, holdout = train_and_holdout
    holdout = pd.concat([holdout.iloc[:380], train.iloc[:20]], ignore_index=True)
    synthetic = pd.concat([table(360, seed=12), train.iloc[100:140]], ignore_index=True)
    breakdown = DistanceToClosestRecord().compute_breakdown(train, synthetic, holdout)
    assert breakdown["exact_copy_share_holdout"] == pytest.approx(0.05)
    assert breakdown["near_copy_threshold"] > 0
    assert breakdown["near_copy_share"] >= 40 / 400


def test_find_copies_returns_positions_and_survives_float32(train_and_holdout):
    train, holdout = train_and_holdout
    mixed = pd.concat([table(5, seed=13), train.iloc[[3, 7]], train.iloc[[9]].astype(np.float32)])
    metric = DistanceToClosestRecord()
    assert metric.find_copies(train, mixed).tolist() == [5, 6, 7]
    assert metric.compute_breakdown(train, mixed, holdout)["exact_copy_share"] == pytest.approx(3 / 8)


def test_dcr_samples_only_beyond_max_rows_and_repeats_with_a_seed(train_and_holdout):
    train, holdout = train_and_holdout
    synthetic = pd.concat([train.iloc[:100], table(300, seed=14)])
    first = DistanceToClosestRecord(max_rows=150, random_state=0).compute_breakdown(train, synthetic, holdout)
    again = DistanceToClosestRecord(max_rows=150, random_state=0).compute_breakdown(train, synthetic, holdout)
    assert first == again
    assert (first["n_synthetic_sampled"], first["n_holdout_sampled"]) == (150, 150)
    # Copies are counted over every row, not the sample.
    assert first["exact_copy_share"] == 0.25


def test_dcr_refuses_bad_settings(train_and_holdout):
    train, holdout = train_and_holdout
    with pytest.raises(DataValidationError, match="near_copy_quantile"):
        DistanceToClosestRecord(near_copy_quantile=1.0).compute(train, holdout, holdout)
    with pytest.raises(DataValidationError, match="copy_tolerance"):
        DistanceToClosestRecord(copy_tolerance=-1).compute(train, holdout, holdout)
    with pytest.raises(DataValidationError, match="max_rows"):
        DistanceToClosestRecord(max_rows=0).compute(train, holdout, holdout)


# --- input checks ----------------------------------------------------------------------------------


def test_missing_and_extra_columns_are_named(real):
    synthetic = real.drop(columns=["v2"]).assign(extra=1.0)
    with pytest.raises(
        DataValidationError, match=r"synthetic: columns differ .*missing \['v2'\], extra \['extra'\]"
    ):
        KSComplement().compute(real, synthetic)


def test_reordered_columns_are_refused_with_the_fix(real):
    with pytest.raises(DataValidationError, match=r"another order.*synthetic\[real.columns\]"):
        KSComplement().compute(real, real[COLUMNS[::-1]])


def test_non_numeric_nan_and_short_tables_are_refused(real):
    with pytest.raises(DataValidationError, match="synthetic, column 'v1': must be numeric"):
        KSComplement().compute(real, real.assign(v1="a"))
    with_nan = real.copy()
    with_nan.iloc[4, 2] = np.nan
    with pytest.raises(DataValidationError, match="real, column 'v2', row 5: 1 values are NaN or infinite"):
        KSComplement().compute(with_nan, real)
    with pytest.raises(DataValidationError, match="synthetic: has 1 rows; at least 2"):
        DetectionAUC().compute(real, real.iloc[:1])
    with pytest.raises(DataValidationError, match="duplicated column names"):
        KSComplement().compute(real, pd.DataFrame(real.to_numpy(), columns=["amount", "v1", "v1", "v3"]))


def test_arrays_need_the_same_width_and_two_dimensions(real):
    X = real.to_numpy()
    with pytest.raises(DataValidationError, match="synthetic: has 3 columns but real has 4"):
        KSComplement().compute(X, X[:, :3])
    with pytest.raises(DataValidationError, match="shape \\(500,\\)"):
        KSComplement().compute(X, X[:, 0])
    with pytest.raises(DataValidationError, match="Series"):
        KSComplement().compute(real, real["v1"])
    # An array beside a DataFrame takes the DataFrame's column names.
    assert list(KSComplement().compute_breakdown(X, real)) == COLUMNS
    assert list(KSComplement().compute_breakdown(X, X)) == ["x0", "x1", "x2", "x3"]


def test_bad_classifier_and_folds_are_refused(real, fresh):
    with pytest.raises(DataValidationError, match="unknown classifier 'svm'"):
        DetectionAUC(classifier="svm").compute(real, fresh)
    with pytest.raises(DataValidationError, match="n_splits"):
        DetectionAUC(n_splits=1).compute(real, fresh)


# --- evaluate_synthetic ----------------------------------------------------------------------------


def frames_with_labels(*seeds: int, n: int = 300) -> list[pd.DataFrame]:
    frames = []
    for seed in seeds:
        X, y = labelled(n, seed=seed, n_features=4)
        frames.append(pd.DataFrame(X, columns=COLUMNS).assign(Class=y))
    return frames


def test_evaluate_synthetic_runs_every_metric_that_applies():
    real_train, synthetic, real_holdout = frames_with_labels(0, 1, 2)
    evaluation = evaluate_synthetic(real_train, synthetic, real_holdout, label_column="Class", random_state=0)
    frame = evaluation.to_frame()
    assert list(frame.index) == [
        "ks_complement",
        "correlation_similarity",
        "detection_auc",
        "train_synthetic_test_real",
        "distance_to_closest_record",
    ]
    assert list(frame.columns) == ["family", "value", "score", "goal", "target", "min_value", "max_value"]
    assert frame["score"].between(0, 1).all()
    assert frame.loc["detection_auc", "target"] == 0.5
    assert evaluation.skipped == {}
    # The label column is no feature.
    assert "Class" not in evaluation["ks_complement"].breakdown

    flat = evaluation.to_dict()
    assert flat["detection_auc"] == evaluation["detection_auc"].value
    assert "distance_to_closest_record.exact_copy_share" in flat
    assert "ks_complement.amount" in flat
    assert "detection_auc.auc" not in flat
    again = evaluate_synthetic(real_train, synthetic, real_holdout, label_column="Class", random_state=0)
    assert again.to_dict() == flat


def test_evaluate_synthetic_skips_what_the_data_do_not_allow():
    real_train, synthetic, real_holdout = frames_with_labels(0, 1, 2)
    no_holdout = evaluate_synthetic(real_train, synthetic, random_state=0)
    assert list(no_holdout.results) == ["ks_complement", "correlation_similarity", "detection_auc"]
    assert "real_holdout" in no_holdout.skipped["train_synthetic_test_real"]
    assert "real_holdout" in no_holdout.skipped["distance_to_closest_record"]
    # Without label_column, Class is a feature like any other.
    assert "Class" in no_holdout["ks_complement"].breakdown

    frauds_only = synthetic[synthetic["Class"] == 1]
    one_class = evaluate_synthetic(
        real_train, frauds_only, real_holdout, label_column="Class", random_state=0
    )
    assert "synthetic" in one_class.skipped["train_synthetic_test_real"]
    assert "distance_to_closest_record" in one_class.results


def test_evaluate_synthetic_checks_every_table_before_any_work():
    real_train, synthetic, real_holdout = frames_with_labels(0, 1, 2)
    with pytest.raises(DataValidationError, match="real_holdout: has no label column 'Class'"):
        evaluate_synthetic(real_train, synthetic, real_holdout.drop(columns="Class"), label_column="Class")
    with pytest.raises(DataValidationError, match="real_holdout: columns differ"):
        evaluate_synthetic(real_train, synthetic, real_holdout.rename(columns={"v1": "V1"}))
