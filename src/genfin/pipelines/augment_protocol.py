"""The fraud team's augmentation protocol: do synthetic frauds help a classifier on real rows.

For each augmentation method, the training rows are augmented (only they: the generator never sees
a test row), each classifier is trained on them, and it is scored on the held-out REAL rows. The
same split, classifiers and seeds serve every method, so the rows of the result compare directly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from genfin.pipelines.augment import METHODS, augment
from genfin.training.device import fork_rng_seed

__all__ = ["CLASSIFIERS", "compare_augmentation"]

#: The classifiers of the protocol, by name.
CLASSIFIERS = ("gradient_boosting", "logistic")


def _classifier(name: str, seed: int) -> Any:
    if name == "gradient_boosting":
        return HistGradientBoostingClassifier(random_state=seed)
    # Scaled, since the card features span very different ranges (Amount against the V columns).
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))


def compare_augmentation(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    methods: Sequence[str] = ("none", "smote", "vae"),
    classifiers: Sequence[str] = CLASSIFIERS,
    ratio: float = 0.25,
    random_state: int | np.random.Generator | None = None,
    **model_params: Any,
) -> pd.DataFrame:
    """Train each classifier on real training rows plus each method's synthetic frauds; test on real rows.

    Parameters
    ----------
    X_train, y_train
        The training rows and their 0/1 labels (1 = fraud): the only rows augmentation sees.
    X_test, y_test
        Held-out real rows and labels, used only to score the trained classifiers.
    methods
        Augmentation methods of :func:`genfin.augment`: ``"none"``, ``"smote"``, ``"vae"``.
    classifiers
        ``"gradient_boosting"`` (scikit-learn's HistGradientBoostingClassifier) and ``"logistic"``
        (standardised logistic regression).
    ratio
        Frauds per normal training row after augmentation (see :func:`genfin.augment`).
    random_state
        Seeds the augmentation and the classifiers; the same integer gives the same table.
    **model_params
        Passed to :func:`genfin.augment` for the ``"vae"`` method (e.g. ``epochs``).

    Returns
    -------
    pandas.DataFrame
        One row per (method, classifier): ``auprc`` and ``f1`` (at the 0.5 probability threshold)
        on the test rows, ``n_synthetic`` rows added and ``augment_seconds``.

    Raises
    ------
    ValueError
        For an unknown method or classifier, before any work.
    """
    unknown = [m for m in methods if m not in METHODS] + [c for c in classifiers if c not in CLASSIFIERS]
    if unknown:
        raise ValueError(
            f"unknown method or classifier {unknown}; methods: {METHODS}, classifiers: {CLASSIFIERS}"
        )
    rng = np.random.default_rng(random_state)
    augment_seed, classifier_seed = fork_rng_seed(rng), fork_rng_seed(rng)
    y_test = np.asarray(y_test)
    rows = []
    for method in methods:
        started = time.perf_counter()
        params = model_params if method == "vae" else {}
        X_aug, y_aug, synthetic = augment(
            X_train,
            y_train,
            method=method,
            ratio=ratio,
            random_state=augment_seed,
            return_mask=True,
            **params,
        )
        seconds = time.perf_counter() - started
        for name in classifiers:
            model = _classifier(name, classifier_seed).fit(X_aug, np.asarray(y_aug))
            scores = model.predict_proba(X_test)[:, 1]
            rows.append(
                {
                    "method": method,
                    "classifier": name,
                    "auprc": float(average_precision_score(y_test, scores)),
                    "f1": float(f1_score(y_test, (scores >= 0.5).astype(int), zero_division=0)),
                    "n_synthetic": int(synthetic.sum()),
                    "augment_seconds": seconds,
                }
            )
    return pd.DataFrame(rows)
