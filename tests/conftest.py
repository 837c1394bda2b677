"""Shared fixtures: small data the project makes itself, and models fitted once per session."""

from __future__ import annotations

import numpy as np
import pytest

from genfin.training import Callback


class InterruptAt(Callback):
    """Raise KeyboardInterrupt as a user's Ctrl-C would, at the start of a 0-based epoch."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_start(self, trainer) -> None:
        if trainer.epoch == self.epoch:
            raise KeyboardInterrupt


def planted_anomalies(n_normal: int = 3000, n_anomalies: int = 60, n_features: int = 10, seed: int = 0):
    """Normal rows on a low-dimensional linear manifold, anomalies off it.

    An autoencoder with a bottleneck as wide as the manifold reconstructs normal rows well and
    anomalies badly, while no single feature separates them (anomalies have ordinary ranges).
    """
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(3, n_features))
    normal = rng.normal(size=(n_normal, 3)) @ mixing + 0.05 * rng.normal(size=(n_normal, n_features))
    anomalies = rng.normal(size=(n_anomalies, n_features)) * normal.std(axis=0)
    X = np.vstack([normal, anomalies])
    y = np.r_[np.zeros(n_normal, dtype=int), np.ones(n_anomalies, dtype=int)]
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.fixture(scope="session")
def anomaly_data():
    return planted_anomalies()


@pytest.fixture
def interrupt_at():
    """``interrupt_at(epoch)``: a callback that interrupts training at the start of that epoch."""
    return InterruptAt
