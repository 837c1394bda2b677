from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from genfin.data import CREDITCARD_FEATURES, Transactions, make_transactions


@pytest.fixture(scope="module")
def data() -> Transactions:
    return make_transactions(8_000, fraud_rate=0.025, random_state=0)


def test_schema(data):
    assert list(data.X.columns) == CREDITCARD_FEATURES
    assert (data.X.dtypes == np.float64).all()
    assert data.y.name == "Class" and data.y.dtype == np.int64
    assert data.time.name == "Time"
    assert data.X.index.equals(pd.RangeIndex(8_000)) and data.y.index.equals(data.X.index)
    assert np.isfinite(data.X.to_numpy()).all()
    assert "synthetic" in data.source
    X, y = data
    assert X.shape == (8_000, 29) and len(y) == 8_000


@pytest.mark.parametrize(
    ("n", "rate", "frauds"), [(8_000, 0.025, 200), (1_000, 0.0, 0), (100, 0.001, 1), (10, 0.25, 2)]
)
def test_exact_fraud_count(n, rate, frauds):
    y = make_transactions(n, rate, random_state=1).y
    assert len(y) == n and int(y.sum()) == frauds


def test_same_seed_same_data_different_seed_different_data():
    a = make_transactions(500, 0.02, random_state=7)
    b = make_transactions(500, 0.02, random_state=7)
    c = make_transactions(500, 0.02, random_state=8)
    assert a.X.equals(b.X) and a.y.equals(b.y) and a.time.equals(b.time)
    assert not a.X.equals(c.X)


def test_uses_no_global_random_state():
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    make_transactions(200, 0.05, random_state=3)
    make_transactions(200, 0.05)
    assert np.random.random() == before


def test_accepts_a_generator():
    a = make_transactions(300, 0.05, random_state=np.random.default_rng(5))
    b = make_transactions(300, 0.05, random_state=np.random.default_rng(5))
    assert a.X.equals(b.X)


def test_frauds_are_spread_through_the_rows(data):
    rows = np.flatnonzero(data.y.to_numpy())
    assert rows.min() < 1_000 and rows.max() > 7_000
    assert np.diff(rows).max() < 1_000


def test_time_spans_two_days_in_order_with_quiet_nights(data):
    time = data.time.to_numpy()
    assert time.min() >= 0 and time.max() < 172_800
    assert np.all(np.diff(time) >= 0)
    hour = (time / 3600) % 24
    normal = data.y.to_numpy() == 0
    night = (hour[normal] < 7) | (hour[normal] >= 23)
    # Night hours are a third of the day but carry far less normal traffic, and relatively more fraud.
    assert 0.08 < night.mean() < 0.17
    fraud_hour = hour[~normal]
    assert ((fraud_hour < 7) | (fraud_hour >= 23)).mean() > 0.25


def test_amount_is_positive_and_heavy_tailed(data):
    amount = data.X["Amount"].to_numpy()
    assert amount.min() >= 0
    assert np.allclose(amount, np.round(amount, 2))
    assert np.quantile(amount, 0.99) > 10 * np.median(amount)
    assert pd.Series(amount).skew() > 3


def test_components_are_correlated_and_some_skewed(data):
    normal = data.X.loc[data.y == 0, CREDITCARD_FEATURES[:-1]]
    corr = normal.corr().to_numpy()
    off_diagonal = np.abs(corr[~np.eye(28, dtype=bool)])
    assert off_diagonal.max() > 0.4
    skew = normal.skew().abs()
    assert (skew > 0.5).sum() >= 3
    kurtosis = normal.kurt()
    assert (kurtosis > 1.0).sum() >= 3


def test_no_single_feature_separates_but_a_multivariate_model_does(data):
    X, y = data
    single = max(max(a, 1 - a) for a in (roc_auc_score(y, X[c]) for c in X.columns))
    assert single < 0.9

    features = X.assign(Amount=np.log1p(X["Amount"]))
    X_train, X_test, y_train, y_test = train_test_split(
        features, y, test_size=0.5, stratify=y, random_state=0
    )
    mean, std = X_train.mean(), X_train.std()
    model = LogisticRegression(max_iter=1_000).fit((X_train - mean) / std, y_train)
    multi = roc_auc_score(y_test, model.decision_function((X_test - mean) / std))
    assert multi > 0.8
    assert multi > single + 0.1


def test_each_fraud_pattern_differs_from_normal(data):
    X, y = data
    frauds, normal = X[y == 1], X[y == 0]
    shifted = ((frauds.median() - normal.median()).abs() / normal.std()).sort_values(ascending=False)
    # Several components move, none alone by as much as would make it a give-away.
    assert (shifted > 0.2).sum() >= 3
    spread = (frauds[["V7", "V20", "V21"]].std() / normal[["V7", "V20", "V21"]].std()).min()
    assert spread > 1.3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_samples": 1}, ValueError, "n_samples must be at least 2"),
        ({"n_samples": 10.5}, TypeError, "n_samples must be an integer"),
        ({"n_samples": True}, TypeError, "n_samples must be an integer"),
        ({"fraud_rate": -0.1}, ValueError, r"fraud_rate must be in \[0, 1\)"),
        ({"fraud_rate": 1.0}, ValueError, r"fraud_rate must be in \[0, 1\)"),
        ({"fraud_rate": float("nan")}, ValueError, r"fraud_rate must be in \[0, 1\)"),
        ({"fraud_rate": "0.1"}, TypeError, "fraud_rate must be a number"),
        ({"n_samples": 2, "fraud_rate": 0.9}, ValueError, "leaves no normal transaction"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_transactions(**kwargs)
