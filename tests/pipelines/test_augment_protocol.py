"""compare_augmentation: the generator sees training rows only; one scored row per method and classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import genfin.pipelines.augment_protocol as protocol
from genfin.data import make_transactions, stratified_split


@pytest.fixture(scope="module")
def split():
    data = make_transactions(1500, fraud_rate=0.05, random_state=0)
    return stratified_split(data.X, data.y, test_size=0.3, random_state=0)


def test_augmentation_never_sees_a_test_row(split, monkeypatch):
    X_train, X_test, y_train, y_test = split
    seen, real_augment = [], protocol.augment

    def recording_augment(X, y, **kwargs):
        seen.append(X)
        return real_augment(X, y, **kwargs)

    monkeypatch.setattr(protocol, "augment", recording_augment)
    table = protocol.compare_augmentation(
        X_train, y_train, X_test, y_test, methods=("none", "vae"), random_state=0, epochs=2
    )
    assert len(seen) == 2
    for X in seen:
        assert X.index.intersection(X_test.index).empty
        # Not a single test row among the rows handed over, by value either.
        merged = X.merge(X_test, how="inner")
        assert merged.empty
    assert list(table.columns) == ["method", "classifier", "auprc", "f1", "n_synthetic", "augment_seconds"]
    assert len(table) == 4 and set(table["classifier"]) == {"gradient_boosting", "logistic"}
    none = table[table["method"] == "none"]
    assert (none["n_synthetic"] == 0).all()
    vae = table[table["method"] == "vae"]
    assert (vae["n_synthetic"] == round(0.25 * int((y_train == 0).sum())) - int(y_train.sum())).all()
    assert table["auprc"].between(0, 1).all() and table["f1"].between(0, 1).all()
    # The built-in frauds are findable: every classifier beats the fraud rate by far.
    assert (table["auprc"] > 3 * float(np.mean(y_test))).all()


def test_same_seed_same_table_and_bad_names_refused(split):
    X_train, X_test, y_train, y_test = split
    run = lambda: protocol.compare_augmentation(  # noqa: E731
        X_train, y_train, X_test, y_test, methods=("none",), classifiers=("logistic",), random_state=3
    )
    pd.testing.assert_frame_equal(
        run().drop(columns="augment_seconds"), run().drop(columns="augment_seconds")
    )
    with pytest.raises(ValueError, match="unknown method or classifier \\['gan'\\]"):
        protocol.compare_augmentation(X_train, y_train, X_test, y_test, methods=("gan",))
